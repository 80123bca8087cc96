//! Exports for the offices that keep the figures in Excel: an `.xlsx`
//! workbook (cases with their fields, events, per-node summary) or a CSV of
//! the cases, UTF-8 with a BOM so Excel reads the Chinese correctly.
//!
//! An anonymous reporter appears only as "匿名"/"anonymous". Text cells are
//! written as text, never formulas; in the CSV a cell a spreadsheet would take
//! for a formula (`=`, `+`, `-`, `@`) is prefixed with `'`.

use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::render::Names;
use crate::domain::stats::{CaseRecord, EventRecord, Figures, Reporter};
use crate::i18n::Locale;

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
            Reporter::Known { name, .. } => name.clone(),
        },
        c.summary.clone(),
    ]
}

fn write_row(
    ws: &mut Worksheet,
    row: u32,
    cells: &[String],
    bold: Option<&Format>,
) -> Result<(), XlsxError> {
    for (col, cell) in cells.iter().enumerate() {
        match bold {
            Some(f) => ws.write_string_with_format(row, col as u16, cell, f)?,
            None => ws.write_string(row, col as u16, cell)?,
        };
    }
    Ok(())
}

/// The workbook: sheets `cases`, `events` and `summary`.
pub fn xlsx(
    l: Locale,
    tz: Tz,
    cases: &[CaseRecord],
    events: &[EventRecord],
    f: &Figures,
    names: &Names,
) -> anyhow::Result<Vec<u8>> {
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let en = l.is_en();
    {
        let ws = wb.add_worksheet().set_name("cases")?;
        let head: Vec<String> = headers(l).iter().map(|s| s.to_string()).collect();
        write_row(ws, 0, &head, Some(&bold))?;
        for (i, c) in cases.iter().enumerate() {
            write_row(ws, i as u32 + 1, &case_row(l, tz, c), None)?;
            ws.write_number(i as u32 + 1, 0, c.id as f64)?;
        }
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
        for (i, e) in events.iter().enumerate() {
            let row = i as u32 + 1;
            ws.write_number(row, 0, e.case_id as f64)?;
            ws.write_string(row, 1, local_time(tz, Some(e.at)))?;
            ws.write_string(row, 2, &e.action)?;
            ws.write_string(row, 3, e.actor.as_ref().map(|a| a.1.as_str()).unwrap_or(""))?;
            ws.write_string(row, 4, &e.note)?;
        }
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
            ws.write_string(row, 1, name)?;
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
    Ok(wb.save_to_buffer()?)
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

/// Keeps a spreadsheet from reading text as a formula.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}
