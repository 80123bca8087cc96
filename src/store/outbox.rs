//! Rows of the durable outbox: every message the bot owes someone.
//!
//! A row is `pending` until the dispatcher has sent it (`sent`), given up
//! (`failed`), or it was withdrawn (`cancelled`). A dispatcher claims a row by
//! setting a short lease, so two instances never send the same row at once;
//! if a process dies mid-send the lease runs out and the row is sent again —
//! at most one extra copy.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Conn;

/// What to do with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutKind {
    /// A new text message.
    Send,
    /// Replace the text (and buttons) of the message another row sent.
    Edit { of: i64 },
    /// Pin the message another row sent (quietly).
    Pin { of: i64 },
    /// Unpin the message another row sent.
    Unpin { of: i64 },
    /// A picture (a report's chart); the text is its caption.
    Photo { file_name: String, bytes: Vec<u8> },
    /// A file (a report's workbook); the text is its caption.
    Document { file_name: String, bytes: Vec<u8> },
}

impl OutKind {
    /// The row whose message this one acts on.
    pub fn target(&self) -> Option<i64> {
        match self {
            OutKind::Send | OutKind::Photo { .. } | OutKind::Document { .. } => None,
            OutKind::Edit { of } | OutKind::Pin { of } | OutKind::Unpin { of } => Some(*of),
        }
    }

    /// Whether the row carries a file, whose text is a caption (≤ 1024 characters).
    pub fn is_file(&self) -> bool {
        matches!(self, OutKind::Photo { .. } | OutKind::Document { .. })
    }
}

/// What a row is for, which decides when it goes: the dispatcher serves the
/// first non-empty lane before the next (issue 10). Stored with the row as
/// its number, so the order holds across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// An alert's live progress card: at most one pending edit per alert,
    /// paced by the alert itself, so it never waits behind its own copies.
    Card = 0,
    /// Copies of extreme and severe alerts.
    Urgent = 1,
    /// Copies of moderate and minor alerts.
    Alert = 2,
    /// The answer to the person who just acted: command replies, previews.
    Answer = 3,
    /// Pins and unpins, edits of copies, public case lines, private copies
    /// of a group answer, staff notices, reminders.
    FollowOn = 4,
    /// Scheduled reports, exports and other files.
    Bulk = 5,
}

impl Lane {
    pub const ALL: [Lane; 6] = [
        Lane::Card,
        Lane::Urgent,
        Lane::Alert,
        Lane::Answer,
        Lane::FollowOn,
        Lane::Bulk,
    ];

    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(n: i64) -> Lane {
        Lane::ALL
            .into_iter()
            .find(|l| l.number() == n)
            .unwrap_or(Lane::FollowOn)
    }

    /// The name operators see in `/metrics`.
    pub fn key(self) -> &'static str {
        match self {
            Lane::Card => "card",
            Lane::Urgent => "urgent",
            Lane::Alert => "alert",
            Lane::Answer => "answer",
            Lane::FollowOn => "follow_on",
            Lane::Bulk => "bulk",
        }
    }

    /// Alert traffic may use the headroom kept in each group's minute.
    pub fn is_alert(self) -> bool {
        matches!(self, Lane::Card | Lane::Urgent | Lane::Alert)
    }
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub chat_id: i64,
    pub kind: OutKind,
    /// HTML; everything users wrote in it is already escaped.
    pub text: String,
    /// Inline keyboard as Bot API JSON.
    pub markup: Option<String>,
    pub reply_to: Option<i64>,
    pub lane: Lane,
    /// Whose answer this is: the person who acted (see [`Outgoing::answering`]);
    /// their queued answers are capped.
    pub person: Option<i64>,
    /// What kind of message it is, for folding and for answering a repeated
    /// refusal once (e.g. `refusal`, `new-case`).
    pub tag: Option<String>,
}

impl Outgoing {
    pub fn text(chat_id: i64, text: impl Into<String>) -> Outgoing {
        Outgoing {
            chat_id,
            kind: OutKind::Send,
            text: text.into(),
            markup: None,
            reply_to: None,
            lane: Lane::FollowOn,
            person: None,
            tag: None,
        }
    }

