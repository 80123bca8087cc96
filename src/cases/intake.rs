//! `/report [category] <text>`: a resident opens a case. In a grid group it
//! is answered briefly there (details go privately); in a private chat it
//! starts the guided flow ([`super::flow`]). One rule for every way in:
//! [`open`] throttles per person, stores the case, its attachments and its
//! first event, and tells the grid's staff.

use super::notify::{self, excerpt};
use super::{category_name, flow};
use crate::domain::case::{Attachment, Category, Status, Tier};
use crate::domain::{Level, NodeCode};
use crate::i18n::esc;
use crate::store::Conn;
use crate::store::cases::{self, Case, Event, NewCase};
use crate::store::outbox::Outgoing;
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

/// Longest report text kept (Telegram allows 4096; a card must fit).
pub const MAX_TEXT: usize = 2000;

/// A report about to become a case.
pub struct Report<'a> {
    pub grid: &'a NodeCode,
    pub category: Category,
    pub text: &'a str,
    pub anonymous: bool,
    pub origin_chat_id: i64,
    pub origin_message_id: Option<i64>,
    pub attachments: &'a [Attachment],
}

pub async fn report(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("report").expect("in table");
    let (category, text) = Category::split_text(args);
    if text.chars().count() > MAX_TEXT {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "内容太长（最多 {MAX_TEXT} 字）。",
                "Too long (at most {MAX_TEXT} characters)."
            ),
        ));
    }
    if ctx.in_private() {
        let text = (!text.is_empty()).then_some(text);
        let attachment = ctx.attachment.clone();
        return flow::begin(ctx, conn, category, text, attachment).await;
    }
    let Some(grid) = ctx.here().filter(|c| c.level() == Level::Grid).cloned() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在网格群里发送 /report，或私聊我发送 /report 按步骤反映。",
            "Send /report in your grid's group, or privately to me for a step-by-step report."
        )));
    };
    if text.is_empty() && ctx.attachment.is_none() {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "请写出要反映的情况。",
                "Describe the matter you are reporting."
            ),
        ));
    }
    let attachments: Vec<Attachment> = ctx.attachment.iter().cloned().collect();
    let case = open(
        ctx,
        conn,
        &Report {
            grid: &grid,
            category: category.unwrap_or(Category::Other),
            text,
            anonymous: false,
            origin_chat_id: ctx.chat_id,
            origin_message_id: Some(ctx.message_id),
            attachments: &attachments,
        },
    )
    .await?;
    let (id, cat) = (case.id, category_name(l, case.category));
    if ctx.known.private_chat {
        ctx.out.push(Outgoing::text(
            ctx.sender.id,
            tr!(
                l,
                "📋 您反映的事项已登记为 <b>{id}</b>（{cat}）：\n{}\n办理进度会在这里告诉您；发送 /case {} 查看。",
                "📋 Your report is case <b>{id}</b> ({cat}):\n{}\nI will tell you here how it goes; send /case {} to see it.",
                esc(&excerpt(&case.text, 500)),
                id.0
            ),
        ).for_person(ctx.sender.id));
        Ok(tr!(
            l,
            "📋 已登记 <b>{id}</b>（{cat}），网格员会尽快处理，进度已私信告知。",
            "📋 Registered as <b>{id}</b> ({cat}); grid staff will handle it. Progress comes to you privately."
        ))
    } else {
        Ok(tr!(
            l,
            "📋 已登记 <b>{id}</b>（{cat}），网格员会尽快处理。私聊我并发送 /start 可收到办理进度。",
            "📋 Registered as <b>{id}</b> ({cat}); grid staff will handle it. Start a private chat with me (/start) to get progress updates."
        ))
    }
}

/// Opens the case (see the module docs).
pub async fn open(ctx: &mut Ctx, conn: &mut Conn, r: &Report<'_>) -> Result<Case, UserError> {
    let l = ctx.locale;
    let settings = &ctx.app.settings.cases;
    // Every way in is held to this (a case's text must fit a card and a cell).
    if r.text.chars().count() > MAX_TEXT {
        return Err(ctx.refuse(tr!(
            l,
            "内容太长（最多 {MAX_TEXT} 字）。",
            "Too long (at most {MAX_TEXT} characters)."
        )));
    }
    let text = if r.text.is_empty() {
        tr!(l, "（见附件）", "(see attachment)")
    } else {
        r.text.to_string()
    };
    let tier = Tier::Everyday;
    let (limit, window) = (settings.report_limit, settings.report_window);
    let opened = cases::insert(
        conn,
        &NewCase {
            grid: r.grid,
            category: r.category,
            tier,
            reporter_id: ctx.sender.id,
            anonymous: r.anonymous,
            text: &text,
            origin_chat_id: r.origin_chat_id,
            origin_message_id: r.origin_message_id,
            deadline_at: Some(ctx.now + settings.deadline(tier)),
        },
        &cases::Throttle {
            limit,
            since: ctx.now - window + 1,
        },
        ctx.now,
    )
    .await?;
    let Some(case) = opened else {
        let minutes = (window + 59) / 60;
        return Err(ctx.refuse(tr!(
            l,
            "您在 {minutes} 分钟内已反映 {limit} 件事项，请稍后再试。紧急情况请直接拨打 110。",
            "You have reported {limit} matters within {minutes} minutes; please wait a little. In an emergency call 110."
        )));
    };
    let id = case.id;
    for a in r.attachments {
        cases::attach(conn, id, a, ctx.now).await?;
    }
    cases::add_event(
        conn,
        id,
        &Event {
            actor_id: Some(ctx.sender.id),
            kind: "report".into(),
            from: None,
            to: Some(Status::New),
            note: None,
            at: ctx.now,
        },
    )
    .await?;
    notify::new_case(ctx, conn, &case).await?;
    Ok(case)
}
