//! End-to-end tests, continued: migration, removal, callbacks, media, members, commands and webhooks.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, GetMyCommandsSetters, GetUpdatesSetters, SendMessageSetters,
    SendPhotoSetters, SetMyCommandsSetters,
};
use teloxide::prelude::Requester;
use teloxide::types::{
    BotCommand, BotCommandScope, ChatId, ChatMemberStatus, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, ParseMode, UpdateKind, UserId,
};

use super::tests_api::{api_text, setup};
use super::*;

#[tokio::test]
async fn migration_and_removal() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let g = sb.create_group("街道", alice);
    sb.add_bot(g, alice);
    let s = sb.migrate(g);
    let err = bot.send_message(ChatId(g), "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::MigrateToChatId(c) if c.0 == s),
        "{err:?}"
    );
    bot.send_message(ChatId(s), "moved").await.unwrap();
    assert_eq!(sb.messages(s)[0].text, "moved");
    let ups = bot.get_updates().await.unwrap();
    let kinds: Vec<_> = ups
        .iter()
        .map(|u| std::mem::discriminant(&u.kind))
        .collect();
    assert_eq!(kinds.len(), 4); // my_chat_member, new_chat_members, migrate_to, migrate_from

    sb.remove_bot(s, alice);
    let err = bot.send_message(ChatId(s), "x").await.unwrap_err();
    assert_eq!(
        api_text(err),
        "Forbidden: bot was kicked from the supergroup chat"
    );
    let g2 = sb.create_group("另一个", alice);
    sb.add_bot(g2, alice);
    sb.remove_bot(g2, alice);
    let err = bot.send_message(ChatId(g2), "x").await.unwrap_err();
    assert_eq!(
        api_text(err),
        "Forbidden: bot was kicked from the group chat"
    );
    let member = bot
        .get_chat_member(ChatId(s), UserId(sb.bot_id() as u64))
        .await;
    assert!(member.is_err());
}

#[tokio::test]
async fn callback_queries() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let g = sb.create_supergroup("区", alice);
    sb.add_bot(g, alice);
    let kb = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("A", "a")]]);
    let sent = bot
        .send_message(ChatId(g), "pick")
        .reply_markup(kb)
        .await
        .unwrap();
    let seen = bot.get_updates().await.unwrap();
    let offset = seen.last().unwrap().id.0 as i32 + 1;
    let qid = sb.press_button(g, sent.id.0 as i64, alice, "forged:data");
    let ups = bot.get_updates().offset(offset).await.unwrap();
    let UpdateKind::CallbackQuery(q) = &ups[0].kind else {
        panic!("{ups:?}")
    };
    assert_eq!(q.id.0, qid);
    assert_eq!(q.data.as_deref(), Some("forged:data"));
    assert_eq!(q.regular_message().unwrap().id, sent.id);
    bot.answer_callback_query(q.id.clone())
        .text("已确认")
        .show_alert(true)
        .await
        .unwrap();
    assert!(bot.answer_callback_query(q.id.clone()).await.is_err());
    let answers = sb.callback_answers();
    assert_eq!(
        answers,
        [CallbackAnswer {
            query_id: qid,
            text: Some("已确认".into()),
            show_alert: true
        }]
    );
}

#[tokio::test]
async fn media_uploads() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "hi");
    let photo = InputFile::memory(vec![7u8; 1000]).file_name("现场.jpg");
    let sent = bot
        .send_photo(ChatId(alice), photo)
        .caption("<b>火情</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(sent.caption(), Some("火情"));
    let m = &sb.messages(alice)[0];
    assert_eq!(
        (m.kind.clone(), m.text.as_str(), m.file_size),
        (SentKind::Photo, "火情", Some(1000))
    );
    let file_id = sent.photo().unwrap().last().unwrap().file.id.clone();
    bot.send_photo(ChatId(alice), InputFile::file_id(file_id))
        .await
        .unwrap();
    let doc = InputFile::memory(b"a,b\n".to_vec()).file_name("报告.csv");
    let sent = bot.send_document(ChatId(alice), doc).await.unwrap();
    assert_eq!(
        sent.document().unwrap().file_name.as_deref(),
        Some("报告.csv")
    );
    let m = sb.last_message(alice).unwrap();
    assert_eq!(
        (m.kind, m.file_size),
        (
            SentKind::Document {
                file_name: "报告.csv".into()
            },
            Some(4)
        )
    );
}

