//! The store against both databases: SQLite files and PostgreSQL, real migrations.

#[path = "common/db.rs"]
mod db;

use db::TestDb;
use pingan::domain::{Grant, NodeCode, Post, Role};
use pingan::store::outbox::{self as rows, Lane, OutKind, Outgoing};
use pingan::store::{Store, groups, nodes, people, updates};
use sqlx::Row;

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn sighting(id: i64, name: &str) -> people::Sighting<'_> {
    people::Sighting {
        id,
        username: Some("WangFang"),
        first_name: name,
        last_name: None,
        private: false,
        grid: None,
    }
}

/// Runs the same checks on SQLite and on PostgreSQL.
async fn on_both<F, Fut>(check: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let sqlite = TestDb::sqlite();
    check(Store::open(sqlite.url()).await.expect("sqlite opens")).await;
    if let Some(pg) = TestDb::postgres().await {
        check(Store::open(pg.url()).await.expect("postgres opens")).await;
    }
}

#[tokio::test]
async fn migrations_apply_twice() {
    on_both(|store| async move {
        store.migrate().await.expect("second migrate is a no-op");
        let mut c = store.conn().await.unwrap();
        assert_eq!(nodes::count(&mut c).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn subtree_is_by_segment_even_with_underscores() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        for (c_, n) in [
            ("xq", "西区"),
            ("xq.a_b", "甲"),
            ("xq.a_b.c1", "丙"),
            ("xq.axb", "乙"),
            ("xq.a_bc", "丁"),
        ] {
            assert!(nodes::insert(&mut c, &code(c_), n, 1).await.unwrap());
        }
        assert!(
            !nodes::insert(&mut c, &code("xq"), "again", 1)
                .await
                .unwrap(),
            "duplicate refused"
        );
        let sub: Vec<String> = nodes::subtree(&mut c, &code("xq.a_b"))
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.code.to_string())
            .collect();
        assert_eq!(sub, vec!["xq.a_b", "xq.a_b.c1"]);
        assert_eq!(nodes::subtree(&mut c, &code("xq")).await.unwrap().len(), 5);
        nodes::upsert(&mut c, &code("xq.axb"), "乙改", 2)
            .await
            .unwrap();
        assert_eq!(
            nodes::get(&mut c, &code("xq.axb"))
                .await
                .unwrap()
                .unwrap()
                .name,
            "乙改"
        );
        assert_eq!(nodes::roots(&mut c).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn roles_and_people() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        nodes::insert(&mut c, &code("xq"), "西区", 1).await.unwrap();
        nodes::insert(&mut c, &code("xq.hmk"), "河门口", 1)
            .await
            .unwrap();
        people::seen(&mut c, &sighting(42, "王芳"), 1)
            .await
            .unwrap();
        assert_eq!(
            people::by_username(&mut c, "@wangfang")
                .await
                .unwrap()
                .unwrap()
                .id,
            42
        );
        let g = Grant {
            code: code("xq.hmk"),
            role: Role::Worker,
            post: Post::A,
        };
        people::grant_role(&mut c, 42, &g, Some(1), 1)
            .await
            .unwrap();
        people::grant_role(
            &mut c,
            42,
            &Grant {
                post: Post::B,
                ..g.clone()
            },
            Some(1),
            2,
        )
        .await
        .unwrap();
        assert_eq!(
            people::grants_of(&mut c, 42).await.unwrap(),
            vec![Grant {
                post: Post::B,
                ..g.clone()
            }]
        );
        let staff = people::staff_in(&mut c, &code("xq")).await.unwrap();
        assert_eq!(staff.len(), 1);
        assert_eq!(staff[0].name, "王芳");
        assert!(
            people::revoke_role(&mut c, 42, &code("xq.hmk"), Role::Worker)
                .await
                .unwrap()
        );
        assert!(
            !people::revoke_role(&mut c, 42, &code("xq.hmk"), Role::Worker)
                .await
                .unwrap()
        );
    })
    .await;
}

#[tokio::test]
async fn group_bindings_follow_migration() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        nodes::insert(&mut c, &code("xq"), "西区", 1).await.unwrap();
        groups::seen(&mut c, -400, "西区群", true, 1).await.unwrap();
        groups::bind(&mut c, -400, &code("xq"), 1).await.unwrap();
        groups::migrate(&mut c, -400, -1001234567890, 2)
            .await
            .unwrap();
        let moved = groups::by_node(&mut c, &code("xq")).await.unwrap().unwrap();
        assert_eq!((moved.chat_id, moved.active), (-1001234567890, true));
        assert!(
            groups::by_chat(&mut c, -400)
                .await
                .unwrap()
                .unwrap()
                .node
                .is_none()
        );
        assert_eq!(
            groups::bound_in(&mut c, &code("xq")).await.unwrap().len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn updates_are_handled_once_and_outbox_leases() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        assert!(updates::mark_processed(&mut c, 7, 1).await.unwrap());
        assert!(!updates::mark_processed(&mut c, 7, 2).await.unwrap());

        let first = rows::enqueue(&mut c, &Outgoing::text(-1, "a"), 1, 1000)
            .await
            .unwrap();
        let other_chat = rows::enqueue(&mut c, &Outgoing::text(-2, "c"), 1, 1000)
            .await
            .unwrap();
        let edit = Outgoing {
            kind: OutKind::Edit { of: first },
            ..Outgoing::text(-1, "b")
        };
        rows::enqueue(&mut c, &edit, 1, 1000).await.unwrap();
        // Each chat's oldest row of the lane only, oldest first: chat -1's edit
        // waits behind its send, and knows its target is still pending.
        let heads: Vec<i64> = rows::lane_heads(&mut c, Lane::FollowOn, 10)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(heads, vec![first, other_chat]);
        assert_eq!(
            rows::lane_heads(&mut c, Lane::FollowOn, 1)
                .await
                .unwrap()
                .len(),
            1,
            "at most `limit` chats"
        );
        assert!(rows::claim(&mut c, first, 1000, 61_000, "a").await.unwrap());
        assert!(
            !rows::claim(&mut c, first, 2000, 62_000, "b").await.unwrap(),
            "leased row is not claimed twice"
        );
        assert!(
            rows::claim(&mut c, first, 61_000, 121_000, "b")
                .await
                .unwrap(),
            "an expired lease is taken over"
        );
        let waiting = rows::lane_heads(&mut c, Lane::FollowOn, 10).await.unwrap();
        assert!(!waiting[0].target_pending, "a send has no target");
        rows::mark_sent(&mut c, first, Some(55), 3).await.unwrap();
        let pending = rows::lane_heads(&mut c, Lane::FollowOn, 10).await.unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].id, other_chat);
        assert_eq!(
            pending[1].target_message_id,
            Some(55),
            "the edit knows its message"
        );
        rows::mark_sent(&mut c, other_chat, Some(56), 3)
            .await
            .unwrap();
        assert_eq!(rows::fail_chat(&mut c, -1, "gone").await.unwrap(), 1);
        assert_eq!(rows::count_status(&mut c, "failed").await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn each_lane_has_its_own_heads_and_an_edit_knows_its_target_waits() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let reply = Outgoing::answer(-1, 7, "reply");
        let copy = Outgoing::text(-1, "alert").in_lane(Lane::Urgent);
        let reply = rows::enqueue(&mut c, &reply, 1, 1000).await.unwrap();
        let copy = rows::enqueue(&mut c, &copy, 1, 1000).await.unwrap();
        let pin = Outgoing::acting_on(-1, OutKind::Pin { of: copy }, "");
        let pin = rows::enqueue(&mut c, &pin, 1, 1000).await.unwrap();
        let ids = |v: Vec<rows::Pending>| v.iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(
            ids(rows::lane_heads(&mut c, Lane::Urgent, 10).await.unwrap()),
            vec![copy]
        );
        assert_eq!(
            ids(rows::lane_heads(&mut c, Lane::Answer, 10).await.unwrap()),
            vec![reply]
        );
        let follow = rows::lane_heads(&mut c, Lane::FollowOn, 10).await.unwrap();
        assert_eq!(follow[0].id, pin);
        assert!(follow[0].target_pending, "the pin waits for its copy");
        assert_eq!(follow[0].lane, Lane::FollowOn);
        assert_eq!(rows::pending_answers(&mut c, 7).await.unwrap(), 1);
        let depths = rows::lane_depths(&mut c).await.unwrap();
        assert_eq!(depths.len(), 3);
        assert!(
            depths
                .iter()
                .all(|(_, n, oldest)| *n == 1 && *oldest == 1000)
        );
    })
    .await;
}

