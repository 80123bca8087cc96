//! The follow-up visit (回访): some time after a case is resolved the
//! reporter is asked 满意 / 基本满意 / 不满意; an unanswered question is asked
//! once more, then left. A satisfied answer closes the case; 不满意 reopens
//! it and tells its handlers. Within [`COMMENT_WINDOW`] of rating, the
//! reporter's next plain private message is kept as their comment.

use super::intake::MAX_TEXT;
use super::notify::{keyboard, status_back};
use super::{category_name, load, load_for_change, rating_name, record};
use crate::app::App;
use crate::domain::Action;
use crate::domain::case::{CaseId, Rating, Status, Step};
use crate::i18n::esc;
use crate::outbox;
use crate::scheduler::{Job, JobFuture};
use crate::store::cases::{self, Case, Event};
use crate::store::outbox::Outgoing;
use crate::store::{Conn, people};
use crate::telegram::callbacks::Pressed;
use crate::telegram::context::{Ctx, UserError};
use crate::tr;

/// How long after rating a plain private message counts as the comment.
pub const COMMENT_WINDOW: i64 = 3600;

pub struct FollowUp;

impl Job for FollowUp {
    fn name(&self) -> &'static str {
        "case_followup"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(ask_due(app, now))
    }
}

async fn ask_due(app: &App, now: i64) -> anyhow::Result<()> {
    let s = &app.settings.cases;
    let mut conn = app.store.conn().await?;
    let due = cases::followups_due(&mut conn, now, s.followup_after, s.followup_again).await?;
    drop(conn);
    for case in &due {
        ask(app, case, now).await?;
    }
    Ok(())
}

