//! Health and metrics over HTTP (`--metrics ADDR`, off by default):
//! `/healthz` says whether the database answers and the dispatcher is alive,
//! `/metrics` speaks Prometheus' text format (through `prometheus-client`):
//! counters of updates and sends, the outbox's depth and oldest row (overall
//! and per lane), send latency per lane, open and overdue cases; every
//! sample carries `instance` (`PINGAN_INSTANCE`, else the host name).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::{EncodeLabelSet, prometheus_text};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::{Registry, Unit};
use sqlx::Row;

use crate::app::App;
use crate::outbox::latency::{LaneLabel, SendLatency};
use crate::outbox::wall_ms;
use crate::store::outbox::{self, Lane};

/// Counters kept by the update loop (the dispatcher keeps its own).
#[derive(Debug, Default)]
pub struct Metrics {
    pub updates: AtomicU64,
}

/// The dispatcher wakes at least every 30 s; twice that without a pass means it is stuck or gone.
const DISPATCHER_SILENCE_MS: i64 = 65_000;

pub fn router(app: App) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(app)
}

pub async fn serve(
    app: App,
    addr: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    let socket = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("--metrics: cannot listen on {addr}: {e}"))?;
    let bound = socket.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(socket, router(app))
            .with_graceful_shutdown(shutdown)
            .await;
    });
    tracing::info!(%bound, "serving /healthz and /metrics");
    Ok(bound)
}

