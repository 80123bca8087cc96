//! Residents' reports as cases, driven through the real bot against the
//! sandbox: intake in a group and privately, every step and refusal, status
//! back to the reporter and the group, anonymity, follow-up rating and
//! reminders with the manual clock.

mod common;

use common::TestBot;
use pingan::domain::case::status::replay;
use pingan::domain::case::{CaseId, Status, Tier};
use pingan::sandbox::{CallbackAnswer, SentMessage};
use pingan::store::cases;

struct World {
    worker: i64,
    other_worker: i64,
    street_admin: i64,
    resident: i64,
    group: i64,
}

async fn world(bot: &TestBot) -> World {
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格", Some("wang"));
    let other_worker = bot.sandbox.add_user("赵网格", None);
    let street_admin = bot.sandbox.add_user("李主任", None);
    let resident = bot.sandbox.add_user("张居民", Some("zhang"));
    for u in [worker, other_worker, street_admin] {
        bot.start_private(u).await;
    }
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    bot.grant(other_worker, "worker", "xq.hmk.c1.g4").await;
    bot.grant(street_admin, "admin", "xq.hmk").await;
    let group = bot.bound_group("第三网格群", "xq.hmk.c1.g3", worker).await;
    bot.sandbox.join(group, resident);
    World {
        worker,
        other_worker,
        street_admin,
        resident,
        group,
    }
}

async fn case(bot: &TestBot, id: i64) -> cases::Case {
    let mut c = bot.app().store.conn().await.unwrap();
    cases::get(&mut c, CaseId(id))
        .await
        .unwrap()
        .expect("case exists")
}

async fn events(bot: &TestBot, id: i64) -> Vec<cases::Event> {
    let mut c = bot.app().store.conn().await.unwrap();
    cases::events(&mut c, CaseId(id)).await.unwrap()
}

/// Presses a button and waits for the bot's answer to that press.
async fn press(bot: &TestBot, chat: i64, msg: i64, user: i64, data: &str) -> CallbackAnswer {
    let q = bot.sandbox.press_button(chat, msg, user, data);
    let mut found = None;
    bot.sandbox
        .wait_until("the answer to a button press", |s| {
            found = s.callback_answers().into_iter().find(|a| a.query_id == q);
            found.is_some()
        })
        .await;
    found.unwrap()
}

async fn wait_text(bot: &TestBot, chat: i64, needle: &str) -> SentMessage {
    bot.sandbox
        .wait_message(&format!("{needle:?} in chat {chat}"), |m| {
            m.chat_id == chat && m.text.contains(needle)
        })
        .await
}

fn count_with(bot: &TestBot, chat: i64, needle: &str) -> usize {
    bot.sandbox
        .messages(chat)
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

/// Waits until `chat` has `n` of the bot's messages containing `needle`.
async fn wait_count(bot: &TestBot, chat: i64, needle: &str, n: usize) {
    bot.sandbox
        .wait_until(&format!("{n} × {needle:?} in chat {chat}"), |s| {
            s.messages(chat)
                .iter()
                .filter(|m| m.text.contains(needle))
                .count()
                == n
        })
        .await;
}

on_both_databases!(group_report_goes_through_its_life_with_status_back: group_report_goes_through_its_life_with_status_back_sqlite, group_report_goes_through_its_life_with_status_back_postgres);

async fn group_report_goes_through_its_life_with_status_back(bot: TestBot) {
    let w = world(&bot).await;
    bot.start_private(w.resident).await;
    let reply = bot
        .say(w.group, w.resident, "/report 纠纷 楼上漏水到我家")
        .await;
    assert!(
        reply.text.contains("#1") && reply.text.contains("矛盾纠纷"),
        "{}",
        reply.text
    );
    wait_text(&bot, w.resident, "已登记为 #1").await;
    let notice = wait_text(&bot, w.worker, "新事项 #1").await;
    assert!(notice.has_button("c:s:1:accept"), "{notice}");

    // Refusals change nothing.
    let r = bot.say(w.other_worker, w.other_worker, "/accept 1").await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    let r = bot.say(w.resident, w.resident, "/accept #1").await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    let r = bot.say(w.worker, w.worker, "/close 1").await;
    assert!(r.text.contains("当前为「待受理」，不能办结"), "{}", r.text);
    let r = bot.say(w.worker, w.worker, "/resolve 1").await;
    assert!(r.text.contains("用法：/resolve"), "{}", r.text);
    let r = bot.say(w.worker, w.worker, "/accept 99").await;
    assert!(r.text.contains("没有 #99"), "{}", r.text);
    let r = bot.say(w.worker, w.worker, "/accept abc").await;
    assert!(r.text.contains("不是事项编号"), "{}", r.text);
    assert_eq!(case(&bot, 1).await.status, Status::New);

    let r = bot.say(w.worker, w.worker, "/accept 1").await;
    assert!(r.text.contains("#1 矛盾纠纷 · 已受理"), "{}", r.text);
    wait_text(&bot, w.resident, "您反映的 #1（矛盾纠纷）：已受理").await;
    wait_text(&bot, w.group, "#1 矛盾纠纷 · 已受理").await;

    bot.say(w.worker, w.worker, "/update 1 已联系楼上住户")
        .await;
    wait_text(&bot, w.resident, "已联系楼上住户").await;
    wait_text(&bot, w.group, "#1 矛盾纠纷 · 处理中").await;
    bot.say(w.worker, w.worker, "/resolve 1 已修好水管").await;
    wait_text(&bot, w.resident, "已修好水管").await;
    wait_text(&bot, w.group, "#1 矛盾纠纷 · 已解决").await;
    // The reporter could be written to, so the group lines do not name them.
    assert_eq!(count_with(&bot, w.group, "张居民"), 0);

    let c = case(&bot, 1).await;
    assert_eq!((c.status, c.handler_id), (Status::Resolved, Some(w.worker)));
    assert!(c.resolved_at.is_some());
    let log = events(&bot, 1).await;
    let kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["report", "accept", "start", "resolve"]);
    let chain: Vec<(Status, Status)> = log[1..]
        .iter()
        .map(|e| (e.from.unwrap(), e.to.unwrap()))
        .collect();
    assert_eq!(replay(&chain), Some(Status::Resolved));

    // The card shows the history and only the steps now possible.
    let card = bot.say(w.worker, w.worker, "/case #1").await;
    for s in ["楼上漏水到我家", "已修好水管", "王网格", "张居民"] {
        assert!(card.text.contains(s), "{s} missing: {}", card.text);
    }
    assert!(card.has_button("c:s:1:close") && card.has_button("c:s:1:reopen"));
    assert!(!card.has_button("c:s:1:accept"));
    let mine = bot.say(w.resident, w.resident, "/mycases").await;
    assert!(
        mine.text.contains("#1")
            && mine.text.contains("已解决")
            && mine.text.contains("已修好水管"),
        "{}",
        mine.text
    );
}

