//! pingan (平安): a Telegram bot for a four-level community-safety chat network.
//!
//! Map of the crate (see DESIGN.md §2):
//! - [`domain`] — the node tree, roles and the permission rule. Plain Rust:
//!   no Telegram, no SQL.
//! - [`store`] — one portable SQL layer (sqlx `Any`) over SQLite and
//!   PostgreSQL; migrations under `migrations/`.
//! - [`telegram`] — the adapter: parses updates and commands, applies the
//!   permission rule, renders replies (zh/en, user text escaped).
//! - [`outbox`] — every message owed is queued in the database with the change
//!   that causes it, in a lane by what it is for (alert copies before answers,
//!   answers before follow-on work, files last), then sent by the dispatcher
//!   at Telegram's pace: highest lane first, round robin by chat within one.
//! - [`alerts`] — safety alerts: broadcast down the tree through the outbox,
//!   the live progress card, acknowledgement, reminders, recurring alerts.
//! - [`cases`] — residents' reports as cases: intake (group `/report` and the
//!   private guided flow), handling commands and buttons, status back to the
//!   reporter and the group, follow-up rating, reminders and the daily digest
//!   of overdue cases to the admins above (scheduler jobs).
//!   The state machine itself is [`domain::case`].
//! - [`import`] — reading a district from a TOML or CSV file.
//! - [`sandbox`] — a Bot API-compatible server with an in-memory world, for
//!   the tests and for trying the bot without Telegram.
//! - [`playground`] — `pingan sandbox`: the sandbox, the bot and a console
//!   for people to try it without Telegram.
//! - [`scheduler`] — time-driven jobs (reminders, follow-ups, reports), run
//!   once per occurrence; the one cron parser (`scheduler::expr`) for the
//!   configured report times and `/schedule`.
//! - [`stats`] — statistics and the scheduled reports (日报、周排、旬判、月结):
//!   the `/stats` text, the monthly chart, the xlsx/csv exports.
//! - [`role`] — which instance is active (polls, sends, runs the scheduler)
//!   when several share a PostgreSQL database: an advisory-lock election;
//!   on SQLite, a lock file keeps to one instance.
//! - [`app`] — starts and stops the pieces together; [`cli`] is the command line.
//!
//! An update's path: long polling (on the active instance) or the webhook
//! inbox (recorded by any instance, handled by the active one) yields it → `telegram::updates`
//! opens a transaction, records the `update_id`, runs the command (permission
//! check, store changes) and queues the replies in the outbox (capped per
//! person) → commit → the dispatcher, woken, sends them lane by lane within
//! Telegram's limits and records the message ids. A handler that fails or
//! panics takes only its own update down: rolled back, recorded as failed,
//! apologised for, and confirmed.

pub mod alerts;
pub mod app;
pub mod cases;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod i18n;
pub mod import;
pub mod metrics;
pub mod outbox;
pub mod playground;
pub mod role;
pub mod sandbox;
pub mod scheduler;
pub mod stats;
pub mod store;
pub mod telegram;
