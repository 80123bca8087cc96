//! Cases, their events (appended, never updated or deleted), attachments,
//! and the drafts of the private reporting flow.
//!
//! A case row is changed only as load → decide → save, and the save is
//! conditional: [`save`] writes `WHERE version = <the version loaded>` and
//! bumps it, so a copy of the row that went stale in between (another
//! step, a reminder, another instance) is never written back. Writers that
//! must not fail on such a race load with [`get_for_update`], which holds
//! the row until their transaction ends (a row lock on PostgreSQL; SQLite's
//! write transactions are serial anyway).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::nodes::stored_code;
use super::{Conn, flag};
use super::{bind_subtree, within};
use crate::domain::NodeCode;
use crate::domain::case::{Attachment, CaseId, Category, Rating, Status, Tier};

/// A case as stored.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: CaseId,
    /// Where it was reported.
    pub grid: NodeCode,
    /// Who handles it now (changes on escalation).
    pub node: NodeCode,
    pub category: Category,
    pub tier: Tier,
    pub status: Status,
    pub reporter_id: i64,
    pub anonymous: bool,
    pub text: String,
    pub origin_chat_id: i64,
    pub origin_message_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub opened_at: i64,
    pub deadline_at: Option<i64>,
    pub supervised: bool,
    pub supervisor: Option<NodeCode>,
    pub resolved_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub rating: Option<Rating>,
    pub rated_at: Option<i64>,
    /// How often the follow-up question was asked for the latest resolution.
    pub followup_asks: i64,
    pub followup_at: Option<i64>,
    pub reminded_at: Option<i64>,
    /// Bumped by every [`save`]; what a conditional save compares.
    pub version: i64,
}

impl Case {
    pub fn overdue(&self, now: i64) -> bool {
        self.status.is_open() && self.deadline_at.is_some_and(|d| d < now)
    }
}

fn bad(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} `{raw}` in database").into())
}

fn case(row: AnyRow) -> sqlx::Result<Case> {
    let category: String = row.try_get("category")?;
    let tier: String = row.try_get("tier")?;
    let status: String = row.try_get("status")?;
    let rating: Option<String> = row.try_get("rating")?;
    Ok(Case {
        id: CaseId(row.try_get("id")?),
        grid: stored_code(row.try_get("grid_code")?)?,
        node: stored_code(row.try_get("node_code")?)?,
        category: Category::parse(&category).ok_or_else(|| bad("category", &category))?,
        tier: Tier::parse(&tier).ok_or_else(|| bad("tier", &tier))?,
        status: Status::parse(&status).ok_or_else(|| bad("status", &status))?,
        reporter_id: row.try_get("reporter_id")?,
        anonymous: row.try_get::<i64, _>("anonymous")? != 0,
        text: row.try_get("text")?,
        origin_chat_id: row.try_get("origin_chat_id")?,
        origin_message_id: row.try_get("origin_message_id")?,
        handler_id: row.try_get("handler_id")?,
        opened_at: row.try_get("opened_at")?,
        deadline_at: row.try_get("deadline_at")?,
        supervised: row.try_get::<i64, _>("supervised")? != 0,
        supervisor: row
            .try_get::<Option<String>, _>("supervisor_code")?
            .map(stored_code)
            .transpose()?,
        resolved_at: row.try_get("resolved_at")?,
        failed_at: row.try_get("failed_at")?,
        closed_at: row.try_get("closed_at")?,
        rating: match rating {
            Some(r) => Some(Rating::parse(&r).ok_or_else(|| bad("rating", &r))?),
            None => None,
        },
        rated_at: row.try_get("rated_at")?,
        followup_asks: row.try_get("followup_asks")?,
        followup_at: row.try_get("followup_at")?,
        reminded_at: row.try_get("reminded_at")?,
        version: row.try_get("version")?,
    })
}

const COLUMNS: &str = "id, grid_code, node_code, category, tier, status, reporter_id, anonymous, text, \
    origin_chat_id, origin_message_id, handler_id, opened_at, deadline_at, supervised, supervisor_code, \
    resolved_at, failed_at, closed_at, rating, rated_at, followup_asks, followup_at, reminded_at, version";

/// What a new report carries.
#[derive(Debug, Clone)]
pub struct NewCase<'a> {
    pub grid: &'a NodeCode,
    pub category: Category,
    pub tier: Tier,
    pub reporter_id: i64,
    pub anonymous: bool,
    pub text: &'a str,
    pub origin_chat_id: i64,
    pub origin_message_id: Option<i64>,
    pub deadline_at: Option<i64>,
}

/// At most `limit` reports by one person opened since `since`.
pub struct Throttle {
    pub limit: i64,
    pub since: i64,
}

