//! Statistics as the bot delivers them: loading records ([`source`]),
//! rendering the `/stats` reply and the scheduled reports ([`render`],
//! [`reports`]), the monthly chart ([`chart`]) and the exports ([`export`]).
//! The figures themselves are computed in `domain::stats`.

pub mod chart;
pub mod export;
pub mod fixture;
pub mod render;
pub mod reports;
pub mod source;

#[cfg(test)]
mod tests;

pub use source::{Loaded, NoRecords, Records, StatsSource};

use chrono_tz::Tz;

use crate::domain::NodeCode;
use crate::domain::period::Period;
use crate::domain::stats::{CaseRecord, Figures};

/// The figures of a period and of the period before it, with the cases read.
pub struct Report {
    pub figures: Figures,
    pub previous: Figures,
    pub cases: Vec<CaseRecord>,
    /// Case rows that could not be read (left out of everything above).
    pub skipped: Vec<String>,
}

/// Loads the records of both periods once and computes both. Events are read
/// up to the period's end only, so a past period's figures stay as they were
/// reported (the daily report and a later `/stats` for that day agree).
pub async fn gather(
    source: &dyn StatsSource,
    root: &NodeCode,
    period: Period,
    tz: Tz,
    now: i64,
) -> anyhow::Result<Report> {
    let previous = period.previous(tz);
    let Loaded {
        records: cases,
        mut skipped,
    } = source.cases(root, previous.start, period.end).await?;
    let Loaded {
        records: events,
        skipped: bad_events,
    } = source.events(root, previous.start, period.end).await?;
    skipped.extend(bad_events);
    let alerts = source.alerts(root, previous.start, period.end).await?;
    let figures = Figures::compute(root, period, now, &cases, &events, &alerts);
    let prev = Figures::compute(root, previous, now, &cases, &events, &alerts);
    Ok(Report {
        figures,
        previous: prev,
        cases,
        skipped,
    })
}

/// An export file: its name, its bytes, how many cases it lists, and the
/// rows left out because they could not be read or written (`#12`).
pub struct ExportFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub cases: usize,
    pub skipped: Vec<String>,
}

/// The `/export` file (and `pingan export`'s): the cases open at any time in
/// the period, as `.xlsx` (cases, events, per-node summary) or `.csv`.
pub async fn export_file(
    source: &dyn StatsSource,
    l: crate::i18n::Locale,
    (root, names): (&NodeCode, &render::Names),
    period: Period,
    tz: Tz,
    now: i64,
    csv: bool,
) -> anyhow::Result<ExportFile> {
    let report = gather(source, root, period, tz, now).await?;
    let cases: Vec<_> = report
        .cases
        .into_iter()
        .filter(|c| c.opened_at < period.end && c.ended_at().is_none_or(|e| e >= period.start))
        .collect();
    let stamp = period.label().replace('–', "_");
    let mut skipped = report.skipped;
    let (name, written) = if csv {
        (
            format!("pingan-{root}-{stamp}.csv"),
            export::csv(l, tz, &cases)?.into(),
        )
    } else {
        let events = source.events(root, period.start, period.end).await?;
        skipped.extend(events.skipped);
        (
            format!("pingan-{root}-{stamp}.xlsx"),
            export::xlsx(l, tz, &cases, &events.records, &report.figures, names)?,
        )
    };
    skipped.extend(written.skipped);
    Ok(ExportFile {
        name,
        bytes: written.bytes,
        cases: cases.len(),
        skipped,
    })
}
