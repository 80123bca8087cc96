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
