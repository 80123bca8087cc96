//! The statistics as a phone reads them: a short headline, then a compact
//! block per category, tier and child node. Node names are escaped (they
//! were typed by admins); everything else is our own text.

use std::collections::BTreeMap;

use crate::domain::NodeCode;
use crate::domain::stats::{Counts, Figures, Ratio, change_permille};
use crate::i18n::{Locale, esc};
use crate::tr;

/// Node names by code, for labels.
pub type Names = BTreeMap<NodeCode, String>;

/// `1,557`.
pub fn int(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `95.9%` from tenths of a percent, `—` when undefined.
pub fn percent(permille: Option<u32>) -> String {
    match permille {
        Some(p) => format!("{}.{}%", p / 10, p % 10),
        None => "—".into(),
    }
}

/// `−8.7%` / `+5.0%` / `—`.
pub fn change(before: u32, now: u32) -> String {
    match change_permille(before, now) {
        Some(c) => {
            let sign = if c < 0 { "−" } else { "+" };
            let a = c.unsigned_abs();
            format!("{sign}{}.{}%", a / 10, a % 10)
        }
        None => "—".into(),
    }
}

fn ratio(l: Locale, r: Ratio) -> String {
    let (p, a, b) = (percent(r.permille()), int(r.part), int(r.whole));
    tr!(l, "{p}（{a}/{b}）", "{p} ({a}/{b})")
}

/// `西区 xq` (escaped).
pub fn node_label(names: &Names, code: &NodeCode) -> String {
    match names.get(code) {
        Some(n) => format!("{} <code>{code}</code>", esc(n)),
        None => format!("<code>{code}</code>"),
    }
}

pub fn counts_line(l: Locale, c: &Counts) -> String {
    tr!(
        l,
        "新增 {} · 已解决 {} · 调解未成 {} · 已办结 {} · 在办 {} · 超期 {}",
        "new {} · resolved {} · failed {} · closed {} · open {} · overdue {}",
        int(c.opened),
        int(c.resolved),
        int(c.failed),
        int(c.closed),
        int(c.open),
        int(c.overdue)
    )
}

/// The headline figures: totals, the change, mediation, satisfaction,
/// supervision and alerts.
pub fn headline(l: Locale, f: &Figures, prev: &Figures) -> String {
    let mut t = counts_line(l, &f.total);
    t.push('\n');
    t.push_str(&tr!(
        l,
        "环比：新增 {}，已解决 {}",
        "vs previous period: new {}, resolved {}",
        change(prev.total.opened, f.total.opened),
        change(prev.total.resolved, f.total.resolved)
    ));
    t.push('\n');
    t.push_str(&tr!(
        l,
        "矛盾纠纷化解成功率 {}",
        "Dispute mediation success {}",
        ratio(l, f.mediation)
    ));
    t.push('\n');
    t.push_str(&satisfaction_line(l, f));
    t.push('\n');
    t.push_str(&tr!(
        l,
        "挂牌督办 {} 件，按期完成 {} 件",
        "Supervised {}, done on time {}",
        int(f.supervised_on_time.whole),
        int(f.supervised_on_time.part)
    ));
    t.push('\n');
    let a = &f.alerts;
    t.push_str(&tr!(
        l,
        "警情提示 {} 条 · 送达率 {} · 确认率 {}",
        "Alerts {} · delivered {} · acknowledged {}",
        int(a.issued),
        percent(a.delivery.permille()),
        percent(a.acknowledgement.permille())
    ));
    t
}

/// `群众满意率 80.0%（4/5） · 回访应答率 …`: every rating given in the period.
pub fn satisfaction_line(l: Locale, f: &Figures) -> String {
    tr!(
        l,
        "群众满意率 {} · 回访应答率 {}",
        "Satisfaction {} · follow-ups answered {}",
        ratio(l, f.satisfaction),
        ratio(l, f.answered)
    )
}

/// The full `/stats` reply (also the body of the 旬判 and 月结 reports).
pub fn stats_text(l: Locale, f: &Figures, prev: &Figures, names: &Names) -> String {
    let mut t = tr!(
        l,
        "📊 <b>{} 统计</b>\n{}\n\n",
        "📊 <b>Statistics of {}</b>\n{}\n\n",
        node_label(names, &f.root),
        f.period.label()
    );
    t.push_str(&headline(l, f, prev));
    t.push_str(&tr!(
        l,
        "\n\n<b>按类别</b>（新增/已解决/在办/超期 · 环比）",
        "\n\n<b>By category</b> (new/resolved/open/overdue · change)"
    ));
    for (cat, c) in &f.by_category {
        let before = prev.by_category.get(cat).map_or(0, |p| p.opened);
        let name = if l.is_en() {
            cat.name_en()
        } else {
            cat.name_zh()
        };
        t.push_str(&format!(
            "\n{name} {}/{}/{}/{} · {}",
            int(c.opened),
            int(c.resolved),
            int(c.open),
            int(c.overdue),
            change(before, c.opened)
        ));
    }
    t.push_str(&tr!(l, "\n\n<b>按层级</b>", "\n\n<b>By tier</b>"));
    for (tier, c) in &f.by_tier {
        let name = if l.is_en() {
            tier.name_en()
        } else {
            tier.name_zh()
        };
        t.push_str(&format!(
            "\n{name} {}/{}/{}/{}",
            int(c.opened),
            int(c.resolved),
            int(c.open),
            int(c.overdue)
        ));
    }
    let lines = child_lines(l, f, names, |code, c| {
        let rate = f.mediation_by_child.get(code).copied().unwrap_or_default();
        format!(
            "{}\n  {} · {}",
            node_label(names, code),
            counts_line(l, c),
            tr!(l, "化解率 {}", "mediation {}", percent(rate.permille()))
        )
    });
    if !lines.is_empty() {
        t.push_str(&tr!(l, "\n\n<b>按下级</b>", "\n\n<b>By node</b>"));
        for line in lines {
            t.push('\n');
            t.push_str(&line);
        }
    }
    if f.total == Counts::default() && f.alerts.issued == 0 {
        t.push_str(&tr!(
            l,
            "\n\n本期没有案件和警情。",
            "\n\nNo cases and no alerts in this period."
        ));
    }
    t
}

/// One line per child node with something to report (`line`), then the
/// quiet ones — nothing happened, nothing overdue, or no cases at all — folded
/// into one line: `无新情况：第四网格、清香坪社区`.
pub fn child_lines(
    l: Locale,
    f: &Figures,
    names: &Names,
    line: impl Fn(&NodeCode, &Counts) -> String,
) -> Vec<String> {
    let mut quiet: Vec<&NodeCode> = names
        .keys()
        .filter(|c| c.parent().as_ref() == Some(&f.root) && !f.by_child.contains_key(*c))
        .collect();
    let mut out = Vec::new();
    for (code, c) in &f.by_child {
        if c.is_quiet() {
            quiet.push(code);
        } else {
            out.push(line(code, c));
        }
    }
    if !quiet.is_empty() {
        quiet.sort();
        let named: Vec<String> = quiet
            .into_iter()
            .map(|c| names.get(c).map_or_else(|| c.to_string(), |n| esc(n)))
            .collect();
        out.push(tr!(
            l,
            "无新情况：{}",
            "Nothing new: {}",
            named.join(if l.is_en() { ", " } else { "、" })
        ));
    }
    out
}

/// A whole report with nothing to report, in one line (after its title).
pub fn quiet_report(l: Locale, f: &Figures) -> String {
    let mut t = tr!(l, "{} 无新情况", "{} nothing new", f.period.label());
    if f.total.open > 0 {
        t.push_str(&tr!(l, "（在办 {} 件）", " ({} open)", int(f.total.open)));
    }
    t
}

/// `（补发，原定 18:00）` after a report sent late.
pub fn late_note(l: Locale, due: &str) -> String {
    tr!(l, "（补发，原定 {due}）", " (late, due {due})")
}

/// Most skipped rows named in a note (the rest are counted).
const SKIPPED_NAMED: usize = 20;

/// `\n⚠️ 2 条记录无法读取或写入，已略过：#12、#15`; empty when none were.
pub fn skipped_note(l: Locale, skipped: &[String]) -> String {
    if skipped.is_empty() {
        return String::new();
    }
    let mut named = skipped
        .iter()
        .take(SKIPPED_NAMED)
        .map(|s| esc(s))
        .collect::<Vec<_>>()
        .join(if l.is_en() { ", " } else { "、" });
    if skipped.len() > SKIPPED_NAMED {
        named.push_str(if l.is_en() { ", …" } else { "……" });
    }
    tr!(
        l,
        "\n⚠️ {} 条记录无法读取或写入，已略过：{named}",
        "\n⚠️ {} records could not be read or written and were left out: {named}",
        skipped.len()
    )
}
