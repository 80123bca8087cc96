//! The command menu Telegram shows, registered with `setMyCommands`: a short
//! list for everyone, the staff list for group administrators.

use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope};

use super::command::{Audience, COMMANDS, Place};
use crate::i18n::Locale;

pub async fn register(bot: &Bot, locale: Locale) -> Result<(), teloxide::RequestError> {
    let everyone: Vec<BotCommand> = COMMANDS
        .iter()
        .filter(|c| c.audience == Audience::Everyone)
        .map(|c| BotCommand::new(c.name, c.about(locale)))
        .collect();
    let staff: Vec<BotCommand> = COMMANDS
        .iter()
        .filter(|c| c.place != Place::Private)
        .map(|c| BotCommand::new(c.name, c.about(locale)))
        .collect();
    bot.set_my_commands(everyone)
        .scope(BotCommandScope::Default)
        .await?;
    bot.set_my_commands(staff)
        .scope(BotCommandScope::AllChatAdministrators)
        .await?;
    Ok(())
}
