//! The life of a case: `new → accepted → in_progress → resolved | failed →
//! closed`, with `escalated` (handed to the parent node) and `reopened`.
//!
//! Each [`Step`] is a function of the current [`Status`] that either gives the
//! next status or a [`Refusal`] saying why not; nothing else changes a
//! case's status, so the rules live here and only here:
//! - a case is taken (`accept`, or `assign` to someone) when new, escalated
//!   or reopened; `assign` on a case already taken only changes the handler;
//! - work starts (`start`, also the first `note`) on an accepted case;
//! - it ends `resolved`, or `failed` (mediation did not succeed), from
//!   accepted or in progress;
//! - `escalate` hands any open or failed case up (again and again if need be);
//! - `close` only ends a resolved or failed case: unfinished work is never
//!   closed silently;
//! - `fail` is a mediation outcome (调解未成): only a dispute (矛盾纠纷)
//!   can fail; a hazard or a request is resolved, escalated or reopened
//!   ([`Step::fits`], [`Status::next_steps_for`]);
//! - `closed` is terminal except for `reopen`, which also takes back a
//!   resolved or failed case (the resident was not satisfied).

use super::Category;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    New,
    Accepted,
    InProgress,
    Resolved,
    Failed,
    Closed,
    Escalated,
    Reopened,
}

/// A change a person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Accept,
    Assign,
    Start,
    Resolve,
    Fail,
    Escalate,
    Close,
    Reopen,
}

/// Why a step is not possible now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub step: Step,
    pub from: Status,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Accepted,
        Status::InProgress,
        Status::Resolved,
        Status::Failed,
        Status::Closed,
        Status::Escalated,
        Status::Reopened,
    ];

    /// Waiting for someone to take it.
    pub fn is_waiting(self) -> bool {
        matches!(self, Status::New | Status::Escalated | Status::Reopened)
    }

    /// Still needs work (counts as open, can be overdue).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Failed | Status::Closed)
    }

    /// The transition rule (see the module docs).
    pub fn apply(self, step: Step) -> Result<Status, Refusal> {
        use Status::*;
        let next = match (step, self) {
            (Step::Accept, New | Escalated | Reopened) => Some(Accepted),
            (Step::Assign, New | Escalated | Reopened) => Some(Accepted),
            (Step::Assign, Accepted | InProgress) => Some(self),
            (Step::Start, Accepted) => Some(InProgress),
            (Step::Resolve, Accepted | InProgress) => Some(Resolved),
            (Step::Fail, Accepted | InProgress) => Some(Failed),
            (Step::Escalate, New | Accepted | InProgress | Failed | Escalated | Reopened) => {
                Some(Escalated)
            }
            (Step::Close, Resolved | Failed) => Some(Closed),
            (Step::Reopen, Resolved | Failed | Closed) => Some(Reopened),
            _ => None,
        };
        next.ok_or(Refusal { step, from: self })
    }

    /// The steps possible from here (the buttons a case card offers).
    pub fn next_steps(self) -> Vec<Step> {
        Step::ALL
            .into_iter()
            .filter(|s| self.apply(*s).is_ok())
            .collect()
    }

    /// The steps possible from here for a case of this category: the
    /// buttons its card offers and the steps `/help <id>` lists.
    pub fn next_steps_for(self, category: Category) -> Vec<Step> {
        self.next_steps()
            .into_iter()
            .filter(|s| s.fits(category))
            .collect()
    }

    /// [`Status::apply`] for a case of this category.
    pub fn apply_for(self, step: Step, category: Category) -> Result<Status, Refusal> {
        if !step.fits(category) {
            return Err(Refusal { step, from: self });
        }
        self.apply(step)
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Failed => "failed",
            Status::Closed => "closed",
            Status::Escalated => "escalated",
            Status::Reopened => "reopened",
        }
    }

    pub fn parse(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Status::New => "待受理",
            Status::Accepted => "已受理",
            Status::InProgress => "处理中",
            Status::Resolved => "已解决",
            Status::Failed => "调解未成",
            Status::Closed => "已办结",
            Status::Escalated => "已上报",
            Status::Reopened => "已重办",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::InProgress => "in progress",
            Status::Resolved => "resolved",
            Status::Failed => "mediation failed",
            Status::Closed => "closed",
            Status::Escalated => "escalated",
            Status::Reopened => "reopened",
        }
    }
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Accept,
        Step::Assign,
        Step::Start,
        Step::Resolve,
        Step::Fail,
        Step::Escalate,
        Step::Close,
        Step::Reopen,
    ];

    /// The event kind recorded for it.
    pub fn key(self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::Assign => "assign",
            Step::Start => "start",
            Step::Resolve => "resolve",
            Step::Fail => "fail",
            Step::Escalate => "escalate",
            Step::Close => "close",
            Step::Reopen => "reopen",
        }
    }

    pub fn parse(key: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether the step makes sense for a case of this category: only a
    /// dispute is mediated, so only a dispute can fail (调解未成).
    pub fn fits(self, category: Category) -> bool {
        match self {
            Step::Fail => category == Category::Dispute,
            _ => true,
        }
    }

    /// Whether the step needs words from the person (a result, a reason).
    pub fn needs_text(self) -> bool {
        matches!(
            self,
            Step::Resolve | Step::Fail | Step::Escalate | Step::Assign
        )
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Step::Accept => "受理",
            Step::Assign => "指派",
            Step::Start => "开始处理",
            Step::Resolve => "记为已解决",
            Step::Fail => "记为调解未成",
            Step::Escalate => "上报",
            Step::Close => "办结",
            Step::Reopen => "重办",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::Assign => "assign",
            Step::Start => "start work",
            Step::Resolve => "resolve",
            Step::Fail => "record as failed",
            Step::Escalate => "escalate",
            Step::Close => "close",
            Step::Reopen => "reopen",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Replays recorded `(from, to)` transitions: the status they lead to, or
/// `None` if they do not chain (an event's `from` must be the previous `to`).
pub fn replay(events: &[(Status, Status)]) -> Option<Status> {
    events
        .iter()
        .try_fold(Status::New, |at, (from, to)| (at == *from).then_some(*to))
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
