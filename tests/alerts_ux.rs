//! Alerts as the issuer and grid staff see them (issue 14, items 6 and 7),
//! end to end on SQLite and PostgreSQL: who acknowledged and when, who has
//! not (by name, with A and B posts), the 收到 button on reminders, one
//! escalation per recipient, the issuing group left out of acknowledgement,
//! the preview's terms, and alert numbers that discarded drafts do not use.

mod common;

use common::{Options, TestBot, TestDb, spawn_with};
use pingan::i18n::Locale;
use pingan::sandbox::SentMessage;
use sqlx::Row;

/// 河门口街道 (the issuing group) over 河门口社区 over three grids, with
/// staff: an A post on each grid, one person in the B post of g3 and g5.
struct World {
    hmk: i64,
    c1: i64,
    g3: i64,
    g4: i64,
    g5: i64,
    chief: i64,
    w3: i64,
    w4: i64,
    w5: i64,
    b35: i64,
}

async fn world(bot: &TestBot) -> World {
    bot.small_district().await;
    let root = bot.root;
    let r = bot
        .say(root, root, "/addnode xq.hmk.c1 xq.hmk.c1.g5 第五网格")
        .await;
    assert!(
        ["✅", "已", "Added", "Created"]
            .iter()
            .any(|w| r.text.contains(w)),
        "{r}"
    );
    let chief = bot.sandbox.add_user("街道主任", Some("chief"));
    bot.grant(chief, "admin", "xq.hmk").await;
    let w = World {
        hmk: bot.bound_group("河门口街道", "xq.hmk", root).await,
        c1: bot.bound_group("河门口社区", "xq.hmk.c1", root).await,
        g3: bot.bound_group("第三网格", "xq.hmk.c1.g3", root).await,
        g4: bot.bound_group("第四网格", "xq.hmk.c1.g4", root).await,
        g5: bot.bound_group("第五网格", "xq.hmk.c1.g5", root).await,
        chief,
        w3: bot.sandbox.add_user("三网格员", None),
        w4: bot.sandbox.add_user("四网格员", None),
        w5: bot.sandbox.add_user("五网格员", None),
        b35: bot.sandbox.add_user("三五B岗", None),
    };
    bot.sandbox.join(w.hmk, chief);
    for (user, grid, chat) in [
        (w.w3, "xq.hmk.c1.g3", w.g3),
        (w.w4, "xq.hmk.c1.g4", w.g4),
        (w.w5, "xq.hmk.c1.g5", w.g5),
    ] {
        bot.grant(user, "worker", grid).await;
        bot.sandbox.join(chat, user);
        bot.say(chat, user, "/whoami").await; // the bot learns their name
    }
    for grid in ["xq.hmk.c1.g3", "xq.hmk.c1.g5"] {
        let r = bot
            .say(
                root,
                root,
                &format!("/grant {} police {grid} backup", w.b35),
            )
            .await;
        assert!(r.text.contains('✅'), "{r}");
    }
    bot.start_private(w.b35).await;
    w
}

/// Presses a button and returns the toast the bot answered with.
async fn press(bot: &TestBot, chat: i64, msg: i64, user: i64, data: &str) -> String {
    let query = bot.sandbox.press_button(chat, msg, user, data);
    let mut toast = None;
    bot.sandbox
        .wait_until("the button's answer", |s| {
            toast = s
                .callback_answers()
                .into_iter()
                .find(|a| a.query_id == query)
                .map(|a| a.text.unwrap_or_default());
            toast.is_some()
        })
        .await;
    toast.unwrap()
}

/// Issues an alert in `chat`: (internal id from the Send button, preview card).
async fn preview(bot: &TestBot, chat: i64, user: i64, args: &str) -> (i64, SentMessage) {
    let card = bot.say(chat, user, &format!("/alert {args}")).await;
    let (_, data) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .unwrap_or_else(|| panic!("no Send button on {card}"));
    (data["a:send:".len()..].parse().unwrap(), card)
}

/// Waits for the card (edited in place) to contain every one of `expect`.
async fn card_shows(bot: &TestBot, card: &SentMessage, expect: &[&str]) -> SentMessage {
    let (chat, id) = (card.chat_id, card.message_id);
    bot.sandbox
        .wait_message(&format!("the card to show {expect:?}"), |m| {
            m.chat_id == chat && m.message_id == id && expect.iter().all(|e| m.text.contains(e))
        })
        .await
}

