//! From a Telegram update to database changes and queued replies.
//!
//! An update is handled in a transaction that also records its `update_id`
//! (so a redelivered update changes nothing twice) and queues every reply in
//! the outbox. A refused or malformed command rolls its changes back and
//! queues only the explanation.
//!
//! The updates of one `getUpdates` poll share one transaction
//! ([`handle_batch`]) when all of them go through; if any is refused (or is a
//! membership change), the poll's transaction is rolled back and each update
//! is handled on its own ([`handle`]), with the same result.
//!
//! No update can stop the intake ([`handle_isolated`]): an error or a panic
//! while handling one is logged with its `update_id`, its transaction rolls
//! back, and the update is recorded as failed (with the usual apology to its
//! sender), so the next poll confirms it and it never comes back.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, Chat, Message, Update, UpdateKind, User};

use super::callbacks::{self, Toast};
use super::command::{self, Invocation};
use super::commands::{
    addnode, alert, alerts, bind, help, roles, schedule, staff, start, stats, tree, whoami,
};
use super::context::{Arrival, Ctx, Here, Outcome, Person, UserError, arrive};
use super::membership;
use crate::app::{App, panic_message};
use crate::cases;
use crate::domain::case::{Attachment, Step};
use crate::i18n::{Locale, esc};
use crate::outbox;
use crate::store::groups::BotRights;
use crate::store::outbox::Outgoing;
use crate::store::{Conn, Tx, updates as processed};
use crate::tr;

/// Handles one update in its own transaction.
pub async fn handle(app: &App, bot: &Bot, update: &Update) -> anyhow::Result<()> {
    let update_id = i64::from(update.id.0);
    match &update.kind {
        UpdateKind::Message(msg) => on_message(app, bot, update_id, msg).await,
        UpdateKind::CallbackQuery(q) => on_callback(app, bot, update_id, q).await,
        UpdateKind::MyChatMember(change) => {
            membership::on_my_chat_member(app, update_id, change).await
        }
        _ => Ok(()),
    }
}

/// Handles one update so that nothing in it can stop the intake (see the
/// module docs). A panic unwinds through the update's transaction, which
/// sqlx rolls back when the connection goes back to the pool.
pub async fn handle_isolated(app: &App, bot: &Bot, update: &Update) {
    let failure = match AssertUnwindSafe(handle(app, bot, update))
        .catch_unwind()
        .await
    {
        Ok(Ok(())) => return,
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => format!("panicked: {}", panic_message(panic.as_ref())),
    };
    let update_id = update.id.0;
    tracing::error!(update_id, error = %failure, "failed to handle an update");
    if let Err(e) = record_failed(app, bot, update).await {
        tracing::error!(update_id, error = %format!("{e:#}"), "could not record a failed update");
    }
}

/// Records a failed update (unless it was recorded before, e.g. when it
/// failed after its commit) and apologises to whoever is waiting for an
/// answer: a command, a private message, a button press.
async fn record_failed(app: &App, bot: &Bot, update: &Update) -> anyhow::Result<()> {
    let l = app.settings.locale;
    let now = app.clock.now();
    let mut tx = app.store.begin().await?;
    if !processed::mark_failed(&mut tx, i64::from(update.id.0), now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    if let UpdateKind::Message(msg) = &update.kind {
        let waiting = match incoming(app, msg) {
            Incoming::Command(..) => true,
            Incoming::Chatter(_) => msg.chat.is_private(),
            Incoming::Ignored | Incoming::Migrated(_) => false,
        };
        if waiting {
            let sorry =
                Outgoing::text(msg.chat.id.0, apology(l)).replying_to(Some(i64::from(msg.id.0)));
            outbox::queue(&mut tx, &[sorry], now).await?;
        }
    }
    tx.commit().await?;
    app.wake_dispatcher();
    if let UpdateKind::CallbackQuery(q) = &update.kind {
        let toast = Toast {
            text: apology(l),
            alert: false,
        };
        answer(bot, q.id.clone(), toast).await;
    }
    Ok(())
}

/// The short apology for an internal failure (never the error itself).
pub(crate) fn apology(l: Locale) -> String {
    tr!(
        l,
        "抱歉，出了点问题，请稍后再试。",
        "Sorry, something went wrong. Please try again shortly."
    )
}

/// Handles a poll's updates, in one transaction when every one goes
/// through (see the module docs), else each on its own and isolated.
/// Returns when all are committed (or recorded as failed).
pub async fn handle_batch(app: &App, bot: &Bot, updates: &[Update]) {
    if updates.len() > 1 {
        match AssertUnwindSafe(together(app, bot, updates))
            .catch_unwind()
            .await
        {
            Ok(Ok(true)) => return,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "a poll's updates could not go together")
            }
            Err(panic) => tracing::warn!(
                panic = panic_message(panic.as_ref()),
                "a poll's updates panicked together; each goes alone"
            ),
        }
    }
    for update in updates {
        handle_isolated(app, bot, update).await;
    }
}

