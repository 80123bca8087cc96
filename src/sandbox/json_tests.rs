//! Every JSON object the sandbox emits must deserialize with teloxide's types, with the expected values.

use serde_json::Value;
use teloxide::types::{
    ChatFullInfo, ChatMember, ChatMemberStatus, ChatMigration, MaybeInaccessibleMessage, Me,
    MediaKind, Message, MessageEntityKind, MessageKind, Update, UpdateKind,
};

use super::*;
use crate::sandbox::html::parse_html;
use crate::sandbox::world::{BOT_ID, ChatKind, Content, Msg, World};

fn take_updates(w: &mut World) -> Vec<Update> {
    w.updates
        .drain(..)
        .map(|(_, v)| {
            // teloxide parses response text (from_value cannot drive its borrowed-key UpdateKind visitor).
            let u: Update =
                serde_json::from_str(&v.to_string()).unwrap_or_else(|e| panic!("{e}: {v:#}"));
            assert!(
                !matches!(u.kind, UpdateKind::Error(_)),
                "teloxide could not parse {v:#}"
            );
            u
        })
        .collect()
}

fn one_message(w: &mut World) -> Message {
    let mut ups = take_updates(w);
    assert_eq!(ups.len(), 1);
    match ups.remove(0).kind {
        UpdateKind::Message(m) => m,
        k => panic!("expected a message, got {k:?}"),
    }
}

fn world_with_group() -> (World, i64, i64) {
    let mut w = World::new();
    let alice = w.add_user("Alice", Some("alice"));
    let g = w.create_chat(ChatKind::Group, "街道群", alice);
    w.add_bot(g, alice);
    w.updates.clear();
    (w, alice, g)
}

#[test]
fn me_and_user() {
    let w = World::new();
    let me: Me = serde_json::from_value(me(&w)).unwrap();
    assert_eq!(me.username(), "pingan_bot");
    assert_eq!(me.first_name, "平安");
    assert_eq!(me.id.0 as i64, BOT_ID);
    assert!(me.is_bot);
}

#[test]
fn private_text_with_command() {
    let mut w = World::new();
    let alice = w.add_user("Alice", Some("alice"));
    w.user_message(
        alice,
        alice,
        World::text_content("/start@pingan_bot hello"),
        None,
    );
    let m = one_message(&mut w);
    assert_eq!(m.text(), Some("/start@pingan_bot hello"));
    assert!(m.chat.is_private());
    assert_eq!(m.chat.username(), Some("alice"));
    assert_eq!(m.from.as_ref().unwrap().first_name, "Alice");
    let e = &m.entities().unwrap()[0];
    assert_eq!(
        (e.kind.clone(), e.offset, e.length),
        (MessageEntityKind::BotCommand, 0, 17)
    );
}

#[test]
fn group_text_photo_location_and_reply() {
    let (mut w, alice, g) = world_with_group();
    let first = w.user_message(g, alice, World::text_content("hi"), None);
    let m = one_message(&mut w);
    assert!(m.chat.is_group());
    assert_eq!(m.chat.title(), Some("街道群"));

    let photo = w.photo_content("/report 火情");
    w.user_message(g, alice, photo, Some(first));
    let m = one_message(&mut w);
    let sizes = m.photo().unwrap();
    assert_eq!(sizes.len(), 2);
    assert!(sizes[1].file.size > 0 && sizes[1].width > sizes[0].width);
    assert_eq!(m.caption(), Some("/report 火情"));
    assert_eq!(
        m.caption_entities().unwrap()[0].kind,
        MessageEntityKind::BotCommand
    );
    assert_eq!(m.reply_to_message().unwrap().text(), Some("hi"));

    w.user_message(
        g,
        alice,
        Content::Location {
            latitude: 31.23,
            longitude: 121.47,
        },
        None,
    );
    let m = one_message(&mut w);
    let loc = m.location().unwrap();
    assert_eq!((loc.latitude, loc.longitude), (31.23, 121.47));
}

#[test]
fn bot_message_with_entities_markup_and_document() {
    let (mut w, _alice, g) = world_with_group();
    let parsed = parse_html("<b>注意</b> <a href=\"https://x.org\">link</a>").unwrap();
    let mut msg = Msg::new(
        g,
        BOT_ID,
        Content::Text {
            text: parsed.text,
            entities: parsed.entities.iter().map(|e| e.to_json()).collect(),
        },
    );
    msg.markup =
        Some(serde_json::json!({"inline_keyboard": [[{"text": "OK", "callback_data": "ack:1"}]]}));
    let id = w.add_msg(msg);
    let m: Message = serde_json::from_value(message(&w, w.msg(g, id).unwrap())).unwrap();
    assert_eq!(m.text(), Some("注意 link"));
    assert_eq!(m.entities().unwrap().len(), 2);
    assert!(m.from.as_ref().unwrap().is_bot);
    let kb = m.reply_markup().unwrap();
    assert_eq!(kb.inline_keyboard[0][0].text, "OK");

    let file = w.new_file(
        false,
        Some("报告.csv".into()),
        1234,
        Some("text/csv".into()),
    );
    let doc = Content::Document {
        file,
        caption: "c".into(),
        entities: vec![],
    };
    let id = w.add_msg(Msg::new(g, BOT_ID, doc));
    let m: Message = serde_json::from_value(message(&w, w.msg(g, id).unwrap())).unwrap();
    let d = m.document().unwrap();
    assert_eq!(d.file_name.as_deref(), Some("报告.csv"));
    assert_eq!(d.file.size, 1234);
    assert_eq!(m.caption(), Some("c"));
}

