//! Webhook updates waiting to be handled (issue 13).
//!
//! Every instance behind the load balancer records the update it was posted
//! here before answering Telegram's request with 200, so an instance that
//! dies after the answer loses nothing. The active instance handles the rows
//! in `update_id` order and removes them; a row handled but not yet removed
//! when the instance died is handled again by the next one, and recognised
//! by its `update_id` (see [`super::updates`]).

use sqlx::Row;

use super::Conn;

/// Records an update; false when it was there already (delivered twice).
pub async fn record(conn: &mut Conn, update_id: i64, body: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbox (update_id, body, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (update_id) DO NOTHING",
    )
    .bind(update_id)
    .bind(body)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The oldest `limit` updates waiting: `(update_id, body)`.
pub async fn oldest(conn: &mut Conn, limit: i64) -> sqlx::Result<Vec<(i64, String)>> {
    sqlx::query("SELECT update_id, body FROM inbox ORDER BY update_id LIMIT $1")
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("update_id")?, r.try_get("body")?)))
        .collect()
}

/// Removes handled updates. By id, not "up to the last one": another
/// instance may have just recorded an older update.
pub async fn remove(conn: &mut Conn, update_ids: &[i64]) -> sqlx::Result<()> {
    for id in update_ids {
        sqlx::query("DELETE FROM inbox WHERE update_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How many updates wait.
pub async fn count(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM inbox")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}