/// What became of an update handled inside a shared transaction.
enum Together {
    /// Done; a press is answered with its toast once the transaction commits.
    Done(Option<(teloxide::types::CallbackQueryId, Toast)>),
    /// It must be handled on its own: refused (its changes roll back) or a
    /// membership change.
    Alone,
}

/// All of `updates` in one transaction; false (and nothing written) when
/// one of them must be handled on its own.
async fn together(app: &App, bot: &Bot, updates: &[Update]) -> anyhow::Result<bool> {
    // Messages are read once, and Telegram is asked before the transaction
    // takes the write lock.
    let mut ready = Vec::with_capacity(updates.len());
    for update in updates {
        let incoming = match &update.kind {
            UpdateKind::Message(msg) => Some(incoming(app, msg)),
            _ => None,
        };
        let tg_admin = match (&update.kind, &incoming) {
            (UpdateKind::Message(msg), Some(Incoming::Command(from, inv))) => {
                ask_telegram(app, bot, msg, from, inv).await
            }
            _ => Asked::default(),
        };
        ready.push((update, incoming, tg_admin));
    }
    let mut tx = app.store.begin().await?;
    let mut toasts = Vec::new();
    for (update, incoming, tg_admin) in ready {
        match within(app, &mut tx, update, incoming, tg_admin).await? {
            Together::Done(toast) => toasts.extend(toast),
            Together::Alone => {
                tx.rollback().await?;
                return Ok(false);
            }
        }
    }
    tx.commit().await?;
    app.wake_dispatcher();
    for (query, toast) in toasts {
        answer(bot, query, toast).await;
    }
    Ok(true)
}

/// One update of a shared transaction; `incoming` is what its message is.
async fn within(
    app: &App,
    tx: &mut Tx,
    update: &Update,
    incoming: Option<Incoming<'_>>,
    tg_admin: Asked,
) -> anyhow::Result<Together> {
    let update_id = i64::from(update.id.0);
    Ok(match (&update.kind, incoming) {
        (UpdateKind::Message(msg), Some(incoming)) => match incoming {
            Incoming::Ignored => Together::Done(None),
            Incoming::Migrated(_) => Together::Alone,
            Incoming::Chatter(from) => {
                chatter_within(app, tx, update_id, msg, from).await?;
                Together::Done(None)
            }
            Incoming::Command(from, inv) => {
                match command_within(app, tx, update_id, msg, from, &inv, tg_admin).await? {
                    Ok(()) => Together::Done(None),
                    Err(_) => Together::Alone,
                }
            }
        },
        (UpdateKind::CallbackQuery(q), _) => {
            match callbacks::press_within(app, tx, update_id, q, person(&q.from)).await? {
                Ok(toast) => Together::Done(toast.map(|t| (q.id.clone(), t))),
                Err(_) => Together::Alone,
            }
        }
        (UpdateKind::MyChatMember(_), _) => Together::Alone,
        _ => Together::Done(None),
    })
}

pub(crate) fn person(u: &User) -> Person {
    let name = match &u.last_name {
        Some(last) => format!("{} {last}", u.first_name),
        None => u.first_name.clone(),
    };
    Person {
        id: u.id.0 as i64,
        name,
        username: u.username.clone(),
    }
}

/// What a message is to the bot.
enum Incoming<'m> {
    Ignored,
    /// The group became a supergroup with this id.
    Migrated(i64),
    Command(&'m User, Invocation<'m>),
    Chatter(&'m User),
}

fn incoming<'m>(app: &App, msg: &'m Message) -> Incoming<'m> {
    let Some(from) = msg.from.as_ref().filter(|u| !u.is_bot) else {
        return Incoming::Ignored;
    };
    if let Some(new) = msg.migrate_to_chat_id() {
        return Incoming::Migrated(new.0);
    }
    if msg.migrate_from_chat_id().is_some()
        || msg.new_chat_members().is_some()
        || msg.left_chat_member().is_some()
    {
        return Incoming::Ignored; // membership arrives as my_chat_member; the migration as migrate_to_chat_id
    }
    let text = msg.text().or(msg.caption()).unwrap_or_default();
    match command::parse(text, &app.me.username) {
        Some(inv) => Incoming::Command(from, inv),
        None => Incoming::Chatter(from),
    }
}

