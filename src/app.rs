//! Wiring: the store, the Telegram adapter and the dispatcher, started
//! together and stopped together.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use teloxide::prelude::*;
use tokio::sync::{Notify, watch};
use tokio::task::{AbortHandle, JoinHandle};

use crate::clock::Clock;
use crate::config::{BotConfig, Settings};
use crate::metrics::Metrics;
use crate::outbox::{DispatchStats, Dispatcher, wall_ms};
use crate::role::{RoleWatch, advisory::Election, file_lock::FileLock};
use crate::scheduler::{Job, Scheduler};
use crate::stats::StatsSource;
use crate::store::Backend;
use crate::store::Store;
use crate::store::stats::StoreStats;
use crate::telegram::Intake;
use crate::telegram::{self, transport::TelegramTransport};

/// Who the bot is, from `getMe`.
#[derive(Debug, Clone)]
pub struct BotIdentity {
    pub id: i64,
    pub username: String,
}

/// What every handler shares.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

pub struct AppInner {
    pub store: Store,
    pub settings: Settings,
    pub clock: Clock,
    pub me: BotIdentity,
    pub dispatch_stats: Arc<DispatchStats>,
    pub metrics: Arc<Metrics>,
    /// Where statistics read cases and alerts.
    pub stats: Arc<dyn StatsSource>,
    /// Whether the background loops live and this instance is active (read by `/healthz`).
    pub liveness: Liveness,
    /// This process among the instances on the database (see [`crate::role`]).
    pub instance: String,
    /// Called inside every command's transaction before the command runs
    /// (see [`RunOptions::command_hook`]).
    pub command_hook: Option<CommandHook>,
    waker: Arc<Notify>,
    scheduler: Scheduler,
}

/// See [`RunOptions::command_hook`]: `(name, args)` of the command.
pub type CommandHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// What `/healthz` knows of the background loops: their tasks (a loop
/// whose task ended, by a panic or otherwise, is dead) and when the intake
/// last heard from Telegram.
#[derive(Default)]
pub struct Liveness {
    /// Wall-clock ms of the intake's last answered poll or webhook update; 0 before the first.
    pub intake_ms: AtomicI64,
    /// Long polling must be heard from every poll; a webhook may rightly stay quiet.
    pub polling: AtomicBool,
    loops: OnceLock<Vec<(&'static str, AbortHandle)>>,
    /// Whether this instance is the active one (see [`crate::role`]); unset means active.
    role: OnceLock<RoleWatch>,
}

/// A poll answers within its long-poll timeout; three of them without an
/// answer (or with one update's handling still running) means the intake is stuck.
pub const INTAKE_SILENCE_MS: i64 = 3 * telegram::POLL_TIMEOUT as i64 * 1000;

impl Liveness {
    /// This instance's role as it changes (always active until elections are wired).
    pub fn role(&self) -> RoleWatch {
        self.role
            .get()
            .cloned()
            .unwrap_or_else(|| RoleWatch::always_active().1)
    }

    /// Whether this instance polls, sends and runs the scheduler now.
    pub fn is_active(&self) -> bool {
        self.role.get().is_none_or(RoleWatch::is_active)
    }

    /// The intake was heard from now.
    pub fn heard(&self) {
        self.intake_ms.store(wall_ms(), Ordering::Relaxed);
    }

