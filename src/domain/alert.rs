//! Safety alerts (警情提示, 平安建设工作信息) as plain values: severity,
//! category, the optional level filter and expiry, parsed once from what the
//! issuer typed, and the scope rule "which bound groups get this alert".
//!
//! `/alert [severity] [category] [level] [expiry] <text>`: the leading words
//! are read as options as long as they are recognised; everything after the
//! first unrecognised word is the alert's text, so an alert may well begin
//! with an ordinary word.

use super::{Level, NodeCode};
use crate::domain::id::{IdWord, read_id};

/// How serious, in the four grades of China's early-warning system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Minor,
    Moderate,
    Severe,
    Extreme,
}

impl Severity {
    pub fn parse(raw: &str) -> Option<Severity> {
        Some(match raw.trim().to_lowercase().as_str() {
            "extreme" | "特别严重" | "红色" => Severity::Extreme,
            "severe" | "严重" | "橙色" => Severity::Severe,
            "moderate" | "较重" | "黄色" => Severity::Moderate,
            "minor" | "一般" | "蓝色" => Severity::Minor,
            _ => return None,
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Severity::Extreme => "extreme",
            Severity::Severe => "severe",
            Severity::Moderate => "moderate",
            Severity::Minor => "minor",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Severity::Extreme => "特别严重",
            Severity::Severe => "严重",
            Severity::Moderate => "较重",
            Severity::Minor => "一般",
        }
    }

    pub fn icon(self) -> &'static str {
        match self {
            Severity::Extreme => "🟥",
            Severity::Severe => "🟧",
            Severity::Moderate => "🟨",
            Severity::Minor => "🟦",
        }
    }

    /// Severe and extreme alerts are pinned and must be acknowledged.
    pub fn needs_ack(self) -> bool {
        self >= Severity::Severe
    }
}

/// What the alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Crime,
    Fire,
    Geological,
    Traffic,
    Weather,
    Fraud,
    Health,
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Crime,
        Category::Fire,
        Category::Geological,
        Category::Traffic,
        Category::Weather,
        Category::Fraud,
        Category::Health,
        Category::Other,
    ];

    pub fn parse(raw: &str) -> Option<Category> {
        let raw = raw.trim().to_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.key() == raw || c.name_zh() == raw)
            .or(match raw.as_str() {
                "治安" | "犯罪" => Some(Category::Crime),
                "火灾" | "消防" => Some(Category::Fire),
                "地灾" => Some(Category::Geological),
                "气象" | "暴雨" => Some(Category::Weather),
                "诈骗" | "电诈" => Some(Category::Fraud),
                _ => None,
            })
    }

    pub fn key(self) -> &'static str {
        match self {
            Category::Crime => "crime",
            Category::Fire => "fire",
            Category::Geological => "geological",
            Category::Traffic => "traffic",
            Category::Weather => "weather",
            Category::Fraud => "fraud",
            Category::Health => "health",
            Category::Other => "other",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Category::Crime => "治安",
            Category::Fire => "防火",
            Category::Geological => "地质灾害",
            Category::Traffic => "交通",
            Category::Weather => "天气",
            Category::Fraud => "防诈骗",
            Category::Health => "卫生健康",
            Category::Other => "其他",
        }
    }
}

/// Reads a level word for the "only this level" filter.
pub fn parse_level(raw: &str) -> Option<Level> {
    Some(match raw.trim().to_lowercase().as_str() {
        "grid" | "grids" | "网格" => Level::Grid,
        "community" | "communities" | "社区" | "村" => Level::Community,
        "town" | "towns" | "street" | "街道" | "镇" | "镇街" => Level::Town,
        "district" | "区" => Level::District,
        _ => return None,
    })
}

