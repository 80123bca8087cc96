//! What must never leak or grow without bound, through the real bot and the
//! sandbox, on SQLite and (when reachable) PostgreSQL:
//! - an anonymous reporter's name, username and id appear in no export
//!   (every sheet of `/export`, its CSV, the scheduled monthly workbooks) and
//!   no group message; `/case` and `/mycases` in a group are answered privately;
//! - a private-flow report is held to `/report`'s length, and `/export` still works;
//! - housekeeping lets go of abandoned drafts and old sent rows, but not of
//!   rows something still points to;
//! - a scheduled report leaves out a row it cannot read, and says so.

mod common;

use chrono::TimeZone;
use common::{Options, TestBot, TestDb, spawn_with};
use pingan::sandbox::{CallbackAnswer, SentKind, SentMessage};
use sqlx::Row;

const SH: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    SH.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp()
}

async fn bot_on(db: Option<TestDb>) -> TestBot {
    spawn_with(Options {
        db,
        ..Options::default()
    })
    .await
}

/// Presses a button and waits for the bot's answer to that press.
async fn press(bot: &TestBot, chat: i64, msg: i64, user: i64, data: &str) -> CallbackAnswer {
    let q = bot.sandbox.press_button(chat, msg, user, data);
    let mut found = None;
    bot.sandbox
        .wait_until("the answer to a button press", |s| {
            found = s.callback_answers().into_iter().find(|a| a.query_id == q);
            found.is_some()
        })
        .await;
    found.unwrap()
}

async fn wait_text(bot: &TestBot, chat: i64, needle: &str) -> SentMessage {
    bot.sandbox
        .wait_message(&format!("{needle:?} in chat {chat}"), |m| {
            m.chat_id == chat && m.text.contains(needle)
        })
        .await
}

async fn wait_document(bot: &TestBot, chat: i64, file_name: &str) -> SentMessage {
    bot.sandbox
        .wait_message(&format!("the document {file_name}"), |m| {
            m.chat_id == chat
                && m.kind
                    == SentKind::Document {
                        file_name: file_name.into(),
                    }
        })
        .await
}

/// The bytes of the latest file queued under `file_name` (the outbox keeps
/// them until housekeeping; the sandbox keeps only their size).
async fn file_bytes(bot: &TestBot, file_name: &str) -> Vec<u8> {
    let mut c = bot.app().store.conn().await.unwrap();
    sqlx::query("SELECT payload FROM outbox WHERE file_name = $1 ORDER BY id DESC LIMIT 1")
        .bind(file_name)
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .try_get::<Vec<u8>, _>("payload")
        .unwrap()
}

