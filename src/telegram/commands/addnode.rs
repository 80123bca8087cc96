//! `/addnode <parent-code|-> <code> <name>`: add a child node.
//!
//! The code is written in full and must extend the parent's by one segment,
//! so the level follows from the parent and can never exceed four.

use crate::domain::node::{CodeError, parse_node_name};
use crate::domain::{Action, NodeCode};
use crate::i18n::esc;
use crate::store::{Conn, nodes};
use crate::telegram::command;
use crate::telegram::context::{Ctx, Outcome};
use crate::tr;

pub async fn run(ctx: &mut Ctx, conn: &mut Conn, args: &str) -> Outcome {
    let l = ctx.locale;
    let spec = command::spec("addnode").expect("in table");
    let mut words = args
        .splitn(3, char::is_whitespace)
        .map(str::trim)
        .filter(|w| !w.is_empty());
    let (Some(parent_raw), Some(code_raw), Some(name_raw)) =
        (words.next(), words.next(), words.next())
    else {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "需要上级编码、新编码和名称。",
                "I need the parent code, the new code and a name."
            ),
        ));
    };
    let parent = if parent_raw == "-" {
        None
    } else {
        Some(ctx.parse_code(spec, parent_raw)?)
    };
    let code = NodeCode::parse(code_raw).map_err(|e| match e {
        CodeError::TooDeep => ctx.refuse(tr!(
            l,
            "网格是最低一级（共四级），不能再往下添加。",
            "A grid is the fourth and lowest level; nothing can be added below it."
        )),
        _ => ctx.usage(
            spec,
            tr!(
                l,
                "「{}」不是有效的节点编码（如 xq.hmk.c1）。",
                "“{}” is not a node code (like xq.hmk.c1).",
                esc(code_raw)
            ),
        ),
    })?;
    if code.parent() != parent {
        let example = match &parent {
            Some(p) => format!("{p}.c1"),
            None => "xq".to_string(),
        };
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "编码必须在上级编码后加一段，例如 {example}。",
                "The code must be the parent's code plus one segment, e.g. {example}."
            ),
        ));
    }
    let Some(name) = parse_node_name(name_raw) else {
        return Err(ctx.usage(
            spec,
            tr!(
                l,
                "名称不能超过 64 个字，也不能换行。",
                "The name must be one line of at most 64 characters."
            ),
        ));
    };
    ctx.require(Action::AddChild(parent.as_ref()))?;
    let parent_node = match &parent {
        Some(p) => Some(ctx.node(conn, p).await?),
        None => None,
    };
    if !nodes::insert(conn, &code, &name, ctx.now).await? {
        return Err(ctx.refuse(tr!(
            l,
            "编码 {code} 已被使用。",
            "The code {code} is already taken."
        )));
    }
    let (new_name, level) = (esc(&name), l.level(code.level()));
    Ok(match parent_node {
        Some(p) => {
            let parent_name = esc(&p.name);
            tr!(
                l,
                "已在 {parent_name} 下新增{level} <b>{new_name}</b>（{code}）。",
                "Added the {level} <b>{new_name}</b> ({code}) under {parent_name}."
            )
        }
        None => tr!(
            l,
            "已创建区 <b>{new_name}</b>（{code}）。",
            "Created the district <b>{new_name}</b> ({code})."
        ),
    })
}
