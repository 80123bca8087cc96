//! Sending an alert down the tree and keeping the issuer's card up to date.
//!
//! [`send`] writes one outbox row per target group and one delivery row
//! pointing at it, in the caller's transaction, so either every group is
//! owed the alert or none is. The dispatcher then sends at Telegram's pace
//! and calls [`ProgressHook`] after recording each send; the hook pins
//! severe copies once they are out (only in groups where the bot may pin,
//! see [`GroupChat::pins_alerts`]) and refreshes the progress card.
//!
//! The card is edited through the outbox too, coalesced: at most one edit
//! row is waiting at a time, spaced at least [`CARD_EVERY_MS`] apart. A newer
//! count replaces the waiting row (withdrawn and re-queued with the same
//! time, so a row already being sent is never changed under the sender);
//! the last send always leaves a final edit queued. Refreshes take the
//! alert's row lock first, so concurrent sends (PostgreSQL) cannot leave
//! two waiting edits (see [`refresh_card`]).

use std::future::Future;
use std::pin::Pin;

use chrono_tz::Tz;

use super::render;
use crate::domain::alert::{Severity, in_scope};
use crate::domain::{Level, NodeCode};
use crate::i18n::Locale;
use crate::outbox::{self, SendHook, wall_ms};
use crate::store::alerts::{self as store, Alert};
use crate::store::groups::GroupChat;
use crate::store::outbox::{self as rows, Lane, OutKind, Outgoing, Pending};
use crate::store::{Conn, acks, groups, nodes};

/// The card is edited at most once a second.
pub const CARD_EVERY_MS: i64 = 1000;

/// The card is one message, edited in place: under Telegram's 4096.
const CARD_MAX_CHARS: usize = 4000;

/// Bound, active groups the alert goes to: the issuing node's subtree
/// (the issuing group included), filtered by level.
pub async fn targets(
    conn: &mut Conn,
    from: &NodeCode,
    only: Option<Level>,
) -> sqlx::Result<Vec<(NodeCode, GroupChat)>> {
    Ok(groups::bound_in(conn, from)
        .await?
        .into_iter()
        .filter(|g| g.active)
        .filter_map(|g| g.node.clone().map(|n| (n, g)))
        .filter(|(n, _)| in_scope(from, only, n))
        .collect())
}

/// How many of the targets will have the alert pinned (see
/// [`GroupChat::pins_alerts`]); counted for severities that pin.
pub fn count_pinned(targets: &[(NodeCode, GroupChat)]) -> usize {
    targets.iter().filter(|(_, g)| g.pins_alerts()).count()
}

/// How many groups of each level, in level order.
pub fn count_levels(targets: &[(NodeCode, GroupChat)]) -> Vec<(Level, usize)> {
    [Level::District, Level::Town, Level::Community, Level::Grid]
        .into_iter()
        .map(|lv| (lv, targets.iter().filter(|(n, _)| n.level() == lv).count()))
        .collect()
}

pub async fn node_name(conn: &mut Conn, code: &NodeCode) -> sqlx::Result<String> {
    Ok(nodes::get(conn, code)
        .await?
        .map(|n| n.name)
        .unwrap_or_else(|| code.to_string()))
}

/// Queues the alert to every target and marks it sent; returns how many
/// copies were queued, or `None` when it was no longer a draft.
pub async fn send(
    conn: &mut Conn,
    l: Locale,
    tz: Tz,
    alert_id: i64,
    card: Option<i64>,
    now: i64,
) -> anyhow::Result<Option<usize>> {
    if !store::mark_sent(conn, alert_id, card, now).await? {
        return Ok(None);
    }
    let alert = store::get(conn, alert_id).await?.expect("just marked");
    let name = node_name(conn, &alert.node).await?;
    let targets = targets(conn, &alert.node, alert.only).await?;
    for (node, group) in &targets {
        let asked = asks_ack(&alert, node);
        let msg = Outgoing::text(group.chat_id, render::copy_to(l, tz, &alert, &name, asked))
            .with_markup(asked.then(|| render::ack_markup(l, &alert)).flatten())
            .in_lane(copy_lane(&alert, group.chat_id));
        let ids = outbox::queue(conn, &[msg], now).await?;
        let last = *ids.last().expect("one row at least");
        store::insert_delivery(conn, alert.id, node, group.chat_id, last).await?;
    }
    refresh_card(conn, l, tz, &alert, now).await?;
    Ok(Some(targets.len()))
}

