//! How the case workflow is tuned: deadlines by tier, when the follow-up
//! visit (回访) is asked, how often reminders go out, and the per-person
//! reporting limit. Read from the environment with the rest of the settings.

use crate::config::ConfigError;
use crate::domain::case::{Tier, parse_duration};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSettings {
    /// Seconds to handle a case, by tier.
    pub deadline_everyday: i64,
    pub deadline_specialised: i64,
    pub deadline_major: i64,
    /// The follow-up question is asked this long after `resolved`…
    pub followup_after: i64,
    /// …and once more this long after that, if unanswered.
    pub followup_again: i64,
    /// Overdue and supervised cases are reminded at most this often.
    pub remind_every: i64,
    /// At most `report_limit` reports per person within `report_window` seconds.
    pub report_limit: i64,
    pub report_window: i64,
}

impl Default for CaseSettings {
    fn default() -> Self {
        CaseSettings {
            deadline_everyday: 3 * 86_400,
            deadline_specialised: 7 * 86_400,
            deadline_major: 15 * 86_400,
            followup_after: 86_400,
            followup_again: 86_400,
            remind_every: 86_400,
            report_limit: 5,
            report_window: 600,
        }
    }
}

impl CaseSettings {
    pub fn deadline(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Everyday => self.deadline_everyday,
            Tier::Specialised => self.deadline_specialised,
            Tier::Major => self.deadline_major,
        }
    }

    /// `PINGAN_CASE_DEADLINES=3d,7d,15d`, `PINGAN_FOLLOWUP_AFTER=24h`,
    /// `PINGAN_CASE_REMIND_EVERY=24h`, `PINGAN_REPORT_LIMIT=5/10m`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<CaseSettings, ConfigError> {
        let mut s = CaseSettings::default();
        let dur = |var: &'static str, raw: &str| {
            parse_duration(raw).ok_or_else(|| ConfigError {
                var,
                problem: format!("`{raw}` is not a duration such as 30m, 24h or 3d"),
            })
        };
        if let Some(raw) = get("PINGAN_CASE_DEADLINES") {
            let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
            let [a, b, c] = parts[..] else {
                return Err(ConfigError {
                    var: "PINGAN_CASE_DEADLINES",
                    problem: "three durations: everyday,specialised,major (e.g. 3d,7d,15d)".into(),
                });
            };
            s.deadline_everyday = dur("PINGAN_CASE_DEADLINES", a)?;
            s.deadline_specialised = dur("PINGAN_CASE_DEADLINES", b)?;
            s.deadline_major = dur("PINGAN_CASE_DEADLINES", c)?;
        }
        if let Some(raw) = get("PINGAN_FOLLOWUP_AFTER") {
            s.followup_after = dur("PINGAN_FOLLOWUP_AFTER", &raw)?;
            s.followup_again = s.followup_after;
        }
        if let Some(raw) = get("PINGAN_CASE_REMIND_EVERY") {
            s.remind_every = dur("PINGAN_CASE_REMIND_EVERY", &raw)?;
        }
        if let Some(raw) = get("PINGAN_REPORT_LIMIT") {
            let bad = || ConfigError {
                var: "PINGAN_REPORT_LIMIT",
                problem: format!("`{raw}` is not a limit such as 5/10m"),
            };
            let (n, window) = raw.split_once('/').ok_or_else(bad)?;
            s.report_limit = n.trim().parse().ok().filter(|n| *n > 0).ok_or_else(bad)?;
            s.report_window = parse_duration(window).ok_or_else(bad)?;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_environment() {
        let env = |k: &str| match k {
            "PINGAN_CASE_DEADLINES" => Some("1d, 2d,3d".to_string()),
            "PINGAN_FOLLOWUP_AFTER" => Some("2h".to_string()),
            "PINGAN_REPORT_LIMIT" => Some("3/1h".to_string()),
            _ => None,
        };
        let s = CaseSettings::from_env(env).unwrap();
        assert_eq!(s.deadline(Tier::Specialised), 2 * 86_400);
        assert_eq!(s.followup_after, 7200);
        assert_eq!((s.report_limit, s.report_window), (3, 3600));
        let bad =
            CaseSettings::from_env(|k| (k == "PINGAN_REPORT_LIMIT").then(|| "lots".to_string()))
                .unwrap_err();
        assert_eq!(bad.var, "PINGAN_REPORT_LIMIT");
        assert!(CaseSettings::from_env(|_| None).is_ok());
    }
}
