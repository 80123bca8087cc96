//! Synthetic districts for the benchmark and the tests: a year of cases,
//! events and alerts spread over a Xiqu-shaped tree (5 towns × 4 communities
//! × 7 grids), drawn from a seeded generator so every run sees the same data.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::render::Names;
use super::source::Records;
use crate::domain::NodeCode;
use crate::domain::stats::{
    AlertRecord, CaseRecord, Category, EventActor, EventRecord, Rating, Reporter, Status, Tier,
};

/// The synthetic district's nodes and their names.
pub fn district() -> (Vec<NodeCode>, Names) {
    let code = |s: String| NodeCode::parse(&s).expect("valid code");
    let mut names = Names::new();
    let mut grids = Vec::new();
    names.insert(code("xq".into()), "西区".into());
    let towns = ["hmk", "qxp", "ggs", "yjw", "sbc"];
    let town_names = [
        "河门口街道",
        "清香坪街道",
        "格里坪镇",
        "玉泉街道",
        "苏铁街道",
    ];
    for (t, tn) in towns.iter().zip(town_names) {
        names.insert(code(format!("xq.{t}")), tn.into());
        for c in 1..=4 {
            names.insert(code(format!("xq.{t}.c{c}")), format!("{tn}第{c}社区"));
            for g in 1..=7 {
                let grid = code(format!("xq.{t}.c{c}.g{g}"));
                names.insert(grid.clone(), format!("第{g}网格"));
                grids.push(grid);
            }
        }
    }
    (grids, names)
}

/// `cases` cases opened evenly over `[start, start + days)`, about
/// `events_per_case` events each, and one alert a day.
pub fn year(start: i64, days: i64, cases: usize, events_per_case: usize, seed: u64) -> Records {
    let (grids, _) = district();
    let mut rng = StdRng::seed_from_u64(seed);
    let span = days * 86_400;
    let now = start + span;
    let mut out = Records::default();
    for id in 1..=cases as i64 {
        let grid = grids[rng.random_range(0..grids.len())].clone();
        let opened_at = start + rng.random_range(0..span);
        let category = Category::ALL[rng.random_range(0..Category::ALL.len())];
        let tier = match rng.random_range(0..20) {
            0 => Tier::Major,
            1..=4 => Tier::Specialised,
            _ => Tier::Everyday,
        };
        let took = rng.random_range(3_600..20 * 86_400);
        let end = opened_at + took;
        let ends = end < now && rng.random_range(0..10) > 0;
        let failed = ends && category == Category::Dispute && rng.random_range(0..25) == 0;
        let resolved_at = (ends && !failed).then_some(end);
        let failed_at = failed.then_some(end);
        let asked = resolved_at.is_some() && rng.random_range(0..10) < 8;
        let rating = asked.then(|| match rng.random_range(0..20) {
            0 => Some(Rating::Unsatisfied),
            1..=4 => Some(Rating::Basically),
            5..=17 => Some(Rating::Satisfied),
            _ => None,
        });
        let handler_id = 1000 + rng.random_range(0..300);
        out.cases.push(CaseRecord {
            id,
            node_code: grid.clone(),
            grid_code: grid,
            category,
            tier,
            status: match (resolved_at, failed_at) {
                (Some(_), _) => Status::Resolved,
                (_, Some(_)) => Status::Failed,
                _ => Status::InProgress,
            },
            opened_at,
            resolved_at,
            failed_at,
            closed_at: None,
            deadline_at: Some(opened_at + 7 * 86_400),
            supervised: tier == Tier::Major,
            rating: rating.flatten(),
            asked_followup: asked,
            handler: Some((handler_id, format!("网格员{handler_id}"))),
            reporter: if rng.random_range(0..5) == 0 {
                Reporter::Anonymous
            } else {
                Reporter::Known {
                    id: 500_000 + id,
                    name: format!("居民{id}"),
                }
            },
            summary: format!("第{id}号事项：楼道堆放杂物"),
        });
        // The events as the bot records them: reported, accepted, notes,
        // then the outcome, the follow-up question and the rating.
        let handler = Some((handler_id, format!("网格员{handler_id}")));
        let mut push = |at: i64, action: &str, actor: Option<(i64, String)>, note: String| {
            if at < now {
                out.events.push(EventRecord {
                    case_id: id,
                    at,
                    action: action.into(),
                    actor: EventActor::person(actor),
                    note,
                });
            }
        };
        push(opened_at, "report", None, String::new());
        let n = rng.random_range(events_per_case.saturating_sub(2)..=events_per_case + 2);
        for k in 1..n.max(2) {
            let at = opened_at + took * k as i64 / n.max(2) as i64;
            let action = if k == 1 { "accept" } else { "note" };
            push(at, action, handler.clone(), format!("进展 {k}"));
        }
        if let Some(t) = resolved_at {
            push(t, "resolve", handler.clone(), "已办理".into());
        }
        if let Some(t) = failed_at {
            push(t, "fail", handler.clone(), "调解未成".into());
        }
        if let (true, Some(t)) = (asked, resolved_at) {
            push(t + 86_400, "followup", None, String::new());
            if let Some(r) = rating.flatten() {
                push(t + 90_000, "rate", None, r.key().into());
            }
        }
    }
    for d in 0..days {
        let targets = rng.random_range(5..141);
        let delivered = targets - rng.random_range(0..3).min(targets);
        out.alerts.push(AlertRecord {
            id: d + 1,
            node_code: NodeCode::parse("xq").expect("valid"),
            issued_at: start + d * 86_400 + 9 * 3600,
            targets,
            delivered,
            failed: targets - delivered,
            acknowledged: delivered / 2,
            ack_required: delivered,
        });
    }
    out
}

