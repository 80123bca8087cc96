//! Schedules (the report times in the configuration, `/schedule`'s recurring
//! alerts) and which slot is due — a pure function of (schedule, last slot
//! run, now), so it is tested without a clock or a database.
//!
//! How a schedule is written and read is [`super::expr`]: one parser, the
//! standard cron meaning (`0 9 * * 1` is Monday 09:00), presets, and the
//! 15-minute floor.

use std::str::FromStr;

use chrono::TimeZone;
use chrono_tz::Tz;

pub use super::expr::{CronError, FieldName, MIN_INTERVAL_SECS};

#[derive(Debug, Clone)]
pub struct CronSchedule {
    /// As it was written, words separated by single spaces.
    pub raw: String,
    /// The standard 6-field form (seconds first), presets spelled out.
    pub expr: String,
    /// Occurrences are those of any of these (the `cron` crate's own meaning).
    inner: Vec<cron::Schedule>,
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

/// What to do about a job's schedule at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Nothing new since the last slot run.
    Nothing,
    /// Run occurrence `slot`; `late` if it is run well after its time
    /// (the bot was down).
    Run { slot: i64, late: bool },
    /// The latest occurrence is older than the catch-up window: record it
    /// as skipped and log it.
    Skip { slot: i64 },
}

/// A slot run this long after its time is reported as late.
pub const LATE_AFTER_SECS: i64 = 10 * 60;

impl CronSchedule {
    /// Reads a whole schedule: a preset, or 5 or 6 cron fields.
    pub fn parse(raw: &str) -> Result<CronSchedule, CronError> {
        let words: Vec<&str> = raw.split_whitespace().collect();
        Self::from_words(&words)
    }

