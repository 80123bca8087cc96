//! Recurring alerts: `/schedule <when> <alert>`, fired once per occurrence.
//!
//! `<when>` is a preset (`daily 09:00`, `weekly mon 09:00`, `monthly 1 09:00`)
//! or a cron expression of 5 fields (minute first) or 6 (seconds first, as
//! the `cron` crate wants), read in the district's time zone. The job claims
//! each occurrence with [`claim_slot`] in the transaction that queues the
//! alert, so a restart or a second instance never fires it twice.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use cron::Schedule;

use super::broadcast;
use crate::app::App;
use crate::domain::alert::Draft;
use crate::domain::{Action, Actor};
use crate::outbox;
use crate::scheduler::{Job, JobFuture, claim_slot};
use crate::store::outbox::Outgoing;
use crate::store::{Conn, alerts as store, people, schedules};
use crate::tr;

/// Splits `<when> <rest>` into a 6-field cron expression and the rest.
pub fn parse_when(args: &str) -> Option<(String, String)> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let rest = |n: usize| words.get(n..).map(|w| w.join(" ")).unwrap_or_default();
    let hm = |s: &str| -> Option<(u32, u32)> {
        let (h, m) = s.split_once(':')?;
        let (h, m) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some((h, m))
    };
    let preset = match words.first().map(|w| w.to_lowercase()) {
        Some(w) if w == "daily" || w == "每天" => {
            hm(words.get(1)?).map(|(h, m)| (format!("0 {m} {h} * * *"), rest(2)))
        }
        Some(w) if w == "weekly" || w == "每周" => {
            let day = words.get(1)?.to_lowercase();
            let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            let day = days.iter().find(|d| day.starts_with(*d))?;
            hm(words.get(2)?).map(|(h, m)| (format!("0 {m} {h} * * {day}"), rest(3)))
        }
        Some(w) if w == "monthly" || w == "每月" => {
            let d: u32 = words
                .get(1)?
                .parse()
                .ok()
                .filter(|d| (1..=31).contains(d))?;
            hm(words.get(2)?).map(|(h, m)| (format!("0 {m} {h} {d} * *"), rest(3)))
        }
        _ => None,
    };
    if preset.is_some() {
        return preset;
    }
    for n in [6, 5] {
        if words.len() < n {
            continue;
        }
        let expr = words[..n].join(" ");
        let expr = if n == 5 { format!("0 {expr}") } else { expr };
        if Schedule::from_str(&expr).is_ok() {
            return Some((expr, rest(n)));
        }
    }
    None
}

/// The latest occurrence in `(after, now]`, in Unix seconds.
pub fn latest_due(expr: &str, tz: chrono_tz::Tz, after: i64, now: i64) -> Option<i64> {
    let schedule = Schedule::from_str(expr).ok()?;
    let start = tz.from_utc_datetime(&Utc.timestamp_opt(after, 0).single()?.naive_utc());
    schedule
        .after(&start)
        .map(|t| t.timestamp())
        .take_while(|t| *t <= now)
        .last()
}

pub struct ScheduleJob;

impl Job for ScheduleJob {
    fn name(&self) -> &'static str {
        "alert_schedules"
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(fire_due(app, now))
    }
}

async fn fire_due(app: &App, now: i64) -> anyhow::Result<()> {
    let due = {
        let mut conn = app.store.conn().await?;
        schedules::active(&mut conn).await?
    };
    for s in due {
        let after = s.created_at.max(now - 40 * 86_400);
        let Some(slot) = latest_due(&s.cron, app.settings.tz, after, now) else {
            continue;
        };
        let mut tx = app.store.begin().await?;
        if claim_slot(&mut tx, &format!("alert_schedule:{}", s.id), slot, now).await? {
            fire(app, &mut tx, &s, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn fire(app: &App, conn: &mut Conn, s: &schedules::Schedule, now: i64) -> anyhow::Result<()> {
    let actor = Actor {
        user_id: s.creator,
        superadmin: app.settings.superadmins.contains(&s.creator),
        grants: people::grants_of(conn, s.creator).await?,
    };
    let (Ok(()), Ok(draft)) = (actor.may(Action::Operate(&s.node)), Draft::parse(&s.args)) else {
        tracing::warn!(
            schedule = s.id,
            "recurring alert skipped: creator lost the right or text invalid"
        );
        return Ok(());
    };
    let l = app.settings.locale;
    let id =
        store::insert_draft(conn, &s.node, s.chat_id, s.creator, &draft, Some(s.id), now).await?;
    let card = Outgoing::text(
        s.chat_id,
        tr!(
            l,
            "🔁 定时平安提示 A{id} 开始发送…",
            "🔁 Recurring safety alert A{id}: sending…"
        ),
    );
    let card_id = outbox::queue(conn, &[card], now).await?[0];
    broadcast::send(conn, l, app.settings.tz, id, Some(card_id), now).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_cron_forms() {
        assert_eq!(
            parse_when("daily 09:00 严重 暴雨"),
            Some(("0 0 9 * * *".into(), "严重 暴雨".into()))
        );
        assert_eq!(
            parse_when("weekly mon 08:30 x").unwrap().0,
            "0 30 8 * * mon"
        );
        assert_eq!(parse_when("monthly 1 09:00 x").unwrap().0, "0 0 9 1 * *");
        assert_eq!(
            parse_when("30 9 * * * 提示").unwrap(),
            ("0 30 9 * * *".into(), "提示".into())
        );
        assert_eq!(parse_when("0 30 9 * * * 提示").unwrap().0, "0 30 9 * * *");
        assert_eq!(parse_when("daily 25:00 x"), None);
        assert_eq!(parse_when("sometimes x"), None);
    }

    #[test]
    fn latest_due_in_the_time_zone() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-11-27 09:00 Shanghai = 01:00 UTC
        let nine = 1_795_741_200;
        assert_eq!(
            latest_due("0 0 9 * * *", tz, nine - 60, nine + 60),
            Some(nine)
        );
        assert_eq!(latest_due("0 0 9 * * *", tz, nine, nine + 60), None);
        assert_eq!(
            latest_due("0 0 9 * * *", tz, nine - 60, nine + 2 * 86_400),
            Some(nine + 2 * 86_400)
        );
    }
}
