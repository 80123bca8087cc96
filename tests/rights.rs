//! The bot knows its rights: it records its status and pin right in every
//! group (from `my_chat_member`, `/bind` and a start-up pass), pins alerts
//! only where it may, says so in the preview and in `/tree`, and a refused
//! pin updates the record instead of repeating. Real bot, sandbox, fresh
//! database per test.

mod common;

use common::{TestBot, spawn};
use pingan::sandbox::{BotRights, Fault, SentMessage};
use pingan::store::alerts as alert_rows;
use pingan::store::groups::{self, BotStatus, GroupChat};

/// The xq.hmk subtree of the small district, each group bound by the
/// superadmin; the bot joined every group as a plain member.
struct Hmk {
    hmk: i64,
    c1: i64,
    g3: i64,
    g4: i64,
}

async fn hmk(bot: &TestBot) -> Hmk {
    bot.small_district().await;
    let root = bot.root;
    Hmk {
        hmk: bot.bound_group("河门口街道", "xq.hmk", root).await,
        c1: bot.bound_group("河门口社区", "xq.hmk.c1", root).await,
        g3: bot.bound_group("第三网格", "xq.hmk.c1.g3", root).await,
        g4: bot.bound_group("第四网格", "xq.hmk.c1.g4", root).await,
    }
}

async fn record(bot: &TestBot, chat: i64) -> GroupChat {
    let mut conn = bot.app().store.conn().await.unwrap();
    groups::by_chat(&mut conn, chat)
        .await
        .unwrap()
        .expect("group recorded")
}

fn standing(g: &GroupChat) -> (Option<BotStatus>, Option<bool>) {
    (g.bot_status, g.can_pin)
}

/// Issues an alert as the superadmin in `chat`: (alert id, preview card).
async fn preview(bot: &TestBot, chat: i64, args: &str) -> (i64, SentMessage) {
    let card = bot.say(chat, bot.root, &format!("/alert {args}")).await;
    let (_, data) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .unwrap_or_else(|| panic!("no Send button on {card}"));
    (data["a:send:".len()..].parse().unwrap(), card)
}

/// Presses Send and waits until the card says all `n` copies are delivered:
/// by then every copy's send is recorded, and with it the pin decided.
async fn send_all(bot: &TestBot, chat: i64, card: &SentMessage, id: i64, n: usize) {
    bot.sandbox
        .press_button(chat, card.message_id, bot.root, &format!("a:send:{id}"));
    let expect = format!("已送达 {n}/{n} · 失败 0");
    bot.sandbox
        .wait_message(&format!("the card to show {expect}"), |m| {
            m.chat_id == chat && m.message_id == card.message_id && m.text.contains(&expect)
        })
        .await;
}

/// Groups whose copy of alert `id` got a pin queued.
async fn pinned_in(bot: &TestBot, id: i64) -> Vec<i64> {
    let mut conn = bot.app().store.conn().await.unwrap();
    alert_rows::deliveries(&mut conn, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.pin_outbox_id.is_some())
        .map(|d| d.chat_id)
        .collect()
}

#[tokio::test]
async fn my_chat_member_keeps_the_record() {
    let bot = spawn().await;
    let d = hmk(&bot).await;
    let g = d.g3;
    assert_eq!(
        standing(&record(&bot, g).await),
        (Some(BotStatus::Member), Some(false))
    );
    for (rights, status, can_pin) in [
        (
            BotRights::Administrator { can_pin: true },
            BotStatus::Administrator,
            true,
        ),
        (
            BotRights::Administrator { can_pin: false },
            BotStatus::Administrator,
            false,
        ),
        (
            BotRights::Restricted { can_pin: true },
            BotStatus::Restricted,
            true,
        ),
        (
            BotRights::Restricted { can_pin: false },
            BotStatus::Restricted,
            false,
        ),
        (BotRights::Member, BotStatus::Member, false),
    ] {
        bot.sandbox.set_bot_rights(g, rights);
        bot.settle().await;
        let r = record(&bot, g).await;
        assert_eq!(standing(&r), (Some(status), Some(can_pin)), "{rights:?}");
        assert!(r.active && r.node.is_some(), "{r:?}");
    }
    bot.sandbox.remove_bot(g, bot.root);
    bot.settle().await;
    let r = record(&bot, g).await;
    assert_eq!(standing(&r), (Some(BotStatus::Kicked), Some(false)));
    assert!(!r.active);
}

