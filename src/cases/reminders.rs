//! Reminders for overdue and supervised (挂牌督办) cases: at most once per
//! `remind_every` per case, to its handler and the staff of its node, and for
//! supervised cases also to the supervising node's group.

use super::{category_name, when_in};
use crate::app::App;
use crate::outbox;
use crate::scheduler::{Job, JobFuture};
use crate::store::cases::{self, Event};
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
    let l = app.settings.locale;
    let every = app.settings.cases.remind_every;
    let mut conn = app.store.conn().await?;
    let due = cases::reminders_due(&mut conn, now, every).await?;
    drop(conn);
    for mut case in due {
        let mut tx = app.store.begin().await?;
        let Some(fresh) = cases::get(&mut tx, case.id).await? else {
            continue;
        };
        if fresh.reminded_at != case.reminded_at {
            continue; // reminded meanwhile
        }
        case.reminded_at = Some(now);
        cases::save(&mut tx, &case, now).await?;
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
    }
    Ok(())
}
