//! What users do in the world (messages, button presses) and administrative changes (bot added/removed, migration).

use serde_json::json;

use super::json;
use super::types::{BotRights, MemberStatus};
use super::world::{ANON_BOT_ID, BOT_ID, ChatKind, Content, Msg, World};

/// Length in bytes (= UTF-16 units, it is ASCII) of a leading `/command` or `/command@bot`, if any.
pub(crate) fn leading_command(text: &str) -> Option<usize> {
    let rest = text.strip_prefix('/')?;
    let word = |s: &str| {
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count()
    };
    let cmd = word(rest);
    if cmd == 0 {
        return None;
    }
    let mut len = 1 + cmd;
    if let Some(at) = rest[cmd..].strip_prefix('@') {
        let bot = word(at);
        if bot > 0 {
            len += 1 + bot;
        }
    }
    Some(len)
}

/// Entities Telegram detects in user text: a leading bot command.
pub(crate) fn user_entities(text: &str) -> Vec<serde_json::Value> {
    leading_command(text)
        .map(|len| json!({"type": "bot_command", "offset": 0, "length": len}))
        .into_iter()
        .collect()
}

impl World {
    /// A user posts `content` in `chat` (a private chat when `chat == from`); returns the message id.
    pub fn user_message(
        &mut self,
        chat: i64,
        from: i64,
        content: Content,
        reply_to: Option<i64>,
    ) -> i64 {
        self.user(from);
        if chat == from {
            let u = self.users.get_mut(&from).expect("checked");
            u.opened = true;
            u.blocked = false;
            self.private_chat(from);
        } else {
            self.chat(chat);
        }
        if let Some(r) = reply_to {
            assert!(
                self.msg(chat, r).is_some(),
                "sandbox: reply to unknown message {r} in chat {chat}"
            );
        }
        let mut m = Msg::new(chat, from, content);
        m.reply_to = reply_to;
        let id = self.add_msg(m);
        self.emit_message(chat, id);
        id
    }

    pub fn text_content(text: &str) -> Content {
        Content::Text {
            text: text.into(),
            entities: user_entities(text),
        }
    }

    pub fn photo_content(&mut self, caption: &str) -> Content {
        let file = self.new_file(true, None, 84_213, Some("image/jpeg".into()));
        Content::Photo {
            file,
            caption: caption.into(),
            entities: user_entities(caption),
        }
    }

    pub fn set_status(&mut self, chat: i64, user: i64, status: MemberStatus) {
        self.user(user);
        self.chat_mut(chat).members.insert(user, status);
    }

    fn creator(&self, chat: i64) -> i64 {
        let c = self.chat(chat);
        c.members
            .iter()
            .find(|(_, s)| **s == MemberStatus::Creator)
            .map_or(BOT_ID, |(id, _)| *id)
    }

    /// Changes the bot's status (with its status's default pin right) and
    /// tells it with a `my_chat_member` update.
    pub fn set_bot_status(&mut self, chat: i64, by: i64, new: MemberStatus) {
        self.change_bot(chat, by, new, None, true);
    }

    /// Gives the bot `rights` in `chat`, set by its creator; `tell` sends
    /// the `my_chat_member` update Telegram sends (false: a change the bot
    /// missed, which it learns only from a refused request).
    pub fn set_bot_rights(&mut self, chat: i64, rights: BotRights, tell: bool) {
        let by = self.creator(chat);
        self.change_bot(chat, by, rights.status(), Some(rights.can_pin()), tell);
    }

    fn change_bot(
        &mut self,
        chat: i64,
        by: i64,
        status: MemberStatus,
        can_pin: Option<bool>,
        tell: bool,
    ) {
        let c = self.chat(chat);
        let old = (c.status(BOT_ID), c.can_pin(BOT_ID));
        self.set_status(chat, BOT_ID, status);
        let c = self.chat_mut(chat);
        match can_pin {
            Some(p) => c.pin_rights.insert(BOT_ID, p),
            None => c.pin_rights.remove(&BOT_ID),
        };
        let new = (status, c.can_pin(BOT_ID));
        if tell {
            let upd = json::member_updated(self, chat, by, BOT_ID, old, new);
            self.push_update("my_chat_member", upd);
        }
    }

    pub fn add_bot(&mut self, chat: i64, by: i64) {
        assert_ne!(
            self.chat(chat).kind,
            ChatKind::Private,
            "sandbox: add_bot to a private chat"
        );
        self.set_bot_status(chat, by, MemberStatus::Member);
        let id = self.add_msg(Msg::new(chat, by, Content::NewMembers(vec![BOT_ID])));
        self.emit_message(chat, id);
    }

    pub fn remove_bot(&mut self, chat: i64, by: i64) {
        self.set_bot_status(chat, by, MemberStatus::Kicked);
    }

    pub fn promote(&mut self, chat: i64, user: i64) {
        if user == BOT_ID {
            let by = self.creator(chat);
            self.set_bot_status(chat, by, MemberStatus::Administrator);
        } else {
            self.set_status(chat, user, MemberStatus::Administrator);
        }
    }

    /// Upgrades a basic group to a new supergroup; returns the new id.
    pub fn migrate(&mut self, chat: i64) -> i64 {
        let old = self.chat(chat);
        assert_eq!(
            old.kind,
            ChatKind::Group,
            "sandbox: only basic groups migrate"
        );
        assert!(
            old.migrated_to.is_none(),
            "sandbox: chat {chat} already migrated"
        );
        let (title, members) = (old.title.clone(), old.members.clone());
        let pin_rights = old.pin_rights.clone();
        let creator = self.creator(chat);
        let new = self.create_chat(ChatKind::Supergroup, &title, creator);
        self.chat_mut(new).members = members;
        self.chat_mut(new).pin_rights = pin_rights;
        self.chat_mut(chat).migrated_to = Some(new);
        let a = self.add_msg(Msg::new(chat, creator, Content::MigrateTo(new)));
        self.emit_message(chat, a);
        let b = self.add_msg(Msg::new(new, ANON_BOT_ID, Content::MigrateFrom(chat)));
        self.emit_message(new, b);
        new
    }

    /// A user presses an inline button; returns the callback query id.
    pub fn press_button(&mut self, chat: i64, message_id: i64, from: i64, data: &str) -> String {
        let m = self.msg(chat, message_id).unwrap_or_else(|| {
            panic!("sandbox: press_button on unknown message {message_id} in chat {chat}")
        });
        let message = if m.deleted {
            json::inaccessible(self, chat, message_id)
        } else {
            json::message(self, m)
        };
        let id = self.new_callback_id();
        let q = json!({
            "id": id,
            "from": json::user(self, from),
            "message": message,
            "chat_instance": format!("{}", 8_000_000_000_000_000_000u64.wrapping_add(chat.unsigned_abs())),
            "data": data,
        });
        self.push_update("callback_query", q);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world::BOT_USERNAME;

    #[test]
    fn command_detection() {
        assert_eq!(leading_command("/start"), Some(6));
        assert_eq!(leading_command("/report now"), Some(7));
        assert_eq!(
            leading_command(&format!("/help@{BOT_USERNAME} x")),
            Some(16)
        );
        assert_eq!(leading_command("/a@ x"), Some(2));
        assert_eq!(leading_command("hi /start"), None);
        assert_eq!(leading_command("/ x"), None);
        assert_eq!(leading_command("/平安"), None);
    }
}
