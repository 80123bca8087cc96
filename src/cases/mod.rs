//! Residents' reports as cases (DESIGN.md §1 "Cases"): intake in a grid group
//! or through a guided private flow, handling by the staff in scope, status
//! back to the reporter and the originating group, the follow-up visit (回访)
//! with its rating, and reminders for overdue and supervised cases.
//!
//! The state machine is [`crate::domain::case`]; the rows are
//! [`crate::store::cases`]. Everything here works through the adapter's
//! [`Ctx`] (sender, permission rule, replies) and queues every message in the
//! update's transaction. One rule for every step, in [`apply`]: check the
//! permission on the case's *current* node, ask the state machine, record an
//! event, save, then tell the reporter and the group ([`notify`]).
//!
//! Concurrency: a step loads its case with [`load_for_change`], which holds
//! the row until the update's transaction ends, and [`record`] saves it only
//! if it is still the version loaded (see [`crate::store::cases`]). So two
//! steps on one case, or a step and a reminder, never undo each other, on
//! PostgreSQL as on SQLite.

pub mod card;
pub mod digest;
pub mod flow;
pub mod followup;
pub mod handling;
pub mod intake;
pub mod notify;
pub mod press;
pub mod reminders;
pub mod settings;

pub use settings::CaseSettings;

use crate::domain::Action;
use crate::domain::case::{CaseId, Category, Rating, Status, Step, Tier};
use crate::domain::id::IdWord;
use crate::i18n::Locale;
use crate::store::Conn;
use crate::store::cases::{self, Case, Event};
use crate::telegram::context::{Ctx, UserError};
use crate::tr;

pub fn category_name(l: Locale, c: Category) -> &'static str {
    if l.is_en() { c.name_en() } else { c.name_zh() }
}

pub fn status_name(l: Locale, s: Status) -> &'static str {
    if l.is_en() { s.name_en() } else { s.name_zh() }
}

pub fn step_name(l: Locale, s: Step) -> &'static str {
    if l.is_en() { s.name_en() } else { s.name_zh() }
}

pub fn tier_name(l: Locale, t: Tier) -> &'static str {
    if l.is_en() { t.name_en() } else { t.name_zh() }
}

pub fn rating_name(l: Locale, r: Rating) -> &'static str {
    if l.is_en() { r.name_en() } else { r.name_zh() }
}

/// A time for people, in the district's zone: `11-27 09:00`.
pub fn when(ctx: &Ctx, t: i64) -> String {
    when_in(ctx.app.settings.tz, t)
}

