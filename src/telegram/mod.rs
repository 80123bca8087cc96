//! The Telegram adapter: the only module that speaks teloxide.
//!
//! `updates` turns each update into database changes and queued replies,
//! `commands` holds one file per command, `membership` follows the bot in and
//! out of groups and records its rights there, `transport` sends outbox
//! rows, `menu` registers the command menu, `privately` answers `/case` and
//! `/mycases` from a group in private.

pub mod callbacks;
pub mod command;
pub mod commands;
pub mod context;
pub mod membership;
pub mod menu;
pub mod privately;
pub mod transport;
pub mod updates;

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use teloxide::prelude::*;
use teloxide::update_listeners::{AsUpdateStream, UpdateListener, webhooks};

use crate::app::App;
use crate::config::BotConfig;

pub fn make_bot(config: &BotConfig) -> Bot {
    let bot = Bot::new(config.token.clone());
    match &config.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    }
}

/// How updates reach the bot.
#[derive(Debug, Clone)]
pub enum Intake {
    /// `getUpdates` long polling (the default).
    Polling,
    /// Telegram posts updates to `url`; we listen on `listen`. Requests
    /// without the secret token set with `setWebhook` are refused (401).
    Webhook {
        url: url::Url,
        listen: std::net::SocketAddr,
        secret: Option<String>,
    },
}

/// Takes updates until `shutdown`: by long polling ([`poll`]: a poll's
/// updates are committed before the next poll confirms them) or by webhook
/// (each update committed before the next is taken).
///
/// `ready` is told when set-up (e.g. `setWebhook`) is done or has failed.
pub async fn take_updates(
    app: &App,
    bot: Bot,
    intake: Intake,
    ready: tokio::sync::oneshot::Sender<anyhow::Result<()>>,
    shutdown: impl Future<Output = ()>,
) {
    match intake {
        Intake::Polling => {
            // Updates would not come by getUpdates while a webhook is set.
            if let Err(e) = bot.delete_webhook().await {
                tracing::warn!(error = %e, "deleteWebhook failed");
            }
            let _ = ready.send(Ok(()));
            poll(app, &bot, shutdown).await;
        }
        Intake::Webhook {
            url,
            listen,
            secret,
        } => {
            let mut options = webhooks::Options::new(listen, url);
            if let Some(secret) = secret {
                options = options.secret_token(secret);
            }
            let socket = match tokio::net::TcpListener::bind(listen).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready.send(Err(anyhow::anyhow!(
                        "--listen: cannot listen on {listen}: {e}"
                    )));
                    return;
                }
            };
            let (mut listener, stopped, router) =
                match webhooks::axum_to_router(bot.clone(), options).await {
                    Ok(parts) => parts,
                    Err(e) => {
                        let _ =
                            ready.send(Err(anyhow::anyhow!("--webhook: setWebhook failed: {e}")));
                        return;
                    }
                };
            tracing::info!(%listen, "receiving updates by webhook");
            let _ = ready.send(Ok(()));
            let stop = listener.stop_token();
            let server = tokio::spawn(async move {
                let _ = axum::serve(socket, router)
                    .with_graceful_shutdown(stopped)
                    .await;
            });
            consume(app, &bot, listener.as_stream(), shutdown).await;
            stop.stop();
            let _ = server.await;
        }
    }
}

/// How long one `getUpdates` waits for an update.
pub const POLL_TIMEOUT: u32 = 10;

/// Long polling. A poll's updates are handled and committed before the next
/// `getUpdates` confirms them (its `offset`), so a crash never loses one;
/// one handled but not confirmed comes again and is recognised by its
/// `update_id`.
async fn poll(app: &App, bot: &Bot, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut offset = 0;
    let mut backoff = Duration::from_secs(1);
    loop {
        let request = bot
            .get_updates()
            .offset(offset)
            .timeout(POLL_TIMEOUT)
            .limit(100);
        let result = tokio::select! {
            _ = &mut shutdown => break,
            result = request.send() => result,
        };
        match result {
            Ok(updates) => {
                app.liveness.heard();
                backoff = Duration::from_secs(1);
                let Some(last) = updates.last() else { continue };
                offset = last.id.0 as i32 + 1;
                app.metrics
                    .updates
                    .fetch_add(updates.len() as u64, std::sync::atomic::Ordering::Relaxed);
                updates::handle_batch(app, bot, &updates).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "getUpdates failed");
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// Webhook intake: each update as it comes, in its own transaction (a
/// failure stays with its update, see [`updates::handle_isolated`]).
async fn consume<E: std::fmt::Display>(
    app: &App,
    bot: &Bot,
    stream: impl futures_util::Stream<Item = Result<teloxide::types::Update, E>>,
    shutdown: impl Future<Output = ()>,
) {
    futures_util::pin_mut!(stream);
    tokio::pin!(shutdown);
    loop {
        let next = tokio::select! {
            _ = &mut shutdown => break,
            next = stream.next() => next,
        };
        match next {
            Some(Ok(update)) => {
                app.liveness.heard();
                app.metrics
                    .updates
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                updates::handle_isolated(app, bot, &update).await;
            }
            Some(Err(e)) => tracing::warn!(error = %e, "webhook update failed"),
            None => break,
        }
    }
}
