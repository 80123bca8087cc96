//! Tests of the HTTP surface with raw requests (encodings, auth, 5xx faults) and of the handle's helpers.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A minimal HTTP/1.1 client: returns (status, JSON body).
pub(super) async fn raw(sb: &Sandbox, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sb.addr(),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text[9..12].parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

fn path(method: &str) -> String {
    format!("/bot{}/{method}", Sandbox::TOKEN)
}

async fn call(sb: &Sandbox, method: &str, body: Value) -> (u16, Value) {
    raw(
        sb,
        &path(method),
        "application/json",
        body.to_string().as_bytes(),
    )
    .await
}

#[tokio::test]
async fn auth_and_unknown_methods() {
    let sb = Sandbox::start().await.unwrap();
    let (st, v) = raw(&sb, "/bot1:wrong/getMe", "application/json", b"{}").await;
    assert_eq!(
        (st, v),
        (
            401,
            json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
        )
    );
    let (st, v) = call(&sb, "frobnicate", json!({})).await;
    assert_eq!(
        (st, v),
        (
            404,
            json!({"ok": false, "error_code": 404, "description": "Not Found"})
        )
    );
    let (st, v) = raw(&sb, "/elsewhere", "text/plain", b"").await;
    assert_eq!((st, v["error_code"].clone()), (404, json!(404)));
    let (st, v) = call(&sb, "GETME", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(v["result"]["username"], "pingan_bot");
    let stats = sb.stats();
    assert_eq!(stats.requests("getMe"), 1);
    assert_eq!(stats.requests_by_method.get("getMe"), Some(&1));
    assert_eq!(stats.requests("frobnicate"), 1);
}

#[tokio::test]
async fn server_error_fault() {
    let sb = Sandbox::start().await.unwrap();
    sb.inject("getMe", None, 1, Fault::ServerError(502));
    let (st, v) = call(&sb, "getMe", json!({})).await;
    assert_eq!(
        (st, v),
        (
            502,
            json!({"ok": false, "error_code": 502, "description": "Bad Gateway"})
        )
    );
    let (st, _) = call(&sb, "getMe", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(sb.stats().errors_injected, 1);
}

#[tokio::test]
async fn form_encoded_and_multipart_bodies() {
    let sb = Sandbox::start().await.unwrap();
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "hi");
    let body = format!(
        "chat_id={alice}&text=%3Cb%3Ehi%3C%2Fb%3E&parse_mode=HTML&reply_markup={}",
        url::form_urlencoded::byte_serialize(
            br#"{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}"#
        )
        .collect::<String>()
    );
    let (st, v) = raw(
        &sb,
        &path("sendMessage"),
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["text"], "hi");
    assert_eq!(
        v["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "a"
    );

    let mp = format!(
        "--B\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n{alice}\r\n\
         --B\r\nContent-Disposition: form-data; name=\"document\"; filename=\"r.csv\"\r\n\
         Content-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--B--\r\n"
    );
    let (st, v) = raw(
        &sb,
        &path("sendDocument"),
        "multipart/form-data; boundary=B",
        mp.as_bytes(),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["result"]["document"]["file_name"], "r.csv");
    assert_eq!(v["result"]["document"]["file_size"], 8);
    let docs = sb.messages(alice);
    assert_eq!(
        docs[1].kind,
        SentKind::Document {
            file_name: "r.csv".into()
        }
    );
    assert_eq!(docs[1].file_size, Some(8));

    // A document field that is neither a file nor a known file_id.
    let (st, v) = call(
        &sb,
        "sendDocument",
        json!({"chat_id": alice, "document": "nope"}),
    )
    .await;
    assert_eq!(
        (st, v["description"].clone()),
        (
            400,
            json!("Bad Request: wrong file identifier/HTTP URL specified")
        )
    );
}

#[tokio::test]
async fn send_checks() {
    let sb = Sandbox::start().await.unwrap();
    let alice = sb.add_user("Alice", None);
    let desc = |v: Value| v["description"].as_str().unwrap().to_string();
    let (st, v) = call(&sb, "sendMessage", json!({"chat_id": 42, "text": "x"})).await;
    assert_eq!((st, desc(v)), (400, "Bad Request: chat not found".into()));
    let (st, v) = call(&sb, "sendMessage", json!({"chat_id": alice, "text": "x"})).await;
    assert_eq!(
        (st, desc(v)),
        (
            403,
            "Forbidden: bot can't initiate conversation with a user".into()
        )
    );
    sb.send_text(alice, alice, "/start");
    let (_, v) = call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "<b></b>", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(desc(v), "Bad Request: message text is empty");
    let long = "字".repeat(4097);
    let (_, v) = call(&sb, "sendMessage", json!({"chat_id": alice, "text": long})).await;
    assert_eq!(desc(v), "Bad Request: message is too long");
    // 4096 UTF-16 units after entity parsing is fine.
    let ok = format!("<b>{}</b>", "字".repeat(4096));
    let (st, _) = call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": ok, "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, v) = call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "x", "reply_parameters": {"message_id": 99}}),
    )
    .await;
    assert_eq!(desc(v), "Bad Request: message to be replied not found");
    let (_, v) = call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "x".repeat(65)}]]}}),
    )
    .await;
    assert_eq!(desc(v), "Bad Request: BUTTON_DATA_INVALID");
    let (_, v) = call(
        &sb,
        "sendPhoto",
        json!({"chat_id": alice, "photo": "https://x.org/a.jpg", "caption": "c".repeat(1025)}),
    )
    .await;
    assert_eq!(desc(v), "Bad Request: message caption is too long");
    sb.block_bot(alice);
    let (st, v) = call(&sb, "sendMessage", json!({"chat_id": alice, "text": "x"})).await;
    assert_eq!(
        (st, desc(v)),
        (403, "Forbidden: bot was blocked by the user".into())
    );
    sb.send_text(alice, alice, "back");
    let (st, _) = call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "x", "reply_to_message_id": 2}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(sb.last_message(alice).unwrap().reply_to, Some(2));
}

