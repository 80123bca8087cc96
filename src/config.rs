//! Configuration from the environment (and `.env`, loaded by the binary).
//!
//! Every variable is read and validated once, here; a bad value stops start-up
//! with one line that names the variable.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use url::Url;

use crate::i18n::Locale;
use crate::scheduler::schedule::CronSchedule;

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

/// What the bot needs to talk to the Bot API.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub token: String,
    /// `None` means Telegram's own server.
    pub api_url: Option<Url>,
}

/// Everything but the Bot API credentials.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub superadmins: BTreeSet<i64>,
    pub locale: Locale,
    pub tz: Tz,
    /// The dispatcher's sending limits (and its test-only stop knob).
    pub send_limits: crate::outbox::Limits,
    /// Unacknowledged severe/extreme alert copies are reminded after this
    /// many seconds (`PINGAN_ALERT_REMIND_MIN`, minutes)…
    pub alert_remind_after: i64,
    /// …and escalated to the B post and the parent group this long after the
    /// reminder (`PINGAN_ALERT_ESCALATE_MIN`, minutes).
    pub alert_escalate_after: i64,
    pub cases: crate::cases::CaseSettings,
    /// When the scheduled reports go out (district time).
    pub reports: ReportSchedules,
    /// A report slot missed by more than this (seconds) is skipped, not sent late.
    pub report_catch_up_secs: i64,
    /// Whether community groups also get the scheduled reports.
    pub report_communities: bool,
    /// The `instance` label on every metric (`PINGAN_INSTANCE`, else the host name).
    pub instance: String,
}

/// The four scheduled reports' cron schedules (日报、周排、旬判、月结).
#[derive(Debug, Clone)]
pub struct ReportSchedules {
    pub daily: CronSchedule,
    pub weekly: CronSchedule,
    pub xun: CronSchedule,
    pub monthly: CronSchedule,
}

/// Defaults: daily 18:00, Monday 09:00, 09:00 on the 1st/11th/21st, 09:00 on the 1st.
pub const DEFAULT_REPORT_DAILY: &str = "0 0 18 * * *";
pub const DEFAULT_REPORT_WEEKLY: &str = "0 0 9 * * Mon";
pub const DEFAULT_REPORT_XUN: &str = "0 0 9 1,11,21 * *";
pub const DEFAULT_REPORT_MONTHLY: &str = "0 0 9 1 * *";

impl Default for ReportSchedules {
    fn default() -> Self {
        let p = |raw: &str| CronSchedule::parse(raw).expect("default schedules parse");
        ReportSchedules {
            daily: p(DEFAULT_REPORT_DAILY),
            weekly: p(DEFAULT_REPORT_WEEKLY),
            xun: p(DEFAULT_REPORT_XUN),
            monthly: p(DEFAULT_REPORT_MONTHLY),
        }
    }
}

impl ReportSchedules {
    /// `PINGAN_REPORT_DAILY` / `_WEEKLY` / `_XUN` / `_MONTHLY`, read by the
    /// same parser as `/schedule` (presets, 5 or 6 fields, at least 15
    /// minutes apart); unset ones keep their defaults.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<ReportSchedules, ConfigError> {
        let mut r = ReportSchedules::default();
        for (name, slot) in [
            ("PINGAN_REPORT_DAILY", &mut r.daily),
            ("PINGAN_REPORT_WEEKLY", &mut r.weekly),
            ("PINGAN_REPORT_XUN", &mut r.xun),
            ("PINGAN_REPORT_MONTHLY", &mut r.monthly),
        ] {
            if let Some(raw) = get(name) {
                *slot =
                    CronSchedule::parse(&raw).map_err(|e| bad(name, format!("`{raw}`: {e}")))?;
            }
        }
        Ok(r)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://pingan.db".into(),
            superadmins: BTreeSet::new(),
            locale: Locale::Zh,
            tz: chrono_tz::Asia::Shanghai,
            send_limits: crate::outbox::Limits::default(),
            alert_remind_after: 30 * 60,
            alert_escalate_after: 30 * 60,
            cases: crate::cases::CaseSettings::default(),
            reports: ReportSchedules::default(),
            report_catch_up_secs: 12 * 3600,
            report_communities: false,
            instance: host_name(),
        }
    }
}

/// This machine's name, for the `instance` label when `PINGAN_INSTANCE` is unset.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "pingan".into())
}

