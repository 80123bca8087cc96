//! Benchmark: one alert from the district to all 140 groups of
//! `examples/xiqu.toml`, against the sandbox enforcing Telegram's limits
//! (30 messages/s overall, 20/min per group).
//!
//! Run: `cargo run --release --bin bench_broadcast` (from the repository root).
//!
//! It imports the district into a fresh SQLite database, starts the real bot
//! against the sandbox over HTTP, creates and binds one group per node, waits
//! until the welcome messages are out and the rate windows are clear, then
//! issues `/alert` in the district group and presses Send. It reports the
//! time from the press to the moment the last group got its copy, and the
//! number of 429 responses. Target: under 5.0 s (floor 140/30 ≈ 4.7 s), no 429.
//!
//! `--pin-rights` (`cargo run --release --bin bench_broadcast -- --pin-rights`):
//! the alert is severe (so copies are pinned) and the bot is an administrator
//! with the pin right in only 40 of the groups, a plain member in the others.
//! It also reports the pins made and the 400 answers (target: 40 pins, no 400).

use std::time::{Duration, Instant};

use pingan::clock::Clock;
use pingan::config::{BotConfig, Settings};
use pingan::sandbox::{BotRights, Sandbox};
use pingan::store::outbox::count_status;
use pingan::store::{Store, groups, nodes};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let pin_rights = std::env::args().any(|a| a == "--pin-rights");
    let sandbox = Sandbox::start().await?;
    sandbox.set_enforce_limits(true);
    let root = sandbox.add_user("区平安办", Some("district_office"));
    let dir = tempfile_dir()?;
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
    let mut chats = Vec::new();
    for (i, node) in codes.iter().enumerate() {
        let chat = sandbox.create_group(&node.name, root);
        sandbox.add_bot(chat, root);
        if pin_rights && i < PINNABLE {
            sandbox.set_bot_rights(chat, BotRights::Administrator { can_pin: true });
        }
        chats.push((node.code.clone(), chat));
    }
    wait_for(&sandbox, "the bot to take every update", |s| {
        s.pending_updates() == 0
    })
    .await;
    {
        let mut conn = store.conn().await?;
        for (code, chat) in &chats {
            groups::seen(&mut conn, *chat, "", true, 0).await?;
            groups::bind(&mut conn, *chat, code, 0).await?;
        }
    }
    drain(&store).await?;
    println!("{} groups bound; welcome messages sent", chats.len());
    let district = chats[0].1;
    let severity = if pin_rights { "严重" } else { "较重" };
    sandbox.send_text(
        district,
        root,
        &format!("/alert {severity} weather 今晚至明晨有暴雨，请各网格做好防汛准备。"),
    );
    let card = wait_for_message(&sandbox, district, "预览").await;
    drain(&store).await?;
    tokio::time::sleep(Duration::from_millis(1100)).await; // let the rate windows empty
    let before = sandbox.stats();

    let id = card
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("a:send:"))
        .map(|(_, d)| d["a:send:".len()..].to_string())
        .expect("a Send button");
    let tag = format!("（A{id}）");
    let start = Instant::now();
    sandbox.press_button(district, card.message_id, root, &format!("a:send:{id}"));
    wait_for(&sandbox, "every group to get the alert", |s| {
        chats.iter().all(|(_, c)| {
            s.messages(*c)
                .iter()
                .any(|m| m.text.contains(&tag) && !m.text.contains("预览"))
        })
    })
    .await;
    let elapsed = start.elapsed();
    let too_many = sandbox.stats().too_many_requests - before.too_many_requests;
    drain(&store).await?;
    let after = sandbox.stats();
    let pins = after.requests("pinChatMessage") - before.requests("pinChatMessage");
    let bad_requests = after.bad_requests - before.bad_requests;
    let card = sandbox
        .messages(district)
        .into_iter()
        .find(|m| m.message_id == card.message_id)
        .expect("the card");
    println!(
        "broadcast to {} groups: last group reached {:.2} s after Send; 429 responses: {too_many}",
        chats.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "card ({} edits): {}",
        card.edits,
        card.text.replace('\n', " | ")
    );
    println!(
        "pins: {pins} requests ({} groups let the bot pin); 400 responses: {bad_requests}",
        if pin_rights { PINNABLE } else { chats.len() }
    );
    running.stop().await;
    let pins_ok = !pin_rights || (pins == PINNABLE as u64 && bad_requests == 0);
    let ok = elapsed < Duration::from_secs(5) && too_many == 0 && pins_ok;
    println!(
        "{}",
        match (ok, pin_rights) {
            (true, false) => "PASS (target < 5.0 s, no 429)",
            (false, false) => "FAIL (target < 5.0 s, no 429)",
            (true, true) => "PASS (target < 5.0 s, no 429, 40 pins, no 400)",
            (false, true) => "FAIL (target < 5.0 s, no 429, 40 pins, no 400)",
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// With `--pin-rights`, the bot may pin in this many groups (the first ones).
const PINNABLE: usize = 40;

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("pingan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
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

async fn wait_for(sandbox: &Sandbox, what: &str, cond: impl FnMut(&Sandbox) -> bool) {
    sandbox.wait_until(what, cond).await;
}

async fn wait_for_message(
    sandbox: &Sandbox,
    chat: i64,
    text: &str,
) -> pingan::sandbox::SentMessage {
    sandbox
        .wait_message(text, |m| m.chat_id == chat && m.text.contains(text))
        .await
}
