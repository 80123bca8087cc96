//! `/schedule <when> <alert>`, `/schedules`, `/unschedule <id>`: recurring
//! alerts from this group's node (see `alerts::schedule` for `<when>`).
//! Whoever may issue an alert here may schedule one; the creator or an
//! admin above may remove it.

use sqlx::Row;

use crate::alerts::schedule::parse_when;
use crate::domain::Action;
use crate::domain::alert::Draft;
use crate::i18n::esc;
use crate::store::Conn;
use crate::store::nodes::stored_code;
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
    let id: i64 = sqlx::query(
        "INSERT INTO alert_schedules (node_code, chat_id, creator_id, spec, cron, args, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
    )
    .bind(node.as_str())
    .bind(ctx.chat_id)
    .bind(ctx.sender.id)
    .bind(&when)
    .bind(&cron)
    .bind(&rest)
    .bind(ctx.now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
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
    let rows = sqlx::query(
        "SELECT id, node_code, spec, args FROM alert_schedules WHERE active = 1 \
         AND (node_code = $1 OR substr(node_code, 1, length($2)) = $2) ORDER BY id",
    )
    .bind(scope.as_str())
    .bind(format!("{scope}."))
    .fetch_all(&mut *conn)
    .await?;
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
        let id: i64 = r.try_get("id")?;
        let node: String = r.try_get("node_code")?;
        let when: String = r.try_get("spec")?;
        let text: String = r.try_get("args")?;
        let excerpt: String = text.chars().take(40).collect();
        s.push_str(&format!(
            "\nS{id} · {node} · {} · {}",
            esc(&when),
            esc(&excerpt)
        ));
    }
    Ok(s)
}

pub async fn remove(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("unschedule").expect("in table");
    let raw = args.trim();
    let id = raw
        .strip_prefix(['S', 's'])
        .unwrap_or(raw)
        .parse::<i64>()
        .map_err(|_| {
            ctx.usage(
                spec,
                tr!(
                    l,
                    "请写出定时提示编号（如 S3）。",
                    "Name the recurring alert (like S3)."
                ),
            )
        })?;
    let row = sqlx::query(
        "SELECT node_code, creator_id FROM alert_schedules WHERE id = $1 AND active = 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| {
        ctx.refuse(tr!(
            l,
            "没有定时提示 S{id}。",
            "There is no recurring alert S{id}."
        ))
    })?;
    let node = stored_code(row.try_get("node_code")?)?;
    let creator: i64 = row.try_get("creator_id")?;
    ctx.require(Action::Amend {
        node: &node,
        issuer: creator,
    })?;
    sqlx::query("UPDATE alert_schedules SET active = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(tr!(
        l,
        "已取消定时提示 S{id}。",
        "Recurring alert S{id} removed."
    ))
}
