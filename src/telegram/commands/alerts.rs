//! `/alerts`, `/alert_info <id>`, `/alert_edit <id> <text>`,
//! `/alert_cancel <id> [reason]`: following up an alert after it went out.

use crate::alerts::{amend, render};
use crate::domain::alert::{MAX_TEXT, read_alert_id};
use crate::domain::id::IdWord;
use crate::domain::{Action, Level};
use crate::i18n::esc;
use crate::store::alerts::{self as store, Alert};
use crate::store::{Conn, acks, alerts};
use crate::telegram::command::{self, CommandSpec};
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

fn status_word(ctx: &Ctx, a: &Alert) -> String {
    let l = ctx.locale;
    match a.status.as_str() {
        "sent" => tr!(l, "已发布", "live"),
        "cancelled" => tr!(l, "已撤销", "withdrawn"),
        "expired" => tr!(l, "已过期", "expired"),
        other => other.to_string(),
    }
}

pub async fn list(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("alerts").expect("in table");
    let scope = match args.split_whitespace().collect::<Vec<_>>().as_slice() {
        [] => ctx.default_scope(conn, spec).await?,
        [raw] => ctx.parse_code(spec, raw)?,
        _ => return Err(ctx.usage(spec, String::new())),
    };
    ctx.require(Action::View(&scope))?;
    let recent = store::recent_in(conn, &scope, 15).await?;
    if recent.is_empty() {
        return Ok(tr!(
            l,
            "{scope} 范围内还没有平安提示。",
            "No safety alerts in {scope} yet."
        ));
    }
    let mut s = tr!(
        l,
        "📣 {scope} 最近的平安提示：",
        "📣 Recent safety alerts in {scope}:"
    );
    for a in recent {
        let p = store::progress(conn, a.id).await?;
        let excerpt: String = a.text.chars().take(30).collect();
        s.push_str(&format!(
            "\n<b>{}</b> · {} · {} · {}/{} · {}",
            render::headline(l, &a),
            a.node,
            status_word(ctx, &a),
            p.sent,
            p.total(),
            esc(&excerpt)
        ));
    }
    Ok(s)
}

/// Loads the alert named by the first argument, if the sender may see it.
async fn named(
    ctx: &Ctx,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    raw: Option<&str>,
) -> Result<Alert, UserError> {
    let l = ctx.locale;
    let raw = raw.ok_or_else(|| {
        ctx.usage(
            spec,
            tr!(
                l,
                "请写出提示编号（如 A17）。",
                "Name the alert (like A17)."
            ),
        )
    })?;
    let no_such =
        |shown: &str| ctx.refuse(tr!(l, "没有提示 {shown}。", "There is no alert {shown}."));
    let id = match read_alert_id(raw) {
        IdWord::Id(n) => n,
        IdWord::Beyond => {
            let digits = raw.trim().trim_start_matches(['A', 'a']);
            return Err(no_such(&format!("A{}", esc(digits))));
        }
        IdWord::NotAnId => {
            return Err(ctx.usage(
                spec,
                tr!(
                    l,
                    "「{}」不是提示编号（如 A17）。",
                    "“{}” is not an alert id (like A17).",
                    esc(raw)
                ),
            ));
        }
    };
    let alert = store::by_number(conn, id)
        .await?
        .filter(|a| a.status != "draft" && a.status != "discarded")
        .ok_or_else(|| no_such(&format!("A{id}")))?;
    ctx.require(Action::View(&alert.node))?;
    Ok(alert)
}

pub async fn info(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("alert_info").expect("in table");
    let alert = named(ctx, conn, spec, args.split_whitespace().next()).await?;
    let ds = alerts::deliveries(conn, alert.id).await?;
    let mut s = format!(
        "📣 <b>{}</b> · {} · {}\n{}",
        render::headline(l, &alert),
        alert.node,
        status_word(ctx, &alert),
        esc(&alert.text)
    );
    if let Some(r) = &alert.cancel_reason {
        s.push_str(&tr!(l, "\n撤销原因：{}", "\nReason withdrawn: {}", esc(r)));
    }
    for lv in [Level::District, Level::Town, Level::Community, Level::Grid] {
        let at: Vec<_> = ds.iter().filter(|d| d.node.level() == lv).collect();
        if at.is_empty() {
            continue;
        }
        let n = |st: &str| at.iter().filter(|d| d.status == st).count();
        s.push_str(&tr!(
            l,
            "\n{}：已送达 {} · 失败 {} · 待发 {}",
            "\n{}: delivered {} · failed {} · pending {}",
            l.level(lv),
            n("sent"),
            n("failed"),
            n("pending")
        ));
    }
    if alert.severity.needs_ack() {
        let board = acks::board(conn, alert.id, &alert.node).await?;
        s.push_str(&crate::alerts::acks::lines(
            l,
            ctx.app.settings.tz,
            &board,
            40,
        ));
    }
    Ok(s)
}

pub async fn edit(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("alert_edit").expect("in table");
    let (raw, text) = match args.split_once(char::is_whitespace) {
        Some((raw, text)) => (Some(raw), text.trim()),
        None => (Some(args).filter(|a| !a.is_empty()), ""),
    };
    let alert = named(ctx, conn, spec, raw).await?;
    ctx.require(Action::Amend {
        node: &alert.node,
        issuer: alert.issuer_id,
    })?;
    if text.is_empty() {
        return Err(ctx.usage(spec, tr!(l, "请写出新的提示内容。", "Write the new text.")));
    }
    let n = text.chars().count();
    if n > MAX_TEXT {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "内容共 {n} 字，最多 {MAX_TEXT} 字。",
                "The text has {n} characters; at most {MAX_TEXT}."
            ),
        ));
    }
    if alert.status != "sent" {
        return Err(ctx.refuse(tr!(
            l,
            "提示 {} 已{}，不能再修改。",
            "Alert {} is {}; it can no longer be changed.",
            alert.tag(),
            status_word(ctx, &alert)
        )));
    }
    amend::edit(conn, l, ctx.app.settings.tz, &alert, text, ctx.now).await?;
    Ok(tr!(
        l,
        "✅ 已更正提示 {}：已发出的消息将被修改，未发出的将发送新内容。",
        "✅ Alert {} corrected: copies already sent are being edited, the rest go out with the new text.",
        alert.tag()
    ))
}

pub async fn cancel(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("alert_cancel").expect("in table");
    let (raw, reason) = match args.split_once(char::is_whitespace) {
        Some((raw, reason)) => (Some(raw), Some(reason.trim()).filter(|r| !r.is_empty())),
        None => (Some(args).filter(|a| !a.is_empty()), None),
    };
    let alert = named(ctx, conn, spec, raw).await?;
    ctx.require(Action::Amend {
        node: &alert.node,
        issuer: alert.issuer_id,
    })?;
    if alert.status != "sent" {
        return Err(ctx.refuse(tr!(
            l,
            "提示 {} 已{}。",
            "Alert {} is already {}.",
            alert.tag(),
            status_word(ctx, &alert)
        )));
    }
    let reason: Option<String> = reason.map(|r| r.chars().take(500).collect());
    let tz = ctx.app.settings.tz;
    amend::stop(conn, l, tz, &alert, "cancelled", reason.as_deref(), ctx.now).await?;
    Ok(tr!(
        l,
        "⛔ 已撤销提示 {}：未发出的不再发送，已发出的标记为撤销。",
        "⛔ Alert {} withdrawn: pending copies stopped, sent copies marked withdrawn.",
        alert.tag()
    ))
}
