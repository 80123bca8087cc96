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

pub use source::{NoRecords, Records, StatsSource};

use chrono_tz::Tz;

use crate::domain::NodeCode;
use crate::domain::period::Period;
use crate::domain::stats::{CaseRecord, Figures};

/// The figures of a period and of the period before it, with the cases read.
pub struct Report {
    pub figures: Figures,
    pub previous: Figures,
    pub cases: Vec<CaseRecord>,
}

/// Loads the records of both periods once and computes both.
pub async fn gather(
    source: &dyn StatsSource,
    root: &NodeCode,
    period: Period,
    tz: Tz,
    now: i64,
) -> anyhow::Result<Report> {
    let previous = period.previous(tz);
    let cases = source.cases(root, previous.start, period.end).await?;
    let alerts = source.alerts(root, previous.start, period.end).await?;
    let figures = Figures::compute(root, period, now, &cases, &alerts);
    let prev = Figures::compute(root, previous, now, &cases, &alerts);
    Ok(Report {
        figures,
        previous: prev,
        cases,
    })
}
