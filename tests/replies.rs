//! Replies that explain themselves (issue 14, item 11): a refusal names the
//! real cause and the next step. The real bot against the sandbox.

mod common;

use common::{TestBot, spawn, spawn_en};

async fn grid_with_worker(bot: &TestBot) -> (i64, i64, i64) {
    bot.small_district().await;
    let worker = bot.sandbox.add_user("王网格员", Some("wang"));
    bot.grant(worker, "worker", "xq.hmk.c1.g3").await;
    let chief = bot.sandbox.add_user("街道主任", Some("chief"));
    bot.grant(chief, "admin", "xq.hmk").await;
    let resident = bot.sandbox.add_user("陈阿姨", None);
    bot.start_private(worker).await;
    bot.start_private(chief).await;
    bot.start_private(resident).await;
    (worker, chief, resident)
}

#[tokio::test]
async fn a_resident_asking_for_cases_is_pointed_to_mycases() {
    let bot = spawn().await;
    let (_, _, resident) = grid_with_worker(&bot).await;
    let reply = bot.say(resident, resident, "/cases").await;
    assert!(
        reply.text.contains("工作人员") && reply.text.contains("/mycases"),
        "{reply}"
    );
    assert!(!reply.text.contains("没有职务"), "{reply}");
}

#[tokio::test]
async fn a_private_chat_is_never_called_this_group() {
    let bot = spawn().await;
    let root = bot.root;
    bot.small_district().await;
    let reply = bot.say(root, root, &format!("/grant {root} worker")).await;
    assert!(!reply.text.contains("本群"), "{reply}");
    assert!(reply.text.contains("编码"), "{reply}");
}

#[tokio::test]
async fn a_grid_worker_sees_who_serves_the_nodes_above() {
    let bot = spawn().await;
    let (worker, _chief, _) = grid_with_worker(&bot).await;
    let other = bot.sandbox.add_user("清香坪网格员", None);
    bot.grant(other, "worker", "xq.qxp.c1").await;
    let reply = bot.say(worker, worker, "/staff xq.hmk").await;
    assert!(reply.text.contains("街道主任"), "{reply}");
    assert!(
        !reply.text.contains("没有职务"),
        "a worker may see the staff above: {reply}"
    );
    // Only that node's own staff, not its whole subtree, nor a sibling's.
    let reply = bot.say(worker, worker, "/staff xq").await;
    assert!(!reply.text.contains("清香坪网格员"), "{reply}");
    assert!(!reply.text.contains("街道主任"), "{reply}");
    // A node that is not above them stays closed.
    let reply = bot.say(worker, worker, "/staff xq.qxp").await;
    assert!(reply.text.contains("没有职务"), "{reply}");
}

#[tokio::test]
async fn the_staff_hint_reads_as_english() {
    let bot = spawn_en().await;
    let (_, _, resident) = grid_with_worker(&bot).await;
    let reply = bot.say(resident, resident, "/cases").await;
    assert!(reply.text.contains("/mycases"), "{reply}");
    assert!(!reply.text.contains('；'), "{reply}");
}
