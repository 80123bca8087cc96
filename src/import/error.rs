//! Import errors: each carries the 1-based file line it was found on and renders in Chinese or English.

use std::fmt;

use crate::domain::node::CodeError;
use crate::domain::{NodeCode, Role};

/// At most this many errors are reported; the rest are summarised by [`ImportErrorKind::TooMany`].
pub const MAX_ERRORS: usize = 50;

/// What is wrong with an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportErrorKind {
    /// The file is not valid TOML/CSV, or a TOML value has the wrong type, an
    /// unknown key or a missing key. The text comes from the parser (English).
    Syntax(String),
    /// A code that is not a node code (empty, or a bad segment).
    BadCode { code: String, reason: CodeError },
    /// A code with more than four levels.
    TooDeep { code: String },
    /// A node name that is empty, longer than 64 characters or multi-line.
    BadName { code: String },
    /// The parent is neither in the file nor in the database.
    UnknownParent { code: NodeCode, parent: NodeCode },
    /// The same code appears twice in the file.
    DuplicateCode { code: NodeCode, first_line: usize },
    /// CSV: the parent column disagrees with the code's prefix (`parent` as written, may be empty).
    ParentMismatch { code: NodeCode, parent: String },
    /// A role that [`Role::parse`] does not know.
    BadRole { role: String },
    /// A user id that is not a positive integer.
    BadUserId { user: String },
    /// A Telegram username that is not 5–32 latin letters, digits or `_`.
    BadUsername { username: String },
    /// A staff display name that is empty, too long or multi-line.
    BadStaffName { name: String },
    /// Staff on a node that is neither in the file nor in the database.
    UnknownNode { code: NodeCode },
    /// The same person holds the same role on the same node twice.
    DuplicateGrant {
        user_id: i64,
        code: NodeCode,
        role: Role,
        first_line: usize,
    },
    /// The bytes are not UTF-8 (typically Excel's plain "CSV" export in GBK).
    NotUtf8,
    /// A required CSV column is absent from the header row.
    MissingColumn { name: &'static str },
    /// The file defines no nodes and no staff.
    Empty,
    /// More errors were found than are shown.
    TooMany { more: usize },
}

/// One error, with the file line (1-based) where it was found when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: Option<usize>,
    pub kind: ImportErrorKind,
}

impl ImportError {
    pub fn new(line: Option<usize>, kind: ImportErrorKind) -> ImportError {
        ImportError { line, kind }
    }

    pub fn at(line: usize, kind: ImportErrorKind) -> ImportError {
        ImportError::new(Some(line), kind)
    }

    /// The message for a person: Chinese unless `en`, prefixed with the line.
    pub fn message(&self, en: bool) -> String {
        let body = if en { self.body_en() } else { self.body_zh() };
        match (self.line, en) {
            (Some(n), false) => format!("第 {n} 行：{body}"),
            (Some(n), true) => format!("line {n}: {body}"),
            (None, _) => body,
        }
    }

    fn body_zh(&self) -> String {
        use ImportErrorKind::*;
        match &self.kind {
            Syntax(msg) => format!("格式错误：{}", msg.trim()),
            BadCode { code, reason } => {
                let why = match reason {
                    CodeError::Empty => "编码为空".to_string(),
                    CodeError::BadSegment(s) => {
                        format!("“{s}”一段须为 1–16 个小写拉丁字母、数字、- 或 _")
                    }
                    CodeError::TooDeep => "超过四级".to_string(),
                };
                format!("编码“{code}”无效：{why}")
            }
            TooDeep { code } => format!("编码 {code} 超过四级（区→街道/镇→社区→网格）"),
            BadName { code } => format!("节点 {code} 的名称无效（须为 1–64 个字、单行）"),
            UnknownParent { code, parent } => format!("上级节点 {parent} 不存在（{code}）"),
            DuplicateCode { code, first_line } => {
                format!("编码 {code} 重复（第 {first_line} 行已定义）")
            }
            ParentMismatch { code, parent } => {
                let expected = code
                    .parent()
                    .map_or_else(|| "空".to_string(), |p| p.to_string());
                if parent.is_empty() {
                    format!("{code} 的上级编码应为 {expected}，文件中未填")
                } else {
                    format!("{code} 的上级编码应为 {expected}，文件中为 {parent}")
                }
            }
            BadRole { role } => format!(
                "未知角色“{role}”（可用：admin 管理员、worker 网格员、police 民警、mediator 调解员、volunteer 志愿者）"
            ),
            BadUserId { user } => format!("用户 ID“{user}”无效（须为正整数）"),
            BadUsername { username } => {
                format!("用户名“{username}”无效（5–32 个拉丁字母、数字或 _，不含 @）")
            }
            BadStaffName { name } => format!("人员姓名“{name}”无效（须为 1–64 个字、单行）"),
            UnknownNode { code } => format!("节点 {code} 不存在（文件和数据库中都没有）"),
            DuplicateGrant {
                user_id,
                code,
                role,
                first_line,
            } => format!(
                "用户 {user_id} 在 {code} 的{}角色重复（第 {first_line} 行已有）",
                role.name_zh()
            ),
            NotUtf8 => "文件不是 UTF-8 编码：请在 Excel 中“另存为”并选择“CSV UTF-8（逗号分隔）”"
                .to_string(),
            MissingColumn { name } => format!("表头缺少“{name}”列"),
            Empty => "文件中没有任何节点或人员".to_string(),
            TooMany { more } => format!("错误过多，另有 {more} 条未显示"),
        }
    }

