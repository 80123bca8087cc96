//! `wait`: the clock walks to the target in stops ([`super::time`]), and at
//! each stop the scheduler ticks and the dispatcher delivers, as in a bot
//! that ran all along. What a stop brings is shown under its time.
//!
//! Between the schedules' slots the walk also stops when a follow-up falls
//! due: an alert copy's reminder, escalation or expiry (read from its
//! delivery, as `alerts::followup` does), and a case's follow-up question
//! or overdue reminder (found by asking the store's own "due at t?" queries
//! when the answer first changes). It stops at least every [`STEP`] anyway,
//! so anything unforeseen here is at most that late.

use std::ops::AsyncFn;

use super::Session;
use super::time::{STEP, next_stop, stamp};
use crate::app::App;
use crate::store::{Conn, alerts, cases, schedules};
use crate::tr;

impl Session {
    pub(super) async fn walk(&mut self, secs: i64) -> anyhow::Result<()> {
        let l = self.transcript.locale();
        let app = self.running.app.clone();
        let tz = app.settings.tz;
        let until = self.clock.now() + secs;
        let mut changes = self.sandbox.subscribe();
        while self.clock.now() < until {
            let now = self.clock.now();
            let due = due_times(&app, now).await?;
            let stop = next_stop(&app.settings, now, until, due);
            self.clock.advance(stop - now);
            app.tick().await;
            self.settle().await?;
            if !changes.has_changed().unwrap_or(true) {
                continue;
            }
            changes.borrow_and_update();
            let new = self.transcript.take_new(&self.sandbox, &self.cast);
            if !new.is_empty() {
                print!("  ⏱ {}\n{new}", stamp(tz, stop));
            }
        }
        println!(
            "{}",
            tr!(
                l,
                "（时间前进 {}，现在是 {}）",
                "(time moved on {}; it is now {})",
                span(l, secs),
                stamp(tz, until)
            )
        );
        Ok(())
    }
}

/// Times after `now` (within a [`STEP`]) when scheduled work falls due,
/// beyond the report slots.
async fn due_times(app: &App, now: i64) -> anyhow::Result<Vec<i64>> {
    let s = &app.settings;
    let mut pooled = app.store.conn().await?;
    let conn: &mut Conn = &mut pooled;
    let mut due: Vec<i64> = schedules::active(conn)
        .await?
        .into_iter()
        .filter_map(|s| s.next_due)
        .collect();
    for alert in alerts::live(conn).await? {
        due.extend(alert.expires_at);
        if !alert.severity.needs_ack() {
            continue;
        }
        for d in alerts::deliveries(conn, alert.id).await? {
            if d.status != "sent" || d.acked_at.is_some() {
                continue;
            }
            due.extend(match (d.sent_at, d.reminded_at, d.escalated_at) {
                (Some(sent), None, _) => Some(sent + s.alert_remind_after),
                (_, Some(reminded), None) => Some(reminded + s.alert_escalate_after),
                _ => None,
            });
        }
    }
    let c = &s.cases;
    let followups = async |conn: &mut Conn, t| {
        Ok(
            cases::followups_due(conn, t, c.followup_after, c.followup_again)
                .await?
                .len(),
        )
    };
    let reminders =
        async |conn: &mut Conn, t| Ok(cases::reminders_due(conn, t, c.remind_every).await?.len());
    due.extend(first_change(conn, now, followups).await?);
    due.extend(first_change(conn, now, reminders).await?);
    Ok(due)
}

/// The first second in `(now, now + STEP]` at which `count` (how many cases
/// a due-query returns at a time) grows, by bisection.
async fn first_change(
    conn: &mut Conn,
    now: i64,
    count: impl AsyncFn(&mut Conn, i64) -> anyhow::Result<usize>,
) -> anyhow::Result<Option<i64>> {
    let base = count(conn, now).await?;
    let (mut lo, mut hi) = (now, now + STEP);
    if count(conn, hi).await? <= base {
        return Ok(None);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if count(conn, mid).await? > base {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(hi))
}

/// `1 天 2 小时` / `1 d 2 h`.
fn span(l: crate::i18n::Locale, secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let units = match l {
        crate::i18n::Locale::Zh => [" 天", " 小时", " 分钟"],
        crate::i18n::Locale::En => [" d", " h", " min"],
    };
    let parts: Vec<String> = [d, h, m]
        .into_iter()
        .zip(units)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        format!("{secs} s")
    } else {
        parts.join(" ")
    }
}
