//! End-to-end tests: a real teloxide `Bot` talking to the sandbox over HTTP.

use std::time::{Duration, Instant};

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{EditMessageTextSetters, GetUpdatesSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ParseMode, ReplyParameters,
    UpdateKind,
};

use super::*;

pub(super) async fn setup() -> (Sandbox, teloxide::Bot) {
    let sb = Sandbox::start().await.unwrap();
    let bot = teloxide::Bot::new(Sandbox::TOKEN).set_api_url(sb.api_url());
    (sb, bot)
}

pub(super) fn api_text(e: RequestError) -> String {
    match e {
        RequestError::Api(ApiError::Unknown(s) | ApiError::CantParseEntities(s)) => s,
        RequestError::Api(e) => e.to_string(),
        e => panic!("expected an API error, got {e:?}"),
    }
}

#[tokio::test]
async fn get_me_and_updates() {
    let (sb, bot) = setup().await;
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "pingan_bot");
    assert_eq!(me.user.id.0 as i64, sb.bot_id());

    let alice = sb.add_user("Alice", Some("alice"));
    sb.send_text(alice, alice, "/start");
    let ups = bot.get_updates().await.unwrap();
    assert_eq!(ups.len(), 1);
    let UpdateKind::Message(m) = &ups[0].kind else {
        panic!("{ups:?}")
    };
    assert_eq!(m.text(), Some("/start"));
    assert_eq!(sb.pending_updates(), 1);
    let next = bot
        .get_updates()
        .offset(ups[0].id.0 as i32 + 1)
        .await
        .unwrap();
    assert!(next.is_empty());
    assert_eq!(sb.pending_updates(), 0);
}

#[tokio::test]
async fn long_poll_returns_when_an_update_arrives() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let started = Instant::now();
    let poll = tokio::spawn(async move { bot.get_updates().timeout(20).await.unwrap() });
    sb.wait_until("the bot to poll", |s| s.stats().requests("getUpdates") == 1)
        .await;
    sb.send_text(alice, alice, "hello");
    let ups = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("prompt")
        .unwrap();
    assert_eq!(ups.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn long_poll_times_out_empty() {
    let (_sb, bot) = setup().await;
    let started = Instant::now();
    let ups = bot.get_updates().timeout(1).await.unwrap();
    assert!(ups.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn send_html_with_keyboard_and_edit() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let asked = sb.send_text(alice, alice, "/report");
    let kb = InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("确认", "ok:1"),
        InlineKeyboardButton::callback("取消", "no:1"),
    ]]);
    let sent = bot
        .send_message(ChatId(alice), "<b>平安</b> &amp; <i>safe</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb.clone())
        .reply_parameters(ReplyParameters::new(MessageId(asked as i32)))
        .await
        .unwrap();
    assert_eq!(sent.text(), Some("平安 & safe"));
    assert_eq!(sent.entities().unwrap().len(), 2);
    assert_eq!(sent.reply_to_message().unwrap().text(), Some("/report"));
    let m = &sb.messages(alice)[0];
    assert_eq!(m.text, "平安 & safe");
    assert_eq!(m.html, "<b>平安</b> &amp; <i>safe</i>");
    assert_eq!(m.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        m.buttons(),
        [
            ("确认".into(), "ok:1".into()),
            ("取消".into(), "no:1".into())
        ]
    );
    assert_eq!(m.reply_to, Some(asked));

    let id = sent.id;
    let same = bot
        .edit_message_text(ChatId(alice), id, "<b>平安</b> &amp; <i>safe</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb)
        .await;
    assert!(
        matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
        "{same:?}"
    );
    let edited = bot
        .edit_message_text(ChatId(alice), id, "done")
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("done"));
    assert!(edited.edit_date().is_some());
    let m = &sb.messages(alice)[0];
    assert_eq!(
        (m.text.as_str(), m.edits, m.buttons().len()),
        ("done", 1, 0)
    );
    let missing = bot
        .edit_message_text(ChatId(alice), MessageId(999), "x")
        .await;
    assert!(
        matches!(
            missing,
            Err(RequestError::Api(ApiError::MessageToEditNotFound))
        ),
        "{missing:?}"
    );
    let user_msg = bot
        .edit_message_text(ChatId(alice), MessageId(asked as i32), "x")
        .await;
    assert!(
        matches!(
            user_msg,
            Err(RequestError::Api(ApiError::MessageCantBeEdited))
        ),
        "{user_msg:?}"
    );
}

