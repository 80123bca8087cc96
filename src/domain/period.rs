//! Reporting periods — a day, an ISO week, a 旬, a month or a span of dates —
//! as half-open `[start, end)` intervals of Unix seconds, cut at midnight in
//! the district's time zone (the report's "today" is Panzhihua's today, not UTC's).
//!
//! A 旬 is the 1st–10th, 11th–20th or 21st–end of a month, so the third one
//! is 8 to 11 days long. "The previous period" is the previous calendar unit
//! of the same kind (yesterday, last week, last 旬, last month); a span of
//! dates is compared with the span of equal length just before it.
//!
//! Dates people write are taken only within [`YEARS`] (2000–2100): chrono
//! reads extended years such as `+262142-12-31`, at the very edge of what it
//! can represent, where the day after (or the month after) does not exist.

use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// The years a written date may name (periods, deadlines).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether a written date is one we take (see [`YEARS`]).
pub fn date_in_range(date: NaiveDate) -> bool {
    YEARS.contains(&date.year())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Day,
    Week,
    Xun,
    Month,
    /// `FROM..TO`, both dates included.
    Span,
}

/// `[start, end)` in Unix seconds, with the local dates it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: i64,
    pub end: i64,
    /// First local date.
    pub first: NaiveDate,
    /// Last local date (included).
    pub last: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("not a period: {0}")]
    Unknown(String),
    #[error("the end date comes before the start date")]
    Backwards,
    #[error("a span may cover at most 366 days")]
    TooLong,
    #[error("dates are taken from 2000 to 2100")]
    OutOfRange,
}

/// Local midnight at the start of `date`, as Unix seconds. Where midnight
/// does not exist (a DST jump at 00:00), the first instant of the day.
pub fn midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp(),
        None => (1..=3 * 60)
            .find_map(|m| {
                tz.from_local_datetime(&(naive + Duration::minutes(m)))
                    .earliest()
            })
            .map(|t| t.timestamp())
            .unwrap_or_else(|| naive.and_utc().timestamp()),
    }
}

/// The local date of an instant.
pub fn local_date(tz: Tz, at: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .date_naive()
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

fn next_month(date: NaiveDate) -> NaiveDate {
    let first = month_start(date);
    if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).expect("valid")
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).expect("valid")
    }
}

/// The first day of the 旬 holding `date`.
fn xun_start(date: NaiveDate) -> NaiveDate {
    let day = match date.day() {
        1..=10 => 1,
        11..=20 => 11,
        _ => 21,
    };
    date.with_day(day).expect("valid")
}

/// The first day after the 旬 holding `date`.
fn xun_end(date: NaiveDate) -> NaiveDate {
    match date.day() {
        1..=10 => date.with_day(11).expect("valid"),
        11..=20 => date.with_day(21).expect("valid"),
        _ => next_month(date),
    }
}

impl Period {
    /// Builds the period from local dates `[first, after)`.
    fn from_dates(kind: PeriodKind, tz: Tz, first: NaiveDate, after: NaiveDate) -> Period {
        Period {
            kind,
            start: midnight(tz, first),
            end: midnight(tz, after),
            first,
            last: after.pred_opt().expect("after a real date"),
        }
    }

    /// The period of `kind` holding local date `date` (`Span` gives the day).
    pub fn of_date(kind: PeriodKind, tz: Tz, date: NaiveDate) -> Period {
        let (first, after) = match kind {
            PeriodKind::Day | PeriodKind::Span => (date, date.succ_opt().expect("valid")),
            PeriodKind::Week => {
                let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
                (monday, monday + Duration::days(7))
            }
            PeriodKind::Xun => (xun_start(date), xun_end(date)),
            PeriodKind::Month => (month_start(date), next_month(date)),
        };
        Period::from_dates(kind, tz, first, after)
    }

    /// The period of `kind` holding instant `at`.
    pub fn containing(kind: PeriodKind, tz: Tz, at: i64) -> Period {
        Period::of_date(kind, tz, local_date(tz, at))
    }