    /// Each loop and whether it is alive at wall time `now_ms`: `intake`,
    /// `dispatcher`, `scheduler`, then `polling` (whether the intake polled
    /// lately; always true for a webhook and on a standby).
    pub fn check(&self, now_ms: i64) -> Vec<(&'static str, bool)> {
        let mut out: Vec<(&'static str, bool)> = self
            .loops
            .get()
            .map(|loops| {
                loops
                    .iter()
                    .map(|(name, task)| (*name, !task.is_finished()))
                    .collect()
            })
            .unwrap_or_default();
        let last = self.intake_ms.load(Ordering::Relaxed);
        // A standby does not poll.
        let polled = !(self.polling.load(Ordering::Relaxed) && self.is_active())
            || (last > 0 && now_ms - last < INTAKE_SILENCE_MS);
        out.push(("polling", polled));
        out
    }
}

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl App {
    /// Tells the dispatcher that rows were queued.
    pub fn wake_dispatcher(&self) {
        self.waker.notify_one();
    }

    /// Runs every scheduled job once at the clock's current time (the
    /// background loop does this every few seconds; tests call it directly).
    pub async fn tick(&self) {
        self.scheduler.tick(self).await;
    }
}

/// The text a panic carried (`panic!("…")`), for the log.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Every scheduled job of every feature.
fn jobs() -> Vec<Box<dyn Job>> {
    vec![
        Box::new(crate::alerts::FollowUpJob),
        Box::new(crate::alerts::ScheduleJob),
        Box::new(crate::cases::followup::FollowUp),
        Box::new(crate::cases::reminders::Reminders),
        Box::new(crate::scheduler::housekeeping::Housekeeping),
    ]
}

/// How long sends in flight may take to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A started bot: polling and dispatching in the background.
pub struct Running {
    pub app: App,
    stop: watch::Sender<bool>,
    polling: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    scheduler: JoinHandle<()>,
    /// Where `/healthz` and `/metrics` are served, if they are.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The start-up pass over groups whose bot rights are unknown.
    rights_check: JoinHandle<()>,
    rights_checked: watch::Receiver<bool>,
    /// What makes this instance the one that sends: the election, or the
    /// SQLite lock file.
    office: Office,
}

/// How this instance holds its role.
enum Office {
    /// PostgreSQL: elected among the instances on the database.
    Elected(Election),
    /// SQLite: the only instance (the lock file, absent for an in-memory
    /// database); the sender keeps the role watch alive.
    Sole {
        _lock: Option<FileLock>,
        _role: watch::Sender<bool>,
    },
}

impl Running {
    /// Stops taking updates, lets sends in flight finish, then gives up the
    /// role (so a standby begins only after this instance's last send).
    pub async fn stop(self) {
        self.rights_check.abort();
        let _ = self.stop.send(true);
        let _ = self.polling.await;
        let _ = self.scheduler.await;
        let _ = self.dispatcher.await;
        match self.office {
            Office::Elected(election) => election.resign().await,
            Office::Sole { .. } => {} // the lock file is let go as `office` drops
        }
    }

