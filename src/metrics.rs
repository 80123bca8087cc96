//! Health and metrics over HTTP (`--metrics ADDR`, off by default):
//! `/healthz` says whether the database answers and the dispatcher is alive,
//! `/metrics` speaks Prometheus' text format.

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::Row;

use crate::app::App;
use crate::outbox::wall_ms;

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
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "metrics failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

pub async fn render(app: &App) -> anyhow::Result<String> {
    let d = &app.dispatch_stats;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let mut out = String::new();
    family(
        &mut out,
        "pingan_updates_handled_total",
        "counter",
        "Telegram updates taken.",
    );
    let _ = writeln!(
        out,
        "pingan_updates_handled_total {}",
        load(&app.metrics.updates)
    );
    family(
        &mut out,
        "pingan_messages_sent_total",
        "counter",
        "Messages sent or edited.",
    );
    let _ = writeln!(out, "pingan_messages_sent_total {}", load(&d.sent));
    family(
        &mut out,
        "pingan_too_many_requests_total",
        "counter",
        "429 answers from the Bot API.",
    );
    let _ = writeln!(
        out,
        "pingan_too_many_requests_total {}",
        load(&d.too_many_requests)
    );
    family(
        &mut out,
        "pingan_send_errors_total",
        "counter",
        "Failed sends by kind.",
    );
    for (kind, c) in [
        ("transient", &d.transient_errors),
        ("rejected", &d.rejected),
        ("gone", &d.gone),
    ] {
        let _ = writeln!(
            out,
            "pingan_send_errors_total{{kind=\"{kind}\"}} {}",
            load(c)
        );
    }
    let mut conn = app.store.conn().await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let pending: i64 = row.try_get("n")?;
    let oldest: Option<i64> = row.try_get("oldest")?;
    family(
        &mut out,
        "pingan_outbox_pending",
        "gauge",
        "Messages queued and not yet sent.",
    );
    let _ = writeln!(out, "pingan_outbox_pending {pending}");
    family(
        &mut out,
        "pingan_outbox_oldest_pending_seconds",
        "gauge",
        "Age of the oldest queued message.",
    );
    let age = oldest.map(|t| (app.clock.now() - t).max(0)).unwrap_or(0);
    let _ = writeln!(out, "pingan_outbox_oldest_pending_seconds {age}");
    let row = sqlx::query(
        "SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN deadline_at < $1 THEN 1 ELSE 0 END), 0) AS overdue \
         FROM cases WHERE status IN ('new', 'accepted', 'in_progress', 'escalated', 'reopened')",
    )
    .bind(app.clock.now())
    .fetch_one(&mut *conn)
    .await?;
    family(
        &mut out,
        "pingan_cases_open",
        "gauge",
        "Cases not yet resolved, failed or closed.",
    );
    let _ = writeln!(out, "pingan_cases_open {}", row.try_get::<i64, _>("open")?);
    family(
        &mut out,
        "pingan_cases_overdue",
        "gauge",
        "Open cases past their deadline.",
    );
    let _ = writeln!(
        out,
        "pingan_cases_overdue {}",
        row.try_get::<i64, _>("overdue")?
    );
    Ok(out)
}
