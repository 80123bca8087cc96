//! Overdue cases climb: once a case has been overdue for longer than one
//! reminder interval, the admins of the nearest node above it (and, for a
//! supervised case, the admins of the supervising node) hear of it — in one
//! daily digest per person listing all their overdue cases, never one
//! message per case.
//!
//! At most one digest per person and local day: the run claims the
//! `(person, day)` row and queues the digest in the same transaction, so a
//! restart, a second run or a second instance finds it claimed and sends
//! nothing.

use super::notify::excerpt;
use super::{category_name, status_name, when_in};
use crate::app::App;
use crate::domain::NodeCode;
use crate::i18n::esc;
use crate::outbox;
use crate::store::cases::{self, Case};
use crate::store::digests;
use crate::store::outbox::Outgoing;
use crate::tr;
use std::collections::{BTreeMap, HashMap};

/// Sends today's digests not sent yet; how many went out.
pub async fn send_due(app: &App, now: i64) -> anyhow::Result<usize> {
    let every = app.settings.cases.remind_every;
    let mut conn = app.store.conn().await?;
    let overdue = cases::overdue_before(&mut conn, now - every).await?;
    let mut admins: HashMap<NodeCode, Vec<i64>> = HashMap::new();
    let mut by_person: BTreeMap<i64, BTreeMap<i64, Case>> = BTreeMap::new();
    for case in overdue {
        let mut readers = Vec::new();
        // The nearest node above with an admin who can be written to.
        let mut above = case.node.parent();
        while let Some(code) = above {
            let found = admins_of(&mut conn, &mut admins, &code).await?;
            if !found.is_empty() {
                readers.extend(found);
                break;
            }
            above = code.parent();
        }
        if let Some(sup) = case.supervisor.as_ref().filter(|_| case.supervised) {
            readers.extend(admins_of(&mut conn, &mut admins, sup).await?);
        }
        for user in readers {
            by_person
                .entry(user)
                .or_default()
                .insert(case.id.0, case.clone());
        }
    }
    drop(conn);
    let day = local_day(app.settings.tz, now);
    let mut sent = 0;
    for (user, list) in by_person {
        let mut tx = app.store.begin().await?;
        if !digests::claim(&mut tx, user, &day, now).await? {
            continue; // had today's already (dropping the transaction rolls it back)
        }
        let list: Vec<Case> = list.into_values().collect();
        let text = render(app, &day, &list);
        outbox::queue(&mut tx, &[Outgoing::text(user, text)], now).await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

async fn admins_of(
    conn: &mut crate::store::Conn,
    cache: &mut HashMap<NodeCode, Vec<i64>>,
    code: &NodeCode,
) -> anyhow::Result<Vec<i64>> {
    if let Some(found) = cache.get(code) {
        return Ok(found.clone());
    }
    let found = digests::reachable_admins(conn, code).await?;
    cache.insert(code.clone(), found.clone());
    Ok(found)
}

/// The district's calendar day, `2026-11-29`.
fn local_day(tz: chrono_tz::Tz, now: i64) -> String {
    chrono::DateTime::from_timestamp(now, 0)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn render(app: &App, day: &str, list: &[Case]) -> String {
    let l = app.settings.locale;
    let n = list.len();
    let mut t = if l.is_en() {
        let cases = if n == 1 { "case is" } else { "cases are" };
        format!("⏰ <b>Overdue cases</b> ({day}): {n} {cases} past the deadline in your area.")
    } else {
        format!("⏰ <b>超期事项日报</b>（{day}）：您辖区有 {n} 件事项超期未办结。")
    };
    for c in list {
        let due = c
            .deadline_at
            .map(|d| when_in(app.settings.tz, d))
            .unwrap_or_default();
        let sup = if c.supervised { " 🔴" } else { "" };
        t.push_str(&tr!(
            l,
            "\n<b>{}</b> {} · {} · {} · 期限 {due}{sup}\n   {}",
            "\n<b>{}</b> {} · {} · {} · due {due}{sup}\n   {}",
            c.id,
            category_name(l, c.category),
            status_name(l, c.status),
            c.node,
            esc(&excerpt(&c.text, 40))
        ));
    }
    t.push_str(&tr!(
        l,
        "\n\n发送 /case 编号 查看，/cases overdue 查看全部超期事项。",
        "\n\nSend /case &lt;id&gt; to see one, /cases overdue for all overdue cases."
    ));
    t
}