pub fn when_in(tz: chrono_tz::Tz, t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.with_timezone(&tz).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Loads a case that must exist, to show it.
pub async fn load(ctx: &Ctx, conn: &mut Conn, id: CaseId) -> Result<Case, UserError> {
    cases::get(conn, id)
        .await?
        .ok_or_else(|| no_such_case(ctx, &id.to_string()))
}

/// Loads a case that must exist, to change it: the row is held until the
/// update's transaction ends, so the step decides on the latest row.
pub async fn load_for_change(ctx: &Ctx, conn: &mut Conn, id: CaseId) -> Result<Case, UserError> {
    cases::get_for_update(conn, id)
        .await?
        .ok_or_else(|| no_such_case(ctx, &id.to_string()))
}

/// The refusal for a case that does not exist, `shown` as the user wrote
/// it (also for digits beyond any id).
pub fn no_such_case(ctx: &Ctx, shown: &str) -> UserError {
    let shown = crate::i18n::esc(shown);
    ctx.refuse(tr!(
        ctx.locale,
        "没有 {shown} 这件事项。",
        "There is no case {shown}."
    ))
}

/// The case a word names: `Ok(None)` when it is not a case id at all, a
/// refusal when it is beyond any id (no such case).
pub fn read_case_id(ctx: &Ctx, word: &str) -> Result<Option<CaseId>, UserError> {
    match CaseId::read(word) {
        IdWord::Id(n) => Ok(Some(CaseId(n))),
        IdWord::Beyond => {
            let digits = word.trim().trim_start_matches('#');
            Err(no_such_case(ctx, &format!("#{digits}")))
        }
        IdWord::NotAnId => Ok(None),
    }
}

/// Staff covering the node that handles the case now.
pub fn may_handle(ctx: &Ctx, case: &Case) -> Result<(), UserError> {
    ctx.require(Action::Operate(&case.node))
}

/// The handling staff, staff of the grid it came from, or the reporter.
/// Anyone else is told exactly what they would be told of a case that does
/// not exist: a number must not reveal that someone else reported something.
pub fn may_view(ctx: &Ctx, case: &Case) -> Result<(), UserError> {
    if ctx.actor.may(Action::Own(case.reporter_id)).is_ok()
        || ctx.actor.may(Action::View(&case.grid)).is_ok()
        || ctx.actor.may(Action::View(&case.node)).is_ok()
    {
        return Ok(());
    }
    Err(no_such_case(ctx, &case.id.to_string()))
}

/// Whether the sender sees the case as its handling staff (not just as reporter).
pub fn is_handler_side(ctx: &Ctx, case: &Case) -> bool {
    ctx.actor.may(Action::View(&case.node)).is_ok()
        || ctx.actor.may(Action::View(&case.grid)).is_ok()
}

/// Why a step is refused, with what is possible instead.
pub fn refusal_text(l: Locale, case: &Case, step: Step) -> String {
    let (id, now, what) = (case.id, status_name(l, case.status), step_name(l, step));
    if !step.fits(case.category) {
        let cat = category_name(l, case.category);
        return tr!(
            l,
            "{id} 是{cat}，不是矛盾纠纷，不能{what}：调解未成只用于矛盾纠纷。办不成可以上报（/escalate）。",
            "{id} ({cat}) is not a dispute: “{what}” is only for disputes, after mediation. If it cannot be done here, escalate it (/escalate)."
        );
    }
    let next: Vec<&str> = case
        .status
        .next_steps_for(case.category)
        .into_iter()
        .map(|s| step_name(l, s))
        .collect();
    let next = next.join(if l.is_en() { ", " } else { "、" });
    tr!(
        l,
        "{id} 当前为「{now}」，不能{what}。现在可以：{next}。",
        "{id} is {now}: “{what}” is not possible now. Possible now: {next}."
    )
}

/// Applies `step` to the case for the sender: permission, transition,
/// side effects, an event row, and the status sent back. `note` is what the
/// person wrote (a result, a reason); it goes to the reporter privately.
pub async fn apply(
    ctx: &mut Ctx,
    conn: &mut Conn,
    case: &mut Case,
    step: Step,
    note: Option<&str>,
) -> Result<(), UserError> {
    may_handle(ctx, case)?;
    let l = ctx.locale;
    let from = case.status;
    let to = from
        .apply_for(step, case.category)
        .map_err(|_| ctx.refuse(refusal_text(l, case, step)))?;
    let now = ctx.now;
    let settings = ctx.app.settings.cases.clone();
    match step {
        Step::Accept => case.handler_id = Some(ctx.sender.id),
        Step::Resolve => {
            case.resolved_at = Some(now);
            // A new resolution gets its own follow-up and rating (the
            // earlier rating stays in the event log).
            case.rating = None;
            case.rated_at = None;
            case.followup_asks = 0;
            case.followup_at = None;
        }
        Step::Fail => case.failed_at = Some(now),
        Step::Close => case.closed_at = Some(now),
        Step::Reopen => {
            // Open again: the earlier outcome no longer stands (it stays in the event log).
            case.resolved_at = None;
            case.failed_at = None;
            case.closed_at = None;
            case.rating = None;
            case.rated_at = None;
            case.followup_asks = 0;
            if !case.supervised {
                case.deadline_at = Some(now + settings.deadline(case.tier));
            }
        }
        Step::Escalate => {
            let Some(parent) = case.node.parent() else {
                return Err(ctx.refuse(tr!(
                    l,
                    "{} 已在最高一级（{}），无法再上报。",
                    "{} is already at the top level ({}); it cannot be escalated.",
                    case.id,
                    case.node
                )));
            };
            case.node = parent;
            case.handler_id = None;
            case.tier = case.tier.max(Tier::for_level(case.node.level()));
            if !case.supervised {
                case.deadline_at = Some(now + settings.deadline(case.tier));
            }
        }
        Step::Assign | Step::Start => {}
    }
    case.status = to;
    record(ctx, conn, case, step.key(), Some((from, to)), note).await?;
    notify::status_back(ctx, conn, case, note).await?;
    if step == Step::Escalate {
        notify::escalated(ctx, conn, case, note.unwrap_or_default()).await?;
    }
    Ok(())
}

/// Saves the case and appends its event. Refused, with nothing written,
/// if the case changed since it was loaded (it cannot under
/// [`load_for_change`]; a step on a copy loaded otherwise is told to look
/// again rather than undo what someone else did).
pub async fn record(
    ctx: &Ctx,
    conn: &mut Conn,
    case: &mut Case,
    kind: &str,
    change: Option<(Status, Status)>,
    note: Option<&str>,
) -> Result<(), UserError> {
    if !cases::save(conn, case, ctx.now).await? {
        return Err(ctx.refuse(tr!(
            ctx.locale,
            "{} 刚被他人更新，请发送 /case {} 查看后再试。",
            "{} was just changed by someone else; send /case {} to see it, then try again.",
            case.id,
            case.id.0
        )));
    }
    cases::add_event(
        conn,
        case.id,
        &Event {
            actor_id: Some(ctx.sender.id),
            kind: kind.to_string(),
            from: change.map(|c| c.0),
            to: change.map(|c| c.1),
            note: note.map(str::to_string),
            at: ctx.now,
        },
    )
    .await?;
    Ok(())
}
