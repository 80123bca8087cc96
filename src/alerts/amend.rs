//! Correcting and withdrawing an alert that is already going out.
//!
//! A copy still waiting in the outbox (and not being sent this moment) is
//! withdrawn and, for a correction, queued again with the new text; a copy
//! already sent, or being sent, gets an edit row, which the dispatcher holds
//! until the copy is out. So every group ends with the latest text, and no
//! copy is changed under a sender.

use chrono_tz::Tz;

use super::broadcast::{asks_ack, node_name, refresh_card};
use super::render;
use crate::i18n::Locale;
use crate::outbox::{self, wall_ms};
use crate::store::Conn;
use crate::store::alerts::{self as store, Alert, Delivery};
use crate::store::outbox::{self as rows, OutKind, Outgoing};

/// Whether a copy that could not be withdrawn is (or will be) in the chat.
fn out_or_going(d: &Delivery, now_ms: i64) -> bool {
    d.status == "sent" || (d.status == "pending" && d.lease_until_ms > now_ms)
}

/// Replaces the alert's text everywhere.
pub async fn edit(
    conn: &mut Conn,
    l: Locale,
    tz: Tz,
    alert: &Alert,
    text: &str,
    now: i64,
) -> anyhow::Result<()> {
    store::set_text(conn, alert.id, text).await?;
    let alert = store::get(conn, alert.id).await?.expect("exists");
    let name = node_name(conn, &alert.node).await?;
    let now_ms = wall_ms();
    for d in store::deliveries(conn, alert.id).await? {
        let asked = asks_ack(&alert, &d.node);
        let copy = render::copy_to(l, tz, &alert, &name, asked);
        let markup = asked.then(|| render::ack_markup(l, &alert)).flatten();
        if d.status == "pending" && rows::withdraw_if_idle(conn, d.outbox_id, now_ms).await? {
            let msg = Outgoing::text(d.chat_id, copy)
                .with_markup(markup)
                .in_lane(super::broadcast::copy_lane(&alert, d.chat_id));
            let ids = outbox::queue(conn, &[msg], now).await?;
            store::set_delivery_outbox(conn, d.id, *ids.last().expect("a row")).await?;
        } else if out_or_going(&d, now_ms) {
            let edit = Outgoing::acting_on(d.chat_id, OutKind::Edit { of: d.outbox_id }, &copy)
                .with_markup(markup.clone());
            outbox::queue(conn, &[edit], now).await?;
        }
    }
    refresh_card(conn, l, tz, &alert, now).await
}

/// Stops the alert: withdraws waiting copies, marks sent ones, unpins.
/// `status` is what it becomes (`cancelled` or `expired`).
pub async fn stop(
    conn: &mut Conn,
    l: Locale,
    tz: Tz,
    alert: &Alert,
    status: &str,
    reason: Option<&str>,
    now: i64,
) -> anyhow::Result<bool> {
    if !store::end(conn, alert.id, "sent", status, reason, now).await? {
        return Ok(false);
    }
    let alert = store::get(conn, alert.id).await?.expect("exists");
    let now_ms = wall_ms();
    for d in store::deliveries(conn, alert.id).await? {
        if let Some(pin) = d.pin_outbox_id
            && !rows::withdraw_if_idle(conn, pin, now_ms).await?
        {
            let unpin = Outgoing::acting_on(d.chat_id, OutKind::Unpin { of: d.outbox_id }, "");
            outbox::queue(conn, &[unpin], now).await?;
        }
        if status != "cancelled" {
            continue; // an expired alert stays readable
        }
        if d.status == "pending" && rows::withdraw_if_idle(conn, d.outbox_id, now_ms).await? {
            continue;
        }
        if out_or_going(&d, now_ms) {
            let text = render::cancelled_copy(l, &alert, reason);
            let edit = Outgoing::acting_on(d.chat_id, OutKind::Edit { of: d.outbox_id }, text);
            outbox::queue(conn, &[edit], now).await?;
        }
    }
    refresh_card(conn, l, tz, &alert, now).await?;
    Ok(true)
}
