//! The store against both databases: SQLite files and PostgreSQL, real migrations.

#[path = "common/db.rs"]
mod db;

use db::TestDb;
use pingan::domain::{Grant, NodeCode, Post, Role};
use pingan::store::outbox::{self as rows, OutKind, Outgoing};
use pingan::store::{Store, groups, nodes, people, updates};

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
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
        people::seen(&mut c, 42, Some("WangFang"), "王芳", None, 1)
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
        let edit = Outgoing {
            kind: OutKind::Edit { of: first },
            ..Outgoing::text(-1, "b")
        };
        rows::enqueue(&mut c, &edit, 1, 1000).await.unwrap();
        let pending = rows::pending_rows(&mut c, 10).await.unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[1].target_status.as_deref(), Some("pending"));
        assert!(rows::claim(&mut c, first, 1000, 61_000).await.unwrap());
        assert!(
            !rows::claim(&mut c, first, 2000, 62_000).await.unwrap(),
            "leased row is not claimed twice"
        );
        assert!(
            rows::claim(&mut c, first, 61_000, 121_000).await.unwrap(),
            "an expired lease is taken over"
        );
        rows::mark_sent(&mut c, first, Some(55), 3).await.unwrap();
        let pending = rows::pending_rows(&mut c, 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].target_message_id, Some(55));
        assert_eq!(rows::fail_chat(&mut c, -1, "gone").await.unwrap(), 1);
        assert_eq!(rows::count_status(&mut c, "failed").await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn outbox_carries_files() {
    on_both(|store| async move {
        let mut c = store.conn().await.unwrap();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let doc = Outgoing::document(-100, "月结.xlsx", bytes.clone(), "<b>月结</b>");
        let photo = Outgoing::photo(-100, "chart.png", vec![0x89, b'P', b'N', b'G'], "图");
        pingan::outbox::queue(&mut c, &[doc, photo], 1).await.unwrap();
        let pending = rows::pending_rows(&mut c, 10).await.unwrap();
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