#[tokio::test]
async fn bind_asks_telegram_for_the_bots_rights() {
    let bot = spawn().await;
    bot.small_district().await;
    let root = bot.root;
    // The bot is in both groups but never heard so (no my_chat_member):
    // /bind asks getChatMember.
    let admin_group = bot.sandbox.create_group("第三网格", root);
    bot.sandbox.join(admin_group, bot.sandbox.bot_id());
    bot.sandbox
        .set_bot_rights_unannounced(admin_group, BotRights::Administrator { can_pin: true });
    let member_group = bot.sandbox.create_group("第四网格", root);
    bot.sandbox.join(member_group, bot.sandbox.bot_id());

    let r = bot.say(admin_group, root, "/bind xq.hmk.c1.g3").await;
    assert!(r.text.contains('✅') && !r.text.contains("不能置顶"), "{r}");
    assert_eq!(
        standing(&record(&bot, admin_group).await),
        (Some(BotStatus::Administrator), Some(true))
    );
    let r = bot.say(member_group, root, "/bind xq.hmk.c1.g4").await;
    assert!(r.text.contains('✅') && r.text.contains("不能置顶"), "{r}");
    assert_eq!(
        standing(&record(&bot, member_group).await),
        (Some(BotStatus::Member), Some(false))
    );
}

async fn severe_alert_pins_only_where_allowed(bot: TestBot) {
    let d = hmk(&bot).await;
    bot.sandbox
        .set_bot_rights(d.g3, BotRights::Administrator { can_pin: true });
    bot.sandbox
        .set_bot_rights(d.g4, BotRights::Restricted { can_pin: true });
    bot.sandbox
        .set_bot_rights(d.c1, BotRights::Administrator { can_pin: false });
    // d.hmk: a plain member.
    bot.settle().await;

    let tree = bot.say(d.hmk, bot.root, "/tree xq.hmk").await;
    let line = |code: &str| {
        tree.text
            .lines()
            .find(|l| l.contains(&format!("{code} ")) || l.ends_with(code))
            .unwrap_or_else(|| panic!("{code} missing from {}", tree.text))
            .to_string()
    };
    assert!(line("xq.hmk").contains("🚫📌 机器人不是管理员"), "{tree}");
    assert!(
        line("xq.hmk.c1").contains("🚫📌 机器人无置顶权限"),
        "{tree}"
    );
    assert!(!line("xq.hmk.c1.g3").contains("🚫📌"), "{tree}");
    assert!(!line("xq.hmk.c1.g4").contains("🚫📌"), "{tree}");
    assert!(tree.text.contains("🚫📌 2 个群不能置顶"), "{tree}");

    let (id, card) = preview(&bot, d.hmk, "severe weather 今晚暴雨").await;
    assert!(
        card.text
            .contains("置顶 2/4，其余群机器人不是管理员或没有置顶权限"),
        "{card}"
    );
    send_all(&bot, d.hmk, &card, id, 4).await;
    let mut pinned = pinned_in(&bot, id).await;
    pinned.sort_unstable();
    let mut expected = vec![d.g3, d.g4];
    expected.sort_unstable();
    assert_eq!(pinned, expected, "pins queued only where the bot may pin");
    bot.sandbox
        .wait_until("both pins done", |s| {
            [d.g3, d.g4]
                .iter()
                .all(|c| s.messages(*c).iter().any(|m| m.pinned))
        })
        .await;
    let stats = bot.sandbox.stats();
    assert_eq!(stats.requests("pinChatMessage"), 2);
    assert_eq!((stats.pin_refusals, stats.bad_requests), (0, 0));

    // A moderate alert pins nothing, and its preview says nothing of pins.
    let (_, card) = preview(&bot, d.hmk, "moderate weather 明天降温").await;
    assert!(!card.text.contains("置顶"), "{card}");
}

#[tokio::test]
async fn severe_alert_pins_only_where_allowed_sqlite() {
    severe_alert_pins_only_where_allowed(spawn().await).await;
}

#[tokio::test]
async fn severe_alert_pins_only_where_allowed_postgres() {
    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    let bot = common::spawn_with(common::Options {
        db: Some(db),
        ..common::Options::default()
    })
    .await;
    severe_alert_pins_only_where_allowed(bot).await;
}

#[tokio::test]
async fn preview_counts_pins_in_english() {
    let bot = common::spawn_en().await;
    let d = hmk(&bot).await;
    bot.sandbox.promote(d.g3, bot.sandbox.bot_id());
    bot.settle().await;
    let (_, card) = preview(&bot, d.hmk, "extreme weather storm").await;
    assert!(
        card.text.contains(
            "pinned in 1/4 groups; the bot is not an administrator with the pin right in the others"
        ),
        "{card}"
    );
    for chat in [d.hmk, d.c1, d.g4] {
        bot.sandbox.promote(chat, bot.sandbox.bot_id());
    }
    bot.settle().await;
    let (_, card) = preview(&bot, d.hmk, "extreme weather storm").await;
    assert!(card.text.contains("pinned in 4/4 groups"), "{card}");
    assert!(!card.text.contains("in the others"), "{card}");
}

