//! Nodes of the hierarchy.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::{bind_subtree, within};
use crate::domain::{Node, NodeCode};

/// Reads a code written by this program; a malformed one is a corrupt row.
pub(crate) fn stored_code(raw: String) -> sqlx::Result<NodeCode> {
    NodeCode::parse(&raw)
        .map_err(|e| sqlx::Error::Decode(format!("bad node code `{raw}` in database: {e}").into()))
}

fn node(row: AnyRow) -> sqlx::Result<Node> {
    Ok(Node {
        code: stored_code(row.try_get("code")?)?,
        name: row.try_get("name")?,
    })
}

pub async fn get(conn: &mut Conn, code: &NodeCode) -> sqlx::Result<Option<Node>> {
    sqlx::query("SELECT code, name FROM nodes WHERE code = $1")
        .bind(code.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .map(node)
        .transpose()
}

pub async fn exists(conn: &mut Conn, code: &NodeCode) -> sqlx::Result<bool> {
    Ok(get(conn, code).await?.is_some())
}

/// Adds a node; its parent must exist already. False when the code is taken.
pub async fn insert(conn: &mut Conn, code: &NodeCode, name: &str, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO nodes (code, parent_code, name, level, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING",
    )
    .bind(code.as_str())
    .bind(code.parent().map(|p| p.as_str().to_string()))
    .bind(name)
    .bind(code.level().depth() as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds a node or renames an existing one (used by the import, which must be idempotent).
pub async fn upsert(conn: &mut Conn, code: &NodeCode, name: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO nodes (code, parent_code, name, level, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name",
    )
    .bind(code.as_str())
    .bind(code.parent().map(|p| p.as_str().to_string()))
    .bind(name)
    .bind(code.level().depth() as i64)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The node and everything below it, in code order (a parent before its children).
pub async fn subtree(conn: &mut Conn, root: &NodeCode) -> sqlx::Result<Vec<Node>> {
    let sql = format!(
        "SELECT code, name FROM nodes WHERE {} ORDER BY code",
        within("code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(node)
        .collect()
}

/// Districts (nodes without a parent).
pub async fn roots(conn: &mut Conn) -> sqlx::Result<Vec<Node>> {
    sqlx::query("SELECT code, name FROM nodes WHERE parent_code IS NULL ORDER BY code")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(node)
        .collect()
}

pub async fn count(conn: &mut Conn) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM nodes")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}