/// The copy of an alert in `chat` (not the preview, not a reminder).
async fn copy_in(bot: &TestBot, chat: i64, text: &str) -> SentMessage {
    bot.sandbox
        .wait_message("the copy", |m| {
            m.chat_id == chat
                && m.text.contains(text)
                && (m.text.contains("平安提示 ·") || m.text.contains("Safety alert ·"))
                && !m.text.contains("预览")
                && !m.text.contains("Preview")
        })
        .await
}

/// Waits for the copy containing `text` in each of the five groups. (Not
/// for "已送达 5/5" on the card: with concurrent sends on PostgreSQL the
/// card's last count may lag, a race fixed separately.)
async fn everywhere(bot: &TestBot, w: &World, text: &str) {
    for chat in [w.hmk, w.c1, w.g3, w.g4, w.g5] {
        copy_in(bot, chat, text).await;
    }
}

/// Waits until the dispatcher has recorded every copy of alert `id` as
/// sent (a copy can be in the chat a moment before it is recorded, and
/// reminders count from the recorded time). Polls the database, as nothing
/// in the sandbox changes when a send is recorded.
async fn until_recorded(bot: &TestBot, id: i64, copies: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut conn = bot.app().store.conn().await.unwrap();
        let sent: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE d.alert_id = $1 AND o.status = 'sent'",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        if sent == copies {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {sent} of {copies} copies recorded"
        );
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await; // a poll, bounded above
    }
}

/// Messages queued for `chat` whose text contains `needle`, counted in the
/// outbox (complete as soon as the tick that queued them returned).
async fn queued(bot: &TestBot, chat: i64, needle: &str) -> i64 {
    let mut conn = bot.app().store.conn().await.unwrap();
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE chat_id = $1 AND text LIKE $2")
        .bind(chat)
        .bind(format!("%{needle}%"))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// Acknowledgements on the card, in `/alert_info` and in `/stats`; the
/// issuing group is neither asked nor counted.
async fn who_acknowledged_and_who_not(bot: TestBot) {
    let w = world(&bot).await;
    let (id, card) = preview(&bot, w.hmk, w.chief, "severe fire 仓库火情，请排查").await;
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:send:{id}"),
    )
    .await;
    everywhere(&bot, &w, "仓库火情").await;
    until_recorded(&bot, id, 5).await;

    // The issuing group gets the alert, without the button or the request.
    let own = copy_in(&bot, w.hmk, "仓库火情").await;
    assert!(own.buttons().is_empty(), "{own}");
    assert!(!own.text.contains("收到"), "{own}");
    let toast = press(&bot, w.hmk, own.message_id, w.chief, &format!("a:ack:{id}")).await;
    assert!(toast.contains("无需确认"), "{toast}");
    let copy3 = copy_in(&bot, w.g3, "仓库火情").await;
    assert!(copy3.has_button(&format!("a:ack:{id}")), "{copy3}");

    bot.clock.advance(5 * 60); // 09:05 in the district
    let toast = press(&bot, w.g3, copy3.message_id, w.w3, &format!("a:ack:{id}")).await;
    assert!(toast.contains("已确认收到"), "{toast}");

    let acked = "已确认 1：xq.hmk.c1.g3 第三网格（三网格员 09:05）";
    let c1 = "xq.hmk.c1 河门口社区（无工作人员）";
    let g4 = "xq.hmk.c1.g4 第四网格（A岗：四网格员）";
    let g5 = "xq.hmk.c1.g5 第五网格（A岗：五网格员 · B岗：三五B岗）";
    let card = card_shows(&bot, &card, &[acked, "未确认 3：", c1, g4, g5]).await;
    assert!(!card.text.contains("xq.hmk 河门口街道"), "{card}");

    let info = bot.say(w.hmk, w.chief, "/alert_info A1").await;
    for part in [acked, "未确认 3：", c1, g4, g5] {
        assert!(info.text.contains(part), "{part} in {info}");
    }
    // 1 of the 4 groups asked; the issuing group would make it 1 of 5.
    let stats = bot.say(bot.root, bot.root, "/stats today xq.hmk").await;
    assert!(stats.text.contains("确认率 25.0%"), "{stats}");
}

