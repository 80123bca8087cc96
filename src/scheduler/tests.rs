//! The one cron parser: a table of expressions and their next occurrences
//! in Asia/Shanghai, and property tests (no input panics; the configuration
//! and `/schedule` read a schedule the same way).

use chrono::TimeZone;
use chrono_tz::Tz;
use proptest::prelude::*;

use super::schedule::CronSchedule;
use crate::config::ReportSchedules;

const SH: Tz = chrono_tz::Asia::Shanghai;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    SH.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().timestamp()
}

fn shown(t: i64) -> String {
    SH.timestamp_opt(t, 0)
        .unwrap()
        .format("%Y-%m-%d %a %H:%M:%S")
        .to_string()
}

/// The next `n` occurrences after `from`, as local times.
fn next_n(s: &CronSchedule, from: i64, n: usize) -> Vec<String> {
    let mut t = from;
    (0..n)
        .map(|_| {
            t = s.next_after(SH, t).expect("fires");
            shown(t)
        })
        .collect()
}

#[test]
fn next_occurrences_in_shanghai() {
    // Friday 2024-05-10 12:00.
    let from = at(2024, 5, 10, 12, 0);
    for (raw, want) in [
        (
            "0 9 * * 1",
            ["2024-05-13 Mon 09:00:00", "2024-05-20 Mon 09:00:00"],
        ),
        (
            "0 9 * * 0",
            ["2024-05-12 Sun 09:00:00", "2024-05-19 Sun 09:00:00"],
        ),
        (
            "0 9 * * 7",
            ["2024-05-12 Sun 09:00:00", "2024-05-19 Sun 09:00:00"],
        ),
        (
            "0 9 * * Mon",
            ["2024-05-13 Mon 09:00:00", "2024-05-20 Mon 09:00:00"],
        ),
        (
            "0 0 9 * * 1",
            ["2024-05-13 Mon 09:00:00", "2024-05-20 Mon 09:00:00"],
        ),
        (
            "0 0 9 * * Mon",
            ["2024-05-13 Mon 09:00:00", "2024-05-20 Mon 09:00:00"],
        ),
        (
            "0 18 * * 1-5",
            ["2024-05-10 Fri 18:00:00", "2024-05-13 Mon 18:00:00"],
        ),
        (
            "0 9 * * mon-fri",
            ["2024-05-13 Mon 09:00:00", "2024-05-14 Tue 09:00:00"],
        ),
        (
            "30 8 * * 6,0",
            ["2024-05-11 Sat 08:30:00", "2024-05-12 Sun 08:30:00"],
        ),
        (
            "30 8 * * 6-7",
            ["2024-05-11 Sat 08:30:00", "2024-05-12 Sun 08:30:00"],
        ),
        (
            "0 9 * * */2",
            ["2024-05-11 Sat 09:00:00", "2024-05-12 Sun 09:00:00"],
        ),
        (
            "0 9 * * 1-5/2",
            ["2024-05-13 Mon 09:00:00", "2024-05-15 Wed 09:00:00"],
        ),
        (
            "0 9 * * 5",
            ["2024-05-17 Fri 09:00:00", "2024-05-24 Fri 09:00:00"],
        ),
        // crontab: either day field matching is enough.
        (
            "0 9 15 * 1",
            ["2024-05-13 Mon 09:00:00", "2024-05-15 Wed 09:00:00"],
        ),
        (
            "0 0 9 1,11,21 * *",
            ["2024-05-11 Sat 09:00:00", "2024-05-21 Tue 09:00:00"],
        ),
        (
            "0 9 1 * *",
            ["2024-06-01 Sat 09:00:00", "2024-07-01 Mon 09:00:00"],
        ),
        (
            "0 9 29 2 *",
            ["2028-02-29 Tue 09:00:00", "2032-02-29 Sun 09:00:00"],
        ),
        (
            "*/15 * * * *",
            ["2024-05-10 Fri 12:15:00", "2024-05-10 Fri 12:30:00"],
        ),
        (
            "0 */2 * * *",
            ["2024-05-10 Fri 14:00:00", "2024-05-10 Fri 16:00:00"],
        ),
        (
            "30 0 9 * * *",
            ["2024-05-11 Sat 09:00:30", "2024-05-12 Sun 09:00:30"],
        ),
        (
            "daily 09:30",
            ["2024-05-11 Sat 09:30:00", "2024-05-12 Sun 09:30:00"],
        ),
        (
            "weekly mon 08:30",
            ["2024-05-13 Mon 08:30:00", "2024-05-20 Mon 08:30:00"],
        ),
        (
            "weekly sun 08:30",
            ["2024-05-12 Sun 08:30:00", "2024-05-19 Sun 08:30:00"],
        ),
        (
            "monthly 1 09:00",
            ["2024-06-01 Sat 09:00:00", "2024-07-01 Mon 09:00:00"],
        ),
        (
            "每周 周一 09:00",
            ["2024-05-13 Mon 09:00:00", "2024-05-20 Mon 09:00:00"],
        ),
    ] {
        let s = CronSchedule::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(next_n(&s, from, 2), want, "{raw} ({})", s.expr);
    }
}

