//! Telegram redelivers an update until the next `getUpdates` confirms it, so
//! each `update_id` is recorded in the same transaction as its effect.

use sqlx::Row;

use super::Conn;

/// Records the update; false when it was handled before.
pub async fn mark_processed(conn: &mut Conn, update_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO processed_updates (update_id, processed_at) VALUES ($1, $2) ON CONFLICT (update_id) DO NOTHING")
        .bind(update_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an update whose handling failed (its own transaction rolled
/// back); false when it was recorded before (handled, or failed already).
pub async fn mark_failed(conn: &mut Conn, update_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("INSERT INTO processed_updates (update_id, processed_at, failed) VALUES ($1, $2, 1) ON CONFLICT (update_id) DO NOTHING")
        .bind(update_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The updates recorded as failed, oldest first.
pub async fn failed(conn: &mut Conn) -> sqlx::Result<Vec<i64>> {
    sqlx::query("SELECT update_id FROM processed_updates WHERE failed = 1 ORDER BY update_id")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get("update_id"))
        .collect()
}

/// The highest update id recorded, if any.
pub async fn last_id(conn: &mut Conn) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT MAX(update_id) AS m FROM processed_updates")
        .fetch_one(&mut *conn)
        .await?
        .try_get("m")
}

pub async fn count(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM processed_updates")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}

/// Forgets updates handled before `before`; returns how many.
pub async fn forget_before(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM processed_updates WHERE processed_at < $1")
            .bind(before)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}
