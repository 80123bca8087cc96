//! Exports for the offices that keep the figures in Excel: an `.xlsx`
//! workbook (cases with their fields, events, per-node summary) or a CSV of
//! the cases, UTF-8 with a BOM so Excel reads the Chinese correctly.
//!
//! An anonymous reporter appears only as "匿名"/"anonymous", on every sheet:
//! as the case's reporter and as the one who reported, rated or commented
//! (the loader never gives their name or id). Exports go to groups and node
//! admins, not only to the staff handling a case.
//!
//! Text cells are written as text, never formulas; in the CSV a cell a
//! spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a
//! carriage return first) is prefixed with `'`. A cell longer than a
//! spreadsheet holds (32,767 UTF-16 units) is cut at a character boundary
//! with an ellipsis; a row that still cannot be written is left out and
//! named in [`Written::skipped`] rather than failing the whole workbook.

use std::borrow::Cow;

use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::render::Names;
use crate::domain::stats::{CaseRecord, EventActor, EventRecord, Figures, Reporter};
use crate::i18n::Locale;

/// An export's bytes and the rows it had to leave out (`#12`).
pub struct Written {
    pub bytes: Vec<u8>,
    pub skipped: Vec<String>,
}

impl From<Vec<u8>> for Written {
    fn from(bytes: Vec<u8>) -> Self {
        Written {
            bytes,
            skipped: Vec::new(),
        }
    }
}

/// Longest cell written, in UTF-16 units (Excel's limit is 32,767).
pub const MAX_CELL: usize = 32_000;

/// The cell's text, cut at a character boundary to at most [`MAX_CELL`]
/// UTF-16 units (the ellipsis included) when longer.
pub fn cell(text: &str) -> Cow<'_, str> {
    let units: usize = text.chars().map(char::len_utf16).sum();
    if units <= MAX_CELL {
        return Cow::Borrowed(text);
    }
    let mut used = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            used += c.len_utf16();
            used > MAX_CELL - 1
        })
        .map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}…", &text[..end]))
}

/// Local time `2024-05-10 23:30`, empty for none.
pub fn local_time(tz: Tz, at: Option<i64>) -> String {
    at.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn headers(l: Locale) -> [&'static str; 17] {
    if l.is_en() {
        [
            "case",
            "grid",
            "node",
            "category",
            "tier",
            "status",
            "opened",
            "resolved",
            "failed",
            "closed",
            "deadline",
            "supervised",
            "rating",
            "follow-up asked",
            "handler",
            "reporter",
            "text",
        ]
    } else {
        [
            "编号",
            "网格",
            "当前节点",
            "类别",
            "层级",
            "状态",
            "受理时间",
            "解决时间",
            "调解未成时间",
            "办结时间",
            "期限",
            "挂牌督办",
            "评价",
            "已回访",
            "经办人",
            "反映人",
            "内容",
        ]
    }
}

/// One case as a row of text cells (the same in the workbook and the CSV).
pub fn case_row(l: Locale, tz: Tz, c: &CaseRecord) -> Vec<String> {
    let en = l.is_en();
    let yes_no = |b: bool| match (en, b) {
        (true, true) => "yes",
        (true, false) => "no",
        (false, true) => "是",
        (false, false) => "否",
    };
    vec![
        format!("#{}", c.id),
        c.grid_code.to_string(),
        c.node_code.to_string(),
        (if en {
            c.category.name_en()
        } else {
            c.category.name_zh()
        })
        .into(),
        (if en {
            c.tier.name_en()
        } else {
            c.tier.name_zh()
        })
        .into(),
        (if en {
            c.status.name_en()
        } else {
            c.status.name_zh()
        })
        .into(),
        local_time(tz, Some(c.opened_at)),
        local_time(tz, c.resolved_at),
        local_time(tz, c.failed_at),
        local_time(tz, c.closed_at),
        local_time(tz, c.deadline_at),
        yes_no(c.supervised).into(),
        c.rating
            .map(|r| if en { r.name_en() } else { r.name_zh() })
            .unwrap_or_default()
            .into(),
        yes_no(c.asked_followup).into(),
        c.handler.as_ref().map(|h| h.1.clone()).unwrap_or_default(),
        match &c.reporter {
            Reporter::Anonymous => (if en { "anonymous" } else { "匿名" }).into(),
            Reporter::Known { name, .. } => cell(name).into_owned(),
        },
        cell(&c.summary).into_owned(),
    ]
}

fn write_row(
    ws: &mut Worksheet,
    row: u32,
    cells: &[String],
    bold: Option<&Format>,
) -> Result<(), XlsxError> {
    for (col, text) in cells.iter().enumerate() {
        let text = cell(text);
        match bold {
            Some(f) => ws.write_string_with_format(row, col as u16, text, f)?,
            None => ws.write_string(row, col as u16, text)?,
        };
    }
    Ok(())
}

/// Writes the data rows, each with `write`; a row that fails is cleared,
/// left out (the next row takes its place) and named in `skipped`.
fn write_rows<T>(
    ws: &mut Worksheet,
    items: &[T],
    width: u16,
    label: impl Fn(&T) -> String,
    write: impl Fn(&mut Worksheet, u32, &T) -> Result<(), XlsxError>,
    skipped: &mut Vec<String>,
) {
    let mut row = 1;
    for item in items {
        match write(ws, row, item) {
            Ok(()) => row += 1,
            Err(e) => {
                let which = label(item);
                tracing::warn!(row = %which, error = %e, "an export row could not be written; left out");
                for col in 0..width {
                    ws.clear_cell(row, col);
                }
                skipped.push(which);
            }
        }
    }
}

/// Who did it, as the `events` sheet says it.
fn actor_name(l: Locale, a: &EventActor) -> Cow<'_, str> {
    match a {
        EventActor::System => Cow::Borrowed(""),
        EventActor::Anonymous => Cow::Borrowed(if l.is_en() { "anonymous" } else { "匿名" }),
        EventActor::Person { name, .. } => cell(name),
    }
}