/// Opens a case and returns it as stored, unless its reporter has already
/// opened `throttle.limit` since `throttle.since` (`None`): the count, the
/// insert and the read-back are one statement.
pub async fn insert(
    conn: &mut Conn,
    c: &NewCase<'_>,
    throttle: &Throttle,
    now: i64,
) -> sqlx::Result<Option<Case>> {
    sqlx::query(&format!(
        "INSERT INTO cases (grid_code, node_code, category, tier, status, reporter_id, anonymous, text, \
         origin_chat_id, origin_message_id, opened_at, deadline_at, updated_at) \
         SELECT $1, $1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $9 \
         WHERE (SELECT COUNT(*) FROM cases WHERE reporter_id = $4 AND opened_at >= $11) < $12 \
         RETURNING {COLUMNS}"
    ))
    .bind(c.grid.as_str())
    .bind(c.category.key())
    .bind(c.tier.key())
    .bind(c.reporter_id)
    .bind(flag(c.anonymous))
    .bind(c.text)
    .bind(c.origin_chat_id)
    .bind(c.origin_message_id)
    .bind(now)
    .bind(c.deadline_at)
    .bind(throttle.since)
    .bind(throttle.limit)
    .fetch_optional(&mut *conn)
    .await?
    .map(case)
    .transpose()
}

pub async fn get(conn: &mut Conn, id: CaseId) -> sqlx::Result<Option<Case>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(case)
        .transpose()
}

/// Loads a case to change it: the row is held for the rest of the
/// transaction, so no other writer changes it between this read and the
/// [`save`]. The no-op `UPDATE` takes PostgreSQL's row lock (a plain
/// `SELECT … FOR UPDATE` does not exist on SQLite) and is harmless on
/// SQLite, whose write transactions (`BEGIN IMMEDIATE`) already run one at
/// a time. Under READ COMMITTED the `SELECT` after it sees the latest
/// committed row.
pub async fn get_for_update(conn: &mut Conn, id: CaseId) -> sqlx::Result<Option<Case>> {
    sqlx::query("UPDATE cases SET version = version WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    get(conn, id).await
}

/// Writes back every field a step may change, if the row is still the
/// version `c` was loaded as; then `c` carries the new version. False (and
/// nothing written) when someone changed the case in between: the caller
/// redoes its step on a fresh copy or leaves it.
pub async fn save(conn: &mut Conn, c: &mut Case, now: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE cases SET node_code = $1, tier = $2, status = $3, handler_id = $4, deadline_at = $5, \
         supervised = $6, supervisor_code = $7, resolved_at = $8, failed_at = $9, closed_at = $10, \
         rating = $11, rated_at = $12, followup_asks = $13, followup_at = $14, reminded_at = $15, \
         updated_at = $16, version = version + 1 WHERE id = $17 AND version = $18",
    )
    .bind(c.node.as_str())
    .bind(c.tier.key())
    .bind(c.status.key())
    .bind(c.handler_id)
    .bind(c.deadline_at)
    .bind(flag(c.supervised))
    .bind(c.supervisor.as_ref().map(|s| s.as_str().to_string()))
    .bind(c.resolved_at)
    .bind(c.failed_at)
    .bind(c.closed_at)
    .bind(c.rating.map(Rating::key))
    .bind(c.rated_at)
    .bind(c.followup_asks)
    .bind(c.followup_at)
    .bind(c.reminded_at)
    .bind(now)
    .bind(c.id.0)
    .bind(c.version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    c.version += 1;
    Ok(true)
}

/// One line of a case's history.
#[derive(Debug, Clone)]
pub struct Event {
    pub actor_id: Option<i64>,
    pub kind: String,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub note: Option<String>,
    pub at: i64,
}

pub async fn add_event(conn: &mut Conn, id: CaseId, e: &Event) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO case_events (case_id, actor_id, kind, from_status, to_status, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(e.actor_id)
    .bind(&e.kind)
    .bind(e.from.map(Status::key))
    .bind(e.to.map(Status::key))
    .bind(e.note.as_deref())
    .bind(e.at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The reporter's case rated since `since` that has no comment yet (the
/// latest rated, if several).
pub async fn awaiting_comment(
    conn: &mut Conn,
    reporter: i64,
    since: i64,
) -> sqlx::Result<Option<CaseId>> {
    sqlx::query(
        "SELECT c.id FROM cases c WHERE c.reporter_id = $1 AND c.rated_at >= $2 \
         AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'comment' AND e.at >= c.rated_at) \
         ORDER BY c.rated_at DESC, c.id DESC LIMIT 1",
    )
    .bind(reporter)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get("id").map(CaseId))
    .transpose()
}

pub async fn events(conn: &mut Conn, id: CaseId) -> sqlx::Result<Vec<Event>> {
    sqlx::query(
        "SELECT actor_id, kind, from_status, to_status, note, at FROM case_events WHERE case_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| {
        let status = |col: &str| -> sqlx::Result<Option<Status>> {
            Ok(row
                .try_get::<Option<String>, _>(col)?
                .and_then(|s| Status::parse(&s)))
        };
        Ok(Event {
            actor_id: row.try_get("actor_id")?,
            kind: row.try_get("kind")?,
            from: status("from_status")?,
            to: status("to_status")?,
            note: row.try_get("note")?,
            at: row.try_get("at")?,
        })
    })
    .collect()
}

pub async fn attach(conn: &mut Conn, id: CaseId, a: &Attachment, now: i64) -> sqlx::Result<()> {
    let (kind, file, lat, lon) = match a {
        Attachment::Photo(f) => ("photo", Some(f.as_str()), None, None),
        Attachment::Location { lat, lon } => ("location", None, Some(e6(*lat)), Some(e6(*lon))),
    };
    sqlx::query(
        "INSERT INTO case_attachments (case_id, kind, file_id, lat_e6, lon_e6, added_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.0)
    .bind(kind)
    .bind(file)
    .bind(lat)
    .bind(lon)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn attachments(conn: &mut Conn, id: CaseId) -> sqlx::Result<Vec<Attachment>> {
    let rows = sqlx::query(
        "SELECT kind, file_id, lat_e6, lon_e6 FROM case_attachments WHERE case_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let kind: String = row.try_get("kind")?;
        match kind.as_str() {
            "photo" => out.push(Attachment::Photo(
                row.try_get::<Option<String>, _>("file_id")?
                    .unwrap_or_default(),
            )),
            _ => out.push(Attachment::Location {
                lat: from_e6(row.try_get("lat_e6")?),
                lon: from_e6(row.try_get("lon_e6")?),
            }),
        }
    }
    Ok(out)
}

/// Degrees as integer micro-degrees: the store keeps integers and text only.
pub(crate) fn e6(deg: f64) -> i64 {
    (deg * 1e6).round() as i64
}

pub(crate) fn from_e6(v: Option<i64>) -> f64 {
    v.unwrap_or_default() as f64 / 1e6
}

/// How many cases the person opened since `since` (the throttle).
/// Which cases `/cases` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Open,
    Overdue,
    Mine(i64),
    All,
}

/// Cases handled in the subtree of `root`, overdue first, then newest.
pub async fn in_scope(
    conn: &mut Conn,
    root: &NodeCode,
    filter: Filter,
    now: i64,
    limit: i64,
) -> sqlx::Result<Vec<Case>> {
    let open = "status NOT IN ('resolved', 'failed', 'closed')";
    let (cond, user) = match filter {
        Filter::Open => (open.to_string(), 0),
        Filter::Overdue => (
            format!("{open} AND deadline_at IS NOT NULL AND deadline_at < $3"),
            0,
        ),
        Filter::Mine(u) => (format!("{open} AND handler_id = $4"), u),
        Filter::All => ("1 = 1".to_string(), 0),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM cases WHERE {} AND {cond} \
         ORDER BY CASE WHEN {open} AND deadline_at IS NOT NULL AND deadline_at < $3 THEN 0 ELSE 1 END, id DESC LIMIT $5",
        within("node_code")
    );
    bind_subtree(sqlx::query(&sql), root)
        .bind(now)
        .bind(user)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(case)
        .collect()
}

/// A resident's own cases, newest first.
pub async fn by_reporter(conn: &mut Conn, reporter: i64, limit: i64) -> sqlx::Result<Vec<Case>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE reporter_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(reporter)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(case)
    .collect()
}

/// Resolved, unrated cases whose follow-up question is due: first asked
/// `first` after resolution, asked again `again` after that, then left.
pub async fn followups_due(
    conn: &mut Conn,
    now: i64,
    first: i64,
    again: i64,
) -> sqlx::Result<Vec<Case>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE status = 'resolved' AND rating IS NULL AND \
         ((followup_asks = 0 AND resolved_at <= $1) OR (followup_asks = 1 AND followup_at <= $2)) ORDER BY id LIMIT 200"
    ))
    .bind(now - first)
    .bind(now - again)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(case)
    .collect()
}

