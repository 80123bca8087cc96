//! Cases: what residents report (民情, 意见建议, 矛盾纠纷, 网格事项) and the
//! words that describe them — category, tier, rating, the `#123` id — parsed
//! once at the edge. The life of a case is in [`status`].

pub mod event;
pub mod status;
pub mod when;

use crate::domain::id::{IdWord, read_id};
use std::fmt;

pub use event::EventKind;
pub use status::{Refusal, Status, Step};
pub use when::{DeadlineSpec, parse_duration};

use super::Level;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// 矛盾纠纷
    Dispute,
    /// 安全隐患
    Hazard,
    /// 意见建议
    Suggestion,
    /// 求助
    Help,
    /// 其他
    Other,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Dispute,
        Category::Hazard,
        Category::Suggestion,
        Category::Help,
        Category::Other,
    ];

    /// The words DESIGN.md lists (Chinese full and short forms, English keys).
    pub fn parse(word: &str) -> Option<Category> {
        Some(match word.trim().to_lowercase().as_str() {
            "矛盾纠纷" | "纠纷" | "dispute" => Category::Dispute,
            "安全隐患" | "隐患" | "hazard" => Category::Hazard,
            "意见建议" | "建议" | "suggestion" => Category::Suggestion,
            "求助" | "help" => Category::Help,
            "其他" | "other" => Category::Other,
            _ => return None,
        })
    }

    /// Splits an optional leading category word off a report's text.
    pub fn split_text(text: &str) -> (Option<Category>, &str) {
        let text = text.trim();
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        match Category::parse(&text[..end]) {
            Some(c) => (Some(c), text[end..].trim_start()),
            None => (None, text),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Category::Dispute => "dispute",
            Category::Hazard => "hazard",
            Category::Suggestion => "suggestion",
            Category::Help => "help",
            Category::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Category::Dispute => "矛盾纠纷",
            Category::Hazard => "安全隐患",
            Category::Suggestion => "意见建议",
            Category::Help => "求助",
            Category::Other => "其他",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Category::Dispute => "dispute",
            Category::Hazard => "hazard",
            Category::Suggestion => "suggestion",
            Category::Help => "help request",
            Category::Other => "other",
        }
    }
}

/// Who handles a case (the report's 分级调处): everyday matters by the grid,
/// specialised hard matters with a department, major matters by a leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Everyday,
    Specialised,
    Major,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Everyday, Tier::Specialised, Tier::Major];

    pub fn parse(word: &str) -> Option<Tier> {
        Some(match word.trim().to_lowercase().as_str() {
            "everyday" | "日常" => Tier::Everyday,
            "specialised" | "specialized" | "专业" => Tier::Specialised,
            "major" | "重大" | "重点" => Tier::Major,
            _ => return None,
        })
    }

    /// The tier a node's level implies: grids handle everyday matters, a
    /// community brings in its mediators and departments, above that leaders.
    pub fn for_level(level: Level) -> Tier {
        match level {
            Level::Grid => Tier::Everyday,
            Level::Community => Tier::Specialised,
            _ => Tier::Major,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Tier::Everyday => "everyday",
            Tier::Specialised => "specialised",
            Tier::Major => "major",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Tier::Everyday => "日常琐事",
            Tier::Specialised => "专业难事",
            Tier::Major => "重点大事",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Tier::Everyday => "everyday",
            Tier::Specialised => "specialised",
            Tier::Major => "major",
        }
    }
}

/// The resident's answer to the follow-up visit (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rating {
    Satisfied,
    Basically,
    Unsatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Basically, Rating::Unsatisfied];

    pub fn parse(word: &str) -> Option<Rating> {
        Some(match word {
            "satisfied" => Rating::Satisfied,
            "basically" => Rating::Basically,
            "unsatisfied" => Rating::Unsatisfied,
            _ => return None,
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basically => "basically",
            Rating::Unsatisfied => "unsatisfied",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Basically => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Basically => "fairly satisfied",
            Rating::Unsatisfied => "dissatisfied",
        }
    }
}

