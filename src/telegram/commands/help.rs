//! `/help`: only the commands this person may use here.

use crate::cases;
use crate::domain::Role;
use crate::domain::case::CaseId;
use crate::i18n::esc;
use crate::store::Conn;
use crate::telegram::command::{Audience, COMMANDS, CommandSpec, Place};
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

/// Whether `/help` should offer this command to this person in this chat.
pub fn offered(ctx: &Ctx, spec: &CommandSpec) -> bool {
    let allowed = match spec.audience {
        Audience::Everyone => true,
        Audience::Staff => ctx.actor.is_staff(),
        Audience::Admin => {
            ctx.actor.superadmin || ctx.actor.grants.iter().any(|g| g.role == Role::Admin)
        }
    };
    let here = match spec.place {
        Place::Anywhere => true,
        Place::Private => ctx.in_private(),
        Place::Group => !ctx.in_private(),
    };
    allowed && here
}

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    if matches!(
        args.trim().to_lowercase().as_str(),
        "stats" | "/stats" | "统计"
    ) {
        return Ok(stats_figures(l));
    }
    if let Some(id) = case_named(ctx, args)? {
        return cases::card::help_for(ctx, conn, id).await;
    }
    let mut text = tr!(l, "<b>可用命令</b>", "<b>Commands you can use here</b>");
    for spec in COMMANDS.iter().filter(|s| offered(ctx, s)) {
        text.push_str(&format!("\n{} — {}", esc(&spec.usage(l)), spec.about(l)));
    }
    if !ctx.actor.is_staff() {
        text.push_str(&tr!(
            l,
            "\n\n工作人员的命令在获得角色后显示。",
            "\n\nStaff commands appear once you hold a role."
        ));
    }
    Ok(text)
}

/// `/help <id>` (or `/help` replying to a message about a case), from staff:
/// the case's steps possible now.
fn case_named(ctx: &Ctx, args: &str) -> Result<Option<CaseId>, UserError> {
    if !ctx.actor.is_staff() {
        return Ok(None);
    }
    match args.split_whitespace().next() {
        Some(w) => cases::read_case_id(ctx, w),
        None => Ok(ctx.replied_text.as_deref().and_then(CaseId::find_in)),
    }
}

/// `/help stats`: what each figure of `/stats` and the reports counts, and
/// on which date (see `domain::stats::figures`).
pub fn stats_figures(l: crate::i18n::Locale) -> String {
    tr!(
        l,
        "<b>统计指标的含义</b>\n\
每项按它自己的日期计入：\n\
新增：本期反映的事项。\n\
已解决：本期记为已解决的事项（/resolve）。\n\
调解未成：本期记为调解未成的事项（/fail）。\n\
已办结：本期办结的事项（回访满意或基本满意后，或 /close）。\n\
在办、超期：期末（或现在）仍在办理的事项，其中已过期限的。\n\
矛盾纠纷化解成功率：本期有结果的矛盾纠纷中，已解决的比例 = 已解决 ÷（已解决 + 调解未成）。\n\
群众满意率：本期收到的全部评价中，满意与基本满意的比例 =（满意 + 基本满意）÷ 全部评价。每条评价计入给出评价的那一期；不满意的评价会让事项重办，也照样计入。\n\
回访应答率：本期已解决且已回访的事项中，反映人已评价的比例。\n\
挂牌督办：本期在办的督办事项，按期完成的件数。\n\
警情提示：本期发出的条数，送达率 = 送达的群 ÷ 应送达的群，确认率 = 按了“收到”的网格 ÷ 需要确认的网格。\n\
期间可写：今天、昨天、本周、上周、本旬、上一旬、本月、上月、2024-05、2024-05-01..2024-05-10。",
        "<b>What the figures mean</b>\n\
Each counts on its own date:\n\
new: cases reported in the period.\n\
resolved: cases marked resolved in the period (/resolve).\n\
failed: cases where mediation failed in the period (/fail).\n\
closed: cases closed in the period (after a satisfied or fairly satisfied rating, or /close).\n\
open, overdue: cases still open at the period's end (or now), and those past their deadline.\n\
Dispute mediation success: of the disputes with an outcome in the period, the share resolved = resolved ÷ (resolved + failed).\n\
Satisfaction: of all ratings given in the period, the share satisfied or fairly satisfied = (satisfied + fairly satisfied) ÷ all ratings. Each rating counts in the period it was given; a dissatisfied rating reopens its case and still counts.\n\
Follow-ups answered: of the cases resolved in the period whose reporter was asked, the share that rated.\n\
Supervised: supervised cases open in the period, and how many were done by their deadline.\n\
Alerts: how many were sent; delivered = groups reached ÷ groups targeted; acknowledged = grids that pressed Received ÷ grids asked to.\n\
Periods: today, yesterday, this-week, last-week, this-xun, last-xun, this-month, last-month, 2024-05, 2024-05-01..2024-05-10."
    )
}
