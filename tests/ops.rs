//! Running it like a service: health and metrics, webhook mode, graceful shutdown.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Options, TestDb, spawn_with};
use pingan::app::RunOptions;
use pingan::clock::Clock;
use pingan::config::{BotConfig, Settings};
use pingan::sandbox::{Fault, Sandbox};
use pingan::store::{Store, outbox};
use pingan::telegram::Intake;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn healthz_and_metrics() {
    let run = RunOptions {
        metrics: Some("127.0.0.1:0".parse().unwrap()),
        ..RunOptions::default()
    };
    let bot = spawn_with(Options {
        run,
        ..Options::default()
    })
    .await;
    let base = format!(
        "http://{}",
        bot.running().metrics_addr.expect("metrics served")
    );
    let root = bot.root;
    for _ in 0..3 {
        bot.say(root, root, "/whoami").await;
    }
    // The dispatcher records each send in its own transaction after the reply arrives.
    bot.sandbox
        .wait_until("sends recorded", |_| {
            bot.app()
                .dispatch_stats
                .sent
                .load(std::sync::atomic::Ordering::Relaxed)
                >= 3
        })
        .await;

    let http = reqwest::Client::new();
    let health = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.text().await.unwrap().contains("database ok"));

    let m = scrape(&base).await;
    assert!(m.value("pingan_updates_handled_total", &[]) >= 3.0);
    assert!(m.value("pingan_messages_sent_total", &[]) >= 3.0);
    assert_eq!(m.value("pingan_too_many_requests_total", &[]), 0.0);
    assert_eq!(m.value("pingan_outbox_pending", &[]), 0.0);
    assert_eq!(m.value("pingan_cases_open", &[]), 0.0);
    assert_eq!(
        m.value("pingan_send_errors_total", &[("kind", "gone")]),
        0.0
    );

    // A case reported and left past its deadline shows as open and overdue.
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let grid = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let resident = bot.sandbox.add_user("陈阿姨", None);
    bot.sandbox.join(grid, resident);
    bot.say(grid, resident, "/report 隐患 楼道灯坏了").await;
    bot.clock.advance(4 * 86_400); // the everyday deadline is 3 days
    let m = scrape(&base).await;
    assert_eq!(m.value("pingan_cases_open", &[]), 1.0);
    assert_eq!(m.value("pingan_cases_overdue", &[]), 1.0);
}

/// One `/metrics` answer, parsed.
struct Scraped {
    text: String,
    scrape: prometheus_parse::Scrape,
}

async fn scrape(base: &str) -> Scraped {
    let answer = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text format");
    Scraped { text, scrape }
}

impl Scraped {
    /// The value of the sample `name` with these labels (and any others).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("{name}{labels:?} missing in\n{}", self.text))
    }
}

