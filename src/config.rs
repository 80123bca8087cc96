//! Configuration from the environment (and `.env`, loaded by the binary).
//!
//! Every variable is read and validated once, here; a bad value stops start-up
//! with one line that names the variable.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use url::Url;

use crate::i18n::Locale;

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
        }
    }
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
    fn user_id_lists() {
        assert_eq!(parse_user_ids("1, 2,3,").unwrap().len(), 3);
        assert!(parse_user_ids("1,abc").unwrap_err().contains("abc"));
        assert!(parse_user_ids("-5").is_err());
    }
}
