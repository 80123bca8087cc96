//! The bot's rights in a group: pins refused as Telegram refuses them,
//! `getChatMember` and `my_chat_member` telling the bot where it stands.

use serde_json::json;
use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, ChatMemberKind, UpdateKind, UserId};

use super::tests::raw;
use super::tests_api::setup;
use super::*;

async fn call(sb: &Sandbox, method: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let path = format!("/bot{}/{method}", Sandbox::TOKEN);
    raw(sb, &path, "application/json", body.to_string().as_bytes()).await
}

#[tokio::test]
async fn pins_need_the_pin_right() {
    let sb = Sandbox::start().await.unwrap();
    let alice = sb.add_user("Alice", None);
    let g = sb.create_supergroup("网格群", alice);
    sb.add_bot(g, alice);
    let (_, v) = call(&sb, "sendMessage", json!({"chat_id": g, "text": "x"})).await;
    let id = v["result"]["message_id"].as_i64().unwrap();
    let pin = json!({"chat_id": g, "message_id": id});
    let refused = json!({
        "ok": false,
        "error_code": 400,
        "description": "Bad Request: not enough rights to manage pinned messages in the chat"
    });
    // A plain member, an administrator without the right, a restricted
    // member without the permission: all refused, exactly as Telegram does.
    for rights in [
        BotRights::Member,
        BotRights::Administrator { can_pin: false },
        BotRights::Restricted { can_pin: false },
    ] {
        sb.set_bot_rights(g, rights);
        assert!(!sb.bot_can_pin(g), "{rights:?}");
        assert_eq!(
            call(&sb, "pinChatMessage", pin.clone()).await,
            (400, refused.clone())
        );
        assert_eq!(
            call(&sb, "unpinChatMessage", pin.clone()).await,
            (400, refused.clone())
        );
    }
    assert!(!sb.messages(g)[0].pinned);
    let stats = sb.stats();
    assert_eq!((stats.pin_refusals, stats.bad_requests), (6, 6));
    for rights in [
        BotRights::Administrator { can_pin: true },
        BotRights::Restricted { can_pin: true },
    ] {
        sb.set_bot_rights(g, rights);
        assert_eq!(
            call(&sb, "pinChatMessage", pin.clone()).await.0,
            200,
            "{rights:?}"
        );
        assert!(sb.messages(g)[0].pinned);
        assert_eq!(call(&sb, "unpinChatMessage", pin.clone()).await.0, 200);
    }
    // promote() gives an administrator every right, the pin right included.
    sb.set_bot_rights(g, BotRights::Member);
    sb.promote(g, sb.bot_id());
    assert!(sb.bot_can_pin(g));
    assert_eq!(sb.stats().pin_refusals, 6);
}

#[tokio::test]
async fn get_chat_member_and_updates_tell_the_bot_its_rights() {
    let (sb, bot) = setup().await;
    let alice = sb.add_user("Alice", None);
    let g = sb.create_group("社区群", alice);
    sb.add_bot(g, alice);
    let me = UserId(sb.bot_id() as u64);
    let kind = async || bot.get_chat_member(ChatId(g), me).await.unwrap().kind;
    assert!(matches!(kind().await, ChatMemberKind::Member(_)));

    sb.set_bot_rights(g, BotRights::Administrator { can_pin: false });
    assert!(matches!(kind().await, ChatMemberKind::Administrator(a) if !a.can_pin_messages));
    sb.set_bot_rights(g, BotRights::Administrator { can_pin: true });
    assert!(matches!(kind().await, ChatMemberKind::Administrator(a) if a.can_pin_messages));
    sb.set_bot_rights(g, BotRights::Restricted { can_pin: true });
    assert!(
        matches!(kind().await, ChatMemberKind::Restricted(r) if r.can_pin_messages && r.is_member)
    );
    sb.set_bot_rights(g, BotRights::Member);
    assert!(matches!(kind().await, ChatMemberKind::Member(_)));

    // Each change came as a my_chat_member update, old and new standing.
    let ups = bot.get_updates().await.unwrap();
    let changes: Vec<_> = ups
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::MyChatMember(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(changes.len(), 5, "added, then four changes");
    assert!(matches!(
        &changes[1].old_chat_member.kind,
        ChatMemberKind::Member(_)
    ));
    assert!(matches!(
        &changes[1].new_chat_member.kind,
        ChatMemberKind::Administrator(a) if !a.can_pin_messages
    ));
    assert!(matches!(
        &changes[3].new_chat_member.kind,
        ChatMemberKind::Restricted(r) if r.can_pin_messages
    ));
    assert!(changes[3].new_chat_member.is_present());

    // A change the bot missed: no update, but getChatMember knows.
    let offset = ups.last().unwrap().id.0 as i32 + 1;
    let before = sb.pending_updates();
    sb.set_bot_rights_unannounced(g, BotRights::Administrator { can_pin: true });
    assert_eq!(sb.pending_updates(), before);
    let ups = bot.get_updates().offset(offset).timeout(0).await.unwrap();
    assert!(ups.is_empty(), "{ups:?}");
    assert!(matches!(kind().await, ChatMemberKind::Administrator(a) if a.can_pin_messages));
}