/// Every cell of every sheet, by sheet.
fn workbook_cells(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a workbook");
    let names = book.sheet_names();
    assert!(names.len() >= 3, "{names:?}");
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

/// Someone who must not be identifiable.
struct Secret {
    name: &'static str,
    username: &'static str,
    id: i64,
}

impl Secret {
    fn assert_absent(&self, what: &str, text: &str) {
        for s in [self.name, self.username, &self.id.to_string()] {
            assert!(!text.contains(s), "{s} appears in {what}:\n{text}");
        }
    }
}

/// The workbook names the anonymous reporter nowhere, yet lists the case
/// and the reporter's own events (as 匿名).
fn check_workbook(what: &str, bytes: Vec<u8>, who: &Secret, worker_name: &str) {
    let sheets = workbook_cells(bytes);
    let mut all = String::new();
    for (_, rows) in &sheets {
        for row in rows {
            all.push_str(&row.join("\t"));
            all.push('\n');
        }
    }
    who.assert_absent(what, &all);
    assert!(all.contains(worker_name), "{what}: staff are named:\n{all}");
    let events = &sheets.iter().find(|(n, _)| n == "events").unwrap().1;
    for action in ["report", "rate", "comment"] {
        let row = events
            .iter()
            .find(|r| r[0] == "1" && r[2] == action)
            .unwrap_or_else(|| panic!("{what}: no `{action}` event of #1:\n{all}"));
        assert_eq!(row[3], "匿名", "{what}: {row:?}");
    }
    let cases = &sheets.iter().find(|(n, _)| n == "cases").unwrap().1;
    let case = cases.iter().find(|r| r[0] == "1").expect("case #1 listed");
    assert_eq!(case[15], "匿名", "{what}: {case:?}");
}

async fn anonymous_reporter_is_named_in_no_export(db: Option<TestDb>) {
    let bot = bot_on(db).await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    bot.start_private(worker).await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    let town = bot.bound_group("河门口街道群", "xq.hmk", bot.root).await;
    let who = Secret {
        name: "张居民",
        username: "zhang_anon",
        id: bot.sandbox.add_user("张居民", Some("zhang_anon")),
    };
    let resident = who.id;
    bot.sandbox.join(grid, resident);
    let r = bot
        .say(resident, resident, "/start join_xq-hmk-c1-g3")
        .await;
    assert!(r.text.contains("第三网格"), "{}", r.text);

    // An anonymous report through the private flow …
    let r = bot.say(resident, resident, "/report").await;
    assert!(r.has_button("c:cat:dispute"), "{r}");
    press(&bot, resident, r.message_id, resident, "c:cat:dispute").await;
    wait_text(&bot, resident, "请用一条消息描述情况").await;
    let r = bot.say(resident, resident, "楼上漏水很多天了").await;
    assert!(r.has_button("c:sub:anon"), "{r}");
    press(&bot, resident, r.message_id, resident, "c:sub:anon").await;
    wait_text(&bot, resident, "已登记 #1（矛盾纠纷）（匿名）").await;
    // … handled, rated and commented on by its reporter.
    for cmd in ["/accept 1", "/resolve 1 已调解"] {
        let r = bot.say(worker, worker, cmd).await;
        assert!(!r.text.contains("用法"), "{cmd}: {}", r.text);
    }
    bot.clock.advance(86_400 + 60);
    bot.app().tick().await;
    let q = wait_text(&bot, resident, "回访").await;
    press(&bot, resident, q.message_id, resident, "c:r:1:satisfied").await;
    wait_text(&bot, resident, "感谢您的评价").await;
    let r = bot.say(resident, resident, "谢谢网格员").await;
    assert!(r.text.contains("已收到您对 #1 的意见"), "{}", r.text);

    // /export: the workbook, every sheet.
    let xlsx = "pingan-xq-2026-11-01_2026-11-30.xlsx";
    bot.say(district, bot.root, "/export 2026-11").await;
    wait_document(&bot, district, xlsx).await;
    check_workbook("/export", file_bytes(&bot, xlsx).await, &who, "王网格");
    // … and the CSV.
    let csv = "pingan-xq-2026-11-01_2026-11-30.csv";
    bot.say(district, bot.root, "/export csv 2026-11").await;
    wait_document(&bot, district, csv).await;
    let text = String::from_utf8(file_bytes(&bot, csv).await).unwrap();
    who.assert_absent("the CSV", &text);
    assert!(
        text.contains("楼上漏水很多天了") && text.contains("匿名"),
        "{text}"
    );

    // /case and /mycases in a group: answered privately, the same line for all.
    for cmd in ["/case 1", "/mycases"] {
        let r = bot.say(grid, resident, cmd).await;
        assert!(r.text.contains("已私信回复您"), "{cmd}: {}", r.text);
    }
    let card = wait_text(&bot, resident, "反映人：匿名").await;
    assert!(card.text.contains("#1"), "{}", card.text);
    wait_text(&bot, resident, "您反映的事项").await;
    let stranger = bot.sandbox.add_user("路人", None);
    bot.sandbox.join(grid, stranger);
    let r = bot.say(grid, stranger, "/case 1").await;
    assert!(
        r.text.contains("还没有私聊过我") && r.text.contains("/start"),
        "{}",
        r.text
    );

    // The monthly report's workbooks, for the district and for the town.
    bot.clock
        .advance(local(2026, 12, 1, 9, 0) - bot.clock.now());
    bot.app().tick().await;
    for (chat, code) in [(district, "xq"), (town, "xq.hmk")] {
        let name = format!("pingan-{code}-2026-11.xlsx");
        wait_document(&bot, chat, &name).await;
        check_workbook(&name, file_bytes(&bot, &name).await, &who, "王网格");
    }
    bot.settle().await;
    for chat in [grid, district, town] {
        for m in bot.sandbox.messages(chat) {
            who.assert_absent("a group message", &format!("{}\n{}", m.text, m.html));
        }
    }
}

#[tokio::test]
async fn anonymous_reporter_is_named_in_no_export_sqlite() {
    anonymous_reporter_is_named_in_no_export(None).await;
}

#[tokio::test]
async fn anonymous_reporter_is_named_in_no_export_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    anonymous_reporter_is_named_in_no_export(Some(db)).await;
}

