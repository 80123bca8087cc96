//! Durations and deadlines as people write them: `30m`, `24h`, `3d`, or a
//! date `2026-12-01` (the end of that day in the district's time zone),
//! within [`crate::domain::period::YEARS`].

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;

/// `30m`, `24h`, `3d`, `2w` (or a bare number of seconds) → seconds; at most a year.
pub fn parse_duration(raw: &str) -> Option<i64> {
    let raw = raw.trim().to_ascii_lowercase();
    let unit_at = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(unit_at);
    if digits.is_empty() || digits.len() > 6 {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    let secs = n * mult;
    (secs > 0 && secs <= 366 * 86_400).then_some(secs)
}

/// A deadline as written in `/supervise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineSpec {
    /// So long from now.
    In(i64),
    /// The end of that day.
    On(NaiveDate),
}

impl DeadlineSpec {
    pub fn parse(raw: &str) -> Option<DeadlineSpec> {
        if let Some(secs) = parse_duration(raw) {
            return Some(DeadlineSpec::In(secs));
        }
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| crate::domain::period::date_in_range(*d))
            .map(DeadlineSpec::On)
    }

    /// The moment it names; `None` when that is not after `now`.
    pub fn at(self, now: i64, tz: Tz) -> Option<i64> {
        let t = match self {
            DeadlineSpec::In(secs) => now.checked_add(secs)?,
            DeadlineSpec::On(day) => {
                let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
                tz.from_local_datetime(&next).earliest()?.timestamp() - 1
            }
        };
        (t > now).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("24h"), Some(86_400));
        assert_eq!(parse_duration("3D"), Some(3 * 86_400));
        assert_eq!(parse_duration("90"), Some(90));
        for bad in ["", "h", "0d", "3x", "-3d", "400d", "1.5h", "9999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn deadlines() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-11-27 09:00 Shanghai.
        let now = 1_795_741_200;
        assert_eq!(
            DeadlineSpec::parse("3d").unwrap().at(now, tz),
            Some(now + 3 * 86_400)
        );
        let end_of_dec_1 = DeadlineSpec::parse("2026-12-01")
            .unwrap()
            .at(now, tz)
            .unwrap();
        // 2026-12-01 23:59:59 +08:00
        assert_eq!(end_of_dec_1, 1_796_140_799);
        assert_eq!(DeadlineSpec::parse("2026-11-01").unwrap().at(now, tz), None);
        assert_eq!(DeadlineSpec::parse("tomorrow"), None);
        assert_eq!(DeadlineSpec::parse("2026-13-01"), None);
        assert_eq!(DeadlineSpec::parse("+262142-12-31"), None);
        assert_eq!(DeadlineSpec::parse("-262143-01-01"), None);
        assert_eq!(DeadlineSpec::parse("2101-01-01"), None);
        assert_eq!(parse_duration("999999w"), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = DeadlineSpec::parse(&s).map(|d| d.at(0, chrono_tz::UTC));
        }

        /// Any text, numbers of any size with any unit, dates with any year:
        /// a bounded deadline or none, at any `now`.
        #[test]
        fn parse_is_total(s in prop_oneof![
            "\\PC{0,40}",
            "[+-]?[0-9]{1,20}(s|m|min|h|d|w|x)?",
            "[+-]?[0-9]{1,7}-[0-9]{1,2}-[0-9]{1,2}",
        ], now in any::<i64>()) {
            if let Some(secs) = parse_duration(&s) {
                prop_assert!(secs > 0 && secs <= 366 * 86_400);
            }
            if let Some(d) = DeadlineSpec::parse(&s) {
                let _ = d.at(now, chrono_tz::Asia::Shanghai);
            }
        }

        #[test]
        fn durations_round_trip(n in 1i64..300, unit in proptest::sample::select(vec![("m", 60i64), ("h", 3600), ("d", 86_400)])) {
            let secs = n * unit.1;
            prop_assume!(secs <= 366 * 86_400);
            prop_assert_eq!(parse_duration(&format!("{n}{}", unit.0)), Some(secs));
        }
    }
}
