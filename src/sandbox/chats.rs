//! Bot API methods about chats, members, pins, deletion, callback answers, commands and webhooks.

use serde_json::{Value, json};

use super::json;
use super::methods::{Access, access};
use super::params::{ApiErr, Params};
use super::types::{CallbackAnswer, MemberStatus};
use super::world::{BOT_ID, ChatKind, World};

pub(crate) fn call(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiErr> {
    match method {
        "answerCallbackQuery" => answer_callback(w, p),
        "getChat" => {
            let chat = p.chat_id()?;
            readable(w, chat)?;
            Ok(json::chat_full(w, chat))
        }
        "getChatMember" => get_member(w, p),
        "getChatAdministrators" => get_admins(w, p),
        "getChatMemberCount" => {
            let chat = p.chat_id()?;
            readable(w, chat)?;
            Ok(w.chat(chat)
                .members
                .values()
                .filter(|s| s.is_present())
                .count()
                .into())
        }
        "pinChatMessage" | "unpinChatMessage" | "unpinAllChatMessages" => pin(w, method, p),
        "deleteMessage" => delete(w, p),
        "leaveChat" => leave(w, p),
        "setMyCommands" | "getMyCommands" | "deleteMyCommands" => commands(w, method, p),
        "setWebhook" | "deleteWebhook" | "getWebhookInfo" => webhook(w, method, p),
        _ => Err(ApiErr::new(404, "Not Found")),
    }
}

/// Like [`access`] for reading, but an unknown private chat is "chat not found".
fn readable(w: &World, chat: i64) -> Result<(), ApiErr> {
    if !w.chats.contains_key(&chat) {
        return Err(ApiErr::bad("chat not found"));
    }
    access(w, chat, Access::Read)
}

fn answer_callback(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let id = p.str("callback_query_id").unwrap_or_default();
    match w.callbacks.get_mut(&id) {
        Some(answered @ false) => *answered = true,
        _ => {
            return Err(ApiErr::bad(
                "query is too old and response timeout expired or query id is invalid",
            ));
        }
    }
    let text = p.str("text").filter(|t| !t.is_empty());
    if text.as_deref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ApiErr::bad("MESSAGE_TOO_LONG"));
    }
    w.answers.push(CallbackAnswer {
        query_id: id,
        text,
        show_alert: p.bool("show_alert"),
    });
    Ok(Value::Bool(true))
}

fn get_member(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    readable(w, chat)?;
    let user = p
        .i64("user_id")?
        .ok_or_else(|| ApiErr::bad("user_id is empty"))?;
    if !w.users.contains_key(&user) {
        return Err(ApiErr::bad("user not found"));
    }
    if w.chat(chat).kind == ChatKind::Private {
        if user != chat && user != BOT_ID {
            return Err(ApiErr::bad("user not found"));
        }
        return Ok(json::member_with(w, user, MemberStatus::Member, false));
    }
    Ok(json::member(w, chat, user))
}

fn get_admins(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    readable(w, chat)?;
    let c = w.chat(chat);
    if c.kind == ChatKind::Private {
        return Err(ApiErr::bad(
            "there are no administrators in the private chat",
        ));
    }
    let admins: Vec<Value> = c
        .members
        .iter()
        .filter(|(_, s)| s.is_admin())
        .map(|(&u, &s)| json::member_with(w, u, s, c.can_pin(u)))
        .collect();
    Ok(admins.into())
}

/// In groups the bot needs the pin right (as an administrator, or as a
/// restricted member allowed to pin); Telegram refuses with a 400.
fn pin_rights(w: &mut World, chat: i64) -> Result<(), ApiErr> {
    let c = w.chat(chat);
    if c.kind != ChatKind::Private && !c.can_pin(BOT_ID) {
        w.stats.pin_refusals += 1;
        return Err(ApiErr::bad(
            "not enough rights to manage pinned messages in the chat",
        ));
    }
    Ok(())
}

fn pin(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    access(w, chat, Access::Read)?;
    pin_rights(w, chat)?;
    let id = p.i64("message_id")?;
    let msgs = &mut w.chat_mut(chat).msgs;
    match (method, id) {
        ("unpinAllChatMessages", _) => msgs.values_mut().for_each(|m| m.pinned = false),
        ("pinChatMessage", None) => return Err(ApiErr::bad("message identifier is not specified")),
        ("pinChatMessage", Some(id)) => match msgs.get_mut(&id) {
            Some(m) if !m.deleted => m.pinned = true,
            _ => return Err(ApiErr::bad("message to pin not found")),
        },
        (_, Some(id)) => match msgs.get_mut(&id) {
            Some(m) if !m.deleted => m.pinned = false,
            _ => return Err(ApiErr::bad("message to unpin not found")),
        },
        (_, None) => match msgs.values_mut().rev().find(|m| m.pinned && !m.deleted) {
            Some(m) => m.pinned = false,
            None => return Err(ApiErr::bad("message to unpin not found")),
        },
    }
    Ok(Value::Bool(true))
}