on_both_databases!(buttons_recheck_permission_and_refuse_forged_data: buttons_recheck_permission_and_refuse_forged_data_sqlite, buttons_recheck_permission_and_refuse_forged_data_postgres);

async fn buttons_recheck_permission_and_refuse_forged_data(bot: TestBot) {
    let w = world(&bot).await;
    bot.say(w.group, w.resident, "/report 隐患 路灯坏了").await;
    let notice = wait_text(&bot, w.worker, "新事项 #1").await;

    let a = press(&bot, w.other_worker, 1, w.other_worker, "c:s:1:accept").await;
    assert!(a.show_alert && a.text.unwrap().contains("没有职务"));
    let a = press(&bot, w.worker, notice.message_id, w.worker, "c:s:abc:zzz").await;
    assert!(a.text.unwrap().contains("已失效"));
    let a = press(
        &bot,
        w.worker,
        notice.message_id,
        w.worker,
        "c:r:1:satisfied",
    )
    .await;
    assert!(a.text.unwrap().contains("不属于您"));
    assert_eq!(case(&bot, 1).await.status, Status::New);

    let a = press(&bot, w.worker, notice.message_id, w.worker, "c:s:1:accept").await;
    assert!(!a.show_alert, "{a:?}");
    assert_eq!(case(&bot, 1).await.status, Status::Accepted);
    // The notice pressed on becomes the card, with only the steps that remain;
    // nothing new is posted in the worker's chat.
    let sent_before = bot.sandbox.messages(w.worker).len();
    let card = wait_edited(&bot, w.worker, notice.message_id, "已受理").await;
    assert!(
        card.text.contains("路灯坏了") && card.text.contains("经过"),
        "{card}"
    );
    assert!(
        !card.has_button("c:s:1:accept") && card.has_button("c:s:1:escalate"),
        "{card}"
    );
    assert_eq!(bot.sandbox.messages(w.worker).len(), sent_before);
    // The same button again is refused by the state machine.
    let a = press(&bot, w.worker, notice.message_id, w.worker, "c:s:1:accept").await;
    assert!(a.text.unwrap().contains("不能受理"));
    // The resident had not started the bot: the group line names them.
    let line = wait_text(&bot, w.group, "#1 安全隐患 · 已受理").await;
    assert!(line.text.contains("张居民"), "{line}");

    // A staff command replying to a message about the case may leave the id
    // out; taken in the case's own group, the public line is the one answer.
    let r = bot
        .say_replying(w.group, w.worker, line.message_id, "/update 换灯泡")
        .await;
    assert!(r.text.contains("#1 安全隐患 · 处理中"), "{}", r.text);
    bot.say(w.worker, w.worker, "/resolve 1 已更换").await;
    wait_text(&bot, w.group, "#1 安全隐患 · 已解决").await;
    assert_eq!(count_with(&bot, w.group, "安全隐患 · 处理中"), 1);
}

/// Waits until message `id` in `chat` has been edited to contain `needle`.
async fn wait_edited(bot: &TestBot, chat: i64, id: i64, needle: &str) -> SentMessage {
    let mut found = None;
    bot.sandbox
        .wait_until(&format!("message {id} edited to {needle:?}"), |s| {
            found = s
                .messages(chat)
                .into_iter()
                .find(|m| m.message_id == id && m.edits > 0 && m.text.contains(needle));
            found.is_some()
        })
        .await;
    found.unwrap()
}

on_both_databases!(a_report_replying_to_a_location_takes_it_along: a_report_replying_to_a_location_takes_it_along_sqlite, a_report_replying_to_a_location_takes_it_along_postgres);

