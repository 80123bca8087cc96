//! The bot joining and leaving groups, groups becoming supergroups, and
//! people blocking the bot.

use teloxide::types::ChatMemberUpdated;

use crate::app::App;
use crate::i18n::esc;
use crate::outbox;
use crate::store::outbox::Outgoing;
use crate::store::{groups, nodes, outbox as rows, people, updates};
use crate::tr;

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
