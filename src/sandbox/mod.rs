//! A Bot API-compatible HTTP server over an in-memory Telegram world, for tests and `pingan sandbox`.
//!
//! Start it with [`Sandbox::start`], point the bot at [`Sandbox::api_url`] with token [`Sandbox::TOKEN`],
//! then make users act ([`Sandbox::send_text`], [`Sandbox::press_button`], …) and read what the bot did
//! ([`Sandbox::messages`], [`Sandbox::wait_message`], …).
//!
//! Differences from Telegram worth knowing: Markdown parse modes are accepted but not interpreted;
//! an `&` that does not start a valid HTML entity is rejected (Telegram is lenient there); the bot reads
//! all group messages (privacy mode off); webhooks are recorded but updates are not pushed to them.
//!
//! Rights: the bot joins a group as a plain member; [`Sandbox::promote`] makes it an administrator
//! with every right, [`Sandbox::set_bot_rights`] sets its standing precisely (with the
//! `my_chat_member` update Telegram sends). Pinning without the right is refused with Telegram's 400,
//! counted in [`SandboxStats::pin_refusals`].

mod actions;
mod chats;
pub mod html;
mod json;
pub mod limits;
mod message;
mod methods;
mod multipart;
mod params;
mod server;
mod types;
mod world;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_api;
#[cfg(test)]
mod tests_flow;
#[cfg(test)]
mod tests_rights;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use server::Inner;
pub use types::{
    BotRights, CallbackAnswer, Fault, MemberStatus, SandboxStats, SentKind, SentMessage,
};
use world::{BOT_ID, ChatKind, Content, FaultRule, World};

/// How long [`Sandbox::wait_message`] and [`Sandbox::wait_until`] wait before panicking.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Handle to a running sandbox; cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

impl Sandbox {
    /// The only token accepted; any other gets 401 Unauthorized.
    pub const TOKEN: &'static str = "123456:sandbox";

    /// Starts on `127.0.0.1` with a free port.
    pub async fn start() -> anyhow::Result<Sandbox> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`, serving in a spawned tokio task.
    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner::new());
        let app = server::router(inner.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        tracing::debug!(%addr, "sandbox listening");
        Ok(Sandbox { inner, addr })
    }

    /// Base URL for the bot (`TELOXIDE_API_URL`), e.g. `http://127.0.0.1:PORT/`.
    pub fn api_url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("valid socket address URL")
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bot's user id (username `pingan_bot`, first name `平安`).
    pub fn bot_id(&self) -> i64 {
        BOT_ID
    }

