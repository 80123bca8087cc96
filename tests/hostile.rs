//! No message can silence the bot: hostile arguments for every command in
//! the command table, sent by a resident, a grid worker and an admin, in a
//! group and in private, through the real bot against the sandbox. Each is
//! answered exactly once, a refusal changes nothing, and the bot keeps
//! answering. A handler that panics is isolated: its update is recorded as
//! failed, confirmed, apologised for, and never comes back.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Options, TestBot, spawn, spawn_with};
use pingan::app::RunOptions;
use pingan::sandbox::{SentKind, SentMessage};
use pingan::telegram::command::COMMANDS;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sqlx::{Connection, Row};

/// Inputs per command (spread over the six actor × chat places).
const PER_COMMAND: usize = 12;

/// Telegram's longest message.
const MAX_MESSAGE: usize = 4096;

/// Words that have broken parsers before, or sit at the edge of a range.
const EDGES: &[&str] = &[
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999999999999999",
    "#9223372036854775807",
    "#99999999999999999999",
    "A99999999999999999999",
    "S99999999999999999999",
    "0",
    "-1",
    "#",
    "#-1",
    "A0",
    "+262142-12-31",
    "+262142-12",
    "-262143-01-01",
    "-262143-01",
    "2024-01-01..+262142-12-31",
    "-262143-01-01..2024-01-01",
    "1999-12-31",
    "2101-01",
    "0000-00-00",
    "2026-02-30",
    "..",
    "999999w",
    "0d",
    "-3d",
    "xq",
    "xq.hmk",
    "xq.hmk.c1.g3",
    "xq..hmk",
    ".",
    "XQ.HMK",
    "-",
    "worker",
    "admin",
    "backup",
    "csv",
    "month",
    "daily",
    "25:61",
    "* * * * * *",
    "0 0 9 31 2 *",
    "<b>",
    "</i>",
    "<a href=\"x\">",
    "&amp;",
    "&",
    "纠纷",
    "特别严重",
    "🙂",
    "\u{202e}",
    "\u{0}",
    "@",
    "@nobody",
    "join_",
    "join_xq.hmk.c1.g3",
];

/// Sent to every command on their own, besides the generated arguments.
const ALWAYS: &[&str] = &[
    "+262142-12-31",
    "+262142-12",
    "-262143-01-01 xq",
    "9223372036854775808",
    "#99999999999999999999 <b>",
    "",
];

/// Arguments: a few edge words and arbitrary bits, or arbitrary text, or
/// one long text.
fn args() -> impl Strategy<Value = String> {
    let piece = proptest::prop_oneof![
        3 => proptest::sample::select(EDGES),
        1 => "\\PC{0,12}".prop_map(|s| Box::leak(s.into_boxed_str()) as &str),
        1 => proptest::num::i64::ANY.prop_map(|n| Box::leak(n.to_string().into_boxed_str()) as &str),
    ];
    proptest::prop_oneof![
        6 => proptest::collection::vec(piece, 0..4).prop_map(|v| v.join(" ")),
        2 => "\\PC{0,80}",
        1 => "[a-z<>&#. ]{3000,4000}",
    ]
}

/// The fixed-seed inputs: [`ALWAYS`] and `PER_COMMAND` generated ones per
/// command of the table.
fn inputs() -> Vec<String> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = args();
    let mut out = Vec::new();
    for spec in COMMANDS {
        out.extend(ALWAYS.iter().map(|a| format!("/{} {a}", spec.name)));
        for _ in 0..PER_COMMAND {
            let args = strategy.new_tree(&mut runner).unwrap().current();
            let mut text = format!("/{} {args}", spec.name);
            while text.chars().count() > MAX_MESSAGE {
                text.pop();
            }
            out.push(text);
        }
    }
    out
}

/// Who writes where.
#[derive(Debug, Clone, Copy)]
struct Place {
    who: &'static str,
    user: i64,
    chat: i64,
}

/// The small district with a grid group (a worker and a resident in it), a
/// town group of the superadmin, private chats for all three, and limits
/// lifted so hundreds of answers do not wait on Telegram's pace.
async fn district() -> (TestBot, Vec<Place>) {
    let mut bot = spawn().await;
    bot.stop().await;
    bot.settings.send_limits.overall_per_second = 100_000;
    bot.settings.send_limits.chat_burst = 100_000;
    bot.settings.send_limits.group_per_minute = 100_000;
    bot.settings.send_limits.margin = std::time::Duration::ZERO;
    bot.sandbox.set_enforce_limits(false);
    bot.start().await;
    bot.small_district().await;
    let root = bot.root;
    let worker = bot.sandbox.add_user("网格员", Some("grid_worker"));
    let resident = bot.sandbox.add_user("居民", Some("resident"));
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", root).await;
    let town = bot.bound_group("河门口街道群", "xq.hmk", root).await;
    for user in [worker, resident] {
        bot.sandbox.join(grid, user);
        bot.start_private(user).await;
    }
    let places = vec![
        Place {
            who: "resident in the grid group",
            user: resident,
            chat: grid,
        },
        Place {
            who: "resident in private",
            user: resident,
            chat: resident,
        },
        Place {
            who: "worker in the grid group",
            user: worker,
            chat: grid,
        },
        Place {
            who: "worker in private",
            user: worker,
            chat: worker,
        },
        Place {
            who: "admin in the town group",
            user: root,
            chat: town,
        },
        Place {
            who: "admin in private",
            user: root,
            chat: root,
        },
    ];
    (bot, places)
}

