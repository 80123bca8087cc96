//! `/tree [code]`: the subtree, with which nodes have a bound group.

use std::collections::HashMap;

use crate::domain::{Action, Level};
use crate::i18n::esc;
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
    let bound: HashMap<String, bool> = groups::bound_in(conn, &code)
        .await?
        .into_iter()
        .filter_map(|g| g.node.map(|n| (n.as_str().to_string(), g.active)))
        .collect();
    let base = code.level().depth();
    let mut text = String::new();
    for node in &subtree {
        let mark = match bound.get(node.code.as_str()) {
            Some(true) => "✅",
            Some(false) => "⚠️",
            None => "▫️",
        };
        let icon = match node.level() {
            Level::District => "🏛",
            Level::Town => "🏙",
            Level::Community => "🏘",
            Level::Grid => "🏠",
        };
        let indent = "　".repeat(node.level().depth() - base);
        text.push_str(&format!(
            "{indent}{mark}{icon} {} <code>{}</code>\n",
            esc(&node.name),
            node.code
        ));
    }
    let active = bound.values().filter(|a| **a).count();
    text.push_str(&tr!(
        l,
        "\n共 {} 个节点，已绑定群组 {active} 个。✅ 已绑定 · ⚠️ 机器人已被移出 · ▫️ 未绑定",
        "\n{} nodes, {active} with a bound group. ✅ bound · ⚠️ bot removed · ▫️ not bound",
        subtree.len()
    ));
    Ok(text)
}
