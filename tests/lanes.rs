//! Lanes end to end (issue 10): the real bot against the sandbox, on SQLite
//! and on PostgreSQL. An alert issued behind a backlog of replies overtakes it.

mod common;

use common::{Options, TestBot, TestDb, spawn_with};

/// A district whose two grid groups are flooded with commands, then an
/// alert from the street's group: its preview and every copy go out while
/// most of the flood still waits.
async fn alert_overtakes_a_backlog_of_replies(bot: TestBot) {
    bot.small_district().await;
    let root = bot.root;
    let chief = bot.sandbox.add_user("街道主任", Some("chief"));
    bot.grant(chief, "admin", "xq.hmk").await;
    let hmk = bot.bound_group("河门口街道", "xq.hmk", root).await;
    let c1 = bot.bound_group("河门口社区", "xq.hmk.c1", root).await;
    let g3 = bot.bound_group("第三网格", "xq.hmk.c1.g3", root).await;
    let g4 = bot.bound_group("第四网格", "xq.hmk.c1.g4", root).await;
    bot.sandbox.join(hmk, chief);

    // 80 residents ask in each grid group at once: 160 answers, which the
    // groups' 20 a minute take minutes to deliver.
    const ASKED: usize = 80;
    let mut asks = Vec::new();
    for i in 0..ASKED {
        for chat in [g3, g4] {
            let user = bot.sandbox.add_user(&format!("居民{i}"), None);
            bot.sandbox.join(chat, user);
            asks.push((chat, bot.sandbox.send_text(chat, user, "/whoami")));
        }
    }
    bot.settle().await;

    let card = bot
        .say(hmk, chief, "/alert severe 今晚有暴雨，请提醒居民")
        .await;
    let answered = |chat: i64| {
        let asked: Vec<i64> = asks
            .iter()
            .filter(|(c, _)| *c == chat)
            .map(|(_, m)| *m)
            .collect();
        bot.sandbox
            .messages(chat)
            .iter()
            .filter(|m| m.reply_to.is_some_and(|r| asked.contains(&r)))
            .count()
    };
    let backlog_when_previewed = 2 * ASKED - answered(g3) - answered(g4);
    assert!(
        backlog_when_previewed > ASKED,
        "the preview should not have waited for the flood (only {backlog_when_previewed} left)"
    );
    let (_, data) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .unwrap_or_else(|| panic!("no Send button on {card}"));
    bot.sandbox.press_button(hmk, card.message_id, chief, &data);
    let copy = |m: &pingan::sandbox::SentMessage| {
        m.text.contains("平安提示 ·") && !m.text.contains("预览")
    };
    bot.sandbox
        .wait_until("the alert in every group of the subtree", |s| {
            [c1, g3, g4]
                .iter()
                .all(|chat| s.messages(*chat).iter().any(copy))
        })
        .await;
    for chat in [g3, g4] {
        let left = ASKED - answered(chat);
        assert!(
            left > ASKED / 2,
            "the alert reached {chat} only after {} of its {ASKED} answers",
            ASKED - left
        );
    }
}

#[tokio::test]
async fn an_alert_overtakes_a_backlog_on_sqlite() {
    alert_overtakes_a_backlog_of_replies(spawn_with(Options::default()).await).await;
}

#[tokio::test]
async fn an_alert_overtakes_a_backlog_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let bot = spawn_with(Options {
        db: Some(db),
        ..Options::default()
    })
    .await;
    alert_overtakes_a_backlog_of_replies(bot).await;
}

/// New cases that queue up for one grid worker make one card listing them;
/// a press on it answers with that case's card and leaves the list as it is.
async fn new_case_notices_fold_into_one_card(mut bot: TestBot) {
    bot.small_district().await;
    let root = bot.root;
    let worker = bot.sandbox.add_user("王网格员", Some("wang"));
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    bot.start_private(worker).await;
    let g3 = bot.bound_group("第三网格", "xq.hmk.c1.g3", root).await;
    bot.sandbox.join(g3, worker);
    let residents: Vec<i64> = (0..3)
        .map(|i| {
            let r = bot.sandbox.add_user(&format!("居民{i}"), None);
            bot.sandbox.join(g3, r);
            r
        })
        .collect();
    bot.settle().await;
    // The three reports arrive together, as after a busy minute.
    bot.stop().await;
    for (i, r) in residents.iter().enumerate() {
        bot.sandbox
            .send_text(g3, *r, &format!("/report 隐患 楼道{i}号堆放杂物"));
    }
    bot.start().await;
    let card = bot
        .sandbox
        .wait_message("one card of three new cases", |m| {
            m.chat_id == worker && m.text.matches("🆕").count() == 3
        })
        .await;
    assert_eq!(card.buttons().len(), 6, "{card}");
    let notices = |bot: &TestBot| {
        bot.sandbox
            .messages(worker)
            .iter()
            .filter(|m| m.text.contains("🆕"))
            .count()
    };
    assert_eq!(notices(&bot), 1, "one card, not one per case");
    let (_, accept) = card
        .buttons()
        .into_iter()
        .find(|(label, _)| label.contains("受理") && label.contains("#2"))
        .unwrap_or_else(|| panic!("no accept button for #2 on {card}"));
    let before = bot.sandbox.messages(worker).len();
    bot.sandbox
        .press_button(worker, card.message_id, worker, &accept);
    bot.sandbox
        .wait_until("case #2's own card", |s| s.messages(worker).len() > before)
        .await;
    let list = bot
        .sandbox
        .messages(worker)
        .into_iter()
        .find(|m| m.message_id == card.message_id)
        .expect("the list is still there");
    assert_eq!(list.text.matches("🆕").count(), 3, "the list stays a list");
}

#[tokio::test]
async fn new_case_notices_fold_on_sqlite() {
    new_case_notices_fold_into_one_card(spawn_with(Options::default()).await).await;
}

#[tokio::test]
async fn new_case_notices_fold_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let bot = spawn_with(Options {
        db: Some(db),
        ..Options::default()
    })
    .await;
    new_case_notices_fold_into_one_card(bot).await;
}
