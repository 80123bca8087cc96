//! Acknowledgements as the issuer reads them, on the progress card and in
//! `/alert_info`: who pressed 收到 and when (HH:MM, district time), and which
//! groups have not, by name with their A and B posts, so they can be chased.

use chrono::TimeZone;
use chrono_tz::Tz;

use crate::domain::Post;
use crate::i18n::{Locale, esc};
use crate::store::acks::{AckBoard, Acked, Waiting};
use crate::tr;

fn hh_mm(tz: Tz, at: i64) -> String {
    tz.timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

fn acked(l: Locale, tz: Tz, a: &Acked) -> String {
    let who = if a.by_name.trim().is_empty() {
        format!("ID {}", a.by)
    } else {
        esc(&a.by_name)
    };
    let at = hh_mm(tz, a.at);
    format!(
        "{} {}{}",
        a.node,
        esc(&a.node_name),
        tr!(l, "（{who} {at}）", " ({who} {at})")
    )
}

/// `第四网格（A岗：张三、李四 · B岗：王五）`, with the code first.
pub fn waiting(l: Locale, w: &Waiting) -> String {
    let posts: Vec<String> = [Post::A, Post::B]
        .into_iter()
        .filter_map(|post| {
            let all: Vec<&String> = w
                .staff
                .iter()
                .filter(|(p, _)| *p == post)
                .map(|(_, n)| n)
                .collect();
            let mut names: Vec<String> = all.iter().take(STAFF_SHOWN).map(|n| esc(n)).collect();
            if all.len() > STAFF_SHOWN {
                names.push(tr!(l, "等 {} 人", "{} in all", all.len()));
            }
            (!names.is_empty()).then(|| {
                tr!(
                    l,
                    "{}：{}",
                    "{}: {}",
                    l.post(post),
                    names.join(tr!(l, "、", ", ").as_str())
                )
            })
        })
        .collect();
    let staff = if posts.is_empty() {
        tr!(l, "无工作人员", "no staff")
    } else {
        posts.join(" · ")
    };
    format!(
        "{} {}{}",
        w.node,
        esc(&w.node_name),
        tr!(l, "（{staff}）", " ({staff})")
    )
}

/// Names shown per post; a node with more says how many in all.
const STAFF_SHOWN: usize = 3;

/// [`lines`] cut to fit `max_chars` (the progress card is edited in place
/// and cannot be split): fewer groups named, never fewer counts.
pub fn lines_within(l: Locale, tz: Tz, board: &AckBoard, max_chars: usize) -> String {
    [10, 5, 2]
        .into_iter()
        .map(|limit| lines(l, tz, board, limit))
        .find(|s| s.chars().count() <= max_chars)
        .unwrap_or_else(|| lines(l, tz, board, 0))
}

fn list(l: Locale, items: Vec<String>, limit: usize) -> String {
    let more = items.len().saturating_sub(limit);
    let mut s = items
        .into_iter()
        .take(limit)
        .collect::<Vec<_>>()
        .join(tr!(l, "；", "; ").as_str());
    if more > 0 {
        s.push_str(&tr!(l, "；… 另 {more} 个", "; … {more} more"));
    }
    s
}

/// Two lines, at most `limit` groups in each.
pub fn lines(l: Locale, tz: Tz, board: &AckBoard, limit: usize) -> String {
    let done: Vec<String> = board.acked.iter().map(|a| acked(l, tz, a)).collect();
    let not: Vec<String> = board.waiting.iter().map(|w| waiting(l, w)).collect();
    format!(
        "{}{}",
        tr!(
            l,
            "\n✅ 已确认 {}：{}",
            "\n✅ Acknowledged {}: {}",
            done.len(),
            list(l, done, limit)
        ),
        tr!(
            l,
            "\n⏳ 未确认 {}：{}",
            "\n⏳ Not acknowledged {}: {}",
            not.len(),
            list(l, not, limit)
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NodeCode;

    fn board() -> AckBoard {
        AckBoard {
            acked: vec![Acked {
                node: NodeCode::parse("xq.hmk.c1.g3").unwrap(),
                node_name: "第三网格".into(),
                by_name: "张<三>".into(),
                by: 7,
                at: 1_795_741_200 + 31 * 60, // 09:31 in Shanghai
            }],
            waiting: vec![Waiting {
                node: NodeCode::parse("xq.hmk.c1.g4").unwrap(),
                node_name: "第四网格".into(),
                staff: vec![(Post::A, "李四".into()), (Post::B, "王五".into())],
            }],
        }
    }

    #[test]
    fn names_who_and_when_and_who_not() {
        let s = lines(Locale::Zh, Tz::Asia__Shanghai, &board(), 10);
        assert!(
            s.contains("已确认 1：xq.hmk.c1.g3 第三网格（张&lt;三&gt; 09:31）"),
            "{s}"
        );
        assert!(
            s.contains("未确认 1：xq.hmk.c1.g4 第四网格（A岗：李四 · B岗：王五）"),
            "{s}"
        );
        let en = lines(Locale::En, Tz::Asia__Shanghai, &board(), 10);
        assert!(en.contains("(A post: 李四 · B post: 王五)"), "{en}");
        assert!(!en.contains(['：', '；', '（', '、']), "{en}");
    }

    #[test]
    fn long_lists_are_cut() {
        let mut b = board();
        b.waiting = (1..=12)
            .map(|i| Waiting {
                node: NodeCode::parse(&format!("xq.g{i}")).unwrap(),
                node_name: format!("网格{i}"),
                staff: Vec::new(),
            })
            .collect();
        let s = lines(Locale::Zh, Tz::Asia__Shanghai, &b, 10);
        assert!(s.contains("未确认 12：") && s.contains("另 2 个"), "{s}");
        assert!(!s.contains("网格11"), "{s}");
        let short = lines_within(Locale::Zh, Tz::Asia__Shanghai, &b, 120);
        assert!(
            short.contains("未确认 12：") && short.contains("另 10 个"),
            "{short}"
        );
    }

    #[test]
    fn many_staff_are_counted() {
        let mut b = board();
        b.waiting[0].staff = (1..=5).map(|i| (Post::A, format!("员{i}"))).collect();
        let s = lines(Locale::Zh, Tz::Asia__Shanghai, &b, 10);
        assert!(s.contains("A岗：员1、员2、员3、等 5 人）"), "{s}");
    }
}