/// Open cases that are overdue or supervised and were not reminded within `every`.
pub async fn reminders_due(conn: &mut Conn, now: i64, every: i64) -> sqlx::Result<Vec<Case>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE status NOT IN ('resolved', 'failed', 'closed') AND \
         (supervised = 1 OR (deadline_at IS NOT NULL AND deadline_at < $1)) AND \
         (reminded_at IS NULL OR reminded_at <= $2) ORDER BY id LIMIT 200"
    ))
    .bind(now)
    .bind(now - every)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(case)
    .collect()
}

/// Open cases whose deadline passed before `before` (for the digest to the
/// admins above: overdue for longer than one reminder interval).
pub async fn overdue_before(conn: &mut Conn, before: i64) -> sqlx::Result<Vec<Case>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE status NOT IN ('resolved', 'failed', 'closed') AND \
         deadline_at IS NOT NULL AND deadline_at < $1 ORDER BY deadline_at, id LIMIT 1000"
    ))
    .bind(before)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(case)
    .collect()
}

/// The people told about a case privately: its handler and the staff of
/// its node, of those who have started the bot.
pub async fn reachable_staff(conn: &mut Conn, case: &Case) -> sqlx::Result<Vec<i64>> {
    sqlx::query(
        "SELECT id FROM users WHERE private_chat = 1 \
         AND (id IN (SELECT user_id FROM roles WHERE node_code = $1) OR id = $2) ORDER BY id",
    )
    .bind(case.node.as_str())
    .bind(case.handler_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| r.try_get("id"))
    .collect()
}
