//! Status back to people (反馈事件处理情况): the reporter privately (when
//! they have started the bot), a short public line in the group the report
//! came from, and word to the staff who must act. A public line never names
//! an anonymous reporter; a named one who cannot be written to privately is
//! mentioned there instead.

use super::{category_name, status_name};
use crate::domain::case::Status;
use crate::i18n::{Locale, esc};
use crate::store::cases::{self, Case};
use crate::store::outbox::{self as rows, Lane, Outgoing};
use crate::store::{Conn, groups, people};
use crate::telegram::context::{Ctx, UserError};
use crate::tr;

/// `#123 矛盾纠纷 · 处理中`
pub fn public_line(l: Locale, case: &Case) -> String {
    format!(
        "📋 <b>{}</b> {} · {}",
        case.id,
        category_name(l, case.category),
        status_name(l, case.status)
    )
}

/// A clickable name (`tg://user`), escaped.
pub fn mention(user_id: i64, name: &str) -> String {
    let name = if name.trim().is_empty() {
        format!("ID {user_id}")
    } else {
        esc(name)
    };
    format!("<a href=\"tg://user?id={user_id}\">{name}</a>")
}

/// Inline keyboard JSON from rows of `(text, callback_data)`.
pub fn keyboard(rows: &[Vec<(String, String)>]) -> Option<String> {
    if rows.iter().all(Vec::is_empty) {
        return None;
    }
    let rows: Vec<Vec<serde_json::Value>> = rows
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.iter()
                .map(|(t, d)| serde_json::json!({"text": t, "callback_data": d}))
                .collect()
        })
        .collect();
    Some(serde_json::json!({ "inline_keyboard": rows }).to_string())
}

/// Tells the reporter and the originating group about the case's new status.
/// `note` (a result, a reason) goes only to the reporter.
pub async fn status_back(
    ctx: &mut Ctx,
    conn: &mut Conn,
    case: &Case,
    note: Option<&str>,
) -> Result<(), UserError> {
    let l = ctx.locale;
    let reporter = people::get(conn, case.reporter_id).await?;
    let private = reporter.as_ref().is_some_and(|u| u.private_chat);
    if private && case.reporter_id != ctx.sender.id {
        let (id, cat, status) = (
            case.id,
            category_name(l, case.category),
            status_name(l, case.status),
        );
        let mut text = tr!(
            l,
            "📋 您反映的 <b>{id}</b>（{cat}）：<b>{status}</b>",
            "📋 Your case <b>{id}</b> ({cat}): <b>{status}</b>"
        );
        if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
            text.push_str(&format!("\n{}", esc(n)));
        }
        if case.status == Status::Resolved {
            text.push_str(&tr!(
                l,
                "\n稍后我们会请您评价办理情况。",
                "\nWe will ask you shortly how satisfied you are."
            ));
        }
        ctx.out
            .push(Outgoing::text(case.reporter_id, text).for_person(case.reporter_id));
    }
    if case.origin_chat_id < 0 {
        let mut line = public_line(l, case);
        if !private
            && !case.anonymous
            && let Some(u) = &reporter
        {
            line.push_str(&format!(" — {}", mention(u.id, &u.display_name())));
        }
        // Taken in that very group: the line answers the command there.
        let here = posts_here(ctx, case);
        let lane = if here { Lane::Answer } else { Lane::FollowOn };
        ctx.out.push(
            Outgoing::text(case.origin_chat_id, line)
                .replying_to(here.then_some(ctx.message_id))
                .in_lane(lane),
        );
    }
    Ok(())
}

/// Whether [`status_back`]'s public line goes to the chat the step was taken
/// in (so the step's own reply need not repeat it).
pub fn posts_here(ctx: &Ctx, case: &Case) -> bool {
    case.origin_chat_id < 0 && ctx.chat_id == case.origin_chat_id
}