async fn a_report_replying_to_a_location_takes_it_along(bot: TestBot) {
    let w = world(&bot).await;
    let at = bot
        .sandbox
        .send_location(w.group, w.resident, 41.7712, 123.4321);
    let reply = bot
        .say_replying(w.group, w.resident, at, "/report 隐患 这里井盖丢了")
        .await;
    assert!(reply.text.contains("#1"), "{}", reply.text);
    let card = bot.say(w.worker, w.worker, "/case 1").await;
    assert!(card.text.contains("41.77120, 123.43210"), "{card}");
    // A report replying to the bot's own message takes nothing from it.
    let r = bot
        .say_replying(
            w.group,
            w.resident,
            reply.message_id,
            "/report 隐患 路灯不亮",
        )
        .await;
    assert!(r.text.contains("#2"), "{}", r.text);
    let card = bot.say(w.worker, w.worker, "/case 2").await;
    assert!(!card.text.contains("位置"), "{card}");
}

on_both_databases!(private_anonymous_report_with_photo_and_location_never_names_the_reporter_in_groups: private_anonymous_report_with_photo_and_location_never_names_the_reporter_in_groups_sqlite, private_anonymous_report_with_photo_and_location_never_names_the_reporter_in_groups_postgres);

async fn private_anonymous_report_with_photo_and_location_never_names_the_reporter_in_groups(
    bot: TestBot,
) {
    let w = world(&bot).await;
    let community_admin = bot.sandbox.add_user("社区书记", None);
    bot.grant(community_admin, "admin", "xq.hmk.c1").await;
    let community_group = bot
        .bound_group("河门口社区群", "xq.hmk.c1", community_admin)
        .await;
    bot.start_private(w.resident).await;

    let r = bot.say(w.resident, w.resident, "/report").await;
    assert!(r.text.contains("网格编码"), "{}", r.text);
    let r = bot.say(w.resident, w.resident, "xq.nowhere").await;
    assert!(r.text.contains("不是一个网格"), "{}", r.text);
    let r = bot.say(w.resident, w.resident, "xq.hmk.c1.g3").await;
    assert!(r.has_button("c:cat:hazard"), "{r}");
    press(&bot, w.resident, r.message_id, w.resident, "c:cat:hazard").await;
    wait_text(&bot, w.resident, "请用一条消息描述情况").await;
    let r = bot.say(w.resident, w.resident, "小区门口电线裸露").await;
    assert!(r.has_button("c:sub:anon"), "{r}");
    let photo = bot.sandbox.send_photo(w.resident, w.resident, "");
    bot.reply_to(w.resident, photo, "photo").await;
    let loc = bot
        .sandbox
        .send_location(w.resident, w.resident, 26.58, 101.71);
    let r = bot.reply_to(w.resident, loc, "location").await;
    assert!(
        r.text.contains("照片 ✓") && r.text.contains("位置 ✓"),
        "{}",
        r.text
    );
    press(&bot, w.resident, r.message_id, w.resident, "c:sub:anon").await;
    wait_text(&bot, w.resident, "已登记 #1（安全隐患）（匿名）").await;

    let c = case(&bot, 1).await;
    assert!(c.anonymous);
    assert_eq!(c.grid.as_str(), "xq.hmk.c1.g3");
    let mut conn = bot.app().store.conn().await.unwrap();
    assert_eq!(
        cases::attachments(&mut conn, CaseId(1))
            .await
            .unwrap()
            .len(),
        2
    );
    drop(conn);

    // Handling staff see who it was, privately; a card in a group does not say.
    let card = bot.say(w.worker, w.worker, "/case 1").await;
    assert!(
        card.text.contains("匿名（张居民）") && card.text.contains("📍"),
        "{}",
        card.text
    );
    // Asked in a group, the card goes privately; the group only hears that.
    let before = count_with(&bot, w.worker, "匿名（张居民）");
    let r = bot.say(w.group, w.worker, "/case 1").await;
    assert!(
        r.text.contains("已私信回复您") && !r.text.contains("张居民"),
        "{}",
        r.text
    );
    wait_count(&bot, w.worker, "匿名（张居民）", before + 1).await;

    bot.say(w.worker, w.worker, "/escalate 1 需要供电所处理")
        .await;
    wait_text(&bot, community_group, "上报至本级").await;
    wait_text(&bot, w.resident, "已上报").await;
    let c = case(&bot, 1).await;
    assert_eq!(
        (c.node.as_str(), c.status),
        ("xq.hmk.c1", Status::Escalated)
    );
    // Grid staff no longer handle it; the community's admin does.
    let r = bot.say(w.worker, w.worker, "/accept 1").await;
    assert!(r.text.contains("没有职务"), "{}", r.text);
    let r = bot.say(community_admin, community_admin, "/accept 1").await;
    assert!(r.text.contains("已受理"), "{}", r.text);
    bot.settle().await;
    for chat in [w.group, community_group] {
        assert_eq!(
            count_with(&bot, chat, "张居民"),
            0,
            "{}",
            bot.sandbox.dump()
        );
    }
}

on_both_databases!(follow_up_asks_twice_then_leaves_and_unsatisfied_reopens: follow_up_asks_twice_then_leaves_and_unsatisfied_reopens_sqlite, follow_up_asks_twice_then_leaves_and_unsatisfied_reopens_postgres);

