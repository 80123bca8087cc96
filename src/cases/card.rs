//! Reading cases: `/case <id>` (the card: text, attachments, reporter,
//! tier, deadline, history and buttons for the next allowed steps),
//! `/cases [open|overdue|mine|all] [code]` for staff (overdue first) and
//! `/mycases` for residents.
//!
//! An anonymous reporter's name appears only to the handling staff and
//! only in a private chat: a card rendered for a group never shows it, and
//! `/case` or `/mycases` sent in a group is answered in private
//! ([`crate::telegram::privately`]).

use super::notify::{excerpt, keyboard};
use super::{
    category_name, is_handler_side, load, may_view, rating_name, status_name, step_name, tier_name,
    when,
};
use crate::domain::Action;
use crate::domain::case::event::rating_in_words;
use crate::domain::case::{Attachment, CaseId, EventKind, Step};
use crate::i18n::esc;
use crate::store::cases::{self, Case, Filter};
use crate::store::{Conn, people};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

pub async fn show(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("case").expect("in table");
    let id = match args.split_whitespace().next() {
        Some(w) => super::read_case_id(ctx, w)?.ok_or_else(|| {
            ctx.usage(
                spec,
                tr!(
                    l,
                    "「{}」不是事项编号（如 #12）。",
                    "“{}” is not a case number (like #12).",
                    esc(w)
                ),
            )
        })?,
        None => ctx
            .replied_text
            .as_deref()
            .and_then(CaseId::find_in)
            .ok_or_else(|| ctx.usage(spec, tr!(l, "请写出事项编号。", "Name the case.")))?,
    };
    let case = load(ctx, conn, id).await?;
    may_view(ctx, &case)?;
    let (text, markup) = render(ctx, conn, &case).await?;
    ctx.reply_markup = markup;
    Ok(text)
}

async fn name_of(conn: &mut Conn, id: i64) -> Result<String, UserError> {
    Ok(people::get(conn, id)
        .await?
        .map(|u| u.display_name())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("ID {id}")))
}