/// A reminder carries 收到 and pressing it acknowledges; escalation tells
/// the parent group and the B post once each, listing their late grids.
async fn reminder_button_and_one_escalation_per_recipient(bot: TestBot) {
    let w = world(&bot).await;
    let (id, card) = preview(&bot, w.hmk, w.chief, "extreme 山体滑坡风险，立即转移").await;
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:send:{id}"),
    )
    .await;
    everywhere(&bot, &w, "山体滑坡").await;
    until_recorded(&bot, id, 5).await;
    let copy4 = copy_in(&bot, w.g4, "山体滑坡").await;

    bot.clock.advance(30 * 60 + 1);
    bot.app().tick().await;
    let reminder = bot
        .sandbox
        .wait_message("a reminder in g4", |m| {
            m.chat_id == w.g4 && m.text.contains("尚未确认") && m.reply_to == Some(copy4.message_id)
        })
        .await;
    assert!(reminder.has_button(&format!("a:ack:{id}")), "{reminder}");
    let toast = press(
        &bot,
        w.g4,
        reminder.message_id,
        w.w4,
        &format!("a:ack:{id}"),
    )
    .await;
    assert!(toast.contains("已确认收到"), "{toast}");
    card_shows(
        &bot,
        &card,
        &["已确认 1：xq.hmk.c1.g4 第四网格（四网格员 09:30）"],
    )
    .await;
    assert_eq!(
        queued(&bot, w.hmk, "尚未确认").await,
        0,
        "issuing group reminded"
    );

    bot.clock.advance(30 * 60 + 1);
    bot.app().tick().await;
    bot.app().tick().await; // idempotent
    assert_eq!(queued(&bot, w.c1, "仍未确认").await, 1, "one message to c1");
    assert_eq!(
        queued(&bot, w.b35, "仍未确认").await,
        1,
        "one to the B post"
    );
    let to_parent = bot
        .sandbox
        .wait_message("the escalation in c1", |m| {
            m.chat_id == w.c1 && m.text.contains("仍未确认")
        })
        .await;
    assert!(
        to_parent.text.contains("以下 2 个群仍未确认平安提示 A1")
            && to_parent
                .text
                .contains("xq.hmk.c1.g3 第三网格（A岗：三网格员 · B岗：三五B岗）")
            && to_parent.text.contains("xq.hmk.c1.g5 第五网格")
            && !to_parent.text.contains("xq.hmk.c1.g4"),
        "{to_parent}"
    );
    let to_backup = bot
        .sandbox
        .wait_message("the escalation to the B post", |m| {
            m.chat_id == w.b35 && m.text.contains("仍未确认")
        })
        .await;
    assert!(
        to_backup.text.contains("xq.hmk.c1.g3") && to_backup.text.contains("xq.hmk.c1.g5"),
        "{to_backup}"
    );
    // c1 itself is late: its parent (the issuing group) hears of it alone.
    let to_hmk = bot
        .sandbox
        .wait_message("the escalation in hmk", |m| {
            m.chat_id == w.hmk && m.text.contains("仍未确认")
        })
        .await;
    assert!(
        to_hmk.text.contains("以下 1 个群") && to_hmk.text.contains("xq.hmk.c1 河门口社区"),
        "{to_hmk}"
    );
    let _ = w.w5;
}