async fn follow_up_asks_twice_then_leaves_and_unsatisfied_reopens(bot: TestBot) {
    let w = world(&bot).await;
    bot.start_private(w.resident).await;
    for text in ["/report 求助 老人摔倒需要帮助", "/report 建议 增设路灯"] {
        bot.say(w.group, w.resident, text).await;
    }
    for id in [1, 2] {
        bot.say(w.worker, w.worker, &format!("/accept {id}")).await;
        bot.say(w.worker, w.worker, &format!("/resolve {id} 已处理"))
            .await;
    }
    bot.clock.advance(3600);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count_with(&bot, w.resident, "回访"), 0);

    bot.clock.advance(86_400);
    bot.app().tick().await;
    let q = bot
        .sandbox
        .wait_message("the first follow-up question", |m| {
            m.chat_id == w.resident && m.text.contains("回访") && m.text.contains("#1")
        })
        .await;
    assert!(
        q.has_button("c:r:1:unsatisfied") && q.has_button("c:r:1:satisfied"),
        "{q}"
    );
    wait_text(&bot, w.resident, "#2（意见建议）已办理完毕").await;
    let a = press(
        &bot,
        w.resident,
        q.message_id,
        w.resident,
        "c:r:1:unsatisfied",
    )
    .await;
    assert!(!a.show_alert, "{a:?}");
    wait_text(&bot, w.worker, "不满意，事项已重办").await;
    // A comment may follow the rating, once; it reaches the handlers.
    let r = bot.say(w.resident, w.resident, "楼上还是在漏水").await;
    assert!(r.text.contains("已收到您对 #1 的意见"), "{}", r.text);
    wait_text(&bot, w.worker, "#1 反映人的意见（不满意）：楼上还是在漏水").await;
    let r = bot.say(w.resident, w.resident, "还有一句").await;
    assert!(r.text.contains("/help"), "{}", r.text);
    let comments: Vec<_> = events(&bot, 1)
        .await
        .into_iter()
        .filter(|e| e.kind == "comment")
        .collect();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].note.as_deref(), Some("楼上还是在漏水"));
    let c = case(&bot, 1).await;
    assert_eq!(
        (c.status, c.rating.map(|r| r.key())),
        (Status::Reopened, Some("unsatisfied"))
    );
    assert!(
        events(&bot, 1)
            .await
            .iter()
            .any(|e| e.kind == "rate" && e.note.as_deref() == Some("unsatisfied"))
    );
    // Rating twice is refused.
    let a = press(
        &bot,
        w.resident,
        q.message_id,
        w.resident,
        "c:r:1:satisfied",
    )
    .await;
    assert!(a.show_alert);

    // #2 was not answered: asked once more, then left.
    bot.clock.advance(86_400);
    bot.app().tick().await;
    wait_count(&bot, w.resident, "#2（意见建议）已办理完毕", 2).await;
    bot.clock.advance(3 * 86_400);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count_with(&bot, w.resident, "#2（意见建议）已办理完毕"), 2);
    let q2 = bot.sandbox.last_message(w.resident).unwrap();
    assert!(q2.has_button("c:r:2:satisfied"));
    press(
        &bot,
        w.resident,
        q2.message_id,
        w.resident,
        "c:r:2:satisfied",
    )
    .await;
    wait_text(&bot, w.resident, "感谢您的评价：满意").await;
    let c = case(&bot, 2).await;
    assert_eq!(
        (c.status, c.rating.map(|r| r.key())),
        (Status::Closed, Some("satisfied"))
    );
    // After the window a plain message is no comment.
    bot.clock.advance(2 * 3600);
    let r = bot.say(w.resident, w.resident, "谢谢").await;
    assert!(r.text.contains("/help"), "{}", r.text);
    assert!(events(&bot, 2).await.iter().all(|e| e.kind != "comment"));
}

on_both_databases!(supervision_only_from_above_and_reminders_on_schedule: supervision_only_from_above_and_reminders_on_schedule_sqlite, supervision_only_from_above_and_reminders_on_schedule_postgres);

async fn supervision_only_from_above_and_reminders_on_schedule(bot: TestBot) {
    let w = world(&bot).await;
    bot.say(w.group, w.resident, "/report 纠纷 邻里噪音").await;
    bot.say(w.group, w.resident, "/report 其他 垃圾清运").await;
    let r = bot.say(w.worker, w.worker, "/supervise 1 3d").await;
    assert!(r.text.contains("上级节点的管理员"), "{}", r.text);
    let r = bot
        .say(w.street_admin, w.street_admin, "/supervise 1 soon")
        .await;
    assert!(r.text.contains("用法：/supervise"), "{}", r.text);
    let r = bot
        .say(w.street_admin, w.street_admin, "/supervise 1 2020-01-01")
        .await;
    assert!(r.text.contains("将来"), "{}", r.text);
    let r = bot
        .say(w.street_admin, w.street_admin, "/supervise 1 2d")
        .await;
    assert!(r.text.contains("已挂牌督办"), "{}", r.text);
    wait_text(&bot, w.worker, "挂牌督办，期限").await;
    let c = case(&bot, 1).await;
    assert!(c.supervised && c.supervisor.as_ref().map(|s| s.as_str()) == Some("xq.hmk"));

    bot.app().tick().await;
    wait_text(&bot, w.worker, "督办提醒：#1").await;
    bot.app().tick().await; // same time: nothing new
    bot.clock.advance(3600);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count_with(&bot, w.worker, "督办提醒：#1"), 1);
    assert_eq!(count_with(&bot, w.worker, "超期提醒"), 0);

    // A day later: supervised reminded again; after the 3-day everyday deadline #2 is overdue.
    bot.clock.advance(4 * 86_400);
    bot.app().tick().await;
    wait_text(&bot, w.worker, "超期提醒：#2").await;
    wait_count(&bot, w.worker, "督办提醒：#1", 2).await;
    let list = bot.say(w.worker, w.worker, "/cases overdue").await;
    assert!(
        list.text.contains("#2") && list.text.contains("已超期"),
        "{}",
        list.text
    );
    let list = bot
        .say(w.other_worker, w.other_worker, "/cases xq.hmk.c1.g3")
        .await;
    assert!(list.text.contains("没有职务"), "{}", list.text);
}