    /// `/schedule`'s reading: the schedule at the start of `text` and the
    /// words after it. A preset takes its keyword and arguments; otherwise 6
    /// fields are tried before 5, and a 6-field reading that is valid but
    /// refused (too often, never) is not retried as 5 fields plus text.
    pub fn parse_leading(text: &str) -> Result<(CronSchedule, String), CronError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let take = |n: usize| Self::from_words(&words[..n]).map(|s| (s, words[n..].join(" ")));
        if let Some(n) = super::expr::preset_len(&words) {
            return take(n.min(words.len()));
        }
        if words.len() < 5 {
            return Err(CronError::Shape(words.len()));
        }
        if words.len() > 5 {
            match take(6) {
                Err(CronError::Field { .. } | CronError::Shape(_) | CronError::Preset(_)) => {}
                six => return six,
            }
        }
        take(5)
    }

    fn from_words(words: &[&str]) -> Result<CronSchedule, CronError> {
        let parsed = super::expr::parse_words(words)?;
        Ok(CronSchedule {
            raw: words.join(" "),
            expr: parsed.expr,
            inner: parsed.crate_schedules,
        })
    }

    /// The latest occurrence at or before `now`.
    pub fn latest_at_or_before(&self, tz: Tz, now: i64) -> Option<i64> {
        let probe = tz.timestamp_opt(now + 1, 0).single()?;
        self.inner
            .iter()
            .filter_map(|s| s.after(&probe).next_back())
            .map(|t| t.timestamp())
            .filter(|t| *t <= now)
            .max()
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, tz: Tz, t: i64) -> Option<i64> {
        let from = tz.timestamp_opt(t, 0).single()?;
        self.inner
            .iter()
            .filter_map(|s| s.after(&from).next())
            .map(|t| t.timestamp())
            .min()
    }

    /// Which slot is due at `now`, given the last slot run. Only the latest
    /// missed occurrence is run (a report for yesterday supersedes the one for
    /// the day before); one older than `window` seconds is skipped.
    pub fn due(&self, tz: Tz, last: Option<i64>, now: i64, window: i64) -> Due {
        let Some(slot) = self.latest_at_or_before(tz, now) else {
            return Due::Nothing;
        };
        if last.is_some_and(|l| l >= slot) {
            return Due::Nothing;
        }
        let behind = now - slot;
        if behind > window {
            Due::Skip { slot }
        } else {
            Due::Run {
                slot,
                late: behind > LATE_AFTER_SECS,
            }
        }
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, CronError> {
        CronSchedule::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        SH.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp()
    }

    fn local(t: i64) -> chrono::DateTime<Tz> {
        SH.timestamp_opt(t, 0).unwrap()
    }

    #[test]
    fn five_and_six_fields() {
        let five = CronSchedule::parse("0 18 * * *").unwrap();
        let six = CronSchedule::parse("0 0 18 * * *").unwrap();
        let t = at(2024, 5, 10, 12, 0);
        assert_eq!(five.next_after(SH, t), Some(at(2024, 5, 10, 18, 0)));
        assert_eq!(six.next_after(SH, t), five.next_after(SH, t));
        // Monday is 1 in the 5-field form, Mon by name in either.
        let monday = CronSchedule::parse("0 9 * * 1").unwrap();
        let next = local(monday.next_after(SH, t).unwrap());
        assert_eq!(next.weekday(), chrono::Weekday::Mon);
        let sunday = CronSchedule::parse("0 9 * * 0").unwrap();
        assert_eq!(
            local(sunday.next_after(SH, t).unwrap()).weekday(),
            chrono::Weekday::Sun
        );
        let weekend = CronSchedule::parse("0 9 * * 6-7").unwrap();
        let days: Vec<_> = (0..4)
            .scan(t, |s, _| {
                *s = weekend.next_after(SH, *s).unwrap();
                Some(local(*s).weekday())
            })
            .collect();
        assert_eq!(
            days,
            [
                chrono::Weekday::Sat,
                chrono::Weekday::Sun,
                chrono::Weekday::Sat,
                chrono::Weekday::Sun
            ]
        );
    }

    #[test]
    fn rejects_bad_expressions() {
        for bad in [
            "",
            "* * *",
            "61 * * * *",
            "0 0 25 * * *",
            "0 9 * * 8",
            "x y z a b",
            "0 0 9 31 2 *",
        ] {
            assert!(CronSchedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn xun_never_fires_on_the_31st() {
        let xun = CronSchedule::parse("0 0 9 1,11,21 * *").unwrap();
        let mut t = at(2024, 1, 1, 0, 0);
        for _ in 0..36 {
            t = xun.next_after(SH, t).unwrap();
            let l = local(t);
            assert!([1, 11, 21].contains(&l.day()), "{l}");
            assert_eq!((l.hour(), l.minute()), (9, 0));
        }
    }

    #[test]
    fn due_runs_once_late_or_skips() {
        let daily = CronSchedule::parse("0 0 18 * * *").unwrap();
        let window = 6 * 3600;
        let slot = at(2024, 5, 10, 18, 0);
        assert_eq!(
            daily.due(SH, None, at(2024, 5, 10, 17, 59), window),
            Due::Skip {
                slot: at(2024, 5, 9, 18, 0)
            }
        );
        assert_eq!(
            daily.due(
                SH,
                Some(at(2024, 5, 9, 18, 0)),
                at(2024, 5, 10, 17, 59),
                window
            ),
            Due::Nothing
        );
        assert_eq!(
            daily.due(SH, Some(at(2024, 5, 9, 18, 0)), slot, window),
            Due::Run { slot, late: false }
        );
        assert_eq!(daily.due(SH, Some(slot), slot + 60, window), Due::Nothing);
        // Down until 20:00: sent once, marked late.
        assert_eq!(
            daily.due(
                SH,
                Some(at(2024, 5, 9, 18, 0)),
                at(2024, 5, 10, 20, 0),
                window
            ),
            Due::Run { slot, late: true }
        );
        // Down until after midnight plus the window: skipped.
        assert_eq!(
            daily.due(
                SH,
                Some(at(2024, 5, 9, 18, 0)),
                at(2024, 5, 11, 1, 0),
                window
            ),
            Due::Skip { slot }
        );
    }
}
