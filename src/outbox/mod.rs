//! The durable outbox and its dispatcher.
//!
//! Every message the bot owes a group or a person is written to the `outbox`
//! table in the same transaction as the change that causes it ([`queue`]),
//! then sent by the [`Dispatcher`], which keeps to Telegram's limits
//! ([`limits`]), honours `retry_after`, backs off on server and network
//! errors, follows a group's move to a supergroup and stops writing to a chat
//! that removed or blocked the bot. Nothing owed is lost on a crash: rows stay
//! pending until sent, and a row whose sender died is sent again once its
//! lease runs out (at most one extra copy).

pub mod dispatcher;
pub mod latency;
pub mod limits;

pub use dispatcher::{DispatchStats, Dispatcher, SendError, SendHook, Transport};
pub use limits::Limits;

use std::collections::HashMap;

use crate::i18n::Locale;
use crate::store::Conn;
use crate::store::outbox::{self as rows, Outgoing};
use crate::tr;

/// Telegram's text limit is 4096 characters after entity parsing; longer
/// replies are split at line ends well below it, so that tags (which never
/// span lines in our replies) stay whole.
pub const SPLIT_AT: usize = 3500;

/// A photo's or document's caption stays under Telegram's 1024 characters.
pub const CAPTION_MAX: usize = 1000;

/// Most answers one person may have waiting (replies, private copies of a
/// group answer, refusals). Beyond it they get one short "please slow
/// down" and the rest of their answers are dropped: what they did stands,
/// only the replies are folded away, so no person can starve the others.
pub const ANSWER_CAP: i64 = 20;

/// Tags of answers that are sent once a minute at most to one person: an
/// unknown command (whichever), and a refusal of the same input (the tag
/// carries the input: [`refusal_tag`]).
pub const REFUSAL: &str = "refusal";
pub const UNKNOWN_COMMAND: &str = "unknown-command";
const SLOW_DOWN: &str = "slow-down";

/// The tag of a refusal of `input` (cut short: it only has to tell inputs apart).
pub fn refusal_tag(input: &str) -> String {
    let input: String = input.chars().take(200).collect();
    format!("{REFUSAL}:{input}")
}

/// Like [`queue`], for messages that answer someone who acted: keeps each
/// person under [`ANSWER_CAP`], and answers an unknown command or the same
/// refusal once a minute.
pub async fn queue_capped(
    conn: &mut Conn,
    msgs: &[Outgoing],
    now: i64,
    locale: Locale,
) -> sqlx::Result<Vec<i64>> {
    let mut waiting: HashMap<i64, i64> = HashMap::new();
    let mut keep = Vec::with_capacity(msgs.len());
    for msg in msgs {
        let Some(person) = msg.person else {
            keep.push(msg.clone());
            continue;
        };
        let repeat = match msg.tag.as_deref() {
            Some(UNKNOWN_COMMAND) => Some((UNKNOWN_COMMAND, None)),
            Some(tag) if tag.starts_with(REFUSAL) => Some((tag, Some(msg.text.as_str()))),
            _ => None,
        };
        if let Some((tag, text)) = repeat
            && rows::answered_since(conn, person, tag, text, now - 60).await?
        {
            continue;
        }
        let n = match waiting.get(&person) {
            Some(n) => *n,
            None => rows::pending_answers(conn, person).await?,
        };
        if n >= ANSWER_CAP {
            if !rows::answered_since(conn, person, SLOW_DOWN, None, now - 60).await?
                && !keep.iter().any(|m: &Outgoing| {
                    m.person == Some(person) && m.tag.as_deref() == Some(SLOW_DOWN)
                })
            {
                let text = tr!(
                    locale,
                    "您的消息太多，我正在逐条处理，请稍候再发。",
                    "You are sending faster than I can answer; please wait a moment."
                );
                keep.push(Outgoing::answer(msg.chat_id, person, text).tagged(SLOW_DOWN));
            }
            continue;
        }
        waiting.insert(person, n + 1);
        keep.push(msg.clone());
    }
    queue(conn, &keep, now).await
}