    /// The period just before this one, of the same kind.
    pub fn previous(&self, tz: Tz) -> Period {
        match self.kind {
            PeriodKind::Span => {
                let days = (self.last - self.first).num_days() + 1;
                Period::from_dates(
                    PeriodKind::Span,
                    tz,
                    self.first - Duration::days(days),
                    self.first,
                )
            }
            kind => Period::of_date(kind, tz, self.first.pred_opt().expect("valid")),
        }
    }

    /// The period just after this one, of the same kind.
    pub fn next(&self, tz: Tz) -> Period {
        match self.kind {
            PeriodKind::Span => {
                let days = (self.last - self.first).num_days() + 1;
                let first = self.last.succ_opt().expect("valid");
                Period::from_dates(PeriodKind::Span, tz, first, first + Duration::days(days))
            }
            kind => Period::of_date(kind, tz, self.last.succ_opt().expect("valid")),
        }
    }

    pub fn contains(&self, at: i64) -> bool {
        self.start <= at && at < self.end
    }

    /// `2024-05-01–2024-05-31`, or one date for a day.
    pub fn label(&self) -> String {
        if self.first == self.last {
            self.first.format("%Y-%m-%d").to_string()
        } else {
            format!(
                "{}–{}",
                self.first.format("%Y-%m-%d"),
                self.last.format("%Y-%m-%d")
            )
        }
    }

    /// Parses a period word ([`WORDS`]: 今天, 本周, 上月, today,
    /// last-month, …), `YYYY-MM`, `YYYY-MM-DD` or `FROM..TO`, relative to
    /// `now`; a written date outside [`YEARS`] is `OutOfRange`.
    pub fn parse(raw: &str, tz: Tz, now: i64) -> Result<Period, PeriodError> {
        let raw = raw.trim();
        let unknown = || PeriodError::Unknown(raw.to_string());
        if let Some(word) = PeriodWord::parse(raw) {
            return Ok(word.period(tz, now));
        }
        if let Some((from, to)) = raw.split_once("..") {
            let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").map_err(|_| unknown())?;
            let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").map_err(|_| unknown())?;
            if !date_in_range(from) || !date_in_range(to) {
                return Err(PeriodError::OutOfRange);
            }
            if to < from {
                return Err(PeriodError::Backwards);
            }
            if (to - from).num_days() >= 366 {
                return Err(PeriodError::TooLong);
            }
            let after = to.succ_opt().ok_or_else(unknown)?;
            return Ok(Period::from_dates(PeriodKind::Span, tz, from, after));
        }
        let (kind, date) = if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            (PeriodKind::Day, date)
        } else if let Ok(date) = NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d") {
            (PeriodKind::Month, date)
        } else {
            return Err(unknown());
        };
        if !date_in_range(date) {
            return Err(PeriodError::OutOfRange);
        }
        Ok(Period::of_date(kind, tz, date))
    }
}

/// A period named relative to today: this one or the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodWord {
    pub kind: PeriodKind,
    /// 0 = the one holding today, 1 = the one before.
    pub back: u8,
}

/// The words for periods, as people write them: (word, kind, periods back).
/// English words are taken in any case and with `_` for `-`; nothing else
/// is a word (`lastmonth` run together is refused, not guessed at).
pub const WORDS: &[(&str, PeriodKind, u8)] = &[
    ("今天", PeriodKind::Day, 0),
    ("今日", PeriodKind::Day, 0),
    ("日", PeriodKind::Day, 0),
    ("昨天", PeriodKind::Day, 1),
    ("昨日", PeriodKind::Day, 1),
    ("本周", PeriodKind::Week, 0),
    ("这周", PeriodKind::Week, 0),
    ("周", PeriodKind::Week, 0),
    ("上周", PeriodKind::Week, 1),
    ("本旬", PeriodKind::Xun, 0),
    ("旬", PeriodKind::Xun, 0),
    // Not 上旬: that is the 1st–10th of a month, not the previous 旬.
    ("上一旬", PeriodKind::Xun, 1),
    ("本月", PeriodKind::Month, 0),
    ("这个月", PeriodKind::Month, 0),
    ("月", PeriodKind::Month, 0),
    ("上月", PeriodKind::Month, 1),
    ("上个月", PeriodKind::Month, 1),
    ("today", PeriodKind::Day, 0),
    ("day", PeriodKind::Day, 0),
    ("yesterday", PeriodKind::Day, 1),
    ("week", PeriodKind::Week, 0),
    ("this-week", PeriodKind::Week, 0),
    ("last-week", PeriodKind::Week, 1),
    ("xun", PeriodKind::Xun, 0),
    ("this-xun", PeriodKind::Xun, 0),
    ("last-xun", PeriodKind::Xun, 1),
    ("month", PeriodKind::Month, 0),
    ("this-month", PeriodKind::Month, 0),
    ("last-month", PeriodKind::Month, 1),
];