on_both_databases!(reports_are_throttled_per_person_with_a_clear_message: reports_are_throttled_per_person_with_a_clear_message_sqlite, reports_are_throttled_per_person_with_a_clear_message_postgres);

async fn reports_are_throttled_per_person_with_a_clear_message(bot: TestBot) {
    let w = world(&bot).await;
    for i in 1..=5 {
        let r = bot
            .say(w.group, w.resident, &format!("/report 第{i}件事"))
            .await;
        assert!(r.text.contains(&format!("#{i}")), "{}", r.text);
    }
    let r = bot.say(w.group, w.resident, "/report 第6件事").await;
    assert!(r.text.contains("分钟内已反映 5 件"), "{}", r.text);
    let r = bot.say(w.group, w.resident, "/report").await;
    assert!(r.text.contains("用法：/report"), "{}", r.text);
    bot.clock.advance(601);
    let r = bot.say(w.group, w.resident, "/report 第6件事").await;
    assert!(r.text.contains("#6"), "{}", r.text);
    let mut c = bot.app().store.conn().await.unwrap();
    assert_eq!(
        cases::by_reporter(&mut c, w.resident, 50)
            .await
            .unwrap()
            .len(),
        6
    );
}

on_both_databases!(cases_with_photos_and_every_step: cases_with_photos_and_every_step_sqlite, cases_with_photos_and_every_step_postgres);

async fn cases_with_photos_and_every_step(bot: TestBot) {
    let w = world(&bot).await;
    bot.start_private(w.resident).await;
    let photo = bot
        .sandbox
        .send_photo(w.group, w.resident, "/report 隐患 井盖缺失");
    let r = bot.reply_to(w.group, photo, "a photo report").await;
    assert!(r.text.contains("#1"), "{}", r.text);
    bot.say(w.resident, w.resident, "/report 建议 多装路灯")
        .await;
    let loc = bot
        .sandbox
        .send_location(w.resident, w.resident, 26.5, 101.7);
    let r = bot.reply_to(w.resident, loc, "location").await;
    press(&bot, w.resident, r.message_id, w.resident, "c:sub:named").await;
    wait_text(&bot, w.resident, "已登记 #2").await;
    let mut conn = bot.app().store.conn().await.unwrap();
    assert_eq!(
        cases::attachments(&mut conn, CaseId(1))
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        cases::attachments(&mut conn, CaseId(2))
            .await
            .unwrap()
            .len(),
        1
    );
    drop(conn);

    bot.say(w.worker, w.worker, "/accept 1").await;
    bot.say(w.worker, w.worker, "/resolve 1 已补井盖").await;
    bot.say(w.street_admin, w.street_admin, "/supervise 2 2026-12-20")
        .await;
    let list = bot.say(w.worker, w.worker, "/cases all").await;
    assert!(
        list.text.contains("#1") && list.text.contains("#2"),
        "{}",
        list.text
    );
    bot.clock.advance(86_400 + 60);
    bot.app().tick().await;
    wait_text(&bot, w.resident, "回访").await;
    wait_text(&bot, w.worker, "督办提醒：#2").await;
    let mine = bot.say(w.resident, w.resident, "/mycases").await;
    assert!(mine.text.contains("已补井盖"), "{}", mine.text);
}

on_both_databases!(a_case_assigned_to_a_mediator_becomes_specialised: a_case_assigned_to_a_mediator_becomes_specialised_sqlite, a_case_assigned_to_a_mediator_becomes_specialised_postgres);

async fn a_case_assigned_to_a_mediator_becomes_specialised(bot: TestBot) {
    let w = world(&bot).await;
    let mediator = bot.sandbox.add_user("调解员老周", None);
    bot.start_private(mediator).await;
    bot.grant(mediator, "mediator", "xq.hmk.c1").await;
    bot.say(w.group, w.resident, "/report 纠纷 两户因停车位争执")
        .await;
    let opened = case(&bot, 1).await;
    assert_eq!(opened.tier, Tier::Everyday);
    let r = bot
        .say(w.worker, w.worker, &format!("/assign 1 {mediator}"))
        .await;
    assert!(r.text.contains("调解员老周"), "{}", r.text);
    let c = case(&bot, 1).await;
    assert_eq!((c.tier, c.handler_id), (Tier::Specialised, Some(mediator)));
    assert!(
        c.deadline_at > opened.deadline_at,
        "a specialised matter gets more time"
    );
    let card = bot.say(mediator, mediator, "/case 1").await;
    assert!(card.text.contains("专业难事"), "{card}");
    // A worker of the grid keeps it an everyday matter.
    bot.say(w.group, w.resident, "/report 其他 楼道堆物").await;
    bot.say(w.worker, w.worker, &format!("/assign 2 {}", w.worker))
        .await;
    assert_eq!(case(&bot, 2).await.tier, Tier::Everyday);
}

on_both_databases!(a_reminder_never_undoes_a_resolution: a_reminder_never_undoes_a_resolution_sqlite, a_reminder_never_undoes_a_resolution_postgres);

