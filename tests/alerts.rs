//! Safety alerts end to end: the real bot against the sandbox over HTTP,
//! with a fresh database per test.

mod common;

use std::time::Duration;

use common::{TestBot, spawn};
use pingan::sandbox::{Fault, SentMessage};

struct District {
    xq: i64,
    hmk: i64,
    qxp: i64,
    c1: i64,
    g3: i64,
    g4: i64,
    qxp_c1: i64,
    /// Admin of xq.hmk.
    chief: i64,
}

impl District {
    fn hmk_subtree(&self) -> [i64; 4] {
        [self.hmk, self.c1, self.g3, self.g4]
    }
    fn outside_hmk(&self) -> [i64; 3] {
        [self.xq, self.qxp, self.qxp_c1]
    }
}

async fn district(bot: &TestBot) -> District {
    bot.small_district().await;
    let root = bot.root;
    let chief = bot.sandbox.add_user("街道主任", Some("chief"));
    bot.grant(chief, "admin", "xq.hmk").await;
    let d = District {
        xq: bot.bound_group("西区", "xq", root).await,
        hmk: bot.bound_group("河门口街道", "xq.hmk", root).await,
        qxp: bot.bound_group("清香坪街道", "xq.qxp", root).await,
        c1: bot.bound_group("河门口社区", "xq.hmk.c1", root).await,
        g3: bot.bound_group("第三网格", "xq.hmk.c1.g3", root).await,
        g4: bot.bound_group("第四网格", "xq.hmk.c1.g4", root).await,
        qxp_c1: bot.bound_group("清香坪社区", "xq.qxp.c1", root).await,
        chief,
    };
    bot.sandbox.join(d.hmk, chief);
    d
}

/// Copies of alert `id` in `chat`.
fn copies(bot: &TestBot, chat: i64, id: i64) -> Vec<SentMessage> {
    let tag = format!("（A{id}）");
    bot.sandbox
        .messages(chat)
        .into_iter()
        .filter(|m| m.text.contains("平安提示") && m.text.contains(&tag))
        .collect()
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

/// Issues an alert in `chat` and returns (alert id, preview card).
async fn preview(bot: &TestBot, chat: i64, user: i64, args: &str) -> (i64, SentMessage) {
    let card = bot.say(chat, user, &format!("/alert {args}")).await;
    let (_, data) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .unwrap_or_else(|| panic!("no Send button on {card}"));
    (data["a:send:".len()..].parse().unwrap(), card)
}

/// Waits for the card to say every copy is accounted for.
async fn finished(bot: &TestBot, card: &SentMessage, expect: &str) -> SentMessage {
    let (chat, id) = (card.chat_id, card.message_id);
    bot.sandbox
        .wait_message(&format!("the card to show {expect}"), |m| {
            m.chat_id == chat && m.message_id == id && m.text.contains(expect)
        })
        .await
}

/// Like `wait_until`, for conditions that take longer than one wait (a 5xx
/// costs teloxide 10 s): waits in rounds, each cut short before it panics.
async fn eventually(bot: &TestBot, rounds: u32, cond: impl Fn(&TestBot) -> bool + Copy) {
    for _ in 0..rounds {
        let waited = tokio::time::timeout(
            Duration::from_secs(9),
            bot.sandbox.wait_until("a slow condition", |_| cond(bot)),
        )
        .await;
        if waited.is_ok() {
            return;
        }
    }
    panic!("condition never held\n{}", bot.sandbox.dump());
}

#[tokio::test]
async fn broadcast_reaches_the_subtree_and_nothing_else() {
    let bot = spawn().await;
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "严重 weather 今晚暴雨 <b>注意</b> & 防范").await;
    assert!(card.text.contains("预览"), "{card}");
    assert!(card.text.contains("将发送到 4 个群"), "{card}");
    assert!(card.text.contains("镇/街道 1 · 社区 1 · 网格 2"), "{card}");
    assert!(card.html.contains("&lt;b&gt;注意&lt;/b&gt; &amp; 防范"), "{}", card.html);
    for chat in d.hmk_subtree() {
        assert!(copies(&bot, chat, id).is_empty(), "nothing goes before Send");
    }

    let stranger = bot.sandbox.add_user("路人", None);
    bot.sandbox.join(d.hmk, stranger);
    let toast = press(&bot, d.hmk, card.message_id, stranger, &format!("a:send:{id}")).await;
    assert!(toast.contains("只有发布人"), "{toast}");

    let toast = press(&bot, d.hmk, card.message_id, d.chief, &format!("a:send:{id}")).await;
    assert!(toast.contains("4"), "{toast}");
    let done = finished(&bot, &card, "已送达 4/4 · 失败 0").await;
    assert!(done.buttons().is_empty(), "Send/Cancel gone: {done}");
    bot.settle().await;
    for chat in d.hmk_subtree() {
        let got = copies(&bot, chat, id);
        assert_eq!(got.len(), 1, "chat {chat}: {}", bot.sandbox.dump());
        assert!(got[0].text.contains("今晚暴雨 <b>注意</b> & 防范"));
        assert!(got[0].has_button(&format!("a:ack:{id}")), "severe → Received button");
    }
    for chat in d.outside_hmk() {
        assert!(copies(&bot, chat, id).is_empty(), "chat {chat} is outside xq.hmk");
    }
    // A second press sends nothing more.
    let toast = press(&bot, d.hmk, card.message_id, d.chief, &format!("a:send:{id}")).await;
    assert!(toast.contains("已处理"), "{toast}");
    assert_eq!(bot.sandbox.stats().too_many_requests, 0);
}

