//! `pingan sandbox`: try the bot without Telegram.
//!
//! Starts the [sandbox](crate::sandbox) Bot API server, the real bot against
//! it on a fresh SQLite file preloaded with Xiqu district and a small cast
//! ([`cast`]), and a console ([`line`]) where a person acts as anyone in any
//! group and sees the bot's replies as they arrive. `--script FILE` plays a
//! story instead and prints the transcript.
//!
//! Time is the sandbox's own ([`time`]): it starts at `--start` (a fixed day
//! for scripts) and moves only on `wait`. The session's folder holds the log,
//! the files the bot sends, and the database unless `--database` names one.

pub mod cast;
pub mod line;
pub mod time;
mod transcript;
mod walk;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::app::{RunOptions, Running};
use crate::clock::Clock;
use crate::config::{BotConfig, Settings};
use crate::i18n::Locale;
use crate::outbox;
use crate::sandbox::Sandbox;
use crate::store::{Store, outbox as queue, updates};
use crate::tr;
use cast::Cast;
use line::Line;
use transcript::Transcript;

pub struct PlaygroundOptions {
    pub script: Option<PathBuf>,
    pub port: u16,
    /// `--start`, read by [`time::parse_start`].
    pub start: Option<String>,
    /// `--database`: keep the data there instead of in the session's folder.
    pub database: Option<String>,
}

/// This process's session folder (in the system's temp dir).
pub fn session_dir() -> PathBuf {
    std::env::temp_dir().join(format!("pingan-sandbox-{}", std::process::id()))
}

/// The session's log file, where the sandbox's log lines go.
pub fn log_path() -> PathBuf {
    session_dir().join("sandbox.log")
}

/// Creates the session folder and opens its log file (for `main`).
pub fn open_log() -> std::io::Result<std::fs::File> {
    std::fs::create_dir_all(session_dir())?;
    std::fs::File::create(log_path())
}

struct Session {
    sandbox: Sandbox,
    running: Running,
    cast: Cast,
    clock: Clock,
    transcript: Transcript,
    user: i64,
    chat: i64,
}

pub async fn run(settings: Settings, opts: PlaygroundOptions) -> anyhow::Result<()> {
    let l = settings.locale;
    let script = match &opts.script {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let start = match (&opts.start, &script) {
        (Some(raw), _) => time::parse_start(raw, settings.tz).map_err(anyhow::Error::msg)?,
        (None, Some(_)) => {
            time::parse_start(time::SCRIPT_START, settings.tz).map_err(anyhow::Error::msg)?
        }
        // A person starts now, on the minute.
        (None, None) => chrono::Utc::now().timestamp().div_euclid(60) * 60,
    };
    let dir = session_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let temporary = dir.join("sandbox.db");
    let db_url = match &opts.database {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", temporary.display()),
    };
    let sandbox = Sandbox::start_on(([127, 0, 0, 1], opts.port).into()).await?;
    // Time runs fast here: a month of reports leaves in seconds of real
    // time, which Telegram's per-second and per-minute limits would hold
    // back for minutes. The sandbox's world has no flood limits and the
    // dispatcher does not pace.
    sandbox.set_enforce_limits(false);
    let clock = Clock::manual(start);
    let store = Store::open(&db_url).await?;
    let cast = cast::seed(&store, &sandbox, &settings, clock.now()).await?;
    if let Some(last) = updates::last_id(&mut *store.conn().await?).await? {
        sandbox.resume_updates_after(last);
    }
    store.close().await;

    let settings = Settings {
        database_url: db_url,
        send_limits: outbox::Limits {
            overall_per_second: 10_000,
            chat_burst: 10_000,
            group_per_minute: 10_000,
            ..settings.send_limits
        },
        ..settings
    };
    let tz = settings.tz;
    let config = BotConfig {
        token: Sandbox::TOKEN.into(),
        api_url: Some(sandbox.api_url()),
    };
    let running = crate::app::start(settings, config, clock.clone(), RunOptions::default()).await?;
    let (user, chat) = (
        cast.people[2].id,
        cast.group("xq.hmk.c1.g3")
            .map(|g| g.chat_id)
            .unwrap_or(cast.people[2].id),
    );
    let mut s = Session {
        sandbox,
        running,
        cast,
        clock,
        transcript: Transcript::new(l, dir.join("files")),
        user,
        chat,
    };
    s.settle().await?;
    s.transcript.skip_all(&s.sandbox); // greetings from setting up are not part of the story
    println!("{}", s.banner(&dir, opts.database.is_some(), tz));

    let result = match script {
        Some(text) => s.play(&text).await,
        None => s.interactive().await,
    };
    s.running.stop().await;
    if opts.database.is_none() {
        // The data was the session's; the log and the files stay for the reader.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", temporary.display()));
        }
    }
    result
}

