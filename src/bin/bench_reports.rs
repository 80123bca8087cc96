//! Benchmark: how fast the bot takes residents' `/report`s.
//!
//! ```text
//! cargo run --release --bin bench_reports [-- REPORTS [GROUPS] [--drain-secs N]]
//! ```
//!
//! Starts the sandbox Bot API server and the real bot (long polling over
//! HTTP, SQLite in a temporary file), binds GROUPS grid groups (default
//! 100), then queues REPORTS (default 10,000) `/report` messages at once, so
//! getUpdates hands them over as fast as it can (100 per poll). Each comes
//! from a different resident, so the per-person throttle (5 per 10 minutes)
//! never refuses one: the figure is the cost of opening a case, not of
//! refusing. Prints reports handled per second (from the first queued
//! message until every update is confirmed and every case is in the
//! database) and the peak resident memory (VmHWM).
//!
//! Telegram's limits are enforced (30 messages/s overall, 20/min per
//! group), and the answers are watched as they arrive (the sandbox's change
//! notifications): for each reporter, the first answer (the reply in the
//! group or the private confirmation, whichever comes first). It prints the
//! distinct reporters answered per second over the first N seconds from the
//! first queued report (`--drain-secs`, default 60; `0` waits for every
//! reporter, ~6 minutes for 10,000), and the slowest 10 seconds of them.
//! Targets: intake ≥ 1,000 reports/s, peak memory < 64 MB, ≥ 25 reporters
//! answered per second.
//!
//! The bot runs as its own process (`pingan run`, the binary built beside
//! this one), so its peak memory is read from `/proc/<pid>/status` apart from
//! the sandbox's in-memory world, which lives in this process. The
//! dispatcher runs as in production, sending the replies at Telegram's pace
//! in the background.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pingan::domain::NodeCode;
use pingan::sandbox::Sandbox;
use pingan::store::{Store, groups, nodes};
use sqlx::Row;

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut drain_secs: u64 = 60;
    let mut positional = Vec::new();
    let mut raw = std::env::args().skip(1);
    while let Some(a) = raw.next() {
        if a == "--drain-secs" {
            drain_secs = raw
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("--drain-secs wants a number of seconds"))?;
        } else {
            positional.push(a);
        }
    }
    let mut args = positional.into_iter();
    let reports: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let group_count: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let dir = std::env::temp_dir().join(format!("pingan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/bench.db", dir.display());

    let sandbox = Sandbox::start().await?;
    sandbox.set_enforce_limits(true);
    let staff = sandbox.add_user("网格员", None);
    let store = Store::open(&url).await?;
    let mut conn = store.conn().await?;
    let mut chats = Vec::new();
    for code in ["bx", "bx.s1", "bx.s1.c1"] {
        nodes::insert(&mut conn, &NodeCode::parse(code)?, code, 0).await?;
    }
    for g in 0..group_count {
        let code = NodeCode::parse(&format!("bx.s1.c1.g{g}"))?;
        nodes::insert(&mut conn, &code, &format!("第{g}网格"), 0).await?;
        let chat = sandbox.create_group(&format!("第{g}网格群"), staff);
        sandbox.add_bot(chat, staff);
        groups::seen(&mut conn, chat, "grid", true, 0).await?;
        groups::bind(&mut conn, chat, &code, 0).await?;
        chats.push(chat);
    }
    drop(conn);
    store.close().await;

    // The bot, as an operator runs it: the `pingan` binary next to this one.
    let exe = std::env::current_exe()?.with_file_name("pingan");
    anyhow::ensure!(
        exe.exists(),
        "{} is missing: build it with `cargo build --release`",
        exe.display()
    );
    let mut bot = std::process::Command::new(&exe)
        .arg("run")
        .env_clear()
        .env("TELOXIDE_TOKEN", Sandbox::TOKEN)
        .env("TELOXIDE_API_URL", sandbox.api_url().as_str())
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .spawn()?;
    // Let the bot start and take the membership updates from the set-up.
    while sandbox.pending_updates() > 0 || sandbox.stats().requests("setMyCommands") < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let residents: Vec<i64> = (0..reports)
        .map(|i| sandbox.add_user(&format!("居民{i}"), None))
        .collect();
    let before_kb = vm_hwm_kb(bot.id()).unwrap_or(0);

    // Who reported what: (group, message id) of each report, and the
    // reporters, so that an answer in either place is theirs. Held while a
    // report is queued, so the watch cannot see its answer first.
    let index: Arc<Mutex<HashMap<(i64, i64), usize>>> = Arc::default();
    let reporter_of: HashMap<i64, usize> =
        residents.iter().enumerate().map(|(i, u)| (*u, i)).collect();
    let started = Instant::now();
    let answers = tokio::spawn(watch_answers(
        sandbox.clone(),
        index.clone(),
        reporter_of,
        reports,
        started,
        (drain_secs > 0).then(|| Duration::from_secs(drain_secs)),
    ));
    for (i, user) in residents.iter().enumerate() {
        let chat = chats[i % chats.len()];
        let mut index = index.lock().unwrap_or_else(|e| e.into_inner());
        let id = sandbox.send_text(
            chat,
            *user,
            &format!("/report 纠纷 第{i}号楼漏水，请尽快处理"),
        );
        index.insert((chat, id), i);
    }
    let queued = started.elapsed();
    let mut changes = sandbox.subscribe();
    while sandbox.pending_updates() > 0 {
        changes.borrow_and_update();
        if sandbox.pending_updates() == 0 {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()).await;
    }
    let elapsed = started.elapsed();
    let peak_kb = vm_hwm_kb(bot.id()).unwrap_or(0);
    // Every update is confirmed; the last one's transaction may still be committing.
    let store = Store::open(&url).await?;
    let mut cases = 0;
    for _ in 0..500 {
        let mut conn = store.conn().await?;
        cases = sqlx::query("SELECT COUNT(*) AS n FROM cases")
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        if cases as usize == reports {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    store.close().await;
    // The answers go out at Telegram's pace meanwhile.
    let firsts = answers.await?;
    let drain_peak_kb = vm_hwm_kb(bot.id()).unwrap_or(0);
    std::process::Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status()?;
    bot.wait()?;

    println!(
        "reports queued:        {reports} in {group_count} grid groups ({queued:.2?} to queue)"
    );
    println!("cases opened:          {cases}");
    println!("time to handle all:    {elapsed:.2?}");
    println!(
        "throughput:            {:.0} reports/s",
        reports as f64 / elapsed.as_secs_f64()
    );
    println!(
        "429 responses:         {} (the replies go out meanwhile, paced)",
        sandbox.stats().too_many_requests
    );
    println!(
        "bot peak memory:       {:.1} MB VmHWM (after start-up: {:.1} MB; at the end of the drain: {:.1} MB)",
        peak_kb as f64 / 1024.0,
        before_kb as f64 / 1024.0,
        drain_peak_kb as f64 / 1024.0
    );
    let window = match drain_secs {
        0 => firsts
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or_default()
            .max(Duration::from_millis(1)),
        n => Duration::from_secs(n),
    };
    let answered = firsts.iter().flatten().filter(|t| **t <= window).count();
    let rate = answered as f64 / window.as_secs_f64();
    // The slowest whole 10 s of the window.
    let mut tens = vec![0usize; (window.as_secs() / 10) as usize];
    for t in firsts.iter().flatten() {
        if let Some(b) = tens.get_mut((t.as_secs() / 10) as usize) {
            *b += 1;
        }
    }
    let slowest = tens.iter().min().map(|n| *n as f64 / 10.0);
    println!(
        "reporters answered:    {answered} of {reports} within {:.0} s of the first report{}",
        window.as_secs_f64(),
        if drain_secs > 0 {
            format!(" (the first {drain_secs} s of the drain only; --drain-secs 0 for all)")
        } else {
            String::new()
        }
    );
    println!(
        "answer rate:           {rate:.1} distinct reporters/s (slowest 10 s: {}) with Telegram's limits on",
        slowest.map_or("-".to_string(), |r| format!("{r:.1}/s"))
    );
    let throughput = reports as f64 / elapsed.as_secs_f64();
    let peak_mb = peak_kb.max(drain_peak_kb) as f64 / 1024.0;
    let ok = throughput >= 1000.0 && peak_mb < 64.0 && rate >= 25.0;
    println!(
        "{} (targets: intake ≥ 1,000 reports/s, peak memory < 64 MB, ≥ 25 reporters answered/s)",
        if ok { "PASS" } else { "FAIL" }
    );
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(
        cases as usize == reports,
        "only {cases} of {reports} cases opened"
    );
    Ok(())
}

/// Watches the bot's messages as they arrive and returns, per reporter, when
/// the first answer reached them (from `started`): a reply to their report
/// in the group, or a private message. Stops when every reporter has one or
/// when `window` is over.
async fn watch_answers(
    sandbox: Sandbox,
    index: Arc<Mutex<HashMap<(i64, i64), usize>>>,
    reporter_of: HashMap<i64, usize>,
    reports: usize,
    started: Instant,
    window: Option<Duration>,
) -> Vec<Option<Duration>> {
    let mut firsts = vec![None; reports];
    let mut left = reports;
    let mut seen = 0;
    let mut changes = sandbox.subscribe();
    let end = window.map(|w| tokio::time::Instant::from_std(started + w));
    // With no window: at most ten minutes without an answer.
    let idle = Duration::from_secs(600);
    loop {
        changes.borrow_and_update();
        let now = started.elapsed();
        let (new, total) = sandbox.messages_since(seen);
        seen = total;
        if !new.is_empty() {
            let index = index.lock().unwrap_or_else(|e| e.into_inner());
            for m in new {
                let who = if m.chat_id > 0 {
                    reporter_of.get(&m.chat_id)
                } else {
                    m.reply_to.and_then(|r| index.get(&(m.chat_id, r)))
                };
                if let Some(&i) = who
                    && firsts[i].is_none()
                {
                    firsts[i] = Some(now);
                    left -= 1;
                }
            }
        }
        if left == 0 {
            return firsts;
        }
        let wait = changes.changed();
        let woke = match end {
            Some(end) => tokio::time::timeout_at(end, wait).await,
            None => tokio::time::timeout(idle, wait).await,
        };
        if woke.is_err() {
            return firsts;
        }
    }
}
