//! Chasing acknowledgements of severe and extreme alerts, and expiry.
//!
//! A copy sent and not acknowledged after `alert_remind_after` gets one
//! reminder in its group, with the 收到 button on it; if still
//! unacknowledged `alert_escalate_after` later, the node's B post (privately,
//! if they started the bot) and the parent node's group are told: one
//! message per recipient and alert, listing every late group it answers for,
//! not one message per group. Each step is recorded on the delivery
//! (`reminded_at`, `escalated_at`) in the same transaction as its messages,
//! so the job is idempotent. The issuing group is never chased (it is not
//! asked to acknowledge its own alert). Alerts past their expiry are unpinned.

use super::broadcast::asks_ack;
use super::{acks, amend, render};
use crate::app::App;
use crate::domain::NodeCode;
use crate::i18n::esc;
use crate::outbox;
use crate::scheduler::{Job, JobFuture};
use crate::store::acks::{self as ack_rows, Waiting};
use crate::store::alerts::{self as store, Alert};
use crate::store::outbox::Outgoing;
use crate::store::{Conn, groups};
use crate::tr;

pub struct FollowUpJob;

impl Job for FollowUpJob {
    fn name(&self) -> &'static str {
        "alert_follow_up"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(follow_up(app, now))
    }
}

async fn follow_up(app: &App, now: i64) -> anyhow::Result<()> {
    let l = app.settings.locale;
    let live = {
        let mut conn = app.store.conn().await?;
        store::live(&mut conn).await?
    };
    for alert in live {
        let mut tx = app.store.begin().await?;
        if alert.expires_at.is_some_and(|t| t <= now) {
            amend::stop(&mut tx, l, app.settings.tz, &alert, "expired", None, now).await?;
        } else if alert.severity.needs_ack() {
            chase(app, &mut tx, &alert, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Reminds the groups due a reminder, then tells about the ones due escalation.
async fn chase(app: &App, conn: &mut Conn, alert: &Alert, now: i64) -> anyhow::Result<()> {
    let l = app.settings.locale;
    let s = &app.settings;
    let mut late: Vec<NodeCode> = Vec::new();
    for d in store::deliveries(conn, alert.id).await? {
        let (Some(sent_at), None, "sent") = (d.sent_at, d.acked_at, d.status.as_str()) else {
            continue;
        };
        if !asks_ack(alert, &d.node) {
            continue;
        }
        match (d.reminded_at, d.escalated_at) {
            (None, _)
                if sent_at + s.alert_remind_after <= now
                    && store::mark_followed_up(conn, d.id, false, now).await? =>
            {
                let text = tr!(
                    l,
                    "⏰ 提醒：平安提示 {} 尚未确认，请本群工作人员点击「收到」。",
                    "⏰ Reminder: safety alert {} is not acknowledged yet; staff, please press Received.",
                    alert.tag()
                );
                let msg = Outgoing::text(d.chat_id, text)
                    .replying_to(d.message_id)
                    .with_markup(render::ack_markup(l, alert));
                outbox::queue(conn, &[msg], now).await?;
            }
            (Some(reminded), None)
                if reminded + s.alert_escalate_after <= now
                    && store::mark_followed_up(conn, d.id, true, now).await? =>
            {
                late.push(d.node.clone());
            }
            _ => {}
        }
    }
    if !late.is_empty() {
        escalate(app, conn, alert, &late, now).await?;
    }
    Ok(())
}

/// One message to each B post and parent group, listing the late groups it
/// answers for (in code order).
async fn escalate(
    app: &App,
    conn: &mut Conn,
    alert: &Alert,
    late: &[NodeCode],
    now: i64,
) -> anyhow::Result<()> {
    let l = app.settings.locale;
    let board = ack_rows::board(conn, alert.id, &alert.node).await?;
    // (chat, the late groups it is told about), in first-seen order.
    let mut told: Vec<(i64, Vec<Waiting>)> = Vec::new();
    let mut tell = |chat: i64, w: &Waiting| match told.iter_mut().find(|(c, _)| *c == chat) {
        Some((_, ws)) => ws.push(w.clone()),
        None => told.push((chat, vec![w.clone()])),
    };
    for node in late {
        let w = match board.waiting.iter().find(|w| &w.node == node) {
            Some(w) => w.clone(),
            None => Waiting {
                node: node.clone(),
                node_name: super::broadcast::node_name(conn, node).await?,
                staff: Vec::new(),
            },
        };
        for user in store::backup_posts(conn, node).await? {
            tell(user, &w);
        }
        if let Some(parent) = node.parent()
            && let Some(g) = groups::by_node(conn, &parent).await?
            && g.active
        {
            tell(g.chat_id, &w);
        }
    }
    let excerpt = esc(&alert.text.chars().take(200).collect::<String>());
    let msgs: Vec<Outgoing> = told
        .into_iter()
        .map(|(chat, ws)| {
            let mut text = tr!(
                l,
                "⚠️ 以下 {} 个群仍未确认平安提示 {}：",
                "⚠️ {} group(s) have still not acknowledged safety alert {}:",
                ws.len(),
                alert.tag()
            );
            for w in &ws {
                text.push_str("\n• ");
                text.push_str(&acks::waiting(l, w));
            }
            text.push_str(&format!("\n\n{excerpt}"));
            Outgoing::text(chat, text)
        })
        .collect();
    if !msgs.is_empty() {
        outbox::queue(conn, &msgs, now).await?;
    }
    Ok(())
}
