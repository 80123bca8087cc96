//! Recurring alerts (`/schedule`): what to send from which node's group,
//! and when (a cron expression in the configured time zone).

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
    /// The time as the creator wrote it (`daily 09:00`).
    pub spec: String,
    pub cron: String,
    /// The alert's text with its options, as `/alert` takes them.
    pub args: String,
    pub created_at: i64,
}

const COLUMNS: &str = "id, node_code, chat_id, creator_id, spec, cron, args, created_at";

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
    })
}

/// Stores an active schedule (`id` and `created_at` are assigned); returns its id.
pub async fn insert(conn: &mut Conn, s: &Schedule, now: i64) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO alert_schedules (node_code, chat_id, creator_id, spec, cron, args, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(s.node.as_str())
    .bind(s.chat_id)
    .bind(s.creator)
    .bind(&s.spec)
    .bind(&s.cron)
    .bind(&s.args)
    .bind(now)
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
