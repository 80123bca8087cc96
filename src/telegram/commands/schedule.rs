//! `/schedule <when> <alert>`, `/schedules`, `/unschedule <id>`: recurring
//! alerts from this group's node (see `alerts::schedule` for `<when>`).
//! Whoever may issue an alert here may schedule one; the creator or an
//! admin above may remove it.

use crate::domain::Action;
use crate::domain::alert::Draft;
use crate::domain::id::{IdWord, read_id};
use crate::i18n::{Locale, esc};
use crate::scheduler::schedule::{CronError, CronSchedule};
use crate::store::Conn;
use crate::store::schedules::{self, Schedule};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn add(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let tz = ctx.app.settings.tz;
    let spec = command::spec("schedule").expect("in table");
    let Some(node) = ctx.here().cloned() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在已绑定节点的群里发送 /schedule。",
            "Send /schedule in a group bound to a node."
        )));
    };
    let (when, rest) = CronSchedule::parse_leading(args).map_err(|e| match e {
        CronError::TooOften { .. } | CronError::NeverFires => ctx.refuse(when_error(l, &e)),
        _ => ctx.usage(spec, when_error(l, &e)),
    })?;
    Draft::parse(&rest).map_err(|e| ctx.usage(spec, crate::alerts::render::draft_error(l, &e)))?;
    ctx.require(Action::Operate(&node))?;
    let next_due = when.next_after(tz, ctx.now);
    let id = schedules::insert(
        conn,
        &Schedule {
            id: 0,
            node,
            chat_id: ctx.chat_id,
            creator: ctx.sender.id,
            spec: when.raw.clone(),
            cron: when.expr.clone(),
            args: rest,
            created_at: ctx.now,
            next_due,
        },
        ctx.now,
    )
    .await?;
    Ok(tr!(
        l,
        "✅ 已设定定时提示 S{id}（{}，{}时间），下次：{}。发送 /unschedule {id} 取消。",
        "✅ Recurring alert S{id} set ({}, {} time), next: {}. Send /unschedule {id} to remove it.",
        esc(&when.raw),
        tz,
        next_run(l, tz, next_due)
    ))
}

/// Why `<when>` was not accepted, in the user's language.
fn when_error(l: Locale, e: &CronError) -> String {
    let how = tr!(
        l,
        "请用 daily 09:00、weekly mon 09:00、monthly 1 09:00 或 cron 表达式（分 时 日 月 星期，如 0 9 * * 1 即每周一 9:00；星期 0 和 7 都是周日）。",
        "use daily 09:00, weekly mon 09:00, monthly 1 09:00 or a cron expression (minute hour day month weekday, like 0 9 * * 1 for Mondays 09:00; weekday 0 and 7 are Sunday)."
    );
    match e {
        CronError::Shape(_) | CronError::Preset(_) => {
            tr!(l, "看不懂时间：{how}", "I cannot read the time: {how}")
        }
        CronError::Field { field, value } => tr!(
            l,
            "看不懂时间：“{}”不是有效的{}字段。{how}",
            "I cannot read the time: `{}` is not a valid {} field; {how}",
            esc(value),
            if l.is_en() { field.en() } else { field.zh() }
        ),
        CronError::NeverFires => tr!(
            l,
            "这个时间永远不会到（没有这一天），未设定。",
            "That time never comes (there is no such date); nothing was set."
        ),
        CronError::TooOften { every_secs } => {
            let every = if *every_secs < 60 {
                tr!(l, "{every_secs} 秒", "{every_secs} seconds")
            } else {
                tr!(l, "{} 分钟", "{} minutes", every_secs / 60)
            };
            tr!(
                l,
                "⛔ 太频繁了：这个时间最短每 {every} 就会触发一次，定时提示至少要相隔 15 分钟，未设定。",
                "⛔ Too often: that schedule fires as often as every {every}; recurring alerts must be at least 15 minutes apart. Nothing was set."
            )
        }
    }
}

/// `2026-11-30 09:00 周一` in the district's time zone.
fn next_run(l: Locale, tz: chrono_tz::Tz, at: Option<i64>) -> String {
    use chrono::Datelike;
    let Some(t) = at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)) else {
        return tr!(l, "无", "none");
    };
    let t = t.with_timezone(&tz);
    let day = t.weekday().num_days_from_sunday() as usize;
    let name = if l.is_en() {
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][day]
    } else {
        ["周日", "周一", "周二", "周三", "周四", "周五", "周六"][day]
    };
    format!("{} {name}", t.format("%Y-%m-%d %H:%M"))
}

pub async fn list(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let tz = ctx.app.settings.tz;
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
        "🔁 {scope} 的定时提示（{tz}时间）：",
        "🔁 Recurring alerts in {scope} ({tz} time):"
    );
    for r in rows {
        let excerpt: String = r.args.chars().take(40).collect();
        // A row made before next_due was stored: the job fills it in at its next tick.
        let next = r.next_due.or_else(|| {
            CronSchedule::parse(&r.spec)
                .ok()
                .and_then(|c| c.next_after(tz, ctx.now))
        });
        s.push_str(&tr!(
            l,
            "\nS{} · {} · {} · 下次 {} · {}",
            "\nS{} · {} · {} · next {} · {}",
            r.id,
            r.node,
            esc(&r.spec),
            next_run(l, tz, next),
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