#[tokio::test]
async fn chats_members_commands_webhook() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", Some("alice"));
    let bob = sb.add_user("Bob", None);
    let g = sb.create_group("街道", alice);
    sb.join(g, bob);
    sb.add_bot(g, alice);
    let chat = bot.get_chat(ChatId(g)).await.unwrap();
    assert_eq!(chat.title(), Some("街道"));
    let m = bot
        .get_chat_member(ChatId(g), UserId(alice as u64))
        .await
        .unwrap();
    assert_eq!(m.status(), ChatMemberStatus::Owner);
    sb.promote(g, bob);
    let m = bot
        .get_chat_member(ChatId(g), UserId(bob as u64))
        .await
        .unwrap();
    assert_eq!(m.status(), ChatMemberStatus::Administrator);
    let admins = bot.get_chat_administrators(ChatId(g)).await.unwrap();
    assert_eq!(admins.len(), 2);

    let cmds = [
        BotCommand::new("start", "开始"),
        BotCommand::new("report", "报告"),
    ];
    bot.set_my_commands(cmds.clone())
        .scope(BotCommandScope::AllGroupChats)
        .await
        .unwrap();
    bot.set_my_commands([BotCommand::new("help", "帮助")])
        .await
        .unwrap();
    assert_eq!(
        sb.my_commands("all_group_chats"),
        [
            ("start".into(), "开始".into()),
            ("report".into(), "报告".into())
        ]
    );
    assert_eq!(sb.my_commands("default").len(), 1);
    let got = bot
        .get_my_commands()
        .scope(BotCommandScope::AllGroupChats)
        .await
        .unwrap();
    assert_eq!(got, cmds);
    assert!(
        bot.set_my_commands([BotCommand::new("Bad Cmd", "x")])
            .await
            .is_err()
    );

    let url = url::Url::parse("https://example.org/hook").unwrap();
    bot.set_webhook(url).await.unwrap();
    assert_eq!(
        sb.webhook(),
        Some(("https://example.org/hook".into(), None))
    );
    let err = bot.get_updates().await.unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::CantGetUpdates) | RequestError::Api(ApiError::Unknown(_))
        ),
        "{err:?}"
    );
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.unwrap().as_str(), "https://example.org/hook");
    bot.delete_webhook().await.unwrap();
    assert!(sb.webhook().is_none());
    assert_eq!(bot.get_updates().await.unwrap().len(), 2);
}

#[tokio::test]
async fn real_dispatcher_round_trip() {
    use teloxide::dispatching::{Dispatcher, UpdateFilterExt};
    use teloxide::prelude::{ResponseResult, respond};
    use teloxide::types::{Message, Update};

    let (sb, bot) = setup().await;
    let handler =
        Update::filter_message().endpoint(|bot: teloxide::Bot, msg: Message| async move {
            let text = msg.text().unwrap_or("").to_string();
            let r: ResponseResult<()> = async {
                bot.send_message(
                    msg.chat.id,
                    format!("<i>echo</i> {}", crate::sandbox::html::escape(&text)),
                )
                .parse_mode(ParseMode::Html)
                .await?;
                respond(())
            }
            .await;
            r
        });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "<b>&");
    let m = sb.wait_message("the echo", |m| m.chat_id == alice).await;
    assert_eq!(m.text, "echo <b>&");
    task.abort();
}
