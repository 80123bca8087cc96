//! `/alert [severity] [category] [level] [expiry] <text>` and the alert
//! buttons (`a:send:N`, `a:drop:N`, `a:ack:N`).
//!
//! `/alert` only stores a draft and answers with a preview card; nothing is
//! sent until the issuer presses Send, which re-checks that the presser is
//! the issuer and still may operate on the node, then queues every copy in
//! the press's transaction. The card then becomes the progress card.

use crate::alerts::{broadcast, render};
use crate::domain::Action;
use crate::domain::alert::{Draft, parse_id};
use crate::store::Conn;
use crate::store::alerts as store;
use crate::store::outbox::{self as rows, Lane, OutKind, Outgoing};
use crate::telegram::callbacks::Pressed;
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("alert").expect("in table");
    let Some(node) = ctx.here().cloned() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在已绑定节点的群里发送 /alert，提示将发往该节点及其下级的群。",
            "Send /alert in a group bound to a node; the alert goes to that node's groups and those below it."
        )));
    };
    let draft = Draft::parse(args)
        .map_err(|e| ctx.usage(spec, crate::alerts::render::draft_error(l, &e)))?;
    ctx.require(Action::Operate(&node))?;
    let targets = broadcast::targets(conn, &node, draft.only).await?;
    if targets.is_empty() {
        return Err(ctx.refuse(tr!(
            l,
            "{node} 下没有符合条件的已绑定群，提示无处可发。",
            "No bound group under {node} matches, so the alert would reach no one."
        )));
    }
    let id = store::insert_draft(
        conn,
        &node,
        ctx.chat_id,
        ctx.sender.id,
        &draft,
        None,
        ctx.now,
    )
    .await?;
    let alert = store::get(conn, id).await?.expect("just stored");
    let name = broadcast::node_name(conn, &node).await?;
    let counts = broadcast::count_levels(&targets);
    ctx.reply_markup = Some(render::preview_markup(l, id));
    Ok(render::preview(
        l,
        ctx.app.settings.tz,
        &alert,
        &name,
        &counts,
        broadcast::count_pinned(&targets),
    ))
}

/// A press on an alert button; `rest` is `send:N`, `drop:N` or `ack:N`.
pub async fn press(ctx: &mut Ctx, conn: &mut Conn, rest: &str) -> Pressed {
    let l = ctx.locale;
    let stale = || UserError::Refused(tr!(l, "此按钮已失效。", "This button is no longer valid."));
    let (what, id) = rest.split_once(':').ok_or_else(stale)?;
    let id = parse_id(id).ok_or_else(stale)?;
    let alert = store::get(conn, id).await?.ok_or_else(stale)?;
    match what {
        "send" | "drop" => {
            if alert.issuer_id != ctx.sender.id {
                return Err(ctx.refuse(tr!(
                    l,
                    "只有发布人可以发送或取消这条提示。",
                    "Only the person who wrote this alert may send or cancel it."
                )));
            }
            if alert.status != "draft" {
                return Ok(tr!(
                    l,
                    "这条提示已处理。",
                    "This alert was already handled."
                ));
            }
            ctx.require(Action::Operate(&alert.node))?;
            let card =
                rows::pressed(conn, ctx.chat_id, ctx.message_id, &format!("a:{what}:{id}")).await?;
            if what == "drop" {
                store::end(conn, id, "draft", "discarded", None, ctx.now).await?;
                if let Some(card) = card {
                    // A discarded draft never had a number (see `store::alerts::mark_sent`).
                    let text = tr!(
                        l,
                        "✖ 提示已取消，未发送。",
                        "✖ Alert cancelled; nothing was sent."
                    );
                    ctx.out.push(
                        Outgoing::acting_on(ctx.chat_id, OutKind::Edit { of: card }, text)
                            .in_lane(Lane::Answer),
                    );
                }
                return Ok(tr!(l, "已取消。", "Cancelled."));
            }
            let n = broadcast::send(conn, l, ctx.app.settings.tz, id, card, ctx.now)
                .await?
                .unwrap_or(0);
            Ok(tr!(l, "开始发送到 {n} 个群。", "Sending to {n} groups."))
        }
        "ack" => ack(ctx, conn, &alert).await,
        _ => Err(stale()),
    }
}

async fn ack(ctx: &mut Ctx, conn: &mut Conn, alert: &store::Alert) -> Pressed {
    let l = ctx.locale;
    if alert.status != "sent" {
        return Ok(tr!(
            l,
            "这条提示已撤销或过期。",
            "This alert was withdrawn or has expired."
        ));
    }
    let delivery = store::deliveries(conn, alert.id)
        .await?
        .into_iter()
        .find(|d| d.chat_id == ctx.chat_id);
    let Some(d) = delivery else {
        return Ok(tr!(
            l,
            "此群不在这条提示的范围内。",
            "This group is not among this alert's recipients."
        ));
    };
    if !broadcast::asks_ack(alert, &d.node) {
        return Ok(tr!(
            l,
            "发布提示的群无需确认。",
            "The group that issued the alert does not acknowledge it."
        ));
    }
    if ctx.actor.may(Action::Operate(&d.node)).is_err() {
        return Ok(tr!(
            l,
            "谢谢您的关注！确认由本群工作人员完成。",
            "Thank you! Acknowledgement is done by this group's staff."
        ));
    }
    if store::ack(conn, d.id, ctx.sender.id, ctx.now).await? {
        broadcast::refresh_card(conn, l, ctx.app.settings.tz, alert, ctx.now).await?;
        Ok(tr!(l, "已确认收到，谢谢。", "Acknowledged, thank you."))
    } else {
        Ok(tr!(
            l,
            "本群已确认过。",
            "This group has already acknowledged."
        ))
    }
}
