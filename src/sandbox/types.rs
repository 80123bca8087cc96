//! Public value types of the sandbox: faults to inject, and what tests read back about the bot's actions.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// An error to return instead of performing a Bot API call (see [`super::Sandbox::inject`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 "Too Many Requests: retry after N" with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// HTTP 5xx, e.g. 502 "Bad Gateway".
    ServerError(u16),
    /// HTTP 403; the description gets a `Forbidden: ` prefix unless it has one.
    Forbidden(String),
    /// HTTP 400; the description gets a `Bad Request: ` prefix unless it has one.
    BadRequest(String),
    /// No answer at all: the request hangs, as on a stalled network, until
    /// the client gives up or goes away.
    Hang,
}

/// What kind of message the bot sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SentKind {
    Text,
    Photo,
    Document { file_name: String },
}

/// A message sent by the bot, in its current state (after edits, pins and deletion).
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    pub chat_id: i64,
    pub message_id: i64,
    /// Visible text: HTML tags stripped, entities decoded; the caption for media.
    pub text: String,
    /// Text (or caption) exactly as the bot sent it.
    pub html: String,
    pub parse_mode: Option<String>,
    /// The `reply_markup` object as the bot sent it (any keyboard kind).
    pub reply_markup: Option<Value>,
    /// Message id this message replies to.
    pub reply_to: Option<i64>,
    pub edits: u32,
    pub pinned: bool,
    pub deleted: bool,
    pub kind: SentKind,
    /// Size in bytes of the uploaded photo/document (0 when sent by file_id or URL); `None` for text.
    pub file_size: Option<u64>,
}

impl SentMessage {
    /// `(text, callback_data)` of every inline keyboard button, row-major; buttons without callback data are skipped.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self
            .reply_markup
            .as_ref()
            .and_then(|m| m.get("inline_keyboard"))
            .and_then(Value::as_array);
        rows.into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|b| {
                let text = b.get("text")?.as_str()?;
                let data = b.get("callback_data")?.as_str()?;
                Some((text.to_string(), data.to_string()))
            })
            .collect()
    }

    /// Whether any inline button has this callback data.
    pub fn has_button(&self, data: &str) -> bool {
        self.buttons().iter().any(|(_, d)| d == data)
    }
}

impl fmt::Display for SentMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[chat {} #{}", self.chat_id, self.message_id)?;
        if let Some(r) = self.reply_to {
            write!(f, " ↩{r}")?;
        }
        if self.edits > 0 {
            write!(f, " edited×{}", self.edits)?;
        }
        if self.pinned {
            write!(f, " pinned")?;
        }
        if self.deleted {
            write!(f, " DELETED")?;
        }
        match &self.kind {
            SentKind::Text => {}
            SentKind::Photo => write!(f, " photo")?,
            SentKind::Document { file_name } => write!(f, " document {file_name:?}")?,
        }
        write!(f, "] {}", self.text)?;
        for (text, data) in self.buttons() {
            write!(f, "\n    [{text}]→{data}")?;
        }
        Ok(())
    }
}

/// An `answerCallbackQuery` call the bot made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub query_id: String,
    pub text: Option<String>,
    pub show_alert: bool,
}

/// Counters about the bot's traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxStats {
    /// Successful sendMessage/sendPhoto/sendDocument calls.
    pub sends_accepted: u64,
    /// Every HTTP 429 returned (rate limits and injected).
    pub too_many_requests: u64,
    /// Every HTTP 400 returned (a pin without the right included; injected too).
    pub bad_requests: u64,
    /// `pinChatMessage`/`unpinChatMessage` refused for want of the right.
    pub pin_refusals: u64,
    /// Injected faults that fired.
    pub errors_injected: u64,
    /// Requests per method, keyed by the canonical name (`sendMessage`); unknown methods as sent.
    pub requests_by_method: BTreeMap<String, u64>,
}

impl SandboxStats {
    /// Requests of one method (case-insensitive).
    pub fn requests(&self, method: &str) -> u64 {
        self.requests_by_method
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(method))
            .map(|(_, v)| v)
            .sum()
    }
}

/// A member's status in a chat, as Telegram reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStatus {
    Creator,
    Administrator,
    Member,
    /// A member with restrictions (`is_member` true).
    Restricted,
    Left,
    Kicked,
}

impl MemberStatus {
    /// The Bot API `status` string.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Creator => "creator",
            MemberStatus::Administrator => "administrator",
            MemberStatus::Member => "member",
            MemberStatus::Restricted => "restricted",
            MemberStatus::Left => "left",
            MemberStatus::Kicked => "kicked",
        }
    }

    /// Creator, administrator or (possibly restricted) member.
    pub fn is_present(self) -> bool {
        matches!(
            self,
            MemberStatus::Creator
                | MemberStatus::Administrator
                | MemberStatus::Member
                | MemberStatus::Restricted
        )
    }

    /// Creator or administrator.
    pub fn is_admin(self) -> bool {
        matches!(self, MemberStatus::Creator | MemberStatus::Administrator)
    }
}

/// The bot's standing in a group, as a test sets it (see
/// [`super::Sandbox::set_bot_rights`]). Telegram lets the bot pin only as an
/// administrator with `can_pin_messages`, or as a restricted member whose
/// permissions include `can_pin_messages`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BotRights {
    Administrator { can_pin: bool },
    Member,
    Restricted { can_pin: bool },
}

impl BotRights {
    pub fn status(self) -> MemberStatus {
        match self {
            BotRights::Administrator { .. } => MemberStatus::Administrator,
            BotRights::Member => MemberStatus::Member,
            BotRights::Restricted { .. } => MemberStatus::Restricted,
        }
    }

    pub fn can_pin(self) -> bool {
        match self {
            BotRights::Administrator { can_pin } | BotRights::Restricted { can_pin } => can_pin,
            BotRights::Member => false,
        }
    }
}
