//! Telegram groups the bot is in, and the node each is bound to.
//!
//! A node has at most one bound group and a group serves at most one node
//! (`node_code` is unique). A group that removed the bot keeps its binding,
//! marked inactive, so that adding the bot back restores it.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::nodes::stored_code;
use super::{Conn, flag};
use super::{bind_subtree, within};
use crate::domain::NodeCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChat {
    pub chat_id: i64,
    pub title: String,
    pub node: Option<NodeCode>,
    /// The bot is a member.
    pub active: bool,
}

fn group(row: AnyRow) -> sqlx::Result<GroupChat> {
    Ok(GroupChat {
        chat_id: row.try_get("chat_id")?,
        title: row.try_get("title")?,
        node: row
            .try_get::<Option<String>, _>("node_code")?
            .map(stored_code)
            .transpose()?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

const COLUMNS: &str = "chat_id, title, node_code, active";

/// Records the group (title, whether the bot is in it) and returns it.
/// Runs for every group message, so it writes only a new group or a change.
pub async fn seen(
    conn: &mut Conn,
    chat_id: i64,
    title: &str,
    active: bool,
    now: i64,
) -> sqlx::Result<GroupChat> {
    let stored = by_chat(conn, chat_id).await?;
    if let Some(g) = stored
        .as_ref()
        .filter(|g| g.title == title && g.active == active)
    {
        return Ok(g.clone());
    }
    sqlx::query(
        "INSERT INTO group_chats (chat_id, title, active, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title, active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(chat_id)
    .bind(title)
    .bind(flag(active))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(GroupChat {
        chat_id,
        title: title.to_string(),
        node: stored.and_then(|g| g.node),
        active,
    })
}

pub async fn set_active(conn: &mut Conn, chat_id: i64, active: bool, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_chats SET active = $1, updated_at = $2 WHERE chat_id = $3")
        .bind(flag(active))
        .bind(now)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn by_chat(conn: &mut Conn, chat_id: i64) -> sqlx::Result<Option<GroupChat>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_chats WHERE chat_id = $1"
    ))
    .bind(chat_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(group)
    .transpose()
}

pub async fn by_node(conn: &mut Conn, code: &NodeCode) -> sqlx::Result<Option<GroupChat>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_chats WHERE node_code = $1"
    ))
    .bind(code.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .map(group)
    .transpose()
}

/// Binds the group to the node, releasing any binding the group had.
pub async fn bind(conn: &mut Conn, chat_id: i64, code: &NodeCode, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_chats SET node_code = $1, updated_at = $2 WHERE chat_id = $3")
        .bind(code.as_str())
        .bind(now)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn unbind(conn: &mut Conn, chat_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_chats SET node_code = NULL, updated_at = $1 WHERE chat_id = $2")
        .bind(now)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A group upgraded to a supergroup gets a new id; its binding moves with it.
pub async fn migrate(conn: &mut Conn, old: i64, new: i64, now: i64) -> sqlx::Result<()> {
    let Some(g) = by_chat(conn, old).await? else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE group_chats SET node_code = NULL, active = 0, updated_at = $1 WHERE chat_id = $2",
    )
    .bind(now)
    .bind(old)
    .execute(&mut *conn)
    .await?;
    seen(conn, new, &g.title, true, now).await?;
    if let Some(code) = &g.node {
        bind(conn, new, code, now).await?;
    }
    Ok(())
}

/// Bound groups in the subtree, keyed by node code.
pub async fn bound_in(conn: &mut Conn, root: &NodeCode) -> sqlx::Result<Vec<GroupChat>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM group_chats WHERE {} ORDER BY node_code",
        within("node_code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(group)
        .collect()
}