/// Reads `90m`, `6h`, `2d` (also 分钟/小时/天) into seconds.
pub fn parse_duration(raw: &str) -> Option<i64> {
    let raw = raw.trim().to_lowercase();
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = raw.split_at(split);
    let n: i64 = num.parse().ok().filter(|n| *n > 0 && *n <= 10_000)?;
    let secs = match unit {
        "m" | "min" | "分钟" => 60,
        "h" | "小时" => 3600,
        "d" | "天" => 86_400,
        _ => return None,
    };
    Some(n * secs)
}

/// Longest alert text accepted (characters), so that the copy with its
/// heading and signature, the preview and the withdrawn copy each stay one
/// message (see the test in `alerts::render`).
pub const MAX_TEXT: usize = 3000;

/// An alert as the issuer asked for it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub severity: Severity,
    pub category: Category,
    /// Only groups of this level get it.
    pub only: Option<Level>,
    /// Seconds from sending until it expires (unpinned, no more reminders).
    pub expires_in: Option<i64>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftError {
    Empty,
    TooLong(usize),
    /// The text begins with what looks like a mistyped severity (`urgent`, `sever`).
    UnknownSeverity(String),
}

/// Words people use for a severity that pingan does not have.
const SEVERITY_LIKE: &[&str] = &[
    "urgent",
    "critical",
    "high",
    "medium",
    "low",
    "warning",
    "emergency",
    "紧急",
    "重大",
    "较大",
    "特急",
];

