//! The command table and the parsing of `/name@bot args` into a command.
//!
//! One table lists every command with its usage line and description in both
//! languages and who may use it where; `/help`, the menu registered with
//! `setMyCommands`, and every usage error are drawn from it.

use crate::i18n::Locale;

/// Who a command is for; `/help` shows a command only to those it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// Anyone holding a role.
    Staff,
    /// Admins of some node.
    Admin,
}

/// Where a command may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Private,
    Group,
    Anywhere,
}

#[derive(Debug)]
pub struct CommandSpec {
    pub name: &'static str,
    pub args_zh: &'static str,
    pub args_en: &'static str,
    pub about_zh: &'static str,
    pub about_en: &'static str,
    pub audience: Audience,
    pub place: Place,
}

impl CommandSpec {
    pub fn usage(&self, locale: Locale) -> String {
        let args = if locale.is_en() {
            self.args_en
        } else {
            self.args_zh
        };
        if args.is_empty() {
            format!("/{}", self.name)
        } else {
            format!("/{} {args}", self.name)
        }
    }

    pub fn about(&self, locale: Locale) -> &'static str {
        if locale.is_en() {
            self.about_en
        } else {
            self.about_zh
        }
    }
}

macro_rules! spec {
    ($name:literal, $args_zh:literal, $args_en:literal, $zh:literal, $en:literal, $aud:ident, $place:ident) => {
        CommandSpec {
            name: $name,
            args_zh: $args_zh,
            args_en: $args_en,
            about_zh: $zh,
            about_en: $en,
            audience: Audience::$aud,
            place: Place::$place,
        }
    };
}

pub static COMMANDS: &[CommandSpec] = &[
    spec!(
        "start",
        "",
        "",
        "开始使用，加入网格",
        "start, join your grid",
        Everyone,
        Private
    ),
    spec!(
        "help",
        "[stats]",
        "[stats]",
        "可用命令；/help stats 说明各项统计指标",
        "what you can do here; /help stats explains the figures",
        Everyone,
        Anywhere
    ),
    spec!(
        "whoami",
        "",
        "",
        "我的身份与角色",
        "your roles and nodes",
        Everyone,
        Anywhere
    ),
    spec!(
        "tree",
        "[编码]",
        "[code]",
        "查看节点树及群绑定",
        "the node tree and its bound groups",
        Staff,
        Anywhere
    ),
    spec!(
        "staff",
        "[编码]",
        "[code]",
        "查看工作人员（A/B岗）",
        "who holds which role (A/B posts)",
        Staff,
        Anywhere
    ),
    spec!(
        "bind",
        "<编码>",
        "<code>",
        "把本群绑定到节点",
        "bind this group to a node",
        Admin,
        Group
    ),
    spec!(
        "unbind",
        "",
        "",
        "解除本群绑定",
        "release this group's binding",
        Admin,
        Group
    ),
    spec!(
        "addnode",
        "<上级编码|-> <编码> <名称>",
        "<parent-code|-> <code> <name>",
        "新增下级节点",
        "add a child node",
        Admin,
        Anywhere
    ),
    spec!(
        "grant",
        "<用户> <角色> [编码] [backup]",
        "<user> <role> [code] [backup]",
        "授予角色",
        "grant a role",
        Admin,
        Anywhere
    ),
    spec!(
        "revoke",
        "<用户> <角色> [编码]",
        "<user> <role> [code]",
        "撤销角色",
        "revoke a role",
        Admin,
        Anywhere
    ),
    spec!(
        "alert",
        "[级别] [类别] [层级] [有效期] <内容>",
        "[severity] [category] [level] [expiry] <text>",
        "向本节点及下级群发布平安提示",
        "issue a safety alert to this node's groups and below",
        Staff,
        Group
    ),
    spec!(
        "alerts",
        "[编码]",
        "[code]",
        "最近的平安提示",
        "recent safety alerts",
        Staff,
        Anywhere
    ),
    spec!(
        "alert_info",
        "<编号>",
        "<id>",
        "提示送达与确认情况",
        "an alert's delivery and acknowledgements",
        Staff,
        Anywhere
    ),
    spec!(
        "alert_edit",
        "<编号> <新内容>",
        "<id> <new text>",
        "更正已发布的提示",
        "correct an alert already sent",
        Staff,
        Anywhere
    ),
    spec!(
        "alert_cancel",
        "<编号> [原因]",
        "<id> [reason]",
        "撤销提示",
        "withdraw an alert",
        Staff,
        Anywhere
    ),
    spec!(
        "schedule",
        "<时间> <提示>",
        "<when> <alert>",
        "定时提示（daily 09:00、weekly mon 09:00、monthly 1 09:00 或 cron）",
        "recurring alert (daily 09:00, weekly mon 09:00, monthly 1 09:00 or cron)",
        Staff,
        Group
    ),
    spec!(
        "schedules",
        "",
        "",
        "查看定时提示",
        "list recurring alerts",
        Staff,
        Anywhere
    ),
    spec!(
        "unschedule",
        "<编号>",
        "<id>",
        "取消定时提示",
        "remove a recurring alert",
        Staff,
        Anywhere
    ),
    spec!(
        "report",
        "[类别] <内容>",
        "[category] <text>",
        "反映问题：纠纷、隐患、建议、求助（私聊可分步、可匿名）",
        "report a matter: dispute, hazard, suggestion, help (step by step and anonymous in private)",
        Everyone,
        Anywhere
    ),
    spec!(
        "mycases",
        "",
        "",
        "我反映的事项及进度",
        "your reported cases and their progress",
        Everyone,
        Anywhere
    ),
    spec!(
        "cases",
        "[open|overdue|mine|all] [编码]",
        "[open|overdue|mine|all] [code]",
        "辖区事项（超期在前）",
        "cases in scope, overdue first",
        Staff,
        Anywhere
    ),
    spec!(
        "case",
        "<编号>",
        "<id>",
        "事项详情、经过与操作",
        "a case's details, history and actions",
        Staff,
        Anywhere
    ),
    spec!(
        "accept",
        "<编号>",
        "<id>",
        "受理事项",
        "accept a case",
        Staff,
        Anywhere
    ),
    spec!(
        "assign",
        "<编号> <用户>",
        "<id> <user>",
        "指派承办人",
        "assign a case to someone",
        Staff,
        Anywhere
    ),
    spec!(
        "note",
        "<编号> <内容>",
        "<id> <text>",
        "内部备注（仅工作人员可见）",
        "add an internal note (staff only)",
        Staff,
        Anywhere
    ),
    spec!(
        "update",
        "<编号> <内容>",
        "<id> <text>",
        "告知反映人办理进展（群内发一行进展）",
        "tell the reporter of progress (a line in the group too)",
        Staff,
        Anywhere
    ),
    spec!(
        "resolve",
        "<编号> <结果>",
        "<id> <result>",
        "记为已解决（回访评价后办结）",
        "mark a case resolved",
        Staff,
        Anywhere
    ),
    spec!(
        "fail",
        "<编号> <原因>",
        "<id> <reason>",
        "记为调解未成",
        "record that mediation failed",
        Staff,
        Anywhere
    ),
    spec!(
        "escalate",
        "<编号> <原因>",
        "<id> <reason>",
        "上报上级节点",
        "hand a case to the parent node",
        Staff,
        Anywhere
    ),
    spec!(
        "supervise",
        "<编号> <期限>",
        "<id> <deadline>",
        "挂牌督办（上级管理员），期限如 3d 或 2026-12-01",
        "put a case under supervision (admins above), deadline like 3d or 2026-12-01",
        Admin,
        Anywhere
    ),
    spec!(
        "reopen",
        "<编号> [原因]",
        "<id> [reason]",
        "重新办理",
        "reopen a case",
        Staff,
        Anywhere
    ),
    spec!(
        "close",
        "<编号>",
        "<id>",
        "办结已解决或调解未成的事项",
        "close a resolved or failed case",
        Staff,
        Anywhere
    ),
    spec!(
        "stats",
        "[今天|本周|本旬|本月|上月|年-月|起..止] [编码]",
        "[today|week|xun|month|last-month|YYYY-MM|FROM..TO] [code]",
        "统计：案件、化解率、满意率、警情",
        "statistics: cases, mediation, satisfaction, alerts",
        Staff,
        Anywhere
    ),
    spec!(
        "export",
        "[期间] [编码] [csv]",
        "[period] [code] [csv]",
        "导出 Excel（或 CSV）",
        "export to Excel (or CSV)",
        Staff,
        Anywhere
    ),
];

