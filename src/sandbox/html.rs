//! Telegram's `parse_mode=HTML` parser: validates markup the way the Bot API does and turns it into visible text plus entities.

use serde_json::{Value, json};

/// One formatting entity, offsets and lengths in UTF-16 code units (as Telegram counts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// Entity type as in the Bot API (`bold`, `text_link`, `pre`, …).
    pub kind: &'static str,
    pub offset: usize,
    pub length: usize,
    /// Extra field for some kinds: `("url", …)`, `("language", …)`, `("custom_emoji_id", …)`.
    pub extra: Option<(&'static str, String)>,
}

impl Entity {
    /// The entity as Bot API JSON.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"type": self.kind, "offset": self.offset, "length": self.length});
        if let Some((k, x)) = &self.extra {
            v[*k] = Value::String(x.clone());
        }
        v
    }
}

/// Result of parsing a message: what the user sees, and its formatting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedText {
    pub text: String,
    pub entities: Vec<Entity>,
}

/// Number of UTF-16 code units in `s` (Telegram's unit for lengths and offsets).
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "span",
    "tg-spoiler",
    "tg-emoji",
];

struct Open {
    tag: String,
    start: usize,
    href: Option<String>,
    class: Option<String>,
    emoji_id: Option<String>,
    expandable: bool,
    language: Option<String>,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Decodes the HTML entity starting at byte `i` (which is `&`); returns the character and bytes consumed.
fn decode_entity(src: &str, i: usize) -> Result<(char, usize), String> {
    let rest = &src[i + 1..];
    let err = || format!("Unsupported HTML entity at byte offset {i}");
    let end = rest.find(';').filter(|&e| e <= 10).ok_or_else(err)?;
    let name = &rest[..end];
    let ch = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
            code.filter(|&c| c != 0)
                .and_then(char::from_u32)
                .ok_or_else(err)?
        }
    };
    Ok((ch, end + 2))
}

/// Parses `src` as Telegram HTML. On failure returns the detail that follows
/// `"Bad Request: can't parse entities: "` in Telegram's error description.
pub fn parse_html(src: &str) -> Result<ParsedText, String> {
    let b = src.as_bytes();
    let n = b.len();
    let mut text = String::with_capacity(n);
    let mut pos = 0usize; // UTF-16 length of `text`
    let mut stack: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut i = 0;
    while i < n {
        match b[i] {
            b'&' => {
                let (ch, used) = decode_entity(src, i)?;
                text.push(ch);
                pos += ch.len_utf16();
                i += used;
            }
            b'<' if i + 1 < n && b[i + 1] == b'/' => {
                let begin = i;
                let Some(open) = stack.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {begin}"));
                };
                let mut j = i + 2;
                while j < n && !is_space(b[j]) && b[j] != b'>' {
                    j += 1;
                }
                let name = src[i + 2..j].to_ascii_lowercase();
                while j < n && is_space(b[j]) {
                    j += 1;
                }
                if j >= n || b[j] != b'>' {
                    return Err(format!("Unclosed end tag at byte offset {begin}"));
                }
                if !name.is_empty() && name != open.tag {
                    return Err(format!(
                        "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{name}>\"",
                        open.tag
                    ));
                }
                i = j + 1;
                close(open, pos, &mut stack, &mut entities);
            }
            b'<' => {
                let (open, next) = start_tag(src, i, pos)?;
                stack.push(open);
                i = next;
            }
            _ => {
                let end = src[i..].find(['<', '&']).map_or(n, |e| i + e);
                let chunk = &src[i..end];
                text.push_str(chunk);
                pos += utf16_len(chunk);
                i = end;
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.tag
        ));
    }
    entities
        .sort_by(|a: &Entity, b: &Entity| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
    Ok(ParsedText { text, entities })
}