async fn on_message(app: &App, bot: &Bot, update_id: i64, msg: &Message) -> anyhow::Result<()> {
    match incoming(app, msg) {
        Incoming::Ignored => Ok(()),
        Incoming::Migrated(new) => {
            membership::on_migrated(app, update_id, msg.chat.id.0, new).await
        }
        Incoming::Command(from, inv) => on_command(app, bot, update_id, msg, from, inv).await,
        Incoming::Chatter(from) => {
            let mut tx = app.store.begin().await?;
            chatter_within(app, &mut tx, update_id, msg, from).await?;
            tx.commit().await?;
            app.wake_dispatcher();
            Ok(())
        }
    }
}

/// A message that is not a command: remember where residents write (see
/// [`arrive`]), and in a private chat answer (see [`private_flow`]).
async fn chatter_within(
    app: &App,
    tx: &mut Tx,
    update_id: i64,
    msg: &Message,
    from: &User,
) -> anyhow::Result<()> {
    let Some(arrival) = arrive(tx, update_id, &msg.chat, from, app.clock.now()).await? else {
        return Ok(());
    };
    if msg.chat.is_private() {
        let msgs = private_flow(app, tx, msg, from, arrival).await?;
        outbox::queue_capped(tx, &msgs, app.clock.now(), app.settings.locale).await?;
    }
    Ok(())
}

/// The photo or location a message carries.
fn attachment_of(msg: &Message) -> Option<Attachment> {
    if let Some(sizes) = msg.photo() {
        return sizes
            .iter()
            .max_by_key(|p| p.width * p.height)
            .map(|p| Attachment::Photo(p.file.id.to_string()));
    }
    msg.location().map(|l| Attachment::Location {
        lat: l.latitude,
        lon: l.longitude,
    })
}

/// A plain private message: the guided report flow's answer when the
/// sender is in it, a comment on a case they have just rated, else a
/// pointer to /help rather than silence.
async fn private_flow(
    app: &App,
    tx: &mut Tx,
    msg: &Message,
    from: &User,
    arrival: Arrival,
) -> anyhow::Result<Vec<Outgoing>> {
    let here = Here {
        chat_id: msg.chat.id.0,
        private: true,
        message_id: i64::from(msg.id.0),
    };
    let mut ctx = Ctx::new(app, here, person(from), arrival, None, None);
    ctx.attachment = attachment_of(msg);
    let text = msg.text().or(msg.caption());
    let answer = match cases::flow::on_message(&mut ctx, tx, text).await {
        Ok(None) => cases::followup::comment(&mut ctx, tx, text).await,
        other => other,
    };
    let reply = match answer {
        Ok(None) => tr!(
            ctx.locale,
            "发送 /help 查看我能做什么。",
            "Send /help to see what I can do."
        ),
        Ok(Some(text)) => text,
        Err(e) => explain(&ctx, e),
    };
    let mut first =
        Outgoing::answer(ctx.chat_id, ctx.sender.id, reply).replying_to(Some(ctx.message_id));
    first.markup = ctx.reply_markup.take();
    let mut msgs = vec![first];
    msgs.append(&mut ctx.out);
    Ok(msgs)
}

/// Commands whose check needs the sender's Telegram rights in the group.
const NEEDS_TG_ADMIN: &[&str] = &["bind", "unbind"];

/// What a command needed to ask Telegram (before any transaction begins).
#[derive(Default, Clone, Copy)]
struct Asked {
    /// Whether the sender is a Telegram administrator of the group.
    tg_admin: Option<bool>,
    /// The bot's own standing in the group (asked at `/bind`).
    bot_rights: Option<BotRights>,
}

/// Asks Telegram what the command needs to know: the sender's
/// administrator rights for `/bind` and `/unbind`, and at `/bind` the bot's
/// own rights too, so the group's record starts right.
async fn ask_telegram(
    app: &App,
    bot: &Bot,
    msg: &Message,
    from: &User,
    inv: &Invocation<'_>,
) -> Asked {
    if msg.chat.is_private() || !NEEDS_TG_ADMIN.contains(&inv.name.as_str()) {
        return Asked::default();
    }
    let tg_admin = match bot.get_chat_member(msg.chat.id, from.id).await {
        Ok(member) => Some(member.is_privileged()),
        Err(e) => {
            tracing::warn!(error = %e, chat = msg.chat.id.0, "getChatMember failed");
            None
        }
    };
    let bot_rights = if inv.name == "bind" {
        membership::ask_rights(bot, msg.chat.id.0, app.me.id)
            .await
            .inspect_err(|e| {
                tracing::warn!(error = %e, chat = msg.chat.id.0, "getChatMember (the bot) failed")
            })
            .ok()
    } else {
        None
    };
    Asked {
        tg_admin,
        bot_rights,
    }
}

