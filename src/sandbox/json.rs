//! Bot API JSON builders for users, chats, messages, chat members and updates, shaped as teloxide deserializes them.

use serde_json::{Map, Value, json};

use super::types::MemberStatus;
use super::world::{ANON_BOT_ID, BOT_ID, ChatKind, Content, FileRec, Msg, World, now};

pub(crate) fn user(w: &World, id: i64) -> Value {
    if id == ANON_BOT_ID {
        return json!({"id": ANON_BOT_ID, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot"});
    }
    let u = w.user(id);
    let mut v = json!({"id": u.id, "is_bot": u.is_bot, "first_name": u.first_name});
    if let Some(name) = &u.username {
        v["username"] = name.clone().into();
    }
    v
}

/// The `getMe` result.
pub(crate) fn me(w: &World) -> Value {
    let mut v = user(w, BOT_ID);
    v["can_join_groups"] = true.into();
    v["can_read_all_group_messages"] = true.into();
    v["supports_inline_queries"] = false.into();
    v["can_connect_to_business"] = false.into();
    v["has_main_web_app"] = false.into();
    v
}

pub(crate) fn chat(w: &World, id: i64) -> Value {
    let c = w.chat(id);
    match c.kind {
        ChatKind::Private => {
            let mut v = json!({"id": id, "type": "private", "first_name": c.title});
            if let Some(name) = w.users.get(&id).and_then(|u| u.username.clone()) {
                v["username"] = name.into();
            }
            v
        }
        kind => json!({"id": id, "type": kind.as_str(), "title": c.title}),
    }
}

/// The `getChat` result (ChatFullInfo).
pub(crate) fn chat_full(w: &World, id: i64) -> Value {
    let mut v = chat(w, id);
    v["accent_color_id"] = 0.into();
    v["max_reaction_count"] = 11.into();
    v["accepted_gift_types"] = json!({
        "unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false
    });
    let c = w.chat(id);
    if c.kind != ChatKind::Private {
        v["permissions"] = json!({
            "can_send_messages": true, "can_send_audios": true, "can_send_documents": true,
            "can_send_photos": true, "can_send_videos": true, "can_send_video_notes": true,
            "can_send_voice_notes": true, "can_send_polls": true, "can_send_other_messages": true,
            "can_add_web_page_previews": true, "can_change_info": false, "can_invite_users": true,
            "can_pin_messages": false, "can_manage_topics": false
        });
    }
    if let Some(m) = c.msgs.values().rev().find(|m| m.pinned && !m.deleted) {
        v["pinned_message"] = message(w, m);
    }
    v
}

fn file(f: &FileRec) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("file_id".into(), f.file_id.clone().into());
    m.insert("file_unique_id".into(), f.unique_id.clone().into());
    m.insert("file_size".into(), f.size.into());
    m
}

fn photo_sizes(f: &FileRec) -> Value {
    let mut small = file(f);
    small.insert("file_id".into(), format!("{}_s", f.file_id).into());
    small.insert("file_unique_id".into(), format!("{}_s", f.unique_id).into());
    small.insert("file_size".into(), (f.size / 10).into());
    small.insert("width".into(), 90.into());
    small.insert("height".into(), 90.into());
    let mut big = file(f);
    big.insert("width".into(), 1280.into());
    big.insert("height".into(), 960.into());
    json!([small, big])
}

fn put_caption(v: &mut Value, caption: &str, entities: &[Value]) {
    if !caption.is_empty() {
        v["caption"] = caption.into();
    }
    if !entities.is_empty() {
        v["caption_entities"] = entities.to_vec().into();
    }
}

/// A message with its `reply_to_message` (one level, as Telegram does).
pub(crate) fn message(w: &World, m: &Msg) -> Value {
    let mut v = message_flat(w, m);
    if let Some(r) = m.reply_to.and_then(|r| w.msg(m.chat, r)) {
        v["reply_to_message"] = message_flat(w, r);
    }
    v
}

fn message_flat(w: &World, m: &Msg) -> Value {
    let mut v = json!({
        "message_id": m.id,
        "from": user(w, m.from),
        "chat": chat(w, m.chat),
        "date": m.date,
    });
    if m.from == ANON_BOT_ID {
        v["sender_chat"] = chat(w, m.chat);
    }
    if let Some(d) = m.edit_date {
        v["edit_date"] = d.into();
    }
    match &m.content {
        Content::Text { text, entities } => {
            v["text"] = text.clone().into();
            if !entities.is_empty() {
                v["entities"] = entities.clone().into();
            }
        }
        Content::Photo {
            file: f,
            caption,
            entities,
        } => {
            v["photo"] = photo_sizes(f);
            put_caption(&mut v, caption, entities);
        }
        Content::Document {
            file: f,
            caption,
            entities,
        } => {
            let mut d = file(f);
            if let Some(name) = &f.file_name {
                d.insert("file_name".into(), name.clone().into());
            }
            if let Some(mime) = &f.mime {
                d.insert("mime_type".into(), mime.clone().into());
            }
            v["document"] = d.into();
            put_caption(&mut v, caption, entities);
        }
        Content::Location {
            latitude,
            longitude,
        } => {
            v["location"] = json!({"latitude": latitude, "longitude": longitude});
        }
        Content::NewMembers(ids) => {
            v["new_chat_members"] = ids.iter().map(|&id| user(w, id)).collect();
        }
        Content::MigrateTo(to) => v["migrate_to_chat_id"] = (*to).into(),
        Content::MigrateFrom(from) => v["migrate_from_chat_id"] = (*from).into(),
    }
    if let Some(markup) = m.markup.as_ref().filter(|mk| is_inline(mk)) {
        v["reply_markup"] = markup.clone();
    }
    v
}

/// Whether `markup` is a non-empty inline keyboard (the only kind echoed in messages).
pub(crate) fn is_inline(markup: &Value) -> bool {
    markup
        .get("inline_keyboard")
        .and_then(Value::as_array)
        .is_some_and(|rows| {
            rows.iter()
                .any(|r| r.as_array().is_some_and(|r| !r.is_empty()))
        })
}

/// A deleted message as seen in a callback query (date 0 = inaccessible).
pub(crate) fn inaccessible(w: &World, chat_id: i64, id: i64) -> Value {
    json!({"chat": chat(w, chat_id), "message_id": id, "date": 0})
}

/// A `ChatMember` of `status`; `can_pin` is the pin right of an
/// administrator or the pin permission of a restricted member.
pub(crate) fn member_with(w: &World, user_id: i64, status: MemberStatus, can_pin: bool) -> Value {
    let mut v = json!({"user": user(w, user_id), "status": status.as_str()});
    let extra = match status {
        MemberStatus::Creator => json!({"is_anonymous": false}),
        MemberStatus::Administrator => json!({
            "can_be_edited": false, "is_anonymous": false, "can_manage_chat": true,
            "can_delete_messages": true, "can_manage_video_chats": true,
            "can_restrict_members": true, "can_promote_members": false, "can_change_info": true,
            "can_invite_users": true, "can_post_stories": false, "can_edit_stories": false,
            "can_delete_stories": false, "can_pin_messages": can_pin, "can_manage_topics": false
        }),
        MemberStatus::Restricted => json!({
            "until_date": 0, "is_member": true, "can_send_messages": true,
            "can_send_audios": true, "can_send_documents": true, "can_send_photos": true,
            "can_send_videos": true, "can_send_video_notes": true, "can_send_voice_notes": true,
            "can_send_polls": true, "can_send_other_messages": true,
            "can_add_web_page_previews": true, "can_change_info": false, "can_invite_users": true,
            "can_pin_messages": can_pin, "can_manage_topics": false
        }),
        MemberStatus::Kicked => json!({"until_date": 0}),
        MemberStatus::Member | MemberStatus::Left => json!({}),
    };
    for (k, x) in extra.as_object().into_iter().flatten() {
        v[k] = x.clone();
    }
    v
}

pub(crate) fn member(w: &World, chat_id: i64, user_id: i64) -> Value {
    let c = w.chat(chat_id);
    member_with(w, user_id, c.status(user_id), c.can_pin(user_id))
}

/// A `ChatMemberUpdated` about `user` in `chat`, from `old` to `new`
/// (each a status and its pin right).
pub(crate) fn member_updated(
    w: &World,
    chat_id: i64,
    from: i64,
    user_id: i64,
    old: (MemberStatus, bool),
    new: (MemberStatus, bool),
) -> Value {
    json!({
        "chat": chat(w, chat_id),
        "from": user(w, from),
        "date": now(),
        "old_chat_member": member_with(w, user_id, old.0, old.1),
        "new_chat_member": member_with(w, user_id, new.0, new.1),
    })
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
