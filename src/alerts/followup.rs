//! Chasing acknowledgements of severe and extreme alerts, and expiry.
//!
//! A copy sent and not acknowledged after `alert_remind_after` gets one
//! reminder in its group; if still unacknowledged `alert_escalate_after`
//! later, the node's B post (privately, if they started the bot) and the
//! parent node's group are told. Each step is recorded on the delivery
//! (`reminded_at`, `escalated_at`) in the same transaction as its messages,
//! so the job is idempotent. Alerts past their expiry are unpinned.

use super::amend;
use crate::app::App;
use crate::i18n::esc;
use crate::outbox;
use crate::scheduler::{Job, JobFuture};
use crate::store::alerts::{self as store, Alert, Delivery};
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
            amend::stop(&mut tx, l, &alert, "expired", None, now).await?;
        } else if alert.severity.needs_ack() {
            for d in store::deliveries(&mut tx, alert.id).await? {
                chase(app, &mut tx, &alert, &d, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn chase(
    app: &App,
    conn: &mut Conn,
    alert: &Alert,
    d: &Delivery,
    now: i64,
) -> anyhow::Result<()> {
    let l = app.settings.locale;
    let (Some(sent_at), None, "sent") = (d.sent_at, d.acked_at, d.status.as_str()) else {
        return Ok(());
    };
    let id = alert.id;
    match (d.reminded_at, d.escalated_at) {
        (None, _)
            if sent_at + app.settings.alert_remind_after <= now
                && store::mark_followed_up(conn, d.id, false, now).await? =>
        {
            let text = tr!(
                l,
                "⏰ 提醒：平安提示 A{id} 尚未确认，请本群工作人员点击「收到」。",
                "⏰ Reminder: safety alert A{id} is not acknowledged yet; staff, please press Received."
            );
            let msg = Outgoing::text(d.chat_id, text).replying_to(d.message_id);
            outbox::queue(conn, &[msg], now).await?;
        }
        (Some(reminded), None) if reminded + app.settings.alert_escalate_after <= now => {
            if !store::mark_followed_up(conn, d.id, true, now).await? {
                return Ok(());
            }
            let node = &d.node;
            let name = esc(&super::broadcast::node_name(conn, node).await?);
            let text = tr!(
                l,
                "⚠️ {name}（{node}）的群仍未确认平安提示 A{id}：\n{}",
                "⚠️ The group of {name} ({node}) has still not acknowledged safety alert A{id}:\n{}",
                esc(&alert.text.chars().take(200).collect::<String>())
            );
            let mut msgs: Vec<Outgoing> = store::backup_posts(conn, node)
                .await?
                .into_iter()
                .map(|user| Outgoing::text(user, text.clone()))
                .collect();
            if let Some(parent) = node.parent()
                && let Some(g) = groups::by_node(conn, &parent).await?
                && g.active
            {
                msgs.push(Outgoing::text(g.chat_id, text.clone()));
            }
            outbox::queue(conn, &msgs, now).await?;
        }
        _ => {}
    }
    Ok(())
}
