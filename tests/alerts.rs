//! Safety alerts end to end: the real bot against the sandbox over HTTP,
//! with a fresh database per test.

mod common;

use std::time::Duration;

use common::TestBot;
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
        .filter(|m| {
            m.text.contains("平安提示 ·") && m.text.contains(&tag) && !m.text.contains("预览")
        })
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

/// `user` presses Send on alert `id`'s preview card.
async fn press_send(bot: &TestBot, chat: i64, card: &SentMessage, user: i64, id: i64) -> String {
    press(bot, chat, card.message_id, user, &format!("a:send:{id}")).await
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

on_both_databases!(broadcast_reaches_the_subtree_and_nothing_else: broadcast_reaches_the_subtree_and_nothing_else_sqlite, broadcast_reaches_the_subtree_and_nothing_else_postgres);

async fn broadcast_reaches_the_subtree_and_nothing_else(bot: TestBot) {
    let d = district(&bot).await;
    let (id, card) = preview(
        &bot,
        d.hmk,
        d.chief,
        "严重 weather 今晚暴雨 <b>注意</b> & 防范",
    )
    .await;
    assert!(card.text.contains("预览"), "{card}");
    assert!(card.text.contains("将发送到 4 个群"), "{card}");
    assert!(card.text.contains("镇/街道 1 · 社区 1 · 网格 2"), "{card}");
    assert!(
        card.html.contains("&lt;b&gt;注意&lt;/b&gt; &amp; 防范"),
        "{}",
        card.html
    );
    for chat in d.hmk_subtree() {
        assert!(
            copies(&bot, chat, id).is_empty(),
            "nothing goes before Send"
        );
    }

    let stranger = bot.sandbox.add_user("路人", None);
    bot.sandbox.join(d.hmk, stranger);
    let toast = press_send(&bot, d.hmk, &card, stranger, id).await;
    assert!(toast.contains("只有发布人"), "{toast}");

    let toast = press_send(&bot, d.hmk, &card, d.chief, id).await;
    assert!(toast.contains("4"), "{toast}");
    let done = finished(&bot, &card, "已送达 4/4 · 失败 0").await;
    assert!(done.buttons().is_empty(), "Send/Cancel gone: {done}");
    bot.settle().await;
    for chat in d.hmk_subtree() {
        let got = copies(&bot, chat, id);
        assert_eq!(got.len(), 1, "chat {chat}: {}", bot.sandbox.dump());
        assert!(got[0].text.contains("今晚暴雨 <b>注意</b> & 防范"));
        assert_eq!(
            got[0].has_button(&format!("a:ack:{id}")),
            chat != d.hmk,
            "severe → Received button, except in the issuing group"
        );
    }
    for chat in d.outside_hmk() {
        assert!(
            copies(&bot, chat, id).is_empty(),
            "chat {chat} is outside xq.hmk"
        );
    }
    // A second press sends nothing more.
    let toast = press_send(&bot, d.hmk, &card, d.chief, id).await;
    assert!(toast.contains("已处理"), "{toast}");
    assert_eq!(bot.sandbox.stats().too_many_requests, 0);
}

on_both_databases!(level_filter_and_cancel_button: level_filter_and_cancel_button_sqlite, level_filter_and_cancel_button_postgres);

async fn level_filter_and_cancel_button(bot: TestBot) {
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.xq, bot.root, "grid fraud 谨防电信诈骗").await;
    assert!(card.text.contains("将发送到 2 个群：网格 2"), "{card}");
    press_send(&bot, d.xq, &card, bot.root, id).await;
    finished(&bot, &card, "已送达 2/2").await;
    bot.settle().await;
    for chat in [d.g3, d.g4] {
        assert_eq!(copies(&bot, chat, id).len(), 1);
    }
    for chat in [d.xq, d.hmk, d.qxp, d.c1, d.qxp_c1] {
        assert!(
            copies(&bot, chat, id).is_empty(),
            "chat {chat} is not a grid"
        );
    }

    let (id2, card2) = preview(&bot, d.xq, bot.root, "另一条").await;
    let toast = press(
        &bot,
        d.xq,
        card2.message_id,
        bot.root,
        &format!("a:drop:{id2}"),
    )
    .await;
    assert!(toast.contains("已取消"), "{toast}");
    finished(&bot, &card2, "已取消，未发送").await;
    let toast = press_send(&bot, d.xq, &card2, bot.root, id2).await;
    assert!(toast.contains("已处理"), "{toast}");
    bot.settle().await;
    for chat in [d.xq, d.g3, d.c1] {
        assert!(copies(&bot, chat, id2).is_empty());
    }
}

