//! Figures on small hand-built data sets, and the report's own mediation figures.

use super::*;
use crate::domain::NodeCode;
use crate::domain::period::{Period, PeriodKind};
use chrono::TimeZone;

const SH: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn at(m: u32, d: u32, h: u32) -> i64 {
    SH.with_ymd_and_hms(2024, m, d, h, 0, 0)
        .unwrap()
        .timestamp()
}

fn case(id: i64, grid: &str, category: Category, opened_at: i64) -> CaseRecord {
    CaseRecord {
        id,
        grid_code: code(grid),
        node_code: code(grid),
        category,
        tier: Tier::Everyday,
        status: Status::New,
        opened_at,
        resolved_at: None,
        failed_at: None,
        closed_at: None,
        deadline_at: None,
        supervised: false,
        rating: None,
        asked_followup: false,
        handler: None,
        reporter: Reporter::Anonymous,
        summary: String::new(),
    }
}

/// The events the bot would have recorded for the cases' stored state.
fn events_of(cases: &[CaseRecord]) -> Vec<EventRecord> {
    let mut out = Vec::new();
    for c in cases {
        let mut push = |at: i64, action: &str, note: &str| {
            out.push(EventRecord {
                case_id: c.id,
                at,
                action: action.into(),
                actor: EventActor::System,
                note: note.into(),
            })
        };
        push(c.opened_at, "report", "");
        if let Some(t) = c.resolved_at {
            push(t, "resolve", "");
            if c.asked_followup {
                push(t + 60, "followup", "");
            }
            if let Some(r) = c.rating {
                push(t + 120, "rate", r.key());
            }
        }
        if let Some(t) = c.failed_at {
            push(t, "fail", "");
        }
        if let Some(t) = c.closed_at {
            push(t, "close", "");
        }
    }
    out
}

fn compute(
    root: &str,
    period: Period,
    now: i64,
    cases: &[CaseRecord],
    alerts: &[AlertRecord],
) -> Figures {
    Figures::compute(&code(root), period, now, cases, &events_of(cases), alerts)
}

#[test]
fn the_reports_mediation_rate() {
    let may = Period::parse("2024-05", SH, 0).unwrap();
    let mut cases = Vec::new();
    for i in 0..1557 {
        let mut c = case(i, "xq.hmk.c1.g3", Category::Dispute, at(5, 2, 9));
        if i < 1494 {
            c.resolved_at = Some(at(5, 20, 9));
        } else {
            c.failed_at = Some(at(5, 20, 9));
        }
        cases.push(c);
    }
    let f = compute("xq", may, at(6, 1, 9), &cases, &[]);
    assert_eq!(
        f.mediation,
        Ratio {
            part: 1494,
            whole: 1557
        }
    );
    assert_eq!(f.mediation.permille(), Some(959)); // 95.9%, truncated like the report
    assert_eq!(f.total.opened, 1557);
    assert_eq!(f.total.open, 0);
}

#[test]
fn counts_by_period_state_and_scope() {
    let may = Period::parse("2024-05", SH, 0).unwrap();
    let mut old_open = case(1, "xq.hmk.c1.g3", Category::Hazard, at(4, 20, 9));
    old_open.deadline_at = Some(at(5, 10, 9));
    let mut resolved = case(2, "xq.qxp.c1", Category::Dispute, at(5, 3, 9));
    resolved.resolved_at = Some(at(5, 4, 9));
    resolved.asked_followup = true;
    resolved.rating = Some(Rating::Basically);
    let mut unanswered = case(3, "xq.qxp.c1", Category::Help, at(5, 3, 9));
    unanswered.resolved_at = Some(at(5, 5, 9));
    unanswered.asked_followup = true;
    let mut ended_before = case(4, "xq.hmk.c1.g3", Category::Other, at(3, 1, 9));
    ended_before.closed_at = Some(at(3, 2, 9));
    let elsewhere = case(5, "yq.a", Category::Other, at(5, 3, 9));
    let next_month = case(6, "xq.hmk", Category::Other, at(6, 3, 9));
    let mut supervised = case(7, "xq.hmk.c1.g4", Category::Dispute, at(5, 1, 9));
    supervised.supervised = true;
    supervised.tier = Tier::Major;
    supervised.deadline_at = Some(at(5, 15, 0));
    supervised.resolved_at = Some(at(5, 14, 0));
    let cases = [
        old_open,
        resolved,
        unanswered,
        ended_before,
        elsewhere,
        next_month,
        supervised,
    ];
    let alerts = [
        AlertRecord {
            id: 1,
            node_code: code("xq.hmk"),
            issued_at: at(5, 9, 9),
            targets: 10,
            delivered: 9,
            failed: 1,
            acknowledged: 3,
            ack_required: 4,
        },
        AlertRecord {
            id: 2,
            node_code: code("xq"),
            issued_at: at(4, 9, 9),
            targets: 10,
            delivered: 10,
            failed: 0,
            acknowledged: 0,
            ack_required: 0,
        },
    ];
    let f = compute("xq", may, at(6, 10, 9), &cases, &alerts);
    assert_eq!(
        f.total,
        Counts {
            opened: 3,
            resolved: 3,
            failed: 0,
            closed: 0,
            open: 1,
            overdue: 1
        }
    );
    assert_eq!(
        f.by_child[&code("xq.hmk")],
        Counts {
            opened: 1,
            resolved: 1,
            failed: 0,
            closed: 0,
            open: 1,
            overdue: 1
        }
    );
    assert_eq!(f.by_child[&code("xq.qxp")].resolved, 2);
    assert_eq!(f.by_tier[&Tier::Major].resolved, 1);
    assert_eq!(f.mediation, Ratio { part: 2, whole: 2 });
    assert_eq!(f.answered, Ratio { part: 1, whole: 2 });
    assert_eq!(f.satisfaction, Ratio { part: 1, whole: 1 });
    assert_eq!(f.supervised_on_time, Ratio { part: 1, whole: 1 });
    assert_eq!(f.alerts.issued, 1);
    assert_eq!(f.alerts.delivery, Ratio { part: 9, whole: 10 });
    assert_eq!(f.alerts.acknowledgement.permille(), Some(750));
    // The town sees only its own subtree, by community.
    let town = compute("xq.hmk", may, at(6, 10, 9), &cases, &alerts);
    assert_eq!(town.total.opened, 1);
    assert_eq!(
        town.by_child.keys().cloned().collect::<Vec<_>>(),
        vec![code("xq.hmk.c1")]
    );
}

