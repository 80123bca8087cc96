//! The Telegram adapter: the only module that speaks teloxide.
//!
//! `updates` turns each update into database changes and queued replies,
//! `commands` holds one file per command, `membership` follows the bot in and
//! out of groups and records its rights there, `transport` sends outbox
//! rows, `menu` registers the command menu, `webhook` records webhook updates
//! in the inbox and hands them to the active instance, `privately` answers `/case` and
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
pub mod webhook;

use std::future::Future;
use std::time::Duration;

use teloxide::prelude::*;
use tokio::sync::watch;

use crate::app::App;
use crate::config::BotConfig;
use crate::role;

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

/// Takes updates until `stop` turns true.
///
/// By long polling ([`poll`]: a poll's updates are committed before the next
/// poll confirms them), only while this instance is the active one (see
/// [`crate::role`]): Telegram answers a second `getUpdates` with 409.
///
/// By webhook ([`webhook`]): every instance records the updates posted to it,
/// the active one handles them. `setWebhook` is called at start by each
/// instance (the same URL and secret, so it is idempotent); `deleteWebhook`
/// never, as one instance stopping must not stop the others' updates.
///
/// `ready` is told when set-up (e.g. `setWebhook`) is done or has failed.
pub async fn take_updates(
    app: &App,
    bot: Bot,
    intake: Intake,
    ready: tokio::sync::oneshot::Sender<anyhow::Result<()>>,
    stop: watch::Receiver<bool>,
) {
    let role = app.liveness.role();
    match intake {
        Intake::Polling => {
            let _ = ready.send(Ok(()));
            let bot = &bot;
            role::each_term(role, stop, |end| async move {
                app.liveness.heard();
                // Updates would not come by getUpdates while a webhook is set.
                if let Err(e) = bot.delete_webhook().await {
                    tracing::warn!(error = %e, "deleteWebhook failed");
                }
                poll(app, bot, end).await;
            })
            .await;
        }
        Intake::Webhook {
            url,
            listen,
            secret,
        } => {
            let secret = webhook::secret_for(secret.as_deref(), bot.token());
            let socket = match webhook::bind(listen).await {
                Ok(s) => s,
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            let set = bot
                .set_webhook(url.clone())
                .secret_token(secret.clone())
                .await;
            if let Err(e) = set {
                let _ = ready.send(Err(anyhow::anyhow!("--webhook: setWebhook failed: {e}")));
                return;
            }
            tracing::info!(%listen, "receiving updates by webhook");
            let _ = ready.send(Ok(()));
            let arrived = std::sync::Arc::new(tokio::sync::Notify::new());
            let server = tokio::spawn(webhook::serve(
                app.clone(),
                socket,
                url.path().to_string(),
                secret,
                arrived.clone(),
                {
                    let mut stop = stop.clone();
                    async move {
                        let _ = stop.wait_for(|s| *s).await;
                    }
                },
            ));
            let (bot, arrived) = (&bot, &arrived);
            role::each_term(role, stop, |end| async move {
                webhook::consume(app, bot, arrived, end).await;
            })
            .await;
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
