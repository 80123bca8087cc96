//! The records statistics are computed from, read from the `cases`,
//! `case_events`, `alerts` and `alert_deliveries` tables.
//!
//! A case counts in the grid where it was reported (`grid_code`), even after
//! an escalation. An alert copy's fate is its outbox row's status.
//!
//! An anonymous reporter is never loaded by name or id: the case says
//! [`Reporter::Anonymous`] and their own events (report, rating, comment)
//! [`EventActor::Anonymous`]. A row that cannot be read is left out and
//! named in [`Loaded::skipped`], so one bad row never fails a report.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Store;
use super::nodes::stored_code;
use super::{bind_subtree, within};
use crate::domain::NodeCode;
use crate::domain::stats::{
    AlertRecord, CaseRecord, Category, EventActor, EventRecord, Rating, Reporter, Status, Tier,
};
use crate::stats::StatsSource;
use crate::stats::source::{Loaded, SourceFuture};

/// Statistics over the live database.
pub struct StoreStats(pub Store);

fn bad(what: &str, raw: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("bad {what} `{raw}` in database").into())
}

fn name(first: Option<String>, id: i64) -> String {
    first
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("ID {id}"))
}

/// Reads every row it can; the others are logged and named by `label`.
fn lenient<T>(
    rows: Vec<AnyRow>,
    read: fn(&AnyRow) -> sqlx::Result<T>,
    label: fn(&AnyRow) -> String,
) -> Loaded<T> {
    let mut out = Loaded::from(Vec::with_capacity(rows.len()));
    for row in &rows {
        match read(row) {
            Ok(r) => out.records.push(r),
            Err(e) => {
                let which = label(row);
                tracing::warn!(row = %which, error = %e, "a statistics row could not be read; left out");
                out.skipped.push(which);
            }
        }
    }
    out
}

fn case_label(row: &AnyRow) -> String {
    row.try_get::<i64, _>("id")
        .map(|id| format!("#{id}"))
        .unwrap_or_else(|_| "?".into())
}

fn event_label(row: &AnyRow) -> String {
    row.try_get::<i64, _>("case_id")
        .map(|id| format!("#{id}"))
        .unwrap_or_else(|_| "?".into())
}

fn event(row: &AnyRow) -> sqlx::Result<EventRecord> {
    let actor: Option<i64> = row.try_get("actor_id")?;
    let anonymous = row.try_get::<i64, _>("anonymous")? != 0;
    let reporter: i64 = row.try_get("reporter_id")?;
    Ok(EventRecord {
        case_id: row.try_get("case_id")?,
        at: row.try_get("at")?,
        action: row.try_get("kind")?,
        actor: match actor {
            Some(id) if anonymous && id == reporter => EventActor::Anonymous,
            Some(id) => EventActor::Person {
                id,
                name: name(row.try_get("first_name")?, id),
            },
            None => EventActor::System,
        },
        note: row
            .try_get::<Option<String>, _>("note")?
            .unwrap_or_default(),
    })
}

fn case(row: &AnyRow) -> sqlx::Result<CaseRecord> {
    let key = |col: &str| row.try_get::<String, _>(col);
    let (category, tier, status) = (key("category")?, key("tier")?, key("status")?);
    let status = Status::parse(&status).ok_or_else(|| bad("status", &status))?;
    // An open case's earlier outcome no longer stands.
    let ended = matches!(status, Status::Resolved | Status::Failed | Status::Closed);
    let when = |col: &str| -> sqlx::Result<Option<i64>> {
        Ok(if ended { row.try_get(col)? } else { None })
    };
    let handler: Option<i64> = row.try_get("handler_id")?;
    let reporter: i64 = row.try_get("reporter_id")?;
    Ok(CaseRecord {
        id: row.try_get("id")?,
        grid_code: stored_code(row.try_get("grid_code")?)?,
        node_code: stored_code(row.try_get("node_code")?)?,
        category: Category::parse(&category).ok_or_else(|| bad("category", &category))?,
        tier: Tier::parse(&tier).ok_or_else(|| bad("tier", &tier))?,
        status,
        opened_at: row.try_get("opened_at")?,
        resolved_at: when("resolved_at")?,
        failed_at: when("failed_at")?,
        closed_at: when("closed_at")?,
        deadline_at: row.try_get("deadline_at")?,
        supervised: row.try_get::<i64, _>("supervised")? != 0,
        rating: row
            .try_get::<Option<String>, _>("rating")?
            .as_deref()
            .and_then(Rating::parse),
        asked_followup: row.try_get::<i64, _>("followup_asks")? > 0
            || row.try_get::<Option<String>, _>("rating")?.is_some(),
        handler: match handler {
            Some(id) => Some((id, name(row.try_get("handler_name")?, id))),
            None => None,
        },
        reporter: if row.try_get::<i64, _>("anonymous")? != 0 {
            Reporter::Anonymous
        } else {
            Reporter::Known {
                id: reporter,
                name: name(row.try_get("reporter_name")?, reporter),
            }
        },
        summary: row.try_get("text")?,
    })
}