/// Whether `word` is a severity-like word or a near miss (one or two letters
/// off) of one of ours: alert texts do not start with such words, so the
/// person meant an option and should hear so rather than have it sent.
fn looks_like_severity(word: &str) -> bool {
    let w = word.to_lowercase();
    SEVERITY_LIKE.contains(&w.as_str())
        || (w.chars().count() >= 4
            && w.chars().all(|c| c.is_ascii_alphabetic())
            && ["extreme", "severe", "moderate", "minor"]
                .iter()
                .any(|k| edit_distance(&w, k) <= 2))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

impl Draft {
    /// Reads the options then the text (see the module docs).
    pub fn parse(args: &str) -> Result<Draft, DraftError> {
        let mut draft = Draft {
            severity: Severity::Moderate,
            category: Category::Other,
            only: None,
            expires_in: None,
            text: String::new(),
        };
        let mut rest = args.trim();
        let (mut sev, mut cat, mut lvl, mut exp) = (false, false, false, false);
        loop {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            if word.is_empty() {
                break;
            }
            if let (false, Some(s)) = (sev, Severity::parse(word)) {
                (draft.severity, sev) = (s, true);
            } else if let (false, Some(c)) = (cat, Category::parse(word)) {
                (draft.category, cat) = (c, true);
            } else if let (false, Some(l)) = (lvl, parse_level(word)) {
                (draft.only, lvl) = (Some(l), true);
            } else if let (false, Some(d)) = (exp, parse_duration(word)) {
                (draft.expires_in, exp) = (Some(d), true);
            } else if !sev && looks_like_severity(word) {
                return Err(DraftError::UnknownSeverity(word.to_string()));
            } else {
                break;
            }
            rest = rest[end..].trim_start();
        }
        let text = rest.trim();
        if text.is_empty() {
            return Err(DraftError::Empty);
        }
        let n = text.chars().count();
        if n > MAX_TEXT {
            return Err(DraftError::TooLong(n));
        }
        draft.text = text.to_string();
        Ok(draft)
    }
}

/// Whether a group bound to `node` gets an alert issued on `from` with level filter `only`.
pub fn in_scope(from: &NodeCode, only: Option<Level>, node: &NodeCode) -> bool {
    node.is_within(from) && only.is_none_or(|l| node.level() == l)
}

/// Reads an alert id as shown (`A17`) or bare (`17`).
pub fn parse_id(raw: &str) -> Option<i64> {
    match read_alert_id(raw) {
        IdWord::Id(n) => Some(n),
        IdWord::Beyond | IdWord::NotAnId => None,
    }
}

/// What a written alert id names (see [`crate::domain::id`]).
pub fn read_alert_id(raw: &str) -> IdWord {
    read_id(raw, &['A', 'a'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    #[test]
    fn severity_words_in_both_languages() {
        assert_eq!(Severity::parse("特别严重"), Some(Severity::Extreme));
        assert_eq!(Severity::parse("SEVERE"), Some(Severity::Severe));
        assert_eq!(Severity::parse("较重"), Some(Severity::Moderate));
        assert_eq!(Severity::parse("一般"), Some(Severity::Minor));
        assert_eq!(Severity::parse("urgent"), None);
        assert!(Severity::Severe.needs_ack() && !Severity::Moderate.needs_ack());
    }

    #[test]
    fn mistyped_severities_are_refused() {
        for w in ["urgent", "sever", "extrem", "moderat", "紧急", "CRITICAL"] {
            assert_eq!(
                Draft::parse(&format!("{w} 暴雨")),
                Err(DraftError::UnknownSeverity(w.to_string())),
                "{w}"
            );
        }
        // Ordinary words stay text.
        assert_eq!(
            Draft::parse("Heavy rain tonight").unwrap().text,
            "Heavy rain tonight"
        );
        assert_eq!(
            Draft::parse("severe Seven roads closed").unwrap().text,
            "Seven roads closed"
        );
    }

    #[test]
    fn options_then_text() {
        let d = Draft::parse("严重 weather grid 6h 今晚暴雨，请注意 <防范>").unwrap();
        assert_eq!(d.severity, Severity::Severe);
        assert_eq!(d.category, Category::Weather);
        assert_eq!(d.only, Some(Level::Grid));
        assert_eq!(d.expires_in, Some(6 * 3600));
        assert_eq!(d.text, "今晚暴雨，请注意 <防范>");
        let d = Draft::parse("暴雨 预警").unwrap();
        assert_eq!(
            (d.severity, d.category, d.text.as_str()),
            (Severity::Moderate, Category::Weather, "预警")
        );
        // A second severity word is text.
        assert_eq!(Draft::parse("minor severe x").unwrap().text, "severe x");
    }

    #[test]
    fn empty_and_long_are_refused() {
        assert_eq!(Draft::parse("  "), Err(DraftError::Empty));
        assert_eq!(Draft::parse("extreme fire 2h"), Err(DraftError::Empty));
        let long = "字".repeat(MAX_TEXT + 1);
        assert_eq!(Draft::parse(&long), Err(DraftError::TooLong(MAX_TEXT + 1)));
    }

    #[test]
    fn scope_is_the_subtree_with_the_level_filter() {
        let hmk = code("xq.hmk");
        assert!(in_scope(&hmk, None, &code("xq.hmk")));
        assert!(in_scope(&hmk, None, &code("xq.hmk.c1.g3")));
        assert!(!in_scope(&hmk, None, &code("xq.qxp.c1")));
        assert!(!in_scope(&hmk, None, &code("xq")));
        assert!(!in_scope(&hmk, None, &code("xq.hmkx")));
        assert!(in_scope(&hmk, Some(Level::Grid), &code("xq.hmk.c1.g3")));
        assert!(!in_scope(&hmk, Some(Level::Grid), &code("xq.hmk.c1")));
    }

    #[test]
    fn ids_and_durations() {
        assert_eq!(parse_id("A17"), Some(17));
        assert_eq!(parse_id("17"), Some(17));
        assert_eq!(parse_id("A0"), None);
        assert_eq!(parse_id("#17"), None);
        assert_eq!(parse_duration("90m"), Some(5400));
        assert_eq!(parse_duration("2天"), Some(172_800));
        assert_eq!(parse_duration("6"), None);
        assert_eq!(parse_duration("h"), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_keeps_text(s in "\\PC{0,80}") {
            if let Ok(d) = Draft::parse(&s) {
                prop_assert!(!d.text.is_empty());
                prop_assert!(s.contains(&d.text));
            }
        }
    }
}