async fn on_command(
    app: &App,
    bot: &Bot,
    update_id: i64,
    msg: &Message,
    from: &User,
    inv: Invocation<'_>,
) -> anyhow::Result<()> {
    let tg_admin = ask_telegram(app, bot, msg, from, &inv).await;
    let mut tx = app.store.begin().await?;
    match command_within(app, &mut tx, update_id, msg, from, &inv, tg_admin).await? {
        Ok(()) => tx.commit().await?,
        Err(explanation) => {
            tx.rollback().await?;
            remember_refused(app, update_id, &msg.chat, from, Some(explanation)).await?;
        }
    }
    app.wake_dispatcher();
    Ok(())
}

/// After a refused update was rolled back (nothing it did stays): it is
/// remembered as handled, in a transaction of its own, with its
/// explanation queued when it has one.
pub(crate) async fn remember_refused(
    app: &App,
    update_id: i64,
    chat: &Chat,
    from: &User,
    explanation: Option<Outgoing>,
) -> anyhow::Result<()> {
    let mut tx = app.store.begin().await?;
    let now = app.clock.now();
    if arrive(&mut tx, update_id, chat, from, now).await?.is_some() {
        outbox::queue_capped(&mut tx, explanation.as_slice(), now, app.settings.locale).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs a command inside the caller's transaction and queues its replies;
/// `Err` carries the explanation of a refusal, to queue after the caller
/// has rolled back.
async fn command_within(
    app: &App,
    tx: &mut Tx,
    update_id: i64,
    msg: &Message,
    from: &User,
    inv: &Invocation<'_>,
    asked: Asked,
) -> anyhow::Result<Result<(), Outgoing>> {
    let chat_id = msg.chat.id.0;
    let Some(arrival) = arrive(tx, update_id, &msg.chat, from, app.clock.now()).await? else {
        return Ok(Ok(()));
    };
    if let Some(hook) = &app.command_hook {
        hook(&inv.name, inv.args);
    }
    let replied = msg
        .reply_to_message()
        .and_then(|m| m.from.as_ref())
        .filter(|u| !u.is_bot)
        .map(person);
    let here = Here {
        chat_id,
        private: msg.chat.is_private(),
        message_id: i64::from(msg.id.0),
    };
    let mut ctx = Ctx::new(app, here, person(from), arrival, replied, asked.tg_admin);
    ctx.bot_rights = asked.bot_rights;
    // A location cannot carry a caption: `/report …` in reply to a resident's
    // photo or location takes that along.
    ctx.attachment = attachment_of(msg).or_else(|| {
        msg.reply_to_message()
            .filter(|m| m.from.as_ref().is_some_and(|u| !u.is_bot))
            .and_then(attachment_of)
    });
    ctx.replied_text = msg
        .reply_to_message()
        .and_then(|m| m.text().or(m.caption()))
        .map(str::to_string);
    let outcome = run(&mut ctx, tx, inv).await;
    let reply_to = Some(ctx.message_id);
    match outcome {
        Ok(text) => {
            // An empty reply: the handler's own messages answer the command.
            let mut msgs: Vec<Outgoing> = (!text.is_empty())
                .then(|| {
                    Outgoing::answer(chat_id, ctx.sender.id, text)
                        .replying_to(reply_to)
                        .with_markup(ctx.reply_markup.take())
                })
                .into_iter()
                .collect();
            msgs.append(&mut ctx.out);
            outbox::queue_capped(tx, &msgs, ctx.now, ctx.locale).await?;
            Ok(Ok(()))
        }
        Err(err) => {
            // A refusal also shows how the command is used (an unknown command points to /help).
            let refused = matches!(err, UserError::Refused(_));
            let mut text = explain(&ctx, err);
            if refused && let Some(spec) = command::spec(&inv.name) {
                let usage = esc(&spec.usage(ctx.locale));
                text.push_str(&tr!(ctx.locale, "\n用法：{usage}", "\nUsage: {usage}"));
            }
            // Unknown commands, and the same refusal, are answered once a minute.
            let tag = match command::spec(&inv.name) {
                Some(_) => outbox::refusal_tag(msg.text().or(msg.caption()).unwrap_or_default()),
                None => outbox::UNKNOWN_COMMAND.to_string(),
            };
            Ok(Err(Outgoing::answer(chat_id, ctx.sender.id, text)
                .replying_to(reply_to)
                .tagged(tag)))
        }
    }
}

async fn run(ctx: &mut Ctx, conn: &mut Conn, inv: &Invocation<'_>) -> Outcome {
    let args = inv.args;
    if !ctx.in_private() && super::privately::wanted(&inv.name) {
        return super::privately::answer(ctx, conn, inv).await;
    }
    match inv.name.as_str() {
        "start" => start::run(ctx, conn, args).await,
        "help" => help::run(ctx, conn, args).await,
        "whoami" => whoami::run(ctx, conn, args).await,
        "tree" => tree::run(ctx, conn, args).await,
        "staff" => staff::run(ctx, conn, args).await,
        "bind" => bind::bind(ctx, conn, args).await,
        "unbind" => bind::unbind(ctx, conn, args).await,
        "addnode" => addnode::run(ctx, conn, args).await,
        "grant" => roles::grant(ctx, conn, args).await,
        "revoke" => roles::revoke(ctx, conn, args).await,
        "alert" => alert::run(ctx, conn, args).await,
        "alerts" => alerts::list(ctx, conn, args).await,
        "alert_info" => alerts::info(ctx, conn, args).await,
        "alert_edit" => alerts::edit(ctx, conn, args).await,
        "alert_cancel" => alerts::cancel(ctx, conn, args).await,
        "schedule" => schedule::add(ctx, conn, args).await,
        "schedules" => schedule::list(ctx, conn, args).await,
        "unschedule" => schedule::remove(ctx, conn, args).await,
        "report" => cases::intake::report(ctx, conn, args).await,
        "mycases" => cases::card::mine(ctx, conn, args).await,
        "cases" => cases::card::list(ctx, conn, args).await,
        "case" => cases::card::show(ctx, conn, args).await,
        "accept" => cases::handling::step(ctx, conn, args, Step::Accept).await,
        "assign" => cases::handling::assign(ctx, conn, args).await,
        "note" => cases::handling::note(ctx, conn, args).await,
        "update" => cases::handling::update(ctx, conn, args).await,
        "resolve" => cases::handling::step(ctx, conn, args, Step::Resolve).await,
        "fail" => cases::handling::step(ctx, conn, args, Step::Fail).await,
        "escalate" => cases::handling::step(ctx, conn, args, Step::Escalate).await,
        "supervise" => cases::handling::supervise(ctx, conn, args).await,
        "reopen" => cases::handling::step(ctx, conn, args, Step::Reopen).await,
        "close" => cases::handling::step(ctx, conn, args, Step::Close).await,
        "stats" => stats::stats(ctx, conn, args).await,
        "export" => stats::export(ctx, conn, args).await,
        other => Err(UserError::Refused(tr!(
            ctx.locale,
            "没有 /{} 这个命令。发送 /help 查看可用命令。",
            "There is no /{} command. Send /help to see what you can do.",
            esc(other)
        ))),
    }
}

/// The user's explanation of a failed command.
pub(crate) fn explain(ctx: &Ctx, err: UserError) -> String {
    let l = ctx.locale;
    match err {
        UserError::Usage(spec, problem) => {
            let usage = esc(&spec.usage(l));
            let sep = if problem.is_empty() { "" } else { "\n" };
            tr!(
                l,
                "{problem}{sep}用法：{usage}",
                "{problem}{sep}Usage: {usage}"
            )
        }
        UserError::Refused(text) => text,
        UserError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), chat = ctx.chat_id, "command failed");
            apology(l)
        }
    }
}

/// A button press: see [`super::callbacks`].
async fn on_callback(
    app: &App,
    bot: &Bot,
    update_id: i64,
    q: &CallbackQuery,
) -> anyhow::Result<()> {
    if let Some(toast) = callbacks::on_press(app, update_id, q, person(&q.from)).await? {
        answer(bot, q.id.clone(), toast).await;
    }
    Ok(())
}

/// Answers a press (the toast is ephemeral: it is not queued).
async fn answer(bot: &Bot, query: teloxide::types::CallbackQueryId, toast: Toast) {
    let mut req = bot.answer_callback_query(query).text(toast.text);
    if toast.alert {
        req = req.show_alert(true);
    }
    if let Err(e) = req.await {
        tracing::warn!(error = %e, "answerCallbackQuery failed");
    }
}