/// The reminder job and a `/resolve` at once (issue 11): the job has found
/// the supervised case due and read it; the worker resolves it; only then
/// does the job write. The resolution stands, in the row as in the history,
/// and nobody is reminded of a resolved case. Likewise a follow-up read
/// before the reporter rated does not undo the rating, and a stale copy of
/// the row is never saved.
async fn a_reminder_never_undoes_a_resolution(bot: TestBot) {
    use pingan::cases::{followup, reminders};
    let w = world(&bot).await;
    bot.start_private(w.resident).await;
    bot.say(w.group, w.resident, "/report 纠纷 邻里噪音").await;
    let r = bot
        .say(w.street_admin, w.street_admin, "/supervise 1 2d")
        .await;
    assert!(r.text.contains("已挂牌督办"), "{}", r.text);
    let r = bot.say(w.worker, w.worker, "/accept 1").await;
    assert!(r.text.contains("已受理"), "{}", r.text);

    let (app, now) = (bot.app(), bot.clock.now());
    let due = {
        let mut c = app.store.conn().await.unwrap();
        cases::reminders_due(&mut c, now, app.settings.cases.remind_every)
            .await
            .unwrap()
    };
    assert_eq!(due.iter().map(|c| c.id.0).collect::<Vec<_>>(), [1]);
    let r = bot.say(w.worker, w.worker, "/resolve 1 已调解").await;
    assert!(r.text.contains("已解决"), "{}", r.text);
    let reminded = reminders::remind(app, &due[0], now).await.unwrap();
    assert!(!reminded, "a resolved case is not reminded");
    let c = case(&bot, 1).await;
    assert_eq!(c.status, Status::Resolved, "the reminder undid /resolve");
    assert!(c.resolved_at.is_some() && c.reminded_at.is_none());
    let log = events(&bot, 1).await;
    let chain: Vec<(Status, Status)> = log.iter().filter_map(|e| Some((e.from?, e.to?))).collect();
    assert_eq!(replay(&chain), Some(c.status), "row and history agree");
    assert!(log.iter().all(|e| e.kind != "remind"));

    // A stale copy of the row is refused by the store itself.
    let mut stale = due[0].clone();
    stale.reminded_at = Some(now);
    let mut conn = app.store.conn().await.unwrap();
    assert!(!cases::save(&mut conn, &mut stale, now).await.unwrap());
    drop(conn);
    assert_eq!(case(&bot, 1).await.status, Status::Resolved);

    // The follow-up job reads the resolved case; the reporter rates it
    // (closing it) before the job writes: the rating stands.
    bot.clock.advance(app.settings.cases.followup_after + 1);
    let now = bot.clock.now();
    let due = {
        let mut c = app.store.conn().await.unwrap();
        let s = &app.settings.cases;
        cases::followups_due(&mut c, now, s.followup_after, s.followup_again)
            .await
            .unwrap()
    };
    assert_eq!(due.iter().map(|c| c.id.0).collect::<Vec<_>>(), [1]);
    let mine = bot.say(w.resident, w.resident, "/mycases").await;
    let a = press(
        &bot,
        w.resident,
        mine.message_id,
        w.resident,
        "c:r:1:satisfied",
    )
    .await;
    assert!(!a.show_alert, "{a:?}");
    let rated = case(&bot, 1).await;
    assert_eq!(rated.status, Status::Closed, "{rated:?}");
    let asked = followup::ask(app, &due[0], now).await.unwrap();
    assert!(!asked, "a rated case is not asked again");
    let c = case(&bot, 1).await;
    assert_eq!((c.status, c.rating), (Status::Closed, rated.rating));
    assert!(c.rating.is_some());
}

on_both_databases!(internal_notes_stay_with_staff_and_updates_reach_the_reporter: internal_notes_stay_with_staff_and_updates_reach_the_reporter_sqlite, internal_notes_stay_with_staff_and_updates_reach_the_reporter_postgres);