#[test]
fn open_is_counted_at_the_end_of_a_past_period() {
    let april = Period::parse("2024-04", SH, 0).unwrap();
    let mut c = case(1, "xq.hmk", Category::Hazard, at(4, 20, 9));
    c.resolved_at = Some(at(5, 2, 9));
    let f = compute("xq", april, at(6, 1, 0), &[c.clone()], &[]);
    assert_eq!((f.total.open, f.total.resolved), (1, 0));
    let may = april.next(SH);
    let f = compute("xq", may, at(6, 1, 0), &[c], &[]);
    assert_eq!((f.total.opened, f.total.open, f.total.resolved), (0, 0, 1));
    assert_eq!(
        Period::containing(PeriodKind::Month, SH, at(5, 31, 23)),
        may
    );
}

#[test]
fn change_is_signed_tenths_of_a_percent() {
    assert_eq!(change_permille(252, 230), Some(-87)); // −8.7%, as the report's Q1 figure
    assert_eq!(change_permille(0, 5), None);
    assert_eq!(change_permille(10, 15), Some(500));
    assert_eq!(Ratio::default().permille(), None);
}

#[test]
fn child_toward_the_case() {
    assert_eq!(
        child_toward(&code("xq"), &code("xq.hmk.c1.g3")),
        code("xq.hmk")
    );
    assert_eq!(
        child_toward(&code("xq.hmk.c1"), &code("xq.hmk.c1.g3")),
        code("xq.hmk.c1.g3")
    );
    assert_eq!(
        child_toward(&code("xq.hmk.c1.g3"), &code("xq.hmk.c1.g3")),
        code("xq.hmk.c1.g3")
    );
}

fn event(case_id: i64, at: i64, action: &str, note: &str) -> EventRecord {
    EventRecord {
        case_id,
        at,
        action: action.into(),
        actor: EventActor::System,
        note: note.into(),
    }
}

/// Reported on 11-30, resolved, rated 满意 and closed on 12-01: new on the
/// 30th; resolved, closed and rated on the 1st — also in December as a whole.
#[test]
fn each_figure_counts_on_the_day_of_its_event() {
    let d = |m: u32, day: u32, h: u32| {
        SH.with_ymd_and_hms(2026, m, day, h, 0, 0)
            .unwrap()
            .timestamp()
    };
    let mut c = case(1, "xq.hmk.c1.g3", Category::Help, d(11, 30, 10));
    c.status = Status::Closed;
    c.resolved_at = Some(d(12, 1, 9));
    c.closed_at = Some(d(12, 1, 11));
    c.rating = Some(Rating::Satisfied);
    c.asked_followup = true;
    let events = [
        event(1, d(11, 30, 10), "report", ""),
        event(1, d(12, 1, 8), "accept", ""),
        event(1, d(12, 1, 9), "resolve", "修好了"),
        event(1, d(12, 1, 10), "followup", ""),
        event(1, d(12, 1, 11), "rate", "satisfied"),
        event(1, d(12, 1, 11), "close", "satisfied"),
    ];
    let now = d(12, 5, 9);
    let day = |date: &str| {
        let p = Period::parse(date, SH, now).unwrap();
        Figures::compute(&code("xq"), p, now, [&c], &events, &[])
    };
    let first = day("2026-12-01");
    assert_eq!(
        first.total,
        Counts {
            opened: 0,
            resolved: 1,
            failed: 0,
            closed: 1,
            open: 0,
            overdue: 0
        }
    );
    assert_eq!(first.satisfaction, Ratio { part: 1, whole: 1 });
    assert_eq!(first.answered, Ratio { part: 1, whole: 1 });
    let before = day("2026-11-30");
    assert_eq!((before.total.opened, before.total.open), (1, 1));
    assert_eq!(before.satisfaction, Ratio::default());
    let december = day("2026-12");
    assert_eq!((december.total.closed, december.satisfaction.whole), (1, 1));
    // Resolved on the 30th instead: December still counts the closing and the rating.
    let mut late = events.clone();
    late[2].at = d(11, 30, 18);
    let p = Period::parse("2026-12", SH, now).unwrap();
    let f = Figures::compute(&code("xq"), p, now, [&c], &late, &[]);
    assert_eq!((f.total.resolved, f.total.closed), (0, 1));
    assert_eq!(f.satisfaction, Ratio { part: 1, whole: 1 });
}