/// Queues messages in the caller's transaction, splitting long texts.
pub async fn queue(conn: &mut Conn, msgs: &[Outgoing], now: i64) -> sqlx::Result<Vec<i64>> {
    let now_ms = wall_ms();
    let mut ids = Vec::new();
    for msg in msgs {
        if msg.kind.is_file() {
            // A caption is not split: it is cut to Telegram's 1024 characters.
            let piece = Outgoing {
                text: split_text(&msg.text, CAPTION_MAX).swap_remove(0),
                ..msg.clone()
            };
            ids.push(rows::enqueue(conn, &piece, now, now_ms).await?);
            continue;
        }
        let parts = split_text(&msg.text, SPLIT_AT);
        let last = parts.len() - 1;
        for (i, part) in parts.into_iter().enumerate() {
            // Buttons go with the last part, a reply reference with the first.
            let piece = Outgoing {
                text: part,
                markup: if i == last { msg.markup.clone() } else { None },
                reply_to: if i == 0 { msg.reply_to } else { None },
                ..msg.clone()
            };
            ids.push(rows::enqueue(conn, &piece, now, now_ms).await?);
        }
    }
    Ok(ids)
}

/// Splits HTML at line ends so that each part shows at most `max`
/// characters as Telegram counts them (a tag shows none, an entity such as
/// `&lt;` one). A single longer line is cut between characters, never
/// inside a tag or an entity.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut len = 0;
    for line in text.split_inclusive('\n') {
        let n = shown_len(line);
        if len + n > max && !current.is_empty() {
            parts.push(std::mem::take(&mut current).trim_end().to_string());
            len = 0;
        }
        if n > max {
            parts.extend(cut_line(line, max));
            continue;
        }
        current.push_str(line);
        len += n;
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current.trim_end().to_string());
    }
    parts
}

/// The pieces of HTML text, each with how many characters it shows: a tag
/// (none), an entity (one) or a character (one).
fn pieces(html: &str) -> impl Iterator<Item = (&str, usize)> {
    let mut rest = html;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let entity_end = || {
            let end = rest.find(';')?;
            let name = &rest[1..end];
            let ok = !name.is_empty()
                && name.len() <= 8
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '#');
            ok.then_some(end + 1)
        };
        let (end, shown) = match first {
            '<' => (rest.find('>').map_or(rest.len(), |i| i + 1), 0),
            '&' => (entity_end().unwrap_or(1), 1),
            c => (c.len_utf8(), 1),
        };
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some((piece, shown))
    })
}

fn shown_len(html: &str) -> usize {
    pieces(html).map(|(_, n)| n).sum()
}

/// A line longer than `max` in pieces of at most `max` shown characters.
fn cut_line(line: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let (mut current, mut len) = (String::new(), 0);
    for (piece, n) in pieces(line) {
        if len + n > max && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            len = 0;
        }
        current.push_str(piece);
        len += n;
    }
    if !current.trim().is_empty() {
        out.push(current.trim_end().to_string());
    }
    out
}

/// Real time in milliseconds, for send scheduling (never the test clock:
/// pacing and retries happen in real time even when the domain's clock is
/// held still).
pub fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split_text("a\nb", 10), vec!["a\nb"]);
    }

    #[test]
    fn splits_at_line_ends() {
        let text = "aaaa\nbbbb\ncccc\n";
        assert_eq!(split_text(text, 10), vec!["aaaa\nbbbb", "cccc"]);
    }

    #[test]
    fn tags_and_entities_count_as_telegram_shows_them() {
        assert_eq!(shown_len("<b>平安</b> &lt;1&gt; &amp; &#39;"), 10);
        // Three lines, seventeen shown characters with their line ends.
        let text = "<b>aaaaa</b>\n&lt;&lt;&lt;&lt;&lt;\nccccc";
        assert_eq!(split_text(text, 17), vec![text]);
    }

    #[test]
    fn a_long_line_is_never_cut_inside_an_entity_or_a_tag() {
        let line = format!("<b>x</b>{}", "&amp;".repeat(25));
        let parts = split_text(&line, 10);
        assert_eq!(parts.len(), 3, "{parts:?}");
        for p in &parts {
            assert!(shown_len(p) <= 10, "{p}");
            assert_eq!(p.matches('&').count(), p.matches("&amp;").count(), "{p}");
        }
        assert_eq!(parts.concat(), line);
    }

    proptest! {
        #[test]
        fn parts_fit_and_keep_all_lines(lines in proptest::collection::vec("[a-z平安]{0,30}", 1..60), max in 31usize..200) {
            let text = lines.join("\n");
            let parts = split_text(&text, max);
            for p in &parts {
                prop_assert!(p.chars().count() <= max);
            }
            let rejoined: Vec<String> = parts.join("\n").split('\n').map(|s| s.trim_end().to_string()).filter(|s| !s.is_empty()).collect();
            let original: Vec<String> = lines.iter().map(|s| s.to_string()).filter(|s| !s.is_empty()).collect();
            prop_assert_eq!(rejoined, original);
        }
    }
}
