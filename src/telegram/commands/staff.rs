//! `/staff [code]`: who holds which role, A and B posts.

use crate::domain::Action;
use crate::i18n::esc;
use crate::store::{Conn, nodes, people};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, Person};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("staff").expect("in table");
    let code = ctx.scope_arg(conn, spec, args).await?;
    ctx.require(Action::View(&code))?;
    let root = ctx.node(conn, &code).await?;
    let entries = people::staff_in(conn, &code).await?;
    if entries.is_empty() {
        return Ok(tr!(
            l,
            "{} {code} 及下级暂无工作人员。",
            "No staff on {} {code} or below.",
            esc(&root.name)
        ));
    }
    let mut text = tr!(
        l,
        "<b>{} 工作人员</b>",
        "<b>Staff of {}</b>",
        esc(&root.name)
    );
    let mut current = None;
    for e in &entries {
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
        text.push_str(&format!(
            "\n• {}（{}）：{}{handle}",
            l.role(e.grant.role),
            l.post(e.grant.post),
            who.label()
        ));
    }
    Ok(text)
}