#[tokio::test]
async fn a_persons_answers_are_capped_and_repeated_refusals_answered_once() {
    use pingan::i18n::Locale;
    use pingan::outbox::{ANSWER_CAP, UNKNOWN_COMMAND, queue_capped, refusal_tag};
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let count = |tag: Option<&'static str>| {
            let store = store.clone();
            async move {
                let mut c = store.conn().await.unwrap();
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM outbox WHERE person = 7 AND ($1 = '' OR tag = $1)",
                )
                .bind(tag.unwrap_or(""))
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .get::<i64, _>("n")
            }
        };
        // 25 answers to one person at once: the cap, then one "slow down".
        let answers: Vec<Outgoing> = (0..25)
            .map(|i| Outgoing::answer(7, 7, format!("reply {i}")))
            .collect();
        queue_capped(&mut c, &answers, 100, Locale::Zh)
            .await
            .unwrap();
        assert_eq!(count(None).await, ANSWER_CAP + 1);
        assert_eq!(count(Some("slow-down")).await, 1);
        // More while they wait: dropped, and "slow down" is not said twice.
        queue_capped(&mut c, &answers[..3], 110, Locale::Zh)
            .await
            .unwrap();
        assert_eq!(count(None).await, ANSWER_CAP + 1);
        // Someone else is not held back by person 7.
        let other = Outgoing::answer(8, 8, "hello");
        assert_eq!(
            queue_capped(&mut c, &[other], 110, Locale::Zh)
                .await
                .unwrap()
                .len(),
            1
        );
        // A row that answers no one (an alert copy) is never capped.
        let copy = Outgoing::text(-5, "alert").in_lane(Lane::Urgent);
        assert_eq!(
            queue_capped(&mut c, &[copy], 110, Locale::Zh)
                .await
                .unwrap()
                .len(),
            1
        );

        // Refusals to person 9: the same one once a minute, another one too.
        let refusal = |text: &str| Outgoing::answer(-1, 9, text).tagged(refusal_tag("/case 1"));
        let unknown = |text: &str| Outgoing::answer(-1, 9, text).tagged(UNKNOWN_COMMAND);
        let queued = |v: Vec<i64>| v.len();
        assert_eq!(
            queued(
                queue_capped(&mut c, &[refusal("no")], 200, Locale::Zh)
                    .await
                    .unwrap()
            ),
            1
        );
        assert_eq!(
            queued(
                queue_capped(&mut c, &[refusal("no")], 230, Locale::Zh)
                    .await
                    .unwrap()
            ),
            0
        );
        assert_eq!(
            queued(
                queue_capped(&mut c, &[refusal("other")], 230, Locale::Zh)
                    .await
                    .unwrap()
            ),
            1
        );
        assert_eq!(
            queued(
                queue_capped(&mut c, &[refusal("no")], 261, Locale::Zh)
                    .await
                    .unwrap()
            ),
            1
        );
        let other_input = Outgoing::answer(-1, 9, "no").tagged(refusal_tag("/case 2"));
        assert_eq!(
            queued(
                queue_capped(&mut c, &[other_input], 262, Locale::Zh)
                    .await
                    .unwrap()
            ),
            1
        );
        assert_eq!(
            queued(
                queue_capped(&mut c, &[unknown("/foo?")], 300, Locale::Zh)
                    .await
                    .unwrap()
            ),
            1
        );
        assert_eq!(
            queued(
                queue_capped(&mut c, &[unknown("/bar?")], 310, Locale::Zh)
                    .await
                    .unwrap()
            ),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn outbox_carries_files() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let doc = Outgoing::document(-100, "月结.xlsx", bytes.clone(), "<b>月结</b>");
        let photo = Outgoing::photo(-101, "chart.png", vec![0x89, b'P', b'N', b'G'], "图");
        pingan::outbox::queue(&mut c, &[doc, photo], 1).await.unwrap();
        let pending = rows::lane_heads(&mut c, Lane::Bulk, 10).await.unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(
            pending[0].kind,
            OutKind::Document { file_name: "月结.xlsx".into(), bytes }
        );
        assert_eq!(pending[0].text, "<b>月结</b>");
        assert!(matches!(&pending[1].kind, OutKind::Photo { file_name, bytes } if file_name == "chart.png" && bytes.len() == 4));
    })
    .await;
}