    fn body_en(&self) -> String {
        use ImportErrorKind::*;
        match &self.kind {
            Syntax(msg) => format!("syntax error: {}", msg.trim()),
            BadCode { code, reason } => format!("bad code {code:?}: {reason}"),
            TooDeep { code } => {
                format!(
                    "code {code} has more than four levels (district → town → community → grid)"
                )
            }
            BadName { code } => format!("bad name for {code} (1–64 characters, one line)"),
            UnknownParent { code, parent } => format!("unknown parent {parent} for {code}"),
            DuplicateCode { code, first_line } => {
                format!("duplicate code {code} (first defined on line {first_line})")
            }
            ParentMismatch { code, parent } => {
                let expected = code
                    .parent()
                    .map_or_else(|| "empty".to_string(), |p| p.to_string());
                if parent.is_empty() {
                    format!("parent of {code} must be {expected}, the file leaves it empty")
                } else {
                    format!("parent of {code} must be {expected}, the file says {parent}")
                }
            }
            BadRole { role } => {
                format!("unknown role {role:?} (admin, worker, police, mediator or volunteer)")
            }
            BadUserId { user } => format!("bad user id {user:?} (must be a positive integer)"),
            BadUsername { username } => {
                format!("bad username {username:?} (5–32 latin letters, digits or _, without @)")
            }
            BadStaffName { name } => format!("bad staff name {name:?} (1–64 characters, one line)"),
            UnknownNode { code } => {
                format!("unknown node {code} (neither in the file nor in the database)")
            }
            DuplicateGrant {
                user_id,
                code,
                role,
                first_line,
            } => format!("user {user_id} already holds role {role} on {code} (line {first_line})"),
            NotUtf8 => {
                "the file is not UTF-8: in Excel use Save As → \"CSV UTF-8 (Comma delimited)\""
                    .to_string()
            }
            MissingColumn { name } => format!("the header row has no {name:?} column"),
            Empty => "the file defines no nodes and no staff".to_string(),
            TooMany { more } => format!("too many errors, {more} more not shown"),
        }
    }
}

impl fmt::Display for ImportError {
    /// Chinese, the bot's default locale.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(false))
    }
}

impl std::error::Error for ImportError {}

/// Every error found in a file, in line order (capped at [`MAX_ERRORS`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors(pub Vec<ImportError>);

impl ImportErrors {
    /// Sorts by line (errors without a line last, order otherwise kept) and caps the list.
    pub(crate) fn from_found(mut errors: Vec<ImportError>) -> ImportErrors {
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        if errors.len() > MAX_ERRORS {
            let more = errors.len() - MAX_ERRORS;
            errors.truncate(MAX_ERRORS);
            errors.push(ImportError::new(None, ImportErrorKind::TooMany { more }));
        }
        ImportErrors(errors)
    }

    pub(crate) fn one(line: Option<usize>, kind: ImportErrorKind) -> ImportErrors {
        ImportErrors(vec![ImportError::new(line, kind)])
    }

    /// One message per line, Chinese unless `en`.
    pub fn render(&self, en: bool) -> String {
        let lines: Vec<String> = self.0.iter().map(|e| e.message(en)).collect();
        lines.join("\n")
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ImportErrors {
    /// Chinese, one error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for ImportErrors {}