async fn private_report_is_bounded(db: Option<TestDb>) {
    let bot = bot_on(db).await;
    bot.small_district().await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    let resident = bot.sandbox.add_user("陈阿姨", None);
    bot.say(resident, resident, "/start join_xq-hmk-c1-g3")
        .await;
    let r = bot.say(resident, resident, "/report 纠纷").await;
    assert!(r.text.contains("请用一条消息描述情况"), "{}", r.text);

    // Seventeen messages of 2,000 characters: the first is the report, the
    // others would pass the limit and are refused (briefly), not added.
    let part = |i: usize| {
        char::from_digit(i as u32 % 10, 10)
            .unwrap()
            .to_string()
            .repeat(2000)
    };
    let r = bot.say(resident, resident, &part(0)).await;
    assert!(r.has_button("c:sub:named"), "{r}");
    for i in 1..17 {
        let r = bot.say(resident, resident, &part(i)).await;
        assert!(
            r.text.contains("最多 2000 字") && r.text.contains("没有加入"),
            "{}",
            r.text
        );
        assert!(
            r.text.chars().count() < 300,
            "no echo of the draft: {}",
            r.text
        );
    }
    let prompt = bot
        .sandbox
        .messages(resident)
        .into_iter()
        .rev()
        .find(|m| m.has_button("c:sub:named"))
        .unwrap();
    press(&bot, resident, prompt.message_id, resident, "c:sub:named").await;
    wait_text(&bot, resident, "已登记 #1").await;
    {
        let mut c = bot.app().store.conn().await.unwrap();
        let text: String = sqlx::query("SELECT text FROM cases WHERE id = 1")
            .fetch_one(&mut *c)
            .await
            .unwrap()
            .try_get("text")
            .unwrap();
        assert_eq!(text, part(0), "the case holds the first part only");
    }

    // An addition that fits is taken, acknowledged with the running length only.
    let r = bot.say(resident, resident, "/report 隐患").await;
    assert!(r.text.contains("请用一条消息描述情况"), "{}", r.text);
    bot.say(resident, resident, "第一段").await;
    let r = bot.say(resident, resident, "第二段").await;
    assert!(
        r.text.contains("已补充（共 7/2000 字）") && !r.text.contains("第一段"),
        "{}",
        r.text
    );
    assert!(r.has_button("c:sub:anon"), "{r}");

    // The export still works.
    let xlsx = "pingan-xq-2026-11-01_2026-11-30.xlsx";
    bot.say(district, bot.root, "/export 2026-11").await;
    wait_document(&bot, district, xlsx).await;
    let sheets = workbook_cells(file_bytes(&bot, xlsx).await);
    let cases = &sheets.iter().find(|(n, _)| n == "cases").unwrap().1;
    assert_eq!(cases[1][16], part(0));
}

#[tokio::test]
async fn private_report_is_bounded_sqlite() {
    private_report_is_bounded(None).await;
}

#[tokio::test]
async fn private_report_is_bounded_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    private_report_is_bounded(Some(db)).await;
}