async fn healthz(State(app): State<App>) -> impl IntoResponse {
    let db = match app.store.conn().await {
        Ok(mut c) => sqlx::query("SELECT 1 AS one")
            .fetch_one(&mut *c)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let now = wall_ms();
    let last = app.dispatch_stats.last_pass_ms.load(Ordering::Relaxed);
    // A standby does not dispatch (see `crate::role`).
    let dispatcher = !app.liveness.is_active() || (last > 0 && now - last < DISPATCHER_SILENCE_MS);
    // Each loop's task is alive, and the intake polled lately (see `Liveness`).
    let mut checks = vec![("database", db), ("dispatcher", dispatcher)];
    for (name, ok) in app.liveness.check(now) {
        match checks.iter_mut().find(|(n, _)| *n == name) {
            Some(check) => check.1 &= ok,
            None => checks.push((name, ok)),
        }
    }
    let status = if checks.iter().all(|(_, ok)| *ok) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut body = format!("role {}\n", app.liveness.role().name());
    for (name, ok) in checks {
        let _ = writeln!(body, "{name} {}", if ok { "ok" } else { "down" });
    }
    (status, body)
}

async fn metrics(State(app): State<App>) -> impl IntoResponse {
    match render(&app).await {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "metrics failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// What one scrape shows, read from the counters and the database.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub updates: u64,
    pub sent: u64,
    pub too_many_requests: u64,
    /// Failed sends by kind (`transient`, `rejected`, `gone`).
    pub send_errors: [(&'static str, u64); 3],
    pub pending: i64,
    /// Age of the oldest pending row by the domain clock (seconds).
    pub oldest_pending_secs: i64,
    /// Per lane: pending rows and the real age (seconds) of the oldest.
    pub lanes: Vec<(Lane, i64, f64)>,
    pub cases_open: i64,
    pub cases_overdue: i64,
}

pub async fn render(app: &App) -> anyhow::Result<String> {
    let snapshot = load(app).await?;
    Ok(encode(
        &snapshot,
        &app.dispatch_stats.send_latency,
        &app.settings.instance,
    )?)
}

async fn load(app: &App) -> anyhow::Result<Snapshot> {
    let d = &app.dispatch_stats;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let mut conn = app.store.conn().await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'",
    )
    .fetch_one(&mut *conn)
    .await
    .context("counting the outbox")?;
    let pending: i64 = row.try_get("n")?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    let now_ms = wall_ms();
    let depths = outbox::lane_depths(&mut conn)
        .await
        .context("counting the outbox lanes")?;
    let lanes = Lane::ALL
        .into_iter()
        .map(|lane| match depths.iter().find(|(l, _, _)| *l == lane) {
            // Rows queued before lanes existed carry no queueing time.
            Some(&(_, n, oldest)) if oldest > 0 => {
                (lane, n, (now_ms - oldest).max(0) as f64 / 1000.0)
            }
            Some(&(_, n, _)) => (lane, n, 0.0),
            None => (lane, 0, 0.0),
        })
        .collect();
    let row = sqlx::query(
        "SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN deadline_at < $1 THEN 1 ELSE 0 END), 0) AS overdue \
         FROM cases WHERE status IN ('new', 'accepted', 'in_progress', 'escalated', 'reopened')",
    )
    .bind(app.clock.now())
    .fetch_one(&mut *conn)
    .await
    .context("counting open cases")?;
    Ok(Snapshot {
        updates: load(&app.metrics.updates),
        sent: load(&d.sent),
        too_many_requests: load(&d.too_many_requests),
        send_errors: [
            ("transient", load(&d.transient_errors)),
            ("rejected", load(&d.rejected)),
            ("gone", load(&d.gone)),
        ],
        pending,
        oldest_pending_secs: oldest.map(|t| (app.clock.now() - t).max(0)).unwrap_or(0),
        lanes,
        cases_open: row.try_get("open")?,
        cases_overdue: row.try_get("overdue")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// The snapshot and the latency histograms in Prometheus' text format
/// (0.0.4), every sample labelled with `instance`. A registry per scrape:
/// the values are read fresh each time, only the histograms live on.
pub fn encode(
    snapshot: &Snapshot,
    latency: &SendLatency,
    instance: &str,
) -> Result<String, std::fmt::Error> {
    let s = snapshot;
    let mut registry = Registry::with_labels(std::iter::once((
        Cow::Borrowed("instance"),
        Cow::Owned(instance.to_string()),
    )));
    // Counters get their `_total` when encoded.
    let counter = |v: u64| ConstCounter::new(v);
    registry.register(
        "pingan_updates_handled",
        "Telegram updates taken",
        counter(s.updates),
    );
    registry.register(
        "pingan_messages_sent",
        "Messages sent or edited",
        counter(s.sent),
    );
    registry.register(
        "pingan_too_many_requests",
        "429 answers from the Bot API",
        counter(s.too_many_requests),
    );
    let errors = Family::<KindLabel, Counter>::default();
    for (kind, n) in s.send_errors {
        errors.get_or_create(&KindLabel { kind }).inc_by(n);
    }
    registry.register("pingan_send_errors", "Failed sends by kind", errors);
    registry.register(
        "pingan_outbox_pending",
        "Messages queued and not yet sent",
        ConstGauge::new(s.pending),
    );
    registry.register_with_unit(
        "pingan_outbox_oldest_pending",
        "Age of the oldest queued message",
        Unit::Seconds,
        ConstGauge::new(s.oldest_pending_secs),
    );
    let depth = Family::<LaneLabel, Gauge>::default();
    let oldest = Family::<LaneLabel, Gauge<f64, AtomicU64>>::default();
    for &(lane, n, age) in &s.lanes {
        depth.get_or_create(&lane.into()).set(n);
        oldest.get_or_create(&lane.into()).set(age);
    }
    registry.register(
        "pingan_outbox_lane_depth",
        "Messages queued and not yet sent, by lane",
        depth,
    );
    registry.register_with_unit(
        "pingan_outbox_lane_oldest",
        "Real time the oldest queued message of each lane has waited",
        Unit::Seconds,
        oldest,
    );
    registry.register_with_unit(
        "pingan_outbox_send_latency",
        "Real time from queueing to a recorded send, by lane",
        Unit::Seconds,
        latency.family(),
    );
    registry.register(
        "pingan_cases_open",
        "Cases not yet resolved, failed or closed",
        ConstGauge::new(s.cases_open),
    );
    registry.register(
        "pingan_cases_overdue",
        "Open cases past their deadline",
        ConstGauge::new(s.cases_overdue),
    );
    let mut out = String::new();
    prometheus_text::encode(&mut out, &registry)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrape(text: &str) -> prometheus_parse::Scrape {
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("Prometheus text format")
    }

    #[test]
    fn every_lane_shows_with_the_instance_label() {
        let latency = SendLatency::default();
        latency.observe(Lane::Alert, 1_000, 3_500);
        latency.observe(Lane::Alert, 0, 3_500); // no queueing time: not counted
        let snapshot = Snapshot {
            sent: 7,
            send_errors: [("transient", 0), ("rejected", 1), ("gone", 2)],
            lanes: Lane::ALL
                .into_iter()
                .map(|l| (l, if l == Lane::Bulk { 3 } else { 0 }, 0.0))
                .collect(),
            ..Snapshot::default()
        };
        let text = encode(&snapshot, &latency, "node-1").unwrap();
        let s = scrape(&text);
        assert!(
            s.samples
                .iter()
                .all(|x| x.labels.get("instance") == Some("node-1")),
            "{text}"
        );
        let value = |name: &str, key: &str, val: &str| {
            s.samples
                .iter()
                .find(|x| x.metric == name && x.labels.get(key) == Some(val))
                .map(|x| match x.value {
                    prometheus_parse::Value::Counter(v)
                    | prometheus_parse::Value::Gauge(v)
                    | prometheus_parse::Value::Untyped(v) => v,
                    _ => f64::NAN,
                })
                .unwrap_or_else(|| panic!("{name}{{{key}={val}}} missing in\n{text}"))
        };
        assert_eq!(
            value("pingan_messages_sent_total", "instance", "node-1"),
            7.0
        );
        assert_eq!(value("pingan_send_errors_total", "kind", "gone"), 2.0);
        assert_eq!(value("pingan_send_errors_total", "kind", "transient"), 0.0);
        for lane in Lane::ALL {
            let n = value("pingan_outbox_lane_depth", "lane", lane.key());
            assert_eq!(n, if lane == Lane::Bulk { 3.0 } else { 0.0 });
            value("pingan_outbox_lane_oldest_seconds", "lane", lane.key());
        }
        let alert = s
            .samples
            .iter()
            .find(|x| {
                x.metric == "pingan_outbox_send_latency_seconds"
                    && x.labels.get("lane") == Some("alert")
            })
            .expect("alert latency");
        let prometheus_parse::Value::Histogram(buckets) = &alert.value else {
            panic!("not a histogram: {alert:?}");
        };
        // 2.5 s: in the 5 s bucket, not in the 2 s one.
        let at = |le: f64| buckets.iter().find(|b| b.less_than == le).unwrap().count;
        assert_eq!((at(2.0), at(5.0), at(f64::INFINITY)), (0.0, 1.0, 1.0));
        let count = "pingan_outbox_send_latency_seconds_count";
        assert_eq!(value(count, "lane", "alert"), 1.0);
        assert_eq!(value(count, "lane", "bulk"), 0.0);
    }
}
