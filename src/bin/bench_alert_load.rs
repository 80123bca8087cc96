//! Benchmark: a severe alert while the outbox is full of answers (issue 10,
//! "Alerts first").
//!
//! Run: `cargo run --release --bin bench_alert_load [-- REPORTS]` (from the
//! repository root).
//!
//! It imports `examples/xiqu.toml` into a fresh SQLite database, starts the
//! real bot against the sandbox enforcing Telegram's limits (30 messages/s
//! overall, 20/min per group), creates and binds a group per node (140),
//! then queues REPORTS (default 3,000) `/report`s across 100 grid groups,
//! each from a different resident (so the per-person limit refuses none).
//! Once the bot has taken them all (their answers now wait in the outbox,
//! paced), the district office sends `/alert 严重 …` in the district group
//! and presses Send as soon as the preview shows. It prints the time from
//! the command to the preview, from Send to the last of the other 139
//! groups having its copy, and the 429 answers.
//! Targets: preview within 2 s, every group within 8 s of Send, no 429.
//! Messages are watched as they arrive (the sandbox's change notifications).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use pingan::clock::Clock;
use pingan::config::{BotConfig, Settings};
use pingan::domain::{Level, NodeCode};
use pingan::sandbox::{Sandbox, SentMessage};
use pingan::store::outbox::count_status;
use pingan::store::{Store, groups, nodes};

/// Grid groups the reports come from.
const REPORT_GROUPS: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let reports: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(3_000);
    let sandbox = Sandbox::start().await?;
    sandbox.set_enforce_limits(true);
    let root = sandbox.add_user("区平安办", Some("district_office"));
    let dir = std::env::temp_dir().join(format!("pingan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut settings = Settings {
        database_url: format!("sqlite://{}", dir.join("bench.db").display()),
        ..Settings::default()
    };
    settings.superadmins.insert(root);
    pingan::cli::import_file(&settings, std::path::Path::new("examples/xiqu.toml")).await?;
    let bot_config = BotConfig {
        token: Sandbox::TOKEN.to_string(),
        api_url: Some(sandbox.api_url()),
    };
    let running = pingan::app::start(
        settings.clone(),
        bot_config,
        Clock::System,
        pingan::app::RunOptions::default(),
    )
    .await?;
    let store = Store::open(&settings.database_url).await?;

    // One group per node, the bot added (its welcome goes out), then bound.
    let codes = {
        let mut conn = store.conn().await?;
        let root_node = nodes::roots(&mut conn).await?.remove(0);
        nodes::subtree(&mut conn, &root_node.code).await?
    };
    let mut chats: Vec<(NodeCode, i64)> = Vec::new();
    for node in &codes {
        let chat = sandbox.create_group(&node.name, root);
        sandbox.add_bot(chat, root);
        chats.push((node.code.clone(), chat));
    }
    sandbox
        .wait_until("the bot to take every update", |s| s.pending_updates() == 0)
        .await;
    {
        let mut conn = store.conn().await?;
        for (code, chat) in &chats {
            groups::seen(&mut conn, *chat, "", true, 0).await?;
            groups::bind(&mut conn, *chat, code, 0).await?;
        }
    }
    drain(&store).await?;
    let district = chats[0].1;
    let grids: Vec<i64> = chats
        .iter()
        .filter(|(code, _)| code.level() == Level::Grid)
        .map(|(_, c)| *c)
        .take(REPORT_GROUPS)
        .collect();
    println!(
        "{} groups bound; welcome messages sent; {} grid groups report",
        chats.len(),
        grids.len()
    );

    // The load: every report from its own resident.
    let residents: Vec<i64> = (0..reports)
        .map(|i| sandbox.add_user(&format!("居民{i}"), None))
        .collect();
    let before = sandbox.stats();
    let queued = Instant::now();
    for (i, user) in residents.iter().enumerate() {
        let chat = grids[i % grids.len()];
        sandbox.send_text(
            chat,
            *user,
            &format!("/report 纠纷 第{i}号楼漏水，请尽快处理"),
        );
    }
    sandbox
        .wait_until("the bot to take every report", |s| s.pending_updates() == 0)
        .await;
    let intake = queued.elapsed();
    let waiting = count_status(&mut *store.conn().await?, "pending").await?;
    println!(
        "{reports} reports taken in {:.2} s; {waiting} messages waiting in the outbox",
        intake.as_secs_f64()
    );

    // The alert.
    let mut seen = sandbox.messages_since(usize::MAX).1;
    let command = Instant::now();
    sandbox.send_text(
        district,
        root,
        "/alert 严重 weather 今晚至明晨有暴雨，请各网格做好防汛准备。",
    );
    let mut card = None;
    watch(&sandbox, &mut seen, "the preview", |new| {
        card = new
            .iter()
            .find(|m| m.chat_id == district && m.text.contains("预览"))
            .cloned();
        card.is_some()
    })
    .await?;
    let preview = command.elapsed();
    let card = card.expect("found");
    let id = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .map(|(_, d)| d["a:send:".len()..].to_string())
        .expect("a Send button");
    let tag = format!("（A{id}）");
    let others: HashSet<i64> = chats[1..].iter().map(|(_, c)| *c).collect();
    let mut reached = HashSet::new();
    let mut answers_meanwhile = 0;
    let send = Instant::now();
    sandbox.press_button(district, card.message_id, root, &format!("a:send:{id}"));
    watch(&sandbox, &mut seen, "every group to get the alert", |new| {
        for m in new {
            if others.contains(&m.chat_id) && m.text.contains(&tag) {
                reached.insert(m.chat_id);
            } else if m.text.contains("已登记") {
                answers_meanwhile += 1;
            }
        }
        reached.len() == others.len()
    })
    .await?;
    let delivered = send.elapsed();
    let after = sandbox.stats();
    let too_many = after.too_many_requests - before.too_many_requests;
    let answered = after.sends_accepted - before.sends_accepted;
    running.stop().await;

    println!(
        "preview:               {:.2} s after /alert",
        preview.as_secs_f64()
    );
    println!(
        "alert:                 all {} other groups {:.2} s after Send ({answers_meanwhile} report answers went out meanwhile)",
        others.len(),
        delivered.as_secs_f64()
    );
    println!("429 responses:         {too_many} ({answered} messages accepted since the reports)");
    let ok =
        preview <= Duration::from_secs(2) && delivered <= Duration::from_secs(8) && too_many == 0;
    println!(
        "{} (targets: preview ≤ 2 s, every group ≤ 8 s after Send, no 429)",
        if ok { "PASS" } else { "FAIL" }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Calls `check` with each batch of newly sent bot messages (and once with
/// none) until it returns true; woken by the sandbox's changes, not polling.
async fn watch(
    sandbox: &Sandbox,
    seen: &mut usize,
    what: &str,
    mut check: impl FnMut(&[SentMessage]) -> bool,
) -> anyhow::Result<()> {
    let mut changes = sandbox.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        changes.borrow_and_update();
        let (new, total) = sandbox.messages_since(*seen);
        *seen = total;
        if check(&new) {
            return Ok(());
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            anyhow::bail!("timed out waiting for {what}");
        }
    }
}

/// Waits until nothing is pending in the outbox.
async fn drain(store: &Store) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending = count_status(&mut *store.conn().await?, "pending").await?;
        if pending == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "outbox never drained ({pending} pending)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
