//! Where the statistics get their records: the bot reads the database
//! ([`crate::store::stats::StoreStats`]); tests and the benchmark use
//! [`Records`], a set held in memory.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::domain::NodeCode;
use crate::domain::stats::{AlertRecord, CaseRecord, EventRecord};

pub type SourceFuture<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// Records read, and the rows that could not be read: one bad row is left
/// out (and named, e.g. `#12`, so a report can say so) rather than failing
/// the whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded<T> {
    pub records: Vec<T>,
    pub skipped: Vec<String>,
}

impl<T> From<Vec<T>> for Loaded<T> {
    fn from(records: Vec<T>) -> Self {
        Loaded {
            records,
            skipped: Vec::new(),
        }
    }
}

/// Records of `root`'s subtree relevant to `[from, to)`.
pub trait StatsSource: Send + Sync {
    /// Cases reported in the subtree, opened before `to` and not ended
    /// before `from` (their open/overdue state matters), or with an event in
    /// between (a case resolved long ago may be closed or rated now).
    fn cases<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<CaseRecord>>;
    /// Events in `[from, to)` of cases reported in the subtree.
    fn events<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<EventRecord>>;
    /// Alerts issued in `[from, to)` for nodes in the subtree.
    fn alerts<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Vec<AlertRecord>>;
}

/// No cases and no alerts (an empty district).
pub struct NoRecords;

impl StatsSource for NoRecords {
    fn cases<'a>(
        &'a self,
        _: &'a NodeCode,
        _: i64,
        _: i64,
    ) -> SourceFuture<'a, Loaded<CaseRecord>> {
        Box::pin(async { Ok(Vec::new().into()) })
    }
    fn events<'a>(
        &'a self,
        _: &'a NodeCode,
        _: i64,
        _: i64,
    ) -> SourceFuture<'a, Loaded<EventRecord>> {
        Box::pin(async { Ok(Vec::new().into()) })
    }
    fn alerts<'a>(&'a self, _: &'a NodeCode, _: i64, _: i64) -> SourceFuture<'a, Vec<AlertRecord>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Records held in memory (tests, the benchmark, a fixed data set).
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub cases: Vec<CaseRecord>,
    pub events: Vec<EventRecord>,
    pub alerts: Vec<AlertRecord>,
}

impl Records {
    pub fn shared(self) -> Arc<dyn StatsSource> {
        Arc::new(self)
    }

    /// The same selection as the SQL loader will make.
    pub fn cases_in(&self, root: &NodeCode, from: i64, to: i64) -> Vec<CaseRecord> {
        let touched: std::collections::HashSet<i64> = self
            .events
            .iter()
            .filter(|e| from <= e.at && e.at < to)
            .map(|e| e.case_id)
            .collect();
        self.cases
            .iter()
            .filter(|c| c.grid_code.is_within(root) && c.opened_at < to)
            .filter(|c| c.ended_at().is_none_or(|e| e >= from) || touched.contains(&c.id))
            .cloned()
            .collect()
    }
}

impl StatsSource for Records {
    fn cases<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<CaseRecord>> {
        Box::pin(async move { Ok(self.cases_in(root, from, to).into()) })
    }

    fn events<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Loaded<EventRecord>> {
        Box::pin(async move {
            let ids: std::collections::HashSet<i64> = self
                .cases
                .iter()
                .filter(|c| c.grid_code.is_within(root))
                .map(|c| c.id)
                .collect();
            Ok(self
                .events
                .iter()
                .filter(|e| from <= e.at && e.at < to && ids.contains(&e.case_id))
                .cloned()
                .collect::<Vec<_>>()
                .into())
        })
    }

    fn alerts<'a>(
        &'a self,
        root: &'a NodeCode,
        from: i64,
        to: i64,
    ) -> SourceFuture<'a, Vec<AlertRecord>> {
        Box::pin(async move {
            Ok(self
                .alerts
                .iter()
                .filter(|a| a.node_code.is_within(root) && from <= a.issued_at && a.issued_at < to)
                .cloned()
                .collect())
        })
    }
}