    /// The answer to `person`, who just acted (a command's reply, a
    /// refusal): it goes in the answer lane and counts towards their cap.
    pub fn answer(chat_id: i64, person: i64, text: impl Into<String>) -> Outgoing {
        Outgoing {
            lane: Lane::Answer,
            person: Some(person),
            ..Outgoing::text(chat_id, text)
        }
    }

    pub fn in_lane(mut self, lane: Lane) -> Outgoing {
        self.lane = lane;
        self
    }

    /// Marks the row as one of `person`'s answers (capped per person) without
    /// changing its lane: e.g. the private copy of a group answer.
    pub fn for_person(mut self, person: i64) -> Outgoing {
        self.person = Some(person);
        self
    }

    pub fn tagged(mut self, tag: impl Into<String>) -> Outgoing {
        self.tag = Some(tag.into());
        self
    }

    /// A photo with an HTML caption.
    pub fn photo(
        chat_id: i64,
        file_name: impl Into<String>,
        bytes: Vec<u8>,
        caption: impl Into<String>,
    ) -> Outgoing {
        Outgoing {
            kind: OutKind::Photo {
                file_name: file_name.into(),
                bytes,
            },
            lane: Lane::Bulk,
            ..Outgoing::text(chat_id, caption)
        }
    }

    /// A document with an HTML caption.
    pub fn document(
        chat_id: i64,
        file_name: impl Into<String>,
        bytes: Vec<u8>,
        caption: impl Into<String>,
    ) -> Outgoing {
        Outgoing {
            kind: OutKind::Document {
                file_name: file_name.into(),
                bytes,
            },
            lane: Lane::Bulk,
            ..Outgoing::text(chat_id, caption)
        }
    }

    pub fn replying_to(mut self, message_id: Option<i64>) -> Outgoing {
        self.reply_to = message_id;
        self
    }

    pub fn with_markup(mut self, markup: Option<String>) -> Outgoing {
        self.markup = markup;
        self
    }

    /// An action on the message row `of` sent (edit, pin, unpin) in the same chat.
    pub fn acting_on(chat_id: i64, kind: OutKind, text: impl Into<String>) -> Outgoing {
        Outgoing {
            chat_id,
            kind,
            text: text.into(),
            markup: None,
            reply_to: None,
            lane: Lane::FollowOn,
            person: None,
            tag: None,
        }
    }
}

/// A pending row with what is needed to send it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub chat_id: i64,
    pub kind: OutKind,
    pub text: String,
    pub markup: Option<String>,
    pub reply_to: Option<i64>,
    pub attempts: i64,
    pub not_before_ms: i64,
    pub lease_until_ms: i64,
    /// For an edit: the message id the target row got, once it is sent.
    pub target_message_id: Option<i64>,
    /// For an edit: whether the target row is still waiting to be sent.
    pub target_pending: bool,
    pub lane: Lane,
    /// Real time it was queued (ms), for the latency histogram.
    pub queued_ms: i64,
}

pub async fn enqueue(conn: &mut Conn, msg: &Outgoing, now: i64, now_ms: i64) -> sqlx::Result<i64> {
    let (kind, edit_of, file_name, payload) = match &msg.kind {
        OutKind::Send => ("send", None, None, None),
        OutKind::Edit { of } => ("edit", Some(*of), None, None),
        OutKind::Pin { of } => ("pin", Some(*of), None, None),
        OutKind::Unpin { of } => ("unpin", Some(*of), None, None),
        OutKind::Photo { file_name, bytes } => {
            ("photo", None, Some(file_name.as_str()), Some(bytes.clone()))
        }
        OutKind::Document { file_name, bytes } => (
            "document",
            None,
            Some(file_name.as_str()),
            Some(bytes.clone()),
        ),
    };
    sqlx::query(
        "INSERT INTO outbox (chat_id, kind, text, markup, reply_to, edit_of, status, not_before_ms, created_at, file_name, payload, \
         lane, person, tag, queued_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $12, $13, $7) RETURNING id",
    )
    .bind(msg.chat_id)
    .bind(kind)
    .bind(&msg.text)
    .bind(msg.markup.as_deref())
    .bind(msg.reply_to)
    .bind(edit_of)
    .bind(now_ms)
    .bind(now)
    .bind(file_name)
    .bind(payload)
    .bind(msg.lane.number())
    .bind(msg.person)
    .bind(msg.tag.as_deref())
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")
}

