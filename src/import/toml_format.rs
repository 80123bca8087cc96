//! The TOML import format: `[[node]]` tables (code, name) and `[[staff]]` tables (user, role, code, …).

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Builder, DistrictPlan, ImportErrorKind, ImportErrors, PlannedGrant, line_of};
use crate::domain::node::MAX_NODE_NAME;
use crate::domain::{NodeCode, Post, Role};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    node: Vec<RawNode>,
    #[serde(default)]
    staff: Vec<RawStaff>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    code: Spanned<String>,
    name: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaff {
    /// An integer, or a string of digits as spreadsheets tend to produce.
    user: Spanned<toml::Value>,
    #[serde(default)]
    name: Option<Spanned<String>>,
    #[serde(default)]
    username: Option<Spanned<String>>,
    role: Spanned<String>,
    code: Spanned<String>,
    #[serde(default)]
    backup: bool,
}

pub(super) fn parse(
    text: &str,
    existing: &dyn Fn(&NodeCode) -> bool,
) -> Result<DistrictPlan, ImportErrors> {
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            return Err(ImportErrors::one(
                line,
                ImportErrorKind::Syntax(e.message().to_string()),
            ));
        }
    };
    if raw.node.is_empty() && raw.staff.is_empty() {
        return Err(ImportErrors::one(None, ImportErrorKind::Empty));
    }
    let line = |s: &Spanned<String>| line_of(text, s.span().start);

    let mut b = Builder::default();
    for node in &raw.node {
        b.node(
            node.code.get_ref(),
            line(&node.code),
            node.name.get_ref(),
            line(&node.name),
        );
    }
    let nodes = b.finish_nodes(existing);

    let mut staff = Vec::new();
    let mut granted: HashMap<(i64, NodeCode, Role), usize> = HashMap::new();
    for s in raw.staff {
        let user_line = line_of(text, s.user.span().start);
        let user_id = user_id(s.user.get_ref());
        if user_id.is_none() {
            let user = match s.user.get_ref() {
                toml::Value::String(v) => v.clone(),
                v => v.to_string(),
            };
            b.error(user_line, ImportErrorKind::BadUserId { user });
        }
        let name = s.name.as_ref().and_then(|n| {
            let v = n.get_ref().trim();
            let ok = v.chars().count() <= MAX_NODE_NAME && !v.contains(['\n', '\r']);
            if !ok {
                b.error(
                    line(n),
                    ImportErrorKind::BadStaffName {
                        name: v.to_string(),
                    },
                );
            }
            (ok && !v.is_empty()).then(|| v.to_string())
        });
        let username = s.username.as_ref().and_then(|u| {
            let v = u.get_ref().trim();
            let v = v.strip_prefix('@').unwrap_or(v);
            let ok = v.is_empty() || valid_username(v);
            if !ok {
                b.error(
                    line(u),
                    ImportErrorKind::BadUsername {
                        username: v.to_string(),
                    },
                );
            }
            (ok && !v.is_empty()).then(|| v.to_string())
        });
        let role = Role::parse(s.role.get_ref());
        if role.is_none() {
            let role = s.role.get_ref().trim().to_string();
            b.error(line(&s.role), ImportErrorKind::BadRole { role });
        }
        let code_line = line(&s.code);
        let code = b.code(s.code.get_ref(), code_line);
        if let Some(code) = &code
            && !b.defines(code)
            && !existing(code)
        {
            b.error(
                code_line,
                ImportErrorKind::UnknownNode { code: code.clone() },
            );
        }
        let (Some(user_id), Some(role), Some(code)) = (user_id, role, code) else {
            continue;
        };
        if let Some(&first_line) = granted.get(&(user_id, code.clone(), role)) {
            let kind = ImportErrorKind::DuplicateGrant {
                user_id,
                code,
                role,
                first_line,
            };
            b.error(user_line, kind);
            continue;
        }
        granted.insert((user_id, code.clone(), role), user_line);
        let post = Post::from_backup(s.backup);
        staff.push(PlannedGrant {
            user_id,
            name,
            username,
            code,
            role,
            post,
            line: user_line,
        });
    }

    if b.errors.is_empty() {
        Ok(DistrictPlan { nodes, staff })
    } else {
        Err(ImportErrors::from_found(b.errors))
    }
}

/// A positive Telegram user id, written as an integer or a string of digits.
fn user_id(value: &toml::Value) -> Option<i64> {
    let id = match value {
        toml::Value::Integer(i) => *i,
        toml::Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()?
        }
        _ => return None,
    };
    (id > 0).then_some(id)
}

/// Telegram usernames: 5–32 latin letters, digits and underscores.
fn valid_username(v: &str) -> bool {
    (5..=32).contains(&v.len()) && v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}
