//! The bot in English (`PINGAN_LOCALE=en`) through a scripted day of a
//! case and an alert: every reply, card, notice and report the bot sends
//! must read as English — no Chinese punctuation, no raw keys, no
//! "1 cases", and no Chinese text except the names and node titles this
//! test itself created.

mod common;

use common::TestBot;
use pingan::sandbox::SentMessage;

/// Names and titles the test gives in Chinese (the district's nodes, the
/// superadmin); anything else Chinese in the bot's English is a bug.
const ALLOWED: &[&str] = &[
    "河门口街道",
    "清香坪街道",
    "河门口社区",
    "清香坪社区",
    "第三网格",
    "第四网格",
    "西区",
    "超级管理员",
];

const RAW: &[&str] = &[
    "followup",
    "in_progress",
    "start work on",
    "Done: accept",
    " 1 cases",
    "1 groups",
    "cannot record as failed it",
    "(1 cases",
    "basically",
    "unsatisfied",
];

fn problems(what: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text.to_string();
    for a in ALLOWED {
        rest = rest.replace(a, "");
    }
    for p in ['（', '）', '：', '，', '。', '、', '；'] {
        if rest.contains(p) {
            found.push(format!("{what}: Chinese punctuation {p:?} in {text:?}"));
        }
    }
    for raw in RAW {
        if rest.contains(raw) {
            found.push(format!("{what}: raw {raw:?} in {text:?}"));
        }
    }
    let han: String = rest
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c) || ('\u{3400}'..='\u{4dbf}').contains(c))
        .collect();
    if !han.is_empty() {
        found.push(format!("{what}: Chinese {han:?} in {text:?}"));
    }
    found
}

async fn wait_text(bot: &TestBot, chat: i64, needle: &str) -> SentMessage {
    bot.sandbox
        .wait_message(&format!("{needle:?} in chat {chat}"), |m| {
            m.chat_id == chat && m.text.contains(needle)
        })
        .await
}

#[tokio::test]
async fn a_day_in_english_reads_as_english() {
    let bot = common::spawn_en().await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("Wang", Some("wang"));
    let admin = bot.sandbox.add_user("Li", None);
    let resident = bot.sandbox.add_user("Zhang", Some("zhang"));
    for u in [worker, admin, resident] {
        bot.start_private(u).await;
    }
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    bot.grant(admin, "admin", "xq.hmk").await;
    let group = bot.bound_group("Grid three", "xq.hmk.c1.g3", worker).await;
    bot.sandbox.join(group, resident);

    let mut replies: Vec<(String, String)> = Vec::new();
    let mut say = async |chat: i64, user: i64, text: &str| {
        let r = bot.say(chat, user, text).await;
        replies.push((text.to_string(), r.text.clone()));
        r
    };
    say(
        group,
        resident,
        "/report dispute water leaking from upstairs",
    )
    .await;
    let notice = wait_text(&bot, worker, "new case #1").await;
    let q = bot
        .sandbox
        .press_button(worker, notice.message_id, worker, "c:s:1:accept");
    bot.sandbox
        .wait_until("the accept button's answer", |s| {
            s.callback_answers().iter().any(|a| a.query_id == q)
        })
        .await;
    say(
        worker,
        worker,
        "/note 1 the neighbour upstairs is hard to reach",
    )
    .await;
    say(worker, worker, "/update 1 we will visit tomorrow morning").await;
    say(worker, worker, "/resolve 1 the pipe is fixed").await;
    say(worker, worker, "/help 1").await;
    say(worker, worker, "/fail 1 no agreement").await;
    bot.clock.advance(2 * 86_400);
    bot.app().tick().await;
    let q = bot
        .sandbox
        .wait_message("the follow-up question", |m| {
            m.chat_id == resident && m.has_button("c:r:1:basically")
        })
        .await;
    let q = bot
        .sandbox
        .press_button(resident, q.message_id, resident, "c:r:1:basically");
    bot.sandbox
        .wait_until("the rating's answer", |s| {
            s.callback_answers().iter().any(|a| a.query_id == q)
        })
        .await;
    wait_text(&bot, resident, "fairly satisfied").await;
    say(resident, resident, "/case 1").await;
    say(resident, resident, "/mycases").await;
    say(worker, worker, "/case 1").await;
    say(worker, worker, "/cases all").await;
    say(admin, admin, "/cases all").await;
    say(admin, admin, "/stats today").await;
    let district = bot.bound_group("District", "xq", bot.root).await;
    let preview = say(
        district,
        bot.root,
        "/alert severe heavy rain tonight, stay indoors",
    )
    .await;
    assert!(!preview.buttons().is_empty(), "{preview}");
    // Sent: the copy, the live card, /alert_info and /alerts; then the day
    // goes on to the daily report, the reminder and the escalation.
    let (_, send) = preview
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .expect("a Send button");
    bot.sandbox
        .press_button(district, preview.message_id, bot.root, &send);
    wait_text(&bot, group, "heavy rain tonight").await;
    say(district, bot.root, "/alert_info A1").await;
    say(district, bot.root, "/alerts").await;
    say(district, bot.root, "/schedule daily 09:00 check the drains").await;
    say(district, bot.root, "/schedules").await;
    say(district, bot.root, "/tree").await;
    say(district, bot.root, "/staff xq.hmk").await;
    say(district, bot.root, "/stats this-month").await;
    bot.clock.advance(10 * 3600);
    bot.app().tick().await;
    wait_text(&bot, district, "Daily").await;
    say(worker, worker, "/help").await;
    say(resident, resident, "/help").await;
    say(resident, resident, "/case 99").await;
    bot.settle().await;

    let mut found = Vec::new();
    for (cmd, text) in &replies {
        found.extend(problems(cmd, text));
    }
    for m in bot.sandbox.all_messages() {
        found.extend(problems(&format!("message in {}", m.chat_id), &m.text));
        for (label, _) in m.buttons() {
            found.extend(problems("button", &label));
        }
    }
    for a in bot.sandbox.callback_answers() {
        if let Some(t) = a.text {
            found.extend(problems("button answer", &t));
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} problems:\n{}",
        found.len(),
        found.join("\n")
    );
}