/// Three 满意, one 基本满意 and one 不满意 (which reopened its case): five
/// ratings, four of them satisfied — 80.0%, not 100% of four.
#[test]
fn a_dissatisfied_rating_counts_after_its_case_is_reopened() {
    let may = Period::parse("2024-05", SH, 0).unwrap();
    let mut cases = Vec::new();
    let mut events = Vec::new();
    for (i, rating) in [
        "satisfied",
        "satisfied",
        "satisfied",
        "basically",
        "unsatisfied",
    ]
    .into_iter()
    .enumerate()
    {
        let id = i as i64 + 1;
        let mut c = case(id, "xq.hmk.c1.g3", Category::Dispute, at(5, 2, 9));
        events.push(event(id, at(5, 2, 9), "report", ""));
        events.push(event(id, at(5, 3, 9), "resolve", "调解成功"));
        events.push(event(id, at(5, 4, 9), "followup", ""));
        events.push(event(id, at(5, 4, 10), "rate", rating));
        if rating == "unsatisfied" {
            // As stored after the reopening: no resolution stands.
            c.status = Status::Reopened;
            c.rating = Some(Rating::Unsatisfied);
            events.push(event(id, at(5, 4, 10), "reopen", rating));
        } else {
            c.status = Status::Closed;
            c.resolved_at = Some(at(5, 3, 9));
            c.closed_at = Some(at(5, 4, 10));
            c.rating = Rating::parse(rating);
            events.push(event(id, at(5, 4, 10), "close", rating));
        }
        cases.push(c);
    }
    let f = Figures::compute(&code("xq"), may, at(6, 1, 9), &cases, &events, &[]);
    assert_eq!(f.satisfaction, Ratio { part: 4, whole: 5 });
    assert_eq!(f.satisfaction.permille(), Some(800));
    assert_eq!(f.answered, Ratio { part: 5, whole: 5 });
    assert_eq!((f.total.resolved, f.total.closed, f.total.open), (5, 4, 1));
    // The reopened dispute was resolved in May: it counts for mediation too.
    assert_eq!(f.mediation, Ratio { part: 5, whole: 5 });
    // A rating counts in the period it was given, not the resolution's.
    let june = may.next(SH);
    let mut late = events.clone();
    late[3].at = at(6, 2, 9);
    let f = Figures::compute(&code("xq"), june, at(6, 5, 9), &cases, &late, &[]);
    assert_eq!(f.satisfaction, Ratio { part: 1, whole: 1 });
}

/// Closed on the 1st, reopened on the 3rd: the 1st still shows it closed
/// and not open at the day's end, asked on the 5th.
#[test]
fn open_at_a_past_end_comes_from_the_events() {
    let mut c = case(1, "xq.hmk.c1.g3", Category::Hazard, at(5, 1, 9));
    c.status = Status::Reopened; // as stored now
    let events = [
        event(1, at(5, 1, 9), "report", ""),
        event(1, at(5, 1, 10), "resolve", ""),
        event(1, at(5, 1, 11), "close", ""),
        event(1, at(5, 3, 9), "reopen", ""),
    ];
    let day = |d: u32| {
        let p = Period::of_date(
            PeriodKind::Day,
            SH,
            chrono::NaiveDate::from_ymd_opt(2024, 5, d).unwrap(),
        );
        Figures::compute(&code("xq"), p, at(5, 5, 9), [&c], &events, &[]).total
    };
    assert_eq!((day(1).closed, day(1).open), (1, 0));
    assert_eq!(day(2).open, 0);
    assert_eq!(day(3).open, 1);
    // Only the events after the 2nd at hand: the reopening says it was closed before.
    let f = Figures::compute(
        &code("xq"),
        Period::parse("2024-05-02", SH, 0).unwrap(),
        at(5, 5, 9),
        [&c],
        &events[3..],
        &[],
    );
    assert_eq!(f.total.open, 0);
}