impl StatsSource for StoreStats {
    fn cases<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<CaseRecord>> {
        Box::pin(async move {
            let mut conn = self.0.conn().await?;
            let sql = format!(
                "SELECT c.id, c.grid_code, c.node_code, c.category, c.tier, c.status, c.opened_at, c.resolved_at, \
                 c.failed_at, c.closed_at, c.deadline_at, c.supervised, c.rating, c.followup_asks, c.handler_id, \
                 h.first_name AS handler_name, c.reporter_id, c.anonymous, r.first_name AS reporter_name, c.text \
                 FROM cases c LEFT JOIN users h ON h.id = c.handler_id LEFT JOIN users r ON r.id = c.reporter_id \
                 WHERE {} AND c.opened_at < $3 \
                 AND (NOT (c.status IN ('resolved', 'failed', 'closed') \
                          AND (COALESCE(c.resolved_at, $4) < $4 OR COALESCE(c.failed_at, $4) < $4 \
                               OR COALESCE(c.closed_at, $4) < $4)) \
                      OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id \
                                 AND e.at >= $4 AND e.at < $3)) \
                 ORDER BY c.id",
                within("c.grid_code")
            );
            let rows = bind_subtree(sqlx::query(&sql), root)
                .bind(to)
                .bind(from)
                .fetch_all(&mut *conn)
                .await?;
            Ok(lenient(rows, case, case_label))
        })
    }

    fn events<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<EventRecord>> {
        Box::pin(async move {
            let mut conn = self.0.conn().await?;
            let sql = format!(
                "SELECT e.case_id, e.at, e.kind, e.actor_id, u.first_name, e.note, c.anonymous, c.reporter_id \
                 FROM case_events e \
                 JOIN cases c ON c.id = e.case_id LEFT JOIN users u ON u.id = e.actor_id \
                 WHERE {} AND e.at >= $3 AND e.at < $4 ORDER BY e.id",
                within("c.grid_code")
            );
            let rows = bind_subtree(sqlx::query(&sql), root)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
            Ok(lenient(rows, event, event_label))
        })
    }

    fn alerts<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Vec<AlertRecord>> {
        Box::pin(async move {
            let mut conn = self.0.conn().await?;
            let sql = format!(
                "SELECT a.id, a.node_code, a.sent_at, a.severity, \
                 (SELECT COUNT(*) FROM alert_deliveries d WHERE d.alert_id = a.id) AS targets, \
                 (SELECT COUNT(*) FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
                  WHERE d.alert_id = a.id AND o.status = 'sent') AS delivered, \
                 (SELECT COUNT(*) FROM alert_deliveries d JOIN outbox o ON o.id = d.outbox_id \
                  WHERE d.alert_id = a.id AND o.status = 'failed') AS failed, \
                 (SELECT COUNT(*) FROM alert_deliveries d WHERE d.alert_id = a.id \
                  AND d.node_code <> a.node_code) AS asked, \
                 (SELECT COUNT(*) FROM alert_deliveries d WHERE d.alert_id = a.id \
                  AND d.node_code <> a.node_code AND d.acked_at IS NOT NULL) AS acked \
                 FROM alerts a WHERE a.sent_at IS NOT NULL AND a.sent_at >= $3 AND a.sent_at < $4 \
                 AND {} ORDER BY a.id",
                within("a.node_code")
            );
            let rows = bind_subtree(sqlx::query(&sql), root)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
            let alerts = rows
                .into_iter()
                .map(|row| {
                    let count = |col: &str| row.try_get::<i64, _>(col).map(|n| n as u32);
                    let severity: String = row.try_get("severity")?;
                    let targets = count("targets")?;
                    Ok(AlertRecord {
                        id: row.try_get("id")?,
                        node_code: stored_code(row.try_get("node_code")?)?,
                        issued_at: row.try_get("sent_at")?,
                        targets,
                        delivered: count("delivered")?,
                        failed: count("failed")?,
                        acknowledged: count("acked")?,
                        // The issuing group is not asked to acknowledge its own alert.
                        ack_required: if matches!(severity.as_str(), "severe" | "extreme") {
                            count("asked")?
                        } else {
                            0
                        },
                    })
                })
                .collect::<sqlx::Result<Vec<_>>>()?;
            Ok(alerts)
        })
    }
}