#[tokio::test]
async fn level_filter_and_cancel_button() {
    let bot = spawn().await;
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.xq, bot.root, "grid fraud 谨防电信诈骗").await;
    assert!(card.text.contains("将发送到 2 个群：网格 2"), "{card}");
    press(&bot, d.xq, card.message_id, bot.root, &format!("a:send:{id}")).await;
    finished(&bot, &card, "已送达 2/2").await;
    bot.settle().await;
    for chat in [d.g3, d.g4] {
        assert_eq!(copies(&bot, chat, id).len(), 1);
    }
    for chat in [d.xq, d.hmk, d.qxp, d.c1, d.qxp_c1] {
        assert!(copies(&bot, chat, id).is_empty(), "chat {chat} is not a grid");
    }

    let (id2, card2) = preview(&bot, d.xq, bot.root, "另一条").await;
    let toast = press(&bot, d.xq, card2.message_id, bot.root, &format!("a:drop:{id2}")).await;
    assert!(toast.contains("已取消"), "{toast}");
    finished(&bot, &card2, "已取消，未发送").await;
    let toast = press(&bot, d.xq, card2.message_id, bot.root, &format!("a:send:{id2}")).await;
    assert!(toast.contains("已处理"), "{toast}");
    bot.settle().await;
    for chat in [d.xq, d.g3, d.c1] {
        assert!(copies(&bot, chat, id2).is_empty());
    }
}

