//! The one reading of a schedule as people write it, for the report
//! schedules in the configuration and for `/schedule` alike.
//!
//! Standard cron meaning: 5 fields `minute hour day month weekday`, or 6 with
//! seconds in front; weekdays 0–7 from Sunday (0 and 7 both Sunday, 1 is
//! Monday) or names (`mon`, `Mon-Fri`). When both day-of-month and
//! day-of-week are restricted (neither is `*` or `?`), a day matching
//! *either* fires, as in crontab. Presets: `daily 09:00`, `weekly mon 09:00`,
//! `monthly 1 09:00` (and 每天 / 每周 / 每月).
//!
//! The `cron` crate does the calendar arithmetic, but it numbers weekdays
//! 1–7 from Sunday and ANDs the two day fields. So the weekday field is read
//! here into a set of days and handed to the crate as names (`Sun,Mon`), and
//! an OR of the day fields becomes two crate schedules. Nothing else in the
//! program talks to the crate.
//!
//! A schedule that can fire twice within [`MIN_INTERVAL_SECS`] is refused:
//! one recurring alert reaches a whole subtree.

use std::str::FromStr;

use cron::TimeUnitSpec;

/// The shortest allowed time between two occurrences.
pub const MIN_INTERVAL_SECS: i64 = 15 * 60;

/// Which cron field a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldName {
    Second,
    Minute,
    Hour,
    Day,
    Month,
    Weekday,
}

impl FieldName {
    pub fn en(self) -> &'static str {
        match self {
            FieldName::Second => "second",
            FieldName::Minute => "minute",
            FieldName::Hour => "hour",
            FieldName::Day => "day-of-month",
            FieldName::Month => "month",
            FieldName::Weekday => "weekday",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            FieldName::Second => "秒",
            FieldName::Minute => "分",
            FieldName::Hour => "时",
            FieldName::Day => "日",
            FieldName::Month => "月",
            FieldName::Weekday => "星期",
        }
    }
}

/// Why a schedule was not accepted; [`std::fmt::Display`] is the operator's
/// (English) wording, the adapter words it for chat users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error(
        "{0} words: write 5 cron fields (min hour day month weekday), 6 (sec min hour day month weekday) or a preset (daily 09:00, weekly mon 09:00, monthly 1 09:00)"
    )]
    Shape(usize),
    #[error("`{0}` is not a preset: write daily HH:MM, weekly <day> HH:MM or monthly <1-31> HH:MM")]
    Preset(String),
    #[error("`{value}` is not a valid {} field", field.en())]
    Field { field: FieldName, value: String },
    #[error("it never fires (no such date)")]
    NeverFires,
    #[error(
        "it fires as often as every {every_secs} s; schedules must be at least 15 minutes apart"
    )]
    TooOften { every_secs: i64 },
}

/// A parsed schedule: the crate schedules whose union it is.
#[derive(Debug, Clone)]
pub(crate) struct Parsed {
    /// The standard 6-field form (seconds first, weekdays 0–6 as names).
    pub expr: String,
    pub crate_schedules: Vec<cron::Schedule>,
}

/// Parses exactly these words (a preset, or 5 or 6 cron fields).
pub(crate) fn parse_words(words: &[&str]) -> Result<Parsed, CronError> {
    if let Some(n) = preset_len(words) {
        if n != words.len() {
            return Err(CronError::Preset(words.join(" ")));
        }
        let fields = preset(words).ok_or_else(|| CronError::Preset(words.join(" ")))?;
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        return parse_fields(&refs);
    }
    match words.len() {
        5 => {
            let mut six = vec!["0"];
            six.extend_from_slice(words);
            parse_fields(&six)
        }
        6 => parse_fields(words),
        n => Err(CronError::Shape(n)),
    }
}

/// How many words the preset at the start of `words` takes (its keyword
/// and arguments), or `None` if it does not start with a preset keyword.
pub(crate) fn preset_len(words: &[&str]) -> Option<usize> {
    match words.first()?.to_lowercase().as_str() {
        "daily" | "每天" | "每日" => Some(2),
        "weekly" | "每周" | "monthly" | "每月" => Some(3),
        _ => None,
    }
}

