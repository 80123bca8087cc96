//! Telegram groups the bot is in, and the node each is bound to.
//!
//! A node has at most one bound group and a group serves at most one node
//! (`node_code` is unique). A group that removed the bot keeps its binding,
//! marked inactive, so that adding the bot back restores it.
//!
//! Each group also records the bot's own standing there ([`BotRights`]), as
//! Telegram last told it (`my_chat_member`, `getChatMember`, or a refused
//! pin): alerts are pinned only where the bot may pin.

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
    /// The bot's standing there; `None` until Telegram has told us.
    pub bot_status: Option<BotStatus>,
    /// Whether the bot may pin messages there; `None` = not known yet.
    pub can_pin: Option<bool>,
}

impl GroupChat {
    /// Whether an alert is pinned here: yes where Telegram said the bot may
    /// pin, no where it said it may not. Rights are learnt from every
    /// `my_chat_member` update, at `/bind` and by the start-up pass, so
    /// "unknown" is left only where Telegram could not be asked; there the
    /// pin is tried, and a refusal records `can_pin = false` (one rejected
    /// request per such group, ever) rather than leave a severe alert
    /// unpinned where it could have been.
    pub fn pins_alerts(&self) -> bool {
        self.can_pin != Some(false)
    }
}

/// The bot's status in a group, as the Bot API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotStatus {
    Creator,
    Administrator,
    Member,
    Restricted,
    Left,
    Kicked,
}

impl BotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BotStatus::Creator => "creator",
            BotStatus::Administrator => "administrator",
            BotStatus::Member => "member",
            BotStatus::Restricted => "restricted",
            BotStatus::Left => "left",
            BotStatus::Kicked => "kicked",
        }
    }

    pub fn parse(s: &str) -> Option<BotStatus> {
        [
            BotStatus::Creator,
            BotStatus::Administrator,
            BotStatus::Member,
            BotStatus::Restricted,
            BotStatus::Left,
            BotStatus::Kicked,
        ]
        .into_iter()
        .find(|b| b.as_str() == s)
    }

    pub fn is_admin(self) -> bool {
        matches!(self, BotStatus::Creator | BotStatus::Administrator)
    }
}

/// The bot's standing in a group: its status and whether it may pin
/// (an administrator's `can_pin_messages` right, or a restricted member's
/// `can_pin_messages` permission; a plain member is not counted as able to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotRights {
    pub status: BotStatus,
    pub can_pin: bool,
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
        bot_status: row
            .try_get::<Option<String>, _>("bot_status")?
            .as_deref()
            .and_then(BotStatus::parse),
        can_pin: row.try_get::<Option<i64>, _>("can_pin")?.map(|p| p != 0),
    })
}

const COLUMNS: &str = "chat_id, title, node_code, active, bot_status, can_pin";

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
    let (node, bot_status, can_pin) = match stored {
        Some(g) => (g.node, g.bot_status, g.can_pin),
        None => (None, None, None),
    };
    Ok(GroupChat {
        chat_id,
        title: title.to_string(),
        node,
        active,
        bot_status,
        can_pin,
    })
}

/// Records the bot's standing in the group (a group not seen before is
/// added, titled `title`).
pub async fn set_rights(
    conn: &mut Conn,
    chat_id: i64,
    title: &str,
    rights: BotRights,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO group_chats (chat_id, title, active, updated_at, bot_status, can_pin) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (chat_id) DO UPDATE SET bot_status = excluded.bot_status, \
         can_pin = excluded.can_pin, updated_at = excluded.updated_at",
    )
    .bind(chat_id)
    .bind(title)
    .bind(flag(!matches!(
        rights.status,
        BotStatus::Left | BotStatus::Kicked
    )))
    .bind(now)
    .bind(rights.status.as_str())
    .bind(flag(rights.can_pin))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the bot's standing unless something newer (a `my_chat_member`
/// update) already did while Telegram was being asked.
pub async fn set_rights_if_unknown(
    conn: &mut Conn,
    chat_id: i64,
    rights: BotRights,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE group_chats SET bot_status = $1, can_pin = $2, updated_at = $3 \
         WHERE chat_id = $4 AND can_pin IS NULL",
    )
    .bind(rights.status.as_str())
    .bind(flag(rights.can_pin))
    .bind(now)
    .bind(chat_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Telegram refused a pin there: the bot may not pin (whatever it was told).
pub async fn lost_pin_right(conn: &mut Conn, chat_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE group_chats SET can_pin = 0, updated_at = $1 WHERE chat_id = $2")
        .bind(now)
        .bind(chat_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Active bound groups whose bot rights are not known yet (asked once at start-up).
pub async fn rights_unknown(conn: &mut Conn) -> sqlx::Result<Vec<GroupChat>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_chats \
         WHERE node_code IS NOT NULL AND active = 1 AND can_pin IS NULL ORDER BY chat_id"
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(group)
    .collect()
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
    let known = seen(conn, new, &g.title, true, now)
        .await?
        .can_pin
        .is_some();
    // The supergroup keeps its members and their rights, unless Telegram
    // already told us about the bot there.
    if let (false, Some(status), Some(can_pin)) = (known, g.bot_status, g.can_pin) {
        set_rights(conn, new, &g.title, BotRights { status, can_pin }, now).await?;
    }
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
