//! Benchmark: how fast the bot takes residents' `/report`s.
//!
//! ```text
//! cargo run --release --bin bench_reports [-- REPORTS [GROUPS]]
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
//! The bot runs as its own process (`pingan run`, the binary built beside
//! this one), so its peak memory is read from `/proc/<pid>/status` apart from
//! the sandbox's in-memory world, which lives in this process. The
//! dispatcher runs as in production, sending the replies at Telegram's pace
//! in the background.

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
    let mut args = std::env::args().skip(1);
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

    let started = Instant::now();
    for (i, user) in residents.iter().enumerate() {
        let chat = chats[i % chats.len()];
        sandbox.send_text(
            chat,
            *user,
            &format!("/report 纠纷 第{i}号楼漏水，请尽快处理"),
        );
    }
    let queued = started.elapsed();
    while sandbox.pending_updates() > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
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
        "bot peak memory:       {:.1} MB VmHWM (after start-up: {:.1} MB)",
        peak_kb as f64 / 1024.0,
        before_kb as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(
        cases as usize == reports,
        "only {cases} of {reports} cases opened"
    );
    Ok(())
}