/// A preset as 6 standard fields.
fn preset(words: &[&str]) -> Option<[String; 6]> {
    let hm = |s: &str| -> Option<(u32, u32)> {
        let (h, m) = s.split_once([':', '：'])?;
        let (h, m) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some((h, m))
    };
    let at = |(h, m): (u32, u32), day: &str, weekday: &str| {
        ["0", &m.to_string(), &h.to_string(), day, "*", weekday].map(str::to_string)
    };
    match preset_len(words)? {
        2 => Some(at(hm(words[1])?, "*", "*")),
        _ if words[0].to_lowercase() == "weekly" || words[0] == "每周" => {
            let day = weekday_word(words[1])?;
            Some(at(hm(words[2])?, "*", NAMES[day]))
        }
        _ => {
            let d: u32 = words[1].parse().ok().filter(|d| (1..=31).contains(d))?;
            Some(at(hm(words[2])?, &d.to_string(), "*"))
        }
    }
}

/// 2024-01-01 UTC: whether a schedule ever fires does not depend on when
/// it is asked (there is no year field), so it is asked from a fixed time.
const REFERENCE: i64 = 1_704_067_200;

const NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A weekday as a preset takes it: an English name or prefix of one
/// (`mon`, `Monday`), 周一 / 星期一 … 周日 / 星期天. Sunday is 0.
fn weekday_word(w: &str) -> Option<usize> {
    let w = w.to_lowercase();
    if let Some(i) = NAMES
        .iter()
        .position(|n| w.len() >= 3 && w.starts_with(&n.to_lowercase()))
    {
        return Some(i);
    }
    let rest = w
        .strip_prefix("星期")
        .or_else(|| w.strip_prefix("周"))
        .or_else(|| w.strip_prefix("礼拜"))?;
    ["日", "一", "二", "三", "四", "五", "六"]
        .iter()
        .position(|d| *d == rest)
        .or((rest == "天").then_some(0))
}

/// A weekday number or name in a cron field: 0–7 (7 is Sunday again) or
/// an English name, as its standard number.
fn weekday_value(s: &str) -> Option<u32> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().filter(|v| *v <= 7);
    }
    let s = s.to_lowercase();
    let full = [
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    ];
    (0..7u32).find(|&i| {
        let i = i as usize;
        s == NAMES[i].to_lowercase()
            || s == full[i]
            || (i == 2 && s == "tues")
            || (i == 4 && s == "thurs")
    })
}

/// The standard weekday field as a set of days (index 0 = Sunday); `None`
/// when it is unrestricted (`*` or `?`).
fn weekdays(field: &str) -> Result<Option<[bool; 7]>, ()> {
    if field == "*" || field == "?" {
        return Ok(None);
    }
    let mut days = [false; 7];
    for item in field.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((b, s)) => (
                b,
                Some(
                    s.parse::<u32>()
                        .ok()
                        .filter(|s| (1..=7).contains(s))
                        .ok_or(())?,
                ),
            ),
            None => (item, None),
        };
        let (from, to) = match base.split_once('-') {
            _ if base == "*" || base == "?" => (0, 6),
            Some((a, b)) => {
                let a = weekday_value(a).ok_or(())?;
                let b = weekday_value(b).ok_or(())?;
                // `sat-sun`, `5-0`: Sunday closing a range is its end (7).
                let b = if b == 0 && a > 0 { 7 } else { b };
                if a > b {
                    return Err(());
                }
                (a, b)
            }
            None => {
                let a = weekday_value(base).ok_or(())?;
                (a, if step.is_some() { 6.max(a) } else { a })
            }
        };
        for v in (from..=to).step_by(step.unwrap_or(1) as usize) {
            days[(v % 7) as usize] = true;
        }
    }
    Ok(Some(days))
}