/// The preview shows category and expiry; a cancelled preview uses up no number.
async fn preview_terms_and_numbers_without_gaps(bot: TestBot) {
    let w = world(&bot).await;
    let (id, card) = preview(&bot, w.hmk, w.chief, "severe fire 6h 仓库火情，请排查").await;
    assert!(
        card.text.contains("类别：防火")
            && card.text.contains("级别：严重")
            && card.text.contains("有效期：发送后 6小时"),
        "{card}"
    );
    let toast = press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:drop:{id}"),
    )
    .await;
    assert!(toast.contains("已取消"), "{toast}");
    card_shows(&bot, &card, &["已取消，未发送"]).await;

    let (id, card) = preview(&bot, w.hmk, w.chief, "minor 注意天然气安全").await;
    assert!(card.text.contains("有效期：不限"), "{card}");
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:send:{id}"),
    )
    .await;
    card_shows(&bot, &card, &["A1 ·"]).await;
    let copy = copy_in(&bot, w.g3, "天然气").await;
    assert!(copy.text.contains("（A1）"), "{copy}");

    let (id, card) = preview(&bot, w.hmk, w.chief, "丢弃的草稿").await;
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:drop:{id}"),
    )
    .await;
    let (id, card) = preview(&bot, w.hmk, w.chief, "moderate traffic 2h 路口施工").await;
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:send:{id}"),
    )
    .await;
    card_shows(&bot, &card, &["A2 ·"]).await;
    let copy = copy_in(&bot, w.g5, "路口施工").await;
    assert!(
        copy.text.contains("（A2）") && copy.text.contains("有效至 11-27 11:00"),
        "{copy}"
    );

    // Asked privately: the street's group has used much of its 20 a minute.
    let r = bot.say(bot.root, bot.root, "/alert_info A2").await;
    assert!(r.text.contains("路口施工"), "{r}");
    let r = bot.say(bot.root, bot.root, "/alert_info A3").await;
    assert!(r.text.contains("没有提示 A3"), "{r}");
    let r = bot.say(bot.root, bot.root, "/alerts xq.hmk").await;
    assert!(
        r.text.contains("A1 ·") && r.text.contains("A2 ·") && !r.text.contains("丢弃"),
        "{r}"
    );
}

async fn sqlite() -> TestBot {
    spawn_with(Options::default()).await
}

async fn postgres() -> Option<TestBot> {
    let db = TestDb::postgres().await?;
    Some(
        spawn_with(Options {
            db: Some(db),
            ..Options::default()
        })
        .await,
    )
}

#[tokio::test]
async fn who_acknowledged_and_who_not_on_sqlite() {
    who_acknowledged_and_who_not(sqlite().await).await;
}

#[tokio::test]
async fn who_acknowledged_and_who_not_on_postgres() {
    if let Some(bot) = postgres().await {
        who_acknowledged_and_who_not(bot).await;
    }
}

#[tokio::test]
async fn reminder_button_and_one_escalation_per_recipient_on_sqlite() {
    reminder_button_and_one_escalation_per_recipient(sqlite().await).await;
}

#[tokio::test]
async fn reminder_button_and_one_escalation_per_recipient_on_postgres() {
    if let Some(bot) = postgres().await {
        reminder_button_and_one_escalation_per_recipient(bot).await;
    }
}

#[tokio::test]
async fn preview_terms_and_numbers_without_gaps_on_sqlite() {
    preview_terms_and_numbers_without_gaps(sqlite().await).await;
}

#[tokio::test]
async fn preview_terms_and_numbers_without_gaps_on_postgres() {
    if let Some(bot) = postgres().await {
        preview_terms_and_numbers_without_gaps(bot).await;
    }
}

/// English: the same words without Chinese punctuation.
#[tokio::test]
async fn english_preview_and_acknowledgements() {
    let bot = spawn_with(Options {
        locale: Locale::En,
        ..Options::default()
    })
    .await;
    let w = world(&bot).await;
    let (id, card) = preview(&bot, w.hmk, w.chief, "severe fire 90m warehouse fire").await;
    assert!(
        card.text.contains("Category: fire")
            && card.text.contains("expiry: 1 h 30 min after sending"),
        "{card}"
    );
    press(
        &bot,
        w.hmk,
        card.message_id,
        w.chief,
        &format!("a:send:{id}"),
    )
    .await;
    everywhere(&bot, &w, "warehouse").await;
    until_recorded(&bot, id, 5).await;
    let copy3 = copy_in(&bot, w.g3, "warehouse").await;
    press(&bot, w.g3, copy3.message_id, w.w3, &format!("a:ack:{id}")).await;
    let card = card_shows(&bot, &card, &["Acknowledged 1: xq.hmk.c1.g3"]).await;
    let info = bot.say(w.hmk, w.chief, "/alert_info A1").await;
    for text in [&card.text, &info.text] {
        assert!(
            text.contains("(三网格员 09:00)")
                && text.contains("Not acknowledged 3:")
                && text.contains("xq.hmk.c1.g5 第五网格 (A post: 五网格员 · B post: 三五B岗)"),
            "{text}"
        );
        assert!(
            !text.contains(['：', '；', '（', '）', '、', '，']),
            "{text}"
        );
    }
}
