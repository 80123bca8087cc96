//! Bot API method dispatch, and the message-producing methods (send, edit) with Telegram's checks and errors.

use std::time::Instant;

use serde_json::Value;

use super::html::{parse_html, utf16_len};
use super::json;
use super::params::{ApiErr, Params};
use super::world::{BOT_ID, ChatKind, Content, FileRec, Msg, World};

/// Canonical names of the implemented methods.
pub(crate) const METHODS: &[&str] = &[
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
    "getChatMemberCount",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "deleteMessage",
    "leaveChat",
    "logOut",
    "close",
];

/// The canonical spelling of `method` (matched case-insensitively), if implemented.
pub(crate) fn canonical(method: &str) -> Option<&'static str> {
    METHODS
        .iter()
        .copied()
        .find(|m| m.eq_ignore_ascii_case(method))
}

/// Runs every method except `getUpdates` (which may wait, see the server).
pub(crate) fn call(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiErr> {
    match method {
        "getMe" => Ok(json::me(w)),
        "sendMessage" => send_message(w, p),
        "sendPhoto" => send_media(w, p, true),
        "sendDocument" => send_media(w, p, false),
        "editMessageText" => edit_text(w, p),
        "editMessageReplyMarkup" => edit_markup(w, p),
        "logOut" | "close" => Ok(Value::Bool(true)),
        _ => super::chats::call(w, method, p),
    }
}

/// Which access a call needs to a chat.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Sending: private chats must be opened and not blocked.
    Send,
    /// Reading or editing: a blocked private chat is still readable.
    Read,
}

/// Checks the bot may use `chat_id`, with Telegram's errors.
pub(crate) fn access(w: &World, chat_id: i64, need: Access) -> Result<(), ApiErr> {
    let Some(c) = w.chats.get(&chat_id) else {
        return match w.users.get(&chat_id) {
            Some(u) if u.is_bot => Err(ApiErr::forbidden("bot can't send messages to bots")),
            Some(u) if u.blocked && need == Access::Send => {
                Err(ApiErr::forbidden("bot was blocked by the user"))
            }
            Some(_) if need == Access::Send => Err(ApiErr::forbidden(
                "bot can't initiate conversation with a user",
            )),
            _ => Err(ApiErr::bad("chat not found")),
        };
    };
    let word = match c.kind {
        ChatKind::Private => {
            let blocked = w.users.get(&chat_id).is_some_and(|u| u.blocked);
            if blocked && need == Access::Send {
                return Err(ApiErr::forbidden("bot was blocked by the user"));
            }
            return Ok(());
        }
        ChatKind::Group => "group",
        ChatKind::Supergroup => "supergroup",
    };
    if let Some(to) = c.migrated_to {
        let mut e = ApiErr::bad("group chat was upgraded to a supergroup chat");
        e.parameters = Some(serde_json::json!({"migrate_to_chat_id": to}));
        return Err(e);
    }
    match c.status(BOT_ID) {
        super::types::MemberStatus::Kicked => Err(ApiErr::forbidden(format!(
            "bot was kicked from the {word} chat"
        ))),
        super::types::MemberStatus::Left => Err(ApiErr::forbidden(format!(
            "bot is not a member of the {word} chat"
        ))),
        _ => Ok(()),
    }
}

/// Visible text and entities for `text` under `parse_mode` (or explicit `entities`).
fn render(p: &Params, text: &str, entities_key: &str) -> Result<(String, Vec<Value>), ApiErr> {
    let mode = p.str("parse_mode").filter(|m| !m.is_empty());
    match mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => {
            let ents = match p.json(entities_key)? {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            Ok((text.to_string(), ents))
        }
        Some("html") => match parse_html(text) {
            Ok(parsed) => Ok((
                parsed.text,
                parsed.entities.iter().map(|e| e.to_json()).collect(),
            )),
            Err(detail) => Err(ApiErr::bad(format!("can't parse entities: {detail}"))),
        },
        // Markdown is not interpreted by the sandbox: the text is shown as sent.
        Some("markdown" | "markdownv2") => Ok((text.to_string(), Vec::new())),
        Some(_) => Err(ApiErr::bad("unsupported parse_mode")),
    }
}

