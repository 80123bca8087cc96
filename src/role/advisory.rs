//! The election on PostgreSQL: a session-level advisory lock.
//!
//! The active instance holds `pg_advisory_lock(LOCK_KEY)` on a connection of
//! its own (not from the pool, whose connections come and go) for the whole
//! term. A process that dies, even by `kill -9`, closes that socket and
//! PostgreSQL frees the lock at once; a standby, retrying every
//! [`RETRY`], takes it within about a second. Advisory locks are scoped to
//! the database, so the role is per database.
//!
//! The active instance checks the connection every [`HEARTBEAT`]: when a
//! check fails or takes longer than [`HEARTBEAT_TIMEOUT`] (PostgreSQL
//! restarted, the network dropped), it cannot know whether it still holds
//! the lock, so it steps down at once and campaigns again like a standby.

use std::time::Duration;

use anyhow::Context;
use sqlx::{Connection, PgConnection, Row};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::RoleWatch;

/// The lock's key: "pingan" in ASCII. Any constant would do; it only has to
/// be the same in every instance (and every version) of the bot.
pub const LOCK_KEY: i64 = 0x7069_6e67_616e;
/// How often a standby tries to take the lock.
pub const RETRY: Duration = Duration::from_secs(1);
/// How often the active instance checks its lock connection.
pub const HEARTBEAT: Duration = Duration::from_millis(500);
/// A check slower than this counts as a lost connection.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The campaign, running in the background for the life of the process.
pub struct Election {
    resign: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Election {
    /// Starts campaigning for the role on the database at `url`; the watch
    /// says when this instance holds it.
    pub fn start(url: &str, instance: &str) -> (Election, RoleWatch) {
        let (role, watch) = watch::channel(false);
        let (resign, resigned) = watch::channel(false);
        let task = tokio::spawn(campaign(
            url.to_string(),
            instance.to_string(),
            role,
            resigned,
        ));
        (Election { resign, task }, RoleWatch::new(watch))
    }

    /// Gives up the role (unlocks) and stops campaigning. Call it after the
    /// active work has stopped, so the next instance does not begin while
    /// this one still sends.
    pub async fn resign(self) {
        let _ = self.resign.send(true);
        let _ = self.task.await;
    }
}

async fn campaign(
    url: String,
    instance: String,
    role: watch::Sender<bool>,
    mut resigned: watch::Receiver<bool>,
) {
    let mut conn: Option<PgConnection> = None;
    let mut complained = false;
    while !*resigned.borrow() {
        if conn.is_none() {
            match PgConnection::connect(&url).await {
                Ok(c) => conn = Some(c),
                Err(e) if !complained => {
                    complained = true;
                    tracing::error!(error = %e, "election: cannot connect to the database; standing by");
                }
                Err(_) => {}
            }
        }
        if let Some(c) = conn.as_mut() {
            match try_lock(c).await {
                Ok(true) => {
                    complained = false;
                    tracing::info!(%instance, "this instance is now active (polls, sends, runs the scheduler)");
                    role.send_replace(true);
                    let lost = hold(c, &mut resigned).await;
                    role.send_replace(false);
                    if lost {
                        tracing::error!(%instance, "lost the election's database connection; standing by");
                        conn = None; // dropped: closes the socket, freeing the lock if it lived
                    } else {
                        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                            .bind(LOCK_KEY)
                            .execute(&mut *c)
                            .await;
                        tracing::info!(%instance, "resigned the active role");
                        break;
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "election: the lock query failed; reconnecting");
                    conn = None;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = resigned.wait_for(|r| *r) => {}
        }
    }
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}

async fn try_lock(conn: &mut PgConnection) -> anyhow::Result<bool> {
    let row = tokio::time::timeout(
        HEARTBEAT_TIMEOUT,
        sqlx::query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind(LOCK_KEY)
            .fetch_one(&mut *conn),
    )
    .await
    .context("pg_try_advisory_lock timed out")??;
    Ok(row.try_get("locked")?)
}

/// Holds the role until the connection fails (true) or the instance
/// resigns (false).
async fn hold(conn: &mut PgConnection, resigned: &mut watch::Receiver<bool>) -> bool {
    loop {
        tokio::select! {
            _ = resigned.wait_for(|r| *r) => return false,
            _ = tokio::time::sleep(HEARTBEAT) => {}
        }
        let check = sqlx::query("SELECT 1").execute(&mut *conn);
        match tokio::time::timeout(HEARTBEAT_TIMEOUT, check).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "election: the lock connection failed");
                return true;
            }
            Err(_) => {
                tracing::error!("election: the lock connection stopped answering");
                return true;
            }
        }
    }
}