/// The fixed data set of the golden tests: May 2024 in a small Xiqu with the
/// report's own dispute figures — 1,557 mediated, 1,494 successfully (95.9%) —
/// against 1,739 disputes in April, 30 open hazards past their deadline,
/// follow-ups, supervised cases and three alerts.
pub fn report_month() -> Records {
    use chrono::TimeZone;
    let sh = chrono_tz::Asia::Shanghai;
    let at = |m: u32, d: u32, h: u32| {
        sh.with_ymd_and_hms(2024, m, d, h, 0, 0)
            .unwrap()
            .timestamp()
    };
    let code = |s: &str| NodeCode::parse(s).expect("valid code");
    let mut out = Records::default();
    let mut next_id = 0;
    let mut case = |grid: &str, category: Category, opened_at: i64| {
        next_id += 1;
        CaseRecord {
            id: next_id,
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
            handler: Some((7001, "王<网格员>".into())),
            reporter: if next_id % 2 == 0 {
                Reporter::Anonymous
            } else {
                Reporter::Known {
                    id: 900_000 + next_id,
                    name: format!("居民{next_id}"),
                }
            },
            summary: format!("=楼道纠纷 {next_id}"),
        }
    };
    for i in 0..1739 {
        let mut c = case("xq.hmk.c1.g3", Category::Dispute, at(4, 10, 9) + i);
        c.status = Status::Resolved;
        c.resolved_at = Some(at(4, 20, 9));
        out.cases.push(c);
    }
    for (grid, n, ok) in [("xq.hmk.c1.g3", 1000, 960), ("xq.qxp.c1", 557, 534)] {
        for i in 0..n {
            let mut c = case(grid, Category::Dispute, at(5, 2, 9) + i64::from(i) * 60);
            if i < ok {
                c.status = Status::Resolved;
                c.resolved_at = Some(at(5, 20, 9));
            } else {
                c.status = Status::Failed;
                c.failed_at = Some(at(5, 20, 9));
            }
            if grid == "xq.hmk.c1.g3" && i < 100 {
                c.asked_followup = true;
                c.rating = match i {
                    0..80 => Some(Rating::Satisfied),
                    80..90 => Some(Rating::Basically),
                    90..95 => Some(Rating::Unsatisfied),
                    _ => None,
                };
            }
            if grid == "xq.hmk.c1.g3" && (100..104).contains(&i) {
                c.supervised = true;
                c.tier = Tier::Major;
                c.deadline_at = Some(at(5, 25, 0));
            }
            out.cases.push(c);
        }
    }
    for i in 0..30 {
        let mut c = case("xq.hmk.c1.g4", Category::Hazard, at(5, 25, 9) + i);
        c.tier = Tier::Specialised;
        c.status = Status::InProgress;
        c.deadline_at = Some(at(5, 28, 9));
        c.supervised = i == 0;
        out.cases.push(c);
    }
    for c in &out.cases {
        out.events.push(EventRecord {
            case_id: c.id,
            at: c.opened_at,
            action: "report".into(),
            actor: EventActor::System,
            note: String::new(),
        });
        let outcome = match (c.resolved_at, c.failed_at) {
            (Some(t), _) => Some((t, "resolve")),
            (_, Some(t)) => Some((t, "fail")),
            _ => None,
        };
        if let Some((t, action)) = outcome {
            out.events.push(EventRecord {
                case_id: c.id,
                at: t,
                action: action.into(),
                actor: EventActor::person(c.handler.clone()),
                note: "已调解".into(),
            });
        }
        // Asked an hour after the resolution, rated an hour later.
        if let (true, Some(t)) = (c.asked_followup, c.resolved_at) {
            out.events.push(EventRecord {
                case_id: c.id,
                at: t + 3_600,
                action: "followup".into(),
                actor: EventActor::System,
                note: String::new(),
            });
            if let Some(r) = c.rating {
                out.events.push(EventRecord {
                    case_id: c.id,
                    at: t + 7_200,
                    action: "rate".into(),
                    actor: EventActor::System,
                    note: r.key().into(),
                });
            }
        }
    }
    for (id, day) in [(1, 3), (2, 12), (3, 28)] {
        out.alerts.push(AlertRecord {
            id,
            node_code: code("xq"),
            issued_at: at(5, day, 10),
            targets: 140,
            delivered: 139,
            failed: 1,
            acknowledged: 16,
            ack_required: 20,
        });
    }
    out
}
