//! Benchmark: failover between instances on one PostgreSQL database (issue 13).
//!
//! Run: `cargo build --release && cargo run --release --bin bench_failover`
//! (from the repository root; PostgreSQL from `PINGAN_TEST_POSTGRES`,
//! default `postgres://postgres@127.0.0.1:5432/test`, where it creates a
//! fresh database).
//!
//! It starts `pingan run` three times (the release binary next to this one)
//! against the sandbox enforcing Telegram's limits, on the 140 groups of
//! `examples/xiqu.toml`, and measures:
//! 1. takeover: from `kill -9` of the active instance to the moment a standby
//!    says `role active` on `/healthz` (target ≤ 5 s);
//! 2. a broadcast to 140 groups with the active instance killed after 70
//!    deliveries: the time from Send to the last group reached, and the gap
//!    in deliveries (target: ≤ 5.0 s plus the takeover; no 429).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use pingan::config::Settings;
use pingan::sandbox::{BotRights, Sandbox};
use pingan::store::{Store, groups, nodes};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = fresh_database().await?;
    let sandbox = Sandbox::start().await?;
    sandbox.set_enforce_limits(true);
    let root = sandbox.add_user("区平安办", Some("district_office"));
    let chats = district(&sandbox, &db, root).await?;
    println!("{} groups bound on {}", chats.len(), redact(&db));

    let mut instances: Vec<Instance> = (0..3)
        .map(|_| Instance::start(&sandbox, &db, root))
        .collect::<anyhow::Result<_>>()?;
    let active = active_one(&instances, &[0, 1, 2]).await?;

    // 1. Takeover after kill -9 of the idle active instance.
    instances[active].kill();
    let killed_slot = active;
    let killed = Instant::now();
    let live: Vec<usize> = (0..3).filter(|i| *i != active).collect();
    let active = active_one(&instances, &live).await?;
    let takeover = killed.elapsed();
    println!("takeover after kill -9: {:.2} s", takeover.as_secs_f64());
    // A new standby in the dead one's place, as an orchestrator would start.
    instances[killed_slot] = Instance::start(&sandbox, &db, root)?;
    let _ = active;

    // 2. A broadcast with one failover in the middle.
    let district = chats[0];
    sandbox.send_text(
        district,
        root,
        "/alert 较重 今晚至明晨有暴雨，请各网格做好防汛准备。",
    );
    let card = wait_for(&sandbox, |s| {
        s.messages(district)
            .into_iter()
            .find(|m| m.text.contains("预览"))
    })
    .await?;
    let id = card
        .buttons()
        .into_iter()
        .find_map(|(_, d)| d.strip_prefix("a:send:").map(str::to_string))
        .context("a Send button")?;
    let tag = format!("（A{id}）");
    let reached = |s: &Sandbox| {
        chats
            .iter()
            .filter(|c| {
                s.messages(**c).iter().any(|m| {
                    m.text.contains(&tag)
                        && !(m.chat_id == card.chat_id && m.message_id == card.message_id)
                })
            })
            .count()
    };
    tokio::time::sleep(Duration::from_millis(1100)).await; // let the rate windows empty
    let before = sandbox.stats().too_many_requests;
    let start = Instant::now();
    sandbox.press_button(district, card.message_id, root, &format!("a:send:{id}"));
    wait_for(&sandbox, |s| (reached(s) >= 70).then_some(())).await?;
    let sender = active_one(&instances, &[0, 1, 2]).await?;
    instances[sender].kill();
    let killed = Instant::now();
    let at_kill = reached(&sandbox);
    wait_for(&sandbox, |s| (reached(s) > at_kill).then_some(())).await?;
    let gap = killed.elapsed();
    wait_for(&sandbox, |s| (reached(s) == chats.len()).then_some(())).await?;
    let total = start.elapsed();
    let too_many = sandbox.stats().too_many_requests - before;
    println!(
        "broadcast to {} groups with a kill -9 after {at_kill}: last group reached {:.2} s after Send; \
         deliveries resumed {:.2} s after the kill; 429 responses: {too_many}",
        chats.len(),
        total.as_secs_f64(),
        gap.as_secs_f64()
    );
    for inst in &mut instances {
        inst.kill();
    }
    let ok = takeover <= Duration::from_secs(5)
        && total <= Duration::from_secs(5) + gap
        && too_many == 0;
    println!(
        "{} (targets: takeover ≤ 5 s; broadcast ≤ 5.0 s plus the takeover; no 429)",
        if ok { "PASS" } else { "FAIL" }
    );
    Ok(())
}

struct Instance {
    child: Child,
    metrics: u16,
}

impl Instance {
    fn start(sandbox: &Sandbox, db: &str, root: i64) -> anyhow::Result<Instance> {
        let metrics = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let exe = std::env::current_exe()?.with_file_name("pingan");
        let child = Command::new(&exe)
            .args(["run", "--metrics", &format!("127.0.0.1:{metrics}")])
            .env_clear()
            .env("TELOXIDE_TOKEN", Sandbox::TOKEN)
            .env("TELOXIDE_API_URL", sandbox.api_url().as_str())
            .env("DATABASE_URL", db)
            .env("PINGAN_SUPERADMINS", root.to_string())
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("start {} (cargo build --release first)", exe.display()))?;
        Ok(Instance { child, metrics })
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first of `which` whose `/healthz` says `role active`.
async fn active_one(instances: &[Instance], which: &[usize]) -> anyhow::Result<usize> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        for i in which {
            let url = format!("http://127.0.0.1:{}/healthz", instances[*i].metrics);
            if let Ok(body) = get(&url).await
                && body.lines().any(|l| l == "role active")
            {
                return Ok(*i);
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("no instance became active")
}

/// A plain HTTP GET (no client library among the dependencies).
async fn get(url: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url::Url::parse(url)?;
    let addr = format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port().unwrap_or(80)
    );
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(format!("GET {} HTTP/1.0\r\n\r\n", url.path()).as_bytes())
        .await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out.split("\r\n\r\n").nth(1).unwrap_or("").to_string())
}

async fn wait_for<T>(
    sandbox: &Sandbox,
    mut found: impl FnMut(&Sandbox) -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(t) = found(sandbox) {
            return Ok(t);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    anyhow::bail!("timed out")
}

/// A new database on the PostgreSQL server.
async fn fresh_database() -> anyhow::Result<String> {
    use sqlx::Connection;
    let admin = std::env::var("PINGAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .with_context(|| format!("PostgreSQL at {}", redact(&admin)))?;
    let name = format!("pingan_bench_{}", rand::random::<u32>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&name);
    Ok(url.to_string())
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// The example district, one sandbox group per node (the bot a member), bound.
async fn district(sandbox: &Sandbox, db: &str, root: i64) -> anyhow::Result<Vec<i64>> {
    let mut settings = Settings {
        database_url: db.to_string(),
        ..Settings::default()
    };
    settings.superadmins.insert(root);
    pingan::cli::import_file(&settings, std::path::Path::new("examples/xiqu.toml")).await?;
    let store = Store::open(db).await?;
    let mut conn = store.conn().await?;
    let root_node = nodes::roots(&mut conn).await?.remove(0);
    let mut chats = Vec::new();
    for node in nodes::subtree(&mut conn, &root_node.code).await? {
        let chat = sandbox.create_group(&node.name, root);
        sandbox.set_bot_rights_unannounced(chat, BotRights::Member);
        groups::seen(&mut conn, chat, &node.name, true, 0).await?;
        groups::bind(&mut conn, chat, &node.code, 0).await?;
        chats.push(chat);
    }
    drop(conn);
    store.close().await;
    Ok(chats)
}
