-- The bot's own standing in each group (see store::groups::BotRights), from
-- `my_chat_member` updates and `getChatMember`: `bot_status` is the Bot API
-- status (member, administrator, restricted, left, kicked), `can_pin` whether
-- it may pin messages there (0/1). NULL in both: not known yet.
ALTER TABLE group_chats ADD COLUMN bot_status TEXT;
ALTER TABLE group_chats ADD COLUMN can_pin BIGINT;
