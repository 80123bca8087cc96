//! The bot joining and leaving groups, its status and pin right in each
//! (from `my_chat_member`, and `getChatMember` at `/bind` and at start-up),
//! groups becoming supergroups, and people blocking the bot.

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{ChatMemberKind, ChatMemberUpdated};

use crate::app::App;
use crate::i18n::esc;
use crate::outbox;
use crate::store::groups::{BotRights, BotStatus};
use crate::store::outbox::Outgoing;
use crate::store::{groups, nodes, outbox as rows, people, updates};
use crate::tr;

/// The bot's standing as Telegram reports it in a `ChatMember`.
pub fn rights_of(member: &ChatMemberKind) -> BotRights {
    let (status, can_pin) = match member {
        ChatMemberKind::Owner(_) => (BotStatus::Creator, true),
        ChatMemberKind::Administrator(a) => (BotStatus::Administrator, a.can_pin_messages),
        ChatMemberKind::Restricted(r) => (BotStatus::Restricted, r.can_pin_messages),
        // A plain member may pin only where the group lets every member pin;
        // we do not read the group's permissions, so it counts as unable.
        ChatMemberKind::Member(_) => (BotStatus::Member, false),
        ChatMemberKind::Left => (BotStatus::Left, false),
        ChatMemberKind::Banned(_) => (BotStatus::Kicked, false),
    };
    BotRights { status, can_pin }
}

/// Asks Telegram for the bot's own standing in `chat`.
pub async fn ask_rights(bot: &Bot, chat: i64, me: i64) -> Result<BotRights, RequestError> {
    let member = bot.get_chat_member(ChatId(chat), UserId(me as u64)).await?;
    Ok(rights_of(&member.kind))
}

/// At start-up: asks once for the bot's standing in every bound group whose
/// rights are not known yet (groups bound before rights were tracked, or
/// set up by an import). A group that cannot be asked is logged and
/// skipped; it stays unknown, so alerts are not pinned there.
pub async fn learn_unknown_rights(app: &App, bot: &Bot) {
    let unknown = match unknown_rights(app).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "could not list groups with unknown bot rights");
            return;
        }
    };
    for group in unknown {
        let rights = match ask_rights(bot, group.chat_id, app.me.id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, chat = group.chat_id, "getChatMember (the bot) failed");
                continue;
            }
        };
        if let Err(e) = learned(app, group.chat_id, rights).await {
            tracing::warn!(error = %format!("{e:#}"), chat = group.chat_id, "could not record the bot's rights");
        }
    }
}

async fn unknown_rights(app: &App) -> anyhow::Result<Vec<groups::GroupChat>> {
    let mut conn = app.store.conn().await?;
    Ok(groups::rights_unknown(&mut conn).await?)
}

async fn learned(app: &App, chat_id: i64, rights: BotRights) -> anyhow::Result<()> {
    let mut conn = app.store.conn().await?;
    groups::set_rights_if_unknown(&mut conn, chat_id, rights, app.clock.now()).await?;
    Ok(())
}

/// `my_chat_member`: the bot's own membership changed.
pub async fn on_my_chat_member(
    app: &App,
    update_id: i64,
    change: &ChatMemberUpdated,
) -> anyhow::Result<()> {
    let now = app.clock.now();
    let chat_id = change.chat.id.0;
    let was_in = change.old_chat_member.is_present();
    let is_in = change.new_chat_member.is_present();
    let mut tx = app.store.begin().await?;
    if !updates::mark_processed(&mut tx, update_id, now).await? {
        return Ok(());
    }
    if change.chat.is_private() {
        // The user blocked (or unblocked) the bot.
        people::set_private_chat(&mut tx, chat_id, is_in).await?;
        tx.commit().await?;
        return Ok(());
    }
    let title = change.chat.title().unwrap_or_default().to_string();
    let l = app.settings.locale;
    let mut out = Vec::new();
    if is_in && !was_in {
        let group = groups::seen(&mut tx, chat_id, &title, true, now).await?;
        let bound = match group.node {
            Some(code) => nodes::get(&mut tx, &code).await?,
            None => None,
        };
        let text = match bound {
            Some(node) => tr!(
                l,
                "我回来了。本群仍绑定到 <b>{}</b>（{}）。",
                "I am back. This group is still bound to <b>{}</b> ({}).",
                esc(&node.name),
                node.code
            ),
            None => tr!(
                l,
                "大家好，我是平安机器人。\n请本群的 Telegram 管理员（须是该节点或其上级节点的管理员）发送 /bind &lt;节点编码&gt; 绑定本群，例如 /bind xq.hmk.c1.g3。绑定后，平安提示和事项进展会发到这里。",
                "Hello, I am the pingan bot.\nA Telegram administrator of this group who is an admin of the node (or of a node above it) should send /bind &lt;node-code&gt;, e.g. /bind xq.hmk.c1.g3. Once bound, safety alerts and case updates are posted here."
            ),
        };
        out.push(Outgoing::text(chat_id, text));
    } else if was_in && !is_in {
        groups::seen(&mut tx, chat_id, &title, false, now).await?;
        rows::fail_chat(&mut tx, chat_id, "the bot was removed from the group").await?;
        tracing::info!(
            chat = chat_id,
            "removed from a group; its binding is now inactive"
        );
    }
    let rights = rights_of(&change.new_chat_member.kind);
    groups::set_rights(&mut tx, chat_id, &title, rights, now).await?;
    outbox::queue(&mut tx, &out, now).await?;
    tx.commit().await?;
    app.wake_dispatcher();
    Ok(())
}

/// A group became a supergroup: the binding and anything queued move along.
pub async fn on_migrated(app: &App, update_id: i64, old: i64, new: i64) -> anyhow::Result<()> {
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    if !updates::mark_processed(&mut tx, update_id, now).await? {
        return Ok(());
    }
    if groups::by_chat(&mut tx, new)
        .await?
        .is_none_or(|g| g.node.is_none())
    {
        groups::migrate(&mut tx, old, new, now).await?;
    }
    rows::move_chat(&mut tx, old, new).await?;
    tx.commit().await?;
    app.wake_dispatcher();
    Ok(())
}
