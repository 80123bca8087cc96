//! Tests of invalid imports: every error kind, on the right line, all reported at once.

use super::tests::{code, nothing};
use super::*;
use crate::domain::Role;
use ImportErrorKind as K;

fn errors(format: Format, text: &str) -> Vec<(Option<usize>, ImportErrorKind)> {
    let err = parse(format, text, &nothing).expect_err("should fail");
    err.0.into_iter().map(|e| (e.line, e.kind)).collect()
}

fn toml_errors(text: &str) -> Vec<(Option<usize>, ImportErrorKind)> {
    errors(Format::Toml, text)
}

fn csv_errors(text: &str) -> Vec<(Option<usize>, ImportErrorKind)> {
    errors(Format::Csv, text)
}

const ROOT: &str = "[[node]]\ncode = \"xq\"\nname = \"西区\"\n"; // lines 1–3

#[test]
fn toml_syntax_error_has_line() {
    let e = toml_errors("[[node]]\ncode = \"xq\"\nname = 西区\n");
    assert_eq!(e.len(), 1);
    assert!(matches!(e[0], (Some(3), K::Syntax(_))), "{e:?}");
}

#[test]
fn toml_unknown_key_is_an_error() {
    let e = toml_errors(&format!("{ROOT}nmae = \"x\"\n"));
    assert!(
        matches!(&e[0], (Some(4), K::Syntax(m)) if m.contains("nmae")),
        "{e:?}"
    );
    let e = toml_errors("[[nodes]]\ncode = \"xq\"\nname = \"西区\"\n");
    assert!(
        matches!(&e[0], (Some(_), K::Syntax(m)) if m.contains("nodes")),
        "{e:?}"
    );
    let e = toml_errors(&format!(
        "{ROOT}[[staff]]\nuser = 1\nrole = \"admin\"\ncode = \"xq\"\nbakup = true\n"
    ));
    assert!(
        matches!(&e[0], (Some(8), K::Syntax(m)) if m.contains("bakup")),
        "{e:?}"
    );
}

#[test]
fn toml_missing_key_is_an_error() {
    let e = toml_errors("\n[[node]]\ncode = \"xq\"\n");
    assert!(
        matches!(&e[0], (Some(2 | 3), K::Syntax(m)) if m.contains("name")),
        "{e:?}"
    );
}

#[test]
fn empty_files() {
    assert_eq!(toml_errors(""), [(None, K::Empty)]);
    assert_eq!(toml_errors("# only a comment\n"), [(None, K::Empty)]);
    assert_eq!(csv_errors(""), [(None, K::Empty)]);
    assert_eq!(csv_errors("\u{feff}\n\n"), [(None, K::Empty)]);
    assert_eq!(csv_errors("编码,上级编码,名称\n\n"), [(None, K::Empty)]);
}

#[test]
fn bad_code_too_deep_bad_name_on_their_lines() {
    let text = format!(
        "{ROOT}[[node]]\ncode = \"xq.河门口\"\nname = \"河门口\"\n[[node]]\ncode = \"xq.a.b.c.d\"\nname = \"五级\"\n[[node]]\ncode = \"xq.a\"\nname = \"  \"\n"
    );
    let e = toml_errors(&text);
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(matches!(&e[0], (Some(5), K::BadCode { code, .. }) if code == "xq.河门口"));
    assert_eq!(
        e[1],
        (
            Some(8),
            K::TooDeep {
                code: "xq.a.b.c.d".into()
            }
        )
    );
    assert_eq!(
        e[2],
        (
            Some(12),
            K::BadName {
                code: "xq.a".into()
            }
        )
    );
}