impl Session {
    /// Waits until the bot has taken every update and sent everything due.
    async fn settle(&self) -> anyhow::Result<()> {
        let mut changes = self.sandbox.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let mut conn = self.running.app.store.conn().await?;
            let pending = queue::count_status(&mut conn, "pending").await?;
            drop(conn);
            if self.sandbox.pending_updates() == 0 && pending == 0 {
                return Ok(());
            }
            // Sends are recorded just after the sandbox sees them, so also look again shortly.
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = tokio::time::sleep_until(deadline) => anyhow::bail!("the bot did not settle within two minutes"),
            }
        }
    }

    fn prompt(&self) -> String {
        let who = self
            .cast
            .people
            .iter()
            .find(|p| p.id == self.user)
            .map(|p| p.name)
            .unwrap_or("?");
        let place = self.cast.chat_name(self.chat).unwrap_or_default();
        format!("{who} @ {place}")
    }

    async fn play(&mut self, script: &str) -> anyhow::Result<()> {
        let l = self.transcript.locale();
        for (n, raw) in script.lines().enumerate() {
            let raw = &time::expand_dates(raw, self.running.app.settings.tz, self.clock.now());
            let line =
                Line::parse(raw).map_err(|usage| anyhow::anyhow!("line {}: {usage}", n + 1))?;
            match &line {
                Line::Comment(c) => println!("\n# {c}"),
                Line::Expect(text) => {
                    if !self.transcript.last_output().contains(text.as_str()) {
                        anyhow::bail!("line {}: expected “{text}” in the bot's replies", n + 1);
                    }
                }
                Line::Empty => {}
                _ => {
                    let acts = matches!(
                        line,
                        Line::Say(_) | Line::Photo(_) | Line::Location(..) | Line::Press(_)
                    );
                    if acts {
                        println!("{} › {}", self.prompt(), raw.trim());
                    }
                    // `expect` looks at what the last action (or `wait`) brought.
                    if acts || matches!(line, Line::Wait(_)) {
                        self.transcript.start_turn();
                    }
                    if !self.apply(line).await? {
                        break;
                    }
                    self.settle().await?;
                    print!("{}", self.transcript.take_new(&self.sandbox, &self.cast));
                }
            }
        }
        let _ = l;
        Ok(())
    }

    /// What the session is: the world, the clock, where logs, files and data go.
    fn banner(&self, dir: &Path, kept: bool, tz: chrono_tz::Tz) -> String {
        let l = self.transcript.locale();
        let now = time::stamp(tz, self.clock.now());
        let (log, files) = (log_path(), dir.join("files"));
        let (log, files) = (log.display(), files.display());
        let data = match (kept, l) {
            (true, Locale::Zh) => "数据保存在 --database 指定的数据库里".to_string(),
            (true, Locale::En) => "data is kept in the --database given".to_string(),
            (false, Locale::Zh) => "数据是临时的，退出时删除（用 --database 保留）".to_string(),
            (false, Locale::En) => {
                "data is temporary, deleted on exit (keep it with --database)".to_string()
            }
        };
        tr!(
            l,
            "平安机器人沙盒：西区 140 个节点、{} 个群、{} 位人物已就绪。Bot API 地址 {}。\n沙盒时间 {now}（只在 wait 时前进）；{data}。\n日志：{log}\n机器人发送的文件保存在：{files}\n输入 help 查看说明。",
            "pingan sandbox: Xiqu's 140 nodes, {} groups and {} people are ready. Bot API at {}.\nSandbox time {now} (moves only on wait); {data}.\nLog: {log}\nFiles the bot sends are saved in: {files}\nType help.",
            self.cast.groups.len(),
            self.cast.people.len(),
            self.sandbox.api_url()
        )
    }

    async fn interactive(&mut self) -> anyhow::Result<()> {
        let l = self.transcript.locale();
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        let mut changes = self.sandbox.subscribe();
        let mut out = tokio::io::stdout();
        loop {
            out.write_all(format!("{}> ", self.prompt()).as_bytes())
                .await?;
            out.flush().await?;
            let raw = loop {
                tokio::select! {
                    line = lines.next_line() => break line?,
                    _ = changes.changed() => {
                        // Messages arriving while the person types (scheduled work, slow sends).
                        let new = self.transcript.take_new(&self.sandbox, &self.cast);
                        if !new.is_empty() {
                            out.write_all(format!("\n{new}").as_bytes()).await?;
                            out.flush().await?;
                        }
                    }
                }
            };
            let Some(raw) = raw else { return Ok(()) };
            let raw = time::expand_dates(&raw, self.running.app.settings.tz, self.clock.now());
            match Line::parse(&raw) {
                Ok(Line::Expect(_) | Line::Comment(_) | Line::Empty) => {}
                Ok(line) => {
                    if !self.apply(line).await? {
                        return Ok(());
                    }
                    self.settle().await?;
                    print!("{}", self.transcript.take_new(&self.sandbox, &self.cast));
                }
                Err(usage) => println!("{}", tr!(l, "用法：{usage}", "usage: {usage}")),
            }
        }
    }

    /// Carries out one console line; false to stop.
    async fn apply(&mut self, line: Line) -> anyhow::Result<bool> {
        let l = self.transcript.locale();
        match line {
            Line::As { who, place } => match self.cast.person(&who) {
                Some(p) => {
                    self.user = p.id;
                    self.chat = p.id;
                    if let Some(place) = place {
                        self.go(&place);
                    }
                }
                None => println!(
                    "{}",
                    tr!(
                        l,
                        "没有这个人：{who}（输入 who 查看）",
                        "no such person: {who} (type who)"
                    )
                ),
            },
            Line::In(place) => self.go(&place),
            Line::Press(n) => {
                let target = self
                    .sandbox
                    .messages(self.chat)
                    .into_iter()
                    .rev()
                    .find(|m| !m.buttons().is_empty());
                match target.and_then(|m| {
                    m.buttons()
                        .get(n - 1)
                        .map(|(_, data)| (m.message_id, data.clone()))
                }) {
                    Some((id, data)) => {
                        self.sandbox.press_button(self.chat, id, self.user, &data);
                    }
                    None => println!(
                        "{}",
                        tr!(l, "这里没有第 {n} 个按钮。", "there is no button {n} here.")
                    ),
                }
            }
            Line::Wait(secs) => self.walk(secs).await?,
            Line::Photo(caption) => {
                self.sandbox.send_photo(self.chat, self.user, &caption);
            }
            Line::Location(lat, lon) => {
                self.sandbox.send_location(self.chat, self.user, lat, lon);
            }
            Line::Who => {
                for p in &self.cast.people {
                    println!("  {} — {} (@{})", p.name, p.about, p.username);
                }
            }
            Line::Groups => {
                for g in &self.cast.groups {
                    println!("  {} — {}", g.code, g.title);
                }
            }
            Line::Help => println!("{}", line::help(l)),
            Line::Quit => return Ok(false),
            Line::Say(text) => {
                self.sandbox.send_text(self.chat, self.user, &text);
            }
            Line::Expect(_) | Line::Comment(_) | Line::Empty => {}
        }
        Ok(true)
    }

    fn go(&mut self, place: &str) {
        let l = self.transcript.locale();
        if matches!(place, "private" | "私聊") {
            self.chat = self.user;
        } else if let Some(g) = self.cast.group(place) {
            self.chat = g.chat_id;
        } else {
            println!(
                "{}",
                tr!(
                    l,
                    "没有这个群：{place}（输入 groups 查看）",
                    "no such group: {place} (type groups)"
                )
            );
        }
    }
}
