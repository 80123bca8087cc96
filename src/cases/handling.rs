//! Staff commands that move a case through its life: `/accept`, `/assign`,
//! `/note`, `/update`, `/resolve`, `/fail`, `/escalate`, `/reopen`, `/close` and
//! `/supervise`. The id may be left out when the command replies to a
//! message about the case (`#123` in its text). Each one goes through
//! [`super::apply`], so permission and the state machine are checked the
//! same way for commands and buttons.

use super::notify::public_line;
use super::{apply, load_for_change, may_handle, record, when};
use crate::domain::case::{CaseId, DeadlineSpec, EventKind, Status, Step, Tier};
use crate::domain::{Action, Actor, Role};
use crate::i18n::esc;
use crate::store::outbox::Outgoing;
use crate::store::{Conn, cases, people};
use crate::telegram::command::{self, CommandSpec};
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

/// `<id> rest`, or `rest` when replying to a message that names a case.
fn case_args<'a>(
    ctx: &Ctx,
    spec: &'static CommandSpec,
    args: &'a str,
) -> Result<(CaseId, &'a str), UserError> {
    let args = args.trim();
    let end = args.find(char::is_whitespace).unwrap_or(args.len());
    if let Some(id) = super::read_case_id(ctx, &args[..end])? {
        return Ok((id, args[end..].trim()));
    }
    if let Some(id) = ctx.replied_text.as_deref().and_then(CaseId::find_in) {
        return Ok((id, args));
    }
    let l = ctx.locale;
    Err(ctx.usage(
        spec,
        if args.is_empty() {
            tr!(
                l,
                "请写出事项编号（如 #12），或回复事项消息。",
                "Name the case (like #12), or reply to a message about it."
            )
        } else {
            tr!(
                l,
                "「{}」不是事项编号（如 #12）。",
                "“{}” is not a case number (like #12).",
                esc(&args[..end])
            )
        },
    ))
}

fn need_text(ctx: &Ctx, spec: &'static CommandSpec, text: &str) -> Result<(), UserError> {
    if text.is_empty() {
        let l = ctx.locale;
        return Err(ctx.usage(spec, tr!(l, "请写出说明。", "Add a few words.")));
    }
    if text.chars().count() > super::intake::MAX_TEXT {
        let l = ctx.locale;
        return Err(ctx.usage(spec, tr!(l, "说明太长。", "That text is too long.")));
    }
    Ok(())
}

/// The reply to a step: the case's new status, unless the public line
/// already answers the command in this group (then nothing more).
fn done(ctx: &Ctx, case: &cases::Case) -> String {
    if super::notify::posts_here(ctx, case) {
        String::new()
    } else {
        format!("✅ {}", public_line(ctx.locale, case))
    }
}

/// `/accept`, `/resolve`, `/fail`, `/escalate`, `/reopen`, `/close`.
pub async fn step(ctx: &mut Ctx, conn: &mut Conn, args: &str, step: Step) -> Outcome {
    let spec = command::spec(step_command(step)).expect("in table");
    let (id, text) = case_args(ctx, spec, args)?;
    if matches!(step, Step::Resolve | Step::Fail | Step::Escalate) {
        need_text(ctx, spec, text)?;
    }
    let mut case = load_for_change(ctx, conn, id).await?;
    let note = (!text.is_empty()).then_some(text);
    apply(ctx, conn, &mut case, step, note).await?;
    Ok(done(ctx, &case))
}

pub fn step_command(step: Step) -> &'static str {
    match step {
        Step::Accept => "accept",
        Step::Assign => "assign",
        Step::Start => "update",
        Step::Resolve => "resolve",
        Step::Fail => "fail",
        Step::Escalate => "escalate",
        Step::Close => "close",
        Step::Reopen => "reopen",
    }
}

/// `/note <id> <text>`: an internal line in the history, for the staff
/// only: never sent to the reporter nor posted in the group.
pub async fn note(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let spec = command::spec("note").expect("in table");
    let (id, text) = case_args(ctx, spec, args)?;
    need_text(ctx, spec, text)?;
    let mut case = load_for_change(ctx, conn, id).await?;
    may_handle(ctx, &case)?;
    record(
        ctx,
        conn,
        &mut case,
        EventKind::Note.key(),
        None,
        Some(text),
    )
    .await?;
    Ok(tr!(
        ctx.locale,
        "📝 已记入 {} 的内部备注（仅工作人员可见）。",
        "📝 Internal note added to {} (staff only).",
        case.id
    ))
}

/// `/update <id> <text>`: progress told to the reporter privately, with a
/// public line in the group it came from; the first update on an accepted
/// case starts the work.
pub async fn update(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let spec = command::spec("update").expect("in table");
    let (id, text) = case_args(ctx, spec, args)?;
    need_text(ctx, spec, text)?;
    let mut case = load_for_change(ctx, conn, id).await?;
    if case.status == Status::Accepted {
        apply(ctx, conn, &mut case, Step::Start, Some(text)).await?;
        return Ok(done(ctx, &case));
    }
    may_handle(ctx, &case)?;
    if !case.status.is_open() {
        return Err(ctx.refuse(super::refusal_text(ctx.locale, &case, Step::Start)));
    }
    record(
        ctx,
        conn,
        &mut case,
        EventKind::Update.key(),
        None,
        Some(text),
    )
    .await?;
    super::notify::status_back(ctx, conn, &case, Some(text)).await?;
    Ok(done(ctx, &case))
}

