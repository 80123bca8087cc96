//! The Telegram adapter: the only module that speaks teloxide.
//!
//! `updates` turns each update into database changes and queued replies,
//! `commands` holds one file per command, `membership` follows the bot in and
//! out of groups, `transport` sends outbox rows, `menu` registers the command
//! menu.

pub mod callbacks;
pub mod command;
pub mod commands;
pub mod context;
pub mod membership;
pub mod menu;
pub mod transport;
pub mod updates;

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use teloxide::prelude::*;
use teloxide::update_listeners::{AsUpdateStream, Polling};

use crate::app::App;
use crate::config::BotConfig;

pub fn make_bot(config: &BotConfig) -> Bot {
    let bot = Bot::new(config.token.clone());
    match &config.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    }
}

/// Long polling until `shutdown`: each update is handled (and committed)
/// before the next one is taken, and teloxide confirms a batch only when it
/// asks for the next, so an update is never confirmed before it is handled.
pub async fn poll(app: &App, bot: Bot, shutdown: impl Future<Output = ()>) {
    let mut polling = Polling::builder(bot.clone())
        .timeout(Duration::from_secs(10))
        .delete_webhook()
        .await
        .build();
    let stream = polling.as_stream();
    futures_util::pin_mut!(stream);
    tokio::pin!(shutdown);
    loop {
        let next = tokio::select! {
            _ = &mut shutdown => break,
            next = stream.next() => next,
        };
        match next {
            Some(Ok(update)) => {
                if let Err(e) = updates::handle(app, &bot, update).await {
                    tracing::error!(error = %format!("{e:#}"), "failed to handle an update");
                }
            }
            Some(Err(e)) => tracing::warn!(error = %e, "getUpdates failed"),
            None => break,
        }
    }
}
