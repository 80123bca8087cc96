//! Reminders for overdue and supervised (挂牌督办) cases: at most once per
//! `remind_every` per case, to its handler and the staff of its node, and for
//! supervised cases also to the supervising node's group. Cases overdue for
//! longer than that climb to the admins above in a daily digest
//! ([`super::digest`]), sent by the same job.

use super::{category_name, when_in};
use crate::app::App;
use crate::outbox;
use crate::scheduler::{Job, JobFuture};
use crate::store::cases::{self, Case, Event};
use crate::store::groups;
use crate::store::outbox::Outgoing;
use crate::tr;

pub struct Reminders;

impl Job for Reminders {
    fn name(&self) -> &'static str {
        "case_reminders"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(remind_due(app, now))
    }
}

async fn remind_due(app: &App, now: i64) -> anyhow::Result<()> {
    let every = app.settings.cases.remind_every;
    let mut conn = app.store.conn().await?;
    let due = cases::reminders_due(&mut conn, now, every).await?;
    drop(conn);
    for case in &due {
        remind(app, case, now).await?;
    }
    super::digest::send_due(app, now).await?;
    Ok(())
}

/// Reminds about one case the job found due, in a transaction of its own.
/// `due` may be stale by now (read before the transaction): the row is read
/// again and held, and the reminder goes only if the case is still due and
/// was not reminded meanwhile; what is written is the fresh row. False when
/// it was skipped.
pub async fn remind(app: &App, due: &Case, now: i64) -> anyhow::Result<bool> {
    let l = app.settings.locale;
    let every = app.settings.cases.remind_every;
    let mut tx = app.store.begin().await?;
    let Some(mut case) = cases::get_for_update(&mut tx, due.id).await? else {
        return Ok(false);
    };
    let still_due = case.status.is_open()
        && (case.supervised || case.overdue(now))
        && case.reminded_at.is_none_or(|t| t <= now - every);
    if case.reminded_at != due.reminded_at || !still_due {
        return Ok(false); // reminded meanwhile, or resolved, or no longer overdue
    }
    case.reminded_at = Some(now);
    if !cases::save(&mut tx, &mut case, now).await? {
        return Ok(false);
    }
    cases::add_event(
        &mut tx,
        case.id,
        &Event {
            actor_id: None,
            kind: "remind".into(),
            from: None,
            to: None,
            note: None,
            at: now,
        },
    )
    .await?;
    let (id, cat) = (case.id, category_name(l, case.category));
    let due_at = case
        .deadline_at
        .map(|d| when_in(app.settings.tz, d))
        .unwrap_or_default();
    let text = if case.supervised {
        let by = case
            .supervisor
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        tr!(
            l,
            "🔴 督办提醒：<b>{id}</b>（{cat}，{}）由 {by} 挂牌督办，期限 {due_at}。发送 /case {} 查看。",
            "🔴 Supervision reminder: <b>{id}</b> ({cat}, {}) is supervised by {by}, due {due_at}. Send /case {} to see it.",
            case.node,
            id.0
        )
    } else {
        tr!(
            l,
            "⏰ 超期提醒：<b>{id}</b>（{cat}，{}）期限 {due_at} 已过，请尽快办理。发送 /case {} 查看。",
            "⏰ Overdue: <b>{id}</b> ({cat}, {}) was due {due_at}. Send /case {} to see it.",
            case.node,
            id.0
        )
    };
    let mut msgs: Vec<Outgoing> = cases::reachable_staff(&mut tx, &case)
        .await?
        .into_iter()
        .map(|user| Outgoing::text(user, text.clone()))
        .collect();
    if let Some(sup) = case.supervisor.as_ref().filter(|_| case.supervised)
        && let Some(g) = groups::by_node(&mut tx, sup).await?.filter(|g| g.active)
    {
        msgs.push(Outgoing::text(g.chat_id, text.clone()));
    }
    outbox::queue(&mut tx, &msgs, now).await?;
    tx.commit().await?;
    Ok(true)
}
