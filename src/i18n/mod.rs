//! Replies in Chinese (default) and English.
//!
//! Each reply is written next to the code that sends it with [`tr!`], both
//! languages side by side, so a reader sees at once that none is missing.
//! Words shared by many replies (levels, roles) live here.

use crate::domain::{Level, Post, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    Zh,
    En,
}

impl Locale {
    pub fn parse(raw: &str) -> Option<Locale> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" => Some(Locale::Zh),
            "en" | "en-us" | "en_us" | "en-gb" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn is_en(self) -> bool {
        self == Locale::En
    }

    pub fn level(self, level: Level) -> &'static str {
        match self {
            Locale::Zh => level.name_zh(),
            Locale::En => level.key(),
        }
    }

    pub fn role(self, role: Role) -> &'static str {
        match self {
            Locale::Zh => role.name_zh(),
            Locale::En => role.key(),
        }
    }

    pub fn post(self, post: Post) -> &'static str {
        match (self, post) {
            (Locale::Zh, Post::A) => "A岗",
            (Locale::Zh, Post::B) => "B岗",
            (Locale::En, Post::A) => "A post",
            (Locale::En, Post::B) => "B post",
        }
    }
}

/// `tr!(locale, "中文 {x}", "English {x}")` formats the reply in the locale's language.
#[macro_export]
macro_rules! tr {
    ($loc:expr, $zh:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $loc {
            $crate::i18n::Locale::Zh => format!($zh $(, $arg)*),
            $crate::i18n::Locale::En => format!($en $(, $arg)*),
        }
    };
}

/// Escapes text for Telegram's HTML parse mode. Everything a user wrote
/// (names, node names, report text) goes through this before it is shown.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Turns one of our HTML replies into plain text (for button toasts, which
/// Telegram shows unformatted).
pub fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            esc("<b>&\"x\"</b>"),
            "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;"
        );
        assert_eq!(esc("平安"), "平安");
    }

    #[test]
    fn plain_undoes_esc_and_tags() {
        let user = "<b>&x</b>";
        assert_eq!(
            plain(&format!("<b>{}</b> ok", esc(user))),
            format!("{user} ok")
        );
    }

    #[test]
    fn tr_picks_language() {
        let n = 3;
        assert_eq!(tr!(Locale::Zh, "共 {} 个", "{} in all", n), "共 3 个");
        assert_eq!(tr!(Locale::En, "共 {n} 个", "{n} in all"), "3 in all");
    }
}