#[tokio::test]
async fn a_refused_pin_marks_the_group_and_is_not_repeated() {
    let bot = spawn().await;
    let d = hmk(&bot).await;
    bot.sandbox
        .set_bot_rights(d.g3, BotRights::Administrator { can_pin: true });
    bot.settle().await;
    // Demoted without the bot hearing of it.
    bot.sandbox
        .set_bot_rights_unannounced(d.g3, BotRights::Member);

    let (id, card) = preview(&bot, d.hmk, "severe crime 注意防盗").await;
    assert!(card.text.contains("置顶 1/4"), "{card}");
    send_all(&bot, d.hmk, &card, id, 4).await;
    assert_eq!(pinned_in(&bot, id).await, vec![d.g3]);
    bot.sandbox
        .wait_until("the pin refused", |s| s.stats().pin_refusals == 1)
        .await;
    // A chat's rows go one at a time, each recorded before the next is
    // sent: once this reply arrives in g3, the refusal is recorded.
    bot.say(d.g3, bot.root, "/whoami").await;
    assert_eq!(
        standing(&record(&bot, d.g3).await),
        (Some(BotStatus::Administrator), Some(false))
    );
    let tree = bot.say(d.hmk, bot.root, "/tree xq.hmk.c1.g3").await;
    assert!(tree.text.contains("🚫📌"), "{tree}");

    let (id2, card) = preview(&bot, d.hmk, "severe crime 再次提醒").await;
    assert!(card.text.contains("置顶 0/4"), "{card}");
    send_all(&bot, d.hmk, &card, id2, 4).await;
    assert!(pinned_in(&bot, id2).await.is_empty());
    bot.settle().await;
    let stats = bot.sandbox.stats();
    assert_eq!(stats.requests("pinChatMessage"), 1, "not asked again");
    assert_eq!(stats.pin_refusals, 1);
}

#[tokio::test]
async fn start_up_asks_where_rights_are_unknown() {
    let mut bot = spawn().await;
    bot.small_district().await;
    bot.stop().await;
    let root = bot.root;
    let me = bot.sandbox.bot_id();
    // Groups set up behind the bot's back (as an import or an older version
    // would leave them): bound, the bot in them, its rights not recorded.
    let mut chats = Vec::new();
    for (code, rights) in [
        ("xq.hmk.c1.g3", BotRights::Administrator { can_pin: true }),
        ("xq.hmk.c1.g4", BotRights::Member),
        ("xq.hmk.c1", BotRights::Administrator { can_pin: true }),
    ] {
        let chat = bot.sandbox.create_group(code, root);
        bot.sandbox.join(chat, me);
        bot.sandbox.set_bot_rights_unannounced(chat, rights);
        chats.push(chat);
    }
    // Asking about one group fails; the others are asked all the same.
    let failing = chats[2];
    bot.sandbox.inject(
        "getChatMember",
        Some(failing),
        1,
        Fault::BadRequest("chat not found".into()),
    );
    {
        let store = pingan::store::Store::open(bot.db.url()).await.unwrap();
        let mut conn = store.conn().await.unwrap();
        for (chat, code) in chats
            .iter()
            .zip(["xq.hmk.c1.g3", "xq.hmk.c1.g4", "xq.hmk.c1"])
        {
            groups::seen(&mut conn, *chat, code, true, common::T0)
                .await
                .unwrap();
            let code = pingan::domain::NodeCode::parse(code).unwrap();
            groups::bind(&mut conn, *chat, &code, common::T0)
                .await
                .unwrap();
        }
    }
    bot.start().await;
    bot.running().rights_checked().await;
    assert_eq!(
        standing(&record(&bot, chats[0]).await),
        (Some(BotStatus::Administrator), Some(true))
    );
    assert_eq!(
        standing(&record(&bot, chats[1]).await),
        (Some(BotStatus::Member), Some(false))
    );
    assert_eq!(standing(&record(&bot, failing).await), (None, None));
    assert_eq!(bot.sandbox.stats().requests("getChatMember"), 3);
    // The next start asks again where it is still unknown, and only there.
    bot.restart().await;
    bot.running().rights_checked().await;
    assert_eq!(
        standing(&record(&bot, failing).await),
        (Some(BotStatus::Administrator), Some(true))
    );
    assert_eq!(bot.sandbox.stats().requests("getChatMember"), 4);
}