#[tokio::test]
async fn a_sighting_writes_only_news() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        for (c_, n) in [("xq", "西区"), ("xq.g1", "一网格"), ("xq.g2", "二网格")] {
            nodes::insert(&mut c, &code(c_), n, 1).await.unwrap();
        }
        let (g1, g2) = (code("xq.g1"), code("xq.g2"));
        let in_g1 = people::Sighting {
            grid: Some(&g1),
            ..sighting(7, "李明")
        };
        let (user, grants) = people::seen(&mut c, &in_g1, 1).await.unwrap();
        assert_eq!((user.grid.as_ref(), user.private_chat), (Some(&g1), false));
        assert_eq!(
            user.username.as_deref(),
            Some("wangfang"),
            "usernames are kept in lower case"
        );
        assert!(grants.is_empty());
        assert_eq!(people::get(&mut c, 7).await.unwrap(), Some(user.clone()));

        // A private message opens the private chat; writing in another grid's
        // group does not move a resident whose grid is known.
        let privately = people::Sighting {
            private: true,
            ..sighting(7, "李明")
        };
        let (user, _) = people::seen(&mut c, &privately, 2).await.unwrap();
        assert!(user.private_chat);
        let in_g2 = people::Sighting {
            grid: Some(&g2),
            ..sighting(7, "李小明")
        };
        let (user, _) = people::seen(&mut c, &in_g2, 3).await.unwrap();
        assert_eq!((user.grid.as_ref(), user.private_chat), (Some(&g1), true));
        assert_eq!(user.first_name, "李小明", "a new name is written");
        assert_eq!(people::get(&mut c, 7).await.unwrap(), Some(user));

        // Grants come back with the user, and a grant made before the user
        // was ever seen is found too.
        let grant = Grant {
            code: g2.clone(),
            role: Role::Worker,
            post: Post::A,
        };
        people::grant_role(&mut c, 8, &grant, None, 4)
            .await
            .unwrap();
        let (user, grants) = people::seen(&mut c, &sighting(8, "张伟"), 5).await.unwrap();
        assert_eq!((user.id, grants), (8, vec![grant]));
    })
    .await;
}