/// Rows held in two lanes show in the lane gauges (every lane present, the
/// others at 0), and once sent, in their lane's latency histogram.
async fn metrics_show_the_lanes(bot: common::TestBot) {
    use pingan::store::outbox::{Lane, Outgoing};
    let base = format!("http://{}", bot.running().metrics_addr.unwrap());
    let root = bot.root;
    bot.say(root, root, "/whoami").await;
    let latency = "pingan_outbox_send_latency_seconds_count";
    let mut before = scrape(&base).await;
    for _ in 0..200 {
        // The reply's send is recorded just after it arrives.
        if before.value("pingan_outbox_pending", &[]) == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        before = scrape(&base).await;
    }
    assert!(
        before.value(latency, &[("lane", "answer")]) >= 1.0,
        "the reply to /whoami: {}",
        before.text
    );

    // The chat's next send is answered 429, which holds its queue for 3 s.
    bot.sandbox.inject(
        "sendMessage",
        Some(root),
        1,
        Fault::TooManyRequests { retry_after: 3 },
    );
    let app = bot.app();
    let msgs = [
        Outgoing::answer(root, root, "答复一"),
        Outgoing::answer(root, root, "答复二"),
        Outgoing::text(root, "报表一").in_lane(Lane::Bulk),
        Outgoing::text(root, "报表二").in_lane(Lane::Bulk),
        Outgoing::text(root, "报表三").in_lane(Lane::Bulk),
    ];
    let mut tx = app.store.begin().await.unwrap();
    pingan::outbox::queue(&mut tx, &msgs, bot.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let held = scrape(&base).await;
    for lane in Lane::ALL {
        let want = match lane {
            Lane::Answer => 2.0,
            Lane::Bulk => 3.0,
            _ => 0.0,
        };
        let depth = held.value("pingan_outbox_lane_depth", &[("lane", lane.key())]);
        assert_eq!(depth, want, "{} in\n{}", lane.key(), held.text);
        let age = held.value("pingan_outbox_lane_oldest_seconds", &[("lane", lane.key())]);
        assert!((0.0..60.0).contains(&age), "{}: {age}", lane.key());
        held.value(latency, &[("lane", lane.key())]);
    }
    assert_eq!(held.value("pingan_outbox_pending", &[]), 5.0);
    assert!(
        held.scrape
            .samples
            .iter()
            .all(|s| s.labels.get("instance") == Some(bot.settings.instance.as_str())),
        "every sample carries the instance"
    );

    app.wake_dispatcher();
    bot.sandbox
        .wait_until("the held rows to be sent", |s| {
            s.messages(root).iter().any(|m| m.text == "报表三")
        })
        .await;
    let mut after = scrape(&base).await;
    for _ in 0..200 {
        if after.value("pingan_outbox_pending", &[]) == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = scrape(&base).await;
    }
    for lane in ["answer", "bulk"] {
        assert_eq!(
            after.value("pingan_outbox_lane_depth", &[("lane", lane)]),
            0.0
        );
    }
    let grew = |lane: &str| {
        after.value(latency, &[("lane", lane)]) - before.value(latency, &[("lane", lane)])
    };
    assert_eq!(grew("answer"), 2.0, "{}", after.text);
    assert_eq!(grew("bulk"), 3.0, "{}", after.text);
    assert_eq!(grew("alert"), 0.0);
    // The first answer waited out the 429.
    let sum = "pingan_outbox_send_latency_seconds_sum";
    let waited = after.value(sum, &[("lane", "answer")]) - before.value(sum, &[("lane", "answer")]);
    assert!(waited >= 3.0, "the answers waited {waited} s in all");
}

fn with_metrics(db: Option<TestDb>) -> Options {
    Options {
        db,
        run: RunOptions {
            metrics: Some("127.0.0.1:0".parse().unwrap()),
            ..RunOptions::default()
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn metrics_show_the_lanes_on_sqlite() {
    metrics_show_the_lanes(spawn_with(with_metrics(None)).await).await;
}

#[tokio::test]
async fn metrics_show_the_lanes_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    metrics_show_the_lanes(spawn_with(with_metrics(Some(db))).await).await;
}

#[tokio::test]
async fn webhook_checks_the_secret_token() {
    let port = free_port();
    let url: url::Url = format!("http://127.0.0.1:{port}/telegram").parse().unwrap();
    let intake = Intake::Webhook {
        url: url.clone(),
        listen: ([127, 0, 0, 1], port).into(),
        secret: Some("s3cret-token".into()),
    };
    let bot = spawn_with(Options {
        run: RunOptions {
            intake,
            ..RunOptions::default()
        },
        ..Options::default()
    })
    .await;
    assert_eq!(
        bot.sandbox.webhook(),
        Some((url.to_string(), Some("s3cret-token".to_string())))
    );

    let user = bot.sandbox.add_user("网页用户", None);
    bot.sandbox.send_text(user, user, "hi"); // opens the private chat in the sandbox's world
    let update = |id: u32| {
        serde_json::json!({
            "update_id": id,
            "message": {
                "message_id": 1000 + id, "date": 1_795_741_200,
                "chat": {"id": user, "type": "private", "first_name": "网页用户"},
                "from": {"id": user, "is_bot": false, "first_name": "网页用户"},
                "text": "/whoami",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}]
            }
        })
    };
    let http = reqwest::Client::new();
    let post = |body: serde_json::Value, secret: Option<&str>| {
        let mut req = http
            .post(url.clone())
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send()
    };
    assert_eq!(post(update(1), None).await.unwrap().status(), 401);
    assert_eq!(post(update(2), Some("wrong")).await.unwrap().status(), 401);
    assert_eq!(
        post(update(3), Some("s3cret-token"))
            .await
            .unwrap()
            .status(),
        200
    );
    // (The sandbox never saw message 1003, so the reply arrives without a reply reference.)
    let reply = bot
        .sandbox
        .wait_message("webhook reply", |m| {
            m.chat_id == user && m.text.contains("网页用户")
        })
        .await;
    assert!(reply.text.contains("没有职务"), "{}", reply.text);
    // Updates are handled in order: had the refused ones got through, their replies would be here too.
    assert_eq!(
        bot.sandbox.messages(user).len(),
        1,
        "refused updates were not handled"
    );
}

/// SIGTERM while the bot still owes messages: it exits 0 promptly, and a
/// restart on the same database sends every remaining one exactly once.
#[tokio::test]
async fn sigterm_exits_cleanly_and_a_restart_finishes_the_queue() {
    let sandbox = Sandbox::start().await.unwrap();
    let root = sandbox.add_user("超级管理员", None);
    let db = TestDb::sqlite();
    let child = run_as_process(&sandbox, &db, root);
    let asked = owe_replies(&sandbox, root);
    sandbox
        .wait_until("first replies", |s| s.messages(root).len() >= 4)
        .await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let exit = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        exit.status.success(),
        "exit {:?}: {}",
        exit.status,
        String::from_utf8_lossy(&exit.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "shutdown took {:?}",
        started.elapsed()
    );

    let store = Store::open(db.url()).await.unwrap();
    let pending = outbox::count_status(&mut store.conn().await.unwrap(), "pending")
        .await
        .unwrap();
    let delivered = sandbox.messages(root).len();
    assert!(
        pending > 0 && delivered < asked.len(),
        "the queue outlived the process (pending {pending}, delivered {delivered})"
    );
    store.close().await;

    let running = restart(&sandbox, &db, root).await;
    each_answered_once(&sandbox, root, &asked).await;
    running.stop().await;
}

/// kill -9 in the middle of a send while the bot still owes messages: a
/// restart on the same database answers every command, at once (not when
/// the crashed send's lease runs out), each exactly once (the crashed send
/// never reached Telegram).
#[tokio::test]
async fn a_crash_loses_nothing_and_a_restart_resumes_at_once() {
    let sandbox = Sandbox::start().await.unwrap();
    let root = sandbox.add_user("超级管理员", None);
    let db = TestDb::sqlite();
    let mut child = run_as_process(&sandbox, &db, root);
    let asked = owe_replies(&sandbox, root);
    sandbox
        .wait_until("first replies", |s| s.messages(root).len() >= 4)
        .await;
    // Crash in the middle of a send: the next one hangs, then kill -9.
    sandbox.inject("sendMessage", Some(root), 1, Fault::Hang);
    sandbox
        .wait_until("a send to hang", |s| s.stats().errors_injected == 1)
        .await;
    child.kill().unwrap(); // SIGKILL: no shutdown code runs
    child.wait().unwrap();
    let delivered = sandbox.messages(root).len();
    assert!(
        delivered < asked.len(),
        "the crash came too late to test anything"
    );

    // Within the sandbox's wait (30 s), well inside the 60 s lease a crashed
    // send would otherwise hold.
    let running = restart(&sandbox, &db, root).await;
    each_answered_once(&sandbox, root, &asked).await;
    running.stop().await;
}

/// Handled updates are remembered for a week (a redelivery is refused),
/// then let go by the daily housekeeping.
#[tokio::test]
async fn handled_updates_are_forgotten_after_a_week() {
    let bot = common::spawn().await;
    let user = bot.sandbox.add_user("居民", None);
    bot.start_private(user).await;
    let count = || async {
        let mut c = bot.app().store.conn().await.unwrap();
        pingan::store::updates::count(&mut c).await.unwrap()
    };
    assert!(count().await > 0);
    bot.app().tick().await;
    assert!(count().await > 0, "kept for a week");
    bot.clock.advance(8 * 86_400);
    bot.app().tick().await;
    assert_eq!(count().await, 0);
}

/// `pingan run` as an operator starts it, on the sandbox and `db`.
fn run_as_process(sandbox: &Sandbox, db: &TestDb, root: i64) -> std::process::Child {
    common::process::run_as_process(sandbox, db.url(), root, &[])
}

/// Twelve commands in `root`'s private chat. A private chat is paced at
/// about one message a second after a short burst, so the replies take the
/// bot several seconds to deliver.
fn owe_replies(sandbox: &Sandbox, root: i64) -> Vec<i64> {
    (0..12)
        .map(|_| sandbox.send_text(root, root, "/whoami"))
        .collect()
}

/// The bot again, in this process, on the same database.
async fn restart(sandbox: &Sandbox, db: &TestDb, root: i64) -> pingan::app::Running {
    let mut settings = Settings {
        database_url: db.url().to_string(),
        ..Settings::default()
    };
    settings.superadmins.insert(root);
    let config = BotConfig {
        token: Sandbox::TOKEN.into(),
        api_url: Some(sandbox.api_url()),
    };
    pingan::app::start(settings, config, Clock::System, RunOptions::default())
        .await
        .unwrap()
}

/// Waits until every one of `asked` has a reply, then checks it has one only.
async fn each_answered_once(sandbox: &Sandbox, root: i64, asked: &[i64]) {
    sandbox
        .wait_until("every command answered", |s| {
            asked
                .iter()
                .all(|id| s.messages(root).iter().any(|m| m.reply_to == Some(*id)))
        })
        .await;
    let sent = sandbox.messages(root);
    let copies: Vec<usize> = asked
        .iter()
        .map(|id| sent.iter().filter(|m| m.reply_to == Some(*id)).count())
        .collect();
    assert!(
        copies.iter().all(|n| *n == 1),
        "copies per command: {copies:?}"
    );
}
