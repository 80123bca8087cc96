//! The figures of one subtree over one period: counts by category, tier and
//! child node, the mediation success rate, satisfaction, supervision and
//! alert delivery — computed in one pass over plain records.
//!
//! Every figure counts by a stated date, read from the case's events (never
//! edited), not from the state the case is in now:
//! - 新增 (new): the case was reported in the period;
//! - 已解决 / 调解未成 / 已办结 (resolved / failed / closed): a `resolve`,
//!   `fail` or `close` event in the period — a case counts once per period
//!   however often it happened, and still counts if it was reopened later;
//! - 在办 / 超期 (open / overdue): the state at the period's end (or now, if
//!   the period has not ended), from the last status change before it (a
//!   case with no event in the loaded window keeps its stored state, so a
//!   change after a past period's end can still show there);
//! - 矛盾纠纷化解成功率: disputes whose last outcome in the period was
//!   resolved ÷ disputes with an outcome (resolved or failed) in the period;
//! - 群众满意率: every rating given in the period, in the period it was
//!   given: (满意 + 基本满意) ÷ all ratings. A 不满意 reopens its case and
//!   still counts (平安不平安数据说了算、满意不满意群众说了算);
//! - 回访应答率: resolutions in the period that the reporter was asked
//!   about (or rated unasked) by the events at hand ÷ those, the part rated.
//!
//! A case belongs to the grid it was reported in (an escalated case still
//! counts where it arose).

use std::collections::{BTreeMap, HashMap};

use super::record::{AlertRecord, CaseRecord, Category, EventRecord, Mark, Rating, Tier};
use crate::domain::NodeCode;
use crate::domain::period::Period;

/// Case counts of one slice (a category, a tier, a child node, or all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// 新增: reported in the period.
    pub opened: u32,
    /// 已解决: resolved in the period.
    pub resolved: u32,
    /// 调解未成: recorded as failed in the period.
    pub failed: u32,
    /// 已办结: closed in the period.
    pub closed: u32,
    /// 在办: open at the period's end.
    pub open: u32,
    /// 超期: open and past the deadline at the period's end.
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
    /// (满意 + 基本满意) ÷ every rating given in the period.
    pub satisfaction: Ratio,
    /// Followed-up resolutions of the period: rated ÷ asked.
    pub answered: Ratio,
    /// Supervised cases live in the period; `part` = closed by their deadline.
    pub supervised_on_time: Ratio,
    pub alerts: AlertFigures,
}

impl Figures {
    /// Nothing to report: no case reported, resolved, failed or closed, none
    /// overdue, no rating and no alert in the period (cases may still be open).
    pub fn is_quiet(&self) -> bool {
        self.total.no_news()
            && self.total.overdue == 0
            && self.satisfaction.whole == 0
            && self.alerts.issued == 0
    }
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

/// A case's marks in time order.
type Marks = [(i64, Mark)];

/// Whether the case was open at instant `t`. The events at hand cover
/// everything since the loaded window began, so the last status change at
/// or before `t` tells; failing that, the first one after `t` tells what it
/// changed from; with no change at all, the stored state still holds.
fn open_at(case: &CaseRecord, marks: &Marks, t: i64) -> bool {
    if case.opened_at >= t {
        return false;
    }
    let after = |m: Mark| match m {
        Mark::Resolved | Mark::Failed | Mark::Closed => Some(false),
        Mark::Reported | Mark::Reopened | Mark::Escalated => Some(true),
        Mark::Asked | Mark::Rated(_) => None,
    };
    if let Some(open) = marks
        .iter()
        .rev()
        .filter(|(at, _)| *at <= t)
        .find_map(|(_, m)| after(*m))
    {
        return open;
    }
    let before = |m: Mark| match m {
        Mark::Resolved | Mark::Failed | Mark::Escalated => Some(true),
        Mark::Closed | Mark::Reopened | Mark::Reported => Some(false),
        Mark::Asked | Mark::Rated(_) => None,
    };
    marks
        .iter()
        .filter(|(at, _)| *at > t)
        .find_map(|(_, m)| before(*m))
        .unwrap_or_else(|| case.open_at(t))
}

impl Counts {
    /// The counts of one case: `marks` are its events, in time order.
    fn of(case: &CaseRecord, marks: &Marks, period: &Period, as_of: i64) -> Counts {
        let happened = |want: Mark| {
            u32::from(
                marks
                    .iter()
                    .any(|(at, m)| *m == want && period.contains(*at)),
            )
        };
        let open = open_at(case, marks, as_of);
        Counts {
            opened: u32::from(period.contains(case.opened_at)),
            resolved: happened(Mark::Resolved),
            failed: happened(Mark::Failed),
            closed: happened(Mark::Closed),
            open: u32::from(open),
            overdue: u32::from(open && case.deadline_at.is_some_and(|d| d < as_of)),
        }
    }

