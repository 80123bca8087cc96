//! Cron schedules from the configuration, and which slot is due — a pure
//! function of (schedule, last slot run, now), so it is tested without a
//! clock or a database.
//!
//! Operators write the usual 5-field form (`0 18 * * *`, Sunday = 0 or 7)
//! or the `cron` crate's 6-field form with seconds first (`0 0 18 * * *`,
//! where Sunday = 1). A 5-field day-of-week is renumbered for the crate.
//! Note that the crate ANDs day-of-month with day-of-week; the 旬 schedule is
//! therefore `0 0 9 1,11,21 * *` (`*/10` in the day field would also fire on the 31st).

use std::str::FromStr;

use chrono::TimeZone;
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct CronSchedule {
    /// As the operator wrote it.
    pub raw: String,
    inner: cron::Schedule,
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
    pub fn parse(raw: &str) -> Result<CronSchedule, String> {
        let fields: Vec<&str> = raw.split_whitespace().collect();
        let six = match fields.len() {
            5 => {
                let dow = renumber_weekdays(fields[4])?;
                format!(
                    "0 {} {} {} {} {dow}",
                    fields[0], fields[1], fields[2], fields[3]
                )
            }
            6 | 7 => fields.join(" "),
            n => {
                return Err(format!(
                    "`{raw}` has {n} fields; write 5 (min hour day month weekday) or 6 (sec min hour day month weekday)"
                ));
            }
        };
        let inner = cron::Schedule::from_str(&six)
            .map_err(|e| format!("`{raw}` is not a valid cron expression: {e}"))?;
        if inner.after(&chrono::Utc::now()).next().is_none() {
            return Err(format!("`{raw}` never fires"));
        }
        Ok(CronSchedule {
            raw: raw.trim().to_string(),
            inner,
        })
    }

    /// The latest occurrence at or before `now`.
    pub fn latest_at_or_before(&self, tz: Tz, now: i64) -> Option<i64> {
        let probe = tz.timestamp_opt(now + 1, 0).single()?;
        self.inner
            .after(&probe)
            .next_back()
            .map(|t| t.timestamp())
            .filter(|t| *t <= now)
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, tz: Tz, t: i64) -> Option<i64> {
        let from = tz.timestamp_opt(t, 0).single()?;
        self.inner.after(&from).next().map(|t| t.timestamp())
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

/// Standard cron numbers weekdays 0–7 from Sunday (0 and 7 both Sunday); the
/// `cron` crate numbers them 1–7 from Sunday. Names pass through unchanged.
fn renumber_weekdays(field: &str) -> Result<String, String> {
    let one = |n: &str| -> Result<u32, String> {
        match n.parse::<u32>() {
            Ok(v) if v <= 7 => Ok(v % 7 + 1),
            _ => Err(format!(
                "`{n}` is not a weekday (0–7 or a name such as Mon)"
            )),
        }
    };
    let numeric = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mut items = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let mapped = match range.split_once('-') {
            Some((a, b)) if numeric(a) && numeric(b) => {
                let (a, b) = (one(a)?, b.parse::<u32>().map_err(|e| e.to_string())?);
                if b == 7 || b == 0 {
                    // …-Sunday: the crate's Sunday is 1, so split the range.
                    items.push("1".to_string());
                    format!("{a}-7")
                } else {
                    format!("{a}-{}", one(&b.to_string())?)
                }
            }
            None if numeric(range) && !range.is_empty() => one(range)?.to_string(),
            _ => range.to_string(),
        };
        items.push(match step {
            Some(s) => format!("{mapped}/{s}"),
            None => mapped,
        });
    }
    Ok(items.join(","))
}

impl FromStr for CronSchedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
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