#[test]
fn unknown_parent_and_duplicate_code() {
    let text = format!(
        "{ROOT}[[node]]\ncode = \"xq.foo.c1\"\nname = \"社区\"\n[[node]]\ncode = \"xq\"\nname = \"又一个西区\"\n"
    );
    let e = toml_errors(&text);
    assert_eq!(
        e,
        [
            (
                Some(5),
                K::UnknownParent {
                    code: code("xq.foo.c1"),
                    parent: code("xq.foo")
                }
            ),
            (
                Some(8),
                K::DuplicateCode {
                    code: code("xq"),
                    first_line: 2
                }
            ),
        ]
    );
    let msg = ImportError::at(12, e[0].1.clone());
    assert_eq!(
        msg.message(false),
        "第 12 行：上级节点 xq.foo 不存在（xq.foo.c1）"
    );
    assert_eq!(
        msg.message(true),
        "line 12: unknown parent xq.foo for xq.foo.c1"
    );
}

#[test]
fn staff_errors() {
    let text = format!(
        "{ROOT}[[staff]]\nuser = -5\nrole = \"boss\"\ncode = \"xq.nowhere\"\nusername = \"a b\"\n\
         [[staff]]\nuser = \"12x\"\nname = \"\"\"\n两行\n名字\"\"\"\nrole = \"admin\"\ncode = \"xq\"\n\
         [[staff]]\nuser = 9\nrole = \"admin\"\ncode = \"xq\"\n[[staff]]\nuser = 9\nrole = \"管理员\"\ncode = \"xq\"\nbackup = true\n"
    );
    let e = toml_errors(&text);
    assert_eq!(e.len(), 7, "{e:?}");
    assert_eq!(e[0], (Some(5), K::BadUserId { user: "-5".into() }));
    assert_eq!(
        e[1],
        (
            Some(6),
            K::BadRole {
                role: "boss".into()
            }
        )
    );
    assert_eq!(
        e[2],
        (
            Some(7),
            K::UnknownNode {
                code: code("xq.nowhere")
            }
        )
    );
    assert_eq!(
        e[3],
        (
            Some(8),
            K::BadUsername {
                username: "a b".into()
            }
        )
    );
    assert_eq!(e[4], (Some(10), K::BadUserId { user: "12x".into() }));
    assert!(matches!(e[5], (Some(11), K::BadStaffName { .. })));
    let dup = K::DuplicateGrant {
        user_id: 9,
        code: code("xq"),
        role: Role::Admin,
        first_line: 17,
    };
    assert_eq!(e[6], (Some(21), dup));
}

#[test]
fn csv_errors_on_file_lines() {
    let text = "code,parent,name\nxq,,西区\n\nxq.a,xq.b,街道\nxq.b,,街道二\nxq.c.d,xq.c,社区\nxq,,重复\nxq.e,xq,\nA/B,xq,坏\n";
    let e = csv_errors(text);
    assert_eq!(
        e,
        [
            (
                Some(4),
                K::ParentMismatch {
                    code: code("xq.a"),
                    parent: "xq.b".into()
                }
            ),
            (
                Some(5),
                K::ParentMismatch {
                    code: code("xq.b"),
                    parent: "".into()
                }
            ),
            (
                Some(6),
                K::UnknownParent {
                    code: code("xq.c.d"),
                    parent: code("xq.c")
                }
            ),
            (
                Some(7),
                K::DuplicateCode {
                    code: code("xq"),
                    first_line: 2
                }
            ),
            (
                Some(8),
                K::BadName {
                    code: "xq.e".into()
                }
            ),
            (
                Some(9),
                K::BadCode {
                    code: "A/B".into(),
                    reason: crate::domain::node::CodeError::BadSegment("a/b".into())
                }
            ),
        ]
    );
}

#[test]
fn csv_missing_column() {
    assert_eq!(
        csv_errors("\n编码,上级编码\nxq,\n"),
        [(
            Some(2),
            K::MissingColumn {
                name: "name/名称"
            }
        )]
    );
    assert_eq!(
        csv_errors("xq,,西区\n"),
        [(
            Some(1),
            K::MissingColumn {
                name: "code/编码"
            }
        )]
    );
}