#[tokio::test]
async fn bad_input_is_explained_and_sends_nothing() {
    let bot = spawn().await;
    let d = district(&bot).await;
    let r = bot.say(d.hmk, d.chief, "/alert").await;
    assert!(r.text.contains("请写出提示内容") && r.text.contains("用法：/alert"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alert extreme fire 6h").await;
    assert!(r.text.contains("用法"), "{r}");
    let long = format!("/alert {}", "雨".repeat(3501));
    let r = bot.say(d.hmk, d.chief, &long).await;
    assert!(r.text.contains("最多 3500 字"), "{r}");
    let r = bot.say(d.chief, d.chief, "/alert 私聊发布").await;
    assert!(r.text.contains("已绑定节点的群"), "{r}");
    let resident = bot.sandbox.add_user("居民", None);
    bot.sandbox.join(d.g3, resident);
    let r = bot.say(d.g3, resident, "/alert 我也想发").await;
    assert!(r.text.contains("没有职务"), "{r}");
    // The chief of xq.hmk may not alert the district.
    bot.sandbox.join(d.xq, d.chief);
    let r = bot.say(d.xq, d.chief, "/alert 越权").await;
    assert!(r.text.contains("没有职务"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alert_info A99").await;
    assert!(r.text.contains("没有提示 A99"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alert_cancel xyz").await;
    assert!(r.text.contains("不是提示编号"), "{r}");
    assert!(r.buttons().is_empty());
    bot.settle().await;
    for chat in [d.xq, d.c1, d.g3, d.g4] {
        assert!(
            bot.sandbox.messages(chat).iter().all(|m| !m.text.contains("平安提示")),
            "nothing was sent"
        );
    }
}

#[tokio::test]
async fn rate_limit_and_server_errors_mid_broadcast() {
    let bot = spawn().await;
    let d = district(&bot).await;
    bot.sandbox.inject(
        "sendMessage",
        Some(d.g3),
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    bot.sandbox.inject("sendMessage", Some(d.g4), 1, Fault::ServerError(502));
    let (id, card) = preview(&bot, d.hmk, d.chief, "moderate 大风降温").await;
    press(&bot, d.hmk, card.message_id, d.chief, &format!("a:send:{id}")).await;
    // The 5xx stalls g4's send (teloxide waits 10 s), not the others.
    bot.sandbox
        .wait_until("the others to be reached", |s| {
            [d.hmk, d.c1, d.g3].iter().all(|c| {
                s.messages(*c).iter().any(|m| m.text.contains(&format!("（A{id}）")))
            })
        })
        .await;
    assert!(copies(&bot, d.g4, id).is_empty(), "g4 is still waiting on its 5xx");
    eventually(&bot, 4, |b| copies(b, d.g4, id).len() == 1).await;
    finished(&bot, &card, "已送达 4/4 · 失败 0").await;
    for chat in d.hmk_subtree() {
        assert_eq!(copies(&bot, chat, id).len(), 1, "chat {chat}");
    }
    assert_eq!(bot.sandbox.stats().too_many_requests, 1, "only the injected 429");
}

#[tokio::test]
async fn migrated_group_and_removed_bot() {
    let bot = spawn().await;
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "一般 traffic 道路施工").await;
    let supergroup = bot.sandbox.migrate(d.g3);
    bot.sandbox.inject(
        "sendMessage",
        Some(d.g4),
        1,
        Fault::Forbidden("bot was kicked from the group chat".into()),
    );
    press(&bot, d.hmk, card.message_id, d.chief, &format!("a:send:{id}")).await;
    let done = finished(&bot, &card, "已送达 3/4 · 失败 1").await;
    assert!(done.text.contains("xq.hmk.c1.g4") && done.text.contains("机器人已不在该群"), "{done}");
    assert_eq!(copies(&bot, supergroup, id).len(), 1, "{}", bot.sandbox.dump());
    assert!(copies(&bot, d.g3, id).is_empty());
    // The group that removed the bot is inactive: the next alert skips it.
    let (_, card2) = preview(&bot, d.hmk, d.chief, "第二条").await;
    assert!(card2.text.contains("将发送到 3 个群"), "{card2}");
}

#[tokio::test]
async fn restart_mid_broadcast_finishes_without_loss() {
    let mut bot = spawn().await;
    let d = district(&bot).await;
    bot.stop().await;
    // The preview card, then two copies; then this process stops sending.
    bot.settings.send_limits.stop_after_sends = Some(3);
    bot.start().await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "特别严重 fire 山火").await;
    press(&bot, d.hmk, card.message_id, d.chief, &format!("a:send:{id}")).await;
    bot.sandbox
        .wait_until("two copies out", |s| {
            d.hmk_subtree()
                .iter()
                .filter(|c| s.messages(**c).iter().any(|m| m.text.contains(&format!("（A{id}）"))))
                .count()
                == 2
        })
        .await;
    bot.stop().await;
    bot.settings.send_limits.stop_after_sends = None;
    bot.start().await;
    finished(&bot, &card, "已送达 4/4").await;
    for chat in d.hmk_subtree() {
        let n = copies(&bot, chat, id).len();
        assert!((1..=2).contains(&n), "chat {chat} got {n} copies");
    }
}