pub fn spec(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// A command as the user typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation<'a> {
    /// Lower-cased name without the slash.
    pub name: String,
    /// Everything after the name, trimmed.
    pub args: &'a str,
}

/// Reads `/name[@bot] args`. `None` when the text is not a command, or is a
/// command addressed to another bot (which we must leave alone).
pub fn parse<'a>(text: &'a str, bot_username: &str) -> Option<Invocation<'a>> {
    let rest = text.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (head, args) = rest.split_at(end);
    let (name, addressee) = match head.split_once('@') {
        Some((n, bot)) => (n, Some(bot)),
        None => (head, None),
    };
    if addressee.is_some_and(|bot| !bot.eq_ignore_ascii_case(bot_username)) {
        return None;
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(Invocation {
        name: name.to_ascii_lowercase(),
        args: args.trim(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_names_and_args() {
        let inv = parse("/Bind@pingan_bot  xq.hmk ", "pingan_bot").unwrap();
        assert_eq!(inv.name, "bind");
        assert_eq!(inv.args, "xq.hmk");
        assert_eq!(parse("/tree", "b").unwrap().args, "");
        assert_eq!(parse("/grant\n@x worker", "b").unwrap().args, "@x worker");
    }

    #[test]
    fn leaves_other_bots_and_non_commands_alone() {
        assert_eq!(parse("/bind@otherbot xq", "pingan_bot"), None);
        assert_eq!(parse("hello /bind", "pingan_bot"), None);
        assert_eq!(parse("/ ", "pingan_bot"), None);
        assert_eq!(parse("/中文", "pingan_bot"), None);
    }

    #[test]
    fn every_command_has_both_languages() {
        for c in COMMANDS {
            assert!(
                !c.about_zh.is_empty() && !c.about_en.is_empty(),
                "{}",
                c.name
            );
            assert_eq!(c.args_zh.is_empty(), c.args_en.is_empty(), "{}", c.name);
            assert!(c.usage(Locale::En).starts_with('/'));
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s, "pingan_bot");
        }
    }
}