/// `/assign <id> <user>`: the person must be staff covering the case's node.
pub async fn assign(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("assign").expect("in table");
    let (id, rest) = case_args(ctx, spec, args)?;
    let who = match rest.split_whitespace().next() {
        Some(token) => ctx.resolve_person(conn, token).await?,
        None => ctx.replied.clone().ok_or_else(|| {
            ctx.usage(
                spec,
                tr!(l, "请写出指派给谁。", "Name the person to assign."),
            )
        })?,
    };
    let mut case = load_for_change(ctx, conn, id).await?;
    may_handle(ctx, &case)?;
    let assignee = Actor {
        user_id: who.id,
        superadmin: ctx.app.settings.superadmins.contains(&who.id),
        grants: people::grants_of(conn, who.id).await?,
    };
    if assignee.may(Action::Operate(&case.node)).is_err() {
        return Err(ctx.refuse(tr!(
            l,
            "{} 在 {} 没有职务，不能承办此事项。",
            "{} holds no role covering {}, so cannot handle this case.",
            who.label(),
            case.node
        )));
    }
    case.handler_id = Some(who.id);
    // A mediator or the police take it on as a specialised matter (专业难事).
    let specialist = assignee
        .grants
        .iter()
        .any(|g| matches!(g.role, Role::Mediator | Role::Police) && case.node.is_within(&g.code));
    if specialist && case.tier < Tier::Specialised {
        case.tier = Tier::Specialised;
        if !case.supervised {
            case.deadline_at = Some(ctx.now + ctx.app.settings.cases.deadline(case.tier));
        }
    }
    let note = tr!(l, "指派给 {}", "assigned to {}", who.name);
    apply(ctx, conn, &mut case, Step::Assign, Some(&note)).await?;
    if who.id != ctx.sender.id
        && people::get(conn, who.id)
            .await?
            .is_some_and(|u| u.private_chat)
    {
        ctx.out.push(Outgoing::text(
            who.id,
            tr!(
                l,
                "📌 {} 把 <b>{}</b> 指派给您办理：{}\n发送 /case {} 查看。",
                "📌 {} assigned <b>{}</b> to you: {}\nSend /case {} to see it.",
                ctx.sender.label(),
                case.id,
                esc(&super::notify::excerpt(&case.text, 200)),
                case.id.0
            ),
        ));
    }
    let line = done(ctx, &case);
    Ok(if line.is_empty() {
        tr!(l, "📌 已指派给 {}", "📌 Assigned to {}", who.label())
    } else {
        format!("{line} — {}", who.label())
    })
}

/// `/supervise <id> <deadline>` (挂牌督办): only an admin above the case's node.
pub async fn supervise(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("supervise").expect("in table");
    let (id, rest) = case_args(ctx, spec, args)?;
    let deadline = DeadlineSpec::parse(rest).ok_or_else(|| {
        ctx.usage(
            spec,
            tr!(
                l,
                "请写出期限，如 3d（3 天）、12h 或 2026-12-01（最长一年，日期在 2000–2100 年间）。",
                "Give a deadline such as 3d (3 days), 12h or 2026-12-01 (at most a year; dates from 2000 to 2100)."
            ),
        )
    })?;
    let at = deadline.at(ctx.now, ctx.app.settings.tz).ok_or_else(|| {
        ctx.usage(
            spec,
            tr!(l, "期限必须在将来。", "The deadline must be in the future."),
        )
    })?;
    let mut case = load_for_change(ctx, conn, id).await?;
    ctx.require(Action::Supervise(&case.node))?;
    if !case.status.is_open() {
        return Err(ctx.refuse(tr!(
            l,
            "{} 已「{}」，无需督办。",
            "{} is already {}; there is nothing to supervise.",
            case.id,
            super::status_name(l, case.status)
        )));
    }
    // The supervising node: the sender's highest admin node above the case.
    let supervisor = ctx
        .actor
        .grants
        .iter()
        .filter(|g| g.role == Role::Admin && case.node.is_within(&g.code) && g.code != case.node)
        .map(|g| g.code.clone())
        .min_by_key(|c| c.level())
        .or_else(|| case.node.parent())
        .unwrap_or_else(|| case.node.clone());
    case.supervised = true;
    case.supervisor = Some(supervisor.clone());
    case.deadline_at = Some(at);
    case.tier = Tier::Major;
    case.reminded_at = None;
    let due = when(ctx, at);
    let note = tr!(
        l,
        "挂牌督办（{supervisor}），期限 {due}",
        "under supervision ({supervisor}), due {due}"
    );
    record(ctx, conn, &mut case, "supervise", None, Some(&note)).await?;
    super::notify::status_back(ctx, conn, &case, Some(&note)).await?;
    for user in cases::reachable_staff(conn, &case).await? {
        if user != ctx.sender.id {
            ctx.out.push(Outgoing::text(
                user,
                tr!(
                    l,
                    "🔴 <b>{}</b> 已被 {supervisor} 挂牌督办，期限 {due}。发送 /case {} 查看。",
                    "🔴 <b>{}</b> is now supervised by {supervisor}, due {due}. Send /case {} to see it.",
                    case.id,
                    case.id.0
                ),
            ));
        }
    }
    Ok(tr!(
        l,
        "🔴 {} 已挂牌督办，期限 {due}；承办人员每天会收到提醒。",
        "🔴 {} is under supervision, due {due}; its handlers are reminded daily.",
        case.id
    ))
}