#[tokio::test]
async fn invalid_html_is_an_api_error() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "hi");
    let err = bot
        .send_message(ChatId(alice), "a <foo> b")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Api(ApiError::CantParseEntities(_))),
        "{err:?}"
    );
    assert_eq!(
        api_text(err),
        "Bad Request: can't parse entities: Unsupported start tag \"foo\" at byte offset 2"
    );
    let err = bot
        .send_message(ChatId(alice), "<b>x")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(api_text(err).ends_with("Can't find end tag corresponding to start tag \"b\""));
    // Plain text is never parsed.
    bot.send_message(ChatId(alice), "a <foo> & b")
        .await
        .unwrap();
    assert_eq!(sb.messages(alice).len(), 1);
}

#[tokio::test]
async fn flood_limits() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "hi");
    for i in 0..30 {
        bot.send_message(ChatId(alice), format!("m{i}"))
            .await
            .unwrap();
    }
    let err = bot
        .send_message(ChatId(alice), "one too many")
        .await
        .unwrap_err();
    let RequestError::RetryAfter(s) = err else {
        panic!("{err:?}")
    };
    assert!(s.seconds() >= 1);
    assert_eq!(sb.stats().too_many_requests, 1);
    assert_eq!(sb.stats().sends_accepted, 30);
    sb.set_enforce_limits(false);
    bot.send_message(ChatId(alice), "unlimited").await.unwrap();
}

#[tokio::test]
async fn group_flood_limit() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let g = sb.create_group("街道", alice);
    sb.add_bot(g, alice);
    for i in 0..20 {
        bot.send_message(ChatId(g), format!("m{i}")).await.unwrap();
    }
    let RequestError::RetryAfter(s) = bot.send_message(ChatId(g), "x").await.unwrap_err() else {
        panic!()
    };
    assert!((50..=60).contains(&s.seconds()), "{s:?}");
    // Edits are not limited.
    bot.edit_message_text(ChatId(g), MessageId(2), "edited")
        .await
        .unwrap();
}

#[tokio::test]
async fn injected_faults() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let bob = sb.add_user("Bob", None);
    sb.send_text(alice, alice, "hi");
    sb.send_text(bob, bob, "hi");
    sb.inject(
        "sendmessage",
        Some(alice),
        2,
        Fault::TooManyRequests { retry_after: 7 },
    );
    sb.inject(
        "SendMessage",
        Some(bob),
        1,
        Fault::Forbidden("bot was blocked by the user".into()),
    );
    sb.inject(
        "getChat",
        None,
        1,
        Fault::BadRequest("chat not found".into()),
    );
    for _ in 0..2 {
        let err = bot.send_message(ChatId(alice), "x").await.unwrap_err();
        assert!(
            matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
            "{err:?}"
        );
    }
    bot.send_message(ChatId(alice), "x").await.unwrap();
    let err = bot.send_message(ChatId(bob), "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );
    let err = bot.get_chat(ChatId(alice)).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
    bot.get_chat(ChatId(alice)).await.unwrap();
    let st = sb.stats();
    assert_eq!(
        (st.errors_injected, st.too_many_requests, st.sends_accepted),
        (4, 2, 1)
    );
}

#[tokio::test]
async fn a_second_poll_terminates_the_first() {
    let (sb, bot) = setup().await;
    let bot2 = bot.clone();
    let first = tokio::spawn(async move { bot2.get_updates().timeout(20).await });
    sb.wait_until("the first poll", |s| s.stats().requests("getUpdates") == 1)
        .await;
    let second = tokio::spawn(async move { bot.get_updates().timeout(1).await });
    let err = first.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{err:?}"
    );
    assert!(second.await.unwrap().unwrap().is_empty());
}

#[tokio::test]
async fn allowed_updates_filters_kinds() {
    use teloxide::types::AllowedUpdate;
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let g = sb.create_group("街道", alice);
    sb.add_bot(g, alice); // my_chat_member + message
    let ups = bot
        .get_updates()
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    assert_eq!(ups.len(), 1);
    assert!(matches!(ups[0].kind, UpdateKind::Message(_)));
    // The setting sticks for later polls without allowed_updates.
    sb.remove_bot(g, alice);
    let next = ups[0].id.0 as i32 + 1;
    assert!(bot.get_updates().offset(next).await.unwrap().is_empty());
    assert_eq!(sb.pending_updates(), 0);
}
