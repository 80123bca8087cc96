//! Tests of error reporting: non-UTF-8 input, the error cap, and bilingual messages.

use super::tests::{code, nothing};
use super::*;
use crate::domain::Role;
use ImportErrorKind as K;

#[test]
fn not_utf8() {
    // "西区" in GBK (Excel's plain "CSV" export on a Chinese system).
    let gbk: &[u8] = b"code,parent,name\nxq,,\xce\xf7\xc7\xf8\n";
    let err = parse_bytes(Format::Csv, gbk, &nothing).unwrap_err();
    assert_eq!(err.0, [ImportError::at(2, K::NotUtf8)]);
    assert!(err.render(false).contains("CSV UTF-8"));
    assert!(err.render(true).contains("CSV UTF-8"));
    // Lossily decoded GBK is caught too.
    let lossy = String::from_utf8_lossy(gbk);
    let err = parse(Format::Csv, &lossy, &nothing).unwrap_err();
    assert_eq!(err.0, [ImportError::at(2, K::NotUtf8)]);
    // A UTF-8 BOM is fine.
    let bom = "\u{feff}code,parent,name\nxq,,西区\n".as_bytes();
    assert!(parse_bytes(Format::Csv, bom, &nothing).is_ok());
}

#[test]
fn many_errors_are_capped() {
    let mut text = String::from("code,parent,name\n");
    for i in 0..80 {
        text.push_str(&format!("x{i}.y,x{i},名\n"));
    }
    let err = parse(Format::Csv, &text, &nothing).unwrap_err();
    assert_eq!(err.len(), MAX_ERRORS + 1);
    assert_eq!(err.0[0].line, Some(2));
    assert_eq!(err.0[MAX_ERRORS].kind, K::TooMany { more: 30 });
    assert_eq!(err.render(true).lines().count(), MAX_ERRORS + 1);
}

#[test]
fn every_message_renders_in_both_languages() {
    let kinds = [
        K::Syntax("expected `=`".into()),
        K::BadCode {
            code: "".into(),
            reason: crate::domain::node::CodeError::Empty,
        },
        K::TooDeep {
            code: "a.b.c.d.e".into(),
        },
        K::BadName { code: "xq".into() },
        K::ParentMismatch {
            code: code("xq.a"),
            parent: "".into(),
        },
        K::BadRole {
            role: "boss".into(),
        },
        K::BadUserId { user: "0".into() },
        K::BadUsername {
            username: "ab".into(),
        },
        K::BadStaffName { name: "x".into() },
        K::UnknownNode { code: code("xq.z") },
        K::DuplicateGrant {
            user_id: 1,
            code: code("xq"),
            role: Role::Police,
            first_line: 3,
        },
        K::NotUtf8,
        K::MissingColumn {
            name: "code/编码"
        },
        K::Empty,
        K::TooMany { more: 3 },
    ];
    let errs = ImportErrors(kinds.into_iter().map(|k| ImportError::at(7, k)).collect());
    for (zh, en) in errs.render(false).lines().zip(errs.render(true).lines()) {
        assert!(zh.starts_with("第 7 行："), "{zh}");
        assert!(en.starts_with("line 7: "), "{en}");
    }
    assert_eq!(errs.to_string(), errs.render(false));
}
