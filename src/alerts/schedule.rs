//! Recurring alerts: `/schedule <when> <alert>`, fired once per occurrence.
//!
//! `<when>` is read by the one schedule parser
//! ([`CronSchedule::parse_leading`]): a preset or a standard cron expression,
//! in the district's time zone. Each schedule stores its next occurrence;
//! a tick reads only the due ones, and moves each on with a conditional
//! update in the transaction that queues the alert, so a restart or a second
//! instance never fires an occurrence twice. Occurrences missed while the
//! bot was down fire once, late, and the schedule moves on to the next one
//! after now.

use super::broadcast;
use crate::app::App;
use crate::domain::alert::Draft;
use crate::domain::{Action, Actor};
use crate::outbox;
use crate::scheduler::schedule::CronSchedule;
use crate::scheduler::{Job, JobFuture, last_slot};
use crate::store::outbox::Outgoing;
use crate::store::{Conn, alerts as store, people, schedules};
use crate::tr;

pub struct ScheduleJob;

impl Job for ScheduleJob {
    fn name(&self) -> &'static str {
        "alert_schedules"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(fire_due(app, now))
    }
}

async fn fire_due(app: &App, now: i64) -> anyhow::Result<()> {
    let tz = app.settings.tz;
    let due = {
        let mut conn = app.store.conn().await?;
        schedules::due(&mut conn, now).await?
    };
    for s in due {
        let schedule = match CronSchedule::parse(&s.spec) {
            Ok(schedule) => schedule,
            Err(e) => {
                // Made before the one parser (e.g. every second): stop it.
                tracing::warn!(schedule = s.id, spec = %s.spec, error = %e, "recurring alert stopped: its schedule is refused");
                let mut conn = app.store.conn().await?;
                schedules::deactivate(&mut conn, s.id).await?;
                continue;
            }
        };
        let due_at = match s.next_due {
            Some(t) => t,
            // Made before next_due was stored: carry on after the last
            // occurrence it fired (claimed in job_runs then), or its creation.
            None => {
                let mut conn = app.store.conn().await?;
                let last = last_slot(&mut conn, &format!("alert_schedule:{}", s.id)).await?;
                match schedule.next_after(tz, last.unwrap_or(s.created_at)) {
                    Some(t) => t,
                    None => continue,
                }
            }
        };
        let mut tx = app.store.begin().await?;
        if due_at > now {
            schedules::advance(&mut tx, s.id, None, due_at).await?;
        } else if let Some(next) = schedule.next_after(tz, now)
            // Whoever moves it on fires it; a second instance finds it moved.
            && schedules::advance(&mut tx, s.id, s.next_due, next).await?
        {
            if now - due_at > crate::scheduler::schedule::LATE_AFTER_SECS {
                tracing::info!(schedule = s.id, due_at, now, "recurring alert fired late");
            }
            fire(app, &mut tx, &s, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn fire(app: &App, conn: &mut Conn, s: &schedules::Schedule, now: i64) -> anyhow::Result<()> {
    let actor = Actor {
        user_id: s.creator,
        superadmin: app.settings.superadmins.contains(&s.creator),
        grants: people::grants_of(conn, s.creator).await?,
    };
    let (Ok(()), Ok(draft)) = (actor.may(Action::Operate(&s.node)), Draft::parse(&s.args)) else {
        tracing::warn!(
            schedule = s.id,
            "recurring alert skipped: creator lost the right or text invalid"
        );
        return Ok(());
    };
    let l = app.settings.locale;
    let id =
        store::insert_draft(conn, &s.node, s.chat_id, s.creator, &draft, Some(s.id), now).await?;
    // Replaced by the progress card (with the alert's number) at once.
    let card = Outgoing::text(
        s.chat_id,
        tr!(
            l,
            "🔁 定时平安提示开始发送…",
            "🔁 Recurring safety alert: sending…"
        ),
    );
    let card_id = outbox::queue(conn, &[card], now).await?[0];
    broadcast::send(conn, l, app.settings.tz, id, Some(card_id), now).await?;
    Ok(())
}
