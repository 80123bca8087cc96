//! What a case's history records: every event kind, whether the reporter
//! sees it, and the words a person reads for it. The store keeps the
//! [`EventKind::key`]; nothing shown to people prints a key.

use super::{Rating, Status, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The resident reported it.
    Report,
    /// A step of the state machine (status changed, or the handler).
    Step(Step),
    /// `/note`: for the staff only.
    Note,
    /// `/update`: progress told to the reporter and the group.
    Update,
    /// 挂牌督办.
    Supervise,
    /// The reminders job reminded the handlers (staff only).
    Remind,
    /// The follow-up job asked the reporter to rate it (回访).
    Followup,
    /// The reporter's rating.
    Rate,
    /// The reporter's words after rating.
    Comment,
}

impl EventKind {
    pub fn parse(key: &str) -> Option<EventKind> {
        Some(match key {
            "report" => EventKind::Report,
            "note" => EventKind::Note,
            "update" => EventKind::Update,
            "supervise" => EventKind::Supervise,
            "remind" => EventKind::Remind,
            "followup" => EventKind::Followup,
            "rate" => EventKind::Rate,
            "comment" => EventKind::Comment,
            other => EventKind::Step(Step::parse(other)?),
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            EventKind::Report => "report",
            EventKind::Step(s) => s.key(),
            EventKind::Note => "note",
            EventKind::Update => "update",
            EventKind::Supervise => "supervise",
            EventKind::Remind => "remind",
            EventKind::Followup => "followup",
            EventKind::Rate => "rate",
            EventKind::Comment => "comment",
        }
    }

    /// Seen by the staff only: never sent to the reporter, never on the
    /// reporter's card.
    pub fn is_internal(self) -> bool {
        matches!(self, EventKind::Note | EventKind::Remind)
    }

    /// What happened, for a history row. `to` is the status a step led to.
    pub fn name_zh(self, to: Option<Status>) -> &'static str {
        match (self, to) {
            (EventKind::Report, _) => "反映",
            (EventKind::Step(Step::Assign), _) => "指派",
            (EventKind::Step(Step::Start), _) => "开始处理",
            (EventKind::Step(_), Some(to)) => to.name_zh(),
            (EventKind::Step(s), None) => s.name_zh(),
            (EventKind::Note, _) => "内部备注",
            (EventKind::Update, _) => "进展",
            (EventKind::Supervise, _) => "挂牌督办",
            (EventKind::Remind, _) => "提醒承办人员",
            (EventKind::Followup, _) => "回访：已请反映人评价",
            (EventKind::Rate, _) => "评价",
            (EventKind::Comment, _) => "补充意见",
        }
    }

    pub fn name_en(self, to: Option<Status>) -> &'static str {
        match (self, to) {
            (EventKind::Report, _) => "reported",
            (EventKind::Step(Step::Assign), _) => "assigned",
            (EventKind::Step(Step::Start), _) => "started work",
            (EventKind::Step(_), Some(to)) => to.name_en(),
            (EventKind::Step(s), None) => s.name_en(),
            (EventKind::Note, _) => "internal note",
            (EventKind::Update, _) => "progress",
            (EventKind::Supervise, _) => "put under supervision",
            (EventKind::Remind, _) => "handlers reminded",
            (EventKind::Followup, _) => "follow-up: asked the reporter to rate",
            (EventKind::Rate, _) => "rated",
            (EventKind::Comment, _) => "comment",
        }
    }

    /// Whether an event's note is a rating key (to be shown as its name).
    pub fn note_is_rating(self) -> bool {
        matches!(
            self,
            EventKind::Rate | EventKind::Step(Step::Close) | EventKind::Step(Step::Reopen)
        )
    }
}

/// A stored note in words: a rating key becomes its name, anything else stays.
pub fn rating_in_words(note: &str, en: bool) -> Option<&'static str> {
    Rating::parse(note).map(|r| if en { r.name_en() } else { r.name_zh() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_has_words() {
        let mut all = vec![
            EventKind::Report,
            EventKind::Note,
            EventKind::Update,
            EventKind::Supervise,
            EventKind::Remind,
            EventKind::Followup,
            EventKind::Rate,
            EventKind::Comment,
        ];
        all.extend(Step::ALL.map(EventKind::Step));
        for k in all {
            assert_eq!(EventKind::parse(k.key()), Some(k));
            for to in [None, Some(Status::Closed)] {
                assert!(!k.name_zh(to).is_ascii(), "{k:?}");
                assert!(!k.name_en(to).contains('_'), "{k:?}");
            }
        }
        assert!(EventKind::Note.is_internal() && !EventKind::Update.is_internal());
        assert_eq!(rating_in_words("satisfied", false), Some("满意"));
        assert_eq!(rating_in_words("修好了", false), None);
    }
}