fn delete(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    access(w, chat, Access::Read)?;
    let id = p
        .i64("message_id")?
        .ok_or_else(|| ApiErr::bad("message identifier is not specified"))?;
    let c = w.chat(chat);
    let bot_admin = c.kind == ChatKind::Private || c.status(BOT_ID).is_admin();
    let m = c.msgs.get(&id).filter(|m| !m.deleted);
    match m {
        None => Err(ApiErr::bad("message to delete not found")),
        Some(m) if m.from != BOT_ID && !bot_admin => Err(ApiErr::bad("message can't be deleted")),
        Some(_) => {
            w.chat_mut(chat).msgs.get_mut(&id).expect("checked").deleted = true;
            Ok(Value::Bool(true))
        }
    }
}

fn leave(w: &mut World, p: &Params) -> Result<Value, ApiErr> {
    let chat = p.chat_id()?;
    readable(w, chat)?;
    if w.chat(chat).kind == ChatKind::Private {
        return Err(ApiErr::bad(
            "chat member status can't be changed in private chats",
        ));
    }
    w.set_bot_status(chat, BOT_ID, MemberStatus::Left);
    Ok(Value::Bool(true))
}

/// Storage key of a command scope: its type, plus chat/user ids when the scope has them, plus `#lang`.
fn scope_key(p: &Params) -> Result<String, ApiErr> {
    let scope = p
        .json("scope")?
        .unwrap_or_else(|| json!({"type": "default"}));
    let mut key = scope
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    for f in ["chat_id", "user_id"] {
        if let Some(v) = scope.get(f) {
            key.push_str(&format!(
                ":{}",
                v.as_i64().map_or_else(|| v.to_string(), |n| n.to_string())
            ));
        }
    }
    if let Some(lang) = p.str("language_code").filter(|l| !l.is_empty()) {
        key.push_str(&format!("#{lang}"));
    }
    Ok(key)
}

fn commands(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiErr> {
    let key = scope_key(p)?;
    match method {
        "getMyCommands" => {
            let list = w.commands.get(&key).cloned().unwrap_or_default();
            Ok(list
                .iter()
                .map(|(c, d)| json!({"command": c, "description": d}))
                .collect())
        }
        "deleteMyCommands" => {
            w.commands.remove(&key);
            Ok(Value::Bool(true))
        }
        _ => {
            let list = match p.json("commands")? {
                Some(Value::Array(a)) => a,
                _ => return Err(ApiErr::bad("can't parse commands JSON object")),
            };
            if list.len() > 100 {
                return Err(ApiErr::bad("too many commands"));
            }
            let mut out = Vec::new();
            for c in &list {
                let cmd = c.get("command").and_then(Value::as_str).unwrap_or("");
                let desc = c.get("description").and_then(Value::as_str).unwrap_or("");
                let cmd_ok = (1..=32).contains(&cmd.len())
                    && cmd
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !cmd_ok {
                    return Err(ApiErr::bad("BOT_COMMAND_INVALID"));
                }
                if desc.trim().is_empty() || desc.chars().count() > 256 {
                    return Err(ApiErr::bad("BOT_COMMAND_DESCRIPTION_INVALID"));
                }
                out.push((cmd.to_string(), desc.to_string()));
            }
            if out.is_empty() {
                w.commands.remove(&key);
            } else {
                w.commands.insert(key, out);
            }
            Ok(Value::Bool(true))
        }
    }
}

fn webhook(w: &mut World, method: &str, p: &Params) -> Result<Value, ApiErr> {
    match method {
        "getWebhookInfo" => {
            let url = w
                .webhook
                .as_ref()
                .map(|(u, _)| u.clone())
                .unwrap_or_default();
            Ok(
                json!({"url": url, "has_custom_certificate": false, "pending_update_count": w.updates.len()}),
            )
        }
        _ => {
            let url = if method == "setWebhook" {
                p.str("url").unwrap_or_default()
            } else {
                String::new()
            };
            if !url.is_empty() && url::Url::parse(&url).is_err() {
                return Err(ApiErr::bad("bad webhook: invalid URL"));
            }
            if p.bool("drop_pending_updates") {
                w.updates.clear();
            }
            w.webhook =
                (!url.is_empty()).then(|| (url, p.str("secret_token").filter(|s| !s.is_empty())));
            Ok(Value::Bool(true))
        }
    }
}
