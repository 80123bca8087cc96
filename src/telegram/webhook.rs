//! Webhook intake for several instances behind a load balancer (issue 13).
//!
//! Every instance serves the webhook with this handler: it checks the secret
//! token, records the update in the database inbox ([`crate::store::inbox`])
//! and only then answers 200, so Telegram redelivers anything an instance
//! could not record, and nothing recorded is lost when an instance dies. The
//! active instance alone handles the inbox ([`consume`]), in `update_id`
//! order, with the same batch handling as long polling.
//!
//! No instance calls `deleteWebhook` when it stops: that would stop updates
//! for the others. The secret is the same on every instance: the configured
//! `PINGAN_WEBHOOK_SECRET`, or one derived from the token ([`secret_for`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use sha2::{Digest, Sha256};
use teloxide::prelude::*;
use teloxide::types::Update;
use tokio::sync::Notify;

use super::updates;
use crate::app::App;
use crate::role::TermEnd;
use crate::store::inbox;

/// The header Telegram sends the secret token in.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Updates handled together, as one poll's worth.
const BATCH: i64 = 100;
/// How often the active instance looks for updates other instances recorded.
const LOOK: Duration = Duration::from_millis(200);

/// The webhook secret: the configured one, or a hash of the token, so that
/// every instance agrees without being told (Telegram allows `A-Za-z0-9_-`,
/// up to 256 characters).
pub fn secret_for(configured: Option<&str>, token: &str) -> String {
    match configured {
        Some(s) => s.to_string(),
        None => {
            let digest = Sha256::digest(format!("pingan webhook secret\n{token}").as_bytes());
            digest.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

#[derive(Clone)]
struct Receiver {
    app: App,
    secret: Arc<str>,
    arrived: Arc<Notify>,
}

/// Serves the webhook at `path` on `socket` until `shutdown`; `arrived` is
/// told after each update recorded.
pub async fn serve(
    app: App,
    socket: tokio::net::TcpListener,
    path: String,
    secret: String,
    arrived: Arc<Notify>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let path = if path.is_empty() { "/" } else { path.as_str() };
    let router = Router::new()
        .route(path, post(receive))
        .with_state(Receiver {
            app,
            secret: secret.into(),
            arrived,
        });
    if let Err(e) = axum::serve(socket, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "the webhook server failed");
    }
}

/// One update from Telegram: 200 once it is in the database, 500 (Telegram
/// retries) when it could not be stored.
async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let token = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    if token != Some(r.secret.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(update_id) = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("update_id").and_then(serde_json::Value::as_i64))
    else {
        return StatusCode::BAD_REQUEST;
    };
    let stored = async {
        let mut conn = r.app.store.conn().await?;
        inbox::record(&mut conn, update_id, text, r.app.clock.now()).await?;
        anyhow::Ok(())
    };
    match stored.await {
        Ok(()) => {
            r.app.liveness.heard();
            r.arrived.notify_one();
            StatusCode::OK
        }
        Err(e) => {
            tracing::error!(update_id, error = %format!("{e:#}"), "could not record a webhook update");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// The active instance's term: handles recorded updates in order until the
/// term ends. An update handled but not removed (the process died between)
/// is handled again by the next term and recognised by its `update_id`.
pub async fn consume(app: &App, bot: &Bot, arrived: &Notify, mut end: TermEnd) {
    loop {
        let batch = match load(app).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "could not read the webhook inbox");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                _ = &mut end => return,
                _ = arrived.notified() => {}
                _ = tokio::time::sleep(LOOK) => {}
            }
            continue;
        }
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let parsed: Vec<Update> = batch
            .into_iter()
            .filter_map(|(id, body)| match serde_json::from_str::<Update>(&body) {
                Ok(update) => Some(update),
                Err(e) => {
                    tracing::error!(update_id = id, error = %e, "a webhook update is not an Update; dropped");
                    None
                }
            })
            .collect();
        app.metrics
            .updates
            .fetch_add(parsed.len() as u64, std::sync::atomic::Ordering::Relaxed);
        updates::handle_batch(app, bot, &parsed).await;
        if let Err(e) = remove(app, &ids).await {
            tracing::error!(error = %format!("{e:#}"), "could not clear handled webhook updates");
        }
        if futures_util::FutureExt::now_or_never(&mut end).is_some() {
            return;
        }
    }
}

async fn load(app: &App) -> anyhow::Result<Vec<(i64, String)>> {
    let mut conn = app.store.conn().await?;
    Ok(inbox::oldest(&mut conn, BATCH).await?)
}

async fn remove(app: &App, ids: &[i64]) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    inbox::remove(&mut tx, ids).await?;
    tx.commit().await?;
    Ok(())
}

/// Binds the webhook's address (an error names the flag).
pub async fn bind(listen: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen: cannot listen on {listen}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instance_derives_the_same_valid_secret() {
        let a = secret_for(None, "123:abc");
        assert_eq!(a, secret_for(None, "123:abc"));
        assert_ne!(a, secret_for(None, "123:abd"));
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(secret_for(Some("mine"), "123:abc"), "mine");
    }
}
