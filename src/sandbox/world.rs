//! The in-memory Telegram world: users, chats, memberships, messages, pending updates and bookkeeping.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::limits::Limiter;
pub(crate) use super::message::{Content, FileRec, Msg};
use super::types::{CallbackAnswer, Fault, MemberStatus, SandboxStats, SentMessage};

/// The bot's user id (the numeric part of the token).
pub(crate) const BOT_ID: i64 = 123456;
pub(crate) const BOT_USERNAME: &str = "pingan_bot";
pub(crate) const BOT_NAME: &str = "平安";
/// Telegram's "GroupAnonymousBot", author of `migrate_from_chat_id` service messages.
pub(crate) const ANON_BOT_ID: i64 = 1087968824;

pub(crate) struct UserRec {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub is_bot: bool,
    /// The user has written to the bot, so it may message them.
    pub opened: bool,
    pub blocked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChatKind {
    Private,
    Group,
    Supergroup,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
        }
    }
}

pub(crate) struct ChatRec {
    pub kind: ChatKind,
    /// Group title, or the user's first name for private chats.
    pub title: String,
    pub members: BTreeMap<i64, MemberStatus>,
    /// A member's pin right where it differs from its status's default
    /// (administrators and the creator may pin, others may not).
    pub pin_rights: BTreeMap<i64, bool>,
    pub migrated_to: Option<i64>,
    pub next_msg: i64,
    pub msgs: BTreeMap<i64, Msg>,
}

impl ChatRec {
    pub fn status(&self, user: i64) -> MemberStatus {
        self.members
            .get(&user)
            .copied()
            .unwrap_or(MemberStatus::Left)
    }

    /// Whether `user` may pin messages here (the administrator right
    /// `can_pin_messages`, or a restricted member's permission of that name).
    pub fn can_pin(&self, user: i64) -> bool {
        let status = self.status(user);
        status.is_present()
            && self
                .pin_rights
                .get(&user)
                .copied()
                .unwrap_or(status.is_admin())
    }
}

pub(crate) struct FaultRule {
    /// Lowercase method name.
    pub method: String,
    pub chat: Option<i64>,
    pub remaining: u32,
    pub fault: Fault,
}

pub(crate) struct World {
    pub users: BTreeMap<i64, UserRec>,
    pub chats: BTreeMap<i64, ChatRec>,
    next_user: i64,
    next_group: i64,
    next_super: i64,
    /// Unconfirmed updates: (update_id, full Update JSON).
    pub updates: VecDeque<(i64, Value)>,
    next_update: i64,
    /// (chat, message_id) of every bot message, in send order.
    pub bot_msgs: Vec<(i64, i64)>,
    /// Callback query id → already answered.
    pub callbacks: HashMap<String, bool>,
    pub answers: Vec<CallbackAnswer>,
    next_cb: u64,
    /// Scope key (+ `:lang`) → commands.
    pub commands: BTreeMap<String, Vec<(String, String)>>,
    pub webhook: Option<(String, Option<String>)>,
    /// Update kinds the bot asked for with `allowed_updates` (None = all).
    pub allowed_updates: Option<Vec<String>>,
    /// Bumped by every getUpdates; an older waiting poll is terminated with 409.
    pub poll_gen: u64,
    pub faults: Vec<FaultRule>,
    pub limiter: Limiter,
    pub enforce: bool,
    pub stats: SandboxStats,
    pub files: HashMap<String, FileRec>,
    /// The bytes of uploaded files, by file id.
    pub file_data: HashMap<String, std::sync::Arc<[u8]>>,
    next_file: u64,
}

/// Current unix time in seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as i64)
}

impl World {
    pub fn new() -> World {
        let mut w = World {
            users: BTreeMap::new(),
            chats: BTreeMap::new(),
            next_user: 100_000_001,
            next_group: 4_000_000_001,
            next_super: 1_001_000_000_001,
            updates: VecDeque::new(),
            next_update: 700_000_001,
            bot_msgs: Vec::new(),
            callbacks: HashMap::new(),
            answers: Vec::new(),
            next_cb: 1,
            commands: BTreeMap::new(),
            webhook: None,
            allowed_updates: None,
            poll_gen: 0,
            faults: Vec::new(),
            limiter: Limiter::default(),
            enforce: true,
            stats: SandboxStats::default(),
            files: HashMap::new(),
            file_data: HashMap::new(),
            next_file: 1,
        };
        w.users.insert(
            BOT_ID,
            UserRec {
                id: BOT_ID,
                first_name: BOT_NAME.into(),
                username: Some(BOT_USERNAME.into()),
                is_bot: true,
                opened: false,
                blocked: false,
            },
        );
        w
    }

    pub fn add_user(&mut self, first_name: &str, username: Option<&str>) -> i64 {
        let id = self.next_user;
        self.next_user += 1;
        let rec = UserRec {
            id,
            first_name: first_name.into(),
            username: username.map(|u| u.trim_start_matches('@').to_string()),
            is_bot: false,
            opened: false,
            blocked: false,
        };
        self.users.insert(id, rec);
        id
    }

