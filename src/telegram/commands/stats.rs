//! `/stats [period] [code]` and `/export [period] [code] [csv]`: the figures of
//! a subtree for staff in scope, as a reply or as a workbook.

use crate::domain::period::{Period, PeriodError};
use crate::domain::{Action, NodeCode};
use crate::i18n::esc;
use crate::stats::gather;
use crate::stats::render::{Names, stats_text};
use crate::store::outbox::Outgoing;
use crate::store::{Conn, nodes};
use crate::telegram::command::{self, CommandSpec};
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

/// The periods one may write, for refusals.
pub fn periods_hint(l: crate::i18n::Locale) -> String {
    tr!(
        l,
        "期间可写：今天、昨天、本周、上周、本旬、上一旬、本月、上月，或 2024-05、2024-05-01、2024-05-01..2024-05-10。",
        "A period is one of: today, yesterday, this-week, last-week, this-xun, last-xun, this-month, last-month, or 2024-05, 2024-05-01, 2024-05-01..2024-05-10."
    )
}

struct Request {
    period: Option<Period>,
    code: Option<NodeCode>,
    csv: bool,
}

/// Reads the arguments in any order: a period, a node code, `csv`.
fn parse(
    ctx: &Ctx,
    spec: &'static CommandSpec,
    args: &str,
    allow_csv: bool,
) -> Result<Request, UserError> {
    let l = ctx.locale;
    let mut req = Request {
        period: None,
        code: None,
        csv: false,
    };
    for word in args.split_whitespace() {
        if allow_csv && word.eq_ignore_ascii_case("csv") && !req.csv {
            req.csv = true;
            continue;
        }
        match Period::parse(word, ctx.app.settings.tz, ctx.now) {
            Ok(p) if req.period.is_none() => {
                req.period = Some(p);
                continue;
            }
            Ok(_) => {
                return Err(ctx.usage(
                    spec,
                    tr!(
                        l,
                        "只需一个期间（多了「{}」）。",
                        "Give one period only (“{}” is one too many).",
                        esc(word)
                    ),
                ));
            }
            Err(PeriodError::Backwards) => {
                return Err(ctx.usage(
                    spec,
                    tr!(
                        l,
                        "结束日期早于开始日期。",
                        "The end date is before the start date."
                    ),
                ));
            }
            Err(PeriodError::OutOfRange) => {
                return Err(ctx.usage(
                    spec,
                    tr!(
                        l,
                        "只能查询 2000 年至 2100 年之间的日期（「{}」不在其中）。",
                        "Dates are taken from 2000 to 2100 (“{}” is not).",
                        esc(word)
                    ),
                ));
            }
            Err(PeriodError::TooLong) => {
                return Err(ctx.usage(
                    spec,
                    tr!(
                        l,
                        "时间段最长 366 天。",
                        "A span may cover at most 366 days."
                    ),
                ));
            }
            _ => {}
        }
        match NodeCode::parse(word) {
            Ok(code) if req.code.is_none() => req.code = Some(code),
            _ => {
                let hint = periods_hint(l);
                return Err(ctx.usage(
                    spec,
                    tr!(
                        l,
                        "看不懂「{}」。{hint}节点写编码（如 xq.hmk）。",
                        "I don't understand “{}”. {hint} A node is its code (like xq.hmk).",
                        esc(word)
                    ),
                ));
            }
        }
    }
    Ok(req)
}

async fn scope(
    ctx: &Ctx,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    code: Option<NodeCode>,
) -> Result<(NodeCode, Names), UserError> {
    let code = match code {
        Some(c) => {
            // A word that is neither a period nor a node (`lastmonth`) is
            // refused as both, before any question of permission: it names
            // no node to be refused for.
            if !nodes::exists(conn, &c).await? {
                let hint = periods_hint(ctx.locale);
                return Err(ctx.usage(
                    spec,
                    tr!(
                        ctx.locale,
                        "看不懂「{c}」：没有这个期间，也没有节点 {c}（发送 /tree 查看节点）。{hint}",
                        "I don't understand “{c}”: it is not a period, and there is no node {c} (send /tree to see the nodes). {hint}"
                    ),
                ));
            }
            c
        }
        None => ctx.default_scope(conn, spec).await?,
    };
    ctx.require(Action::View(&code))?;
    let names = nodes::subtree(conn, &code)
        .await?
        .into_iter()
        .map(|n| (n.code, n.name))
        .collect();
    Ok((code, names))
}

pub async fn stats(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let spec = command::spec("stats").expect("in table");
    let req = parse(ctx, spec, args, false)?;
    let (code, names) = scope(ctx, conn, spec, req.code).await?;
    let tz = ctx.app.settings.tz;
    let period = req.period.unwrap_or_else(|| {
        Period::containing(crate::domain::period::PeriodKind::Month, tz, ctx.now)
    });
    let report = gather(ctx.app.stats.as_ref(), &code, period, tz, ctx.now).await?;
    let mut text = stats_text(ctx.locale, &report.figures, &report.previous, &names);
    text.push_str(&tr!(
        ctx.locale,
        "\n\n各项指标的含义：/help stats",
        "\n\nWhat the figures mean: /help stats"
    ));
    Ok(text)
}

pub async fn export(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("export").expect("in table");
    let req = parse(ctx, spec, args, true)?;
    let (code, names) = scope(ctx, conn, spec, req.code).await?;
    let tz = ctx.app.settings.tz;
    let period = req.period.unwrap_or_else(|| {
        Period::containing(crate::domain::period::PeriodKind::Month, tz, ctx.now)
    });
    let file = crate::stats::export_file(
        ctx.app.stats.as_ref(),
        l,
        (&code, &names),
        period,
        tz,
        ctx.now,
        req.csv,
    )
    .await?;
    let (name, bytes, count) = (file.name, file.bytes, file.cases);
    let note = crate::stats::render::skipped_note(l, &file.skipped);
    let caption = tr!(
        l,
        "{} {} 共 {} 件{note}",
        "{} {}: {} cases{note}",
        code,
        period.label(),
        count
    );
    ctx.out.push(
        Outgoing::document(ctx.chat_id, name, bytes, caption).replying_to(Some(ctx.message_id)),
    );
    Ok(tr!(
        l,
        "正在发送 {code} {} 的导出文件（{} 件案件）。",
        "Sending the export of {code} for {} ({} cases).",
        period.label(),
        count
    ))
}
