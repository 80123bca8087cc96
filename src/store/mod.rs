//! The store: one portable SQL layer over SQLite (the embedded default) and
//! PostgreSQL, through sqlx's `Any` driver.
//!
//! Every query is written once, with `$1` placeholders and types both
//! databases share (integers, text). Times are Unix seconds in UTC. Only the
//! table definitions differ (`migrations/sqlite`, `migrations/postgres`),
//! because auto-increment keys are spelt differently.
//!
//! Functions take `&mut Conn` so the same call works on a pooled connection
//! or inside a transaction: a change and the messages it causes are written
//! in one transaction (see [`crate::outbox`]).

pub mod acks;
pub mod alerts;
pub mod cases;
pub mod digests;
pub mod drafts;
pub mod groups;
pub mod inbox;
pub mod nodes;
pub mod outbox;
pub mod people;
pub mod schedules;
pub mod stats;
pub mod updates;

use std::str::FromStr;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub type Conn = sqlx::AnyConnection;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects, creating a SQLite file if it is missing. Does not migrate.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("DATABASE_URL `{url}` is not valid"))?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(4)
                    // A ping before every use is one more round trip to
                    // SQLite's worker thread per transaction; a local file
                    // does not drop connections.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets the dispatcher read while a handler writes;
                            // NORMAL sync is crash-safe for the application in WAL mode.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(10)
                    .connect_with(options)
                    .await
            }
        }
        .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
        Ok(Store { pool, backend })
    }

    /// Connects and applies pending migrations.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("failed to apply database migrations")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes
    /// while another connection commits fails with SQLITE_BUSY instead of
    /// waiting, and the dispatcher, the scheduler and the update handler all
    /// write concurrently.
    pub async fn begin(&self) -> anyhow::Result<Tx> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        tx.context("failed to begin a transaction")
    }

    pub async fn conn(&self) -> anyhow::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        self.pool
            .acquire()
            .await
            .context("failed to get a database connection")
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// SQL for "`column` is the node `$1` or lies below it" — the subtree test of
/// [`NodeCode::is_within`](crate::domain::NodeCode::is_within). `substr`
/// rather than `LIKE`, since `_` in a code would be a wildcard. Bind the two
/// parameters with [`bind_subtree`].
pub(crate) fn within(column: &str) -> String {
    format!("({column} = $1 OR substr({column}, 1, length($2)) = $2)")
}

/// Binds `$1` and `$2` of [`within`].
pub(crate) fn bind_subtree<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    root: &crate::domain::NodeCode,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query.bind(root.to_string()).bind(format!("{root}."))
}

/// Booleans are stored as 0/1 integers on both databases.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}
