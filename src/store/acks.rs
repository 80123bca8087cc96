//! Who acknowledged an alert and when, and who has not yet, with the names
//! the issuer needs to chase them (node name, A and B posts). Loaded in two
//! queries for the whole alert, since the progress card is redrawn after
//! every send.
//!
//! The issuing node's own group is left out: it is not asked to
//! acknowledge its own alert.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::nodes::stored_code;
use crate::domain::{NodeCode, Post};

/// A group that pressed 收到.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acked {
    pub node: NodeCode,
    pub node_name: String,
    /// The person's name (empty when the bot never saw one).
    pub by_name: String,
    pub by: i64,
    pub at: i64,
}

/// A group whose copy is out and not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub node: NodeCode,
    pub node_name: String,
    /// Staff on the node: (post, name), A posts first.
    pub staff: Vec<(Post, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckBoard {
    pub acked: Vec<Acked>,
    pub waiting: Vec<Waiting>,
}

fn person_name(row: &AnyRow) -> sqlx::Result<String> {
    let first: Option<String> = row.try_get("first_name")?;
    let last: Option<String> = row.try_get("last_name")?;
    Ok(match (first.filter(|f| !f.is_empty()), last) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(f), None) => f,
        (None, _) => String::new(),
    })
}

/// Acknowledgements of alert `alert_id` issued on `issuing`, by node code.
pub async fn board(conn: &mut Conn, alert_id: i64, issuing: &NodeCode) -> sqlx::Result<AckBoard> {
    let rows = sqlx::query(
        "SELECT d.node_code, n.name AS node_name, d.acked_by, d.acked_at, u.first_name, u.last_name \
         FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
         LEFT JOIN nodes n ON n.code = d.node_code LEFT JOIN users u ON u.id = d.acked_by \
         WHERE d.alert_id = $1 AND d.node_code <> $2 \
         AND (d.acked_at IS NOT NULL OR o.status = 'sent') ORDER BY d.node_code",
    )
    .bind(alert_id)
    .bind(issuing.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let mut board = AckBoard::default();
    for row in rows {
        let node = stored_code(row.try_get("node_code")?)?;
        let node_name: String = row
            .try_get::<Option<String>, _>("node_name")?
            .unwrap_or_else(|| node.to_string());
        let at: Option<i64> = row.try_get("acked_at")?;
        match at {
            Some(at) => board.acked.push(Acked {
                node,
                node_name,
                by_name: person_name(&row)?,
                by: row
                    .try_get::<Option<i64>, _>("acked_by")?
                    .unwrap_or_default(),
                at,
            }),
            None => board.waiting.push(Waiting {
                node,
                node_name,
                staff: Vec::new(),
            }),
        }
    }
    if board.waiting.is_empty() {
        return Ok(board);
    }
    let staff = sqlx::query(
        "SELECT DISTINCT r.node_code, r.backup, r.user_id, u.first_name, u.last_name \
         FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
         JOIN roles r ON r.node_code = d.node_code LEFT JOIN users u ON u.id = r.user_id \
         WHERE d.alert_id = $1 AND d.node_code <> $2 AND d.acked_at IS NULL AND o.status = 'sent' \
         ORDER BY r.node_code, r.backup, r.user_id",
    )
    .bind(alert_id)
    .bind(issuing.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in staff {
        let code: String = row.try_get("node_code")?;
        let post = Post::from_backup(row.try_get::<i64, _>("backup")? != 0);
        let mut name = person_name(&row)?;
        if name.is_empty() {
            name = format!("ID {}", row.try_get::<i64, _>("user_id")?);
        }
        if let Some(w) = board.waiting.iter_mut().find(|w| w.node.as_str() == code)
            && !w.staff.contains(&(post, name.clone()))
        {
            w.staff.push((post, name));
        }
    }
    Ok(board)
}
