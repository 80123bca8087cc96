//! Recurring alerts (`/schedule`): what to send from which node's group,
//! when (a schedule in the configured time zone), and the next occurrence.
//!
//! `next_due` is stored so a tick reads only what is due, and it is moved on
//! with a conditional update ([`advance`]) in the transaction that fires the
//! occurrence: of two instances, only the one whose update took fires it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::nodes::stored_code;
use super::{Conn, bind_subtree, within};
use crate::domain::NodeCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub id: i64,
    pub node: NodeCode,
    /// The group it was set in, which gets the progress card.
    pub chat_id: i64,
    pub creator: i64,
    /// The time as the creator wrote it (`daily 09:00`, `0 9 * * 1`): what
    /// the job reads, with `scheduler::schedule::CronSchedule::parse`.
    pub spec: String,
    /// The standard 6-field form of `spec`, for the record (rows made before
    /// the one parser hold the `cron` crate's form here).
    pub cron: String,
    /// The alert's text with its options, as `/alert` takes them.
    pub args: String,
    pub created_at: i64,
    /// The next occurrence (Unix seconds); `None` for a row made before it
    /// was stored, until the job fills it in.
    pub next_due: Option<i64>,
}

const COLUMNS: &str = "id, node_code, chat_id, creator_id, spec, cron, args, created_at, next_due";

fn schedule(row: AnyRow) -> sqlx::Result<Schedule> {
    Ok(Schedule {
        id: row.try_get("id")?,
        node: stored_code(row.try_get("node_code")?)?,
        chat_id: row.try_get("chat_id")?,
        creator: row.try_get("creator_id")?,
        spec: row.try_get("spec")?,
        cron: row.try_get("cron")?,
        args: row.try_get("args")?,
        created_at: row.try_get("created_at")?,
        next_due: row.try_get("next_due")?,
    })
}

/// Stores an active schedule (`id` and `created_at` are assigned); returns its id.
pub async fn insert(conn: &mut Conn, s: &Schedule, now: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO alert_schedules (node_code, chat_id, creator_id, spec, cron, args, active, created_at, next_due) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) RETURNING id",
    )
    .bind(s.node.as_str())
    .bind(s.chat_id)
    .bind(s.creator)
    .bind(&s.spec)
    .bind(&s.cron)
    .bind(&s.args)
    .bind(now)
    .bind(s.next_due)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")
}

/// Every active schedule.
pub async fn active(conn: &mut Conn) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_schedules WHERE active = 1 ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(schedule)
    .collect()
}

/// The active schedules due at `now`, and those whose next occurrence is
/// not stored yet.
pub async fn due(conn: &mut Conn, now: i64) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_schedules \
         WHERE active = 1 AND (next_due <= $1 OR next_due IS NULL) ORDER BY id"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(schedule)
    .collect()
}

/// Moves schedule `id`'s next occurrence from `from` to `to`, only if it is
/// still active and at `from`; false if another instance (or a
/// `/unschedule`) got there first.
pub async fn advance(conn: &mut Conn, id: i64, from: Option<i64>, to: i64) -> sqlx::Result<bool> {
    let query = match from {
        Some(_) => {
            "UPDATE alert_schedules SET next_due = $2 WHERE id = $1 AND active = 1 AND next_due = $3"
        }
        None => {
            "UPDATE alert_schedules SET next_due = $2 WHERE id = $1 AND active = 1 AND next_due IS NULL"
        }
    };
    let mut q = sqlx::query(query).bind(id).bind(to);
    if let Some(from) = from {
        q = q.bind(from);
    }
    Ok(q.execute(&mut *conn).await?.rows_affected() == 1)
}

/// The active schedules of `root` and the nodes below it.
pub async fn active_within(conn: &mut Conn, root: &NodeCode) -> sqlx::Result<Vec<Schedule>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM alert_schedules WHERE active = 1 AND {} ORDER BY id",
        within("node_code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(schedule)
        .collect()
}

pub async fn get_active(conn: &mut Conn, id: i64) -> sqlx::Result<Option<Schedule>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_schedules WHERE id = $1 AND active = 1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(schedule)
    .transpose()
}

/// Stops a schedule; it stays on record.
pub async fn deactivate(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE alert_schedules SET active = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