    /// This instance's id among the instances (the owner its leases carry).
    pub fn instance(&self) -> &str {
        &self.app.instance
    }
}

impl Running {
    /// Resolves once the start-up pass over groups with unknown bot rights
    /// has finished (each group asked once, failures logged and skipped).
    pub async fn rights_checked(&self) {
        let _ = self.rights_checked.clone().wait_for(|done| *done).await;
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// How the process is run, beyond the configuration.
#[derive(Clone)]
pub struct RunOptions {
    pub intake: Intake,
    /// Serve `/healthz` and `/metrics` here.
    pub metrics: Option<std::net::SocketAddr>,
    /// Where statistics read cases and alerts; `None` means the database
    /// (tests pass fixed records).
    pub stats: Option<Arc<dyn StatsSource>>,
    /// Called with `(name, args)` inside every command's transaction, after
    /// the update is recorded and before the command runs: tests make a
    /// handler fail (panic) with it to see the failure isolated.
    pub command_hook: Option<CommandHook>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            intake: Intake::Polling,
            metrics: None,
            stats: None,
            command_hook: None,
        }
    }
}

/// Opens the database (migrating it), checks the token with `getMe`,
/// registers the command menu, and starts taking updates, the scheduler and
/// the dispatcher.
pub async fn start(
    settings: Settings,
    bot_config: BotConfig,
    clock: Clock,
    options: RunOptions,
) -> anyhow::Result<Running> {
    let instance = crate::role::instance_id();
    // SQLite: refuse a second instance before touching the database.
    let sole_lock = if settings.database_url.starts_with("sqlite:") {
        crate::role::file_lock::take(&settings.database_url)?
    } else {
        None
    };
    let store = Store::open(&settings.database_url).await?;
    let stats = options
        .stats
        .clone()
        .unwrap_or_else(|| Arc::new(StoreStats(store.clone())));
    let bot = telegram::make_bot(&bot_config);
    let me = bot.get_me().await.map_err(|e| match e {
        teloxide::RequestError::Api(_) => {
            anyhow::anyhow!("TELOXIDE_TOKEN: the Bot API rejected the token ({e})")
        }
        _ => anyhow::anyhow!(
            "TELOXIDE_API_URL: cannot reach the Bot API at {} ({e})",
            bot.api_url()
        ),
    })?;
    let me = BotIdentity {
        id: me.id.0 as i64,
        username: me.username.clone().unwrap_or_default(),
    };
    if let Err(e) = telegram::menu::register(&bot, settings.locale).await {
        tracing::warn!(error = %e, "could not register the command menu");
    }
    let dispatcher = Dispatcher::new(
        store.clone(),
        TelegramTransport::new(bot.clone()),
        clock.clone(),
        settings.send_limits.clone(),
    )
    .with_owner(&instance)
    .with_hook(Arc::new(crate::alerts::ProgressHook {
        locale: settings.locale,
        tz: settings.tz,
    }));
    let (office, role) = match store.backend() {
        Backend::Postgres => {
            let (election, role) = Election::start(&settings.database_url, &instance);
            (Office::Elected(election), role)
        }
        Backend::Sqlite => {
            let (tx, role) = RoleWatch::always_active();
            (
                Office::Sole {
                    _lock: sole_lock,
                    _role: tx,
                },
                role,
            )
        }
    };
    let mut all_jobs = jobs();
    all_jobs.extend(crate::stats::reports::jobs(&settings));
    let app = App(Arc::new(AppInner {
        store,
        settings,
        clock,
        me,
        dispatch_stats: dispatcher.stats(),
        metrics: Arc::default(),
        stats,
        liveness: Liveness::default(),
        instance,
        command_hook: options.command_hook.clone(),
        waker: dispatcher.waker(),
        scheduler: Scheduler::new(all_jobs),
    }));
    let _ = app.liveness.role.set(role.clone());
    let (stop, rx) = watch::channel(false);
    // The dispatcher and the scheduler run in each term of office only.
    let dispatcher = Arc::new(dispatcher);
    let dispatcher = tokio::spawn(crate::role::each_term(
        role.clone(),
        rx.clone(),
        move |end| {
            let dispatcher = dispatcher.clone();
            async move { dispatcher.run(end, SHUTDOWN_GRACE).await }
        },
    ));
    let scheduler = {
        let app = app.clone();
        tokio::spawn(crate::role::each_term(role, rx.clone(), move |end| {
            let app = app.clone();
            async move { app.scheduler.clone().run(app.clone(), end).await }
        }))
    };
    let metrics_addr = match options.metrics {
        Some(addr) => match crate::metrics::serve(app.clone(), addr, stopped(rx.clone())).await {
            Ok(addr) => Some(addr),
            Err(e) => {
                let _ = stop.send(true);
                let _ = tokio::join!(scheduler, dispatcher);
                if let Office::Elected(election) = office {
                    election.resign().await;
                }
                return Err(e);
            }
        },
        None => None,
    };
    let (ready, is_ready) = tokio::sync::oneshot::channel();
    app.liveness
        .polling
        .store(matches!(options.intake, Intake::Polling), Ordering::Relaxed);
    let (rights_done, rights_checked) = watch::channel(false);
    let rights_check = {
        let (app, bot) = (app.clone(), bot.clone());
        tokio::spawn(async move {
            telegram::membership::learn_unknown_rights(&app, &bot).await;
            let _ = rights_done.send(true);
        })
    };
    let polling = {
        let app = app.clone();
        let intake = options.intake;
        tokio::spawn(async move { telegram::take_updates(&app, bot, intake, ready, rx).await })
    };
    let _ = app.liveness.loops.set(vec![
        ("intake", polling.abort_handle()),
        ("dispatcher", dispatcher.abort_handle()),
        ("scheduler", scheduler.abort_handle()),
    ]);
    let set_up = is_ready
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the update loop ended during start-up")));
    if let Err(e) = set_up {
        rights_check.abort();
        let _ = stop.send(true);
        let _ = tokio::join!(polling, scheduler, dispatcher);
        if let Office::Elected(election) = office {
            election.resign().await;
        }
        return Err(e);
    }
    tracing::info!(bot = %app.me.username, "pingan is running");
    Ok(Running {
        app,
        stop,
        polling,
        dispatcher,
        scheduler,
        metrics_addr,
        rights_check,
        rights_checked,
        office,
    })
}

/// Runs until `shutdown` resolves (Ctrl-C or SIGTERM in the binary).
pub async fn run(
    settings: Settings,
    bot_config: BotConfig,
    options: RunOptions,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let running = start(settings, bot_config, Clock::System, options)
        .await
        .context("start-up failed")?;
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_finished_loop_or_a_silent_intake_is_down() {
        let live = Liveness::default();
        live.polling.store(true, Ordering::Relaxed);
        let mut dead = tokio::spawn(async {});
        let alive = tokio::spawn(std::future::pending::<()>());
        let _ = live.loops.set(vec![
            ("intake", alive.abort_handle()),
            ("scheduler", dead.abort_handle()),
        ]);
        let _ = (&mut dead).await;
        let now = wall_ms();
        assert_eq!(
            live.check(now),
            vec![("intake", true), ("scheduler", false), ("polling", false)]
        );
        live.heard();
        assert!(live.check(now).contains(&("polling", true)));
        assert!(
            live.check(now + INTAKE_SILENCE_MS)
                .contains(&("polling", false))
        );
        live.polling.store(false, Ordering::Relaxed);
        assert!(
            live.check(now + INTAKE_SILENCE_MS)
                .contains(&("polling", true))
        );
        alive.abort();
    }
}
