//! What the statistics read: one flat record per case, per case event and
//! per alert, independent of how the tables that hold them are shaped (the
//! store's loaders fill them; tests and the benchmark build them directly).

use crate::domain::NodeCode;
use crate::domain::case::Step;
pub use crate::domain::case::{Category, Rating, Status, Tier};

/// Who reported a case, as far as exports may say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reporter {
    /// Never identified anywhere outside the case's own handling.
    Anonymous,
    Known {
        id: i64,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    pub id: i64,
    /// The grid it was reported in (statistics count it there).
    pub grid_code: NodeCode,
    /// Where it is handled now (differs after an escalation).
    pub node_code: NodeCode,
    pub category: Category,
    pub tier: Tier,
    pub status: Status,
    pub opened_at: i64,
    /// The latest resolution; `None` if never resolved or reopened since.
    pub resolved_at: Option<i64>,
    /// The latest failure (mediation did not succeed); `None` if reopened since.
    pub failed_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub deadline_at: Option<i64>,
    /// 挂牌督办.
    pub supervised: bool,
    pub rating: Option<Rating>,
    /// Whether the reporter was asked to rate it (回访).
    pub asked_followup: bool,
    /// The staff member handling it: (user id, display name).
    pub handler: Option<(i64, String)>,
    pub reporter: Reporter,
    /// The resident's text (for exports).
    pub summary: String,
}

impl CaseRecord {
    /// When it stopped being open, if it has.
    pub fn ended_at(&self) -> Option<i64> {
        [self.resolved_at, self.failed_at, self.closed_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Open at instant `t`: opened before, not yet resolved, failed or closed.
    pub fn open_at(&self, t: i64) -> bool {
        self.opened_at < t && self.ended_at().is_none_or(|e| e > t)
    }

    /// Open at `t` with its deadline passed.
    pub fn overdue_at(&self, t: i64) -> bool {
        self.open_at(t) && self.deadline_at.is_some_and(|d| d < t)
    }
}

/// One transition in a case's history (never edited or deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub case_id: i64,
    pub at: i64,
    /// The event kind as stored: `report`, `accept`, `resolve`, `rate`, `note`, …
    pub action: String,
    pub actor: EventActor,
    pub note: String,
}

/// Who did something to a case, as far as exports may say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventActor {
    /// The bot itself (a follow-up asked, a reminder).
    System,
    /// The reporter of an anonymous case: never named or numbered in a record.
    Anonymous,
    /// Staff, or a reporter who gave their name.
    Person { id: i64, name: String },
}

impl EventActor {
    /// `None` → the system.
    pub fn person(who: Option<(i64, String)>) -> EventActor {
        match who {
            Some((id, name)) => EventActor::Person { id, name },
            None => EventActor::System,
        }
    }
}

/// What an event means for the figures, read from its kind (the step's
/// key, or `report`, `rate`, `followup`); notes, reminders, comments and
/// the like mean nothing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Reported,
    Resolved,
    Failed,
    Closed,
    Reopened,
    /// Handed to the parent node: open again, even after a failure.
    Escalated,
    /// The follow-up question was asked (回访).
    Asked,
    /// The reporter's rating, whatever happened to the case afterwards.
    Rated(Rating),
}

impl EventRecord {
    pub fn mark(&self) -> Option<Mark> {
        if let Some(step) = Step::parse(&self.action) {
            return match step {
                Step::Resolve => Some(Mark::Resolved),
                Step::Fail => Some(Mark::Failed),
                Step::Close => Some(Mark::Closed),
                Step::Reopen => Some(Mark::Reopened),
                Step::Escalate => Some(Mark::Escalated),
                Step::Accept | Step::Assign | Step::Start => None,
            };
        }
        match self.action.as_str() {
            "report" => Some(Mark::Reported),
            "followup" => Some(Mark::Asked),
            "rate" => Rating::parse(&self.note).map(Mark::Rated),
            _ => None,
        }
    }
}

/// One alert and how its copies fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub id: i64,
    /// The node it was issued for (its subtree got it).
    pub node_code: NodeCode,
    pub issued_at: i64,
    /// Groups it was to reach.
    pub targets: u32,
    pub delivered: u32,
    pub failed: u32,
    /// Grids that pressed 收到.
    pub acknowledged: u32,
    /// Groups asked to acknowledge (severe and extreme alerts; not the issuing group).
    pub ack_required: u32,
}