/// Reads an optional variable; an empty value counts as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        let mut s = Settings::default();
        if let Some(url) = var("DATABASE_URL") {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(bad(
                    "DATABASE_URL",
                    "must start with sqlite: or postgres://",
                ));
            }
            s.database_url = url;
        }
        if let Some(list) = var("PINGAN_SUPERADMINS") {
            s.superadmins = parse_user_ids(&list).map_err(|p| bad("PINGAN_SUPERADMINS", p))?;
        }
        if let Some(loc) = var("PINGAN_LOCALE") {
            s.locale = Locale::parse(&loc)
                .ok_or_else(|| bad("PINGAN_LOCALE", format!("`{loc}` is not zh or en")))?;
        }
        if let Some(tz) = var("PINGAN_TZ") {
            s.tz = tz.parse().map_err(|_| {
                bad(
                    "PINGAN_TZ",
                    format!("`{tz}` is not an IANA time zone such as Asia/Shanghai"),
                )
            })?;
        }
        for (name, field) in [
            ("PINGAN_ALERT_REMIND_MIN", &mut s.alert_remind_after),
            ("PINGAN_ALERT_ESCALATE_MIN", &mut s.alert_escalate_after),
        ] {
            if let Some(raw) = var(name) {
                let min: i64 = raw
                    .parse()
                    .ok()
                    .filter(|m| (1..=10_080).contains(m))
                    .ok_or_else(|| bad(name, format!("`{raw}` is not 1–10080 minutes")))?;
                *field = min * 60;
            }
        }
        s.cases = crate::cases::CaseSettings::from_env(var)?;
        s.reports = ReportSchedules::from_env(var)?;
        if let Some(raw) = var("PINGAN_REPORT_CATCH_UP_HOURS") {
            s.report_catch_up_secs = match raw.parse::<i64>() {
                Ok(h) if (0..=24 * 31).contains(&h) => h * 3600,
                _ => {
                    return Err(bad(
                        "PINGAN_REPORT_CATCH_UP_HOURS",
                        format!("`{raw}` is not a number of hours (0–744)"),
                    ));
                }
            };
        }
        if let Some(raw) = var("PINGAN_REPORT_COMMUNITIES") {
            s.report_communities = match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(bad(
                        "PINGAN_REPORT_COMMUNITIES",
                        format!("`{raw}` is not true or false"),
                    ));
                }
            };
        }
        if let Some(name) = var("PINGAN_INSTANCE") {
            s.instance = name;
        }
        Ok(s)
    }
}

impl BotConfig {
    pub fn from_env() -> Result<BotConfig, ConfigError> {
        let token = var("TELOXIDE_TOKEN").ok_or_else(|| {
            bad(
                "TELOXIDE_TOKEN",
                "not set (the bot token from @BotFather; or try `pingan sandbox` without one)",
            )
        })?;
        if token.contains(char::is_whitespace) || !token.contains(':') {
            return Err(bad(
                "TELOXIDE_TOKEN",
                "does not look like a bot token (digits:letters)",
            ));
        }
        let api_url = match var("TELOXIDE_API_URL") {
            None => None,
            Some(raw) => {
                let url = Url::parse(raw.trim_end_matches('/'))
                    .map_err(|e| bad("TELOXIDE_API_URL", format!("`{raw}` is not a URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
                    return Err(bad(
                        "TELOXIDE_API_URL",
                        format!("`{raw}` must be an http(s) URL"),
                    ));
                }
                Some(url)
            }
        };
        Ok(BotConfig { token, api_url })
    }
}

/// Parses `123, 456` into user ids.
pub fn parse_user_ids(list: &str) -> Result<BTreeSet<i64>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<i64>() {
            Ok(id) if id > 0 => Ok(id),
            _ => Err(format!("`{s}` is not a Telegram user id")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_schedules_from_the_environment() {
        let r = ReportSchedules::from_env(|k| {
            (k == "PINGAN_REPORT_WEEKLY").then(|| "0 9 * * 1".to_string())
        })
        .unwrap();
        assert_eq!(r.weekly.expr, "0 0 9 * * Mon");
        assert_eq!(r.daily.raw, DEFAULT_REPORT_DAILY);
        for (raw, word) in [("*/5 * * * *", "15 minutes"), ("0 9 * * 8", "weekday")] {
            let e = ReportSchedules::from_env(|k| {
                (k == "PINGAN_REPORT_DAILY").then(|| raw.to_string())
            })
            .unwrap_err();
            assert_eq!(e.var, "PINGAN_REPORT_DAILY");
            assert!(e.problem.contains(word), "{e}");
        }
    }

    #[test]
    fn user_id_lists() {
        assert_eq!(parse_user_ids("1, 2,3,").unwrap().len(), 3);
        assert!(parse_user_ids("1,abc").unwrap_err().contains("abc"));
        assert!(parse_user_ids("-5").is_err());
    }
}
