//! The daily digest's record: which person had theirs on which local day.

use super::Conn;
use crate::domain::NodeCode;
use sqlx::Row;

/// Records that `user_id` gets the digest of `day`; false when someone (a
/// previous run, another instance) already did, and then nothing is sent.
pub async fn claim(conn: &mut Conn, user_id: i64, day: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO digest_sent (user_id, day, sent_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, day) DO NOTHING",
    )
    .bind(user_id)
    .bind(day)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The admins of `node` who can be written to privately.
pub async fn reachable_admins(conn: &mut Conn, node: &NodeCode) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT DISTINCT r.user_id FROM roles r JOIN users u ON u.id = r.user_id \
         WHERE r.node_code = $1 AND r.role = 'admin' AND u.private_chat = 1 ORDER BY r.user_id",
    )
    .bind(node.as_str())
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("user_id"))
    .collect()
}