fn pending(row: AnyRow) -> sqlx::Result<Pending> {
    let kind: String = row.try_get("kind")?;
    let edit_of: Option<i64> = row.try_get("edit_of")?;
    Ok(Pending {
        id: row.try_get("id")?,
        chat_id: row.try_get("chat_id")?,
        kind: match (kind.as_str(), edit_of) {
            ("edit", Some(of)) => OutKind::Edit { of },
            ("pin", Some(of)) => OutKind::Pin { of },
            ("unpin", Some(of)) => OutKind::Unpin { of },
            ("photo" | "document", _) => {
                let file_name: Option<String> = row.try_get("file_name")?;
                let bytes: Option<Vec<u8>> = row.try_get("payload")?;
                let (file_name, bytes) = (file_name.unwrap_or_default(), bytes.unwrap_or_default());
                if kind == "photo" {
                    OutKind::Photo { file_name, bytes }
                } else {
                    OutKind::Document { file_name, bytes }
                }
            }
            _ => OutKind::Send,
        },
        text: row.try_get("text")?,
        markup: row.try_get("markup")?,
        reply_to: row.try_get("reply_to")?,
        attempts: row.try_get("attempts")?,
        not_before_ms: row.try_get("not_before_ms")?,
        lease_until_ms: row.try_get("lease_until_ms")?,
        target_message_id: row.try_get("target_message_id")?,
        target_pending: row
            .try_get::<Option<String>, _>("target_status")?
            .is_some_and(|s| s == "pending"),
        lane: Lane::from_number(row.try_get("lane")?),
        queued_ms: row.try_get("queued_ms")?,
    })
}

/// The oldest pending row of each chat in `lane` (a chat's messages of one
/// lane go out in queue order), at most `limit` chats. The rows queued
/// behind them are not read: `heads` steps from one chat to the next
/// through the `outbox_pending` index (a loose index scan), so a pass costs
/// a few lookups per chat however long the queue is.
pub async fn lane_heads(conn: &mut Conn, lane: Lane, limit: i64) -> sqlx::Result<Vec<Pending>> {
    sqlx::query(
        "WITH RECURSIVE heads(chat_id) AS ( \
           SELECT MIN(chat_id) FROM outbox WHERE status = 'pending' AND lane = $1 \
           UNION ALL \
           SELECT (SELECT MIN(p.chat_id) FROM outbox p WHERE p.status = 'pending' AND p.lane = $1 AND p.chat_id > h.chat_id) \
           FROM heads h WHERE h.chat_id IS NOT NULL) \
         SELECT o.id, o.chat_id, o.kind, o.text, o.markup, o.reply_to, o.edit_of, o.attempts, o.not_before_ms, \
         o.lease_until_ms, o.file_name, o.payload, o.lane, o.queued_ms, t.message_id AS target_message_id, \
         t.status AS target_status \
         FROM heads h \
         JOIN outbox o ON o.id = (SELECT MIN(p.id) FROM outbox p WHERE p.status = 'pending' AND p.lane = $1 AND p.chat_id = h.chat_id) \
         LEFT JOIN outbox t ON t.id = o.edit_of \
         ORDER BY o.id LIMIT $2",
    )
    .bind(lane.number())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(pending)
    .collect()
}

/// Pending rows per lane, with the queueing time (real ms) of the oldest,
/// for `/metrics`.
pub async fn lane_depths(conn: &mut Conn) -> sqlx::Result<Vec<(Lane, i64, i64)>> {
    sqlx::query(
        "SELECT lane, COUNT(*) AS n, MIN(queued_ms) AS oldest FROM outbox \
         WHERE status = 'pending' GROUP BY lane",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok((
            Lane::from_number(r.try_get("lane")?),
            r.try_get("n")?,
            r.try_get::<Option<i64>, _>("oldest")?.unwrap_or(0),
        ))
    })
    .collect()
}

/// How many of `person`'s answers are waiting to be sent.
pub async fn pending_answers(conn: &mut Conn, person: i64) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE person = $1 AND status = 'pending'")
        .bind(person)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}