#[tokio::test]
async fn groups_membership_and_pins() {
    let sb = Sandbox::start().await.unwrap();
    let alice = sb.add_user("Alice", Some("alice"));
    let bob = sb.add_user("Bob", None);
    let g = sb.create_supergroup("区群", alice);
    sb.join(g, bob);
    let (st, v) = call(&sb, "sendMessage", json!({"chat_id": g, "text": "x"})).await;
    assert_eq!(
        (st, v["description"].clone()),
        (
            403,
            json!("Forbidden: bot is not a member of the supergroup chat")
        )
    );
    sb.add_bot(g, alice);
    let (_, v) = call(&sb, "sendMessage", json!({"chat_id": g, "text": "x"})).await;
    let id = v["result"]["message_id"].as_i64().unwrap();
    let (_, v) = call(
        &sb,
        "pinChatMessage",
        json!({"chat_id": g, "message_id": id}),
    )
    .await;
    assert_eq!(
        v["description"],
        "Bad Request: not enough rights to manage pinned messages in the chat"
    );
    sb.promote(g, sb.bot_id());
    assert_eq!(
        sb.member_status(g, sb.bot_id()),
        MemberStatus::Administrator
    );
    let (st, _) = call(
        &sb,
        "pinChatMessage",
        json!({"chat_id": g, "message_id": id}),
    )
    .await;
    assert_eq!(st, 200);
    assert!(sb.messages(g)[0].pinned);
    let (_, v) = call(&sb, "getChatAdministrators", json!({"chat_id": g})).await;
    let statuses: Vec<_> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("administrator"), json!("creator")]);
    let (_, v) = call(&sb, "getChatMemberCount", json!({"chat_id": g})).await;
    assert_eq!(v["result"], 3);
    let user_msg = sb.send_text(g, bob, "spam");
    let (st, _) = call(
        &sb,
        "deleteMessage",
        json!({"chat_id": g, "message_id": user_msg}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, v) = call(
        &sb,
        "deleteMessage",
        json!({"chat_id": g, "message_id": user_msg}),
    )
    .await;
    assert_eq!(v["description"], "Bad Request: message to delete not found");
    let (st, _) = call(&sb, "leaveChat", json!({"chat_id": g})).await;
    assert_eq!(st, 200);
    assert_eq!(sb.member_status(g, sb.bot_id()), MemberStatus::Left);
    assert_eq!(sb.chat_title(g), "区群");
    assert_eq!(sb.user_name(bob), "Bob");
}

#[tokio::test]
async fn wait_until_is_event_driven() {
    let sb = Sandbox::start().await.unwrap();
    let alice = sb.add_user("Alice", None);
    sb.send_text(alice, alice, "hi");
    let sb2 = sb.clone();
    let waiter = tokio::spawn(async move {
        sb2.wait_message("a reply saying pong", |m| m.text == "pong")
            .await
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished());
    call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "ping"}),
    )
    .await;
    call(
        &sb,
        "sendMessage",
        json!({"chat_id": alice, "text": "pong"}),
    )
    .await;
    let m = waiter.await.unwrap();
    assert_eq!((m.chat_id, m.message_id), (alice, 3));
    sb.wait_until("two bot messages", |s| s.all_messages().len() == 2)
        .await;
    assert!(sb.dump().contains("] pong"));
}
