//! `/staff [code]`: who holds which role, A and B posts.

use crate::domain::{Action, NodeCode};
use crate::i18n::Locale;
use crate::i18n::esc;
use crate::store::{Conn, nodes, people};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, Person};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("staff").expect("in table");
    let code = ctx.scope_arg(conn, spec, args).await?;
    // Staff may also see who serves the nodes above them (whom to call),
    // though not the rest of those nodes' subtrees.
    let above_own = ctx.actor.grants.iter().any(|g| g.code.is_within(&code));
    if above_own && ctx.require(Action::View(&code)).is_err() {
        let root = ctx.node(conn, &code).await?;
        let entries: Vec<_> = people::staff_in(conn, &code)
            .await?
            .into_iter()
            .filter(|e| e.grant.code == code)
            .collect();
        return Ok(render(l, conn, &root.name, &code, &entries).await?);
    }
    ctx.require(Action::View(&code))?;
    let root = ctx.node(conn, &code).await?;
    let entries = people::staff_in(conn, &code).await?;
    Ok(render(l, conn, &root.name, &code, &entries).await?)
}

/// The staff list of `entries` (people on `code` and below, by node).
async fn render(
    l: Locale,
    conn: &mut Conn,
    root_name: &str,
    code: &NodeCode,
    entries: &[people::StaffEntry],
) -> sqlx::Result<String> {
    if entries.is_empty() {
        return Ok(tr!(
            l,
            "{} {code} 及下级暂无工作人员。",
            "No staff on {} {code} or below.",
            esc(root_name)
        ));
    }
    let mut text = tr!(
        l,
        "<b>{} 工作人员</b>",
        "<b>Staff of {}</b>",
        esc(root_name)
    );
    let mut current = None;
    for e in entries {
        if current.as_ref() != Some(&e.grant.code) {
            let name = nodes::get(conn, &e.grant.code)
                .await?
                .map(|n| n.name)
                .unwrap_or_default();
            text.push_str(&format!(
                "\n\n<b>{}</b> <code>{}</code>",
                esc(&name),
                e.grant.code
            ));
            current = Some(e.grant.code.clone());
        }
        let who = Person {
            id: e.user_id,
            name: e.name.clone(),
            username: e.username.clone(),
        };
        let handle = e
            .username
            .as_ref()
            .map(|u| format!(" @{}", esc(u)))
            .unwrap_or_default();
        text.push_str(&tr!(
            l,
            "\n• {}（{}）：{}{handle}",
            "\n• {} ({}): {}{handle}",
            l.role(e.grant.role),
            l.post(e.grant.post),
            who.label()
        ));
    }
    Ok(text)
}
