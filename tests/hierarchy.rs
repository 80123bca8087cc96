//! The hierarchy and its people, driven through the real bot against the
//! sandbox Bot API server: building the tree, binding groups, roles, refusals.

mod common;

use common::{TestBot, spawn, spawn_en};
use pingan::domain::NodeCode;
use pingan::store::{groups, nodes, people};

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

async fn node_count(bot: &TestBot) -> i64 {
    let mut c = bot.app().store.conn().await.unwrap();
    nodes::count(&mut c).await.unwrap()
}

#[tokio::test]
async fn superadmin_builds_the_tree_and_sees_it() {
    let bot = spawn().await;
    bot.small_district().await;
    assert_eq!(node_count(&bot).await, 7);
    let tree = bot.say(bot.root, bot.root, "/tree").await;
    for expected in [
        "西区",
        "河门口街道",
        "第三网格",
        "xq.hmk.c1.g4",
        "共 7 个节点",
    ] {
        assert!(
            tree.text.contains(expected),
            "{expected} missing from {}",
            tree.text
        );
    }
    let sub = bot.say(bot.root, bot.root, "/tree xq.qxp").await;
    assert!(
        sub.text.contains("清香坪社区") && !sub.text.contains("河门口"),
        "{}",
        sub.text
    );
    // The command menu was registered for everyone and for group admins.
    assert!(
        bot.sandbox
            .my_commands("default")
            .iter()
            .any(|(c, _)| c == "whoami")
    );
    assert!(
        bot.sandbox
            .my_commands("all_chat_administrators")
            .iter()
            .any(|(c, _)| c == "bind")
    );
}

#[tokio::test]
async fn addnode_refuses_bad_input_and_changes_nothing() {
    let bot = spawn().await;
    bot.small_district().await;
    let root = bot.root;
    let resident = bot.sandbox.add_user("居民", None);
    bot.start_private(resident).await;
    let cases: &[(i64, &str, &str)] = &[
        (root, "/addnode", "用法：/addnode"),
        (root, "/addnode xq.hmk", "用法"),
        (root, "/addnode xq.hmk xq.qxp.c9 错位", "上级编码后加一段"),
        (
            root,
            "/addnode xq.hmk.c1.g3 xq.hmk.c1.g3.x 第五级",
            "最低一级",
        ),
        (root, "/addnode xq.nope xq.nope.c1 无名", "不存在"),
        (root, "/addnode xq xq.hmk 重复", "已被使用"),
        (root, "/addnode xq xq.Bad! 坏", "不是有效的节点编码"),
        (resident, "/addnode xq xq.new 新街道", "没有职务"),
        (resident, "/addnode - zz 新区", "超级管理员"),
    ];
    for (user, cmd, expected) in cases {
        let reply = bot.say(*user, *user, cmd).await;
        assert!(
            reply.text.contains(expected),
            "{cmd}: expected {expected:?} in {:?}",
            reply.text
        );
    }
    assert_eq!(
        node_count(&bot).await,
        7,
        "refused commands changed nothing"
    );
}

#[tokio::test]
async fn unknown_and_foreign_commands() {
    let bot = spawn().await;
    let user = bot.sandbox.add_user("甲", None);
    let reply = bot.say(user, user, "/frobnicate").await;
    assert!(
        reply.text.contains("没有 /frobnicate 这个命令"),
        "{}",
        reply.text
    );
    let reply = bot.say(user, user, "随便说说").await;
    assert!(reply.text.contains("/help"), "{}", reply.text);
    // A command addressed to another bot is not ours to answer; the next one is.
    bot.sandbox.send_text(user, user, "/start@some_other_bot");
    let reply = bot.say(user, user, "/whoami").await;
    assert!(reply.text.contains("没有职务"), "{}", reply.text);
    let answered: Vec<_> = bot
        .sandbox
        .messages(user)
        .into_iter()
        .filter(|m| m.text.contains("您好"))
        .collect();
    assert!(
        answered.is_empty(),
        "answered a command meant for another bot"
    );
}

