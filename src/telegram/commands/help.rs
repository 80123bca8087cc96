//! `/help`: only the commands this person may use here.

use crate::domain::Role;
use crate::i18n::esc;
use crate::store::Conn;
use crate::telegram::command::{Audience, COMMANDS, CommandSpec, Place};
use crate::telegram::context::{Ctx, Outcome};
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

pub async fn run(ctx: &mut Ctx, _conn: &mut Conn, _args: &str) -> Outcome {
    let l = ctx.locale;
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
