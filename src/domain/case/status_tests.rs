//! The case state machine as a table, and its properties.

use std::collections::{HashSet, VecDeque};

use proptest::prelude::*;

use super::*;
use Status::*;

#[test]
fn the_lifecycle_table() {
    let ok: &[(Status, Step, Status)] = &[
        (New, Step::Accept, Accepted),
        (New, Step::Assign, Accepted),
        (Accepted, Step::Start, InProgress),
        (Accepted, Step::Assign, Accepted),
        (InProgress, Step::Assign, InProgress),
        (InProgress, Step::Resolve, Resolved),
        (Accepted, Step::Resolve, Resolved),
        (InProgress, Step::Fail, Failed),
        (Resolved, Step::Close, Closed),
        (Failed, Step::Close, Closed),
        (New, Step::Escalate, Escalated),
        (Failed, Step::Escalate, Escalated),
        (Escalated, Step::Escalate, Escalated),
        (Escalated, Step::Accept, Accepted),
        (Closed, Step::Reopen, Reopened),
        (Resolved, Step::Reopen, Reopened),
        (Reopened, Step::Accept, Accepted),
    ];
    for (from, step, to) in ok {
        assert_eq!(from.apply(*step), Ok(*to), "{from:?} {step:?}");
    }
    let refused: &[(Status, Step)] = &[
        (New, Step::Resolve),
        (New, Step::Close),
        (New, Step::Start),
        (New, Step::Reopen),
        (Accepted, Step::Accept),
        (InProgress, Step::Close),
        (Resolved, Step::Resolve),
        (Resolved, Step::Escalate),
        (Closed, Step::Accept),
        (Closed, Step::Close),
        (Closed, Step::Escalate),
        (Escalated, Step::Resolve),
    ];
    for (from, step) in refused {
        assert_eq!(
            from.apply(*step),
            Err(Refusal {
                step: *step,
                from: *from
            }),
            "{from:?} {step:?}"
        );
    }
}

#[test]
fn closed_is_terminal_but_for_reopen() {
    assert_eq!(Closed.next_steps(), vec![Step::Reopen]);
}

#[test]
fn keys_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.key()), Some(s));
    }
    for s in Step::ALL {
        assert_eq!(Step::parse(s.key()), Some(s));
    }
}

/// Every status some sequence of steps reaches from `new`.
fn reachable() -> HashSet<Status> {
    let mut seen = HashSet::from([New]);
    let mut queue = VecDeque::from([New]);
    while let Some(s) = queue.pop_front() {
        for step in s.next_steps() {
            let next = s.apply(step).unwrap();
            if seen.insert(next) {
                queue.push_back(next);
            }
        }
    }
    seen
}

#[test]
fn every_status_is_reachable_and_can_reach_closed() {
    let all = reachable();
    assert_eq!(all.len(), Status::ALL.len());
    for start in all {
        let mut seen = HashSet::from([start]);
        let mut queue = VecDeque::from([start]);
        while let Some(s) = queue.pop_front() {
            for step in s.next_steps() {
                let next = s.apply(step).unwrap();
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        assert!(seen.contains(&Closed), "{start:?} cannot reach closed");
    }
}

fn any_step() -> impl Strategy<Value = Step> {
    proptest::sample::select(Step::ALL.to_vec())
}

proptest! {
    /// Applying any sequence of requests: refused ones change nothing, the
    /// accepted ones form an event log that replays to the same status.
    #[test]
    fn events_replay_to_the_status(steps in proptest::collection::vec(any_step(), 0..60)) {
        let mut status = New;
        let mut events = Vec::new();
        for step in steps {
            match status.apply(step) {
                Ok(next) => {
                    events.push((status, next));
                    status = next;
                }
                Err(refusal) => {
                    prop_assert_eq!(refusal.from, status);
                    prop_assert!(!status.next_steps().contains(&step));
                }
            }
        }
        prop_assert_eq!(replay(&events), Some(status));
    }

    /// From a closed case only reopening leads anywhere.
    #[test]
    fn closed_refuses_all_but_reopen(step in any_step()) {
        let r = Closed.apply(step);
        prop_assert_eq!(r.is_ok(), step == Step::Reopen);
    }

    /// Only a resolved or failed case can be closed, and a closed case is never open.
    #[test]
    fn closing_needs_an_outcome(s in proptest::sample::select(Status::ALL.to_vec())) {
        prop_assert_eq!(s.apply(Step::Close).is_ok(), matches!(s, Resolved | Failed));
        if s.apply(Step::Close).is_ok() {
            prop_assert!(!s.is_open());
        }
    }

    /// A log with a broken link does not replay.
    #[test]
    fn broken_logs_do_not_replay(steps in proptest::collection::vec(any_step(), 1..30), cut in 0usize..30) {
        let mut status = New;
        let mut events = Vec::new();
        for step in steps {
            if let Ok(next) = status.apply(step) {
                events.push((status, next));
                status = next;
            }
        }
        prop_assume!(events.len() >= 2);
        let i = cut % (events.len() - 1) + 1;
        // Replace a `from` with a status the previous event did not reach.
        let wrong = Status::ALL.into_iter().find(|s| *s != events[i - 1].1).unwrap();
        events[i].0 = wrong;
        prop_assert_eq!(replay(&events), None);
    }
}

#[test]
fn only_a_dispute_can_fail() {
    use crate::domain::case::Category;
    for c in Category::ALL {
        assert_eq!(Step::Fail.fits(c), c == Category::Dispute, "{c:?}");
        for s in Status::ALL {
            let steps = s.next_steps_for(c);
            assert_eq!(
                steps.contains(&Step::Fail),
                c == Category::Dispute && s.apply(Step::Fail).is_ok(),
                "{s:?} {c:?}"
            );
            assert!(steps.iter().all(|st| s.apply_for(*st, c).is_ok()));
        }
        assert!(InProgress.apply_for(Step::Resolve, c).is_ok());
    }
    assert_eq!(
        InProgress.apply_for(Step::Fail, Category::Hazard),
        Err(Refusal {
            step: Step::Fail,
            from: InProgress
        })
    );
    assert_eq!(
        InProgress.apply_for(Step::Fail, Category::Dispute),
        Ok(Failed)
    );
}
