//! The figures of one subtree over one period: counts by category, tier and
//! child node, the mediation success rate, satisfaction, supervision and
//! alert delivery — computed in one pass over plain records.
//!
//! Counting rules: a case belongs to the grid it was reported in (an
//! escalated case still counts where it arose). "Opened", "resolved" and
//! "failed" count events inside the period; "open" and "overdue" are the
//! state at the period's end (or now, if the period has not ended). The
//! mediation success rate is disputes resolved ÷ (resolved + failed) in the
//! period; satisfaction is (满意 + 基本满意) ÷ answered follow-ups of cases
//! resolved in the period, and the answer rate is answered ÷ asked.

use std::collections::BTreeMap;

use super::record::{AlertRecord, CaseRecord, Category, Rating, Tier};
use crate::domain::NodeCode;
use crate::domain::period::Period;

/// Case counts of one slice (a category, a tier, a child node, or all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub opened: u32,
    pub resolved: u32,
    pub failed: u32,
    pub open: u32,
    pub overdue: u32,
}

/// A ratio kept as its two counts, so renderings can show "1,494/1,557".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    pub part: u32,
    pub whole: u32,
}

impl Ratio {
    /// Tenths of a percent, truncated as the report does (1,494/1,557 =
    /// 95.95…% is printed 95.9%); `None` when there is nothing to divide.
    pub fn permille(self) -> Option<u32> {
        (self.whole > 0).then(|| (u64::from(self.part) * 1000 / u64::from(self.whole)) as u32)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFigures {
    pub issued: u32,
    pub delivery: Ratio,
    pub failed: u32,
    pub acknowledgement: Ratio,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub root: NodeCode,
    pub period: Period,
    /// The instant "open" and "overdue" are counted at.
    pub as_of: i64,
    pub total: Counts,
    pub by_category: BTreeMap<Category, Counts>,
    pub by_tier: BTreeMap<Tier, Counts>,
    /// Keyed by the root's child holding the case's grid (a grid root keys by itself).
    pub by_child: BTreeMap<NodeCode, Counts>,
    /// Disputes resolved ÷ (resolved + failed).
    pub mediation: Ratio,
    /// Per child node, the same rate.
    pub mediation_by_child: BTreeMap<NodeCode, Ratio>,
    /// (满意 + 基本满意) ÷ answered.
    pub satisfaction: Ratio,
    /// Answered ÷ asked.
    pub answered: Ratio,
    /// Supervised cases live in the period; `part` = closed by their deadline.
    pub supervised_on_time: Ratio,
    pub alerts: AlertFigures,
}

/// The child of `root` on the path to `code` (`code` within `root`).
pub fn child_toward(root: &NodeCode, code: &NodeCode) -> NodeCode {
    if code == root {
        return root.clone();
    }
    let depth = root.as_str().split('.').count();
    let prefix: Vec<&str> = code.as_str().split('.').take(depth + 1).collect();
    NodeCode::parse(&prefix.join(".")).unwrap_or_else(|_| code.clone())
}

impl Counts {
    fn add(&mut self, case: &CaseRecord, period: &Period, as_of: i64) {
        if period.contains(case.opened_at) {
            self.opened += 1;
        }
        if case.resolved_at.is_some_and(|t| period.contains(t)) {
            self.resolved += 1;
        }
        if case.failed_at.is_some_and(|t| period.contains(t)) {
            self.failed += 1;
        }
        if case.open_at(as_of) {
            self.open += 1;
        }
        if case.overdue_at(as_of) {
            self.overdue += 1;
        }
    }

    /// Whether this case touches the period at all.
    fn is_empty(&self) -> bool {
        *self == Counts::default()
    }
}

impl Figures {
    /// Computes the figures of `root`'s subtree over `period`, as known at `now`.
    pub fn compute<'a>(
        root: &NodeCode,
        period: Period,
        now: i64,
        cases: impl IntoIterator<Item = &'a CaseRecord>,
        alerts: impl IntoIterator<Item = &'a AlertRecord>,
    ) -> Figures {
        let as_of = period.end.min(now);
        let mut f = Figures {
            root: root.clone(),
            period,
            as_of,
            total: Counts::default(),
            by_category: BTreeMap::new(),
            by_tier: BTreeMap::new(),
            by_child: BTreeMap::new(),
            mediation: Ratio::default(),
            mediation_by_child: BTreeMap::new(),
            satisfaction: Ratio::default(),
            answered: Ratio::default(),
            supervised_on_time: Ratio::default(),
            alerts: AlertFigures::default(),
        };
        for case in cases {
            if !case.grid_code.is_within(root) || case.opened_at >= period.end {
                continue;
            }
            let mut one = Counts::default();
            one.add(case, &period, as_of);
            let live = case.ended_at().is_none_or(|e| e >= period.start);
            if one.is_empty() && !live {
                continue;
            }
            let child = child_toward(root, &case.grid_code);
            for slot in [
                &mut f.total,
                f.by_category.entry(case.category).or_default(),
                f.by_tier.entry(case.tier).or_default(),
                f.by_child.entry(child.clone()).or_default(),
            ] {
                add_counts(slot, one);
            }
            if case.category == Category::Dispute && one.resolved + one.failed > 0 {
                let m = f.mediation_by_child.entry(child).or_default();
                for r in [&mut f.mediation, m] {
                    r.part += one.resolved;
                    r.whole += one.resolved + one.failed;
                }
            }
            if one.resolved > 0 && case.asked_followup {
                f.answered.whole += 1;
                if let Some(rating) = case.rating {
                    f.answered.part += 1;
                    f.satisfaction.whole += 1;
                    if rating != Rating::Unsatisfied {
                        f.satisfaction.part += 1;
                    }
                }
            }
            if case.supervised && live {
                f.supervised_on_time.whole += 1;
                let done = case.resolved_at.or(case.closed_at);
                if let (Some(done), Some(deadline)) = (done, case.deadline_at)
                    && done <= deadline
                    && done < period.end
                {
                    f.supervised_on_time.part += 1;
                }
            }
        }
        for alert in alerts {
            if alert.node_code.is_within(root) && period.contains(alert.issued_at) {
                let a = &mut f.alerts;
                a.issued += 1;
                a.delivery.part += alert.delivered;
                a.delivery.whole += alert.targets;
                a.failed += alert.failed;
                a.acknowledgement.part += alert.acknowledged;
                a.acknowledgement.whole += alert.ack_required;
            }
        }
        f
    }
}

fn add_counts(into: &mut Counts, one: Counts) {
    into.opened += one.opened;
    into.resolved += one.resolved;
    into.failed += one.failed;
    into.open += one.open;
    into.overdue += one.overdue;
}

/// Change from `before` to `now` in tenths of a percent (−87 = −8.7%);
/// `None` when there was nothing before.
pub fn change_permille(before: u32, now: u32) -> Option<i64> {
    (before > 0).then(|| (i64::from(now) - i64::from(before)) * 1000 / i64::from(before))
}