/// The workbook: sheets `cases`, `events` and `summary`.
pub fn xlsx(
    l: Locale,
    tz: Tz,
    cases: &[CaseRecord],
    events: &[EventRecord],
    f: &Figures,
    names: &Names,
) -> anyhow::Result<Written> {
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let en = l.is_en();
    let mut skipped = Vec::new();
    {
        let ws = wb.add_worksheet().set_name("cases")?;
        let head: Vec<String> = headers(l).iter().map(|s| s.to_string()).collect();
        write_row(ws, 0, &head, Some(&bold))?;
        let width = head.len() as u16;
        write_rows(
            ws,
            cases,
            width,
            |c| format!("#{}", c.id),
            |ws, row, c| {
                write_row(ws, row, &case_row(l, tz, c), None)?;
                ws.write_number(row, 0, c.id as f64)?;
                Ok(())
            },
            &mut skipped,
        );
        ws.set_freeze_panes(1, 0)?;
    }
    {
        let ws = wb.add_worksheet().set_name("events")?;
        let head = if en {
            ["case", "time", "action", "by", "note"]
        } else {
            ["编号", "时间", "动作", "操作人", "说明"]
        };
        write_row(ws, 0, &head.map(String::from), Some(&bold))?;
        write_rows(
            ws,
            events,
            5,
            |e| format!("#{} {}", e.case_id, e.action),
            |ws, row, e| {
                ws.write_number(row, 0, e.case_id as f64)?;
                ws.write_string(row, 1, local_time(tz, Some(e.at)))?;
                ws.write_string(row, 2, cell(&e.action))?;
                ws.write_string(row, 3, actor_name(l, &e.actor))?;
                ws.write_string(row, 4, cell(&e.note))?;
                Ok(())
            },
            &mut skipped,
        );
    }
    {
        let ws = wb.add_worksheet().set_name("summary")?;
        let head = if en {
            [
                "node",
                "name",
                "new",
                "resolved",
                "failed",
                "open",
                "overdue",
                "mediation %",
            ]
        } else {
            [
                "节点",
                "名称",
                "新增",
                "已解决",
                "调解未成",
                "在办",
                "超期",
                "化解成功率%",
            ]
        };
        write_row(ws, 0, &head.map(String::from), Some(&bold))?;
        let total_label = if en { "total" } else { "合计" };
        let mut rows: Vec<_> = f
            .by_child
            .iter()
            .map(|(code, c)| {
                (
                    code.to_string(),
                    names.get(code).cloned().unwrap_or_default(),
                    *c,
                    f.mediation_by_child.get(code).copied().unwrap_or_default(),
                )
            })
            .collect();
        rows.push((
            f.root.to_string(),
            total_label.to_string(),
            f.total,
            f.mediation,
        ));
        for (i, (code, name, c, m)) in rows.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_string(row, 0, code)?;
            ws.write_string(row, 1, cell(name))?;
            for (col, v) in [c.opened, c.resolved, c.failed, c.open, c.overdue]
                .into_iter()
                .enumerate()
            {
                ws.write_number(row, col as u16 + 2, f64::from(v))?;
            }
            if let Some(p) = m.permille() {
                ws.write_number(row, 7, f64::from(p) / 10.0)?;
            }
        }
    }
    Ok(Written {
        bytes: wb.save_to_buffer()?,
        skipped,
    })
}

/// The cases as CSV, UTF-8 with a byte-order mark.
pub fn csv(l: Locale, tz: Tz, cases: &[CaseRecord]) -> anyhow::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(headers(l))?;
        for c in cases {
            w.write_record(case_row(l, tz, c).iter().map(|s| defuse(s)))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Keeps a spreadsheet from reading text as a formula (OWASP's list: a
/// leading `=`, `+`, `-`, `@`, tab or carriage return).
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defuse_prefixes_every_formula_start() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(defuse(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["楼道灯坏了", "1+1", " =1", "#12", ""] {
            assert_eq!(defuse(fine), fine, "{fine:?}");
        }
    }

    #[test]
    fn long_cells_are_cut_at_a_char_boundary() {
        let short = "楼".repeat(MAX_CELL);
        assert_eq!(cell(&short), short.as_str());
        for unit in ["楼", "a", "😀", "é"] {
            let long = unit.repeat(40_000);
            let cut = cell(&long);
            let units: usize = cut.chars().map(char::len_utf16).sum();
            assert!(units <= MAX_CELL && units > MAX_CELL - 3, "{unit}: {units}");
            assert!(cut.ends_with('…'), "{unit}");
            assert!(long.starts_with(cut.trim_end_matches('…')), "{unit}");
        }
    }
}