/// The `reply_markup` parameter, validated like Telegram does for inline keyboards.
pub(crate) fn markup(p: &Params) -> Result<Option<Value>, ApiErr> {
    let Some(m) = p.json("reply_markup")? else {
        return Ok(None);
    };
    let invalid = || ApiErr::bad("can't parse reply keyboard markup JSON object");
    if !m.is_object() {
        return Err(invalid());
    }
    if let Some(rows) = m.get("inline_keyboard") {
        let rows = rows.as_array().ok_or_else(|| {
            ApiErr::bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
        })?;
        for row in rows {
            let row = row.as_array().ok_or_else(invalid)?;
            for b in row {
                if b.get("text").and_then(Value::as_str).is_none() {
                    return Err(ApiErr::bad(
                        "can't parse inline keyboard button: Field \"text\" must be of type String",
                    ));
                }
                if let Some(d) = b.get("callback_data") {
                    let ok = d.as_str().is_some_and(|d| !d.is_empty() && d.len() <= 64);
                    if !ok {
                        return Err(ApiErr::bad("BUTTON_DATA_INVALID"));
                    }
                } else if b.as_object().is_some_and(|o| o.len() == 1) {
                    return Err(ApiErr::bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                    ));
                }
            }
        }
    }
    Ok(Some(m))
}

fn reply_to(w: &World, chat: i64, p: &Params) -> Result<Option<i64>, ApiErr> {
    let (id, allow) = match p.json("reply_parameters")? {
        Some(rp) => {
            let id = rp.get("message_id").and_then(Value::as_i64);
            (
                id,
                rp.get("allow_sending_without_reply")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
        }
        None => (
            p.i64("reply_to_message_id")?,
            p.bool("allow_sending_without_reply"),
        ),
    };
    let Some(id) = id else { return Ok(None) };
    match w.msg(chat, id) {
        Some(m) if !m.deleted => Ok(Some(id)),
        _ if allow => Ok(None),
        _ => Err(ApiErr::bad("message to be replied not found")),
    }
}

fn rate_limit(w: &mut World, chat: i64) -> Result<(), ApiErr> {
    if !w.enforce {
        return Ok(());
    }
    w.limiter
        .check(chat, Instant::now())
        .map_err(ApiErr::retry_after)
}

/// Stores an accepted bot message and returns its JSON.
fn accept(w: &mut World, chat: i64, mut m: Msg, p: &Params, html: String) -> Result<Value, ApiErr> {
    m.markup = markup(p)?;
    m.reply_to = reply_to(w, chat, p)?;
    rate_limit(w, chat)?;
    m.html = html;
    m.parse_mode = p.str("parse_mode").filter(|s| !s.is_empty());
    let id = w.add_msg(m);
    w.limiter.record(chat, Instant::now());
    w.stats.sends_accepted += 1;
    Ok(json::message(w, w.msg(chat, id).expect("just added")))
}

fn send_message(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    access(w, chat, Access::Send)?;
    let html = p.str("text").unwrap_or_default();
    let (text, entities) = render(p, &html, "entities")?;
    if text.trim().is_empty() {
        return Err(ApiErr::bad("message text is empty"));
    }
    if utf16_len(&text) > 4096 {
        return Err(ApiErr::bad("message is too long"));
    }
    let m = Msg::new(chat, BOT_ID, Content::Text { text, entities });
    accept(w, chat, m, p, html)
}

/// The file of a sendPhoto/sendDocument call: an upload, `attach://name`, a URL or a known file_id.
fn input_file(w: &mut World, p: &Params, field: &str, photo: bool) -> Result<FileRec, ApiErr> {
    let wrong = || ApiErr::bad("wrong file identifier/HTTP URL specified");
    let upload = match p.str(field) {
        None => p.files.get(field),
        Some(s) => match s.strip_prefix("attach://") {
            Some(name) => Some(p.files.get(name).ok_or_else(wrong)?),
            None if s.starts_with("http://") || s.starts_with("https://") => {
                let name = s
                    .rsplit('/')
                    .next()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                return Ok(w.new_file(photo, if photo { None } else { name }, 0, None));
            }
            None => {
                return w
                    .files
                    .get(s.trim_end_matches("_s"))
                    .cloned()
                    .ok_or_else(wrong);
            }
        },
    };
    let Some(up) = upload.cloned() else {
        return Err(ApiErr::bad(format!("there is no {field} in the request")));
    };
    if up.size == 0 {
        return Err(ApiErr::bad("file must be non-empty"));
    }
    let name = if photo {
        None
    } else if up.file_name.is_empty() {
        Some("document".to_string())
    } else {
        Some(up.file_name)
    };
    let file = w.new_file(photo, name, up.size, up.content_type);
    w.file_data.insert(file.file_id.clone(), up.data);
    Ok(file)
}

fn send_media(w: &mut World, p: &Params, photo: bool) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    access(w, chat, Access::Send)?;
    let html = p.str("caption").unwrap_or_default();
    let (caption, entities) = render(p, &html, "caption_entities")?;
    if utf16_len(&caption) > 1024 {
        return Err(ApiErr::bad("message caption is too long"));
    }
    let file = input_file(w, p, if photo { "photo" } else { "document" }, photo)?;
    let content = if photo {
        Content::Photo {
            file,
            caption,
            entities,
        }
    } else {
        Content::Document {
            file,
            caption,
            entities,
        }
    };
    accept(w, chat, Msg::new(chat, BOT_ID, content), p, html)
}