#[tokio::test]
async fn binding_needs_a_role_and_telegram_admin_rights() {
    let bot = spawn().await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", Some("wang"));
    let outsider = bot.sandbox.add_user("群主", None);
    // Binding is for node admins (see bind_and_unbind_are_for_node_admins_only).
    bot.grant(worker, "admin", "xq.hmk.c1.g3").await;

    // The bot is added to a group and says how to bind it.
    let chat = bot.sandbox.create_group("第三网格群", outsider);
    bot.sandbox.join(chat, worker);
    bot.sandbox.add_bot(chat, outsider);
    let hello = bot
        .sandbox
        .wait_message("greeting", |m| {
            m.chat_id == chat && m.text.contains("/bind")
        })
        .await;
    assert!(hello.text.contains("xq.hmk.c1.g3"));

    // Telegram admin without a pingan role: refused.
    let r = bot.say(chat, outsider, "/bind xq.hmk.c1.g3").await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    // Staff who is not a Telegram admin of the group: refused.
    let r = bot.say(chat, worker, "/bind xq.hmk.c1.g3").await;
    assert!(r.text.contains("Telegram 管理员"), "{}", r.text);
    // A role that does not cover the node: refused.
    bot.sandbox.promote(chat, worker);
    let r = bot.say(chat, worker, "/bind xq.hmk.c1.g4").await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    let r = bot.say(chat, worker, "/bind").await;
    assert!(r.text.contains("用法：/bind"), "{}", r.text);
    {
        let mut c = bot.app().store.conn().await.unwrap();
        assert!(
            groups::by_chat(&mut c, chat)
                .await
                .unwrap()
                .unwrap()
                .node
                .is_none(),
            "refusals bound nothing"
        );
    }
    // Both: bound.
    let r = bot.say(chat, worker, "/bind xq.hmk.c1.g3").await;
    assert!(
        r.text.contains("✅") && r.text.contains("第三网格"),
        "{}",
        r.text
    );

    // The same node cannot be bound twice.
    let other = bot.sandbox.create_group("另一个群", worker);
    bot.sandbox.add_bot(other, worker);
    let r = bot.say(other, worker, "/bind xq.hmk.c1.g3").await;
    assert!(r.text.contains("已绑定到群「第三网格群」"), "{}", r.text);

    // /tree shows the binding.
    let tree = bot.say(bot.root, bot.root, "/tree xq.hmk").await;
    assert!(tree.text.contains("✅🏠 第三网格"), "{}", tree.text);

    // Removing the bot marks the binding inactive; adding it back restores it.
    bot.sandbox.remove_bot(chat, outsider);
    bot.settle().await;
    {
        let mut c = bot.app().store.conn().await.unwrap();
        let g = groups::by_chat(&mut c, chat).await.unwrap().unwrap();
        assert!(
            !g.active && g.node == Some(code("xq.hmk.c1.g3")),
            "binding kept but inactive: {g:?}"
        );
    }
    bot.sandbox.add_bot(chat, outsider);
    let back = bot
        .sandbox
        .wait_message("welcome back", |m| {
            m.chat_id == chat && m.text.contains("我回来了")
        })
        .await;
    assert!(back.text.contains("第三网格"));

    // /unbind by the same staff.
    let r = bot.say(chat, worker, "/unbind").await;
    assert!(r.text.contains("已解除"), "{}", r.text);
    let mut c = bot.app().store.conn().await.unwrap();
    assert!(
        groups::by_node(&mut c, &code("xq.hmk.c1.g3"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn bound_node(bot: &TestBot, chat: i64) -> Option<NodeCode> {
    let mut c = bot.app().store.conn().await.unwrap();
    groups::by_chat(&mut c, chat)
        .await
        .unwrap()
        .and_then(|g| g.node)
}

/// DESIGN.md: `/bind` and `/unbind` are for node admins (and superadmins)
/// who are Telegram admins of the group; other staff are refused and
/// change nothing.
#[tokio::test]
async fn bind_and_unbind_are_for_node_admins_only() {
    let bot = spawn().await;
    bot.small_district().await;
    let volunteer = bot.sandbox.add_user("楼栋长", None);
    let admin = bot.sandbox.add_user("社区书记", None);
    bot.grant(volunteer, "volunteer", "xq.hmk.c1.g3").await;
    bot.grant(admin, "admin", "xq.hmk.c1").await;
    let chat = bot.sandbox.create_group("第三网格群", volunteer);
    bot.sandbox.join(chat, admin);
    bot.sandbox.promote(chat, admin);
    bot.sandbox.add_bot(chat, volunteer);

    let r = bot.say(chat, volunteer, "/bind xq.hmk.c1.g3").await;
    assert!(
        r.text.contains("只有 xq.hmk.c1.g3 或其上级节点的管理员"),
        "{}",
        r.text
    );
    assert_eq!(
        bound_node(&bot, chat).await,
        None,
        "a refused /bind binds nothing"
    );

    let r = bot.say(chat, admin, "/bind xq.hmk.c1.g3").await;
    assert!(r.text.contains('✅'), "{}", r.text);
    assert_eq!(bound_node(&bot, chat).await, Some(code("xq.hmk.c1.g3")));

    let r = bot.say(chat, volunteer, "/unbind").await;
    assert!(r.text.contains("管理员"), "{}", r.text);
    assert_eq!(
        bound_node(&bot, chat).await,
        Some(code("xq.hmk.c1.g3")),
        "a refused /unbind releases nothing"
    );
    // /help in the group no longer offers them to the volunteer.
    let help = bot.say(chat, volunteer, "/help").await;
    assert!(!help.text.contains("/bind"), "{}", help.text);

    let r = bot.say(chat, admin, "/unbind").await;
    assert!(r.text.contains("已解除"), "{}", r.text);
    assert_eq!(bound_node(&bot, chat).await, None);
}

#[tokio::test]
async fn admins_grant_and_revoke_inside_their_subtree_only() {
    let bot = spawn().await;
    bot.small_district().await;
    let street_admin = bot.sandbox.add_user("河门口主任", Some("hmk_boss"));
    let worker = bot.sandbox.add_user("王芳", Some("wangfang"));
    let backup = bot.sandbox.add_user("李强", None);
    let worker_at_qxp = bot.sandbox.add_user("赵六", None);
    bot.grant(street_admin, "admin", "xq.hmk").await;
    bot.start_private(street_admin).await;
    bot.start_private(worker).await;
    bot.start_private(backup).await;

    let a = street_admin;
    let r = bot.say(a, a, "/grant @wangfang worker xq.hmk.c1.g3").await;
    assert!(
        r.text.contains("✅") && r.text.contains("网格员") && r.text.contains("A岗"),
        "{}",
        r.text
    );
    // The grantee hears of it privately.
    bot.sandbox
        .wait_message("grantee told", |m| {
            m.chat_id == worker && m.text.contains("您已被授予")
        })
        .await;
    let r = bot
        .say(a, a, &format!("/grant {backup} 网格员 xq.hmk.c1.g3 backup"))
        .await;
    assert!(r.text.contains("B岗"), "{}", r.text);
    // Outside the subtree: refused.
    let r = bot
        .say(a, a, &format!("/grant {worker_at_qxp} worker xq.qxp.c1"))
        .await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    // A worker may not grant.
    let r = bot
        .say(
            worker,
            worker,
            &format!("/grant {backup} police xq.hmk.c1.g3"),
        )
        .await;
    assert!(r.text.contains("管理员"), "{}", r.text);
    // Malformed.
    for (cmd, expected) in [
        (
            "/grant @wangfang chief xq.hmk.c1.g3",
            "没有「chief」这个角色",
        ),
        ("/grant @nobody worker xq.hmk.c1.g3", "还不认识 @nobody"),
        ("/grant @wangfang worker", "请写出节点编码"),
        ("/grant", "用法：/grant"),
    ] {
        let r = bot.say(a, a, cmd).await;
        assert!(r.text.contains(expected), "{cmd}: {}", r.text);
    }
    // In a group bound to the grid, replying to someone's message names them.
    let chat = bot
        .bound_group(
            "第三网格群",
            "xq.hmk.c1.g3",
            worker_owner(&bot, worker).await,
        )
        .await;
    bot.sandbox.join(chat, a);
    bot.sandbox.join(chat, worker_at_qxp);
    let said = bot.sandbox.send_text(chat, worker_at_qxp, "我来帮忙巡逻");
    let r = bot.say_replying(chat, a, said, "/grant volunteer").await;
    assert!(
        r.text.contains("✅") && r.text.contains("赵六") && r.text.contains("志愿者"),
        "{}",
        r.text
    );

    let staff = bot.say(a, a, "/staff xq.hmk.c1.g3").await;
    for expected in ["王芳", "李强", "赵六", "A岗", "B岗", "@wangfang"] {
        assert!(
            staff.text.contains(expected),
            "{expected} missing: {}",
            staff.text
        );
    }
    let r = bot
        .say(a, a, &format!("/revoke {backup} worker xq.hmk.c1.g3"))
        .await;
    assert!(r.text.contains("已撤销"), "{}", r.text);
    let r = bot
        .say(a, a, &format!("/revoke {backup} worker xq.hmk.c1.g3"))
        .await;
    assert!(r.text.contains("没有网格员角色"), "{}", r.text);
    let mut c = bot.app().store.conn().await.unwrap();
    assert!(people::grants_of(&mut c, backup).await.unwrap().is_empty());
    assert_eq!(
        people::grants_of(&mut c, worker_at_qxp)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The worker binds their own grid group (as its Telegram owner).
async fn worker_owner(_bot: &TestBot, worker: i64) -> i64 {
    worker
}

#[tokio::test]
async fn residents_join_by_link_and_see_only_their_commands() {
    let bot = spawn().await;
    bot.small_district().await;
    let resident = bot.sandbox.add_user("张三", None);
    let r = bot
        .say(resident, resident, "/start join_xq-hmk-c1-g3")
        .await;
    assert!(r.text.contains("第三网格"), "{}", r.text);
    let r = bot.say(resident, resident, "/whoami").await;
    assert!(
        r.text.contains("所在网格：第三网格 xq.hmk.c1.g3"),
        "{}",
        r.text
    );
    let help = bot.say(resident, resident, "/help").await;
    assert!(
        help.text.contains("/whoami")
            && !help.text.contains("/grant")
            && !help.text.contains("/tree"),
        "{}",
        help.text
    );
    let r = bot.say(resident, resident, "/tree").await;
    assert!(
        r.text.contains("用法") || r.text.contains("没有职务"),
        "{}",
        r.text
    );
    let r = bot.say(resident, resident, "/start join_xq-hmk").await;
    assert!(r.text.contains("不是网格"), "{}", r.text);
    let r = bot
        .say(resident, resident, "/start join_xq-nowhere-c1-g1")
        .await;
    assert!(r.text.contains("不存在"), "{}", r.text);

    let root_help = bot.say(bot.root, bot.root, "/help").await;
    assert!(
        root_help.text.contains("/grant") && root_help.text.contains("/addnode"),
        "{}",
        root_help.text
    );
}

#[tokio::test]
async fn names_users_wrote_are_escaped() {
    let bot = spawn().await;
    let root = bot.root;
    let r = bot
        .say(root, root, "/addnode - xq <b>西区</b> & \"co\"")
        .await;
    assert!(
        r.text.contains("<b>西区</b> & \"co\""),
        "shown literally: {}",
        r.text
    );
    let r = bot.say(root, root, "/tree").await;
    assert!(r.text.contains("<b>西区</b>"), "{}", r.text);
    let evil = bot.sandbox.add_user("<i>坏人", None);
    let r = bot.say(evil, evil, "/whoami").await;
    assert!(r.text.contains("<i>坏人"), "{}", r.text);
}

#[tokio::test]
async fn english_replies() {
    let bot = spawn_en().await;
    let root = bot.root;
    let r = bot.say(root, root, "/addnode - xq Xiqu").await;
    assert!(r.text.contains("Created the district"), "{}", r.text);
    let r = bot.say(root, root, "/addnode xq xq.hmk Hemenkou").await;
    assert!(r.text.contains("Added the town"), "{}", r.text);
    let r = bot.say(root, root, "/addnode xq").await;
    assert!(r.text.contains("Usage: /addnode"), "{}", r.text);
    let r = bot.say(root, root, "/tree").await;
    assert!(r.text.contains("2 nodes"), "{}", r.text);
    let stranger = bot.sandbox.add_user("Bob", None);
    let r = bot.say(stranger, stranger, "/staff xq").await;
    assert!(r.text.contains("You hold no role"), "{}", r.text);
}

#[tokio::test]
async fn group_upgraded_to_supergroup_keeps_its_binding() {
    let bot = spawn().await;
    bot.small_district().await;
    let chat = bot.bound_group("西区群", "xq", bot.root).await;
    let new_id = bot.sandbox.migrate(chat);
    bot.settle().await;
    {
        let mut c = bot.app().store.conn().await.unwrap();
        assert_eq!(
            groups::by_node(&mut c, &code("xq"))
                .await
                .unwrap()
                .unwrap()
                .chat_id,
            new_id
        );
    }
    let r = bot.say(new_id, bot.root, "/tree").await;
    assert!(r.text.contains("西区"), "{}", r.text);
}

#[tokio::test]
async fn the_bot_runs_on_postgres() {
    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    let bot = common::spawn_with(common::Options {
        db: Some(db),
        ..Default::default()
    })
    .await;
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", None);
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let chat = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    let staff = bot.say(chat, worker, "/staff").await;
    assert!(staff.text.contains("王网格员"), "{}", staff.text);
    let tree = bot.say(bot.root, bot.root, "/tree xq.hmk").await;
    assert!(tree.text.contains("✅🏠 第三网格"), "{}", tree.text);
    assert_eq!(node_count(&bot).await, 7);
}

#[tokio::test]
async fn forged_button_presses_change_nothing() {
    let bot = spawn().await;
    bot.small_district().await;
    let resident = bot.sandbox.add_user("张三", None);
    let reply = bot.start_private(resident).await;
    for data in ["a:send:1", "c:accept:99", "garbage", ""] {
        let id = bot
            .sandbox
            .press_button(resident, reply.message_id, resident, data);
        bot.sandbox
            .wait_until("the press answered", |s| {
                s.callback_answers().iter().any(|a| a.query_id == id)
            })
            .await;
        let answer = bot
            .sandbox
            .callback_answers()
            .into_iter()
            .find(|a| a.query_id == id)
            .unwrap();
        assert!(answer.text.unwrap_or_default().contains("已失效"), "{data}");
    }
    assert_eq!(node_count(&bot).await, 7);
}

#[tokio::test]
async fn a_redelivered_update_is_handled_once() {
    let bot = spawn().await;
    bot.small_district().await;
    let root = bot.root;
    // Telegram redelivers an update the bot handled but did not confirm before a crash.
    // (from_str, as teloxide itself parses: its UpdateKind cannot be read from a serde_json::Value)
    let update: teloxide::types::Update = serde_json::from_str(
        &serde_json::json!({
            "update_id": 900001,
            "message": {
                "message_id": 777, "date": 1_795_741_200,
                "chat": {"id": root, "type": "private", "first_name": "超级管理员"},
                "from": {"id": root, "is_bot": false, "first_name": "超级管理员"},
                "text": "/addnode xq.qxp xq.qxp.c2 新社区",
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
            }
        })
        .to_string(),
    )
    .unwrap();
    let tg = pingan::telegram::make_bot(&bot.bot_config());
    // Twice in one poll, then once more on its own.
    pingan::telegram::updates::handle_batch(bot.app(), &tg, &[update.clone(), update.clone()])
        .await;
    pingan::telegram::updates::handle(bot.app(), &tg, &update)
        .await
        .unwrap();
    let mut c = bot.app().store.conn().await.unwrap();
    assert_eq!(nodes::count(&mut c).await.unwrap(), 8);
    // Had it been handled twice, a second reply ("code already taken") would be queued.
    let replies: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE reply_to = 777")
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(replies, 1);
}

/// A private `/addnode` from the superadmin as Telegram would deliver it.
fn addnode_update(
    root: i64,
    update_id: u32,
    message_id: i64,
    args: &str,
) -> teloxide::types::Update {
    let text = format!("/addnode {args}");
    serde_json::from_str(
        &serde_json::json!({
            "update_id": update_id,
            "message": {
                "message_id": message_id, "date": 1_795_741_200,
                "chat": {"id": root, "type": "private", "first_name": "超级管理员"},
                "from": {"id": root, "is_bot": false, "first_name": "超级管理员"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}]
            }
        })
        .to_string(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_poll_commits_together_unless_one_is_refused() {
    let bot = spawn().await;
    bot.small_district().await;
    let root = bot.root;
    let tg = pingan::telegram::make_bot(&bot.bot_config());
    let replies_to = |id: i64| {
        let store = bot.app().store.clone();
        async move {
            let mut c = store.conn().await.unwrap();
            sqlx::query("SELECT text FROM outbox WHERE reply_to = $1")
                .bind(id)
                .fetch_all(&mut *c)
                .await
                .unwrap()
                .iter()
                .map(|r| sqlx::Row::get::<String, _>(r, "text"))
                .collect::<Vec<_>>()
        }
    };
    // The second is refused (the code was just taken by the first): the poll
    // falls back to one transaction each, with the same outcome.
    let first = addnode_update(root, 910001, 801, "xq.qxp xq.qxp.c2 新社区");
    let taken = addnode_update(root, 910002, 802, "xq.qxp xq.qxp.c2 重名社区");
    pingan::telegram::updates::handle_batch(bot.app(), &tg, &[first, taken]).await;
    let mut c = bot.app().store.conn().await.unwrap();
    let node = nodes::get(&mut c, &NodeCode::parse("xq.qxp.c2").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(node.name, "新社区");
    assert_eq!(replies_to(801).await.len(), 1);
    let refusal = replies_to(802).await;
    assert!(
        refusal.len() == 1 && refusal[0].contains("xq.qxp.c2"),
        "{refusal:?}"
    );

    // Both go through: one transaction, both applied, both answered.
    let a = addnode_update(root, 910003, 803, "xq.qxp xq.qxp.c3 三社区");
    let b = addnode_update(root, 910004, 804, "xq.qxp.c3 xq.qxp.c3.g1 一网格");
    pingan::telegram::updates::handle_batch(bot.app(), &tg, &[a, b]).await;
    for code in ["xq.qxp.c3", "xq.qxp.c3.g1"] {
        assert!(
            nodes::get(&mut c, &NodeCode::parse(code).unwrap())
                .await
                .unwrap()
                .is_some(),
            "{code}"
        );
    }
    assert_eq!(
        (replies_to(803).await.len(), replies_to(804).await.len()),
        (1, 1)
    );
}
