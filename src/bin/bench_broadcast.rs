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
//!
//! Both modes also time the issuer's card: from the last group's delivery to
//! the card showing the final count ("已送达 140/140"); target within 2 s.
//! Deliveries and the card are watched as they happen (the sandbox's change
//! notifications), not by polling.
//!
//! `--groups N` (`cargo run --release --bin bench_broadcast -- --groups 2000`):
//! a city instead of Xiqu, a four-level tree of N nodes generated here (one
//! root, N/100 towns, N/12 communities, the rest grids), each with a group
//! the bot is already in (no welcome messages). Target: within 5% of the
//! N/30 s floor (≤ 70 s for 2,000), no 429.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use pingan::clock::Clock;
use pingan::config::{BotConfig, Settings};
use pingan::domain::NodeCode;
use pingan::sandbox::{BotRights, Sandbox};
use pingan::store::outbox::count_status;
use pingan::store::{Store, groups, nodes};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pin_rights = args.iter().any(|a| a == "--pin-rights");
    let city: Option<usize> = match args.iter().position(|a| a == "--groups") {
        Some(i) => Some(
            args.get(i + 1)
                .and_then(|n| n.parse().ok())
                .filter(|n| *n >= 4)
                .ok_or_else(|| anyhow::anyhow!("--groups wants a number of groups (at least 4)"))?,
        ),
        None => None,
    };
    anyhow::ensure!(
        !(pin_rights && city.is_some()),
        "--pin-rights is for Xiqu's 140 groups; leave it out with --groups"
    );
    let sandbox = Sandbox::start().await?;
    sandbox.set_enforce_limits(true);
    let root = sandbox.add_user("区平安办", Some("district_office"));
    let dir = tempfile_dir()?;
    let mut settings = Settings {
        database_url: format!("sqlite://{}", dir.join("bench.db").display()),
        ..Settings::default()
    };
    settings.superadmins.insert(root);
    // A city: the tree and its groups are made before the bot starts; the
    // bot is a member already, so there is no welcome to wait out.
    let mut chats = Vec::new();
    if let Some(n) = city {
        let store = Store::open(&settings.database_url).await?;
        let mut conn = store.conn().await?;
        for (code, name) in city_tree(n) {
            let code = NodeCode::parse(&code)?;
            nodes::insert(&mut conn, &code, &name, 0).await?;
            let chat = sandbox.create_group(&name, root);
            sandbox.join(chat, sandbox.bot_id());
            groups::seen(&mut conn, chat, &name, true, 0).await?;
            groups::bind(&mut conn, chat, &code, 0).await?;
            chats.push((code.to_string(), chat));
        }
        drop(conn);
        store.close().await;
    } else {
        pingan::cli::import_file(&settings, std::path::Path::new("examples/xiqu.toml")).await?;
    }

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

    // Xiqu: one group per node, the bot added (its welcome goes out), then bound.
    if city.is_none() {
        let codes = {
            let mut conn = store.conn().await?;
            let root_node = nodes::roots(&mut conn).await?.remove(0);
            nodes::subtree(&mut conn, &root_node.code).await?
        };
        for (i, node) in codes.iter().enumerate() {
            let chat = sandbox.create_group(&node.name, root);
            sandbox.add_bot(chat, root);
            if pin_rights && i < PINNABLE {
                sandbox.set_bot_rights(chat, BotRights::Administrator { can_pin: true });
            }
            chats.push((node.code.to_string(), chat));
        }
        wait_for(&sandbox, "the bot to take every update", |s| {
            s.pending_updates() == 0
        })
        .await;
        let mut conn = store.conn().await?;
        for (code, chat) in &chats {
            groups::seen(&mut conn, *chat, "", true, 0).await?;
            groups::bind(&mut conn, *chat, &NodeCode::parse(code)?, 0).await?;
        }
    }
    drain(&store).await?;
    println!("{} groups bound; nothing left to send", chats.len());
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
    let final_count = format!("已送达 {0}/{0}", chats.len());
    let targets: HashSet<i64> = chats.iter().map(|(_, c)| *c).collect();
    let mut reached: HashMap<i64, Duration> = HashMap::new();
    let (mut last_delivery, mut card_final) = (None, None);
    // Every change of the sandbox wakes this watch; it reads only the
    // messages sent since the last look, and the card.
    let mut changes = sandbox.subscribe();
    let mut seen = sandbox.messages_since(usize::MAX).1;
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(20 + 2 * chats.len() as u64 / 30);
    let start = Instant::now();
    sandbox.press_button(district, card.message_id, root, &format!("a:send:{id}"));
    loop {
        changes.borrow_and_update();
        let now = start.elapsed();
        let (new, total) = sandbox.messages_since(seen);
        seen = total;
        for m in new {
            if targets.contains(&m.chat_id)
                && (m.chat_id, m.message_id) != (district, card.message_id)
                && m.text.contains(&tag)
            {
                reached.entry(m.chat_id).or_insert(now);
            }
        }
        if last_delivery.is_none() && reached.len() == targets.len() {
            last_delivery = Some(now);
        }
        if card_final.is_none()
            && sandbox
                .message(district, card.message_id)
                .is_some_and(|c| c.text.contains(&final_count))
        {
            card_final = Some(now);
        }
        if last_delivery.is_some() && card_final.is_some() {
            break;
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            let missing: Vec<String> = chats
                .iter()
                .filter(|(_, c)| !reached.contains_key(c))
                .take(3)
                .map(|(code, c)| format!("{code}: {:?}", sandbox.messages(*c)))
                .collect();
            anyhow::bail!(
                "timed out: {} of {} groups reached, card final: {card_final:?}; missing: {missing:?}",
                reached.len(),
                targets.len()
            );
        }
    }
    let elapsed = last_delivery.expect("all reached");
    let card_lag = card_final.expect("card final").saturating_sub(elapsed);
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
        "card's final edit (\"{final_count}\"): {:.2} s after the last delivery",
        card_lag.as_secs_f64()
    );
    println!(
        "pins: {pins} requests ({} groups let the bot pin); 400 responses: {bad_requests}",
        if pin_rights { PINNABLE } else { chats.len() }
    );
    running.stop().await;
    let pins_ok = !pin_rights || (pins == PINNABLE as u64 && bad_requests == 0);
    // The floor is the overall limit; 140 groups get 5.0 s, a city 5% over its floor.
    let floor = chats.len() as f64 / 30.0;
    let limit = if city.is_some() { floor * 1.05 } else { 5.0 };
    let card_ok = card_lag <= Duration::from_secs(2);
    let ok = elapsed.as_secs_f64() <= limit && too_many == 0 && pins_ok && card_ok;
    println!(
        "{} (target ≤ {limit:.1} s{}, no 429{}, card within 2 s)",
        if ok { "PASS" } else { "FAIL" },
        if city.is_some() {
            format!(", floor {floor:.1} s + 5%")
        } else {
            String::new()
        },
        if pin_rights { ", 40 pins, no 400" } else { "" },
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

/// A four-level tree of `n` nodes (code, name): one root, `n/100` towns,
/// `n/12` communities spread over the towns, the rest grids spread over
/// the communities; parents come before their children.
fn city_tree(n: usize) -> Vec<(String, String)> {
    let towns = (n / 100).max(1);
    let communities = (n / 12).max(1);
    let grids = n.saturating_sub(1 + towns + communities).max(1);
    let mut out = vec![("cs".to_string(), "市".to_string())];
    for t in 0..towns {
        out.push((format!("cs.t{t}"), format!("第{t}街道")));
    }
    for c in 0..communities {
        out.push((format!("cs.t{}.c{c}", c % towns), format!("第{c}社区")));
    }
    for g in 0..grids {
        let c = g % communities;
        out.push((format!("cs.t{}.c{c}.g{g}", c % towns), format!("第{g}网格")));
    }
    out
}

/// Waits until nothing is pending in the outbox.
async fn drain(store: &Store) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
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
