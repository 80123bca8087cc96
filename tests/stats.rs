//! Statistics through the real bot and the sandbox: `/stats` on the fixed
//! data set, `/export` as a document, refusals, and the scheduled reports
//! sent once per slot (restart, catch-up, late marking, skipping).

mod common;

use chrono::TimeZone;
use common::{Options, TestBot, spawn_with};
use pingan::sandbox::SentKind;
use pingan::stats::fixture::report_month;

const SH: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    SH.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp()
}

async fn with_report_month() -> (TestBot, i64) {
    let bot = spawn_with(Options {
        stats: Some(report_month().shared()),
        ..Options::default()
    })
    .await;
    bot.small_district().await;
    let chat = bot.bound_group("西区平安群", "xq", bot.root).await;
    (bot, chat)
}

#[tokio::test]
async fn stats_reproduces_the_reports_figures() {
    let (bot, chat) = with_report_month().await;
    let reply = bot.say(chat, bot.root, "/stats 2024-05").await;
    for expected in [
        "西区 xq 统计",
        "新增 1,587 · 已解决 1,494 · 调解未成 63 · 已办结 0 · 在办 30 · 超期 30",
        "环比：新增 −8.7%",
        "矛盾纠纷化解成功率 95.9%（1,494/1,557）",
        "群众满意率 94.7%（90/95）",
        "警情提示 3 条 · 送达率 99.2% · 确认率 80.0%",
        "河门口街道 xq.hmk",
    ] {
        assert!(
            reply.text.contains(expected),
            "{expected} missing from:\n{}",
            reply.text
        );
    }
    // A town's figures cover its subtree only.
    let town = bot.say(chat, bot.root, "/stats xq.qxp 2024-05").await;
    assert!(
        town.text.contains("矛盾纠纷化解成功率 95.8%（534/557）"),
        "{}",
        town.text
    );
    assert!(!town.text.contains("河门口"), "{}", town.text);
}

#[tokio::test]
async fn stats_refuses_bad_input_and_outsiders() {
    let (bot, chat) = with_report_month().await;
    let bad = bot.say(chat, bot.root, "/stats 2024-13").await;
    assert!(
        bad.text.contains("看不懂「2024-13」") && bad.text.contains("用法：/stats"),
        "{}",
        bad.text
    );
    let word = bot.say(chat, bot.root, "/stats lastyear").await;
    assert!(
        word.text.contains("没有节点 lastyear") && word.text.contains("上月"),
        "{}",
        word.text
    );
    let two = bot.say(chat, bot.root, "/stats month week").await;
    assert!(
        two.text.contains("只需一个期间（多了「week」）"),
        "{}",
        two.text
    );
    let backwards = bot
        .say(chat, bot.root, "/stats 2024-05-10..2024-05-01")
        .await;
    assert!(
        backwards.text.contains("结束日期早于开始日期"),
        "{}",
        backwards.text
    );
    let nobody = bot.sandbox.add_user("路人", None);
    bot.sandbox.join(chat, nobody);
    let refused = bot.say(chat, nobody, "/stats month xq").await;
    assert!(refused.text.contains("无权"), "{}", refused.text);
    let missing = bot.say(chat, bot.root, "/stats xq.nowhere").await;
    assert!(
        missing.text.contains("没有节点 xq.nowhere"),
        "{}",
        missing.text
    );
}

#[tokio::test]
async fn export_sends_a_workbook_and_a_csv() {
    let (bot, chat) = with_report_month().await;
    let id = bot.sandbox.send_text(chat, bot.root, "/export 2024-05");
    let doc = bot
        .sandbox
        .wait_message("the workbook", |m| {
            m.chat_id == chat
                && m.reply_to == Some(id)
                && matches!(m.kind, SentKind::Document { .. })
        })
        .await;
    assert_eq!(
        doc.kind,
        SentKind::Document {
            file_name: "pingan-xq-2024-05-01_2024-05-31.xlsx".into()
        }
    );
    assert!(doc.file_size.unwrap() > 10_000, "{:?}", doc.file_size);
    assert!(
        doc.text.contains("共 1,587 件") || doc.text.contains("共 1587 件"),
        "{}",
        doc.text
    );
    let id = bot
        .sandbox
        .send_text(chat, bot.root, "/export csv xq.hmk 2024-05");
    let csv = bot
        .sandbox
        .wait_message("the csv", |m| {
            m.chat_id == chat
                && m.reply_to == Some(id)
                && matches!(m.kind, SentKind::Document { .. })
        })
        .await;
    assert_eq!(
        csv.kind,
        SentKind::Document {
            file_name: "pingan-xq.hmk-2024-05-01_2024-05-31.csv".into()
        }
    );
}

