//! `/start [join_<code>]`: greeting, and linking a resident to their grid.

use crate::domain::{Level, NodeCode};
use crate::i18n::esc;
use crate::store::{Conn, people};
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    if !ctx.in_private() {
        return Err(ctx.refuse(tr!(
            l,
            "请私聊我发送 /start。",
            "Send /start to me in a private chat."
        )));
    }
    let name = ctx.sender.label();
    if let Some(payload) = args.strip_prefix("join_") {
        let code = NodeCode::from_link_payload(payload).map_err(|_| {
            ctx.refuse(tr!(
                l,
                "这个加入链接无效，请向网格员索取新的链接。",
                "This join link is not valid; ask your grid worker for a new one."
            ))
        })?;
        let node = ctx.node(conn, &code).await?;
        if node.level() != Level::Grid {
            return Err(ctx.refuse(tr!(
                l,
                "{}（{code}）不是网格，只能加入网格。",
                "{} ({code}) is not a grid; you can only join a grid.",
                esc(&node.name)
            )));
        }
        people::set_grid(conn, ctx.sender.id, &code).await?;
        return Ok(tr!(
            l,
            "{name}，欢迎！您已加入 <b>{}</b>（{code}）。\n可以在这里向网格员反映问题。发送 /help 查看可用命令。",
            "Welcome, {name}! You have joined <b>{}</b> ({code}).\nYou can raise matters with your grid staff here. Send /help to see what you can do.",
            esc(&node.name)
        ));
    }
    if !args.is_empty() {
        return Err(ctx.refuse(tr!(
            l,
            "无法识别的链接参数，请向网格员索取新的链接。",
            "I do not recognise this link; ask your grid worker for a new one."
        )));
    }
    Ok(tr!(
        l,
        "{name}，您好！我是平安机器人，服务社区平安建设：接收平安提示、反映问题、查询办理进度。\n发送 /help 查看可用命令。",
        "Hello {name}! I am the pingan bot for community safety: safety alerts, raising matters, and following them up.\nSend /help to see what you can do."
    ))
}