#[tokio::test]
async fn a_case_opens_within_the_throttle_and_tells_reachable_staff() {
    use pingan::domain::case::{Category, Tier};
    use pingan::store::cases::{self, NewCase, Throttle};
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        nodes::insert(&mut c, &code("xq"), "西区", 1).await.unwrap();
        nodes::insert(&mut c, &code("xq.g1"), "一网格", 1)
            .await
            .unwrap();
        let grid = code("xq.g1");
        let new = NewCase {
            grid: &grid,
            category: Category::Dispute,
            tier: Tier::Everyday,
            reporter_id: 7,
            anonymous: false,
            text: "楼上漏水",
            origin_chat_id: -1,
            origin_message_id: Some(3),
            deadline_at: None,
        };
        let throttle = Throttle {
            limit: 2,
            since: 100,
        };
        let first = cases::insert(&mut c, &new, &throttle, 100).await.unwrap();
        assert!(first.is_some());
        assert!(
            cases::insert(&mut c, &new, &throttle, 101)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            cases::insert(&mut c, &new, &throttle, 102)
                .await
                .unwrap()
                .is_none(),
            "a third report within the window is refused"
        );
        let later = Throttle {
            limit: 2,
            since: 101,
        };
        assert!(
            cases::insert(&mut c, &new, &later, 200)
                .await
                .unwrap()
                .is_some(),
            "the window moves on"
        );

        // Staff of the node and the handler, of those with a private chat.
        let worker = |id| people::Sighting {
            private: id != 12,
            ..sighting(id, "网格员")
        };
        for id in [10, 11, 12] {
            people::seen(&mut c, &worker(id), 1).await.unwrap();
        }
        for id in [10, 12] {
            let g = Grant {
                code: grid.clone(),
                role: Role::Worker,
                post: Post::A,
            };
            people::grant_role(&mut c, id, &g, None, 1).await.unwrap();
        }
        let mut case = first.unwrap();
        assert_eq!(
            cases::reachable_staff(&mut c, &case).await.unwrap(),
            vec![10]
        );
        case.handler_id = Some(11);
        assert_eq!(
            cases::reachable_staff(&mut c, &case).await.unwrap(),
            vec![10, 11]
        );
    })
    .await;
}

