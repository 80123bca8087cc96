//! Sends outbox rows through teloxide and sorts Bot API errors into what the
//! dispatcher must do about them.
//!
//! teloxide maps `retry_after` and `migrate_to_chat_id` itself, but matches
//! other errors on exact (partly outdated) descriptions, so the rest is
//! classified here by the text Telegram sends.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardMarkup, InputFile, LinkPreviewOptions, MessageId, ParseMode, ReplyParameters,
};

use crate::outbox::{SendError, Transport};
use crate::store::outbox::{OutKind, Pending};

pub struct TelegramTransport {
    bot: Bot,
}

impl TelegramTransport {
    pub fn new(bot: Bot) -> Self {
        TelegramTransport { bot }
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

impl Transport for TelegramTransport {
    async fn deliver(
        &self,
        msg: &Pending,
        edit_target: Option<i64>,
    ) -> Result<Option<i64>, SendError> {
        let markup: Option<InlineKeyboardMarkup> =
            match msg.markup.as_deref() {
                Some(json) => Some(serde_json::from_str(json).map_err(|e| {
                    SendError::Rejected(format!("stored keyboard is not valid: {e}"))
                })?),
                None => None,
            };
        let chat = ChatId(msg.chat_id);
        let reply = msg
            .reply_to
            .map(|to| ReplyParameters::new(MessageId(to as i32)).allow_sending_without_reply());
        // A file's text is its caption; both kinds take the same options.
        macro_rules! send_file {
            ($method:ident, $file_name:expr, $bytes:expr) => {{
                let file = InputFile::memory($bytes.clone()).file_name($file_name.clone());
                let mut req = self
                    .bot
                    .$method(chat, file)
                    .caption(&msg.text)
                    .parse_mode(ParseMode::Html);
                if let Some(r) = reply {
                    req = req.reply_parameters(r);
                }
                if let Some(m) = markup {
                    req = req.reply_markup(m);
                }
                return req
                    .await
                    .map(|sent| Some(i64::from(sent.id.0)))
                    .map_err(classify);
            }};
        }
        match &msg.kind {
            OutKind::Photo { file_name, bytes } => send_file!(send_photo, file_name, bytes),
            OutKind::Document { file_name, bytes } => send_file!(send_document, file_name, bytes),
            OutKind::Send | OutKind::Edit { .. } | OutKind::Pin { .. } | OutKind::Unpin { .. } => {}
        }
        match edit_target {
            None => {
                let mut req = self
                    .bot
                    .send_message(chat, &msg.text)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview());
                if let Some(r) = reply {
                    req = req.reply_parameters(r);
                }
                if let Some(m) = markup {
                    req = req.reply_markup(m);
                }
                req.await
                    .map(|sent| Some(i64::from(sent.id.0)))
                    .map_err(classify)
            }
            Some(target) if matches!(msg.kind, OutKind::Pin { .. }) => self
                .bot
                .pin_chat_message(chat, MessageId(target as i32))
                .disable_notification(true)
                .await
                .map(|_| None)
                .map_err(classify),
            Some(target) if matches!(msg.kind, OutKind::Unpin { .. }) => self
                .bot
                .unpin_chat_message(chat)
                .message_id(MessageId(target as i32))
                .await
                .map(|_| None)
                .map_err(classify),
            Some(target) => {
                let mut req = self
                    .bot
                    .edit_message_text(chat, MessageId(target as i32), &msg.text)
                    .parse_mode(ParseMode::Html)
                    .link_preview_options(no_preview());
                if let Some(m) = markup {
                    req = req.reply_markup(m);
                }
                match req.await {
                    Ok(_) => Ok(None),
                    Err(e)
                        if api_text(&e).is_some_and(|t| t.contains("message is not modified")) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(classify(e)),
                }
            }
        }
    }
}

/// Telegram's own description of an API error.
fn api_text(e: &RequestError) -> Option<String> {
    match e {
        RequestError::Api(ApiError::Unknown(text)) => Some(text.clone()),
        RequestError::Api(api) => Some(api.to_string()),
        _ => None,
    }
}

/// Sorts an error by Telegram's error text (see DESIGN.md §4).
pub fn classify(e: RequestError) -> SendError {
    match &e {
        RequestError::RetryAfter(secs) => return SendError::RetryAfter(secs.duration()),
        RequestError::MigrateToChatId(id) => return SendError::Migrated(id.0),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            return SendError::Transient(e.to_string());
        }
        _ => {}
    }
    let text = api_text(&e).unwrap_or_else(|| e.to_string());
    classify_text(&text)
}

pub fn classify_text(text: &str) -> SendError {
    let gone = [
        "bot was kicked",
        "bot was blocked",
        "not a member",
        "chat not found",
        "user is deactivated",
        "can't initiate conversation",
        "have no rights to send",
    ];
    // Pins need an administrator with the pin right: Telegram answers
    // `Bad Request: not enough rights to manage pinned messages in the chat`
    // (or `CHAT_ADMIN_REQUIRED` from older paths).
    let no_rights = ["not enough rights", "CHAT_ADMIN_REQUIRED"];
    if text.starts_with("Forbidden") || gone.iter().any(|g| text.contains(g)) {
        SendError::Gone(text.to_string())
    } else if no_rights.iter().any(|r| text.contains(r)) {
        SendError::NoRights(text.to_string())
    } else if text.starts_with("Bad Request") {
        SendError::Rejected(text.to_string())
    } else {
        SendError::Transient(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_telegram_errors() {
        assert!(matches!(
            classify_text("Forbidden: bot was kicked from the group chat"),
            SendError::Gone(_)
        ));
        assert!(matches!(
            classify_text("Forbidden: bot was blocked by the user"),
            SendError::Gone(_)
        ));
        assert!(matches!(
            classify_text("Bad Request: chat not found"),
            SendError::Gone(_)
        ));
        assert!(matches!(
            classify_text("Bad Request: can't parse entities: x"),
            SendError::Rejected(_)
        ));
        assert!(matches!(
            classify_text("Bad Request: not enough rights to manage pinned messages in the chat"),
            SendError::NoRights(_)
        ));
        assert!(matches!(
            classify_text("Bad Request: CHAT_ADMIN_REQUIRED"),
            SendError::NoRights(_)
        ));
        assert!(matches!(
            classify_text("Bad Gateway"),
            SendError::Transient(_)
        ));
    }
}