    pub fn user(&self, id: i64) -> &UserRec {
        self.users
            .get(&id)
            .unwrap_or_else(|| panic!("sandbox: unknown user {id}"))
    }

    pub fn create_chat(&mut self, kind: ChatKind, title: &str, creator: i64) -> i64 {
        self.user(creator);
        let id = match kind {
            ChatKind::Group => {
                self.next_group += 1;
                -(self.next_group - 1)
            }
            ChatKind::Supergroup => {
                self.next_super += 1;
                -(self.next_super - 1)
            }
            ChatKind::Private => panic!("private chats are opened by messages"),
        };
        let mut members = BTreeMap::new();
        members.insert(creator, MemberStatus::Creator);
        self.insert_chat(id, kind, title, members);
        id
    }

    pub fn insert_chat(
        &mut self,
        id: i64,
        kind: ChatKind,
        title: &str,
        members: BTreeMap<i64, MemberStatus>,
    ) {
        let rec = ChatRec {
            kind,
            title: title.into(),
            members,
            pin_rights: BTreeMap::new(),
            migrated_to: None,
            next_msg: 1,
            msgs: BTreeMap::new(),
        };
        self.chats.insert(id, rec);
    }

    /// The private chat with `user`, created on first use.
    pub fn private_chat(&mut self, user: i64) -> &mut ChatRec {
        let name = self.user(user).first_name.clone();
        self.chats.entry(user).or_insert_with(|| ChatRec {
            kind: ChatKind::Private,
            title: name,
            members: BTreeMap::from([(user, MemberStatus::Member), (BOT_ID, MemberStatus::Member)]),
            pin_rights: BTreeMap::new(),
            migrated_to: None,
            next_msg: 1,
            msgs: BTreeMap::new(),
        })
    }

    pub fn chat(&self, id: i64) -> &ChatRec {
        self.chats
            .get(&id)
            .unwrap_or_else(|| panic!("sandbox: unknown chat {id}"))
    }

    pub fn chat_mut(&mut self, id: i64) -> &mut ChatRec {
        self.chats
            .get_mut(&id)
            .unwrap_or_else(|| panic!("sandbox: unknown chat {id}"))
    }

    pub fn msg(&self, chat: i64, id: i64) -> Option<&Msg> {
        self.chats.get(&chat)?.msgs.get(&id)
    }

    /// Whether the bot receives updates from `chat`.
    pub fn bot_present(&self, chat: i64) -> bool {
        self.chats
            .get(&chat)
            .is_some_and(|c| c.status(BOT_ID).is_present())
    }

    /// Stores a message (allocating its id) and returns the id.
    pub fn add_msg(&mut self, mut msg: Msg) -> i64 {
        let chat = self.chat_mut(msg.chat);
        msg.id = chat.next_msg;
        chat.next_msg += 1;
        let id = msg.id;
        let is_bot = msg.from == BOT_ID;
        let chat_id = msg.chat;
        chat.msgs.insert(id, msg);
        if is_bot {
            self.bot_msgs.push((chat_id, id));
        }
        id
    }

    /// Queues an update of `kind` (`message`, `callback_query`, …) with `payload`.
    pub fn push_update(&mut self, kind: &str, payload: Value) {
        let id = self.next_update;
        self.next_update += 1;
        let mut u = serde_json::Map::new();
        u.insert("update_id".into(), id.into());
        u.insert(kind.into(), payload);
        self.updates.push_back((id, Value::Object(u)));
    }

    /// Queues a `message` update for a stored message, if the bot can see that chat.
    pub fn emit_message(&mut self, chat: i64, id: i64) {
        if !self.bot_present(chat) {
            return;
        }
        if let Some(m) = self.msg(chat, id) {
            let json = super::json::message(self, m);
            self.push_update("message", json);
        }
    }

    /// Registers a new file and returns it.
    pub fn new_file(
        &mut self,
        photo: bool,
        file_name: Option<String>,
        size: u64,
        mime: Option<String>,
    ) -> FileRec {
        let n = self.next_file;
        self.next_file += 1;
        let prefix = if photo {
            "AgACAgUAAxkBAAI"
        } else {
            "BQACAgUAAxkBAAI"
        };
        let rec = FileRec {
            file_id: format!("{prefix}{n:06}sandbox"),
            unique_id: format!("AQAD{n:06}"),
            file_name,
            size,
            mime,
        };
        self.files.insert(rec.file_id.clone(), rec.clone());
        rec
    }

    /// Numbers the next updates after `update_id` (never backwards).
    pub fn resume_updates_after(&mut self, update_id: i64) {
        self.next_update = self.next_update.max(update_id + 1);
    }

    pub fn new_callback_id(&mut self) -> String {
        let n = self.next_cb;
        self.next_cb += 1;
        let id = format!("{}", 4_242_000_000_000_000_000u64 + n);
        self.callbacks.insert(id.clone(), false);
        id
    }

    pub fn bot_messages(&self) -> Vec<SentMessage> {
        self.bot_msgs
            .iter()
            .filter_map(|&(c, id)| self.msg(c, id))
            .map(Msg::to_sent)
            .collect()
    }
}