    /// Mutates the world and wakes every waiter.
    fn act<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let r = f(&mut self.inner.lock());
        self.inner.notify();
        r
    }

    fn read<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        f(&self.inner.lock())
    }

    // --- the world ---

    /// Adds a user; ids are 100000001, 100000002, …
    pub fn add_user(&self, first_name: &str, username: Option<&str>) -> i64 {
        self.act(|w| w.add_user(first_name, username))
    }

    /// Creates a basic group (id like -4000000001) with `creator` as its creator.
    pub fn create_group(&self, title: &str, creator: i64) -> i64 {
        self.act(|w| w.create_chat(ChatKind::Group, title, creator))
    }

    /// Creates a supergroup (id like -1001000000001) with `creator` as its creator.
    pub fn create_supergroup(&self, title: &str, creator: i64) -> i64 {
        self.act(|w| w.create_chat(ChatKind::Supergroup, title, creator))
    }

    /// Makes `user` a member of `chat` (no update is emitted).
    pub fn join(&self, chat: i64, user: i64) {
        self.act(|w| w.set_status(chat, user, MemberStatus::Member))
    }

    /// Makes `user` an administrator of `chat`; for the bot this emits `my_chat_member`.
    pub fn promote(&self, chat: i64, user: i64) {
        self.act(|w| w.promote(chat, user))
    }

    /// Gives the bot `rights` in `chat` (promoted, demoted to a member, or
    /// restricted), with the `my_chat_member` update Telegram sends.
    pub fn set_bot_rights(&self, chat: i64, rights: BotRights) {
        self.act(|w| w.set_bot_rights(chat, rights, true))
    }

    /// Like [`Sandbox::set_bot_rights`] but without an update, as if the
    /// bot missed it: it learns only when Telegram refuses a request.
    pub fn set_bot_rights_unannounced(&self, chat: i64, rights: BotRights) {
        self.act(|w| w.set_bot_rights(chat, rights, false))
    }

    /// Whether the bot may pin messages in `chat`.
    pub fn bot_can_pin(&self, chat: i64) -> bool {
        self.read(|w| w.chat(chat).can_pin(BOT_ID))
    }

    /// `by` adds the bot: a `my_chat_member` update (→ member) and a `new_chat_members` message.
    pub fn add_bot(&self, chat: i64, by: i64) {
        self.act(|w| w.add_bot(chat, by))
    }

    /// `by` removes the bot: a `my_chat_member` update (→ kicked); later sends get 403.
    pub fn remove_bot(&self, chat: i64, by: i64) {
        self.act(|w| w.remove_bot(chat, by))
    }

    /// Upgrades a basic group to a supergroup and returns the new id.
    pub fn migrate(&self, chat: i64) -> i64 {
        self.act(|w| w.migrate(chat))
    }

    /// The user blocks the bot: private sends get 403 until the user writes again.
    pub fn block_bot(&self, user: i64) {
        self.act(|w| {
            w.user(user);
            w.users.get_mut(&user).expect("checked").blocked = true;
        })
    }

    // --- users act ---

    /// A text message (private chat when `chat == from`); a leading `/command` gets a `bot_command` entity.
    pub fn send_text(&self, chat: i64, from: i64, text: &str) -> i64 {
        self.act(|w| w.user_message(chat, from, World::text_content(text), None))
    }

    /// A text reply to message `reply_to` (the bot's or a user's).
    pub fn reply_text(&self, chat: i64, from: i64, reply_to: i64, text: &str) -> i64 {
        self.act(|w| w.user_message(chat, from, World::text_content(text), Some(reply_to)))
    }

    /// A photo with a caption.
    pub fn send_photo(&self, chat: i64, from: i64, caption: &str) -> i64 {
        self.act(|w| {
            let content = w.photo_content(caption);
            w.user_message(chat, from, content, None)
        })
    }

    /// A shared location.
    pub fn send_location(&self, chat: i64, from: i64, latitude: f64, longitude: f64) -> i64 {
        self.act(|w| {
            w.user_message(
                chat,
                from,
                Content::Location {
                    latitude,
                    longitude,
                },
                None,
            )
        })
    }

    /// Presses an inline button (any `data`, it is not checked); returns the callback query id.
    pub fn press_button(&self, chat: i64, message_id: i64, from: i64, data: &str) -> String {
        self.act(|w| w.press_button(chat, message_id, from, data))
    }

    // --- reading what the bot did ---

    /// The bot's messages in `chat`, in order, in their current state (deleted ones included, flagged).
    pub fn messages(&self, chat: i64) -> Vec<SentMessage> {
        self.read(|w| {
            w.bot_messages()
                .into_iter()
                .filter(|m| m.chat_id == chat)
                .collect()
        })
    }

    /// All the bot's messages, in send order.
    pub fn all_messages(&self) -> Vec<SentMessage> {
        self.read(World::bot_messages)
    }

    /// The bytes of the file (photo or document) the bot uploaded with
    /// message `message_id` in `chat`; `None` for text, or a file sent by
    /// URL or file id the sandbox never received.
    pub fn file_bytes(&self, chat: i64, message_id: i64) -> Option<Vec<u8>> {
        self.read(|w| {
            let file = match &w.msg(chat, message_id)?.content {
                Content::Photo { file, .. } | Content::Document { file, .. } => file,
                _ => return None,
            };
            w.file_data.get(&file.file_id).map(|d| d.to_vec())
        })
    }

    /// The bot's messages from the `from`-th sent on (in send order, in their
    /// current state), and how many it has sent in all: a long watch reads
    /// only what is new instead of copying every message on each change.
    pub fn messages_since(&self, from: usize) -> (Vec<SentMessage>, usize) {
        self.read(|w| {
            let new = w
                .bot_msgs
                .iter()
                .skip(from)
                .filter_map(|&(c, id)| w.msg(c, id))
                .map(|m| m.to_sent())
                .collect();
            (new, w.bot_msgs.len())
        })
    }

    /// One of the bot's messages, in its current state.
    pub fn message(&self, chat: i64, message_id: i64) -> Option<SentMessage> {
        self.read(|w| w.msg(chat, message_id).map(|m| m.to_sent()))
    }

    /// The bot's most recent message in `chat`.
    pub fn last_message(&self, chat: i64) -> Option<SentMessage> {
        self.messages(chat).pop()
    }

    /// Waits until some bot message satisfies `pred` (checked now, and on every new message or edit);
    /// returns the most recent such message. Panics after [`WAIT_TIMEOUT`] with a dump of all bot messages.
    pub async fn wait_message(
        &self,
        what: &str,
        pred: impl Fn(&SentMessage) -> bool,
    ) -> SentMessage {
        let mut found = None;
        self.wait_until(what, |sb| {
            found = sb.all_messages().into_iter().rev().find(|m| pred(m));
            found.is_some()
        })
        .await;
        found.expect("condition held")
    }

    /// Waits until `cond` holds, re-checking on every state change; panics after [`WAIT_TIMEOUT`].
    pub async fn wait_until(&self, what: &str, mut cond: impl FnMut(&Sandbox) -> bool) {
        let mut rx = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
        loop {
            rx.borrow_and_update();
            if cond(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!(
                    "sandbox: timed out after {WAIT_TIMEOUT:?} waiting for {what}\n{}",
                    self.dump()
                );
            }
        }
    }

    /// A receiver that changes whenever the world does (a message, an edit,
    /// an update taken), for watching the bot without polling.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    /// A readable listing of every bot message, for failure reports.
    pub fn dump(&self) -> String {
        let msgs = self.all_messages();
        if msgs.is_empty() {
            return "bot messages: (none)".into();
        }
        let lines: Vec<String> = msgs.iter().map(|m| format!("  {m}")).collect();
        format!("bot messages ({}):\n{}", msgs.len(), lines.join("\n"))
    }

    /// Every `answerCallbackQuery` the bot made, in order.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.read(|w| w.answers.clone())
    }

    /// Commands set for a scope type (`default`, `all_private_chats`, `all_group_chats`,
    /// `all_chat_administrators`; chat scopes as `chat:<id>`), without language code.
    pub fn my_commands(&self, scope: &str) -> Vec<(String, String)> {
        self.read(|w| w.commands.get(scope).cloned().unwrap_or_default())
    }

    /// Commands set for a scope and language code.
    pub fn my_commands_for(&self, scope: &str, language_code: &str) -> Vec<(String, String)> {
        self.read(|w| {
            w.commands
                .get(&format!("{scope}#{language_code}"))
                .cloned()
                .unwrap_or_default()
        })
    }

    /// Updates not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.read(|w| w.updates.len())
    }

    pub fn stats(&self) -> SandboxStats {
        self.read(|w| w.stats.clone())
    }

    /// URL and secret token set by `setWebhook`.
    pub fn webhook(&self) -> Option<(String, Option<String>)> {
        self.read(|w| w.webhook.clone())
    }

    /// A user's first name.
    pub fn user_name(&self, user: i64) -> String {
        self.read(|w| w.user(user).first_name.clone())
    }

    /// A group's title (or a private chat's first name).
    pub fn chat_title(&self, chat: i64) -> String {
        self.read(|w| w.chat(chat).title.clone())
    }

    /// `user`'s status in `chat` (`Left` when never a member).
    pub fn member_status(&self, chat: i64, user: i64) -> MemberStatus {
        self.read(|w| w.chat(chat).status(user))
    }

    // --- faults and limits ---

    /// The next `times` calls of `method` (case-insensitive; only to `chat` if given) fail with `fault`.
    pub fn inject(&self, method: &str, chat: Option<i64>, times: u32, fault: Fault) {
        let rule = FaultRule {
            method: method.to_ascii_lowercase(),
            chat,
            remaining: times,
            fault,
        };
        self.act(|w| w.faults.push(rule))
    }

    /// Numbers the next updates after `update_id`, for a bot whose database
    /// remembers updates of an earlier sandbox (it would skip ids it has seen).
    pub fn resume_updates_after(&self, update_id: i64) {
        self.act(|w| w.resume_updates_after(update_id))
    }

    /// Turns flood limits on or off (default on).
    pub fn set_enforce_limits(&self, on: bool) {
        self.act(|w| w.enforce = on)
    }
}
