//! Tests of valid imports: both formats, the shipped examples, determinism, no panics.

use std::collections::HashSet;
use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::domain::{Level, Post, Role};

const XIQU: &str = include_str!("../../examples/xiqu.toml");
const XIQU_CSV: &str = include_str!("../../examples/xiqu-nodes.csv");
const XIQU_STAFF: &str = include_str!("../../examples/xiqu-staff.toml");

pub(super) fn nothing(_: &NodeCode) -> bool {
    false
}

pub(super) fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn codes(plan: &DistrictPlan) -> Vec<&str> {
    plan.nodes.iter().map(|n| n.code.as_str()).collect()
}

#[test]
fn format_from_extension() {
    assert_eq!(
        Format::from_path(Path::new("a/xiqu.toml")),
        Some(Format::Toml)
    );
    assert_eq!(Format::from_path(Path::new("XIQU.CSV")), Some(Format::Csv));
    assert_eq!(Format::from_path(Path::new("x.Toml")), Some(Format::Toml));
    assert_eq!(Format::from_path(Path::new("x.xlsx")), None);
    assert_eq!(Format::from_path(Path::new("toml")), None);
}

#[test]
fn valid_toml() {
    let text = r#"
[[node]]
code = "xq"
name = " 西区 "

[[node]]
code = "XQ.hmk"
name = "河门口街道"

[[staff]]
user = 100000001
name = "王芳"
username = "@wangfang"
role = "网格员"
code = "xq.hmk"
backup = true

[[staff]]
user = "100000002"
role = "admin"
code = "xq"
"#;
    let plan = parse(Format::Toml, text, &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq", "xq.hmk"]);
    assert_eq!(plan.nodes[0].name, "西区");
    assert_eq!(plan.nodes[0].line, 3);
    assert_eq!(plan.nodes[1].line, 7);
    let g = &plan.staff[0];
    assert_eq!(
        (g.user_id, g.name.as_deref(), g.username.as_deref()),
        (100000001, Some("王芳"), Some("wangfang"))
    );
    assert_eq!((g.role, g.post, g.line), (Role::Worker, Post::B, 11));
    assert_eq!(g.code, code("xq.hmk"));
    let g = &plan.staff[1];
    assert_eq!(
        (g.user_id, g.role, g.post, g.line),
        (100000002, Role::Admin, Post::A, 19)
    );
    assert_eq!((g.name.as_deref(), g.username.as_deref()), (None, None));
}

#[test]
fn valid_csv_any_order_extra_columns_bom_blank_lines() {
    let text = "\u{feff}名称,备注,编码,上级编码\r\n西区,x,xq,\r\n\r\n , , , \r\n 河门口街道 ,, xq.hmk ,XQ\r\n";
    let plan = parse(Format::Csv, text, &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq", "xq.hmk"]);
    assert_eq!(plan.nodes[1].name, "河门口街道");
    assert_eq!((plan.nodes[0].line, plan.nodes[1].line), (2, 5));
    assert!(plan.staff.is_empty());
}

#[test]
fn csv_english_headers_without_parent_and_other_separators() {
    let plan = parse(Format::Csv, "Code,Name\nxq,西区\nxq.a,甲\n", &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq", "xq.a"]);
    let plan = parse(Format::Csv, "code;parent;name\nxq;;西区\n", &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq"]);
    let plan = parse(Format::Csv, "code\tparent\tname\nxq\t\t西区\n", &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq"]);
}

#[test]
fn csv_quoted_cells() {
    let text = "code,parent,name\nxq,,\"西区, 攀枝花\"\n";
    let plan = parse(Format::Csv, text, &nothing).unwrap();
    assert_eq!(plan.nodes[0].name, "西区, 攀枝花");
}

#[test]
fn parent_defined_later_is_sorted_first() {
    let text = r#"
[[node]]
code = "xq.a.c1"
name = "社区"
[[node]]
code = "xq.a"
name = "街道"
[[node]]
code = "xq"
name = "区"
[[node]]
code = "xq.b"
name = "街道二"
"#;
    let plan = parse(Format::Toml, text, &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq", "xq.a", "xq.b", "xq.a.c1"]);
    let csv = "code,parent,name\nxq.a.c1,xq.a,社区\nxq.a,xq,街道\nxq,,区\n";
    let plan = parse(Format::Csv, csv, &nothing).unwrap();
    assert_eq!(codes(&plan), ["xq", "xq.a", "xq.a.c1"]);
}

#[test]
fn parent_may_exist_in_database() {
    let existing = |c: &NodeCode| ["xq", "xq.hmk"].contains(&c.as_str());
    let text = "[[node]]\ncode = \"xq.hmk.c9\"\nname = \"新社区\"\n";
    let plan = parse(Format::Toml, text, &existing).unwrap();
    assert_eq!(codes(&plan), ["xq.hmk.c9"]);
    let plan = parse(
        Format::Csv,
        "编码,上级编码,名称\nxq.hmk.c9,xq.hmk,新社区\n",
        &existing,
    )
    .unwrap();
    assert_eq!(codes(&plan), ["xq.hmk.c9"]);
    // Staff on an existing node, and a file re-defining an existing node.
    let text = "[[node]]\ncode = \"xq.hmk\"\nname = \"河门口\"\n[[staff]]\nuser = 7\nrole = \"police\"\ncode = \"xq.hmk\"\n";
    let plan = parse(Format::Toml, text, &existing).unwrap();
    assert_eq!(plan.staff[0].code, code("xq.hmk"));
}

fn xiqu_plan() -> DistrictPlan {
    parse(Format::Toml, XIQU, &nothing).unwrap()
}

#[test]
fn xiqu_example_has_140_nodes() {
    let plan = xiqu_plan();
    assert_eq!(plan.nodes.len(), 140);
    let count = |l: Level| plan.nodes.iter().filter(|n| n.code.level() == l).count();
    assert_eq!(count(Level::District), 1);
    assert_eq!(count(Level::Town), 7);
    assert_eq!(count(Level::Community) + count(Level::Grid), 132);
    assert!(plan.nodes.iter().any(|n| n.code.as_str() == "xq.hmk.c1.g3"));
    let names: HashSet<&str> = plan.nodes.iter().map(|n| n.name.as_str()).collect();
    for town in [
        "清香坪街道",
        "大宝鼎街道",
        "玉泉街道",
        "河门口街道",
        "摩梭河街道",
        "陶家渡街道",
        "格里坪镇",
    ] {
        assert!(names.contains(town), "{town}");
    }
    // Parents come before children.
    let mut seen = HashSet::new();
    for n in &plan.nodes {
        if let Some(p) = n.code.parent() {
            assert!(seen.contains(&p), "{} before its parent", n.code);
        }
        seen.insert(n.code.clone());
    }
    // Every community has 3–5 grids.
    for c in plan
        .nodes
        .iter()
        .filter(|n| n.code.level() == Level::Community)
    {
        let grids = plan
            .nodes
            .iter()
            .filter(|g| c.code.is_parent_of(&g.code))
            .count();
        assert!((3..=5).contains(&grids), "{} has {grids} grids", c.code);
    }
}

#[test]
fn xiqu_csv_example_matches_toml() {
    let plan = parse(Format::Csv, XIQU_CSV, &nothing).unwrap();
    assert!(plan.nodes.len() > 8);
    let full = xiqu_plan();
    for n in &plan.nodes {
        let same = full
            .nodes
            .iter()
            .find(|f| f.code == n.code)
            .expect("node in xiqu.toml");
        assert_eq!(same.name, n.name);
    }
}

#[test]
fn xiqu_staff_example_after_nodes() {
    let full = xiqu_plan();
    let known: HashSet<NodeCode> = full.nodes.iter().map(|n| n.code.clone()).collect();
    let plan = parse(Format::Toml, XIQU_STAFF, &|c: &NodeCode| known.contains(c)).unwrap();
    assert!(plan.nodes.is_empty());
    let g3 = code("xq.hmk.c1.g3");
    let on = |role, post| {
        plan.staff
            .iter()
            .filter(|g| g.code == g3 && g.role == role && g.post == post)
            .count()
    };
    assert_eq!(on(Role::Worker, Post::A), 1);
    assert_eq!(on(Role::Worker, Post::B), 1);
    assert_eq!(on(Role::Police, Post::A), 1);
    assert_eq!(on(Role::Mediator, Post::A), 1);
    assert!(
        plan.staff
            .iter()
            .any(|g| g.code == code("xq") && g.role == Role::Admin)
    );
    assert!(
        plan.staff
            .iter()
            .any(|g| g.code == code("xq.hmk") && g.role == Role::Admin)
    );
    // Without the nodes in the database every grant is on an unknown node.
    let err = parse(Format::Toml, XIQU_STAFF, &nothing).unwrap_err();
    assert_eq!(err.len(), plan.staff.len());
}

#[test]
fn parsing_is_deterministic() {
    assert_eq!(xiqu_plan(), xiqu_plan());
    let a = parse(Format::Csv, XIQU_CSV, &nothing).unwrap();
    assert_eq!(a, parse(Format::Csv, XIQU_CSV, &nothing).unwrap());
    let bad = "[[node]]\ncode = \"a.b\"\nname = \"\"\n[[node]]\ncode = \"a.c\"\nname = \"x\"\n";
    assert_eq!(
        parse(Format::Toml, bad, &nothing),
        parse(Format::Toml, bad, &nothing)
    );
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*(\n\\PC*){0,8}") {
        let _ = parse(Format::Toml, &text, &nothing);
        let _ = parse(Format::Csv, &text, &nothing);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_bytes(Format::Toml, &bytes, &nothing);
        let _ = parse_bytes(Format::Csv, &bytes, &nothing);
    }

    #[test]
    fn csv_like_text_never_panics(rows in proptest::collection::vec("[a-z.,\"; 网格\t]{0,20}", 0..10)) {
        let text = format!("code,parent,name\n{}", rows.join("\n"));
        let _ = parse(Format::Csv, &text, &nothing);
        let toml = rows.iter().map(|r| format!("[[node]]\ncode = \"{r}\"\nname = \"{r}\"")).collect::<Vec<_>>().join("\n");
        let _ = parse(Format::Toml, &toml, &|c: &NodeCode| c.as_str().len().is_multiple_of(2));
    }
}
