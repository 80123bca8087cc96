//! The private guided report: grid (when not known) → category (buttons) →
//! description → optional photo and location → anonymous or named → case.
//!
//! The description may come in several messages; together they are held to
//! the same [`MAX_TEXT`] as `/report` (a message that would pass it is
//! refused and not added), and each addition is acknowledged with the
//! running length rather than the whole draft echoed back.
//!
//! State is one row per resident in `case_drafts` (see
//! [`crate::store::drafts`]), never teloxide's dialogue storage, which is
//! keyed by chat. Plain messages reach [`on_message`] only in a private chat
//! and only while a draft exists; buttons arrive in [`press`].

use super::category_name;
use super::intake::{self, MAX_TEXT, Report};
use super::notify::keyboard;
use crate::domain::case::{Attachment, Category};
use crate::domain::{Level, NodeCode};
use crate::i18n::esc;
use crate::store::drafts::{self, Draft, Stage};
use crate::store::{Conn, nodes, people};
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

/// `/report` in a private chat: starts (or restarts) a draft with what was given.
pub async fn begin(
    ctx: &mut Ctx,
    conn: &mut Conn,
    category: Option<Category>,
    text: Option<&str>,
    attachment: Option<Attachment>,
) -> Outcome {
    let mut d = Draft::new(ctx.sender.id);
    d.grid = ctx.known.grid.clone();
    d.category = category;
    d.text = text.map(str::to_string);
    add(&mut d, attachment);
    advance(ctx, conn, d, false).await
}

fn add(d: &mut Draft, a: Option<Attachment>) {
    match a {
        Some(Attachment::Photo(f)) => d.photo = Some(f),
        Some(Attachment::Location { lat, lon }) => d.location = Some((lat, lon)),
        None => {}
    }
}

/// Moves the draft to the first stage still missing something, saves it and
/// words the prompt (with its buttons on the reply). `added`: the message
/// added to a draft already at the last stage, so a short acknowledgement
/// does instead of the whole draft.
async fn advance(ctx: &mut Ctx, conn: &mut Conn, mut d: Draft, added: bool) -> Outcome {
    let l = ctx.locale;
    d.stage = if d.grid.is_none() {
        Stage::Grid
    } else if d.category.is_none() {
        Stage::Category
    } else if d.text.is_none() && d.photo.is_none() {
        Stage::Text
    } else {
        Stage::Extras
    };
    drafts::put(conn, &d, ctx.now).await?;
    let cancel = (tr!(l, "取消", "Cancel"), "c:x".to_string());
    Ok(match d.stage {
        Stage::Grid => {
            ctx.reply_markup = keyboard(&[vec![cancel]]);
            tr!(
                l,
                "您属于哪个网格？请发送网格编码（如 xq.hmk.c1.g3，可向网格员询问），或使用网格员给的加入链接。",
                "Which grid do you live in? Send its code (like xq.hmk.c1.g3; your grid worker knows it), or use the join link they gave you."
            )
        }
        Stage::Category => {
            let buttons: Vec<(String, String)> = Category::ALL
                .iter()
                .map(|c| {
                    (
                        category_name(l, *c).to_string(),
                        format!("c:cat:{}", c.key()),
                    )
                })
                .collect();
            ctx.reply_markup =
                keyboard(&[buttons[..3].to_vec(), buttons[3..].to_vec(), vec![cancel]]);
            tr!(l, "请选择要反映的事项类别：", "What kind of matter is it?")
        }
        Stage::Text => {
            ctx.reply_markup = keyboard(&[vec![cancel]]);
            tr!(
                l,
                "请用一条消息描述情况（时间、地点、经过）。",
                "Describe it in one message (when, where, what happened)."
            )
        }
        Stage::Extras => {
            ctx.reply_markup = keyboard(&[
                vec![
                    (
                        tr!(l, "实名提交", "Submit with my name"),
                        "c:sub:named".into(),
                    ),
                    (
                        tr!(l, "匿名提交", "Submit anonymously"),
                        "c:sub:anon".into(),
                    ),
                ],
                vec![cancel],
            ]);
            let mut extras = Vec::new();
            if d.photo.is_some() {
                extras.push(tr!(l, "照片 ✓", "photo ✓"));
            }
            if d.location.is_some() {
                extras.push(tr!(l, "位置 ✓", "location ✓"));
            }
            let cat = category_name(l, d.category.unwrap_or(Category::Other));
            let have = extras.join(" ");
            let n = d.text.as_deref().map_or(0, |t| t.chars().count());
            if added {
                return Ok(tr!(
                    l,
                    "已补充（共 {n}/{MAX_TEXT} 字）{have}\n可以继续补充，然后选择实名或匿名提交。",
                    "Added ({n}/{MAX_TEXT} characters) {have}\nAdd more if you like, then submit with your name or anonymously."
                ));
            }
            let text = esc(d.text.as_deref().unwrap_or(""));
            tr!(
                l,
                "<b>{cat}</b>：{text}\n{have}\n可以再发送照片或位置（可选），然后选择实名或匿名提交。匿名时群里和工作人员以外的人都看不到您的名字。",
                "<b>{cat}</b>: {text}\n{have}\nYou may send a photo or a location (optional), then submit with your name or anonymously. Anonymous: nobody but the staff handling it sees your name."
            )
        }
    })
}