/// Whether `person` was sent (or is owed) a row tagged `tag` with this text
/// since `since` (domain seconds).
pub async fn answered_since(
    conn: &mut Conn,
    person: i64,
    tag: &str,
    text: Option<&str>,
    since: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 AS one FROM outbox WHERE person = $1 AND tag = $2 AND created_at >= $3 \
         AND (CAST($4 AS TEXT) IS NULL OR text = CAST($4 AS TEXT)) AND status <> 'cancelled' LIMIT 1",
    )
    .bind(person)
    .bind(tag)
    .bind(since)
    .bind(text)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}

/// The idle pending row tagged `tag` queued for `person` in `chat_id`, with
/// its text and buttons (to fold a new notice into it).
pub async fn idle_tagged(
    conn: &mut Conn,
    chat_id: i64,
    tag: &str,
    now_ms: i64,
) -> sqlx::Result<Option<(i64, String, Option<String>)>> {
    sqlx::query(
        "SELECT id, text, markup FROM outbox WHERE chat_id = $1 AND tag = $2 AND status = 'pending' \
         AND lease_until_ms <= $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(chat_id)
    .bind(tag)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| Ok((r.try_get("id")?, r.try_get("text")?, r.try_get("markup")?)))
    .transpose()
}

/// Drops the bytes of files queued before `before` and no longer pending
/// (the row itself stays: it is the record of what was sent).
pub async fn drop_sent_files(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE outbox SET payload = NULL \
         WHERE payload IS NOT NULL AND status <> 'pending' AND created_at < $1",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Deletes rows sent before `before` that nothing needs any more; returns
/// how many. Kept, however old:
/// - rows another row or table points to: the target of an edit, pin or
///   unpin (`outbox.edit_of`), an alert copy or its pin (`alert_deliveries`,
///   whose fate the statistics read), an alert's preview/progress card and
///   its latest edit (`alerts.card_*`);
/// - rows with buttons (`markup`): a press on them finds the row by its
///   message to edit it in place.
///
/// Pending, failed and cancelled rows are not touched. The `NOT IN` lists
/// are uncorrelated, so each is read once (no index on those columns needed).
pub async fn forget_sent_before(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1 AND markup IS NULL \
         AND id NOT IN (SELECT edit_of FROM outbox WHERE edit_of IS NOT NULL) \
         AND id NOT IN (SELECT outbox_id FROM alert_deliveries) \
         AND id NOT IN (SELECT pin_outbox_id FROM alert_deliveries WHERE pin_outbox_id IS NOT NULL) \
         AND id NOT IN (SELECT card_outbox_id FROM alerts WHERE card_outbox_id IS NOT NULL) \
         AND id NOT IN (SELECT card_edit_id FROM alerts WHERE card_edit_id IS NOT NULL)",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Voids every lease on a pending row held by an instance other than
/// `keep` (a lease without an owner included); returns how many there were.
/// Only the active instance calls it, when its term begins: the instances
/// that held those leases have lost the role, so their sends are over.
pub async fn release_leases(conn: &mut Conn, keep: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "UPDATE outbox SET lease_until_ms = 0 WHERE status = 'pending' AND lease_until_ms > 0 \
         AND (lease_owner IS NULL OR lease_owner <> $1)",
    )
    .bind(keep)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Takes the row for sending until `lease_until_ms`, in the name of
/// `owner` (an instance id); false if another sender has it.
pub async fn claim(
    conn: &mut Conn,
    id: i64,
    now_ms: i64,
    lease_until_ms: i64,
    owner: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET lease_until_ms = $1, lease_owner = $2, attempts = attempts + 1 \
         WHERE id = $3 AND status = 'pending' AND lease_until_ms <= $4",
    )
    .bind(lease_until_ms)
    .bind(owner)
    .bind(id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether anything was sent at or after `since` (Unix seconds).
pub async fn sent_since(conn: &mut Conn, since: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("SELECT id FROM outbox WHERE sent_at >= $1 LIMIT 1")
            .bind(since)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

pub async fn mark_sent(
    conn: &mut Conn,
    id: i64,
    message_id: Option<i64>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', message_id = $1, sent_at = $2, error = NULL WHERE id = $3")
        .bind(message_id)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Puts the row back in the queue, not to be tried before `not_before_ms`.
pub async fn retry_later(
    conn: &mut Conn,
    id: i64,
    not_before_ms: i64,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE outbox SET not_before_ms = $1, lease_until_ms = 0, error = $2 WHERE id = $3",
    )
    .bind(not_before_ms)
    .bind(error)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn mark_failed(conn: &mut Conn, id: i64, error: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET status = 'failed', error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Gives up every pending row for a chat the bot can no longer write to.
pub async fn fail_chat(conn: &mut Conn, chat_id: i64, error: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'failed', error = $1 WHERE chat_id = $2 AND status = 'pending'",
    )
    .bind(error)
    .bind(chat_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Redirects pending rows of a group that became a supergroup.
pub async fn move_chat(conn: &mut Conn, old: i64, new: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET chat_id = $1, lease_until_ms = 0 WHERE chat_id = $2 AND status = 'pending'")
        .bind(new)
        .bind(old)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rows by status (for tests, `/healthz` and metrics).
pub async fn count_status(conn: &mut Conn, status: &str) -> sqlx::Result<i64> {
    sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE status = $1")
        .bind(status)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")
}

/// Withdraws a pending row that no sender has claimed; false if it is being
/// sent (or already was). A claim checks the status, so a withdrawn row is
/// never sent afterwards.
pub async fn withdraw_if_idle(conn: &mut Conn, id: i64, now_ms: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'cancelled' WHERE id = $1 AND status = 'pending' AND lease_until_ms <= $2",
    )
    .bind(id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Like [`withdraw_if_idle`], returning when the withdrawn row was to go
/// (`not_before_ms`, moved on by a retry), so a replacement can keep its time.
pub async fn withdraw_if_idle_at(
    conn: &mut Conn,
    id: i64,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query(
        "UPDATE outbox SET status = 'cancelled' WHERE id = $1 AND status = 'pending' AND lease_until_ms <= $2 \
         RETURNING not_before_ms",
    )
    .bind(id)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get("not_before_ms"))
    .transpose()
}

/// Replaces the text and buttons of a pending row no sender has claimed;
/// false if it is being sent or no longer pending.
pub async fn rewrite_if_idle(
    conn: &mut Conn,
    id: i64,
    text: &str,
    markup: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE outbox SET text = $1, markup = $2 WHERE id = $3 AND status = 'pending' AND lease_until_ms <= $4",
    )
    .bind(text)
    .bind(markup)
    .bind(id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A row's buttons (inline keyboard JSON).
pub async fn markup_of(conn: &mut Conn, id: i64) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query("SELECT markup FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("markup"))
        .transpose()?
        .flatten())
}

/// A row's status and the message id it got.
pub async fn status_of(conn: &mut Conn, id: i64) -> sqlx::Result<Option<(String, Option<i64>)>> {
    sqlx::query("SELECT status, message_id FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| Ok((r.try_get("status")?, r.try_get("message_id")?)))
        .transpose()
}

/// The row that sent the message a button was pressed on: found by the
/// message's id, or, when the press beats the record of the send (the id is
/// written just after Telegram answers), by the pressed button's exact data.
pub async fn pressed(
    conn: &mut Conn,
    chat_id: i64,
    message_id: i64,
    callback_data: &str,
) -> sqlx::Result<Option<i64>> {
    match by_message(conn, chat_id, message_id).await? {
        Some(row) => Ok(Some(row)),
        None => by_button(conn, chat_id, callback_data).await,
    }
}

/// The latest text row queued to `chat_id` with a button carrying exactly
/// `callback_data`.
async fn by_button(
    conn: &mut Conn,
    chat_id: i64,
    callback_data: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT id FROM outbox WHERE chat_id = $1 AND kind = 'send' AND markup LIKE $2 ORDER BY id DESC LIMIT 1")
        .bind(chat_id)
        .bind(format!("%\"{callback_data}\"%"))
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()
}

/// The row that sent message `message_id` in `chat_id`.
pub async fn by_message(
    conn: &mut Conn,
    chat_id: i64,
    message_id: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query("SELECT id FROM outbox WHERE chat_id = $1 AND message_id = $2 AND kind = 'send' ORDER BY id DESC LIMIT 1")
        .bind(chat_id)
        .bind(message_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()
}