/// Parses 6 standard fields (seconds first).
fn parse_fields(f: &[&str]) -> Result<Parsed, CronError> {
    debug_assert_eq!(f.len(), 6);
    // Each field is checked on its own first, so the error names it.
    let checks = [
        (FieldName::Second, format!("{} 0 0 * * *", f[0])),
        (FieldName::Minute, format!("0 {} 0 * * *", f[1])),
        (FieldName::Hour, format!("0 0 {} * * *", f[2])),
        (FieldName::Day, format!("0 0 0 {} * *", f[3])),
        (FieldName::Month, format!("0 0 0 * {} *", f[4])),
    ];
    for (i, (field, probe)) in checks.iter().enumerate() {
        // A field with spaces or a second field hidden in it (`1 2`) cannot get here:
        // the words were split on whitespace.
        if cron::Schedule::from_str(probe).is_err() {
            return Err(CronError::Field {
                field: *field,
                value: f[i].to_string(),
            });
        }
    }
    let bad_weekday = || CronError::Field {
        field: FieldName::Weekday,
        value: f[5].to_string(),
    };
    let days = weekdays(f[5]).map_err(|()| bad_weekday())?;
    let names = days.map(|d| {
        (0..7)
            .filter(|i| d[*i])
            .map(|i| NAMES[i])
            .collect::<Vec<_>>()
            .join(",")
    });
    let head = format!("{} {} {}", f[0], f[1], f[2]);
    let (day, month) = (f[3], f[4]);
    let day_restricted = day != "*" && day != "?";
    let crate_exprs = match &names {
        None => vec![format!("{head} {day} {month} *")],
        Some(names) if !day_restricted => vec![format!("{head} * {month} {names}")],
        // Both restricted: a day matching either fires (crontab), the crate ANDs.
        Some(names) => vec![
            format!("{head} {day} {month} *"),
            format!("{head} * {month} {names}"),
        ],
    };
    let crate_schedules = crate_exprs
        .iter()
        .map(|e| cron::Schedule::from_str(e).map_err(|_| bad_weekday()))
        .collect::<Result<Vec<_>, _>>()?;
    let reference = chrono::DateTime::from_timestamp(REFERENCE, 0).expect("in range");
    if crate_schedules
        .iter()
        .all(|s| s.after(&reference).next().is_none())
    {
        return Err(CronError::NeverFires);
    }
    let gap = shortest_gap(&crate_schedules[0]);
    if gap < MIN_INTERVAL_SECS {
        return Err(CronError::TooOften { every_secs: gap });
    }
    let expr = format!(
        "{head} {day} {month} {}",
        names.unwrap_or_else(|| "*".into())
    );
    Ok(Parsed {
        expr,
        crate_schedules,
    })
}