/// Parses the start tag at byte `begin` (a `<`); returns it and the byte index after `>`.
fn start_tag(src: &str, begin: usize, pos: usize) -> Result<(Open, usize), String> {
    let b = src.as_bytes();
    let n = b.len();
    let unclosed = || format!("Unclosed start tag at byte offset {begin}");
    let mut j = begin + 1;
    while j < n && !is_space(b[j]) && b[j] != b'>' {
        j += 1;
    }
    if j >= n {
        return Err(unclosed());
    }
    let tag = src[begin + 1..j].to_ascii_lowercase();
    if !TAGS.contains(&tag.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{tag}\" at byte offset {begin}"
        ));
    }
    let mut open = Open {
        tag,
        start: pos,
        href: None,
        class: None,
        emoji_id: None,
        expandable: false,
        language: None,
    };
    loop {
        while j < n && is_space(b[j]) {
            j += 1;
        }
        if j >= n {
            return Err(unclosed());
        }
        if b[j] == b'>' {
            break;
        }
        let name_start = j;
        while j < n && !is_space(b[j]) && b[j] != b'=' && b[j] != b'>' {
            j += 1;
        }
        let attr = src[name_start..j].to_ascii_lowercase();
        if attr.is_empty() {
            return Err(format!(
                "Empty attribute name in the tag \"{}\" at byte offset {begin}",
                open.tag
            ));
        }
        while j < n && is_space(b[j]) {
            j += 1;
        }
        if j >= n {
            return Err(unclosed());
        }
        if b[j] != b'=' {
            if open.tag == "blockquote" && attr == "expandable" {
                open.expandable = true;
                continue;
            }
            return Err(format!(
                "Expected equal sign in declaration of an attribute of the tag \"{}\" at byte offset {begin}",
                open.tag
            ));
        }
        j += 1;
        while j < n && is_space(b[j]) {
            j += 1;
        }
        if j >= n {
            return Err(unclosed());
        }
        let mut value = String::new();
        if b[j] == b'"' || b[j] == b'\'' {
            let quote = b[j];
            j += 1;
            while j < n && b[j] != quote {
                if b[j] == b'&' {
                    let (ch, used) = decode_entity(src, j)?;
                    value.push(ch);
                    j += used;
                } else {
                    let end = src[j..]
                        .find(|c: char| c == '&' || c as u32 == quote as u32)
                        .map_or(n, |e| j + e);
                    value.push_str(&src[j..end]);
                    j = end;
                }
            }
            if j >= n {
                return Err(unclosed());
            }
            j += 1;
        } else {
            let start = j;
            while j < n && !is_space(b[j]) && b[j] != b'>' {
                j += 1;
            }
            value.push_str(&src[start..j]);
            if j >= n {
                return Err(unclosed());
            }
        }
        match (open.tag.as_str(), attr.as_str()) {
            ("a", "href") => open.href = Some(value),
            ("code" | "span", "class") => open.class = Some(value),
            ("tg-emoji", "emoji-id") => open.emoji_id = Some(value),
            _ => {}
        }
    }
    if open.tag == "span" && open.class.as_deref() != Some("tg-spoiler") {
        return Err(format!(
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
        ));
    }
    Ok((open, j + 1))
}

fn close(open: Open, pos: usize, stack: &mut [Open], entities: &mut Vec<Entity>) {
    let length = pos - open.start;
    let mut extra = None;
    let kind = match open.tag.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "span" | "tg-spoiler" => "spoiler",
        "blockquote" if open.expandable => "expandable_blockquote",
        "blockquote" => "blockquote",
        "code" => {
            if let Some(pre) = stack.last_mut().filter(|p| p.tag == "pre") {
                if let Some(lang) = open
                    .class
                    .as_deref()
                    .and_then(|c| c.strip_prefix("language-"))
                {
                    pre.language = Some(lang.to_string());
                }
                return;
            }
            "code"
        }
        "pre" => {
            extra = open.language.map(|l| ("language", l));
            "pre"
        }
        "a" => {
            let Some(url) = open.href.as_deref().and_then(normalize_url) else {
                return;
            };
            extra = Some(("url", url));
            "text_link"
        }
        "tg-emoji" => {
            let Some(id) = open.emoji_id.filter(|id| !id.is_empty()) else {
                return;
            };
            extra = Some(("custom_emoji_id", id));
            "custom_emoji"
        }
        _ => return,
    };
    if length > 0 {
        entities.push(Entity {
            kind,
            offset: open.start,
            length,
            extra,
        });
    }
}

/// Telegram accepts `example.com` as a link and prepends `http://`; unusable links yield no entity.
fn normalize_url(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    url::Url::parse(href)
        .or_else(|_| url::Url::parse(&format!("http://{href}")))
        .ok()
        .map(|u| u.to_string())
}

/// Escapes `<`, `>`, `&` and `"` so that `s` shows verbatim under `parse_mode=HTML`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
