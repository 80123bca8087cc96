//! `pingan import FILE`: parses and validates a district description (TOML or CSV) into a plan.
//!
//! Everything is checked before anything is written: [`parse`] either returns
//! a complete [`DistrictPlan`] or every error it found (up to 50), each with
//! the 1-based line of the file. Parsing is pure and deterministic, so the
//! same file always yields the same plan and importing twice is idempotent.
//!
//! Rules common to both formats: a node's level follows from the depth of its
//! code (`xq` district, `xq.hmk` town/street, `xq.hmk.c1` community,
//! `xq.hmk.c1.g3` grid; a fifth level is an error); its parent is the code
//! without the last segment and must be defined in the file (before or after
//! it) or already exist in the database; codes may not repeat. The plan lists
//! parents before children (by level, file order within a level).
//!
//! # TOML
//!
//! ```toml
//! [[node]]
//! code = "xq"
//! name = "西区"
//!
//! [[node]]
//! code = "xq.qxp"
//! name = "清香坪街道"
//!
//! [[staff]]
//! user = 100000001          # Telegram user id (positive integer)
//! name = "王芳"              # optional display name
//! username = "wangfang"      # optional, without @
//! role = "worker"           # admin | worker | police | mediator | volunteer (or 网格员 …)
//! code = "xq.qxp.c1.g1"     # node in this file or already in the database
//! backup = false            # optional; true = B post (AB岗)
//! ```
//!
//! Unknown keys are errors (typo protection). A file may hold only nodes,
//! only staff, or both.
//!
//! # CSV
//!
//! As an office spreadsheet exports it ("CSV UTF-8"): a header row naming the
//! columns `code`, `parent`, `name` (or `编码`, `上级编码`, `名称`) in any
//! order; other columns are ignored and the `parent` column may be left out.
//! An empty parent marks a district. A UTF-8 BOM is stripped, blank lines are
//! skipped, cells are trimmed; `;` or tab separators are detected from the
//! header. CSV files describe nodes only.

mod csv_format;
mod error;
mod toml_format;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_messages;

use std::collections::HashMap;
use std::path::Path;

use crate::domain::node::{CodeError, parse_node_name};
use crate::domain::{NodeCode, Post, Role};

pub use error::{ImportError, ImportErrorKind, ImportErrors, MAX_ERRORS};

/// A validated import: what the caller should write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictPlan {
    /// Nodes ordered parents before children.
    pub nodes: Vec<PlannedNode>,
    /// Role grants in file order.
    pub staff: Vec<PlannedGrant>,
}

/// A node to create (or rename, when it exists already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedNode {
    pub code: NodeCode,
    pub name: String,
    /// Line of the node's code in the file.
    pub line: usize,
}

/// A role to grant to a Telegram user on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGrant {
    pub user_id: i64,
    pub name: Option<String>,
    /// Without the leading `@`.
    pub username: Option<String>,
    pub code: NodeCode,
    pub role: Role,
    pub post: Post,
    /// Line of the user id in the file.
    pub line: usize,
}

/// The file formats `pingan import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Toml,
    Csv,
}

impl Format {
    /// By extension, `.toml` or `.csv` (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Format::Toml),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Parses and validates `text`. `existing` says whether a node code already
/// exists in the database (a file may add nodes under an existing parent, or
/// grant roles on existing nodes).
pub fn parse(
    format: Format,
    text: &str,
    existing: &dyn Fn(&NodeCode) -> bool,
) -> Result<DistrictPlan, ImportErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A replacement character means someone decoded GBK bytes lossily.
    if let Some(pos) = text.find('\u{fffd}') {
        return Err(ImportErrors::one(
            Some(line_of(text, pos)),
            ImportErrorKind::NotUtf8,
        ));
    }
    match format {
        Format::Toml => toml_format::parse(text, existing),
        Format::Csv => csv_format::parse(text, existing),
    }
}

/// Like [`parse`], for the raw bytes of a file: reports [`ImportErrorKind::NotUtf8`]
/// (with the line of the first bad byte) instead of requiring the caller to decode.
pub fn parse_bytes(
    format: Format,
    bytes: &[u8],
    existing: &dyn Fn(&NodeCode) -> bool,
) -> Result<DistrictPlan, ImportErrors> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(format, text, existing),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            Err(ImportErrors::one(Some(line), ImportErrorKind::NotUtf8))
        }
    }
}

/// The 1-based line of byte offset `pos` in `text`.
pub(crate) fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Collects nodes and errors while a file is read; shared by both formats.
#[derive(Default)]
pub(crate) struct Builder {
    pub errors: Vec<ImportError>,
    nodes: Vec<PlannedNode>,
    /// Code → line of its first definition.
    seen: HashMap<NodeCode, usize>,
}

impl Builder {
    pub fn error(&mut self, line: usize, kind: ImportErrorKind) {
        self.errors.push(ImportError::at(line, kind));
    }

    /// Parses a code, recording an error on `line` when it is malformed.
    pub fn code(&mut self, raw: &str, line: usize) -> Option<NodeCode> {
        match NodeCode::parse(raw) {
            Ok(code) => Some(code),
            Err(CodeError::TooDeep) => {
                self.error(
                    line,
                    ImportErrorKind::TooDeep {
                        code: raw.trim().to_string(),
                    },
                );
                None
            }
            Err(reason) => {
                self.error(
                    line,
                    ImportErrorKind::BadCode {
                        code: raw.trim().to_string(),
                        reason,
                    },
                );
                None
            }
        }
    }

    /// Adds a node definition. A node with a usable code but a bad name still
    /// counts as defined, so that its children do not report a missing parent.
    pub fn node(&mut self, raw_code: &str, code_line: usize, raw_name: &str, name_line: usize) {
        let code = self.code(raw_code, code_line);
        let name = parse_node_name(raw_name);
        if name.is_none() {
            self.error(
                name_line,
                ImportErrorKind::BadName {
                    code: raw_code.trim().to_string(),
                },
            );
        }
        let Some(code) = code else { return };
        if let Some(&first_line) = self.seen.get(&code) {
            self.error(
                code_line,
                ImportErrorKind::DuplicateCode { code, first_line },
            );
            return;
        }
        self.seen.insert(code.clone(), code_line);
        if let Some(name) = name {
            self.nodes.push(PlannedNode {
                code,
                name,
                line: code_line,
            });
        }
    }

    /// True when the file defines `code` (validly or with a bad name).
    pub fn defines(&self, code: &NodeCode) -> bool {
        self.seen.contains_key(code)
    }

    /// Checks every node's parent and orders the nodes parents first.
    pub fn finish_nodes(&mut self, existing: &dyn Fn(&NodeCode) -> bool) -> Vec<PlannedNode> {
        let mut defined: Vec<(&NodeCode, usize)> = self.seen.iter().map(|(c, &l)| (c, l)).collect();
        defined.sort_by_key(|&(code, line)| (line, code));
        for (code, line) in defined {
            if let Some(parent) = code.parent()
                && !self.seen.contains_key(&parent)
                && !existing(&parent)
            {
                let kind = ImportErrorKind::UnknownParent {
                    code: code.clone(),
                    parent,
                };
                self.errors.push(ImportError::at(line, kind));
            }
        }
        let mut nodes = std::mem::take(&mut self.nodes);
        // Stable: file order within a level, so the plan is deterministic.
        nodes.sort_by_key(|n| n.code.level());
        nodes
    }
}
