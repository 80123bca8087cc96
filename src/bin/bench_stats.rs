//! Benchmark: `/stats month` for the whole district over a year of synthetic
//! data (36,000 cases, ~200,000 events, one alert a day): first from memory
//! (figures and rendered text alone), then from the database as the bot
//! reads it — the same cases and events written to a SQLite file and, when
//! reachable, to a fresh PostgreSQL database (`PINGAN_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`). The database runs leave the
//! alerts out (one a day is too few to matter).
//!
//! Run: `cargo run --release --bin bench_stats` (target: under 200 ms a report).

use std::time::Instant;

use chrono::TimeZone;
use pingan::domain::NodeCode;
use pingan::domain::period::{Period, PeriodKind};
use pingan::i18n::Locale;
use pingan::stats::{fixture, gather, render};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let tz = chrono_tz::Asia::Shanghai;
    let start = tz
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let built = Instant::now();
    let records = fixture::year(start, 366, 36_000, 6, 7);
    let (_, names) = fixture::district();
    println!(
        "data: {} cases, {} events, {} alerts (built in {:?})",
        records.cases.len(),
        records.events.len(),
        records.alerts.len(),
        built.elapsed()
    );
    let root = NodeCode::parse("xq")?;
    let now = start + 366 * 86_400;
    let mut times = Vec::new();
    let mut len = 0;
    for month in 0..12 {
        let at = start + month * 30 * 86_400 + 86_400;
        let period = Period::containing(PeriodKind::Month, tz, at);
        let t = Instant::now();
        let report = gather(&records, &root, period, tz, now).await?;
        let text = render::stats_text(Locale::Zh, &report.figures, &report.previous, &names);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        len += text.len();
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "/stats month, whole district: mean {mean:.1} ms, median {:.1} ms, max {:.1} ms over {} reports ({} bytes of text)",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len(),
        len
    );
    println!(
        "target: < 200 ms per report — {}",
        if times[times.len() - 1] < 200.0 {
            "met"
        } else {
            "NOT met"
        }
    );

    let dir = std::env::temp_dir().join(format!("pingan-bench-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}/stats.db", dir.display());
    let mut backends = vec![("SQLite", sqlite)];
    if let Some(pg) = sql::fresh_postgres().await {
        backends.push(("PostgreSQL", pg));
    } else {
        println!("PostgreSQL unreachable: skipped");
    }
    for (label, url) in backends {
        let store = pingan::store::Store::open(&url).await?;
        let t = Instant::now();
        sql::load(&store, &records, &names).await?;
        println!("{label}: wrote the year in {:.1?}", t.elapsed());
        let source = pingan::store::stats::StoreStats(store.clone());
        let mut times = Vec::new();
        for month in 0..12 {
            let at = start + month * 30 * 86_400 + 86_400;
            let period = Period::containing(PeriodKind::Month, tz, at);
            let t = Instant::now();
            let report = gather(&source, &root, period, tz, now).await?;
            let text = render::stats_text(Locale::Zh, &report.figures, &report.previous, &names);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!text.is_empty());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        println!(
            "{label}: /stats month, whole district: mean {mean:.1} ms, median {:.1} ms, max {:.1} ms — {}",
            times[times.len() / 2],
            times[times.len() - 1],
            if times[times.len() - 1] < 200.0 {
                "met"
            } else {
                "NOT met"
            }
        );
        store.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Writing the synthetic year into the real tables.
mod sql {
    use pingan::domain::stats::Reporter;
    use pingan::stats::Records;
    use pingan::stats::render::Names;
    use pingan::store::{Store, nodes};
    use sqlx::Connection;

    pub async fn fresh_postgres() -> Option<String> {
        let admin = std::env::var("PINGAN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
        let name = format!("pingan_bench_{}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await
            .ok()?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .ok()?;
        let mut url = url::Url::parse(&admin).ok()?;
        url.set_path(&name);
        Some(url.to_string())
    }

    /// Rows per INSERT statement.
    const BATCH: usize = 400;

    pub async fn load(store: &Store, records: &Records, names: &Names) -> anyhow::Result<()> {
        let mut tx = store.begin().await?;
        for (code, name) in names {
            nodes::upsert(&mut tx, code, name, 0).await?;
        }
        for chunk in records.cases.chunks(BATCH) {
            const COLS: usize = 17;
            let values: Vec<String> = (0..chunk.len())
                // followup_asks and updated_at are constants
                .map(|r| {
                    format!(
                        "({}, 0, 0)",
                        (1..=COLS)
                            .map(|c| format!("${}", r * COLS + c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO cases (id, grid_code, node_code, category, tier, status, reporter_id, anonymous, text, \
                 origin_chat_id, handler_id, opened_at, deadline_at, supervised, resolved_at, failed_at, rating, \
                 followup_asks, updated_at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                let (reporter, anonymous) = match &c.reporter {
                    Reporter::Anonymous => (0, 1),
                    Reporter::Known { id, .. } => (*id, 0),
                };
                q = q
                    .bind(c.id)
                    .bind(c.grid_code.to_string())
                    .bind(c.node_code.to_string())
                    .bind(c.category.key())
                    .bind(c.tier.key())
                    .bind(c.status.key())
                    .bind(reporter)
                    .bind(anonymous as i64)
                    .bind(c.summary.clone())
                    .bind(-1_000_000_001_i64)
                    .bind(c.handler.as_ref().map(|h| h.0))
                    .bind(c.opened_at)
                    .bind(c.deadline_at)
                    .bind(c.supervised as i64)
                    .bind(c.resolved_at)
                    .bind(c.failed_at)
                    .bind(c.rating.map(|r| r.key()));
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in records.events.chunks(BATCH) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        r * 5 + 1,
                        r * 5 + 2,
                        r * 5 + 3,
                        r * 5 + 4,
                        r * 5 + 5
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO case_events (case_id, actor_id, kind, note, at) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.case_id)
                    .bind(match &e.actor {
                        pingan::domain::stats::EventActor::Person { id, .. } => Some(*id),
                        _ => None,
                    })
                    .bind(e.action.clone())
                    .bind(e.note.clone())
                    .bind(e.at);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