/// A cheap fingerprint of what refusals must not change: cases and their
/// events, alerts and their copies, schedules, nodes, roles and bindings.
async fn snapshot(db: &mut sqlx::AnyConnection) -> Vec<i64> {
    let mut out = Vec::new();
    for q in [
        "SELECT COUNT(*) AS n FROM cases",
        "SELECT COALESCE(SUM(LENGTH(status) + COALESCE(deadline_at, 0) % 1000003), 0) AS n FROM cases",
        "SELECT COUNT(*) AS n FROM case_events",
        "SELECT COUNT(*) AS n FROM alerts",
        "SELECT COALESCE(SUM(LENGTH(text) + LENGTH(status)), 0) AS n FROM alerts",
        "SELECT COUNT(*) AS n FROM alert_deliveries",
        "SELECT COALESCE(SUM(active), 0) AS n FROM alert_schedules",
        "SELECT COUNT(*) AS n FROM nodes",
        "SELECT COUNT(*) AS n FROM roles",
        "SELECT COALESCE(SUM(backup), 0) AS n FROM roles",
        "SELECT COUNT(node_code) AS n FROM group_chats",
    ] {
        let row = sqlx::query(q).fetch_one(&mut *db).await.expect(q);
        out.push(row.try_get::<i64, _>("n").expect(q));
    }
    out
}

async fn open_db(bot: &TestBot) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(bot.db.url())
        .await
        .expect("the test database opens")
}

