//! `/schedule <when> <alert>`, `/schedules`, `/unschedule <id>`: recurring
//! alerts from this group's node (see `alerts::schedule` for `<when>`).
//! Whoever may issue an alert here may schedule one; the creator or an
//! admin above may remove it.

use crate::alerts::schedule::parse_when;
use crate::domain::Action;
use crate::domain::alert::Draft;
use crate::domain::id::{IdWord, read_id};
use crate::i18n::esc;
use crate::store::Conn;
use crate::store::schedules::{self, Schedule};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn add(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("schedule").expect("in table");
    let Some(node) = ctx.here().cloned() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在已绑定节点的群里发送 /schedule。",
            "Send /schedule in a group bound to a node."
        )));
    };
    let (cron, rest) = parse_when(args).ok_or_else(|| {
        ctx.usage(
            spec,
            tr!(
                l,
                "看不懂时间：请用 daily 09:00、weekly mon 09:00、monthly 1 09:00 或 cron 表达式（如 0 9 * * 1）。",
                "I cannot read the time: use daily 09:00, weekly mon 09:00, monthly 1 09:00 or a cron expression (like 0 9 * * 1)."
            ),
        )
    })?;
    Draft::parse(&rest).map_err(|e| ctx.usage(spec, crate::alerts::render::draft_error(l, &e)))?;
    ctx.require(Action::Operate(&node))?;
    let when = args
        .strip_suffix(rest.as_str())
        .map(str::trim)
        .unwrap_or(&cron)
        .to_string();
    let id = schedules::insert(
        conn,
        &Schedule {
            id: 0,
            node,
            chat_id: ctx.chat_id,
            creator: ctx.sender.id,
            spec: when.clone(),
            cron,
            args: rest,
            created_at: ctx.now,
        },
        ctx.now,
    )
    .await?;
    Ok(tr!(
        l,
        "✅ 已设定定时提示 S{id}（{}，{}时间）。发送 /unschedule {id} 取消。",
        "✅ Recurring alert S{id} set ({}, {} time). Send /unschedule {id} to remove it.",
        esc(&when),
        ctx.app.settings.tz
    ))
}

pub async fn list(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("schedules").expect("in table");
    if !args.is_empty() {
        return Err(ctx.usage(spec, String::new()));
    }
    let scope = ctx.default_scope(conn, spec).await?;
    ctx.require(Action::View(&scope))?;
    let rows = schedules::active_within(conn, &scope).await?;
    if rows.is_empty() {
        return Ok(tr!(
            l,
            "{scope} 范围内没有定时提示。",
            "No recurring alerts in {scope}."
        ));
    }
    let mut s = tr!(
        l,
        "🔁 {scope} 的定时提示：",
        "🔁 Recurring alerts in {scope}:"
    );
    for r in rows {
        let excerpt: String = r.args.chars().take(40).collect();
        s.push_str(&format!(
            "\nS{} · {} · {} · {}",
            r.id,
            r.node,
            esc(&r.spec),
            esc(&excerpt)
        ));
    }
    Ok(s)
}

pub async fn remove(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("unschedule").expect("in table");
    let raw = args.trim();
    let no_such = |shown: &str| {
        ctx.refuse(tr!(
            l,
            "没有定时提示 {shown}。",
            "There is no recurring alert {shown}."
        ))
    };
    let id = match read_id(raw, &['S', 's']) {
        IdWord::Id(n) => n,
        IdWord::Beyond => {
            let digits = raw.trim_start_matches(['S', 's']);
            return Err(no_such(&format!("S{}", esc(digits))));
        }
        IdWord::NotAnId => {
            return Err(ctx.usage(
                spec,
                tr!(
                    l,
                    "请写出定时提示编号（如 S3）。",
                    "Name the recurring alert (like S3)."
                ),
            ));
        }
    };
    let found = schedules::get_active(conn, id)
        .await?
        .ok_or_else(|| no_such(&format!("S{id}")))?;
    ctx.require(Action::Amend {
        node: &found.node,
        issuer: found.creator,
    })?;
    schedules::deactivate(conn, id).await?;
    Ok(tr!(
        l,
        "已取消定时提示 S{id}。",
        "Recurring alert S{id} removed."
    ))
}
