//! The `pingan` binary: configuration errors, `migrate`, and `import`.

mod common;

use std::process::{Command, Output};

use common::{TestDb, spawn_with};
use pingan::store::{Store, nodes, people};

fn pingan(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pingan"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_variable() {
    let db = TestDb::sqlite();
    let out = pingan(db.url(), &["run"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("TELOXIDE_TOKEN")
            && !err.contains("panicked")
            && err.trim().lines().count() == 1,
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", db.url())
        .env("PINGAN_TZ", "Mars/Olympus")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        !out.status.success() && err.contains("PINGAN_TZ") && err.trim().lines().count() == 1,
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .arg("run")
        .env_clear()
        .env("DATABASE_URL", db.url())
        .env("TELOXIDE_TOKEN", "1:x")
        .env("TELOXIDE_API_URL", "not a url")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        !out.status.success() && err.contains("TELOXIDE_API_URL") && !err.contains("panicked"),
        "{err}"
    );
}

async fn counts(url: &str) -> (i64, usize) {
    let store = Store::open(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let n = nodes::count(&mut c).await.unwrap();
    let staff = people::staff_in(&mut c, &pingan::domain::NodeCode::parse("xq").unwrap())
        .await
        .unwrap()
        .len();
    store.close().await;
    (n, staff)
}

#[tokio::test]
async fn import_is_validated_whole_and_idempotent() {
    let db = TestDb::sqlite();
    let out = pingan(db.url(), &["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // An invalid file names its lines and writes nothing.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[node]]\ncode = \"xq\"\nname = \"西区\"\n\n[[node]]\ncode = \"xq.a\"\nname = \"甲\"\n\n[[node]]\ncode = \"xq.zz.c1\"\nname = \"孤儿\"\n\n[[staff]]\nuser = 5\nrole = \"boss\"\ncode = \"xq\"\n",
    )
    .unwrap();
    let out = pingan(db.url(), &["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("第 10 行") && err.contains("xq.zz") && err.contains("boss"),
        "{err}"
    );
    assert_eq!(counts(db.url()).await, (0, 0), "nothing written");

    // The shipped district, twice, then its staff.
    for _ in 0..2 {
        let out = pingan(db.url(), &["import", "examples/xiqu.toml"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(counts(db.url()).await, (140, 0));
    let out = pingan(db.url(), &["import", "examples/xiqu-staff.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = pingan(db.url(), &["import", "examples/xiqu-staff.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(counts(db.url()).await, (140, 6));

    // A spreadsheet export adds nothing new but is accepted.
    let out = pingan(db.url(), &["import", "examples/xiqu-nodes.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(counts(db.url()).await, (140, 6));

    // `pingan export` writes the district's cases as a spreadsheet opens them (CSV, UTF-8 with BOM).
    let out_file = dir.path().join("export.csv");
    let out = pingan(
        db.url(),
        &[
            "export",
            "--period",
            "month",
            "--csv",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("已导出") && said.contains("（0 件事项）"),
        "{said}"
    );
    let bytes = std::fs::read(&out_file).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "BOM first");
    assert!(
        String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .is_some_and(|h| h.contains("编号")),
        "a header row"
    );
    let out = pingan(db.url(), &["export", "--code", "xq.nowhere"]);
    assert!(
        !out.status.success() && stderr(&out).contains("xq.nowhere"),
        "{}",
        stderr(&out)
    );

    // A CSV that is not UTF-8 (Excel's GBK export) gets advice, not garbage.
    let gbk = dir.path().join("gbk.csv");
    std::fs::write(&gbk, b"code,parent,name\nxq.new,xq,\xce\xf7\xc7\xf8\n").unwrap();
    let out = pingan(db.url(), &["import", gbk.to_str().unwrap()]);
    assert!(
        !out.status.success() && stderr(&out).contains("UTF-8"),
        "{}",
        stderr(&out)
    );
    assert_eq!(counts(db.url()).await, (140, 6));
}

#[tokio::test]
async fn the_imported_district_is_browsable_in_the_bot() {
    let db = TestDb::sqlite();
    let out = pingan(db.url(), &["import", "examples/xiqu.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bot = spawn_with(common::Options {
        db: Some(db),
        ..Default::default()
    })
    .await;
    let root = bot.root;
    bot.sandbox.send_text(root, root, "/tree");
    // 140 lines: the tree arrives whole, in as many messages as Telegram's
    // limit needs (parts are cut by what is shown, tags not counted), the summary last.
    let last = bot
        .sandbox
        .wait_message("tree summary", |m| {
            m.chat_id == root && m.text.contains("共 140 个节点")
        })
        .await;
    let parts = bot.sandbox.messages(root);
    assert!(parts.iter().all(|m| m.text.chars().count() <= 4096));
    let shown: usize = parts.iter().map(|m| m.text.chars().count()).sum();
    assert_eq!(
        parts.len(),
        shown.div_ceil(3500).max(1),
        "no more parts than needed"
    );
    assert!(
        parts.iter().any(|m| m.text.contains("格里坪镇")) && last.text.contains("已绑定群组 0 个")
    );
}