    /// Whether this case touches the period at all.
    fn is_empty(&self) -> bool {
        *self == Counts::default()
    }

    /// Nothing happened in the period (reported, resolved, failed, closed).
    pub fn no_news(&self) -> bool {
        self.opened + self.resolved + self.failed + self.closed == 0
    }

    /// Nothing to report about a node: nothing happened and nothing is overdue.
    pub fn is_quiet(&self) -> bool {
        self.no_news() && self.overdue == 0
    }
}

/// Resolutions in the period that were followed up: rated ÷ asked.
fn followups(marks: &Marks, period: &Period) -> Ratio {
    let mut r = Ratio::default();
    // The resolution being followed up: (its time, asked, rated).
    let mut current: Option<(i64, bool, bool)> = None;
    let mut settle = |c: Option<(i64, bool, bool)>| {
        if let Some((at, asked, rated)) = c
            && period.contains(at)
            && (asked || rated)
        {
            r.whole += 1;
            r.part += u32::from(rated);
        }
    };
    for (at, m) in marks {
        match m {
            Mark::Resolved => settle(current.replace((*at, false, false))),
            Mark::Asked => {
                if let Some(c) = current.as_mut() {
                    c.1 = true;
                }
            }
            Mark::Rated(_) => {
                if let Some(c) = current.as_mut() {
                    c.2 = true;
                }
                settle(current.take());
            }
            Mark::Reopened | Mark::Failed | Mark::Escalated => settle(current.take()),
            Mark::Reported | Mark::Closed => {}
        }
    }
    settle(current);
    r
}

impl Figures {
    /// Computes the figures of `root`'s subtree over `period`, as known at
    /// `now`, from the cases and their `events` (all of them from some time
    /// before the period to its end; others are ignored).
    pub fn compute<'a>(
        root: &NodeCode,
        period: Period,
        now: i64,
        cases: impl IntoIterator<Item = &'a CaseRecord>,
        events: impl IntoIterator<Item = &'a EventRecord>,
        alerts: impl IntoIterator<Item = &'a AlertRecord>,
    ) -> Figures {
        let as_of = period.end.min(now);
        let mut marks: HashMap<i64, Vec<(i64, Mark)>> = HashMap::new();
        for e in events {
            if let Some(m) = e.mark() {
                marks.entry(e.case_id).or_default().push((e.at, m));
            }
        }
        for list in marks.values_mut() {
            // Stable: events at the same second keep their recorded order.
            list.sort_by_key(|(at, _)| *at);
        }
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
            let m: &Marks = marks.get(&case.id).map_or(&[], Vec::as_slice);
            let one = Counts::of(case, m, &period, as_of);
            let in_period: Vec<Mark> = m
                .iter()
                .filter(|(at, _)| period.contains(*at))
                .map(|(_, m)| *m)
                .collect();
            let live = one.opened > 0 || open_at(case, m, period.start) || !in_period.is_empty();
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
            let outcome = in_period
                .iter()
                .rev()
                .find(|m| matches!(m, Mark::Resolved | Mark::Failed));
            if case.category == Category::Dispute
                && let Some(outcome) = outcome
            {
                let ok = u32::from(*outcome == Mark::Resolved);
                let by_child = f.mediation_by_child.entry(child).or_default();
                for r in [&mut f.mediation, by_child] {
                    r.part += ok;
                    r.whole += 1;
                }
            }
            for rating in in_period.iter().filter_map(|m| match m {
                Mark::Rated(r) => Some(*r),
                _ => None,
            }) {
                f.satisfaction.whole += 1;
                f.satisfaction.part += u32::from(rating != Rating::Unsatisfied);
            }
            let asked = followups(m, &period);
            f.answered.part += asked.part;
            f.answered.whole += asked.whole;
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
    into.closed += one.closed;
    into.open += one.open;
    into.overdue += one.overdue;
}

/// Change from `before` to `now` in tenths of a percent (−87 = −8.7%);
/// `None` when there was nothing before.
pub fn change_permille(before: u32, now: u32) -> Option<i64> {
    (before > 0).then(|| (i64::from(now) - i64::from(before)) * 1000 / i64::from(before))
}