/// A plain message in a private chat: `None` when the sender has no draft.
pub async fn on_message(
    ctx: &mut Ctx,
    conn: &mut Conn,
    text: Option<&str>,
) -> Result<Option<String>, UserError> {
    let Some(mut d) = drafts::get(conn, ctx.sender.id).await? else {
        return Ok(None);
    };
    let l = ctx.locale;
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(ctx.refuse(tr!(
            l,
            "内容太长（最多 {MAX_TEXT} 字），请精简后再发。",
            "Too long (at most {MAX_TEXT} characters); please shorten it."
        )));
    }
    let attachment = ctx.attachment.clone();
    match d.stage {
        Stage::Grid => {
            let raw = text.unwrap_or_default();
            let node = match NodeCode::parse(raw) {
                Ok(code) => nodes::get(conn, &code).await?,
                Err(_) => None,
            };
            let Some(node) = node.filter(|n| n.level() == Level::Grid) else {
                return Err(ctx.refuse(tr!(
                    l,
                    "「{}」不是一个网格的编码，请再发一次（如 xq.hmk.c1.g3）。",
                    "“{}” is not a grid's code; please send it again (like xq.hmk.c1.g3).",
                    esc(raw)
                )));
            };
            people::set_grid(conn, ctx.sender.id, &node.code).await?;
            d.grid = Some(node.code);
        }
        Stage::Category => match text.and_then(Category::parse) {
            Some(c) => d.category = Some(c),
            None => {
                return Err(ctx.refuse(tr!(
                    l,
                    "请点按钮选择类别（或写：纠纷、隐患、建议、求助、其他）。",
                    "Press a button to choose (or write: dispute, hazard, suggestion, help, other)."
                )));
            }
        },
        Stage::Text | Stage::Extras => {
            if let Some(t) = text {
                let joined = match d.text.as_deref() {
                    Some(before) if d.stage == Stage::Extras => format!("{before}\n{t}"),
                    _ => t.to_string(),
                };
                if joined.chars().count() > MAX_TEXT {
                    let had = d.text.as_deref().map_or(0, |t| t.chars().count());
                    return Err(ctx.refuse(tr!(
                        l,
                        "反映内容合计最多 {MAX_TEXT} 字（已有 {had} 字），这段没有加入。请直接选择实名或匿名提交，或发送更短的补充。",
                        "A report holds at most {MAX_TEXT} characters in all ({had} so far); this part was not added. Submit it as it is, or send a shorter addition."
                    )));
                }
                d.text = Some(joined);
            }
            add(&mut d, attachment);
        }
    }
    let added = d.stage == Stage::Extras;
    advance(ctx, conn, d, added).await.map(Some)
}

/// Buttons: `cat:<key>`, `sub:anon|named`, `x` (cancel).
pub async fn press(ctx: &mut Ctx, conn: &mut Conn, rest: &str) -> Result<String, UserError> {
    let l = ctx.locale;
    let stale = || {
        UserError::Refused(tr!(
            l,
            "这个反映已结束，请重新发送 /report。",
            "This report is over; send /report to start again."
        ))
    };
    let Some(mut d) = drafts::get(conn, ctx.sender.id).await? else {
        return Err(stale());
    };
    if rest == "x" {
        drafts::delete(conn, ctx.sender.id).await?;
        return Ok(tr!(l, "已取消。", "Cancelled."));
    }
    if let Some(key) = rest.strip_prefix("cat:") {
        let c = Category::parse(key).ok_or_else(stale)?;
        if d.stage != Stage::Category {
            return Err(stale());
        }
        d.category = Some(c);
        let prompt = advance(ctx, conn, d, false).await?;
        let mut m = crate::store::outbox::Outgoing::text(ctx.chat_id, prompt);
        m.markup = ctx.reply_markup.take();
        ctx.out.push(m);
        return Ok(category_name(l, c).to_string());
    }
    let anonymous = match rest {
        "sub:anon" => true,
        "sub:named" => false,
        _ => return Err(stale()),
    };
    let (Stage::Extras, Some(grid), Some(category)) = (d.stage, d.grid.clone(), d.category) else {
        return Err(stale());
    };
    let mut attachments = Vec::new();
    if let Some(f) = d.photo.take() {
        attachments.push(Attachment::Photo(f));
    }
    if let Some((lat, lon)) = d.location {
        attachments.push(Attachment::Location { lat, lon });
    }
    let case = intake::open(
        ctx,
        conn,
        &Report {
            grid: &grid,
            category,
            text: d.text.as_deref().unwrap_or(""),
            anonymous,
            origin_chat_id: ctx.sender.id,
            origin_message_id: None,
            attachments: &attachments,
        },
    )
    .await?;
    drafts::delete(conn, ctx.sender.id).await?;
    let (id, cat) = (case.id, category_name(l, category));
    let how = if anonymous {
        tr!(l, "（匿名）", " (anonymous)")
    } else {
        String::new()
    };
    ctx.out.push(crate::store::outbox::Outgoing::text(
        ctx.chat_id,
        tr!(
            l,
            "📋 已登记 <b>{id}</b>（{cat}）{how}。办理进度会在这里告诉您；发送 /mycases 查看您的事项。",
            "📋 Registered as <b>{id}</b> ({cat}){how}. I will tell you here how it goes; send /mycases to see your cases."
        ),
    ));
    Ok(tr!(l, "已提交 {id}", "Submitted {id}"))
}