/// The bot message an edit targets.
fn editable(w: &World, p: &Params) -> Result<(i64, i64), ApiErr> {
    if p.str("inline_message_id").is_some() {
        return Err(ApiErr::bad("message to edit not found"));
    }
    let chat = p.chat_id()?;
    access(w, chat, Access::Read)?;
    let id = p
        .i64("message_id")?
        .ok_or_else(|| ApiErr::bad("message identifier is not specified"))?;
    match w.msg(chat, id) {
        Some(m) if m.deleted => Err(ApiErr::bad("message to edit not found")),
        Some(m) if m.from != BOT_ID => Err(ApiErr::bad("message can't be edited")),
        Some(_) => Ok((chat, id)),
        None => Err(ApiErr::bad("message to edit not found")),
    }
}

fn not_modified() -> ApiErr {
    ApiErr::bad(
        "message is not modified: specified new message content and reply markup are exactly the same as a current \
         content and reply markup of the message",
    )
}

fn same_markup(a: &Option<Value>, b: &Option<Value>) -> bool {
    let inline = |m: &Option<Value>| m.clone().filter(json::is_inline);
    inline(a) == inline(b)
}

fn edit_text(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let (chat, id) = editable(w, p)?;
    let html = p.str("text").unwrap_or_default();
    let (text, entities) = render(p, &html, "entities")?;
    if text.trim().is_empty() {
        return Err(ApiErr::bad("message text is empty"));
    }
    if utf16_len(&text) > 4096 {
        return Err(ApiErr::bad("MESSAGE_TOO_LONG"));
    }
    let new_markup = markup(p)?;
    let m = w.msg(chat, id).expect("checked");
    if !matches!(m.content, Content::Text { .. }) {
        return Err(ApiErr::bad("there is no text in the message to edit"));
    }
    let content = Content::Text { text, entities };
    if m.content == content && same_markup(&m.markup, &new_markup) {
        return Err(not_modified());
    }
    let parse_mode = p.str("parse_mode").filter(|s| !s.is_empty());
    let m = w.chat_mut(chat).msgs.get_mut(&id).expect("checked");
    m.content = content;
    m.html = html;
    m.parse_mode = parse_mode;
    m.markup = new_markup;
    m.edits += 1;
    m.edit_date = Some(super::world::now());
    Ok(json::message(w, w.msg(chat, id).expect("checked")))
}

fn edit_markup(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let (chat, id) = editable(w, p)?;
    let new_markup = markup(p)?;
    let m = w.chat_mut(chat).msgs.get_mut(&id).expect("checked");
    if same_markup(&m.markup, &new_markup) {
        return Err(not_modified());
    }
    m.markup = new_markup;
    m.edits += 1;
    m.edit_date = Some(super::world::now());
    Ok(json::message(w, w.msg(chat, id).expect("checked")))
}