on_both_databases!(bad_input_is_explained_and_sends_nothing: bad_input_is_explained_and_sends_nothing_sqlite, bad_input_is_explained_and_sends_nothing_postgres);

async fn bad_input_is_explained_and_sends_nothing(bot: TestBot) {
    let d = district(&bot).await;
    let r = bot.say(d.hmk, d.chief, "/alert").await;
    assert!(
        r.text.contains("请写出提示内容") && r.text.contains("用法：/alert"),
        "{r}"
    );
    let r = bot.say(d.hmk, d.chief, "/alert extreme fire 6h").await;
    assert!(r.text.contains("用法"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alert urgent 暴雨").await;
    assert!(
        r.text.contains("没有「urgent」这个级别") && r.text.contains("用法：/alert"),
        "{r}"
    );
    assert!(
        r.buttons().is_empty(),
        "no preview card for a mistyped severity"
    );
    let long = format!("/alert {}", "雨".repeat(3001));
    let r = bot.say(d.hmk, d.chief, &long).await;
    assert!(r.text.contains("共 3001 字，最多 3000 字"), "{r}");
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
            bot.sandbox
                .messages(chat)
                .iter()
                .all(|m| !m.text.contains("平安提示 ·")),
            "nothing was sent"
        );
    }
}

on_both_databases!(rate_limit_and_server_errors_mid_broadcast: rate_limit_and_server_errors_mid_broadcast_sqlite, rate_limit_and_server_errors_mid_broadcast_postgres);

async fn rate_limit_and_server_errors_mid_broadcast(bot: TestBot) {
    let d = district(&bot).await;
    bot.sandbox.inject(
        "sendMessage",
        Some(d.g3),
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    bot.sandbox
        .inject("sendMessage", Some(d.g4), 1, Fault::ServerError(502));
    let (id, card) = preview(&bot, d.hmk, d.chief, "moderate 大风降温").await;
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    // The 5xx stalls g4's send (teloxide waits 10 s), not the others.
    bot.sandbox
        .wait_until("the others to be reached", |s| {
            [d.hmk, d.c1, d.g3].iter().all(|c| {
                s.messages(*c)
                    .iter()
                    .any(|m| m.text.contains(&format!("（A{id}）")))
            })
        })
        .await;
    assert!(
        copies(&bot, d.g4, id).is_empty(),
        "g4 is still waiting on its 5xx"
    );
    eventually(&bot, 4, |b| copies(b, d.g4, id).len() == 1).await;
    finished(&bot, &card, "已送达 4/4 · 失败 0").await;
    for chat in d.hmk_subtree() {
        assert_eq!(copies(&bot, chat, id).len(), 1, "chat {chat}");
    }
    assert_eq!(
        bot.sandbox.stats().too_many_requests,
        1,
        "only the injected 429"
    );
}

on_both_databases!(migrated_group_and_removed_bot: migrated_group_and_removed_bot_sqlite, migrated_group_and_removed_bot_postgres);

async fn migrated_group_and_removed_bot(bot: TestBot) {
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "一般 traffic 道路施工").await;
    let supergroup = bot.sandbox.migrate(d.g3);
    bot.sandbox.inject(
        "sendMessage",
        Some(d.g4),
        1,
        Fault::Forbidden("bot was kicked from the group chat".into()),
    );
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    let done = finished(&bot, &card, "已送达 3/4 · 失败 1").await;
    assert!(
        done.text.contains("xq.hmk.c1.g4") && done.text.contains("机器人已不在该群"),
        "{done}"
    );
    assert_eq!(
        copies(&bot, supergroup, id).len(),
        1,
        "{}",
        bot.sandbox.dump()
    );
    assert!(copies(&bot, d.g3, id).is_empty());
    // The group that removed the bot is inactive: the next alert skips it.
    let (_, card2) = preview(&bot, d.hmk, d.chief, "第二条").await;
    assert!(card2.text.contains("将发送到 3 个群"), "{card2}");
}

