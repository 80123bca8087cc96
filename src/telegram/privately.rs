//! `/case` and `/mycases` sent in a group are answered in the sender's
//! private chat, never in the group: a card or a list shown there would tie
//! the person to their cases (an anonymous one included), and even a
//! refusal would tell the group whether they reported it. So every sender
//! gets the same short line in the group, whatever the answer was.

use super::command::{self, Invocation};
use super::context::{Ctx, Outcome, UserError};
use super::updates::explain;
use crate::cases;
use crate::i18n::esc;
use crate::store::Conn;
use crate::store::outbox::Outgoing;
use crate::tr;

/// Commands answered only privately.
pub fn wanted(name: &str) -> bool {
    matches!(name, "case" | "mycases")
}

/// Runs the command as if sent in the private chat and queues its answer
/// (or its refusal) there; the group is told only that it went privately.
pub async fn answer(ctx: &mut Ctx, conn: &mut Conn, inv: &Invocation<'_>) -> Outcome {
    let l = ctx.locale;
    if !ctx.known.private_chat {
        let bot = esc(&ctx.app.me.username);
        return Err(ctx.refuse(tr!(
            l,
            "这条命令的回复只私信发送，但您还没有私聊过我。请打开 https://t.me/{bot} 点“开始”（或私聊我发送 /start），然后在私聊里再发一次。",
            "I answer this command only privately, and you have not started a private chat with me yet. Open https://t.me/{bot} and press Start (or send me /start privately), then send it again there."
        )));
    }
    // As in the private chat: the card is worded for it and its buttons work there.
    let (chat_id, group) = (ctx.chat_id, ctx.group.take());
    ctx.chat_id = ctx.sender.id;
    let outcome = match inv.name.as_str() {
        "mycases" => cases::card::mine(ctx, conn, inv.args).await,
        _ => cases::card::show(ctx, conn, inv.args).await,
    };
    let private = match outcome {
        Ok(text) => Outgoing::text(ctx.sender.id, text).with_markup(ctx.reply_markup.take()),
        Err(UserError::Internal(e)) => {
            (ctx.chat_id, ctx.group) = (chat_id, group);
            return Err(UserError::Internal(e));
        }
        Err(err) => {
            let refused = matches!(err, UserError::Refused(_));
            let mut text = explain(ctx, err);
            if refused && let Some(spec) = command::spec(&inv.name) {
                let usage = esc(&spec.usage(l));
                text.push_str(&tr!(l, "\n用法：{usage}", "\nUsage: {usage}"));
            }
            Outgoing::text(ctx.sender.id, text)
        }
    };
    (ctx.chat_id, ctx.group) = (chat_id, group);
    ctx.reply_markup = None;
    ctx.out.push(private);
    Ok(tr!(
        l,
        "🔒 已私信回复您。",
        "🔒 I have answered you privately."
    ))
}
