//! The playground's time: a manual clock that starts where it is told and
//! that `wait` walks forward.
//!
//! A running bot ticks its scheduler every few seconds, so every report slot,
//! reminder and escalation fires at its own time. `wait` does the same in
//! fast motion: it stops at every report slot, recurring alert and
//! follow-up exactly ([`super::walk`]), and at least every [`STEP`] in
//! between, ticking the scheduler and letting the dispatcher deliver at each
//! stop. A month is about 750 stops, a few seconds.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::config::Settings;

/// Where a script's clock starts unless `--start` says otherwise (district
/// time): a Thursday mid-month, so a story plays the same on any day.
pub const SCRIPT_START: &str = "2025-06-12 10:00";

/// The longest stride of a walk, in seconds.
pub const STEP: i64 = 3600;

/// Reads `--start`: `YYYY-MM-DD HH:MM` (or with a `T`), or a date alone
/// (10:00), in the district's time zone.
pub fn parse_start(raw: &str, tz: Tz) -> Result<i64, String> {
    let raw = raw.trim();
    let local = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(10, 0, 0))
        })
        .ok_or_else(|| {
            format!("--start: `{raw}` is not a date and time such as 2025-06-12 10:00")
        })?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp())
        .ok_or_else(|| format!("--start: {raw} does not exist in {tz}"))
}

/// The next stop of a walk from `now` towards `until`: the next multiple of
/// [`STEP`], or a report slot or another due time (`also`) if one comes
/// sooner, never past `until`.
pub fn next_stop(
    settings: &Settings,
    now: i64,
    until: i64,
    also: impl IntoIterator<Item = i64>,
) -> i64 {
    let r = &settings.reports;
    let step = (now.div_euclid(STEP) + 1) * STEP;
    [&r.daily, &r.weekly, &r.xun, &r.monthly]
        .into_iter()
        .filter_map(|s| s.next_after(settings.tz, now))
        .chain(also.into_iter().filter(|t| *t > now))
        .fold(step, i64::min)
        .min(until)
}

/// Replaces `{today}` / `{今天}` and `{yesterday}` / `{昨天}` in a console
/// line by the sandbox's dates (`2025-06-12`), so a script can name the day
/// something happened whatever day it starts on.
pub fn expand_dates(line: &str, tz: Tz, now: i64) -> String {
    if !line.contains('{') {
        return line.to_string();
    }
    let day = |t: i64| {
        tz.timestamp_opt(t, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let (today, yesterday) = (day(now), day(now - 86_400));
    line.replace("{today}", &today)
        .replace("{今天}", &today)
        .replace("{yesterday}", &yesterday)
        .replace("{昨天}", &yesterday)
}

/// `2025-06-12 18:00`, district time.
pub fn stamp(tz: Tz, t: i64) -> String {
    tz.timestamp_opt(t, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn at(raw: &str) -> i64 {
        parse_start(raw, SH).unwrap()
    }

    #[test]
    fn starts() {
        assert_eq!(stamp(SH, at(SCRIPT_START)), SCRIPT_START);
        assert_eq!(stamp(SH, at("2025-01-31")), "2025-01-31 10:00");
        assert_eq!(stamp(SH, at("2025-01-31T23:30")), "2025-01-31 23:30");
        assert!(parse_start("tomorrow", SH).is_err());
        assert!(parse_start("2025-02-30", SH).is_err());
    }

    #[test]
    fn dates_in_lines() {
        let t = at("2025-03-01 00:30");
        assert_eq!(
            expand_dates("/stats {昨天}..{today}", SH, t),
            "/stats 2025-02-28..2025-03-01"
        );
        assert_eq!(expand_dates("/stats month", SH, t), "/stats month");
    }

    #[test]
    fn a_walk_stops_at_every_slot_and_every_step() {
        let s = Settings::default();
        // From Sunday 08:58 the walk stops every STEP and at Monday 09:00.
        let sunday = at("2025-06-15 08:58");
        assert_eq!(
            stamp(SH, next_stop(&s, sunday, i64::MAX, [])),
            "2025-06-15 09:00"
        );
        let monday = at("2025-06-16 09:00");
        let mut t = sunday;
        let mut stops = Vec::new();
        while t < monday + 3600 {
            t = next_stop(&s, t, monday + 3600, []);
            stops.push(t);
        }
        assert!(stops.contains(&monday));
        assert!(stops.windows(2).all(|w| w[1] - w[0] <= STEP));
        // A report at 18:07 is hit exactly; `also` and `until` cut a stride short.
        let mut s = Settings::default();
        s.reports.daily = "7 18 * * *".parse().unwrap();
        let odd = at("2025-06-12 18:05") + 17;
        assert_eq!(next_stop(&s, odd, i64::MAX, []), at("2025-06-12 18:07"));
        assert_eq!(next_stop(&s, odd, i64::MAX, [odd + 60, odd - 60]), odd + 60);
        assert_eq!(next_stop(&s, odd, odd + 5, []), odd + 5);
    }
}