impl PeriodWord {
    /// One of [`WORDS`]; English ones in any case, `_` taken for `-`.
    pub fn parse(raw: &str) -> Option<PeriodWord> {
        let word = raw.trim().to_ascii_lowercase().replace('_', "-");
        WORDS
            .iter()
            .find(|(w, _, _)| *w == word)
            .map(|&(_, kind, back)| PeriodWord { kind, back })
    }

    /// The period it names at `now`.
    pub fn period(self, tz: Tz, now: i64) -> Period {
        let mut p = Period::containing(self.kind, tz, now);
        for _ in 0..self.back {
            p = p.previous(tz);
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        SH.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn late_evening_on_the_tenth_is_in_the_first_xun() {
        // 23:30 in Shanghai on the 10th is 15:30 UTC: still the 10th locally.
        let t = at(2024, 5, 10, 23, 30);
        let xun = Period::containing(PeriodKind::Xun, SH, t);
        assert_eq!((xun.first, xun.last), (date(2024, 5, 1), date(2024, 5, 10)));
        assert!(xun.contains(t));
        assert!(!xun.contains(at(2024, 5, 11, 0, 0)));
        assert_eq!(xun.end, at(2024, 5, 11, 0, 0));
    }

    #[test]
    fn the_third_xun_runs_to_the_month_end() {
        let feb = Period::of_date(PeriodKind::Xun, SH, date(2024, 2, 29));
        assert_eq!(
            (feb.first, feb.last),
            (date(2024, 2, 21), date(2024, 2, 29))
        );
        let feb23 = Period::of_date(PeriodKind::Xun, SH, date(2023, 2, 21));
        assert_eq!(feb23.last, date(2023, 2, 28));
        let jan = Period::of_date(PeriodKind::Xun, SH, date(2024, 1, 31));
        assert_eq!(
            (jan.first, jan.last),
            (date(2024, 1, 21), date(2024, 1, 31))
        );
        assert_eq!(jan.next(SH).first, date(2024, 2, 1));
        assert_eq!(
            Period::of_date(PeriodKind::Xun, SH, date(2024, 3, 1))
                .previous(SH)
                .first,
            date(2024, 2, 21)
        );
    }

    #[test]
    fn month_ends_and_year_turn() {
        let dec = Period::parse("2023-12", SH, 0).unwrap();
        assert_eq!(
            (dec.first, dec.last),
            (date(2023, 12, 1), date(2023, 12, 31))
        );
        assert_eq!(dec.end, at(2024, 1, 1, 0, 0));
        assert_eq!(dec.next(SH).first, date(2024, 1, 1));
        let mar = Period::parse("2024-03", SH, 0).unwrap();
        assert_eq!(mar.previous(SH).last, date(2024, 2, 29));
    }

    #[test]
    fn words_and_spans() {
        let now = at(2024, 5, 15, 10, 0); // a Wednesday
        let week = Period::parse("week", SH, now).unwrap();
        assert_eq!(
            (week.first, week.last),
            (date(2024, 5, 13), date(2024, 5, 19))
        );
        assert_eq!(
            Period::parse("today", SH, now).unwrap().first,
            date(2024, 5, 15)
        );
        assert_eq!(
            Period::parse("xun", SH, now).unwrap().first,
            date(2024, 5, 11)
        );
        assert_eq!(
            Period::parse("MONTH", SH, now).unwrap().last,
            date(2024, 5, 31)
        );
        let span = Period::parse("2024-05-01..2024-05-07", SH, now).unwrap();
        assert_eq!(span.end - span.start, 7 * 86_400);
        let before = span.previous(SH);
        assert_eq!(
            (before.first, before.last),
            (date(2024, 4, 24), date(2024, 4, 30))
        );
        assert_eq!(
            Period::parse("2024-05-07..2024-05-01", SH, now),
            Err(PeriodError::Backwards)
        );
        assert!(Period::parse("2020-01-01..2024-01-01", SH, now).is_err());
        assert_eq!(
            Period::parse("yesterday", SH, now).unwrap().first,
            date(2024, 5, 14)
        );
        assert!(Period::parse("lastmonth", SH, now).is_err());
        assert!(Period::parse("2024-13", SH, now).is_err());
        assert!(Period::parse("", SH, now).is_err());
    }

    #[test]
    fn period_words_in_both_languages() {
        let now = at(2024, 5, 15, 10, 0); // a Wednesday in the second 旬
        let first = |raw: &str| {
            let p = Period::parse(raw, SH, now).unwrap();
            (p.kind, p.first, p.last)
        };
        use PeriodKind::*;
        for (words, expected) in [
            (
                &["上月", "上个月", "last-month", "Last_Month", "LAST-MONTH"][..],
                (Month, date(2024, 4, 1), date(2024, 4, 30)),
            ),
            (
                &["本月", "month", "this-month"][..],
                (Month, date(2024, 5, 1), date(2024, 5, 31)),
            ),
            (
                &["本旬", "旬", "xun", "this-xun"][..],
                (Xun, date(2024, 5, 11), date(2024, 5, 20)),
            ),
            (
                &["上一旬", "last-xun"][..],
                (Xun, date(2024, 5, 1), date(2024, 5, 10)),
            ),
            (
                &["本周", "week", "this-week"][..],
                (Week, date(2024, 5, 13), date(2024, 5, 19)),
            ),
            (
                &["上周", "last-week"][..],
                (Week, date(2024, 5, 6), date(2024, 5, 12)),
            ),
            (
                &["今天", "today", " Today "][..],
                (Day, date(2024, 5, 15), date(2024, 5, 15)),
            ),
            (
                &["昨天", "yesterday"][..],
                (Day, date(2024, 5, 14), date(2024, 5, 14)),
            ),
        ] {
            for w in words {
                assert_eq!(first(w), expected, "{w}");
            }
        }
        // 上旬 is the 1st–10th of a month, not "the previous 旬": not a word.
        for raw in [
            "lastmonth",
            "last month",
            "上旬",
            "last-year",
            "last-",
            "上",
        ] {
            assert!(
                matches!(Period::parse(raw, SH, now), Err(PeriodError::Unknown(_))),
                "{raw}"
            );
        }
        // January's 上月 is the December before.
        let jan = at(2025, 1, 3, 9, 0);
        let dec = Period::parse("上月", SH, jan).unwrap();
        assert_eq!(
            (dec.first, dec.last),
            (date(2024, 12, 1), date(2024, 12, 31))
        );
    }

    #[test]
    fn extended_years_are_refused() {
        for raw in [
            "+262142-12-31",
            "+262142-12",
            "-262143-01-01",
            "-262143-01",
            "1999-12-31",
            "2101-01",
            "2024-01-01..+262142-12-31",
            "-262143-01-01..2024-01-01",
        ] {
            assert_eq!(
                Period::parse(raw, SH, 0),
                Err(PeriodError::OutOfRange),
                "{raw}"
            );
        }
        let first = Period::parse("2000-01", SH, 0).unwrap();
        assert_eq!(first.previous(SH).first, date(1999, 12, 1));
        let last = Period::parse("2100-12-31", SH, 0).unwrap();
        assert_eq!(last.next(SH).first, date(2101, 1, 1));
    }

    #[test]
    fn utc_and_local_days_differ() {
        // 2024-05-10 20:00 UTC is already the 11th in Shanghai.
        let t = chrono::Utc
            .with_ymd_and_hms(2024, 5, 10, 20, 0, 0)
            .unwrap()
            .timestamp();
        assert_eq!(
            Period::containing(PeriodKind::Day, SH, t).first,
            date(2024, 5, 11)
        );
        assert_eq!(
            Period::containing(PeriodKind::Xun, SH, t).first,
            date(2024, 5, 11)
        );
    }

    fn kind() -> impl Strategy<Value = PeriodKind> {
        prop_oneof![
            Just(PeriodKind::Day),
            Just(PeriodKind::Week),
            Just(PeriodKind::Xun),
            Just(PeriodKind::Month),
        ]
    }

    proptest! {
        /// Consecutive periods meet exactly: no gap, no overlap, and every
        /// instant lies in the period computed for it.
        #[test]
        fn periods_tile(k in kind(), t in 946_684_800i64..4_102_444_800, zone in prop_oneof![Just(SH), Just(chrono_tz::Europe::Berlin), Just(chrono_tz::America::New_York)]) {
            let p = Period::containing(k, zone, t);
            prop_assert!(p.contains(t));
            let next = p.next(zone);
            prop_assert_eq!(next.start, p.end);
            prop_assert_eq!(next.previous(zone), p);
            prop_assert_eq!(p.previous(zone).end, p.start);
            prop_assert!(p.start < p.end);
            prop_assert!(Period::containing(k, zone, p.end - 1) == p);
            prop_assert!(Period::containing(k, zone, p.end) == next);
        }

        #[test]
        fn spans_tile(days in 1i64..60, t in 946_684_800i64..4_102_444_800) {
            let first = local_date(SH, t);
            let last = first + Duration::days(days - 1);
            let raw = format!("{}..{}", first, last);
            let p = Period::parse(&raw, SH, 0).unwrap();
            prop_assert_eq!(p.end - p.start, days * 86_400);
            prop_assert_eq!(p.previous(SH).end, p.start);
            prop_assert_eq!(p.next(SH).start, p.end);
        }

        /// Every word names the period holding now, or the one just
        /// before; the two meet; English words ignore case.
        #[test]
        fn words_name_this_or_the_previous_period(
            i in 0..WORDS.len(),
            t in 946_684_800i64..4_102_444_800,
            zone in prop_oneof![Just(SH), Just(chrono_tz::Europe::Berlin), Just(chrono_tz::America::New_York)],
        ) {
            let (word, kind, back) = WORDS[i];
            let p = Period::parse(word, zone, t).unwrap();
            let this = Period::containing(kind, zone, t);
            prop_assert_eq!(p.kind, kind);
            if back == 0 {
                prop_assert_eq!(p, this);
                prop_assert!(p.contains(t));
            } else {
                prop_assert_eq!(p.next(zone), this);
                prop_assert_eq!(p.end, this.start);
                prop_assert!(!p.contains(t));
            }
            prop_assert_eq!(Period::parse(&word.to_uppercase(), zone, t).unwrap(), p);
        }

        #[test]
        fn parse_never_panics(raw in ".{0,30}") {
            let _ = Period::parse(&raw, SH, 1_700_000_000);
        }

        /// Arbitrary text, and date-shaped text with any year (chrono's
        /// extended years too): a period or a refusal, and a period's
        /// neighbours exist.
        #[test]
        fn parse_is_total(raw in prop_oneof![
            "\\PC{0,40}",
            "[+-]?[0-9]{1,7}-[0-9]{1,2}(-[0-9]{1,2})?",
            "[+-]?[0-9]{1,7}-[0-9]{2}-[0-9]{2}\\.\\.[+-]?[0-9]{1,7}-[0-9]{2}-[0-9]{2}",
        ], now in any::<i64>()) {
            if let Ok(p) = Period::parse(&raw, SH, now) {
                let _ = (p.previous(SH), p.next(SH), p.label());
            }
        }
    }
}
