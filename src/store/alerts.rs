//! Alerts, their deliveries (one per target group, each an outbox row) and
//! acknowledgements.
//!
//! A delivery's state is its outbox row's state (`pending`, `sent`,
//! `failed`, `cancelled`): the dispatcher is the only writer of it, so the
//! two can never disagree.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;
use super::nodes::stored_code;
use super::{bind_subtree, within};
use crate::domain::alert::{Category, Draft, Severity};
use crate::domain::{Level, NodeCode};

#[derive(Debug, Clone)]
pub struct Alert {
    /// Internal (buttons, rows); users see [`Alert::number`].
    pub id: i64,
    /// `A17`: given when the alert is sent, so discarded drafts leave no gap.
    pub number: Option<i64>,
    pub node: NodeCode,
    /// The group it was issued in (where its card is).
    pub chat_id: i64,
    pub issuer_id: i64,
    pub severity: Severity,
    pub category: Category,
    pub only: Option<Level>,
    pub text: String,
    /// `draft`, `sent`, `cancelled`, `expired`, `discarded`.
    pub status: String,
    pub expires_in: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub card_outbox_id: Option<i64>,
    pub card_edit_id: Option<i64>,
    pub card_next_ms: i64,
}

impl Alert {
    /// How users name it: `A17` (a draft has no number yet).
    pub fn tag(&self) -> String {
        self.number.map(|n| format!("A{n}")).unwrap_or_default()
    }
}

const ALERT_COLUMNS: &str = "id, number, node_code, chat_id, issuer_id, severity, category, level_only, text, status, \
     expires_in, expires_at, created_at, sent_at, cancel_reason, card_outbox_id, card_edit_id, card_next_ms";

fn corrupt(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} `{raw}` in alerts").into())
}

fn alert(row: AnyRow) -> sqlx::Result<Alert> {
    let sev: String = row.try_get("severity")?;
    let cat: String = row.try_get("category")?;
    let level: Option<i64> = row.try_get("level_only")?;
    Ok(Alert {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        node: stored_code(row.try_get("node_code")?)?,
        chat_id: row.try_get("chat_id")?,
        issuer_id: row.try_get("issuer_id")?,
        severity: Severity::parse(&sev).ok_or_else(|| corrupt("severity", &sev))?,
        category: Category::parse(&cat).ok_or_else(|| corrupt("category", &cat))?,
        only: level.and_then(|l| Level::from_depth(l as usize)),
        text: row.try_get("text")?,
        status: row.try_get("status")?,
        expires_in: row.try_get("expires_in")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
        cancel_reason: row.try_get("cancel_reason")?,
        card_outbox_id: row.try_get("card_outbox_id")?,
        card_edit_id: row.try_get("card_edit_id")?,
        card_next_ms: row.try_get("card_next_ms")?,
    })
}