/// Sends `text` and returns its message id with the bot's answer's text.
async fn answer(bot: &TestBot, place: Place, text: &str) -> (i64, String) {
    let id = bot.sandbox.send_text(place.chat, place.user, text);
    let reply = bot.reply_to(place.chat, id, &short(text)).await;
    (id, reply.text)
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Every command of the table, every place, hostile arguments: one answer
/// each, never the apology for an internal failure, and a refusal (an
/// answer with its usage line) leaves the database as it was.
#[tokio::test]
async fn every_command_answers_hostile_arguments_once() {
    let started = std::time::Instant::now();
    let (bot, places) = district().await;
    let mut db = open_db(&bot).await;
    let inputs = inputs();
    assert_eq!(inputs.len(), COMMANDS.len() * (ALWAYS.len() + PER_COMMAND));
    let mut asked = Vec::new();
    let mut before = snapshot(&mut db).await;
    for (n, text) in inputs.iter().enumerate() {
        let place = places[n % places.len()];
        // The same refused input is answered once a minute (issue 10): a
        // minute apart, every input gets its answer.
        bot.clock.advance(61);
        let (id, reply) = answer(&bot, place, text).await;
        assert!(
            !reply.contains("出了点问题"),
            "{} sent {:?}: internal failure",
            place.who,
            short(text)
        );
        let after = snapshot(&mut db).await;
        if reply.contains("用法：") {
            assert_eq!(
                before,
                after,
                "{} sent {:?}: refused ({reply:?}) but the database changed",
                place.who,
                short(text)
            );
        }
        before = after;
        asked.push((place, id, text));
    }
    // Answers keep their order within a chat: once each chat's last word is
    // answered, every earlier answer there has been sent.
    for place in &places {
        answer(&bot, *place, "/whoami").await;
    }
    for (place, id, text) in &asked {
        let replies: Vec<SentMessage> = bot
            .sandbox
            .messages(place.chat)
            .into_iter()
            .filter(|m| m.reply_to == Some(*id))
            .collect();
        // One answer; `/export` sends its file besides.
        let texts = replies.iter().filter(|m| m.kind == SentKind::Text).count();
        let files = replies.len() - texts;
        assert!(
            texts == 1 && files <= usize::from(text.starts_with("/export")),
            "{} sent {:?}: answered {replies:#?}",
            place.who,
            short(text)
        );
    }
    eprintln!(
        "{} hostile commands answered in {:?}",
        asked.len(),
        started.elapsed()
    );
}

/// The update that silenced the bot on main: refused with the range, and
/// the next update is handled. Its cousins in /export, /stats with a code
/// and /supervise likewise.
#[tokio::test]
async fn an_extended_year_is_refused_and_the_bot_goes_on() {
    let bot = spawn().await;
    bot.small_district().await;
    let root = bot.root;
    let reply = bot.say(root, root, "/stats +262142-12-31").await;
    assert!(
        reply.text.contains("2000") && reply.text.contains("2100"),
        "{}",
        reply.text
    );
    let next = bot.say(root, root, "/whoami").await;
    assert!(next.text.contains("超级管理员"), "{}", next.text);
    for cmd in [
        "/export +262142-12",
        "/stats -262143-01-01 xq",
        "/stats 2024-01-01..+262142-12-31",
    ] {
        let reply = bot.say(root, root, cmd).await;
        assert!(reply.text.contains("2100"), "{cmd}: {}", reply.text);
    }
    let reply = bot.say(root, root, "/case #99999999999999999999").await;
    assert!(
        reply.text.contains("没有 #99999999999999999999 这件事项"),
        "{}",
        reply.text
    );
    let reply = bot
        .say(root, root, "/alert_info A99999999999999999999")
        .await;
    assert!(
        reply.text.contains("没有提示 A99999999999999999999"),
        "{}",
        reply.text
    );
    let reply = bot.say(root, root, "/supervise 1 +262142-12-31").await;
    assert!(reply.text.contains("2100"), "{}", reply.text);
    let next = bot.say(root, root, "/whoami").await;
    assert!(next.text.contains("超级管理员"), "{}", next.text);
}

/// A handler that panics (made to by the test hook) takes only its own
/// update down: rolled back, recorded as failed, confirmed, apologised for
/// once, on its own and inside a poll of several; `/healthz` stays OK, and
/// after a restart the update does not come back.
#[tokio::test]
async fn a_panicking_handler_is_isolated_recorded_and_not_redelivered() {
    let booms = Arc::new(AtomicUsize::new(0));
    let hook = {
        let booms = booms.clone();
        Arc::new(move |name: &str, args: &str| {
            if name == "whoami" && args == "boom" {
                booms.fetch_add(1, Ordering::SeqCst);
                panic!("test hook: boom");
            }
        })
    };
    let mut bot = spawn_with(Options {
        run: RunOptions {
            metrics: Some("127.0.0.1:0".parse().unwrap()),
            command_hook: Some(hook),
            ..RunOptions::default()
        },
        ..Options::default()
    })
    .await;
    let root = bot.root;
    let sorry = "抱歉，出了点问题";

    // Alone.
    let reply = bot.say(root, root, "/whoami boom").await;
    assert!(reply.text.contains(sorry), "{}", reply.text);
    let next = bot.say(root, root, "/whoami").await;
    assert!(next.text.contains("超级管理员"), "{}", next.text);

    // In one poll with two good updates: the batch falls back, the good
    // ones are handled, the bad one fails alone.
    bot.stop().await;
    let before = bot.sandbox.send_text(root, root, "/help");
    let boom = bot.sandbox.send_text(root, root, "/whoami boom");
    let after = bot.sandbox.send_text(root, root, "/whoami");
    bot.start().await;
    assert!(
        !bot.reply_to(root, before, "/help")
            .await
            .text
            .contains(sorry)
    );
    assert!(
        bot.reply_to(root, boom, "/whoami boom")
            .await
            .text
            .contains(sorry)
    );
    assert!(
        bot.reply_to(root, after, "/whoami")
            .await
            .text
            .contains("超级管理员")
    );
    bot.settle().await;

    let mut db = open_db(&bot).await;
    let failed: Vec<i64> = sqlx::query("SELECT update_id FROM processed_updates WHERE failed = 1")
        .fetch_all(&mut db)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("update_id"))
        .collect();
    assert_eq!(failed.len(), 2, "both booms recorded as failed: {failed:?}");
    // Rolled back: nothing else of the failed updates stayed (the superadmin
    // is known from the good updates, but no reply was queued but the apology).
    let http = reqwest::Client::new();
    let base = format!("http://{}", bot.running().metrics_addr.unwrap());
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let body = health.text().await.unwrap();
    assert!(
        body.contains("intake ok") && body.contains("polling ok"),
        "{body}"
    );

    let calls = booms.load(Ordering::SeqCst);
    bot.restart().await;
    let last = bot.say(root, root, "/whoami").await;
    assert!(last.text.contains("超级管理员"), "{}", last.text);
    assert_eq!(bot.sandbox.pending_updates(), 0);
    assert_eq!(
        booms.load(Ordering::SeqCst),
        calls,
        "a failed update came back"
    );
    let apologies = bot
        .sandbox
        .messages(root)
        .iter()
        .filter(|m| m.text.contains(sorry))
        .count();
    assert_eq!(apologies, 2, "one apology per failed update");
}