/// `/note` is for the staff only: not sent to the reporter, not posted in
/// the group, not on the reporter's card nor in /mycases; `/update` reaches
/// the reporter and the group. The history reads in words, not keys.
async fn internal_notes_stay_with_staff_and_updates_reach_the_reporter(bot: TestBot) {
    let w = world(&bot).await;
    bot.start_private(w.resident).await;
    bot.say(w.group, w.resident, "/report 纠纷 楼上漏水").await;
    bot.say(w.worker, w.worker, "/accept 1").await;
    wait_text(&bot, w.group, "#1 矛盾纠纷 · 已受理").await;
    let r = bot
        .say(w.worker, w.worker, "/note 1 楼上住户脾气不好")
        .await;
    assert!(r.text.contains("内部备注"), "{}", r.text);
    let r = bot
        .say(w.worker, w.worker, "/update 1 已约好明天上门")
        .await;
    assert!(r.text.contains("处理中"), "{}", r.text);
    wait_text(&bot, w.resident, "已约好明天上门").await;
    wait_text(&bot, w.group, "#1 矛盾纠纷 · 处理中").await;
    let r = bot.say(w.worker, w.worker, "/update 1 物业已派人").await;
    assert!(r.text.contains("处理中"), "{}", r.text);
    wait_text(&bot, w.resident, "物业已派人").await;
    wait_count(&bot, w.group, "#1 矛盾纠纷 · 处理中", 2).await;
    let r = bot.say(w.worker, w.worker, "/update 1").await;
    assert!(r.text.contains("用法：/update"), "{}", r.text);
    bot.settle().await;
    assert_eq!(count_with(&bot, w.resident, "脾气不好"), 0);
    assert_eq!(count_with(&bot, w.group, "脾气不好"), 0);
    let mine = bot.say(w.resident, w.resident, "/mycases").await;
    assert!(!mine.text.contains("脾气不好"), "{}", mine.text);
    let r = bot.say(w.worker, w.worker, "/note 1 再记一笔").await;
    assert!(r.text.contains("内部备注"), "{}", r.text);
    let mine = bot.say(w.resident, w.resident, "/mycases").await;
    assert!(mine.text.contains("物业已派人"), "{}", mine.text);

    let staff_card = bot.say(w.worker, w.worker, "/case 1").await;
    for s in [
        "内部备注：楼上住户脾气不好",
        "开始处理：已约好明天上门",
        "进展：物业已派人",
    ] {
        assert!(
            staff_card.text.contains(s),
            "{s} missing: {}",
            staff_card.text
        );
    }
    let own_card = bot.say(w.resident, w.resident, "/case 1").await;
    assert!(
        own_card.text.contains("进展：物业已派人"),
        "{}",
        own_card.text
    );
    assert!(!own_card.text.contains("脾气不好"), "{}", own_card.text);
    assert!(!own_card.text.contains("再记一笔"), "{}", own_card.text);

    // Resolved, asked to rate, rated: every row in words.
    bot.say(w.worker, w.worker, "/resolve 1 已修好").await;
    bot.clock.advance(2 * 86_400);
    bot.app().tick().await;
    let q = bot
        .sandbox
        .wait_message("the follow-up question", |m| {
            m.chat_id == w.resident && m.has_button("c:r:1:satisfied")
        })
        .await;
    press(
        &bot,
        w.resident,
        q.message_id,
        w.resident,
        "c:r:1:basically",
    )
    .await;
    wait_text(&bot, w.resident, "感谢您的评价").await;
    let card = bot.say(w.worker, w.worker, "/case 1").await;
    for s in [
        "回访：已请反映人评价",
        "评价：基本满意",
        "已办结（评价：基本满意）",
    ] {
        assert!(card.text.contains(s), "{s} missing: {}", card.text);
    }
    for raw in [
        "followup",
        "basically",
        "satisfied",
        "系统 followup",
        "：satisfied",
    ] {
        assert!(!card.text.contains(raw), "{raw} in: {}", card.text);
    }
}

on_both_databases!(only_a_dispute_can_fail_on_cards_help_and_commands: only_a_dispute_can_fail_on_cards_help_and_commands_sqlite, only_a_dispute_can_fail_on_cards_help_and_commands_postgres);

/// 调解未成 is a mediation outcome: a hazard's card and `/help <id>` do not
/// offer it and `/fail` on it is refused with the reason; a dispute's do.
async fn only_a_dispute_can_fail_on_cards_help_and_commands(bot: TestBot) {
    let w = world(&bot).await;
    bot.say(w.group, w.resident, "/report 隐患 楼道灯坏了")
        .await;
    bot.say(w.group, w.resident, "/report 纠纷 邻里噪音").await;
    for id in [1, 2] {
        let r = bot.say(w.worker, w.worker, &format!("/accept {id}")).await;
        assert!(r.text.contains("已受理"), "{}", r.text);
    }
    let hazard = bot.say(w.worker, w.worker, "/case 1").await;
    assert!(hazard.has_button("c:s:1:resolve"), "{hazard}");
    assert!(!hazard.has_button("c:s:1:fail"), "{hazard}");
    let dispute = bot.say(w.worker, w.worker, "/case 2").await;
    assert!(dispute.has_button("c:s:2:fail"), "{dispute}");

    let help = bot.say(w.worker, w.worker, "/help 1").await;
    assert!(
        help.text.contains("/resolve") && help.text.contains("/update"),
        "{}",
        help.text
    );
    assert!(!help.text.contains("/fail"), "{}", help.text);
    assert!(!help.text.contains("/accept"), "{}", help.text);
    let help = bot.say(w.worker, w.worker, "/help #2").await;
    assert!(help.text.contains("/fail"), "{}", help.text);

    let r = bot.say(w.worker, w.worker, "/fail 1 没谈拢").await;
    assert!(
        r.text.contains("安全隐患") && r.text.contains("只用于矛盾纠纷"),
        "{}",
        r.text
    );
    assert_eq!(case(&bot, 1).await.status, Status::Accepted);
    let r = bot.say(w.worker, w.worker, "/fail 2 双方不同意").await;
    assert!(r.text.contains("调解未成"), "{}", r.text);
    assert_eq!(case(&bot, 2).await.status, Status::Failed);
}

on_both_databases!(someone_elses_case_reads_like_no_case_at_all: someone_elses_case_reads_like_no_case_at_all_sqlite, someone_elses_case_reads_like_no_case_at_all_postgres);

