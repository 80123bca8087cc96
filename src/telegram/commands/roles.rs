//! `/grant <user> <role> [code] [backup]` and `/revoke <user> <role> [code]`.
//!
//! The user may be left out when the command replies to their message. The
//! code defaults to the node this group is bound to.

use crate::domain::{Action, Grant, NodeCode, Post, Role};
use crate::i18n::esc;
use crate::store::outbox::Outgoing;
use crate::store::{Conn, people};
use crate::telegram::command::{self, CommandSpec};
use crate::telegram::context::{Ctx, Outcome, Person, UserError};
use crate::tr;

struct RoleArgs {
    person: Person,
    role: Role,
    code: NodeCode,
    post: Post,
}

fn looks_like_user(word: &str) -> bool {
    word.starts_with('@') || word.parse::<i64>().is_ok()
}

fn is_backup_word(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "backup" | "b" | "b岗" | "备岗"
    )
}

async fn parse(
    ctx: &Ctx,
    conn: &mut Conn,
    spec: &'static CommandSpec,
    args: &str,
    allow_backup: bool,
) -> Result<RoleArgs, UserError> {
    let l = ctx.locale;
    let mut words: Vec<&str> = args.split_whitespace().collect();
    let person = match (words.first(), &ctx.replied) {
        (Some(w), _) if looks_like_user(w) => {
            let p = ctx.resolve_person(conn, w).await?;
            words.remove(0);
            p
        }
        (_, Some(replied)) => replied.clone(),
        (Some(w), None) => {
            return Err(ctx
                .resolve_person(conn, w)
                .await
                .err()
                .unwrap_or_else(|| ctx.usage(spec, String::new())));
        }
        (None, None) => {
            return Err(ctx.usage(
                spec,
                tr!(l, "请指明用户和角色。", "Name the user and the role."),
            ));
        }
    };
    let Some(role_word) = words.first().copied() else {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "请写出角色：admin、worker、police、mediator 或 volunteer。",
                "Name the role: admin, worker, police, mediator or volunteer."
            ),
        ));
    };
    let role = Role::parse(role_word).ok_or_else(|| {
        ctx.usage(
            spec,
            tr!(
                l,
                "没有「{}」这个角色。角色有：admin 管理员、worker 网格员、police 民警、mediator 调解员、volunteer 志愿者。",
                "There is no role “{}”. Roles: admin, worker, police, mediator, volunteer.",
                esc(role_word)
            ),
        )
    })?;
    let mut rest = &words[1..];
    let mut post = Post::A;
    if allow_backup && rest.last().is_some_and(|w| is_backup_word(w)) {
        post = Post::B;
        rest = &rest[..rest.len() - 1];
    }
    let code = match rest {
        [] => ctx.here().cloned().ok_or_else(|| {
            let problem = if ctx.group.is_some() {
                tr!(
                    l,
                    "本群未绑定节点，请写出节点编码。",
                    "This group is not bound to a node; name the node code."
                )
            } else {
                tr!(
                    l,
                    "在私聊里请写出节点编码。",
                    "In a private chat, name the node code."
                )
            };
            ctx.usage(spec, problem)
        })?,
        [raw] => ctx.parse_code(spec, raw)?,
        _ => return Err(ctx.usage(spec, tr!(l, "参数太多。", "Too many arguments."))),
    };
    Ok(RoleArgs {
        person,
        role,
        code,
        post,
    })
}

pub async fn grant(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("grant").expect("in table");
    let a = parse(ctx, conn, spec, args, true).await?;
    ctx.require(Action::ManageRoles(&a.code))?;
    let node = ctx.node(conn, &a.code).await?;
    if people::get(conn, a.person.id).await?.is_none() {
        people::known_by_import(conn, a.person.id, None, None, ctx.now).await?;
    }
    let g = Grant {
        code: a.code.clone(),
        role: a.role,
        post: a.post,
    };
    people::grant_role(conn, a.person.id, &g, Some(ctx.sender.id), ctx.now).await?;
    let (who, role, post, node_name, code) = (
        a.person.label(),
        l.role(a.role),
        l.post(a.post),
        esc(&node.name),
        &a.code,
    );
    if a.person.id != ctx.sender.id
        && people::get(conn, a.person.id)
            .await?
            .is_some_and(|u| u.private_chat)
    {
        ctx.out.push(Outgoing::text(
            a.person.id,
            tr!(
                l,
                "您已被授予 {node_name}（{code}）的{role}（{post}）角色。发送 /help 查看可用命令。",
                "You are now {role} ({post}) of {node_name} ({code}). Send /help to see what you can do."
            ),
        ));
    }
    Ok(tr!(
        l,
        "✅ 已授予 {who} {node_name}（{code}）的{role}（{post}）角色。",
        "✅ {who} is now {role} ({post}) of {node_name} ({code})."
    ))
}

pub async fn revoke(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("revoke").expect("in table");
    let a = parse(ctx, conn, spec, args, false).await?;
    ctx.require(Action::ManageRoles(&a.code))?;
    ctx.node(conn, &a.code).await?;
    let (who, role, code) = (a.person.label(), l.role(a.role), &a.code);
    if !people::revoke_role(conn, a.person.id, &a.code, a.role).await? {
        return Err(ctx.refuse(tr!(
            l,
            "{who} 在 {code} 没有{role}角色。",
            "{who} does not hold the role {role} on {code}."
        )));
    }
    Ok(tr!(
        l,
        "已撤销 {who} 在 {code} 的{role}角色。",
        "{who} no longer holds the role {role} on {code}."
    ))
}
