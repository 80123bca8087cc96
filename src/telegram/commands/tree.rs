//! `/tree [code]`: the subtree, with which nodes have a bound group, and
//! where the bot may not pin (so severe alerts are not pinned there).

use std::collections::HashMap;

use crate::domain::{Action, Level};
use crate::i18n::Locale;
use crate::i18n::esc;
use crate::store::groups::GroupChat;
use crate::store::{Conn, groups, nodes};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("tree").expect("in table");
    let code = ctx.scope_arg(conn, spec, args).await?;
    ctx.require(Action::View(&code))?;
    ctx.node(conn, &code).await?;
    let subtree = nodes::subtree(conn, &code).await?;
    let bound: HashMap<String, GroupChat> = groups::bound_in(conn, &code)
        .await?
        .into_iter()
        .filter_map(|g| g.node.clone().map(|n| (n.as_str().to_string(), g)))
        .collect();
    let base = code.level().depth();
    let mut text = String::new();
    for node in &subtree {
        let group = bound.get(node.code.as_str());
        let mark = match group {
            Some(g) if g.active => "✅",
            Some(_) => "⚠️",
            None => "▫️",
        };
        let rights = group
            .filter(|g| g.active)
            .and_then(|g| rights_note(l, g))
            .unwrap_or_default();
        let icon = match node.level() {
            Level::District => "🏛",
            Level::Town => "🏙",
            Level::Community => "🏘",
            Level::Grid => "🏠",
        };
        let indent = "　".repeat(node.level().depth() - base);
        text.push_str(&format!(
            "{indent}{mark}{icon} {} <code>{}</code>{rights}\n",
            esc(&node.name),
            node.code
        ));
    }
    let active = bound.values().filter(|g| g.active).count();
    text.push_str(&tr!(
        l,
        "\n共 {} 个节点，已绑定群组 {active} 个。✅ 已绑定 · ⚠️ 机器人已被移出 · ▫️ 未绑定",
        "\n{} nodes, {active} with a bound group. ✅ bound · ⚠️ bot removed · ▫️ not bound",
        subtree.len()
    ));
    let unpinned = bound
        .values()
        .filter(|g| g.active && !g.pins_alerts())
        .count();
    if unpinned > 0 {
        text.push_str(&tr!(
            l,
            "\n🚫📌 {unpinned} 个群不能置顶严重提示：请把机器人设为管理员并给予“置顶消息”权限。",
            "\n🚫📌 severe alerts cannot be pinned in {unpinned} groups: make the bot an administrator with the “Pin messages” right."
        ));
    }
    Ok(text)
}

/// ` 🚫📌 机器人不是管理员` where the bot may not pin (nothing where it may,
/// or where its rights are not known yet).
fn rights_note(l: Locale, g: &GroupChat) -> Option<String> {
    if g.pins_alerts() {
        return None;
    }
    let admin = g.bot_status.is_some_and(|s| s.is_admin());
    Some(if admin {
        tr!(l, " 🚫📌 机器人无置顶权限", " 🚫📌 bot may not pin")
    } else {
        tr!(
            l,
            " 🚫📌 机器人不是管理员",
            " 🚫📌 bot is not an administrator"
        )
    })
}