/// Moves the domain clock to `t`.
fn to(bot: &TestBot, t: i64) {
    bot.clock.advance(t - bot.clock.now());
}

fn bot_messages(bot: &TestBot, chat: i64, needle: &str) -> usize {
    bot.sandbox
        .messages(chat)
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

#[tokio::test]
async fn monthly_report_is_sent_once_with_chart_and_workbook() {
    let (mut bot, chat) = with_report_month().await;
    let before = bot.sandbox.messages(chat).len();
    // Just before 09:00 on the 1st: nothing yet.
    to(&bot, local(2026, 12, 1, 8, 59));
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(bot_messages(&bot, chat, "月结"), 0);
    to(&bot, local(2026, 12, 1, 9, 0));
    bot.app().tick().await;
    bot.sandbox
        .wait_until("the monthly report, chart and workbook", |s| {
            s.messages(chat)
                .iter()
                .filter(|m| m.text.contains("月结"))
                .count()
                == 3
        })
        .await;
    let msgs = bot.sandbox.messages(chat);
    let photo = msgs
        .iter()
        .find(|m| m.kind == SentKind::Photo)
        .expect("a chart");
    assert!(photo.file_size.unwrap() > 5_000);
    assert!(msgs.iter().any(|m| m.kind
        == SentKind::Document {
            file_name: "pingan-xq-2026-11.xlsx".into()
        }));
    assert_eq!(
        bot_messages(&bot, chat, "旬判"),
        1,
        "the 旬 report also falls on the 1st"
    );
    assert!(!msgs.iter().any(|m| m.text.contains("补发")));
    // Restart and tick again: the slot is taken, nothing is sent twice.
    bot.restart().await;
    bot.app().tick().await;
    bot.settle().await;
    bot.app().tick().await;
    assert_eq!(bot_messages(&bot, chat, "月结"), 3);
    assert_eq!(bot_messages(&bot, chat, "旬判"), 1);
    assert!(bot.sandbox.messages(chat).len() >= before + 4);
}

#[tokio::test]
async fn a_missed_daily_report_is_sent_late_once_or_skipped() {
    let (mut bot, chat) = with_report_month().await;
    bot.stop().await;
    // Down over 18:00; back at 20:00: sent once, marked late.
    to(&bot, local(2026, 11, 27, 20, 0));
    bot.start().await;
    bot.app().tick().await;
    bot.sandbox
        .wait_until("the late daily report", |s| {
            s.messages(chat).iter().any(|m| m.text.contains("日报"))
        })
        .await;
    let daily: Vec<_> = bot
        .sandbox
        .messages(chat)
        .into_iter()
        .filter(|m| m.text.contains("日报"))
        .collect();
    assert_eq!(daily.len(), 1);
    assert!(
        daily[0].text.contains("补发，原定 2026-11-27 18:00"),
        "{}",
        daily[0].text
    );
    bot.app().tick().await;
    // Down from before the next slot until well past the catch-up window: skipped.
    bot.stop().await;
    to(&bot, local(2026, 11, 29, 9, 0));
    bot.start().await;
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(bot_messages(&bot, chat, "日报"), 1);
    let mut c = bot.app().store.conn().await.unwrap();
    let last = pingan::scheduler::last_slot(&mut c, "report_daily")
        .await
        .unwrap();
    assert_eq!(
        last,
        Some(local(2026, 11, 28, 18, 0)),
        "the skipped slot is recorded"
    );
}

/// The figures come from the live database: cases reported and handled through
/// the bot, and an alert sent, show up in `/stats`.
#[tokio::test]
async fn stats_read_the_live_database() {
    let bot = common::spawn().await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    for (i, report) in [
        "/report 纠纷 楼上漏水",
        "/report 纠纷 噪音扰民",
        "/report 隐患 路灯坏了",
    ]
    .iter()
    .enumerate()
    {
        let resident = bot.sandbox.add_user(&format!("居民{i}"), None);
        bot.sandbox.join(grid, resident);
        let r = bot.say(grid, resident, report).await;
        assert!(r.text.contains(&format!("#{}", i + 1)), "{}", r.text);
    }
    for cmd in [
        "/accept 1",
        "/resolve 1 已调解",
        "/accept 2",
        "/fail 2 双方未达成一致",
    ] {
        let r = bot.say(worker, worker, cmd).await;
        assert!(!r.text.contains("用法"), "{cmd}: {}", r.text);
    }
    let card = bot.say(district, bot.root, "/alert 暴雨 今晚有暴雨").await;
    let (_, send) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .expect("Send button");
    bot.sandbox
        .press_button(district, card.message_id, bot.root, &send);
    bot.sandbox
        .wait_message("the alert in the grid", |m| {
            m.chat_id == grid && m.text.contains("今晚有暴雨")
        })
        .await;
    bot.sandbox
        .wait_message("the card done", |m| {
            m.chat_id == district && m.text.contains("已送达 2/2")
        })
        .await;

    bot.clock.advance(60); // asked a minute later
    let r = bot.say(district, bot.root, "/stats today").await;
    for expected in [
        "新增 3 · 已解决 1 · 调解未成 1 · 已办结 0 · 在办 1",
        "矛盾纠纷化解成功率 50.0%（1/2）",
        "警情提示 1 条 · 送达率 100.0%",
    ] {
        assert!(
            r.text.contains(expected),
            "{expected} missing from:\n{}",
            r.text
        );
    }
    let other = bot.say(district, bot.root, "/stats today xq.qxp").await;
    assert!(other.text.contains("新增 0"), "{}", other.text);
}

/// A resident reports in the third grid of 河门口; returns the case number's text.
async fn report(bot: &TestBot, grid: i64, name: &str, text: &str) -> i64 {
    let resident = bot.sandbox.add_user(name, None);
    bot.start_private(resident).await;
    bot.sandbox.join(grid, resident);
    let r = bot.say(grid, resident, text).await;
    assert!(r.text.contains('#'), "{}", r.text);
    resident
}

/// A worker in the third grid, its bound group, and the bound district group.
async fn live_district(bot: &mut TestBot) -> (i64, i64, i64) {
    // Asked for a rating an hour after the resolution, so all of it fits in a day.
    bot.settings.cases.followup_after = 3600;
    bot.settings.cases.followup_again = 3600;
    bot.restart().await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", None);
    bot.start_private(worker).await;
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    (worker, grid, district)
}

/// The reporter answers the follow-up question of case `id` with `rating`.
async fn rate(bot: &TestBot, resident: i64, id: i64, rating: &str) {
    let q = bot
        .sandbox
        .wait_message(&format!("the follow-up of #{id}"), |m| {
            m.chat_id == resident && m.has_button(&format!("c:r:{id}:{rating}"))
        })
        .await;
    bot.sandbox.press_button(
        resident,
        q.message_id,
        resident,
        &format!("c:r:{id}:{rating}"),
    );
}

/// Reported on 11-30, resolved, rated 满意 and closed on 12-01: the daily
/// report of 12-01 and `/stats` for 12-01 agree, and count it closed and
/// rated that day (it was counted 办结 0, 满意率 0/0 before).
#[tokio::test]
async fn a_case_closed_and_rated_on_the_first_counts_on_the_first() {
    closed_and_rated_on_the_first(common::spawn().await).await;
}

#[tokio::test]
async fn a_case_closed_and_rated_on_the_first_counts_on_the_first_on_postgres() {
    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    let bot = spawn_with(Options {
        db: Some(db),
        ..Options::default()
    })
    .await;
    closed_and_rated_on_the_first(bot).await;
}

async fn closed_and_rated_on_the_first(mut bot: TestBot) {
    let (worker, grid, district) = live_district(&mut bot).await;
    to(&bot, local(2026, 11, 30, 10, 0));
    let resident = report(&bot, grid, "居民甲", "/report 求助 楼道灯不亮").await;
    to(&bot, local(2026, 12, 1, 8, 0));
    for cmd in ["/accept 1", "/resolve 1 已更换灯泡"] {
        let r = bot.say(worker, worker, cmd).await;
        assert!(!r.text.contains("用法"), "{cmd}: {}", r.text);
    }
    to(&bot, local(2026, 12, 1, 9, 30));
    bot.app().tick().await;
    rate(&bot, resident, 1, "satisfied").await;
    bot.sandbox
        .wait_message("the thanks", |m| {
            m.chat_id == resident && m.text.contains("感谢您的评价")
        })
        .await;
    to(&bot, local(2026, 12, 1, 18, 0));
    bot.app().tick().await;
    let daily = bot
        .sandbox
        .wait_message("the daily report of 12-01", |m| {
            m.chat_id == district && m.text.contains("日报") && m.text.contains("2026-12-01")
        })
        .await;
    let counts = "新增 0 · 已解决 1 · 调解未成 0 · 已办结 1 · 在办 0 · 超期 0";
    let rated = "群众满意率 100.0%（1/1）";
    for expected in [counts, rated, "无新情况：清香坪街道"] {
        assert!(
            daily.text.contains(expected),
            "{expected} missing from:\n{}",
            daily.text
        );
    }
    for asked in ["/stats 2026-12-01", "/stats 今天", "/stats today"] {
        let r = bot.say(district, bot.root, asked).await;
        for expected in [counts, rated] {
            assert!(
                r.text.contains(expected),
                "{asked}: {expected} missing from:\n{}",
                r.text
            );
        }
    }
    // December so far: the same; November: reported, nothing else.
    let dec = bot.say(district, bot.root, "/stats 本月").await;
    assert!(
        dec.text.contains(counts) && dec.text.contains(rated),
        "{}",
        dec.text
    );
    let nov = bot.say(district, bot.root, "/stats 上月").await;
    assert!(
        nov.text
            .contains("新增 1 · 已解决 0 · 调解未成 0 · 已办结 0 · 在办 1"),
        "{}",
        nov.text
    );
    assert!(nov.text.contains("群众满意率 —（0/0）"), "{}", nov.text);
}

/// Three 满意, one 基本满意 and one 不满意: five ratings, four satisfied
/// (基本满意 counts as satisfied, as the report's 群众满意率 does). The
/// 不满意 reopens its case and still counts.
#[tokio::test]
async fn every_rating_counts_even_the_one_that_reopened_its_case() {
    let mut bot = common::spawn().await;
    let (worker, grid, district) = live_district(&mut bot).await;
    let ratings = [
        "satisfied",
        "satisfied",
        "satisfied",
        "basically",
        "unsatisfied",
    ];
    let mut residents = Vec::new();
    for i in 0..ratings.len() {
        residents.push(report(&bot, grid, &format!("居民{i}"), "/report 纠纷 邻里噪音").await);
    }
    for id in 1..=ratings.len() {
        for cmd in [format!("/accept {id}"), format!("/resolve {id} 已调解")] {
            let r = bot.say(worker, worker, &cmd).await;
            assert!(!r.text.contains("用法"), "{cmd}: {}", r.text);
        }
    }
    bot.clock.advance(3600);
    bot.app().tick().await;
    for (i, (resident, rating)) in residents.iter().zip(ratings).enumerate() {
        rate(&bot, *resident, i as i64 + 1, rating).await;
        bot.sandbox
            .wait_message("the answer to the rating", |m| {
                m.chat_id == *resident
                    && (m.text.contains("感谢您的评价") || m.text.contains("已重新办理"))
            })
            .await;
    }
    bot.clock.advance(60);
    let r = bot.say(district, bot.root, "/stats today").await;
    for expected in [
        "群众满意率 80.0%（4/5）",
        "回访应答率 100.0%（5/5）",
        "新增 5 · 已解决 5 · 调解未成 0 · 已办结 4 · 在办 1",
        "各项指标的含义：/help stats",
    ] {
        assert!(
            r.text.contains(expected),
            "{expected} missing from:\n{}",
            r.text
        );
    }
    let help = bot.say(district, bot.root, "/help stats").await;
    assert!(
        help.text.contains("群众满意率") && help.text.contains("（满意 + 基本满意）÷ 全部评价"),
        "{}",
        help.text
    );
}

#[tokio::test]
async fn periods_in_words_and_unknown_words_refused_with_the_list() {
    let (bot, chat) = with_report_month().await;
    // The clock stands at 2026-11-27.
    for (asked, label) in [
        ("/stats 上月", "2026-10-01–2026-10-31"),
        ("/stats last-month", "2026-10-01–2026-10-31"),
        ("/stats 本旬", "2026-11-21–2026-11-30"),
        ("/stats xq this-xun", "2026-11-21–2026-11-30"),
        ("/stats 上周", "2026-11-16–2026-11-22"),
    ] {
        let r = bot.say(chat, bot.root, asked).await;
        assert!(
            r.text.contains("西区 <code>xq</code> 统计") || r.text.contains("西区 xq 统计"),
            "{asked}: {}",
            r.text
        );
        assert!(r.text.contains(label), "{asked}: {}", r.text);
    }
    // Not taken as a node one has no post in: refused, with the periods.
    let staff = bot.sandbox.add_user("街道干部", None);
    bot.grant(staff, "admin", "xq.hmk").await;
    bot.sandbox.join(chat, staff);
    for who in [bot.root, staff] {
        let r = bot.say(chat, who, "/stats lastmonth").await;
        assert!(!r.text.contains("没有职务"), "{}", r.text);
        for expected in [
            "看不懂「lastmonth」",
            "今天、昨天、本周、上周、本旬、上一旬、本月、上月",
            "用法：/stats",
        ] {
            assert!(
                r.text.contains(expected),
                "{expected} missing from:\n{}",
                r.text
            );
        }
    }
}

#[tokio::test]
async fn periods_in_english_words() {
    let bot = spawn_with(Options {
        stats: Some(report_month().shared()),
        locale: pingan::i18n::Locale::En,
        ..Options::default()
    })
    .await;
    bot.small_district().await;
    let chat = bot.bound_group("Xiqu", "xq", bot.root).await;
    let r = bot.say(chat, bot.root, "/stats last-month").await;
    assert!(r.text.contains("2026-10-01–2026-10-31"), "{}", r.text);
    let r = bot.say(chat, bot.root, "/stats lastmonth").await;
    for expected in [
        "I don't understand “lastmonth”",
        "today, yesterday, this-week, last-week, this-xun, last-xun, this-month, last-month",
    ] {
        assert!(
            r.text.contains(expected),
            "{expected} missing from:\n{}",
            r.text
        );
    }
}

/// On the 1st a quiet street gets one line per report (no pages of zeros,
/// no chart, no workbook), and the district's reports fold quiet streets
/// into one line.
#[tokio::test]
async fn quiet_nodes_are_one_line() {
    let mut bot = common::spawn().await;
    let (_, grid, district) = live_district(&mut bot).await;
    let quiet = bot.bound_group("清香坪街道群", "xq.qxp", bot.root).await;
    report(&bot, grid, "居民甲", "/report 隐患 井盖松动").await;
    to(&bot, local(2026, 12, 1, 9, 0));
    bot.app().tick().await;
    for (chat, title) in [
        (district, "月结"),
        (district, "旬判"),
        (quiet, "月结"),
        (quiet, "旬判"),
    ] {
        bot.sandbox
            .wait_message(title, |m| m.chat_id == chat && m.text.contains(title))
            .await;
    }
    bot.settle().await;
    let msgs = bot.sandbox.messages(quiet);
    let reports: Vec<_> = msgs
        .iter()
        .filter(|m| {
            ["日报", "周排", "旬判", "月结"]
                .iter()
                .any(|t| m.text.contains(t))
        })
        .collect();
    assert_eq!(reports.len(), 2, "{}", bot.sandbox.dump());
    for m in &reports {
        assert!(m.text.contains("无新情况"), "{}", m.text);
        assert!(m.text.lines().count() <= 2, "{}", m.text);
    }
    assert!(
        !msgs.iter().any(|m| m.kind != SentKind::Text),
        "no chart and no workbook for a quiet street: {}",
        bot.sandbox.dump()
    );
    let monthly = bot
        .sandbox
        .messages(district)
        .into_iter()
        .find(|m| m.text.contains("月结") && m.kind == SentKind::Text)
        .expect("the district's monthly report");
    assert!(
        monthly.text.contains("\n无新情况：清香坪街道"),
        "{}",
        monthly.text
    );
    assert!(
        !monthly.text.contains("<code>xq.qxp</code>\n"),
        "{}",
        monthly.text
    );
}
