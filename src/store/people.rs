//! Users the bot has seen, and the roles they hold on nodes.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::nodes::stored_code;
use super::{Conn, flag};
use super::{bind_subtree, within};
use crate::domain::{Grant, NodeCode, Post, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    /// The user has started the bot, so it may write to them privately.
    pub private_chat: bool,
    /// The grid this resident belongs to, when known.
    pub grid: Option<NodeCode>,
}

impl User {
    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) => format!("{} {last}", self.first_name),
            None => self.first_name.clone(),
        }
    }
}

fn user(row: AnyRow) -> sqlx::Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        private_chat: row.try_get::<i64, _>("private_chat")? != 0,
        grid: row
            .try_get::<Option<String>, _>("grid_code")?
            .map(stored_code)
            .transpose()?,
    })
}

const USER_COLUMNS: &str = "id, username, first_name, last_name, private_chat, grid_code";

/// What one message or button press tells about its sender.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    pub id: i64,
    pub username: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    /// They wrote to the bot privately, so it may write to them.
    pub private: bool,
    /// They wrote in the group of this grid: their grid, unless one is known.
    pub grid: Option<&'a NodeCode>,
}

/// Records what Telegram says about a user and returns what the bot knows
/// of them, with their grants. Runs for every update, so the usual case is
/// one read: it writes only a new user or a change.
pub async fn seen(conn: &mut Conn, s: &Sighting<'_>, now: i64) -> sqlx::Result<(User, Vec<Grant>)> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.first_name, u.last_name, u.private_chat, u.grid_code, \
         r.node_code, r.role, r.backup \
         FROM (SELECT $1 AS id) k LEFT JOIN users u ON u.id = k.id LEFT JOIN roles r ON r.user_id = k.id \
         ORDER BY r.node_code, r.role",
    )
    .bind(s.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut grants = Vec::new();
    for row in &rows {
        if row.try_get::<Option<String>, _>("node_code")?.is_some() {
            grants.push(grant(row)?);
        }
    }
    let stored = match rows.into_iter().next() {
        Some(row) if row.try_get::<Option<i64>, _>("id")?.is_some() => Some(user(row)?),
        _ => None,
    };
    let username = s.username.map(str::to_lowercase);
    let now_known = User {
        id: s.id,
        username: username.clone(),
        first_name: s.first_name.to_string(),
        last_name: s.last_name.map(str::to_string),
        private_chat: s.private || stored.as_ref().is_some_and(|u| u.private_chat),
        grid: stored
            .as_ref()
            .and_then(|u| u.grid.clone())
            .or_else(|| s.grid.cloned()),
    };
    if stored.as_ref() != Some(&now_known) {
        sqlx::query(
            "INSERT INTO users (id, username, first_name, last_name, private_chat, grid_code, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (id) DO UPDATE SET username = excluded.username, first_name = excluded.first_name, \
             last_name = excluded.last_name, private_chat = excluded.private_chat, \
             grid_code = excluded.grid_code, updated_at = excluded.updated_at",
        )
        .bind(s.id)
        .bind(username)
        .bind(s.first_name)
        .bind(s.last_name)
        .bind(flag(now_known.private_chat))
        .bind(now_known.grid.as_ref().map(|g| g.as_str().to_string()))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok((now_known, grants))
}

/// A user named only by an import file; a later message from them fills in the rest.
pub async fn known_by_import(
    conn: &mut Conn,
    id: i64,
    username: Option<&str>,
    name: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, username, first_name, private_chat, updated_at) VALUES ($1, $2, $3, 0, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(username.map(str::to_lowercase))
    .bind(name.unwrap_or(""))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_private_chat(conn: &mut Conn, id: i64, open: bool) -> sqlx::Result<()> {
    // Only a change is written: this runs for every private message.
    sqlx::query("UPDATE users SET private_chat = $1 WHERE id = $2 AND private_chat <> $1")
        .bind(flag(open))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_grid(conn: &mut Conn, id: i64, grid: &NodeCode) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET grid_code = $1 WHERE id = $2")
        .bind(grid.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(user)
        .transpose()
}

pub async fn by_username(conn: &mut Conn, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    ))
    .bind(username.trim_start_matches('@').to_lowercase())
    .fetch_optional(&mut *conn)
    .await?
    .map(user)
    .transpose()
}

pub async fn grants_of(conn: &mut Conn, user_id: i64) -> sqlx::Result<Vec<Grant>> {
    sqlx::query(
        "SELECT node_code, role, backup FROM roles WHERE user_id = $1 ORDER BY node_code, role",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| grant(&row))
    .collect()
}

fn grant(row: &AnyRow) -> sqlx::Result<Grant> {
    let role: String = row.try_get("role")?;
    Ok(Grant {
        code: stored_code(row.try_get("node_code")?)?,
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("bad role `{role}` in database").into()))?,
        post: Post::from_backup(row.try_get::<i64, _>("backup")? != 0),
    })
}

/// Grants a role, or moves an existing grant between the A and B post.
pub async fn grant_role(
    conn: &mut Conn,
    user_id: i64,
    g: &Grant,
    by: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO roles (user_id, node_code, role, backup, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, node_code, role) DO UPDATE SET backup = excluded.backup",
    )
    .bind(user_id)
    .bind(g.code.as_str())
    .bind(g.role.key())
    .bind(flag(g.post.is_backup()))
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// False when the person did not hold that role there.
pub async fn revoke_role(
    conn: &mut Conn,
    user_id: i64,
    code: &NodeCode,
    role: Role,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM roles WHERE user_id = $1 AND node_code = $2 AND role = $3")
        .bind(user_id)
        .bind(code.as_str())
        .bind(role.key())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One line of `/staff`: who holds which role where.
#[derive(Debug, Clone)]
pub struct StaffEntry {
    pub user_id: i64,
    pub name: String,
    pub username: Option<String>,
    pub grant: Grant,
}

/// Staff on the node and its subtree, by node, role, then A before B.
pub async fn staff_in(conn: &mut Conn, root: &NodeCode) -> sqlx::Result<Vec<StaffEntry>> {
    let sql = format!(
        "SELECT r.user_id, r.node_code, r.role, r.backup, u.first_name, u.last_name, u.username \
         FROM roles r LEFT JOIN users u ON u.id = r.user_id WHERE {} \
         ORDER BY r.node_code, r.role, r.backup, r.user_id",
        within("r.node_code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| {
            let first: Option<String> = row.try_get("first_name")?;
            let last: Option<String> = row.try_get("last_name")?;
            let name = match (first.filter(|f| !f.is_empty()), last) {
                (Some(f), Some(l)) => format!("{f} {l}"),
                (Some(f), None) => f,
                (None, _) => String::new(),
            };
            Ok(StaffEntry {
                user_id: row.try_get("user_id")?,
                name,
                username: row.try_get("username")?,
                grant: grant(&row)?,
            })
        })
        .collect()
}
