//! `/bind <code>` and `/unbind`: tie this Telegram group to a node.
//!
//! Both need a pingan role covering the node *and* Telegram administrator
//! rights in the group (asked with `getChatMember` before the command runs),
//! so neither a group admin without a role nor staff without rights in the
//! group can take a group over.

use crate::domain::Action;
use crate::i18n::esc;
use crate::store::{Conn, groups};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome, UserError};
use crate::tr;

fn require_group_admin(ctx: &Ctx) -> Result<(), UserError> {
    let l = ctx.locale;
    match ctx.tg_admin {
        Some(true) => Ok(()),
        Some(false) => Err(ctx.refuse(tr!(
            l,
            "只有本群的 Telegram 管理员可以绑定或解绑本群。",
            "Only a Telegram administrator of this group may bind or unbind it."
        ))),
        None => Err(ctx.refuse(tr!(
            l,
            "暂时无法确认您在本群的管理员身份，请稍后再试。",
            "I could not check your administrator rights in this group; please try again shortly."
        ))),
    }
}

pub async fn bind(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("bind").expect("in table");
    let Some(group) = ctx.group.clone() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在要绑定的群组里发送 /bind。",
            "Send /bind in the group you want to bind."
        )));
    };
    let code = match args.split_whitespace().collect::<Vec<_>>().as_slice() {
        [raw] => ctx.parse_code(spec, raw)?,
        [] => return Err(ctx.usage(spec, tr!(l, "请写出节点编码。", "Name the node."))),
        _ => return Err(ctx.usage(spec, tr!(l, "只需一个节点编码。", "Give one node code."))),
    };
    ctx.require(Action::Bind(&code))?;
    let node = ctx.node(conn, &code).await?;
    require_group_admin(ctx)?;
    // Asked with getChatMember before the command ran: the record is right
    // even if a `my_chat_member` update was missed.
    if let Some(rights) = ctx.bot_rights {
        groups::set_rights(conn, group.chat_id, &group.title, rights, ctx.now).await?;
    }
    if let Some(current) = &group.node {
        if *current == code {
            return Ok(tr!(
                l,
                "本群已绑定到 {} {code}。",
                "This group is already bound to {} {code}.",
                esc(&node.name)
            ));
        }
        return Err(ctx.refuse(tr!(
            l,
            "本群已绑定到 {current}，请先发送 /unbind 解除。",
            "This group is bound to {current}; send /unbind first."
        )));
    }
    if let Some(other) = groups::by_node(conn, &code).await? {
        if other.active {
            return Err(ctx.refuse(tr!(
                l,
                "{code} 已绑定到群「{}」。请先在那个群里发送 /unbind。",
                "{code} is bound to the group “{}”. Send /unbind there first.",
                esc(&other.title)
            )));
        }
        // The bot was removed from the old group: its binding may move here.
        groups::unbind(conn, other.chat_id, ctx.now).await?;
    }
    groups::bind(conn, group.chat_id, &code, ctx.now).await?;
    let mut text = tr!(
        l,
        "✅ 本群已绑定到 <b>{}</b>（{code}，{}）。平安提示与事项进展将发到这里。",
        "✅ This group is now bound to <b>{}</b> ({code}, {}). Safety alerts and case updates will be posted here.",
        esc(&node.name),
        l.level(node.level())
    );
    if ctx.bot_rights.is_some_and(|r| !r.can_pin) {
        text.push_str(&tr!(
            l,
            "\n提示：机器人在本群不能置顶消息（不是管理员或没有置顶权限），严重提示不会在本群置顶。",
            "\nNote: the bot cannot pin messages here (it is not an administrator, or lacks the pin right), so severe alerts will not be pinned in this group."
        ));
    }
    Ok(text)
}

pub async fn unbind(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("unbind").expect("in table");
    let Some(group) = ctx.group.clone() else {
        return Err(ctx.refuse(tr!(
            l,
            "请在要解绑的群组里发送 /unbind。",
            "Send /unbind in the group you want to release."
        )));
    };
    if !args.is_empty() {
        return Err(ctx.usage(
            spec,
            tr!(l, "/unbind 不带参数。", "/unbind takes no arguments."),
        ));
    }
    let Some(code) = group.node.clone() else {
        return Err(ctx.refuse(tr!(
            l,
            "本群尚未绑定任何节点。",
            "This group is not bound to any node."
        )));
    };
    ctx.require(Action::Bind(&code))?;
    require_group_admin(ctx)?;
    groups::unbind(conn, group.chat_id, ctx.now).await?;
    Ok(tr!(
        l,
        "已解除本群与 {code} 的绑定。",
        "This group is no longer bound to {code}."
    ))
}