on_both_databases!(restart_mid_broadcast_finishes_without_loss: restart_mid_broadcast_finishes_without_loss_sqlite, restart_mid_broadcast_finishes_without_loss_postgres);

async fn restart_mid_broadcast_finishes_without_loss(mut bot: TestBot) {
    let d = district(&bot).await;
    // Every group has had its welcome: nothing of the set-up is left to send.
    let groups = [d.xq, d.hmk, d.qxp, d.c1, d.g3, d.g4, d.qxp_c1];
    bot.sandbox
        .wait_until("every welcome", |s| {
            groups
                .iter()
                .all(|g| s.messages(*g).iter().any(|m| m.text.contains("平安机器人")))
        })
        .await;
    bot.stop().await;
    // The preview card, then two copies (the issuing group's rides in the
    // card's lane, first); then this process stops sending.
    bot.settings.send_limits.stop_after_sends = Some(3);
    bot.start().await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "特别严重 fire 山火").await;
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    bot.sandbox
        .wait_until("two copies out", |s| {
            d.hmk_subtree()
                .iter()
                .filter(|c| {
                    s.messages(**c)
                        .iter()
                        .any(|m| m.text.contains(&format!("（A{id}）")))
                })
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

on_both_databases!(edit_and_cancel_every_copy: edit_and_cancel_every_copy_sqlite, edit_and_cancel_every_copy_postgres);

async fn edit_and_cancel_every_copy(bot: TestBot) {
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "严重 fire 仓库起火").await;
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    finished(&bot, &card, "已送达 4/4").await;

    let worker = bot.sandbox.add_user("网格员", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    bot.sandbox.join(d.g3, worker);
    let r = bot
        .say(d.g3, worker, &format!("/alert_edit A{id} 改一下"))
        .await;
    assert!(
        r.text.contains("这不属于您") || r.text.contains("没有职务"),
        "{r}"
    );

    let r = bot
        .say(
            d.hmk,
            d.chief,
            &format!("/alert_edit A{id} 仓库火情已控制 <i>"),
        )
        .await;
    assert!(r.text.contains("已更正"), "{r}");
    for chat in d.hmk_subtree() {
        bot.sandbox
            .wait_message("the corrected copy", |m| {
                m.chat_id == chat && m.text.contains("仓库火情已控制 <i>") && m.edits > 0
            })
            .await;
        assert_eq!(copies(&bot, chat, id).len(), 1, "edited, not sent again");
    }

    let r = bot
        .say(d.hmk, d.chief, &format!("/alert_cancel {id} 误报"))
        .await;
    assert!(r.text.contains("已撤销"), "{r}");
    for chat in d.hmk_subtree() {
        bot.sandbox
            .wait_message("the withdrawn copy", |m| {
                m.chat_id == chat
                    && m.text
                        .contains(&format!("平安提示 A{id} 已撤销（原因：误报）"))
            })
            .await;
    }
    finished(&bot, &card, "已撤销").await;
    let r = bot
        .say(d.hmk, d.chief, &format!("/alert_cancel A{id}"))
        .await;
    assert!(r.text.contains("已撤销"), "{r}");
    let r = bot
        .say(d.hmk, d.chief, &format!("/alert_edit A{id} 再改"))
        .await;
    assert!(r.text.contains("不能再修改"), "{r}");
    let r = bot.say(d.hmk, d.chief, &format!("/alert_info A{id}")).await;
    assert!(
        r.text.contains("网格：已送达 2 · 失败 0 · 待发 0") && r.text.contains("误报"),
        "{r}"
    );
    let r = bot.say(d.hmk, d.chief, "/alerts").await;
    assert!(
        r.text.contains(&format!("A{id}")) && r.text.contains("已撤销"),
        "{r}"
    );
}

on_both_databases!(acknowledgement_reminder_and_escalation: acknowledgement_reminder_and_escalation_sqlite, acknowledgement_reminder_and_escalation_postgres);

async fn acknowledgement_reminder_and_escalation(bot: TestBot) {
    let d = district(&bot).await;
    for chat in d.hmk_subtree() {
        bot.sandbox.promote(chat, bot.sandbox.bot_id());
    }
    let worker3 = bot.sandbox.add_user("三网格员", None);
    bot.grant(worker3, "worker", "xq.hmk.c1.g3").await;
    bot.sandbox.join(d.g3, worker3);
    let backup4 = bot.sandbox.add_user("四网格B岗", None);
    let r = bot
        .say(
            bot.root,
            bot.root,
            &format!("/grant {backup4} police xq.hmk.c1.g4 backup"),
        )
        .await;
    assert!(r.text.contains('✅'), "{r}");
    bot.start_private(backup4).await;
    let resident = bot.sandbox.add_user("居民", None);
    bot.sandbox.join(d.g4, resident);

    let (id, card) = preview(&bot, d.hmk, d.chief, "extreme geological grid 山体滑坡风险").await;
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    finished(&bot, &card, "已送达 2/2").await;
    let copy3 = bot
        .sandbox
        .wait_message("g3 copy pinned", |m| m.chat_id == d.g3 && m.pinned)
        .await;
    bot.sandbox
        .wait_message("g4 copy pinned", |m| m.chat_id == d.g4 && m.pinned)
        .await;
    let copy4 = copies(&bot, d.g4, id).remove(0);

    let data = format!("a:ack:{id}");
    let toast = press(&bot, d.g4, copy4.message_id, resident, &data).await;
    assert!(toast.contains("谢谢"), "{toast}");
    let toast = press(&bot, d.g3, copy3.message_id, worker3, &data).await;
    assert!(toast.contains("已确认收到"), "{toast}");

    bot.clock.advance(30 * 60 + 1);
    bot.app().tick().await;
    bot.sandbox
        .wait_message("a reminder in g4", |m| {
            m.chat_id == d.g4 && m.text.contains("尚未确认") && m.reply_to == Some(copy4.message_id)
        })
        .await;
    bot.app().tick().await; // idempotent: no second reminder
    bot.clock.advance(30 * 60 + 1);
    bot.app().tick().await;
    bot.sandbox
        .wait_message("escalation to the parent group", |m| {
            m.chat_id == d.c1 && m.text.contains("xq.hmk.c1.g4") && m.text.contains("仍未确认")
        })
        .await;
    bot.sandbox
        .wait_message("escalation to the B post", |m| {
            m.chat_id == backup4 && m.text.contains("仍未确认")
        })
        .await;
    bot.settle().await;
    let reminders = |chat: i64| {
        bot.sandbox
            .messages(chat)
            .iter()
            .filter(|m| m.text.contains("尚未确认"))
            .count()
    };
    assert_eq!(reminders(d.g4), 1);
    assert_eq!(reminders(d.g3), 0, "g3 acknowledged");
    assert!(
        !bot.sandbox
            .messages(d.hmk)
            .iter()
            .any(|m| m.text.contains("仍未确认"))
    );

    let r = bot.say(d.hmk, d.chief, &format!("/alert_info {id}")).await;
    assert!(
        r.text.contains("已确认 1：xq.hmk.c1.g3") && r.text.contains("未确认 1：xq.hmk.c1.g4"),
        "{r}"
    );
    bot.say(d.hmk, d.chief, &format!("/alert_cancel {id}"))
        .await;
    bot.sandbox
        .wait_until("copies unpinned", |s| {
            [d.g3, d.g4]
                .iter()
                .all(|c| s.messages(*c).iter().all(|m| !m.pinned))
        })
        .await;
}

on_both_databases!(recurring_alert_fires_once_per_occurrence: recurring_alert_fires_once_per_occurrence_sqlite, recurring_alert_fires_once_per_occurrence_postgres);

async fn recurring_alert_fires_once_per_occurrence(mut bot: TestBot) {
    let d = district(&bot).await;
    // The test clock starts at 09:00 Shanghai; the next 09:30 is due in 30 minutes.
    let r = bot
        .say(
            d.hmk,
            d.chief,
            "/schedule daily 09:30 grid 每日防火巡查提醒",
        )
        .await;
    assert!(r.text.contains("S1"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/schedule sometimes 提醒").await;
    assert!(
        r.text.contains("看不懂时间") && r.text.contains("用法"),
        "{r}"
    );
    let r = bot.say(d.hmk, d.chief, "/schedules").await;
    assert!(
        r.text.contains("S1") && r.text.contains("daily 09:30"),
        "{r}"
    );
    bot.app().tick().await;
    bot.clock.advance(31 * 60);
    bot.app().tick().await;
    bot.app().tick().await;
    let count = |b: &TestBot| {
        b.sandbox
            .messages(d.g3)
            .iter()
            .filter(|m| m.text.contains("每日防火巡查提醒"))
            .count()
    };
    bot.sandbox
        .wait_until("the first occurrence", |_| count(&bot) == 1)
        .await;
    bot.restart().await;
    bot.app().tick().await;
    bot.clock.advance(24 * 3600);
    bot.app().tick().await;
    bot.sandbox
        .wait_until("the second occurrence", |_| count(&bot) == 2)
        .await;
    bot.settle().await;
    assert_eq!(count(&bot), 2);
    let r = bot.say(d.hmk, d.chief, "/unschedule S1").await;
    assert!(r.text.contains("已取消"), "{r}");
    bot.clock.advance(24 * 3600);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count(&bot), 2);
}

/// `/schedule 0 9 * * 1` is Monday 09:00 district time (it fired on Sunday
/// when `/schedule` handed the crate 1 = Sunday); schedules more often than
/// every 15 minutes are refused and change nothing; `/schedules` shows the
/// next run.
async fn monday_schedule_fires_on_monday(bot: TestBot) {
    let d = district(&bot).await;
    // The clock starts on Friday 2026-11-27 09:00 Shanghai.
    let r = bot
        .say(d.hmk, d.chief, "/schedule 0 9 * * 1 grid 周一例会提醒")
        .await;
    assert!(
        r.text.contains("S1") && r.text.contains("下次：2026-11-30 09:00 周一"),
        "{r}"
    );
    for (every_second, what) in [
        ("/schedule * * * * * * grid 每秒提醒", "每 1 秒"),
        ("/schedule */5 * * * * grid 每五分钟提醒", "每 5 分钟"),
    ] {
        let r = bot.say(d.hmk, d.chief, every_second).await;
        assert!(
            r.text.contains("太频繁") && r.text.contains(what) && r.text.contains("15 分钟"),
            "{r}"
        );
    }
    let r = bot.say(d.hmk, d.chief, "/schedules").await;
    assert!(
        r.text
            .contains("S1 · xq.hmk · 0 9 * * 1 · 下次 2026-11-30 09:00 周一"),
        "{r}"
    );
    assert!(
        !r.text.contains("S2") && !r.text.contains("每秒") && !r.text.contains("每五分钟"),
        "{r}"
    );
    let sent = |b: &TestBot| {
        b.sandbox
            .messages(d.g3)
            .iter()
            .filter(|m| m.text.contains("周一例会提醒"))
            .count()
    };
    bot.app().tick().await;
    // Sunday 09:00, then Monday 08:59: nothing (a tick queues what is due before it returns).
    for step in [2 * 86_400, 86_400 - 60] {
        bot.clock.advance(step);
        bot.app().tick().await;
        let r = bot.say(d.hmk, d.chief, "/alerts").await;
        assert!(r.text.contains("还没有平安提示"), "{r}");
    }
    assert_eq!(sent(&bot), 0);
    // Monday 09:00: the alert goes out, once.
    bot.clock.advance(60);
    bot.app().tick().await;
    bot.clock.advance(60);
    bot.app().tick().await;
    bot.sandbox
        .wait_until("the Monday alert", |_| sent(&bot) == 1)
        .await;
    let r = bot.say(d.hmk, d.chief, "/schedules").await;
    assert!(r.text.contains("下次 2026-12-07 09:00 周一"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alerts").await;
    assert!(r.text.contains("A1") && !r.text.contains("A2"), "{r}");
}

on_both_databases!(monday_schedule_fires_on_monday: monday_schedule_fires_on_monday_sqlite, monday_schedule_fires_on_monday_postgres);

on_both_databases!(schedules_from_before_the_stored_next_run: schedules_from_before_the_stored_next_run_sqlite, schedules_from_before_the_stored_next_run_postgres);

/// Rows made before the next run was stored (or before the one parser): the
/// job fills in the next run, reading the schedule the standard way, and
/// stops one that fires too often.
async fn schedules_from_before_the_stored_next_run(bot: TestBot) {
    use pingan::domain::NodeCode;
    use pingan::store::schedules::{self, Schedule};
    let d = district(&bot).await;
    let legacy = |spec: &str, cron: &str| Schedule {
        id: 0,
        node: NodeCode::parse("xq.hmk").unwrap(),
        chat_id: d.hmk,
        creator: d.chief,
        spec: spec.into(),
        cron: cron.into(),
        args: "grid 旧的定时提示".into(),
        created_at: common::T0 - 3600,
        next_due: None,
    };
    let (monday, every_second) = {
        let mut c = bot.app().store.conn().await.unwrap();
        (
            schedules::insert(
                &mut c,
                &legacy("0 9 * * 1", "0 0 9 * * 1"),
                common::T0 - 3600,
            )
            .await
            .unwrap(),
            schedules::insert(
                &mut c,
                &legacy("* * * * * *", "* * * * * *"),
                common::T0 - 3600,
            )
            .await
            .unwrap(),
        )
    };
    bot.app().tick().await;
    let mut c = bot.app().store.conn().await.unwrap();
    let got = schedules::get_active(&mut c, monday)
        .await
        .unwrap()
        .unwrap();
    // Monday 2026-11-30 09:00 Shanghai.
    assert_eq!(got.next_due, Some(common::T0 + 3 * 86_400));
    assert!(
        schedules::get_active(&mut c, every_second)
            .await
            .unwrap()
            .is_none()
    );
    drop(c);
    let r = bot.say(d.hmk, d.chief, "/alerts").await;
    assert!(r.text.contains("还没有平安提示"), "{r}");
}

on_both_databases!(too_frequent_schedule_refused_in_english(common::Options { locale: pingan::i18n::Locale::En, ..common::Options::default() }): too_frequent_schedule_refused_in_english_sqlite, too_frequent_schedule_refused_in_english_postgres);

/// The refusal in English with `PINGAN_LOCALE=en`.
async fn too_frequent_schedule_refused_in_english(bot: TestBot) {
    let d = district(&bot).await;
    let r = bot
        .say(d.hmk, d.chief, "/schedule */5 * * * * every five minutes")
        .await;
    assert!(
        r.text.contains("Too often") && r.text.contains("every 5 minutes"),
        "{r}"
    );
    let r = bot.say(d.hmk, d.chief, "/schedules").await;
    assert!(r.text.contains("No recurring alerts"), "{r}");
    let r = bot
        .say(d.hmk, d.chief, "/schedule weekly mon 09:00 Monday meeting")
        .await;
    assert!(r.text.contains("next: 2026-11-30 09:00 Mon"), "{r}");
}

on_both_databases!(broadcast_edit_and_ack: broadcast_edit_and_ack_sqlite, broadcast_edit_and_ack_postgres);

async fn broadcast_edit_and_ack(bot: TestBot) {
    let d = district(&bot).await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "severe crime 6h 注意防盗").await;
    press_send(&bot, d.hmk, &card, d.chief, id).await;
    finished(&bot, &card, "已送达 4/4 · 失败 0").await;
    let copy = copies(&bot, d.g3, id).remove(0);
    assert!(copy.text.contains("有效至"), "{copy}");
    let toast = press(
        &bot,
        d.g3,
        copy.message_id,
        bot.root,
        &format!("a:ack:{id}"),
    )
    .await;
    assert!(toast.contains("已确认收到"), "{toast}");
    let r = bot
        .say(
            d.hmk,
            d.chief,
            &format!("/alert_edit {id} 注意防盗，锁好门窗"),
        )
        .await;
    assert!(r.text.contains("已更正"), "{r}");
    let r = bot.say(d.hmk, d.chief, &format!("/alert_info A{id}")).await;
    assert!(r.text.contains("已确认 1：xq.hmk.c1.g3"), "{r}");
    let r = bot.say(d.hmk, d.chief, "/alerts").await;
    assert!(r.text.contains(&format!("A{id}")), "{r}");
    bot.clock.advance(6 * 3600 + 1);
    bot.app().tick().await;
    let r = bot.say(d.hmk, d.chief, &format!("/alert_info A{id}")).await;
    assert!(r.text.contains("已过期"), "{r}");
}

/// Many sends of one alert recorded at once on PostgreSQL (issue 11): each
/// recorded send refreshes the progress card in its own READ COMMITTED
/// transaction, as the dispatcher's send tasks do. However they interleave,
/// the card is left with exactly one waiting edit, showing every copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_leave_one_waiting_card_edit_on_postgres() {
    use pingan::alerts::broadcast::{self, ProgressHook};
    use pingan::domain::NodeCode;
    use pingan::domain::alert::{Category, Draft, Severity};
    use pingan::i18n::Locale;
    use pingan::outbox::SendHook;
    use pingan::store::outbox::{self as rows, Lane, Outgoing};
    use pingan::store::{Store, alerts as alert_rows, groups, nodes};
    use sqlx::Row;
    use std::sync::Arc;

    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    const GROUPS: i64 = 60;
    let store = Store::open(db.url()).await.unwrap();
    let now = common::T0;
    let issuer_chat = -1_000_000_001;
    let (alert_id, card) = {
        let mut c = store.conn().await.unwrap();
        let root = NodeCode::parse("xq").unwrap();
        nodes::insert(&mut c, &root, "西区", now).await.unwrap();
        for i in 0..=GROUPS {
            let (code, chat) = match i {
                0 => (root.clone(), issuer_chat),
                _ => (
                    NodeCode::parse(&format!("xq.t{i}")).unwrap(),
                    -1_000_000_001 - i,
                ),
            };
            if i > 0 {
                nodes::insert(&mut c, &code, &format!("街道{i}"), now)
                    .await
                    .unwrap();
            }
            groups::seen(&mut c, chat, &format!("群{i}"), true, now)
                .await
                .unwrap();
            groups::bind(&mut c, chat, &code, now).await.unwrap();
        }
        let draft = Draft {
            severity: Severity::Severe,
            category: Category::parse("weather").unwrap(),
            only: None,
            expires_in: None,
            text: "今晚有暴雨".into(),
        };
        let id = alert_rows::insert_draft(&mut c, &root, issuer_chat, 7, &draft, None, now)
            .await
            .unwrap();
        let card = rows::enqueue(
            &mut c,
            &Outgoing::text(issuer_chat, "预览"),
            now,
            pingan::outbox::wall_ms(),
        )
        .await
        .unwrap();
        rows::mark_sent(&mut c, card, Some(1), now).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let queued = broadcast::send(
            &mut tx,
            Locale::Zh,
            chrono_tz::Asia::Shanghai,
            id,
            Some(card),
            now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(queued, Some(GROUPS as usize + 1));
        (id, card)
    };
    let copies = {
        let mut c = store.conn().await.unwrap();
        let mut copies = rows::lane_heads(&mut c, Lane::Urgent, 1000).await.unwrap();
        // The issuing group's copy rides in the card's lane (queued before
        // the card's edit, so it is that chat's head there).
        let issuer_copy = rows::lane_heads(&mut c, Lane::Card, 1000).await.unwrap();
        copies.extend(
            issuer_copy
                .into_iter()
                .filter(|r| r.kind.target().is_none()),
        );
        copies
    };
    assert_eq!(copies.len() as i64, GROUPS + 1);

    // Every copy's send recorded at once, each in its own transaction.
    let hook = Arc::new(ProgressHook {
        locale: Locale::Zh,
        tz: chrono_tz::Asia::Shanghai,
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (i, row) in copies.into_iter().enumerate() {
        let (store, hook) = (store.clone(), hook.clone());
        tasks.spawn(async move {
            let mut tx = store.begin().await.unwrap();
            rows::mark_sent(&mut tx, row.id, Some(100 + i as i64), now)
                .await
                .unwrap();
            hook.after_record(&mut tx, &row, now).await.unwrap();
            tx.commit().await.unwrap();
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("a recorded send");
    }

    let mut c = store.conn().await.unwrap();
    let waiting: Vec<String> = sqlx::query(
        "SELECT text FROM outbox WHERE kind = 'edit' AND edit_of = $1 AND status = 'pending'",
    )
    .bind(card)
    .fetch_all(&mut *c)
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.try_get("text").unwrap())
    .collect();
    assert_eq!(waiting.len(), 1, "waiting card edits: {waiting:#?}");
    let all = GROUPS + 1;
    assert!(
        waiting[0].contains(&format!("已送达 {all}/{all}")),
        "{}",
        waiting[0]
    );
    let alert = alert_rows::get(&mut c, alert_id).await.unwrap().unwrap();
    let latest: i64 =
        sqlx::query("SELECT id FROM outbox WHERE edit_of = $1 AND status = 'pending'")
            .bind(card)
            .fetch_one(&mut *c)
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
    assert_eq!(alert.card_edit_id, Some(latest), "the alert points at it");
}

on_both_databases!(the_card_is_live_behind_a_backlog: the_card_is_live_behind_a_backlog_sqlite, the_card_is_live_behind_a_backlog_postgres);

/// The issuer's card is live (issue 10): with a backlog of replies waiting
/// in the issuer's group and in other groups, and one copy held back by a
/// 429, the card shows the count while copies are still going out, and the
/// final count soon after the last copy.
async fn the_card_is_live_behind_a_backlog(bot: TestBot) {
    let d = district(&bot).await;
    let groups = [d.xq, d.hmk, d.qxp, d.c1, d.g3, d.g4, d.qxp_c1];
    bot.sandbox
        .wait_until("every welcome", |s| {
            groups
                .iter()
                .all(|g| s.messages(*g).iter().any(|m| m.text.contains("平安机器人")))
        })
        .await;
    let (id, card) = preview(&bot, d.hmk, d.chief, "severe 今晚有暴雨，请提醒居民").await;
    // 30 residents ask in the issuer's group and in two others at once:
    // their answers take the groups' pace for a minute and more.
    let mut asked_here = Vec::new();
    for i in 0..30 {
        for chat in [d.hmk, d.c1, d.g3] {
            let user = bot.sandbox.add_user(&format!("居民{i}"), None);
            bot.sandbox.join(chat, user);
            let ask = bot.sandbox.send_text(chat, user, "/whoami");
            if chat == d.hmk {
                asked_here.push(ask);
            }
        }
    }
    bot.settle().await;
    // g4's copy is held back 6 s, so the others are out well before it
    // (and the card has had the per-chat pace to show them).
    bot.sandbox.inject(
        "sendMessage",
        Some(d.g4),
        1,
        Fault::TooManyRequests { retry_after: 6 },
    );
    press_send(&bot, d.hmk, &card, d.chief, id).await;

    let (chat, msg) = (card.chat_id, card.message_id);
    let card_now = |s: &pingan::sandbox::Sandbox| {
        s.messages(chat)
            .into_iter()
            .find(|m| m.message_id == msg)
            .expect("the card")
    };
    let mut counted_midway = None;
    let mut last_copy_at = None;
    let mut final_at = None;
    bot.sandbox
        .wait_until("the card to show the final count", |s| {
            let now = std::time::Instant::now();
            let card = card_now(s);
            let out = d
                .hmk_subtree()
                .iter()
                .filter(|c| !copies(&bot, **c, id).is_empty())
                .count();
            if out < 4 && card.text.contains(&format!("已送达 {out}/4")) && out > 0 {
                counted_midway.get_or_insert((card.text.clone(), card.edits));
            }
            if out == 4 {
                last_copy_at.get_or_insert(now);
            }
            if card.text.contains("已送达 4/4") {
                final_at.get_or_insert(now);
            }
            final_at.is_some() && last_copy_at.is_some()
        })
        .await;
    let (midway, edits) = counted_midway.unwrap_or_else(|| {
        panic!(
            "the card was not edited while copies were going out\n{}",
            bot.sandbox.dump()
        )
    });
    assert!(edits >= 1 && midway.contains("发送中"), "{midway}");
    let lag = final_at
        .unwrap()
        .saturating_duration_since(last_copy_at.unwrap());
    assert!(
        lag <= Duration::from_secs(2),
        "the final count came {lag:?} after the last copy"
    );
    let done = card_now(&bot.sandbox);
    assert!(done.text.contains("已送达 4/4 · 失败 0"), "{done}");
    // The backlog was still waiting: the card did not wait for it.
    let answered = bot
        .sandbox
        .messages(d.hmk)
        .iter()
        .filter(|m| m.reply_to.is_some_and(|r| asked_here.contains(&r)))
        .count();
    assert!(answered < 30, "the card waited for {answered} answers");
}