async fn count(bot: &TestBot, sql: &str) -> i64 {
    let mut c = bot.app().store.conn().await.unwrap();
    sqlx::query(sql)
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn housekeeping_forgets_what_nothing_needs(db: Option<TestDb>) {
    let bot = bot_on(db).await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    // An alert whose copies stay referenced by their deliveries.
    let card = bot.say(district, bot.root, "/alert 暴雨 今晚有暴雨").await;
    let (_, send) = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .expect("Send button");
    bot.sandbox
        .press_button(district, card.message_id, bot.root, &send);
    wait_text(&bot, grid, "今晚有暴雨").await;
    wait_text(&bot, district, "已送达 2/2").await;
    // A draft abandoned now, and a plain sent reply with nothing pointing at it.
    let early = bot.sandbox.add_user("早起的居民", None);
    bot.say(early, early, "/start join_xq-hmk-c1-g3").await;
    bot.say(early, early, "/report").await;
    bot.settle().await;
    let plain = "SELECT COUNT(*) AS n FROM outbox WHERE chat_id = $CHAT AND markup IS NULL";
    let plain = plain.replace("$CHAT", &early.to_string());
    assert!(count(&bot, &plain).await >= 1, "the /start reply");
    let copies = "SELECT COUNT(*) AS n FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
                  WHERE o.status = 'sent' AND o.markup IS NULL";
    assert_eq!(
        count(&bot, copies).await,
        2,
        "plain copies: only their delivery keeps them"
    );
    let drafts = "SELECT COUNT(*) AS n FROM case_drafts";
    assert_eq!(count(&bot, drafts).await, 1);

    // A month later, with a fresh draft begun just now.
    bot.clock.advance(31 * 86_400);
    let late = bot.sandbox.add_user("晚到的居民", None);
    bot.say(late, late, "/start join_xq-hmk-c1-g3").await;
    bot.say(late, late, "/report").await;
    bot.settle().await;
    bot.app().tick().await;

    assert_eq!(count(&bot, drafts).await, 1, "the abandoned draft is gone");
    let mine = format!("SELECT COUNT(*) AS n FROM case_drafts WHERE user_id = {late}");
    assert_eq!(count(&bot, &mine).await, 1, "the fresh draft stays");
    assert_eq!(count(&bot, &plain).await, 0, "old plain rows are gone");
    let recent = plain.replace(&early.to_string(), &late.to_string());
    assert!(count(&bot, &recent).await >= 1, "recent rows stay");
    assert_eq!(count(&bot, copies).await, 2, "referenced copies stay");
    let cards = "SELECT COUNT(*) AS n FROM alerts a JOIN outbox o ON o.id = a.card_outbox_id";
    assert_eq!(count(&bot, cards).await, 1, "the alert's card stays");
    let buttons =
        format!("SELECT COUNT(*) AS n FROM outbox WHERE chat_id = {early} AND markup IS NOT NULL");
    assert!(
        count(&bot, &buttons).await >= 1,
        "rows with buttons stay (a press edits them)"
    );
    // The alert's figures still see its copies as delivered.
    let r = bot.say(district, bot.root, "/alert_info 1").await;
    assert!(
        r.text.contains("区：已送达 1") && r.text.contains("网格：已送达 1"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn housekeeping_forgets_what_nothing_needs_sqlite() {
    housekeeping_forgets_what_nothing_needs(None).await;
}

#[tokio::test]
async fn housekeeping_forgets_what_nothing_needs_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    housekeeping_forgets_what_nothing_needs(Some(db)).await;
}

async fn a_bad_row_is_left_out_of_the_monthly_report(db: Option<TestDb>) {
    let bot = bot_on(db).await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let district = bot.bound_group("西区平安群", "xq", bot.root).await;
    for (i, text) in ["/report 纠纷 楼上漏水", "/report 隐患 路灯坏了"]
        .iter()
        .enumerate()
    {
        let resident = bot.sandbox.add_user(&format!("居民{i}"), None);
        bot.sandbox.join(grid, resident);
        bot.say(grid, resident, text).await;
    }
    {
        // A row no loader can read (as a bad migration or a hand edit would leave it).
        let mut c = bot.app().store.conn().await.unwrap();
        sqlx::query("UPDATE cases SET status = 'lost' WHERE id = 1")
            .execute(&mut *c)
            .await
            .unwrap();
    }
    bot.clock
        .advance(local(2026, 12, 1, 9, 0) - bot.clock.now());
    bot.app().tick().await;
    let text = wait_text(&bot, district, "📊 月结").await;
    assert!(
        text.text.contains("1 条记录无法读取或写入，已略过：#1"),
        "{}",
        text.text
    );
    let name = "pingan-xq-2026-11.xlsx";
    wait_document(&bot, district, name).await;
    let sheets = workbook_cells(file_bytes(&bot, name).await);
    let cases = &sheets.iter().find(|(n, _)| n == "cases").unwrap().1;
    let ids: Vec<&str> = cases[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, vec!["2"], "the readable case is still listed");
}

#[tokio::test]
async fn a_bad_row_is_left_out_of_the_monthly_report_sqlite() {
    a_bad_row_is_left_out_of_the_monthly_report(None).await;
}

#[tokio::test]
async fn a_bad_row_is_left_out_of_the_monthly_report_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    a_bad_row_is_left_out_of_the_monthly_report(Some(db)).await;
}