/// The parent node's group is told that a case was handed up to it.
pub async fn escalated(
    ctx: &mut Ctx,
    conn: &mut Conn,
    case: &Case,
    reason: &str,
) -> Result<(), UserError> {
    let l = ctx.locale;
    let Some(group) = groups::by_node(conn, &case.node)
        .await?
        .filter(|g| g.active)
    else {
        return Ok(());
    };
    let (id, cat, from, by) = (
        case.id,
        category_name(l, case.category),
        &case.grid,
        ctx.sender.label(),
    );
    let text = tr!(
        l,
        "⬆️ <b>{id}</b>（{cat}，来自 {from}）已由 {by} 上报至本级：{}\n发送 /case {} 查看，/accept {} 受理。",
        "⬆️ <b>{id}</b> ({cat}, from {from}) was escalated here by {by}: {}\nSend /case {} to see it, /accept {} to take it.",
        esc(reason),
        case.id.0,
        case.id.0
    );
    ctx.out.push(Outgoing::text(group.chat_id, text));
    Ok(())
}

/// The staff of the case's node who can be written to privately hear of a
/// new case (with buttons to see and take it).
pub async fn new_case(ctx: &mut Ctx, conn: &mut Conn, case: &Case) -> Result<(), UserError> {
    let l = ctx.locale;
    let staff = cases::reachable_staff(conn, case).await?;
    if staff.is_empty() {
        return Ok(());
    }
    let (id, cat) = (case.id, category_name(l, case.category));
    let text = tr!(
        l,
        "🆕 {} 新事项 <b>{id}</b>（{cat}）：{}",
        "🆕 {}: new case <b>{id}</b> ({cat}): {}",
        case.node,
        esc(&excerpt(&case.text, 200))
    );
    let buttons = vec![
        (
            tr!(l, "受理 {id}", "Accept {id}"),
            format!("c:s:{}:accept", id.0),
        ),
        (tr!(l, "查看 {id}", "View {id}"), format!("c:v:{}", id.0)),
    ];
    let now_ms = crate::outbox::wall_ms();
    for user in staff.into_iter().filter(|u| *u != ctx.sender.id) {
        // Several new cases waiting for one person make one card.
        if let Some((row, old_text, old_markup)) =
            rows::idle_tagged(conn, user, NEW_CASE, now_ms).await?
            && let Some(markup) = fold_keyboard(old_markup.as_deref(), &buttons)
        {
            let text = format!("{old_text}\n\n{text}");
            if rows::rewrite_if_idle(conn, row, &text, Some(&markup), now_ms).await? {
                continue;
            }
        }
        let markup = keyboard(std::slice::from_ref(&buttons));
        ctx.out.push(
            Outgoing::text(user, text.clone())
                .with_markup(markup)
                .tagged(NEW_CASE),
        );
    }
    Ok(())
}

/// The tag of a staff member's card of new cases.
pub const NEW_CASE: &str = "new-case";

/// Most cases one card of new cases lists.
const FOLD_MAX: usize = 10;

/// A card's keyboard with one more row, or `None` when it is full.
fn fold_keyboard(markup: Option<&str>, row: &[(String, String)]) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(markup?).ok()?;
    let rows = value.get_mut("inline_keyboard")?.as_array_mut()?;
    if rows.len() >= FOLD_MAX {
        return None;
    }
    rows.push(
        row.iter()
            .map(|(t, d)| serde_json::json!({"text": t, "callback_data": d}))
            .collect(),
    );
    Some(value.to_string())
}

/// Whether a card lists several cases (a press answers it with a new card
/// rather than turning the list into one case).
pub fn lists_several(markup: Option<&str>) -> bool {
    markup
        .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
        .and_then(|v| v.get("inline_keyboard")?.as_array().map(Vec::len))
        .is_some_and(|n| n > 1)
}

/// The first `n` characters, with an ellipsis when cut.
pub fn excerpt(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        out.push('…');
    }
    out
}
