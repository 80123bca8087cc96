//! Test harness: the sandbox Bot API server, the real bot pointed at it over
//! HTTP, and a fresh database (a SQLite file, or a PostgreSQL database).
#![allow(dead_code)]

pub mod db;
pub mod process;

use pingan::app::{App, RunOptions, Running};
use pingan::clock::Clock;
use pingan::config::{BotConfig, Settings};
use pingan::i18n::Locale;
use pingan::sandbox::{Sandbox, SentMessage};

pub use db::TestDb;

/// 2026-11-27 09:00 Asia/Shanghai, a fixed start for the test clock.
pub const T0: i64 = 1_795_741_200;

pub struct TestBot {
    pub sandbox: Sandbox,
    pub db: TestDb,
    pub clock: Clock,
    pub settings: Settings,
    pub run_options: RunOptions,
    running: Option<Running>,
    /// A superadmin named in the configuration.
    pub root: i64,
    /// The records statistics read.
    pub stats: Option<std::sync::Arc<dyn pingan::stats::StatsSource>>,
}

pub struct Options {
    pub locale: Locale,
    pub db: Option<TestDb>,
    pub run: RunOptions,
    /// The records statistics read (none by default).
    pub stats: Option<std::sync::Arc<dyn pingan::stats::StatsSource>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            locale: Locale::Zh,
            db: None,
            run: RunOptions::default(),
            stats: None,
        }
    }
}

pub async fn spawn() -> TestBot {
    spawn_with(Options::default()).await
}

pub async fn spawn_en() -> TestBot {
    spawn_with(Options {
        locale: Locale::En,
        ..Options::default()
    })
    .await
}

/// Logs go to the test's output (shown for failing tests); RUST_LOG filters, warnings by default.
fn init_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter =
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

pub async fn spawn_with(opts: Options) -> TestBot {
    init_logs();
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let root = sandbox.add_user("超级管理员", Some("root_admin"));
    let db = match opts.db {
        Some(db) => db,
        None => TestDb::sqlite(),
    };
    let mut settings = Settings {
        database_url: db.url().to_string(),
        locale: opts.locale,
        ..Settings::default()
    };
    settings.superadmins.insert(root);
    let clock = Clock::manual(T0);
    let mut bot = TestBot {
        sandbox,
        db,
        clock,
        settings,
        run_options: opts.run,
        running: None,
        root,
        stats: opts.stats,
    };
    bot.start().await;
    bot
}

impl TestBot {
    pub fn bot_config(&self) -> BotConfig {
        BotConfig {
            token: Sandbox::TOKEN.to_string(),
            api_url: Some(self.sandbox.api_url()),
        }
    }

    pub async fn start(&mut self) {
        assert!(self.running.is_none(), "already running");
        let mut options = self.run_options.clone();
        if let Some(stats) = &self.stats {
            options.stats = Some(stats.clone());
        }
        let running = pingan::app::start(
            self.settings.clone(),
            self.bot_config(),
            self.clock.clone(),
            options,
        )
        .await
        .expect("bot starts");
        self.running = Some(running);
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub fn app(&self) -> &App {
        &self.running.as_ref().expect("running").app
    }

    /// A user writes `text` in `chat` and the bot's reply to it arrives.
    pub async fn say(&self, chat: i64, user: i64, text: &str) -> SentMessage {
        let id = self.sandbox.send_text(chat, user, text);
        self.reply_to(chat, id, text).await
    }

    /// A user replies to message `to` with `text`; returns the bot's answer.
    pub async fn say_replying(&self, chat: i64, user: i64, to: i64, text: &str) -> SentMessage {
        let id = self.sandbox.reply_text(chat, user, to, text);
        self.reply_to(chat, id, text).await
    }

    pub async fn reply_to(&self, chat: i64, message_id: i64, what: &str) -> SentMessage {
        self.sandbox
            .wait_message(&format!("the reply to {what:?}"), |m| {
                m.chat_id == chat && m.reply_to == Some(message_id)
            })
            .await
    }

    /// Waits until the bot has taken (and so handled) every update: it
    /// confirms a poll only when it asks for the next, after committing it.
    pub async fn settle(&self) {
        self.sandbox
            .wait_until("the bot to take every update", |s| s.pending_updates() == 0)
            .await;
    }

    /// Opens a private chat with the bot (as pressing Start does).
    pub async fn start_private(&self, user: i64) -> SentMessage {
        self.say(user, user, "/start").await
    }

    /// A group created by `owner` (any staff member) with the bot in it,
    /// bound to `code` by the superadmin, who joins it as a Telegram admin:
    /// binding is for node admins only.
    pub async fn bound_group(&self, title: &str, code: &str, owner: i64) -> i64 {
        let chat = self.sandbox.create_group(title, owner);
        self.sandbox.add_bot(chat, owner);
        if owner != self.root {
            self.sandbox.join(chat, self.root);
            self.sandbox.promote(chat, self.root);
        }
        let reply = self.say(chat, self.root, &format!("/bind {code}")).await;
        assert!(
            reply.text.contains('✅'),
            "binding {code} failed: {}",
            reply.text
        );
        chat
    }

    /// Builds a small district by commands, as the superadmin would.
    pub async fn small_district(&self) {
        let root = self.root;
        for cmd in [
            "/addnode - xq 西区",
            "/addnode xq xq.hmk 河门口街道",
            "/addnode xq xq.qxp 清香坪街道",
            "/addnode xq.hmk xq.hmk.c1 河门口社区",
            "/addnode xq.hmk.c1 xq.hmk.c1.g3 第三网格",
            "/addnode xq.hmk.c1 xq.hmk.c1.g4 第四网格",
            "/addnode xq.qxp xq.qxp.c1 清香坪社区",
        ] {
            let reply = self.say(root, root, cmd).await;
            assert!(
                reply.text.contains("已")
                    || reply.text.contains("Added")
                    || reply.text.contains("Created"),
                "{cmd}: {}",
                reply.text
            );
        }
    }

    pub async fn grant(&self, user: i64, role: &str, code: &str) {
        let reply = self
            .say(
                self.root,
                self.root,
                &format!("/grant {user} {role} {code}"),
            )
            .await;
        assert!(reply.text.contains('✅'), "grant failed: {}", reply.text);
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        // Background tasks die with the test's runtime; nothing to await here.
    }
}

/// The bot on a fresh PostgreSQL database, or `None` when the server is
/// unreachable and not required (see [`TestDb::postgres`]).
pub async fn spawn_postgres_with(opts: Options) -> Option<TestBot> {
    let db = TestDb::postgres().await?;
    Some(
        spawn_with(Options {
            db: Some(db),
            ..opts
        })
        .await,
    )
}

/// Two tests running one end-to-end test body, `async fn body(bot: TestBot)`,
/// on SQLite and on PostgreSQL (SQLite serializes writers and hides races
/// PostgreSQL shows): `on_both_databases!(body: body_sqlite, body_postgres);`,
/// or `on_both_databases!(body(options): …)` with [`Options`] for both.
#[macro_export]
macro_rules! on_both_databases {
    ($body:ident : $sqlite:ident, $postgres:ident) => {
        $crate::on_both_databases!($body(common::Options::default()): $sqlite, $postgres);
    };
    ($body:ident ( $opts:expr ) : $sqlite:ident, $postgres:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $body(common::spawn_with($opts).await).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(bot) = common::spawn_postgres_with($opts).await {
                $body(bot).await;
            }
        }
    };
}