#[tokio::test]
async fn schedules_are_listed_by_subtree_and_stopped() {
    use pingan::store::schedules::{self, Schedule};
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        for (c_, n) in [("xq", "西区"), ("xq.a", "甲"), ("xq.a_b", "乙")] {
            nodes::insert(&mut c, &code(c_), n, 1).await.unwrap();
        }
        let at = |node: &str| Schedule {
            id: 0,
            node: code(node),
            chat_id: -1,
            creator: 7,
            spec: "daily 09:00".into(),
            cron: "0 0 9 * * *".into(),
            args: "注意防火".into(),
            created_at: 0,
            next_due: Some(100),
        };
        let a = schedules::insert(&mut c, &at("xq.a"), 5).await.unwrap();
        let b = schedules::insert(&mut c, &at("xq.a_b"), 5).await.unwrap();
        let ids = |v: Vec<Schedule>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
        assert_eq!(
            ids(schedules::active_within(&mut c, &code("xq.a"))
                .await
                .unwrap()),
            vec![a]
        );
        assert_eq!(
            ids(schedules::active_within(&mut c, &code("xq")).await.unwrap()),
            vec![a, b]
        );
        let got = schedules::get_active(&mut c, b).await.unwrap().unwrap();
        assert_eq!(
            (got.node, got.created_at, got.spec.as_str()),
            (code("xq.a_b"), 5, "daily 09:00")
        );
        // Only what is due is read; the next occurrence moves on once.
        assert_eq!(
            ids(schedules::due(&mut c, 99).await.unwrap()),
            Vec::<i64>::new()
        );
        assert_eq!(ids(schedules::due(&mut c, 100).await.unwrap()), vec![a, b]);
        assert!(schedules::advance(&mut c, a, Some(100), 200).await.unwrap());
        assert!(!schedules::advance(&mut c, a, Some(100), 300).await.unwrap());
        assert!(!schedules::advance(&mut c, a, None, 300).await.unwrap());
        let got = schedules::get_active(&mut c, a).await.unwrap().unwrap();
        assert_eq!(got.next_due, Some(200));
        assert_eq!(ids(schedules::due(&mut c, 199).await.unwrap()), vec![b]);
        schedules::deactivate(&mut c, b).await.unwrap();
        assert!(schedules::get_active(&mut c, b).await.unwrap().is_none());
        assert!(!schedules::advance(&mut c, b, Some(100), 200).await.unwrap());
        assert_eq!(ids(schedules::active(&mut c).await.unwrap()), vec![a]);
        // A row from before next_due was stored is due until it is filled in.
        let legacy = schedules::insert(
            &mut c,
            &Schedule {
                next_due: None,
                ..at("xq.a")
            },
            5,
        )
        .await
        .unwrap();
        assert_eq!(ids(schedules::due(&mut c, 0).await.unwrap()), vec![legacy]);
        assert!(schedules::advance(&mut c, legacy, None, 500).await.unwrap());
        assert_eq!(
            ids(schedules::due(&mut c, 199).await.unwrap()),
            Vec::<i64>::new()
        );
    })
    .await;
}

#[tokio::test]
async fn old_update_records_and_sent_files_are_let_go() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        updates::mark_processed(&mut c, 1, 0).await.unwrap();
        updates::mark_processed(&mut c, 2, 10).await.unwrap();
        assert_eq!(updates::forget_before(&mut c, 5).await.unwrap(), 1);
        assert_eq!(updates::count(&mut c).await.unwrap(), 1);

        let doc = Outgoing::document(-100, "月结.xlsx", vec![1, 2, 3], "月结");
        let id = rows::enqueue(&mut c, &doc, 0, 0).await.unwrap();
        assert_eq!(
            rows::drop_sent_files(&mut c, 5).await.unwrap(),
            0,
            "a pending file is kept"
        );
        rows::mark_sent(&mut c, id, Some(9), 1).await.unwrap();
        assert_eq!(rows::drop_sent_files(&mut c, 5).await.unwrap(), 1);
        let gone: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE id = $1 AND payload IS NULL")
                .bind(id)
                .fetch_one(&mut *c)
                .await
                .unwrap()
                .try_get("n")
                .unwrap();
        assert_eq!(gone, 1, "the row stays, its bytes go");
    })
    .await;
}
