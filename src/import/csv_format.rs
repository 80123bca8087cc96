//! The CSV import format: a spreadsheet of nodes with `code,parent,name` (or `编码,上级编码,名称`) columns.

use csv::{ReaderBuilder, StringRecord, Trim};

use super::{Builder, DistrictPlan, ImportErrorKind, ImportErrors, line_of};
use crate::domain::NodeCode;

const CODE_HEADERS: &[&str] = &["code", "编码", "节点编码", "代码"];
const PARENT_HEADERS: &[&str] = &["parent", "parent_code", "上级编码", "上级", "父编码"];
const NAME_HEADERS: &[&str] = &["name", "名称", "节点名称", "名字"];

/// Column positions found in the header row.
struct Columns {
    code: usize,
    parent: Option<usize>,
    name: usize,
}

pub(super) fn parse(
    text: &str,
    existing: &dyn Fn(&NodeCode) -> bool,
) -> Result<DistrictPlan, ImportErrors> {
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());

    let mut b = Builder::default();
    let mut columns: Option<Columns> = None;
    let mut rows = 0usize;
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(1, |p| record_line(text, p.byte() as usize));
                b.error(line, ImportErrorKind::Syntax(e.to_string()));
                break;
            }
        }
        let line = record
            .position()
            .map_or(1, |p| record_line(text, p.byte() as usize));
        if record.iter().all(str::is_empty) {
            continue; // blank line, or a row of empty cells
        }
        let Some(cols) = &columns else {
            match header(&record) {
                Ok(cols) => columns = Some(cols),
                Err(name) => {
                    b.error(line, ImportErrorKind::MissingColumn { name });
                    return Err(ImportErrors::from_found(b.errors));
                }
            }
            continue;
        };
        rows += 1;
        let cell = |i: usize| record.get(i).unwrap_or("");
        let raw_code = cell(cols.code);
        let code = NodeCode::parse(raw_code).ok();
        b.node(raw_code, line, cell(cols.name), line);
        if let (Some(code), Some(p)) = (code, cols.parent) {
            let parent = cell(p);
            let expected = code.parent().map(|c| c.to_string()).unwrap_or_default();
            if parent.to_ascii_lowercase() != expected {
                let parent = parent.to_string();
                b.error(line, ImportErrorKind::ParentMismatch { code, parent });
            }
        }
    }
    if columns.is_none() || rows == 0 {
        b.errors
            .push(super::ImportError::new(None, ImportErrorKind::Empty));
        return Err(ImportErrors::from_found(b.errors));
    }
    let nodes = b.finish_nodes(existing);
    if b.errors.is_empty() {
        Ok(DistrictPlan {
            nodes,
            staff: Vec::new(),
        })
    } else {
        Err(ImportErrors::from_found(b.errors))
    }
}

/// The line a record starting at byte `pos` is on. csv's own line count
/// ignores skipped blank lines, and a record's offset may point at the blank
/// lines before it, so step over those.
fn record_line(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    let blank = text.as_bytes()[pos..]
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    line_of(text, pos + blank)
}

/// Finds the columns by name (case-insensitive, English or Chinese, any order).
fn header(record: &StringRecord) -> Result<Columns, &'static str> {
    let find = |names: &[&str]| {
        record.iter().position(|h| {
            let h = h.trim_start_matches('\u{feff}').trim().to_lowercase();
            names.contains(&h.as_str())
        })
    };
    let code = find(CODE_HEADERS).ok_or("code/编码")?;
    let name = find(NAME_HEADERS).ok_or("name/名称")?;
    Ok(Columns {
        code,
        parent: find(PARENT_HEADERS),
        name,
    })
}

/// Excel writes `;` in some locales and tabs for "Unicode text": use whatever
/// separates the header row, defaulting to `,`.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .find(|&d| first.as_bytes().contains(&d))
        .unwrap_or(b',')
}
