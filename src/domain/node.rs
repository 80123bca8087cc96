//! The four-level hierarchy: district → town/street → community → grid.
//!
//! A node is named by a dotted code whose segments spell its path from the
//! district (`xq`, `xq.hmk`, `xq.hmk.c1`, `xq.hmk.c1.g3`), so a node's level
//! and its ancestors follow from the code alone and "is X inside Y's subtree"
//! is a prefix test.

use std::fmt;

/// One of the four levels of groups the report describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// 区
    District = 1,
    /// 镇/街道
    Town = 2,
    /// 社区/村
    Community = 3,
    /// 网格
    Grid = 4,
}

impl Level {
    pub fn from_depth(depth: usize) -> Option<Level> {
        match depth {
            1 => Some(Level::District),
            2 => Some(Level::Town),
            3 => Some(Level::Community),
            4 => Some(Level::Grid),
            _ => None,
        }
    }

    pub fn depth(self) -> usize {
        self as usize
    }

    pub fn child(self) -> Option<Level> {
        Level::from_depth(self.depth() + 1)
    }

    /// Stable English key, used in storage and in English replies.
    pub fn key(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Town => "town",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Level::District => "区",
            Level::Town => "镇/街道",
            Level::Community => "社区",
            Level::Grid => "网格",
        }
    }
}

/// Why a string is not a node code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("empty code")]
    Empty,
    #[error("segment `{0}` must be 1–16 lowercase latin letters, digits or `_`")]
    BadSegment(String),
    #[error("more than four levels")]
    TooDeep,
}

/// A validated node code such as `xq.hmk.c1.g3`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeCode(String);

impl NodeCode {
    pub const MAX_SEGMENT: usize = 16;

    /// Parses a code as a user typed it. Upper-case letters are folded to
    /// lower case, since people copy codes from spreadsheets.
    pub fn parse(raw: &str) -> Result<NodeCode, CodeError> {
        let code = raw.trim().to_ascii_lowercase();
        if code.is_empty() {
            return Err(CodeError::Empty);
        }
        let mut depth = 0;
        for segment in code.split('.') {
            depth += 1;
            let ok = !segment.is_empty()
                && segment.len() <= Self::MAX_SEGMENT
                && segment
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(CodeError::BadSegment(segment.to_string()));
            }
        }
        if depth > 4 {
            return Err(CodeError::TooDeep);
        }
        Ok(NodeCode(code))
    }

    /// The code as it appears in a `t.me/<bot>?start=join_…` link: Telegram
    /// allows only `A-Za-z0-9_-` there, so dots become dashes.
    pub fn to_link_payload(&self) -> String {
        self.0.replace('.', "-")
    }

    /// Reads a code from a start link (dashes or dots accepted).
    pub fn from_link_payload(raw: &str) -> Result<NodeCode, CodeError> {
        NodeCode::parse(&raw.replace('-', "."))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::from_depth(self.0.split('.').count()).expect("validated at parse")
    }

    /// The parent's code, `None` for a district.
    pub fn parent(&self) -> Option<NodeCode> {
        self.0
            .rsplit_once('.')
            .map(|(p, _)| NodeCode(p.to_string()))
    }

    /// True when `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &NodeCode) -> bool {
        self.0 == ancestor.0
            || (self.0.len() > ancestor.0.len()
                && self.0.starts_with(&ancestor.0)
                && self.0.as_bytes()[ancestor.0.len()] == b'.')
    }

    /// True when `child` is a direct child code of `self` (one more segment).
    pub fn is_parent_of(&self, child: &NodeCode) -> bool {
        child.parent().as_ref() == Some(self)
    }
}

impl fmt::Display for NodeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A node of the hierarchy as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub code: NodeCode,
    pub name: String,
}

impl Node {
    pub fn level(&self) -> Level {
        self.code.level()
    }
}

/// Longest node name accepted, in characters.
pub const MAX_NODE_NAME: usize = 64;

/// Validates a node's display name (trimmed, 1–64 characters, one line).
pub fn parse_node_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let ok = !name.is_empty() && name.chars().count() <= MAX_NODE_NAME && !name.contains('\n');
    ok.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_depth() {
        assert_eq!(code("xq").level(), Level::District);
        assert_eq!(code("xq.hmk").level(), Level::Town);
        assert_eq!(code("xq.hmk.c1").level(), Level::Community);
        assert_eq!(code("XQ.hmk.c1.g3").level(), Level::Grid);
        assert_eq!(NodeCode::parse("a.b.c.d.e"), Err(CodeError::TooDeep));
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", " ", "xq..a", ".xq", "xq.", "x q", "西区", "a/b", "a-b"] {
            assert!(NodeCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn subtree_is_by_segment_not_by_prefix() {
        assert!(code("xq.hmk.c1").is_within(&code("xq")));
        assert!(code("xq").is_within(&code("xq")));
        assert!(!code("xq.hmk2").is_within(&code("xq.hmk")));
        assert!(!code("xq").is_within(&code("xq.hmk")));
        assert!(code("xq.hmk").is_parent_of(&code("xq.hmk.c1")));
        assert!(!code("xq").is_parent_of(&code("xq.hmk.c1")));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = NodeCode::parse(&s);
        }

        #[test]
        fn valid_codes_round_trip(segs in proptest::collection::vec("[a-z0-9_]{1,16}", 1..=4)) {
            let raw = segs.join(".");
            let c = NodeCode::parse(&raw).unwrap();
            prop_assert_eq!(c.as_str(), raw.as_str());
            prop_assert_eq!(c.level().depth(), segs.len());
            prop_assert_eq!(NodeCode::from_link_payload(&c.to_link_payload()).unwrap(), c.clone());
            if let Some(p) = c.parent() {
                prop_assert!(c.is_within(&p));
                prop_assert!(p.is_parent_of(&c));
            }
        }
    }
}