/// A lower bound of the time between two occurrences, exact below an hour
/// (all that matters against [`MIN_INTERVAL_SECS`]). Days are not looked at:
/// `0,59 0,23 1 * *` counts 23:59 → 00:00 as one minute apart although the
/// 1st never follows the 1st, which errs on the side of refusing.
fn shortest_gap(s: &cron::Schedule) -> i64 {
    let secs: Vec<i64> = s.seconds().iter().map(i64::from).collect();
    let mins: Vec<i64> = s.minutes().iter().map(i64::from).collect();
    let hours: Vec<u32> = s.hours().iter().collect();
    let within = |v: &[i64], span: i64| {
        let inner = v.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(span);
        let wrap = span - v[v.len() - 1] + v[0];
        (inner, wrap)
    };
    let (inner, wrap) = within(&secs, 60);
    if secs.len() > 1 {
        return inner.min(wrap);
    }
    let (inner, wrap) = within(&mins, 60);
    let adjacent_hours = hours.iter().any(|h| hours.contains(&((h + 1) % 24)));
    let mut gap = inner * 60;
    if adjacent_hours {
        gap = gap.min(wrap * 60);
    }
    gap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(raw: &str) -> Result<String, CronError> {
        let words: Vec<&str> = raw.split_whitespace().collect();
        parse_words(&words).map(|p| p.expr)
    }

    #[test]
    fn weekday_fields_in_standard_numbers() {
        for (raw, want) in [
            ("0 9 * * 1", "0 0 9 * * Mon"),
            ("0 9 * * 0", "0 0 9 * * Sun"),
            ("0 9 * * 7", "0 0 9 * * Sun"),
            ("0 9 * * 1-5", "0 0 9 * * Mon,Tue,Wed,Thu,Fri"),
            ("0 9 * * 5-7", "0 0 9 * * Sun,Fri,Sat"),
            ("0 9 * * sat-sun", "0 0 9 * * Sun,Sat"),
            ("0 9 * * 6,0", "0 0 9 * * Sun,Sat"),
            ("0 9 * * */2", "0 0 9 * * Sun,Tue,Thu,Sat"),
            ("0 9 * * 1/3", "0 0 9 * * Mon,Thu"),
            ("0 9 * * 1-5/2", "0 0 9 * * Mon,Wed,Fri"),
            ("0 9 * * mon-fri", "0 0 9 * * Mon,Tue,Wed,Thu,Fri"),
            ("0 9 * * MON,wed", "0 0 9 * * Mon,Wed"),
            ("0 0 9 * * Mon", "0 0 9 * * Mon"),
            ("0 0 9 * * 1", "0 0 9 * * Mon"),
            ("0 0 9 1,11,21 * *", "0 0 9 1,11,21 * *"),
            ("0 0 9 1,11,21 * ?", "0 0 9 1,11,21 * *"),
            ("daily 09:30", "0 30 9 * * *"),
            ("weekly mon 08:30", "0 30 8 * * Mon"),
            ("weekly Sunday 08:30", "0 30 8 * * Sun"),
            ("每周 周五 18:00", "0 0 18 * * Fri"),
            ("monthly 1 09:00", "0 0 9 1 * *"),
            ("0,15,30,45 * * * *", "0 0,15,30,45 * * * *"),
            ("30 0 * * * *", "30 0 * * * *"),
        ] {
            assert_eq!(expr(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        for (raw, field) in [
            ("61 * * * *", FieldName::Minute),
            ("0 24 * * *", FieldName::Hour),
            ("0 0 9 32 * *", FieldName::Day),
            ("0 9 * 13 *", FieldName::Month),
            ("0 9 * * 8", FieldName::Weekday),
            ("0 9 * * 5-1", FieldName::Weekday),
            ("0 9 * * */0", FieldName::Weekday),
            ("0 9 * * mon-", FieldName::Weekday),
            ("0 9 * * x", FieldName::Weekday),
            ("x 9 * * * *", FieldName::Second),
        ] {
            match expr(raw) {
                Err(CronError::Field { field: got, .. }) => assert_eq!(got, field, "{raw}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
        assert_eq!(expr("* * *"), Err(CronError::Shape(3)));
        assert_eq!(expr(""), Err(CronError::Shape(0)));
        assert!(matches!(expr("daily 25:00"), Err(CronError::Preset(_))));
        assert!(matches!(expr("daily 09:00 x"), Err(CronError::Preset(_))));
        assert!(matches!(
            expr("weekly xyz 09:00"),
            Err(CronError::Preset(_))
        ));
    }

    #[test]
    fn more_often_than_every_15_minutes_is_refused() {
        for (raw, every_secs) in [
            ("* * * * * *", 1),
            ("0,30 * * * * *", 30),
            ("* * * * *", 60),
            ("*/5 * * * *", 300),
            ("*/14 * * * *", 4 * 60), // 56 → 00 of the next hour
            ("0,10 9 * * *", 600),
            ("0,50 8,9 * * *", 600),
            ("0,59 0,23 * * *", 60),
        ] {
            assert_eq!(expr(raw), Err(CronError::TooOften { every_secs }), "{raw}");
        }
        for ok in [
            "*/15 * * * *",
            "0,45 8,9 * * *",
            "0 * * * *",
            "0,50 8 * * *",
            "55 8,9 * * *",
        ] {
            assert!(expr(ok).is_ok(), "{ok}: {:?}", expr(ok));
        }
    }

    #[test]
    fn impossible_dates_never_fire() {
        assert_eq!(expr("0 9 30 2 *"), Err(CronError::NeverFires));
        assert_eq!(expr("0 9 31 4,6 *"), Err(CronError::NeverFires));
        // Either day field may match: the 30th of February never comes, Mondays do.
        assert!(expr("0 9 30 2 1").is_ok());
    }
}