/// Stores a draft awaiting the issuer's Send.
pub async fn insert_draft(
    conn: &mut Conn,
    node: &NodeCode,
    chat_id: i64,
    issuer_id: i64,
    draft: &Draft,
    schedule_id: Option<i64>,
    now: i64,
) -> sqlx::Result<i64> {
    sqlx::query(
        "INSERT INTO alerts (node_code, chat_id, issuer_id, severity, category, level_only, text, status, expires_in, created_at, schedule_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $10) RETURNING id",
    )
    .bind(node.as_str())
    .bind(chat_id)
    .bind(issuer_id)
    .bind(draft.severity.key())
    .bind(draft.category.key())
    .bind(draft.only.map(|l| l.depth() as i64))
    .bind(&draft.text)
    .bind(draft.expires_in)
    .bind(now)
    .bind(schedule_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")
}

pub async fn get(conn: &mut Conn, id: i64) -> sqlx::Result<Option<Alert>> {
    sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(alert)
        .transpose()
}

/// The alert users call `A{number}`.
pub async fn by_number(conn: &mut Conn, number: i64) -> sqlx::Result<Option<Alert>> {
    sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?
    .map(alert)
    .transpose()
}

/// Draft → sent, with the next number; false if it was not a draft any more
/// (a second press). The alert row is taken first and the counter last, so
/// two sends at once never wait for each other in opposite orders.
pub async fn mark_sent(
    conn: &mut Conn,
    id: i64,
    card_outbox_id: Option<i64>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET status = 'sent', sent_at = $1, card_outbox_id = $2, \
         expires_at = CASE WHEN expires_in IS NULL THEN NULL ELSE $1 + expires_in END \
         WHERE id = $3 AND status = 'draft'",
    )
    .bind(now)
    .bind(card_outbox_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let number: i64 = sqlx::query("UPDATE alert_numbers SET last = last + 1 RETURNING last")
        .fetch_one(&mut *conn)
        .await?
        .try_get("last")?;
    sqlx::query("UPDATE alerts SET number = $1 WHERE id = $2")
        .bind(number)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Ends an alert (`discarded`, `cancelled`, `expired`) unless it already ended.
pub async fn end(
    conn: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    reason: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE alerts SET status = $1, ended_at = $2, cancel_reason = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to)
    .bind(now)
    .bind(reason)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_text(conn: &mut Conn, id: i64, text: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET text = $1 WHERE id = $2")
        .bind(text)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Holds the alert's row until the transaction ends, before its card is
/// refreshed: two sends recorded at once (each in its own transaction)
/// then refresh the card one after the other, the second seeing the edit
/// the first queued. The no-op `UPDATE` takes PostgreSQL's row lock and, on
/// SQLite, the write lock (already held by a `BEGIN IMMEDIATE` transaction);
/// read the alert again after it, which sees the latest committed row.
pub async fn lock(conn: &mut Conn, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET card_edit_id = card_edit_id WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The alert whose card is outbox row `card_outbox_id`.
pub async fn by_card(conn: &mut Conn, card_outbox_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT id FROM alerts WHERE card_outbox_id = $1")
        .bind(card_outbox_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()
}

/// Remembers the card's latest queued edit and when it may go.
pub async fn set_card_edit(
    conn: &mut Conn,
    id: i64,
    edit_id: i64,
    next_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE alerts SET card_edit_id = $1, card_next_ms = $2 WHERE id = $3")
        .bind(edit_id)
        .bind(next_ms)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The most recent alerts issued on the subtree of `root`.
pub async fn recent_in(conn: &mut Conn, root: &NodeCode, limit: i64) -> sqlx::Result<Vec<Alert>> {
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE status <> 'draft' AND status <> 'discarded' \
         AND {} ORDER BY id DESC LIMIT $3",
        within("node_code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(alert)
        .collect()
}

/// Sent alerts (candidates for reminders and expiry).
pub async fn live(conn: &mut Conn) -> sqlx::Result<Vec<Alert>> {
    sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE status = 'sent' ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(alert)
    .collect()
}

/// One copy of an alert, with its outbox row's state.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub alert_id: i64,
    pub node: NodeCode,
    /// Where the copy is (follows a move to a supergroup).
    pub chat_id: i64,
    pub outbox_id: i64,
    pub status: String,
    pub message_id: Option<i64>,
    pub lease_until_ms: i64,
    pub error: Option<String>,
    pub pin_outbox_id: Option<i64>,
    pub acked_by: Option<i64>,
    pub acked_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub escalated_at: Option<i64>,
    pub sent_at: Option<i64>,
}

const DELIVERY_SELECT: &str = "SELECT d.id, d.alert_id, d.node_code, o.chat_id, d.outbox_id, o.status, o.message_id, \
     o.lease_until_ms, o.error, o.sent_at, d.pin_outbox_id, d.acked_by, d.acked_at, d.reminded_at, d.escalated_at \
     FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id";

fn delivery(row: AnyRow) -> sqlx::Result<Delivery> {
    Ok(Delivery {
        id: row.try_get("id")?,
        alert_id: row.try_get("alert_id")?,
        node: stored_code(row.try_get("node_code")?)?,
        chat_id: row.try_get("chat_id")?,
        outbox_id: row.try_get("outbox_id")?,
        status: row.try_get("status")?,
        message_id: row.try_get("message_id")?,
        lease_until_ms: row.try_get("lease_until_ms")?,
        error: row.try_get("error")?,
        sent_at: row.try_get("sent_at")?,
        pin_outbox_id: row.try_get("pin_outbox_id")?,
        acked_by: row.try_get("acked_by")?,
        acked_at: row.try_get("acked_at")?,
        reminded_at: row.try_get("reminded_at")?,
        escalated_at: row.try_get("escalated_at")?,
    })
}

pub async fn insert_delivery(
    conn: &mut Conn,
    alert_id: i64,
    node: &NodeCode,
    chat_id: i64,
    outbox_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO alert_deliveries (alert_id, node_code, chat_id, outbox_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(alert_id)
    .bind(node.as_str())
    .bind(chat_id)
    .bind(outbox_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn deliveries(conn: &mut Conn, alert_id: i64) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query(&format!(
        "{DELIVERY_SELECT} WHERE d.alert_id = $1 ORDER BY d.node_code"
    ))
    .bind(alert_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(delivery)
    .collect()
}

/// The delivery whose copy is (or was) outbox row `outbox_id`.
pub async fn delivery_by_outbox(conn: &mut Conn, outbox_id: i64) -> sqlx::Result<Option<Delivery>> {
    sqlx::query(&format!("{DELIVERY_SELECT} WHERE d.outbox_id = $1"))
        .bind(outbox_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(delivery)
        .transpose()
}

/// Sent alerts with a delivery failed in `chat_id` (a chat that just went away).
pub async fn live_with_failed_in(conn: &mut Conn, chat_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT DISTINCT d.alert_id FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
         JOIN alerts a ON a.id = d.alert_id WHERE o.chat_id = $1 AND o.status = 'failed' AND a.status = 'sent'",
    )
    .bind(chat_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("alert_id"))
    .collect()
}

/// Copies by state: (pending, sent, failed, cancelled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub cancelled: i64,
}

impl Progress {
    pub fn total(&self) -> i64 {
        self.pending + self.sent + self.failed + self.cancelled
    }
}

pub async fn progress(conn: &mut Conn, alert_id: i64) -> sqlx::Result<Progress> {
    let rows = sqlx::query(
        "SELECT o.status, COUNT(*) AS n FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
         WHERE d.alert_id = $1 GROUP BY o.status",
    )
    .bind(alert_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut p = Progress::default();
    for row in rows {
        let status: String = row.try_get("status")?;
        let n: i64 = row.try_get("n")?;
        match status.as_str() {
            "pending" => p.pending += n,
            "sent" => p.sent += n,
            "failed" => p.failed += n,
            _ => p.cancelled += n,
        }
    }
    Ok(p)
}

/// Points a delivery at a new copy row (its text was replaced before sending).
pub async fn set_delivery_outbox(conn: &mut Conn, id: i64, outbox_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE alert_deliveries SET outbox_id = $1 WHERE id = $2")
        .bind(outbox_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_pin(conn: &mut Conn, id: i64, pin_outbox_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE alert_deliveries SET pin_outbox_id = $1 WHERE id = $2")
        .bind(pin_outbox_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records the first acknowledgement; false if the copy was acknowledged before.
pub async fn ack(conn: &mut Conn, id: i64, user_id: i64, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE alert_deliveries SET acked_by = $1, acked_at = $2 WHERE id = $3 AND acked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets `reminded_at` or `escalated_at` once; false if it was set.
pub async fn mark_followed_up(
    conn: &mut Conn,
    id: i64,
    escalated: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let col = if escalated {
        "escalated_at"
    } else {
        "reminded_at"
    };
    let done = sqlx::query(&format!(
        "UPDATE alert_deliveries SET {col} = $1 WHERE id = $2 AND {col} IS NULL"
    ))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Users holding the B post on `node` whom the bot may write to privately.
pub async fn backup_posts(conn: &mut Conn, node: &NodeCode) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT DISTINCT r.user_id FROM roles r JOIN users u ON u.id = r.user_id \
         WHERE r.node_code = $1 AND r.backup = 1 AND u.private_chat = 1 ORDER BY r.user_id",
    )
    .bind(node.as_str())
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("user_id"))
    .collect()
}
