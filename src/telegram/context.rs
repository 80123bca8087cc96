//! What a command handler knows about the message it answers, and the one
//! error type for what the user is told.

use teloxide::types::{Chat, User};

use crate::app::App;
use crate::domain::{Action, Actor, Denied, Grant, Level, Node, NodeCode};
use crate::i18n::{Locale, esc};
use crate::store::groups::GroupChat;
use crate::store::outbox::Outgoing;
use crate::store::{Conn, groups, nodes, people, updates};
use crate::telegram::command::CommandSpec;
use crate::tr;

/// A Telegram user as far as a command is concerned.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
}

impl Person {
    /// Escaped, ready for an HTML reply.
    pub fn label(&self) -> String {
        if self.name.trim().is_empty() {
            format!("ID {}", self.id)
        } else {
            esc(&self.name)
        }
    }
}

pub struct Ctx {
    pub app: App,
    pub locale: Locale,
    /// Domain time (seconds).
    pub now: i64,
    pub chat_id: i64,
    pub message_id: i64,
    /// `None` in a private chat.
    pub group: Option<GroupChat>,
    pub sender: Person,
    /// What the bot knows of the sender (private chat open, grid).
    pub known: people::User,
    pub actor: Actor,
    /// The author of the message this command replies to.
    pub replied: Option<Person>,
    /// Whether the sender is a Telegram administrator of this group, asked
    /// with `getChatMember` before the command runs (only for commands that need it).
    pub tg_admin: Option<bool>,
    /// The bot's own standing in this group, asked with `getChatMember`
    /// before the command runs (only at `/bind`).
    pub bot_rights: Option<crate::store::groups::BotRights>,
    /// Messages to queue besides the reply.
    pub out: Vec<Outgoing>,
    /// Buttons for the reply itself (inline keyboard JSON).
    pub reply_markup: Option<String>,
    /// The photo or location the message carries (or, for a command, the
    /// one in the resident's message it replies to).
    pub attachment: Option<crate::domain::case::Attachment>,
    /// The text of the message this one replies to (any author, bots too).
    pub replied_text: Option<String>,
}