/// Whether the group of `node` is asked to acknowledge: not the issuing
/// node's own group, which wrote the alert.
pub fn asks_ack(alert: &Alert, node: &NodeCode) -> bool {
    alert.severity.needs_ack() && *node != alert.node
}

/// Extreme and severe copies go ahead of moderate and minor ones. The copy
/// for the issuing group rides with the card it shares a chat with: queued
/// first, it goes first, rather than waiting out the card's edits there.
pub fn copy_lane(alert: &Alert, chat_id: i64) -> Lane {
    if chat_id == alert.chat_id {
        return Lane::Card;
    }
    match alert.severity {
        Severity::Extreme | Severity::Severe => Lane::Urgent,
        Severity::Moderate | Severity::Minor => Lane::Alert,
    }
}

/// Queues (or replaces the waiting) edit of the alert's card.
///
/// One statement sequence under the alert's row lock ([`store::lock`]):
/// read the alert's waiting edit, withdraw it, queue the new one, store its
/// id. Two sends recorded at once (two transactions, READ COMMITTED on
/// PostgreSQL) take turns here, the second withdrawing what the first
/// queued, so at most one edit per card is ever waiting; and the count is
/// read under the lock, so the last refresh sees every send before it.
pub async fn refresh_card(
    conn: &mut Conn,
    l: Locale,
    tz: Tz,
    alert: &Alert,
    now: i64,
) -> anyhow::Result<()> {
    if alert.card_outbox_id.is_none() {
        return Ok(());
    }
    store::lock(conn, alert.id).await?;
    let Some(alert) = store::get(conn, alert.id).await? else {
        return Ok(());
    };
    let Some(card) = alert.card_outbox_id else {
        return Ok(());
    };
    let p = store::progress(conn, alert.id).await?;
    let failures: Vec<(String, String)> = if p.failed > 0 {
        store::deliveries(conn, alert.id)
            .await?
            .into_iter()
            .filter(|d| d.status == "failed")
            .map(|d| {
                (
                    d.node.to_string(),
                    render::failure_reason(l, d.error.as_deref()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut text = render::progress(l, &alert, p, &failures);
    if alert.severity.needs_ack() {
        let board = acks::board(conn, alert.id, &alert.node).await?;
        let room = CARD_MAX_CHARS.saturating_sub(text.chars().count());
        text.push_str(&super::acks::lines_within(l, tz, &board, room));
    }
    let now_ms = wall_ms();
    let waiting_at = match alert.card_edit_id {
        Some(waiting) => rows::withdraw_if_idle_at(conn, waiting, now_ms).await?,
        None => None,
    };
    let not_before = next_edit_ms(waiting_at, alert.card_next_ms, now_ms);
    let edit =
        Outgoing::acting_on(alert.chat_id, OutKind::Edit { of: card }, text).in_lane(Lane::Card);
    let id = rows::enqueue(conn, &edit, now, not_before).await?;
    store::set_card_edit(conn, alert.id, id, not_before).await?;
    Ok(())
}

/// When the card's next edit may go (ms): the turn of the edit it replaces
/// (`waiting_at`, if one was still waiting), so a newer count never waits
/// longer than the older one would have; otherwise [`CARD_EVERY_MS`] after
/// the turn of the last edit (`last_ms`, out or being sent), or now if that
/// is past. So while copies go out the card changes about once a second,
/// and the final count is queued at most [`CARD_EVERY_MS`] after the
/// previous edit's turn.
pub fn next_edit_ms(waiting_at: Option<i64>, last_ms: i64, now_ms: i64) -> i64 {
    match waiting_at {
        Some(at) => at,
        None => now_ms.max(last_ms + CARD_EVERY_MS),
    }
}

/// A card edit that failed and waits to be retried, once a newer edit was
/// queued behind it (while it was being sent): withdrawn, as its count is
/// out of date, so the card keeps one waiting edit.
async fn drop_superseded_edit(conn: &mut Conn, row: &Pending) -> anyhow::Result<()> {
    let OutKind::Edit { of } = row.kind else {
        return Ok(());
    };
    if row.lane != Lane::Card {
        return Ok(());
    }
    let Some(alert_id) = store::by_card(conn, of).await? else {
        return Ok(());
    };
    store::lock(conn, alert_id).await?;
    let latest = store::get(conn, alert_id)
        .await?
        .and_then(|a| a.card_edit_id);
    if latest.is_some_and(|latest| latest != row.id) {
        rows::withdraw_if_idle(conn, row.id, wall_ms()).await?;
    }
    Ok(())
}

/// Keeps alerts in step with the dispatcher (see the module docs).
pub struct ProgressHook {
    pub locale: Locale,
    pub tz: Tz,
}

impl ProgressHook {
    async fn run(&self, conn: &mut Conn, row: &Pending, now: i64) -> anyhow::Result<()> {
        let mut alert_ids = Vec::new();
        let status = rows::status_of(conn, row.id).await?.map(|(s, _)| s);
        if status.as_deref() == Some("pending") {
            drop_superseded_edit(conn, row).await?;
        }
        if let Some(d) = store::delivery_by_outbox(conn, row.id).await? {
            if d.status == "pending" {
                return Ok(()); // retried later or moved; nothing to show yet
            }
            // Read the alert and its progress only once no other send's
            // record is changing them (see `store::lock`).
            store::lock(conn, d.alert_id).await?;
            let alert = store::get(conn, d.alert_id).await?;
            if d.status == "sent"
                && d.pin_outbox_id.is_none()
                && alert
                    .as_ref()
                    .is_some_and(|a| a.status == "sent" && a.severity.needs_ack())
                && groups::by_chat(conn, d.chat_id)
                    .await?
                    .is_some_and(|g| g.pins_alerts())
            {
                let pin = Outgoing::acting_on(d.chat_id, OutKind::Pin { of: row.id }, "");
                let ids = outbox::queue(conn, &[pin], now).await?;
                store::set_pin(conn, d.id, ids[0]).await?;
            }
            alert_ids.push(d.alert_id);
        }
        if status.as_deref() == Some("failed") {
            // A chat that went away fails every copy queued for it.
            alert_ids.extend(store::live_with_failed_in(conn, row.chat_id).await?);
        }
        alert_ids.sort_unstable();
        alert_ids.dedup();
        for id in alert_ids {
            if let Some(alert) = store::get(conn, id).await?
                && alert.status == "sent"
            {
                refresh_card(conn, self.locale, self.tz, &alert, now).await?;
            }
        }
        Ok(())
    }
}

impl SendHook for ProgressHook {
    fn after_record<'a>(
        &'a self,
        conn: &'a mut Conn,
        row: &'a Pending,
        now: i64,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
        Box::pin(self.run(conn, row, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_count_keeps_the_turn_of_the_edit_it_replaces() {
        assert_eq!(next_edit_ms(Some(5_000), 5_000, 5_400), 5_000);
        // A waiting edit moved on by a 429 keeps its later turn.
        assert_eq!(next_edit_ms(Some(9_000), 5_000, 5_400), 9_000);
    }

    #[test]
    fn the_next_edit_goes_a_pace_after_the_last_or_now() {
        // The last edit's turn was 400 ms ago: the next one 600 ms from now.
        assert_eq!(next_edit_ms(None, 5_000, 5_400), 5_000 + CARD_EVERY_MS);
        // Long ago (the final count after a copy held back): now.
        assert_eq!(next_edit_ms(None, 5_000, 9_000), 9_000);
        // The first edit of a card: now.
        assert_eq!(next_edit_ms(None, 0, 9_000), 9_000);
    }
}