/// The card's text and its buttons for this viewer.
pub async fn render(
    ctx: &Ctx,
    conn: &mut Conn,
    case: &Case,
) -> Result<(String, Option<String>), UserError> {
    let l = ctx.locale;
    let staff = is_handler_side(ctx, case);
    let mut t = format!(
        "📋 <b>{}</b> {} · {}\n",
        case.id,
        category_name(l, case.category),
        status_name(l, case.status)
    );
    t.push_str(&tr!(l, "网格：{}", "Grid: {}", case.grid));
    if case.node != case.grid {
        t.push_str(&tr!(l, "；现由 {} 办理", "; now handled by {}", case.node));
    }
    t.push_str(&tr!(l, "\n级别：{}", "\nTier: {}", tier_name(l, case.tier)));
    if let Some(d) = case.deadline_at.filter(|_| case.status.is_open()) {
        let late = if case.overdue(ctx.now) {
            tr!(l, "（已超期）", " (overdue)")
        } else {
            String::new()
        };
        t.push_str(&tr!(l, "\n期限：{}{late}", "\nDue: {}{late}", when(ctx, d)));
    }
    if case.supervised {
        let by = case
            .supervisor
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default();
        t.push_str(&tr!(l, "\n🔴 挂牌督办：{by}", "\n🔴 Supervised by {by}"));
    }
    let reporter = name_of(conn, case.reporter_id).await?;
    let who = if !case.anonymous {
        esc(&reporter)
    } else if staff && ctx.in_private() {
        tr!(l, "匿名（{}）", "anonymous ({})", esc(&reporter))
    } else {
        tr!(l, "匿名", "anonymous")
    };
    t.push_str(&tr!(l, "\n反映人：{who}", "\nReported by: {who}"));
    if let Some(h) = case.handler_id {
        t.push_str(&tr!(
            l,
            "\n承办人：{}",
            "\nHandler: {}",
            esc(&name_of(conn, h).await?)
        ));
    }
    if let Some(r) = case.rating {
        t.push_str(&tr!(l, "\n评价：{}", "\nRating: {}", rating_name(l, r)));
    }
    t.push_str(&format!("\n\n{}", esc(&case.text)));
    for a in cases::attachments(conn, case.id).await? {
        t.push_str(&match a {
            Attachment::Photo(_) => tr!(l, "\n📷 照片", "\n📷 photo"),
            Attachment::Location { lat, lon } => tr!(
                l,
                "\n📍 位置 {lat:.5}, {lon:.5}",
                "\n📍 location {lat:.5}, {lon:.5}"
            ),
        });
    }
    t.push_str(&tr!(l, "\n\n<b>经过</b>", "\n\n<b>History</b>"));
    for e in cases::events(conn, case.id).await? {
        let kind = EventKind::parse(&e.kind);
        // The reporter's card leaves out what is for the staff only.
        if !staff && kind.is_none_or(EventKind::is_internal) {
            continue;
        }
        let actor = match e.actor_id {
            Some(a) if a == case.reporter_id && case.anonymous && !(staff && ctx.in_private()) => {
                tr!(l, "反映人", "reporter")
            }
            Some(a) => esc(&name_of(conn, a).await?),
            None => tr!(l, "系统", "system"),
        };
        let what = match kind {
            Some(k) if l.is_en() => k.name_en(e.to),
            Some(k) => k.name_zh(e.to),
            None if l.is_en() => "other",
            None => "其他",
        };
        let sep = tr!(l, "：", ": ");
        let note = match (kind, e.note.as_deref()) {
            (Some(k), Some(n)) if k.note_is_rating() && rating_in_words(n, l.is_en()).is_some() => {
                let r = rating_in_words(n, l.is_en()).unwrap_or_default();
                if k == EventKind::Rate {
                    format!("{sep}{r}")
                } else {
                    tr!(l, "（评价：{r}）", " (rated {r})")
                }
            }
            (_, Some(n)) => format!("{sep}{}", esc(&excerpt(n, 300))),
            (_, None) => String::new(),
        };
        t.push_str(&format!("\n{} {actor} {what}{note}", when(ctx, e.at)));
    }
    let buttons = if ctx.actor.may(Action::Operate(&case.node)).is_ok() {
        case.status
            .next_steps_for(case.category)
            .into_iter()
            .filter(|s| *s != Step::Assign)
            .map(|s| {
                (
                    step_name(l, s).to_string(),
                    format!("c:s:{}:{}", case.id.0, s.key()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows: Vec<Vec<(String, String)>> = buttons.chunks(3).map(|c| c.to_vec()).collect();
    Ok((t, keyboard(&rows)))
}

/// `/help <id>`: the commands for the steps that fit this case now (its
/// status and its category), for staff who may take them.
pub async fn help_for(ctx: &mut Ctx, conn: &mut Conn, id: CaseId) -> Outcome {
    let l = ctx.locale;
    let case = load(ctx, conn, id).await?;
    may_view(ctx, &case)?;
    let mut t = tr!(
        l,
        "<b>{} 现在可以</b>（{} · {}）",
        "<b>What {} allows now</b> ({}, {})",
        case.id,
        category_name(l, case.category),
        status_name(l, case.status)
    );
    if ctx.actor.may(Action::Operate(&case.node)).is_ok() {
        let mut steps = case.status.next_steps_for(case.category);
        if case.status.is_open() && !steps.contains(&Step::Start) {
            steps.push(Step::Start); // `/update` while the work goes on
        }
        for s in steps {
            let spec = command::spec(super::handling::step_command(s)).expect("in table");
            t.push_str(&format!("\n{} — {}", esc(&spec.usage(l)), spec.about(l)));
        }
        for name in ["note", "case"] {
            let spec = command::spec(name).expect("in table");
            t.push_str(&format!("\n{} — {}", esc(&spec.usage(l)), spec.about(l)));
        }
    } else {
        t.push_str(&tr!(
            l,
            "\n您可以查看（/case {}），办理由 {} 的工作人员负责。",
            "\nYou may view it (/case {}); the staff of {} handle it.",
            case.id.0,
            case.node
        ));
    }
    Ok(t)
}

fn line(ctx: &Ctx, case: &Case) -> String {
    let l = ctx.locale;
    let late = if case.overdue(ctx.now) {
        tr!(l, " ⏰已超期", " ⏰overdue")
    } else {
        String::new()
    };
    let sup = if case.supervised { " 🔴" } else { "" };
    format!(
        "<b>{}</b> {} · {} · {}{late}{sup}\n   {}",
        case.id,
        category_name(l, case.category),
        status_name(l, case.status),
        case.node,
        esc(&excerpt(&case.text, 40))
    )
}

/// `/cases [open|overdue|mine|all] [code]`
pub async fn list(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("cases").expect("in table");
    if !ctx.actor.is_staff() {
        return Err(UserError::Refused(tr!(
            l,
            "这是工作人员的命令；您的事项请用 /mycases。",
            "This command is for staff; for your own cases send /mycases."
        )));
    }
    let mut filter = Filter::Open;
    let mut code = None;
    for w in args.split_whitespace() {
        match w.to_lowercase().as_str() {
            "open" | "待办" => filter = Filter::Open,
            "overdue" | "超期" => filter = Filter::Overdue,
            "mine" | "我的" => filter = Filter::Mine(ctx.sender.id),
            "all" | "全部" => filter = Filter::All,
            _ if code.is_none() => code = Some(ctx.parse_code(spec, w)?),
            _ => return Err(ctx.usage(spec, tr!(l, "参数太多。", "Too many arguments."))),
        }
    }
    let code = match code {
        Some(c) => c,
        None => ctx.default_scope(conn, spec).await?,
    };
    ctx.require(Action::View(&code))?;
    let found = cases::in_scope(conn, &code, filter, ctx.now, 50).await?;
    if found.is_empty() {
        return Ok(tr!(
            l,
            "{code} 范围内没有符合条件的事项。",
            "No matching cases in {code}."
        ));
    }
    let mut t = tr!(
        l,
        "<b>{code} 的事项</b>（{} 件，超期在前）",
        "<b>Cases in {code}</b> ({}, overdue first)",
        found.len()
    );
    for c in &found {
        t.push('\n');
        t.push_str(&line(ctx, c));
    }
    t.push_str(&tr!(
        l,
        "\n\n发送 /case 编号 查看详情。",
        "\n\nSend /case &lt;id&gt; for details."
    ));
    Ok(t)
}

/// `/mycases`: the sender's own cases, with the latest note told to them.
pub async fn mine(ctx: &mut Ctx, conn: &mut Conn, _args: &str) -> Outcome {
    let l = ctx.locale;
    let found = cases::by_reporter(conn, ctx.sender.id, 20).await?;
    if found.is_empty() {
        return Ok(tr!(
            l,
            "您还没有反映过事项。发送 /report 反映问题。",
            "You have not reported anything yet. Send /report to raise a matter."
        ));
    }
    let mut t = tr!(l, "<b>您反映的事项</b>", "<b>Your cases</b>");
    for c in &found {
        t.push_str(&format!(
            "\n<b>{}</b> {} · {} — {}",
            c.id,
            category_name(l, c.category),
            status_name(l, c.status),
            esc(&excerpt(&c.text, 30))
        ));
        let latest = cases::events(conn, c.id)
            .await?
            .into_iter()
            .rev()
            .find(|e| {
                e.note.is_some()
                    && e.actor_id != Some(c.reporter_id)
                    && EventKind::parse(&e.kind)
                        .is_some_and(|k| !k.is_internal() && k != EventKind::Step(Step::Assign))
            });
        if let Some(n) = latest.and_then(|e| e.note) {
            t.push_str(&format!("\n   💬 {}", esc(&excerpt(&n, 80))));
        }
    }
    Ok(t)
}