/// A photo or a place a resident adds to a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment {
    /// Telegram's `file_id` of the largest size.
    Photo(String),
    Location {
        lat: f64,
        lon: f64,
    },
}

/// A case number as users write it: `123` or `#123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(pub i64);

impl CaseId {
    /// `#123` or `123`; see [`CaseId::read`] for digits beyond any id.
    pub fn parse(raw: &str) -> Option<CaseId> {
        match CaseId::read(raw) {
            IdWord::Id(n) => Some(CaseId(n)),
            IdWord::Beyond | IdWord::NotAnId => None,
        }
    }

    /// What a written case id names (see [`crate::domain::id`]).
    pub fn read(raw: &str) -> IdWord {
        read_id(raw, &['#'])
    }

    /// The first `#123` in a text (a bot message about a case).
    pub fn find_in(text: &str) -> Option<CaseId> {
        let mut rest = text;
        while let Some(pos) = rest.find('#') {
            rest = &rest[pos + 1..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if let Some(id) = CaseId::parse(&rest[..end]) {
                return Some(id);
            }
        }
        None
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn category_words() {
        for (w, c) in [
            ("矛盾纠纷", Category::Dispute),
            ("纠纷", Category::Dispute),
            ("DISPUTE", Category::Dispute),
            ("安全隐患", Category::Hazard),
            ("隐患", Category::Hazard),
            ("意见建议", Category::Suggestion),
            ("建议", Category::Suggestion),
            ("求助", Category::Help),
            ("help", Category::Help),
            ("其他", Category::Other),
        ] {
            assert_eq!(Category::parse(w), Some(c), "{w}");
        }
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(c));
            assert_eq!(Category::parse(c.name_zh()), Some(c));
        }
        assert_eq!(Category::parse("噪音"), None);
    }

    #[test]
    fn category_splits_off_the_text() {
        assert_eq!(
            Category::split_text("纠纷 楼上漏水"),
            (Some(Category::Dispute), "楼上漏水")
        );
        assert_eq!(Category::split_text("楼上漏水"), (None, "楼上漏水"));
        assert_eq!(Category::split_text("hazard"), (Some(Category::Hazard), ""));
    }

    #[test]
    fn case_ids() {
        assert_eq!(CaseId::parse("123"), Some(CaseId(123)));
        assert_eq!(CaseId::parse("#123"), Some(CaseId(123)));
        for bad in ["", "#", "0", "-3", "12a", "##1"] {
            assert_eq!(CaseId::parse(bad), None, "{bad}");
        }
        assert_eq!(CaseId(7).to_string(), "#7");
        assert_eq!(CaseId::parse("99999999999999999999"), None);
        assert_eq!(CaseId::read("#99999999999999999999"), IdWord::Beyond);
        assert_eq!(
            CaseId::find_in("📋 #42 矛盾纠纷 · 处理中"),
            Some(CaseId(42))
        );
        assert_eq!(CaseId::find_in("# nothing #x"), None);
    }

    #[test]
    fn tier_follows_level() {
        assert_eq!(Tier::for_level(Level::Grid), Tier::Everyday);
        assert_eq!(Tier::for_level(Level::Community), Tier::Specialised);
        assert_eq!(Tier::for_level(Level::District), Tier::Major);
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.key()), Some(t));
        }
    }

    proptest! {
        #[test]
        fn case_id_round_trips(n in 1i64..1_000_000_000_000) {
            prop_assert_eq!(CaseId::parse(&CaseId(n).to_string()), Some(CaseId(n)));
            prop_assert_eq!(CaseId::parse(&n.to_string()), Some(CaseId(n)));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,30}") {
            let _ = CaseId::parse(&s);
            let _ = CaseId::find_in(&s);
            let _ = Category::split_text(&s);
            let _ = Tier::parse(&s);
        }
    }
}