/// What went wrong, as the user will be told. Internal failures are logged
/// and the user gets a short apology instead of their text.
#[derive(Debug)]
pub enum UserError {
    /// Malformed: the problem, then the usage line.
    Usage(&'static CommandSpec, String),
    /// Well-formed but not allowed or not possible.
    Refused(String),
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for UserError {
    fn from(e: sqlx::Error) -> Self {
        UserError::Internal(e.into())
    }
}

impl From<anyhow::Error> for UserError {
    fn from(e: anyhow::Error) -> Self {
        UserError::Internal(e)
    }
}

pub type Outcome = Result<String, UserError>;

/// Where a command was sent or a button pressed.
#[derive(Debug, Clone, Copy)]
pub struct Here {
    pub chat_id: i64,
    pub private: bool,
    /// The command message, or the message carrying the pressed button.
    pub message_id: i64,
}

/// An update's sender and chat as recorded by [`arrive`].
pub struct Arrival {
    pub group: Option<GroupChat>,
    pub known: people::User,
    pub grants: Vec<Grant>,
}

/// Starts an update's work inside its transaction: records the update (so a
/// redelivered one changes nothing twice), the group and the sender. `None`
/// when the update was handled before.
pub async fn arrive(
    conn: &mut Conn,
    update_id: i64,
    chat: &Chat,
    from: &User,
    now: i64,
) -> anyhow::Result<Option<Arrival>> {
    if !updates::mark_processed(conn, update_id, now).await? {
        return Ok(None);
    }
    let group = if chat.is_private() {
        None
    } else {
        Some(groups::seen(conn, chat.id.0, chat.title().unwrap_or_default(), true, now).await?)
    };
    let grid = group
        .as_ref()
        .and_then(|g| g.node.as_ref())
        .filter(|c| c.level() == Level::Grid);
    let (known, grants) = people::seen(
        conn,
        &people::Sighting {
            id: from.id.0 as i64,
            username: from.username.as_deref(),
            first_name: &from.first_name,
            last_name: from.last_name.as_deref(),
            private: chat.is_private(),
            grid,
        },
        now,
    )
    .await?;
    Ok(Some(Arrival {
        group,
        known,
        grants,
    }))
}

impl Ctx {
    /// What the permission rule and the handlers need about the sender and
    /// the chat, from what [`arrive`] recorded.
    pub fn new(
        app: &App,
        here: Here,
        sender: Person,
        arrival: Arrival,
        replied: Option<Person>,
        tg_admin: Option<bool>,
    ) -> Ctx {
        let actor = Actor {
            user_id: sender.id,
            superadmin: app.settings.superadmins.contains(&sender.id),
            grants: arrival.grants,
        };
        Ctx {
            app: app.clone(),
            locale: app.settings.locale,
            now: app.clock.now(),
            chat_id: here.chat_id,
            message_id: here.message_id,
            group: arrival.group,
            sender,
            known: arrival.known,
            actor,
            replied,
            tg_admin,
            bot_rights: None,
            out: Vec::new(),
            reply_markup: None,
            attachment: None,
            replied_text: None,
        }
    }

    pub fn in_private(&self) -> bool {
        self.group.is_none()
    }

    /// The node this group is bound to.
    pub fn here(&self) -> Option<&NodeCode> {
        self.group
            .as_ref()
            .filter(|g| g.active)
            .and_then(|g| g.node.as_ref())
    }

    pub fn usage(&self, spec: &'static CommandSpec, problem: String) -> UserError {
        UserError::Usage(spec, problem)
    }

    pub fn refuse(&self, text: String) -> UserError {
        UserError::Refused(text)
    }

    /// Applies the permission rule, with the refusal worded for the user.
    pub fn require(&self, action: Action<'_>) -> Result<(), UserError> {
        let code = match &action {
            Action::View(c)
            | Action::Bind(c)
            | Action::Operate(c)
            | Action::ManageRoles(c)
            | Action::AddChild(Some(c))
            | Action::Amend { node: c, .. }
            | Action::Supervise(c) => c.as_str().to_string(),
            _ => String::new(),
        };
        self.actor.may(action).map_err(|denied| {
            let l = self.locale;
            UserError::Refused(match denied {
                Denied::NotStaff => tr!(
                    l,
                    "您在 {code} 及其上级没有职务，无权执行此操作。",
                    "You hold no role on {code} or above it, so you may not do this."
                ),
                Denied::NotAdmin => tr!(
                    l,
                    "只有 {code} 或其上级节点的管理员可以执行此操作。",
                    "Only an admin of {code} or a node above it may do this."
                ),
                Denied::NotSuperadmin => tr!(
                    l,
                    "只有超级管理员可以创建区级节点。",
                    "Only a superadmin may create a district."
                ),
                Denied::NotYours => tr!(l, "这不属于您。", "That is not yours."),
                Denied::NotAbove => tr!(
                    l,
                    "只有 {code} 上级节点的管理员可以挂牌督办。",
                    "Only an admin of a node above {code} may put it under supervision."
                ),
            })
        })
    }

    /// Parses a node code typed by the user.
    pub fn parse_code(&self, spec: &'static CommandSpec, raw: &str) -> Result<NodeCode, UserError> {
        NodeCode::parse(raw).map_err(|_| {
            self.usage(
                spec,
                tr!(
                    self.locale,
                    "「{}」不是有效的节点编码（如 xq.hmk.c1.g3）。",
                    "“{}” is not a node code (like xq.hmk.c1.g3).",
                    esc(raw)
                ),
            )
        })
    }

    /// Loads a node that must exist.
    pub async fn node(&self, conn: &mut Conn, code: &NodeCode) -> Result<Node, UserError> {
        nodes::get(conn, code).await?.ok_or_else(|| {
            self.refuse(tr!(
                self.locale,
                "节点 {code} 不存在。发送 /tree 查看节点。",
                "There is no node {code}. Send /tree to see the nodes."
            ))
        })
    }

    /// The node a command is about when none is named: this group's node,
    /// else the highest node the sender holds a role on, else (superadmin) the district.
    pub async fn default_scope(
        &self,
        conn: &mut Conn,
        spec: &'static CommandSpec,
    ) -> Result<NodeCode, UserError> {
        if let Some(code) = self.here() {
            return Ok(code.clone());
        }
        if let Some(top) = self.actor.top_nodes().into_iter().next() {
            return Ok(top);
        }
        if self.actor.superadmin {
            if let Some(root) = nodes::roots(conn).await?.into_iter().next() {
                return Ok(root.code);
            }
            return Err(self.refuse(tr!(
                self.locale,
                "还没有任何节点：发送 /addnode - xq 西区 创建区，或由运维人员运行 pingan import。",
                "There are no nodes yet: send /addnode - xq Xiqu to create the district, or have the operator run pingan import."
            )));
        }
        Err(self.usage(
            spec,
            tr!(self.locale, "请指明节点编码。", "Name a node code."),
        ))
    }

    /// The node a command names in its only (optional) argument, or the
    /// default scope when it names none.
    pub async fn scope_arg(
        &self,
        conn: &mut Conn,
        spec: &'static CommandSpec,
        args: &str,
    ) -> Result<NodeCode, UserError> {
        match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [] => self.default_scope(conn, spec).await,
            [raw] => self.parse_code(spec, raw),
            _ => Err(self.usage(
                spec,
                tr!(
                    self.locale,
                    "只需一个节点编码。",
                    "Give at most one node code."
                ),
            )),
        }
    }

    /// Finds the person a command names: `123456`, `@username`, or the author of the replied message.
    pub async fn resolve_person(&self, conn: &mut Conn, token: &str) -> Result<Person, UserError> {
        let l = self.locale;
        if let Some(name) = token.strip_prefix('@') {
            let user = people::by_username(conn, name).await?.ok_or_else(|| {
                self.refuse(tr!(
                    l,
                    "还不认识 @{}：请对方先给机器人发一条消息，或改用数字 ID。",
                    "I have not seen @{} yet: ask them to message the bot first, or use their numeric id.",
                    esc(name)
                ))
            })?;
            return Ok(Person {
                id: user.id,
                name: user.display_name(),
                username: user.username,
            });
        }
        match token.parse::<i64>() {
            Ok(id) if id > 0 => {
                let user = people::get(conn, id).await?;
                Ok(Person {
                    id,
                    name: user.as_ref().map(|u| u.display_name()).unwrap_or_default(),
                    username: user.and_then(|u| u.username),
                })
            }
            _ => Err(UserError::Refused(tr!(
                l,
                "「{}」不是用户：请写数字 ID、@用户名，或回复对方的消息。",
                "“{}” is not a user: write a numeric id or @username, or reply to their message.",
                esc(token)
            ))),
        }
    }
}