#[test]
fn latest_occurrence_takes_either_day_field() {
    let s = CronSchedule::parse("0 9 15 * 1").unwrap();
    // Thursday 2024-05-16 10:00: the 15th (Wednesday) is later than Monday the 13th.
    assert_eq!(
        s.latest_at_or_before(SH, at(2024, 5, 16, 10, 0)),
        Some(at(2024, 5, 15, 9, 0))
    );
}

#[test]
fn schedule_takes_its_words_and_leaves_the_alert() {
    for (text, expr, rest) in [
        ("0 9 * * 1 周一例会", "0 0 9 * * Mon", "周一例会"),
        (
            "0 0 9 * * 1 severe 周一例会",
            "0 0 9 * * Mon",
            "severe 周一例会",
        ),
        ("daily 09:00 严重 暴雨", "0 0 9 * * *", "严重 暴雨"),
        ("weekly mon 08:30 x", "0 30 8 * * Mon", "x"),
        ("monthly 1 09:00 x", "0 0 9 1 * *", "x"),
        ("30  9 * * *   提示  两个", "0 30 9 * * *", "提示 两个"),
    ] {
        let (s, got) = CronSchedule::parse_leading(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!((s.expr.as_str(), got.as_str()), (expr, rest), "{text}");
    }
    use super::schedule::CronError;
    for (text, refused) in [
        ("* * * * * * 每秒", true),
        ("*/5 * * * * 每五分钟", true),
        ("sometimes 提醒", false),
        ("daily 25:00 x", false),
    ] {
        let e = CronSchedule::parse_leading(text).unwrap_err();
        assert_eq!(
            matches!(e, CronError::TooOften { .. }),
            refused,
            "{text}: {e:?}"
        );
    }
}

proptest! {
    #[test]
    fn any_text_is_answered_without_panicking(raw in "\\PC{0,60}") {
        let _ = CronSchedule::parse(&raw);
        let _ = CronSchedule::parse_leading(&raw);
    }

    #[test]
    fn cron_like_text_is_answered_without_panicking(
        raw in "([0-9*/,?-]{1,6}|[a-zA-Z]{1,5}|[0-9]{1,12}|daily|weekly|monthly|[0-9]{1,2}:[0-9]{1,2})( ([0-9*/,?-]{1,6}|[a-zA-Z]{1,5}|[0-9]{1,12}|daily|[0-9]{1,2}:[0-9]{1,2})){0,8}"
    ) {
        if let Ok(s) = CronSchedule::parse(&raw) {
            // Whatever is accepted fires, and at least 15 minutes apart.
            let first = s.next_after(SH, at(2024, 1, 1, 0, 0)).expect("fires");
            let second = s.next_after(SH, first).expect("fires again");
            prop_assert!(second - first >= super::expr::MIN_INTERVAL_SECS, "{raw}");
        }
        let _ = CronSchedule::parse_leading(&raw);
    }

    /// The configuration and `/schedule` read an expression the same way.
    #[test]
    fn config_and_schedule_agree(
        seconds in prop::sample::select(vec!["", "0 ", "30 "]),
        minute in prop::sample::select(vec!["0", "30", "59", "0,30", "*/20", "5,50"]),
        hour in prop::sample::select(vec!["*", "9", "0", "23", "8-17", "*/2", "1,13", "0,12"]),
        day in prop::sample::select(vec!["*", "?", "1", "15", "1,11,21", "31", "*/10", "29"]),
        month in prop::sample::select(vec!["*", "1-6", "jan", "*/3", "2", "12"]),
        weekday in prop::sample::select(vec![
            "*", "0", "1", "5", "6", "7", "1-5", "mon-fri", "Sat,Sun", "*/2", "5-0", "sun-sat", "2/2",
        ]),
        from in 1_700_000_000i64..1_900_000_000,
    ) {
        let raw = format!("{seconds}{minute} {hour} {day} {month} {weekday}");
        let from_config = ReportSchedules::from_env(|k| {
            (k == "PINGAN_REPORT_WEEKLY").then(|| raw.clone())
        });
        let from_command = CronSchedule::parse_leading(&format!("{raw} 注意安全"));
        match (from_config, from_command) {
            (Ok(c), Ok((s, rest))) => {
                prop_assert_eq!(rest, "注意安全");
                prop_assert_eq!(&c.weekly.expr, &s.expr);
                prop_assert_eq!(c.weekly.next_after(SH, from), s.next_after(SH, from));
                prop_assert_eq!(
                    c.weekly.latest_at_or_before(SH, from),
                    s.latest_at_or_before(SH, from)
                );
            }
            (Err(c), Err(s)) => prop_assert!(c.problem.contains(&s.to_string()), "{raw}"),
            (c, s) => prop_assert!(false, "{raw}: config {c:?}, /schedule {s:?}"),
        }
    }
}