/// Asks the follow-up question about one case the job found due, in a
/// transaction of its own. `due` may be stale by now: the row is read again
/// and held, and the question goes only if the case still waits for this
/// ask (resolved, unrated, not asked meanwhile — e.g. by another instance);
/// what is written is the fresh row. False when it was skipped.
pub async fn ask(app: &App, due: &Case, now: i64) -> anyhow::Result<bool> {
    let l = app.settings.locale;
    let mut tx = app.store.begin().await?;
    let Some(mut case) = cases::get_for_update(&mut tx, due.id).await? else {
        return Ok(false);
    };
    if case.followup_asks != due.followup_asks
        || case.status != Status::Resolved
        || case.rating.is_some()
        || case.resolved_at != due.resolved_at
    {
        return Ok(false);
    }
    case.followup_asks += 1;
    case.followup_at = Some(now);
    if !cases::save(&mut tx, &mut case, now).await? {
        return Ok(false);
    }
    cases::add_event(
        &mut tx,
        case.id,
        &Event {
            actor_id: None,
            kind: "followup".into(),
            from: None,
            to: None,
            note: None,
            at: now,
        },
    )
    .await?;
    if people::get(&mut tx, case.reporter_id)
        .await?
        .is_some_and(|u| u.private_chat)
    {
        let (id, cat) = (case.id, category_name(l, case.category));
        let mut m = Outgoing::text(
            case.reporter_id,
            tr!(
                l,
                "🙋 回访：您反映的 <b>{id}</b>（{cat}）已办理完毕：{}\n您对办理结果满意吗？",
                "🙋 Follow-up: your case <b>{id}</b> ({cat}) was resolved: {}\nAre you satisfied with the result?",
                esc(&super::notify::excerpt(&case.text, 100))
            ),
        );
        m.markup = keyboard(&[Rating::ALL
            .iter()
            .map(|r| {
                (
                    rating_name(l, *r).to_string(),
                    format!("c:r:{}:{}", id.0, r.key()),
                )
            })
            .collect()]);
        outbox::queue(&mut tx, &[m], now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The reporter's answer.
pub async fn rate(ctx: &mut Ctx, conn: &mut Conn, id: CaseId, rating: Rating) -> Pressed {
    let l = ctx.locale;
    let mut case = load_for_change(ctx, conn, id).await?;
    ctx.require(Action::Own(case.reporter_id))?;
    if case.status != Status::Resolved || case.rating.is_some() {
        return Err(ctx.refuse(tr!(
            l,
            "{id} 现在不需要评价（可能已评价过）。",
            "{id} is not waiting for your rating (perhaps you rated it already)."
        )));
    }
    case.rating = Some(rating);
    case.rated_at = Some(ctx.now);
    record(ctx, conn, &mut case, "rate", None, Some(rating.key())).await?;
    let step = if rating == Rating::Unsatisfied {
        Step::Reopen
    } else {
        Step::Close
    };
    let from = case.status;
    let to = from
        .apply(step)
        .map_err(|_| ctx.refuse(super::refusal_text(l, &case, step)))?;
    case.status = to;
    match step {
        Step::Close => case.closed_at = Some(ctx.now),
        _ => {
            case.resolved_at = None;
            case.failed_at = None;
            case.followup_asks = 0;
            if !case.supervised {
                case.deadline_at = Some(ctx.now + ctx.app.settings.cases.deadline(case.tier));
            }
        }
    }
    record(
        ctx,
        conn,
        &mut case,
        step.key(),
        Some((from, to)),
        Some(rating.key()),
    )
    .await?;
    status_back(ctx, conn, &case, None).await?;
    let name = rating_name(l, rating);
    if rating == Rating::Unsatisfied {
        let told = tr!(
            l,
            "😞 <b>{id}</b> 回访结果：不满意，事项已重办。发送 /case {} 查看。",
            "😞 <b>{id}</b> follow-up: the reporter is not satisfied; the case is reopened. Send /case {} to see it.",
            id.0
        );
        for user in cases::reachable_staff(conn, &case).await? {
            ctx.out.push(Outgoing::text(user, told.clone()));
        }
        ctx.out.push(Outgoing::text(
            ctx.chat_id,
            tr!(
                l,
                "已记录：{name}。事项 {id} 已重新办理，我们会继续跟进。有什么意见，可以在一小时内直接发给我。",
                "Noted: {name}. Case {id} is reopened; we will follow it up. If you want to say why, just send it to me within the hour."
            ),
        ));
    } else {
        ctx.out.push(Outgoing::text(
            ctx.chat_id,
            tr!(
                l,
                "感谢您的评价：{name}。事项 {id} 已办结。有什么意见，可以在一小时内直接发给我。",
                "Thank you: {name}. Case {id} is closed. If you want to add a comment, just send it to me within the hour."
            ),
        ));
    }
    Ok(tr!(l, "谢谢！", "Thank you!"))
}

/// A plain private message: the reporter's comment on a case they rated
/// within [`COMMENT_WINDOW`] (once per rating), passed on to its handlers.
/// `None` when no case is waiting for one.
pub async fn comment(
    ctx: &mut Ctx,
    conn: &mut Conn,
    text: Option<&str>,
) -> Result<Option<String>, UserError> {
    let l = ctx.locale;
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let since = ctx.now - COMMENT_WINDOW;
    let Some(id) = cases::awaiting_comment(conn, ctx.sender.id, since).await? else {
        return Ok(None);
    };
    if text.chars().count() > MAX_TEXT {
        return Err(ctx.refuse(tr!(
            l,
            "内容太长（最多 {MAX_TEXT} 字），请精简后再发。",
            "Too long (at most {MAX_TEXT} characters); please shorten it."
        )));
    }
    let case = load(ctx, conn, id).await?;
    cases::add_event(
        conn,
        id,
        &Event {
            actor_id: Some(ctx.sender.id),
            kind: "comment".into(),
            from: None,
            to: None,
            note: Some(text.to_string()),
            at: ctx.now,
        },
    )
    .await?;
    let rating = case.rating.map(|r| rating_name(l, r)).unwrap_or_default();
    let told = tr!(
        l,
        "💬 <b>{id}</b> 反映人的意见（{rating}）：{}",
        "💬 <b>{id}</b> the reporter's comment ({rating}): {}",
        esc(text)
    );
    for user in cases::reachable_staff(conn, &case).await? {
        ctx.out.push(Outgoing::text(user, told.clone()));
    }
    Ok(Some(tr!(
        l,
        "已收到您对 {id} 的意见，已转给承办人员。谢谢！",
        "Your comment on {id} is passed on to its handlers. Thank you!"
    )))
}
