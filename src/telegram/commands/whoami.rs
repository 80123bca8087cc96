//! `/whoami`: your roles and nodes.

use crate::i18n::esc;
use crate::store::{Conn, nodes};
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, _args: &str) -> Outcome {
    let l = ctx.locale;
    let me = &ctx.sender;
    let mut text = format!("<b>{}</b> (ID <code>{}</code>", me.label(), me.id);
    if let Some(u) = &me.username {
        text.push_str(&format!(", @{}", esc(u)));
    }
    text.push(')');
    if ctx.actor.superadmin {
        text.push_str(&tr!(l, "\n超级管理员", "\nSuperadmin"));
    }
    if ctx.actor.grants.is_empty() {
        text.push_str(&tr!(l, "\n您目前没有职务。", "\nYou hold no role."));
    } else {
        text.push_str(&tr!(l, "\n角色：", "\nRoles:"));
        for g in &ctx.actor.grants {
            let name = nodes::get(conn, &g.code)
                .await?
                .map(|n| n.name)
                .unwrap_or_default();
            text.push_str(&format!(
                "\n• {}（{}）@ {} {}",
                l.role(g.role),
                l.post(g.post),
                esc(&name),
                g.code
            ));
        }
    }
    if let Some(grid) = ctx.known.grid.clone() {
        let name = nodes::get(conn, &grid)
            .await?
            .map(|n| n.name)
            .unwrap_or_default();
        text.push_str(&tr!(
            l,
            "\n所在网格：{} {grid}",
            "\nYour grid: {} {grid}",
            esc(&name)
        ));
    }
    Ok(text)
}