/// A resident sees only their own cases: `/case` (and its button) on a
/// case someone else reported answers exactly as for a case that does not
/// exist, so a number reveals nothing. Staff of another grid likewise.
async fn someone_elses_case_reads_like_no_case_at_all(bot: TestBot) {
    let w = world(&bot).await;
    let neighbour = bot.sandbox.add_user("钱邻居", None);
    bot.sandbox.join(w.group, neighbour);
    bot.start_private(w.resident).await;
    bot.start_private(neighbour).await;
    bot.say(w.group, w.resident, "/report 纠纷 楼上漏水").await;
    let own = bot.say(w.resident, w.resident, "/case 1").await;
    assert!(own.text.contains("楼上漏水"), "{}", own.text);

    let theirs = bot.say(neighbour, neighbour, "/case 1").await;
    let none = bot.say(neighbour, neighbour, "/case 99").await;
    assert!(!theirs.text.contains("楼上漏水"), "{}", theirs.text);
    assert_eq!(
        theirs.text.replace("#1", "#N"),
        none.text.replace("#99", "#N"),
        "someone else's case must read like no case"
    );
    assert_eq!(theirs.buttons(), none.buttons());
    let theirs = bot.say(neighbour, neighbour, "/case #1").await;
    let none = bot.say(neighbour, neighbour, "/case #2").await;
    assert_eq!(
        theirs.text.replace("#1", "#N"),
        none.text.replace("#2", "#N")
    );

    // A forged "view" button answers the same as for a missing case.
    let a = press(&bot, neighbour, none.message_id, neighbour, "c:v:1").await;
    let b = press(&bot, neighbour, none.message_id, neighbour, "c:v:99").await;
    assert_eq!(
        a.text.map(|t| t.replace("#1", "#N")),
        b.text.map(|t| t.replace("#99", "#N"))
    );
    assert_eq!(a.show_alert, b.show_alert);

    // Staff of another grid: the same.
    let theirs = bot.say(w.other_worker, w.other_worker, "/case 1").await;
    let none = bot.say(w.other_worker, w.other_worker, "/case 99").await;
    assert_eq!(
        theirs.text.replace("#1", "#N"),
        none.text.replace("#99", "#N")
    );
}

on_both_databases!(overdue_cases_climb_in_one_daily_digest_per_person: overdue_cases_climb_in_one_daily_digest_per_person_sqlite, overdue_cases_climb_in_one_daily_digest_per_person_postgres);

/// The handler is reminded first; a case overdue for longer than one
/// reminder interval climbs to the admins of the node above (and a
/// supervised one to its supervising admin) in one digest per person and
/// day listing all their cases — not again after a second run or a restart.
async fn overdue_cases_climb_in_one_daily_digest_per_person(mut bot: TestBot) {
    let w = world(&bot).await;
    let community_admin = bot.sandbox.add_user("孙书记", None);
    bot.start_private(community_admin).await;
    bot.grant(community_admin, "admin", "xq.hmk.c1").await;
    bot.say(w.group, w.resident, "/report 隐患 楼道灯坏了")
        .await;
    bot.say(w.group, w.resident, "/report 其他 垃圾清运").await;
    bot.say(w.group, w.resident, "/report 纠纷 邻里噪音").await;
    let r = bot
        .say(w.street_admin, w.street_admin, "/supervise 3 2d")
        .await;
    assert!(r.text.contains("已挂牌督办"), "{}", r.text);
    let digest = "超期事项日报";

    // Everyday deadline (3 days) just passed: only the handlers hear of it.
    bot.clock.advance(3 * 86_400 + 3600);
    bot.app().tick().await;
    wait_text(&bot, w.worker, "超期提醒：#1").await;
    wait_text(&bot, w.worker, "超期提醒：#2").await;
    // #3 (due after 2 days) is overdue by more than a day: it climbs, to the
    // community above the grid and to the supervising street.
    let d = wait_text(&bot, community_admin, digest).await;
    assert!(d.text.contains("#3") && d.text.contains("🔴"), "{d}");
    assert!(!d.text.contains("#1") && !d.text.contains("#2"), "{d}");
    let d = wait_text(&bot, w.street_admin, digest).await;
    assert!(d.text.contains("#3"), "{d}");
    bot.clock.advance(3600);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count_with(&bot, community_admin, digest), 1);
    assert_eq!(count_with(&bot, w.worker, digest), 0);

    // Next day: one message listing all three, per person.
    bot.clock.advance(86_400);
    bot.app().tick().await;
    wait_count(&bot, community_admin, digest, 2).await;
    let d = bot.sandbox.last_message(community_admin).unwrap();
    for id in ["#1", "#2", "#3"] {
        assert!(d.text.contains(id), "{id} missing: {d}");
    }
    assert!(d.text.contains("3 件"), "{d}");
    wait_count(&bot, w.street_admin, digest, 2).await;
    // The street admin is not the node above the grid: only the supervised case.
    let d = bot.sandbox.last_message(w.street_admin).unwrap();
    assert!(d.text.contains("#3") && !d.text.contains("#1"), "{d}");

    // A second run (another instance) and a restart send nothing more today.
    let again = pingan::cases::digest::send_due(bot.app(), bot.clock.now())
        .await
        .unwrap();
    assert_eq!(again, 0);
    bot.restart().await;
    bot.clock.advance(60);
    bot.app().tick().await;
    bot.settle().await;
    assert_eq!(count_with(&bot, community_admin, digest), 2);
    assert_eq!(count_with(&bot, w.street_admin, digest), 2);
    // Resolved cases leave the digest.
    for cmd in [
        "/accept 1",
        "/resolve 1 已修好",
        "/accept 2",
        "/resolve 2 已清运",
    ] {
        bot.say(w.worker, w.worker, cmd).await;
    }
    bot.clock.advance(86_400);
    bot.app().tick().await;
    wait_count(&bot, community_admin, digest, 3).await;
    let d = bot.sandbox.last_message(community_admin).unwrap();
    assert!(d.text.contains("#3") && !d.text.contains("#1"), "{d}");
}
