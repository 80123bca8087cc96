//! Benchmark: `/stats month` for the whole district over a year of synthetic
//! data (36,000 cases, ~200,000 events, one alert a day), computed from the
//! in-memory source — the figures and the rendered text, not SQL loading
//! (that is measured once the store's `StatsSource` exists).
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
    Ok(())
}
