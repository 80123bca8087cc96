//! Case buttons (`c:` callback data). The data only names the button: the
//! case is reloaded and the presser checked like a command sender, so forged
//! or stale data is refused and changes nothing.
//!
//! - `c:s:<id>:<step>` — a step from a case card or a staff notice;
//! - `c:v:<id>` — show the card;
//! - `c:r:<id>:<rating>` — the follow-up answer;
//! - `c:cat:<category>`, `c:sub:anon|named`, `c:x` — the private report flow.

use super::handling::step_command;
use super::{apply, card, flow, followup, load, load_for_change, may_handle, may_view};
use crate::domain::case::{CaseId, Rating, Step};
use crate::store::Conn;
use crate::store::outbox::{self as rows, Lane, OutKind, Outgoing};
use crate::telegram::callbacks::Pressed;
use crate::telegram::context::{Ctx, UserError};
use crate::tr;

pub async fn press(ctx: &mut Ctx, conn: &mut Conn, rest: &str) -> Pressed {
    let l = ctx.locale;
    let invalid =
        || UserError::Refused(tr!(l, "此按钮已失效。", "This button is no longer valid."));
    let parts: Vec<&str> = rest.split(':').collect();
    match parts.as_slice() {
        ["s", id, step] => {
            let id = CaseId::parse(id).ok_or_else(invalid)?;
            let step = Step::parse(step).ok_or_else(invalid)?;
            let mut case = load_for_change(ctx, conn, id).await?;
            may_handle(ctx, &case)?;
            if step.needs_text() || step == Step::Start {
                let cmd = step_command(step);
                return Err(UserError::Refused(tr!(
                    l,
                    "请发送 /{cmd} {} 加上说明。",
                    "Send /{cmd} {} followed by a few words.",
                    id.0
                )));
            }
            apply(ctx, conn, &mut case, step, None).await?;
            // The pressed message (a card, or a notice of a new case) becomes
            // the case's card as it is now, with the steps that remain.
            let (text, markup) = card::render(ctx, conn, &case).await?;
            let pressed = format!("c:{rest}");
            let card = match rows::pressed(conn, ctx.chat_id, ctx.message_id, &pressed).await? {
                // A card listing several new cases stays a list.
                Some(row)
                    if super::notify::lists_several(
                        rows::markup_of(conn, row).await?.as_deref(),
                    ) =>
                {
                    None
                }
                other => other,
            };
            ctx.out.push(
                match card {
                    Some(row) => Outgoing::acting_on(ctx.chat_id, OutKind::Edit { of: row }, text),
                    None => Outgoing::text(ctx.chat_id, text),
                }
                .with_markup(markup)
                .in_lane(Lane::Answer)
                .for_person(ctx.sender.id),
            );
            Ok(if l.is_en() {
                let now = super::status_name(l, case.status);
                format!("Done: {} is now {now}", case.id)
            } else {
                format!("已{}", super::step_name(l, step))
            })
        }
        ["v", id] => {
            let id = CaseId::parse(id).ok_or_else(invalid)?;
            let case = load(ctx, conn, id).await?;
            may_view(ctx, &case)?;
            let (text, markup) = card::render(ctx, conn, &case).await?;
            let m = Outgoing::answer(ctx.chat_id, ctx.sender.id, text).with_markup(markup);
            ctx.out.push(m);
            Ok(format!("{id}"))
        }
        ["r", id, rating] => {
            let id = CaseId::parse(id).ok_or_else(invalid)?;
            let rating = Rating::parse(rating).ok_or_else(invalid)?;
            followup::rate(ctx, conn, id, rating).await
        }
        ["cat", _] | ["sub", _] | ["x"] => flow::press(ctx, conn, rest).await,
        _ => Err(invalid()),
    }
}
