//! Stored messages (users' and the bot's) and their conversion to what tests read back.

use serde_json::Value;

use super::types::{SentKind, SentMessage};
use super::world::now;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FileRec {
    pub file_id: String,
    pub unique_id: String,
    pub file_name: Option<String>,
    pub size: u64,
    pub mime: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Content {
    Text {
        text: String,
        entities: Vec<Value>,
    },
    Photo {
        file: FileRec,
        caption: String,
        entities: Vec<Value>,
    },
    Document {
        file: FileRec,
        caption: String,
        entities: Vec<Value>,
    },
    Location {
        latitude: f64,
        longitude: f64,
    },
    NewMembers(Vec<i64>),
    MigrateTo(i64),
    MigrateFrom(i64),
}

#[derive(Clone, Debug)]
pub(crate) struct Msg {
    pub chat: i64,
    pub id: i64,
    pub from: i64,
    pub date: i64,
    pub content: Content,
    pub reply_to: Option<i64>,
    /// Markup as sent (bot messages only).
    pub markup: Option<Value>,
    pub edit_date: Option<i64>,
    pub html: String,
    pub parse_mode: Option<String>,
    pub edits: u32,
    pub pinned: bool,
    pub deleted: bool,
}

impl Msg {
    pub fn new(chat: i64, from: i64, content: Content) -> Msg {
        Msg {
            chat,
            id: 0,
            from,
            date: now(),
            content,
            reply_to: None,
            markup: None,
            edit_date: None,
            html: String::new(),
            parse_mode: None,
            edits: 0,
            pinned: false,
            deleted: false,
        }
    }

    /// Text or caption as displayed.
    pub fn visible_text(&self) -> &str {
        match &self.content {
            Content::Text { text, .. } => text,
            Content::Photo { caption, .. } | Content::Document { caption, .. } => caption,
            _ => "",
        }
    }

    pub fn to_sent(&self) -> SentMessage {
        let (kind, file_size) = match &self.content {
            Content::Photo { file, .. } => (SentKind::Photo, Some(file.size)),
            Content::Document { file, .. } => (
                SentKind::Document {
                    file_name: file.file_name.clone().unwrap_or_default(),
                },
                Some(file.size),
            ),
            _ => (SentKind::Text, None),
        };
        SentMessage {
            chat_id: self.chat,
            message_id: self.id,
            text: self.visible_text().to_string(),
            html: self.html.clone(),
            parse_mode: self.parse_mode.clone(),
            reply_markup: self.markup.clone(),
            reply_to: self.reply_to,
            edits: self.edits,
            pinned: self.pinned,
            deleted: self.deleted,
            kind,
            file_size,
        }
    }
}