#[test]
fn add_bot_updates() {
    let mut w = World::new();
    let alice = w.add_user("Alice", None);
    let g = w.create_chat(ChatKind::Supergroup, "区群", alice);
    w.add_bot(g, alice);
    let ups = take_updates(&mut w);
    assert_eq!(ups.len(), 2);
    let UpdateKind::MyChatMember(cm) = &ups[0].kind else {
        panic!("{:?}", ups[0])
    };
    assert_eq!(cm.old_chat_member.status(), ChatMemberStatus::Left);
    assert_eq!(cm.new_chat_member.status(), ChatMemberStatus::Member);
    assert_eq!(cm.from.id.0 as i64, alice);
    assert!(cm.chat.is_supergroup());
    let UpdateKind::Message(m) = &ups[1].kind else {
        panic!("{:?}", ups[1])
    };
    assert_eq!(m.new_chat_members().unwrap()[0].id.0 as i64, BOT_ID);
    assert!(ups[1].id.0 > ups[0].id.0);

    w.promote(g, BOT_ID);
    w.remove_bot(g, alice);
    let ups = take_updates(&mut w);
    let UpdateKind::MyChatMember(cm) = &ups[1].kind else {
        panic!()
    };
    assert_eq!(cm.old_chat_member.status(), ChatMemberStatus::Administrator);
    assert_eq!(cm.new_chat_member.status(), ChatMemberStatus::Banned);
}

#[test]
fn migration_messages() {
    let (mut w, _alice, g) = world_with_group();
    let s = w.migrate(g);
    assert!(s.to_string().starts_with("-100"));
    let ups = take_updates(&mut w);
    assert_eq!(ups.len(), 2);
    let UpdateKind::Message(a) = &ups[0].kind else {
        panic!()
    };
    assert_eq!(a.migrate_to_chat_id().map(|c| c.0), Some(s));
    assert_eq!(a.chat.id.0, g);
    let UpdateKind::Message(b) = &ups[1].kind else {
        panic!()
    };
    assert_eq!(
        b.chat_migration(),
        Some(&ChatMigration::From {
            chat_id: teloxide::types::ChatId(g)
        })
    );
    assert!(b.chat.is_supergroup());
    assert!(
        matches!(&b.kind, MessageKind::Common(c) if matches!(c.media_kind, MediaKind::Migration(_)))
    );
}

#[test]
fn callback_query_update() {
    let (mut w, alice, g) = world_with_group();
    let mut msg = Msg::new(
        g,
        BOT_ID,
        Content::Text {
            text: "pick".into(),
            entities: vec![],
        },
    );
    msg.markup =
        Some(serde_json::json!({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}));
    let id = w.add_msg(msg);
    let qid = w.press_button(g, id, alice, "forged");
    let ups = take_updates(&mut w);
    let UpdateKind::CallbackQuery(q) = &ups[0].kind else {
        panic!()
    };
    assert_eq!(q.id.0, qid);
    assert_eq!(q.data.as_deref(), Some("forged"));
    assert_eq!(q.from.id.0 as i64, alice);
    let m = q.regular_message().unwrap();
    assert_eq!(m.id.0 as i64, id);
    assert_eq!(m.text(), Some("pick"));

    w.chat_mut(g).msgs.get_mut(&id).unwrap().deleted = true;
    w.press_button(g, id, alice, "a");
    let ups = take_updates(&mut w);
    let UpdateKind::CallbackQuery(q) = &ups[0].kind else {
        panic!()
    };
    assert!(matches!(
        q.message,
        Some(MaybeInaccessibleMessage::Inaccessible(_))
    ));
}

#[test]
fn chat_members_all_statuses() {
    let (mut w, alice, g) = world_with_group();
    let bob = w.add_user("Bob", None);
    let carol = w.add_user("Carol", None);
    let dave = w.add_user("Dave", None);
    w.set_status(g, bob, MemberStatus::Administrator);
    w.set_status(g, carol, MemberStatus::Member);
    w.set_status(g, dave, MemberStatus::Kicked);
    let expect = [
        (alice, ChatMemberStatus::Owner),
        (bob, ChatMemberStatus::Administrator),
        (carol, ChatMemberStatus::Member),
        (dave, ChatMemberStatus::Banned),
        (w.add_user("Eve", None), ChatMemberStatus::Left),
    ];
    for (user, status) in expect {
        let v: Value = member(&w, g, user);
        let cm: ChatMember =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"));
        assert_eq!(cm.status(), status);
        assert_eq!(cm.user.id.0 as i64, user);
    }
}

#[test]
fn chat_full_info_shapes() {
    let (mut w, alice, g) = world_with_group();
    let s = w.create_chat(ChatKind::Supergroup, "S", alice);
    w.private_chat(alice);
    let id = w.add_msg(Msg::new(
        g,
        BOT_ID,
        Content::Text {
            text: "pinned".into(),
            entities: vec![],
        },
    ));
    w.chat_mut(g).msgs.get_mut(&id).unwrap().pinned = true;
    for chat in [g, s, alice] {
        let v = chat_full(&w, chat);
        let c: ChatFullInfo =
            serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"));
        assert_eq!(c.id.0, chat);
    }
    let c: ChatFullInfo = serde_json::from_value(chat_full(&w, g)).unwrap();
    assert_eq!(c.title(), Some("街道群"));
    assert_eq!(c.pinned_message.unwrap().text(), Some("pinned"));
    let c: ChatFullInfo = serde_json::from_value(chat_full(&w, alice)).unwrap();
    assert_eq!(c.first_name(), Some("Alice"));
}
