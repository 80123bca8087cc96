//! How alerts look: the copy every group gets, the issuer's preview card and
//! the progress card it turns into. Everything the issuer wrote is escaped.

use chrono::TimeZone;
use chrono_tz::Tz;

use crate::domain::Level;
use crate::domain::alert::{Category, Severity};
use crate::i18n::{Locale, esc};
use crate::store::alerts::{Alert, Progress};
use crate::tr;

pub fn severity(l: Locale, s: Severity) -> &'static str {
    if l.is_en() { s.key() } else { s.name_zh() }
}

pub fn category(l: Locale, c: Category) -> &'static str {
    if l.is_en() { c.key() } else { c.name_zh() }
}

fn time(tz: Tz, at: i64) -> String {
    tz.timestamp_opt(at, 0)
        .single()
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `A17 · 🟧 严重 · 天气`
pub fn headline(l: Locale, a: &Alert) -> String {
    format!(
        "{} · {} {} · {}",
        a.tag(),
        a.severity.icon(),
        severity(l, a.severity),
        category(l, a.category)
    )
}

/// The copy posted in every target group.
pub fn copy(l: Locale, tz: Tz, a: &Alert, node_name: &str) -> String {
    copy_to(l, tz, a, node_name, true)
}

/// The copy; `asked` is false for the issuing group, which is not asked to
/// acknowledge its own alert. A draft (no number yet) is signed without one.
pub fn copy_to(l: Locale, tz: Tz, a: &Alert, node_name: &str, asked: bool) -> String {
    let title = tr!(l, "平安提示", "Safety alert");
    let tag = a
        .number
        .map(|_| tr!(l, "（{}）", " ({})", a.tag()))
        .unwrap_or_default();
    let mut s = format!(
        "{} <b>{title} · {} · {}</b>\n\n{}\n\n—— {}{tag}",
        a.severity.icon(),
        severity(l, a.severity),
        category(l, a.category),
        esc(&a.text),
        esc(node_name),
    );
    if let Some(until) = a.expires_at {
        s.push_str(&tr!(
            l,
            " · 有效至 {}",
            " · valid until {}",
            time(tz, until)
        ));
    }
    if asked && a.severity.needs_ack() {
        s.push_str(&tr!(
            l,
            "\n请本群工作人员点击「收到」确认。",
            "\nStaff of this group: press Received to acknowledge."
        ));
    }
    s
}

/// The copy after `/alert_cancel`.
pub fn cancelled_copy(l: Locale, a: &Alert, reason: Option<&str>) -> String {
    let why = reason
        .map(|r| tr!(l, "（原因：{}）", " (reason: {})", esc(r)))
        .unwrap_or_default();
    format!(
        "{}\n<s>{}</s>",
        tr!(
            l,
            "⛔ 平安提示 {} 已撤销{why}",
            "⛔ Safety alert {} was withdrawn{why}",
            a.tag()
        ),
        esc(&a.text)
    )
}

pub fn ack_markup(l: Locale, a: &Alert) -> Option<String> {
    a.severity.needs_ack().then(|| {
        let text = tr!(l, "✅ 收到", "✅ Received");
        serde_json::json!({"inline_keyboard": [[{"text": text, "callback_data": format!("a:ack:{}", a.id)}]]})
            .to_string()
    })
}

pub fn preview_markup(l: Locale, id: i64) -> String {
    serde_json::json!({"inline_keyboard": [[
        {"text": tr!(l, "📤 发送", "📤 Send"), "callback_data": format!("a:send:{id}")},
        {"text": tr!(l, "✖ 取消", "✖ Cancel"), "callback_data": format!("a:drop:{id}")},
    ]]})
    .to_string()
}

/// `区 1 · 社区 2 · 网格 5`
pub fn level_counts(l: Locale, counts: &[(Level, usize)]) -> String {
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(lv, n)| format!("{} {n}", l.level(*lv)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The preview card; `pinned` is how many of the groups will have the
/// alert pinned (shown for severities that pin).
pub fn preview(
    l: Locale,
    tz: Tz,
    a: &Alert,
    node_name: &str,
    counts: &[(Level, usize)],
    pinned: usize,
) -> String {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let pins = if !a.severity.needs_ack() {
        String::new()
    } else if pinned >= total {
        tr!(
            l,
            "\n置顶 {pinned}/{total}",
            "\npinned in {pinned}/{total} groups"
        )
    } else {
        tr!(
            l,
            "\n置顶 {pinned}/{total}，其余群机器人不是管理员或没有置顶权限",
            "\npinned in {pinned}/{total} groups; the bot is not an administrator with the pin right in the others"
        )
    };
    format!(
        "{}\n\n{}\n\n{}\n{}{pins}",
        tr!(
            l,
            "📣 <b>预览</b>（尚未发送）",
            "📣 <b>Preview</b> (not sent yet)"
        ),
        copy(l, tz, a, node_name),
        terms(l, a),
        tr!(
            l,
            "将发送到 {total} 个群：{}",
            "Will go to {total} groups: {}",
            level_counts(l, counts)
        )
    )
}

/// `类别：天气 · 有效期：发送后 6小时`: what the preview's copy leaves implicit.
pub fn terms(l: Locale, a: &Alert) -> String {
    let expiry = match a.expires_in {
        Some(secs) => tr!(
            l,
            "发送后 {}，届时取消置顶、停止提醒",
            "{} after sending, then unpinned and no more reminders",
            duration(l, secs)
        ),
        None => tr!(l, "不限（不会自动过期）", "none (it does not expire)"),
    };
    tr!(
        l,
        "类别：{} · 级别：{} · 有效期：{expiry}",
        "Category: {} · severity: {} · expiry: {expiry}",
        category(l, a.category),
        severity(l, a.severity)
    )
}

/// `1天6小时30分钟`, `1 d 6 h 30 min`.
pub fn duration(l: Locale, secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    let units = if l.is_en() {
        [" d", " h", " min"]
    } else {
        ["天", "小时", "分钟"]
    };
    let parts: Vec<String> = [d, h, m]
        .into_iter()
        .zip(units)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        tr!(l, "不到 1 分钟", "under a minute")
    } else {
        parts.join(if l.is_en() { " " } else { "" })
    }
}

fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(120).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    esc(&s)
}

/// The live progress card; `failures` are (node code, reason) of failed copies.
pub fn progress(l: Locale, a: &Alert, p: Progress, failures: &[(String, String)]) -> String {
    let done = p.pending == 0;
    let state = match a.status.as_str() {
        "cancelled" => tr!(l, "⛔ 已撤销", "⛔ Withdrawn"),
        "expired" => tr!(l, "⌛ 已过期", "⌛ Expired"),
        _ if done => tr!(l, "✅ 发送完毕", "✅ Done"),
        _ => tr!(l, "⏳ 发送中", "⏳ Sending"),
    };
    let mut s = format!(
        "📣 <b>{}</b>\n{}\n\n{state}\n{}",
        headline(l, a),
        excerpt(&a.text),
        tr!(
            l,
            "已送达 {}/{} · 失败 {}",
            "Delivered {}/{} · failed {}",
            p.sent,
            p.total(),
            p.failed
        )
    );
    if p.cancelled > 0 {
        s.push_str(&tr!(l, " · 已撤回 {}", " · withdrawn {}", p.cancelled));
    }
    for (code, why) in failures.iter().take(10) {
        s.push_str(&format!("\n❌ {code}：{}", esc(why)));
    }
    if failures.len() > 10 {
        s.push_str(&format!("\n… +{}", failures.len() - 10));
    }
    s
}

/// A failure reason in the user's words.
pub fn failure_reason(l: Locale, error: Option<&str>) -> String {
    let e = error.unwrap_or_default();
    if e.contains("kicked") || e.contains("not a member") || e.starts_with("Forbidden") {
        tr!(
            l,
            "机器人已不在该群，群已停用",
            "the bot is no longer in the group; group marked inactive"
        )
    } else if e.contains("chat not found") {
        tr!(l, "找不到该群", "the group no longer exists")
    } else {
        tr!(l, "多次发送失败", "sending failed repeatedly")
    }
}

/// Why an alert's arguments were not accepted, for the usage reply.
pub fn draft_error(l: Locale, e: &crate::domain::alert::DraftError) -> String {
    use crate::domain::alert::{DraftError, MAX_TEXT};
    match e {
        DraftError::Empty => tr!(
            l,
            "请写出提示内容。级别：extreme/severe/moderate/minor（特别严重/严重/较重/一般）。",
            "Write the alert's text. Severity: extreme/severe/moderate/minor."
        ),
        DraftError::TooLong(n) => tr!(
            l,
            "提示内容共 {n} 字，最多 {MAX_TEXT} 字。",
            "The text has {n} characters; at most {MAX_TEXT} are allowed."
        ),
        DraftError::UnknownSeverity(w) => {
            let w = crate::i18n::esc(w);
            tr!(
                l,
                "没有「{w}」这个级别。级别：extreme 特别严重、severe 严重、moderate 较重（默认）、minor 一般。",
                "There is no severity “{w}”. Severities: extreme, severe, moderate (the default), minor."
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::MAX_TEXT;
    use crate::domain::node::MAX_NODE_NAME;
    use crate::domain::{Level, NodeCode};
    use crate::i18n::Locale;
    use crate::outbox::{SPLIT_AT, split_text};

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Locale::Zh, 90 * 60), "1小时30分钟");
        assert_eq!(duration(Locale::En, 86_400 + 6 * 3600), "1 d 6 h");
        assert_eq!(duration(Locale::En, 30), "under a minute");
    }

    #[test]
    fn the_longest_alert_is_one_message_in_every_form() {
        let alert = Alert {
            id: 999_999,
            number: Some(999_999),
            node: NodeCode::parse("xq").unwrap(),
            chat_id: -1,
            issuer_id: 1,
            severity: Severity::Extreme,
            category: Category::Geological,
            only: Some(Level::Grid),
            // Escaping makes `<` and `&` longer in HTML, not on screen.
            text: "<&平安>".repeat(MAX_TEXT / 5),
            status: "sent".into(),
            expires_in: Some(3600),
            expires_at: Some(1_800_000_000),
            created_at: 0,
            sent_at: Some(0),
            cancel_reason: None,
            card_outbox_id: None,
            card_edit_id: None,
            card_next_ms: 0,
        };
        assert_eq!(alert.text.chars().count(), MAX_TEXT);
        let name = "区".repeat(MAX_NODE_NAME);
        let counts = [
            (Level::Town, 99),
            (Level::Community, 999),
            (Level::Grid, 9999),
        ];
        for l in [Locale::Zh, Locale::En] {
            let reason = "原".repeat(200);
            for text in [
                copy(l, Tz::Asia__Shanghai, &alert, &name),
                preview(l, Tz::Asia__Shanghai, &alert, &name, &counts, 0),
                cancelled_copy(l, &alert, Some(&reason)),
            ] {
                let parts = split_text(&text, SPLIT_AT);
                assert_eq!(parts.len(), 1, "{l:?}: {} parts", parts.len());
            }
        }
    }
}
