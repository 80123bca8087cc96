//! Unit tests for the Telegram HTML parser.

use super::*;

fn ok(s: &str) -> ParsedText {
    parse_html(s).unwrap_or_else(|e| panic!("{s:?} should parse, got {e}"))
}

fn err(s: &str) -> String {
    match parse_html(s) {
        Ok(p) => panic!("{s:?} should fail, parsed to {p:?}"),
        Err(e) => e,
    }
}

fn ent(kind: &'static str, offset: usize, length: usize) -> Entity {
    Entity {
        kind,
        offset,
        length,
        extra: None,
    }
}

#[test]
fn plain_text_passes_through() {
    let p = ok("hello, 世界 🎉");
    assert_eq!(p.text, "hello, 世界 🎉");
    assert!(p.entities.is_empty());
}

#[test]
fn basic_tags_become_entities() {
    let p = ok("<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code>");
    assert_eq!(p.text, "bold it u s c");
    assert_eq!(
        p.entities,
        vec![
            ent("bold", 0, 4),
            ent("italic", 5, 2),
            ent("underline", 8, 1),
            ent("strikethrough", 10, 1),
            ent("code", 12, 1)
        ]
    );
}

#[test]
fn synonyms_and_case() {
    let p = ok("<STRONG>a</STRONG><em>b</em><ins>c</ins><strike>d</strike><del>e</del>");
    let kinds: Vec<_> = p.entities.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            "bold",
            "italic",
            "underline",
            "strikethrough",
            "strikethrough"
        ]
    );
}

#[test]
fn nested_entities_sorted_outer_first() {
    let p = ok("<b>x<i>yz</i></b>");
    assert_eq!(p.entities, vec![ent("bold", 0, 3), ent("italic", 1, 2)]);
}

#[test]
fn offsets_are_utf16() {
    let p = ok("🎉<b>平安</b>");
    assert_eq!(p.entities, vec![ent("bold", 2, 2)]);
    assert_eq!(utf16_len("🎉平安"), 4);
}

#[test]
fn html_entities_decode() {
    let p = ok("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42;&#X43; &#20320;");
    assert_eq!(p.text, "<b> & \"q\" ABC 你");
}

#[test]
fn links() {
    let p =
        ok(r#"<a href="https://example.com/?a=1&amp;b=2">x</a> <a href='tg://user?id=5'>u</a>"#);
    assert_eq!(p.text, "x u");
    assert_eq!(
        p.entities[0].extra,
        Some(("url", "https://example.com/?a=1&b=2".into()))
    );
    assert_eq!(p.entities[0].kind, "text_link");
    assert_eq!(p.entities[1].extra, Some(("url", "tg://user?id=5".into())));
    let p = ok("<a href=example.com>x</a><a>no href</a>");
    assert_eq!(p.entities.len(), 1);
    assert_eq!(
        p.entities[0].extra,
        Some(("url", "http://example.com/".into()))
    );
}

#[test]
fn pre_with_language() {
    let p = ok(r#"<pre><code class="language-rust">fn main() {}</code></pre>"#);
    assert_eq!(p.text, "fn main() {}");
    assert_eq!(
        p.entities,
        vec![Entity {
            kind: "pre",
            offset: 0,
            length: 12,
            extra: Some(("language", "rust".into()))
        }]
    );
    let p = ok("<pre>x</pre>");
    assert_eq!(p.entities, vec![ent("pre", 0, 1)]);
}

#[test]
fn blockquote_spoiler_emoji() {
    let p = ok("<blockquote>q</blockquote><blockquote expandable>e</blockquote>");
    assert_eq!(
        p.entities,
        vec![ent("blockquote", 0, 1), ent("expandable_blockquote", 1, 1)]
    );
    let p = ok(r#"<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>"#);
    assert_eq!(p.entities, vec![ent("spoiler", 0, 1), ent("spoiler", 1, 1)]);
    let p = ok(r#"<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>"#);
    assert_eq!(p.entities[0].kind, "custom_emoji");
    assert_eq!(
        p.entities[0].to_json()["custom_emoji_id"],
        "5368324170671202286"
    );
}

#[test]
fn empty_entities_are_dropped() {
    let p = ok("<b></b>x");
    assert_eq!(p.text, "x");
    assert!(p.entities.is_empty());
}

#[test]
fn unsupported_start_tags() {
    assert_eq!(
        err("hello <foo>x</foo>"),
        "Unsupported start tag \"foo\" at byte offset 6"
    );
    assert_eq!(
        err("1 < 2 is true"),
        "Unsupported start tag \"\" at byte offset 2"
    );
    assert_eq!(
        err("a<br/>b"),
        "Unsupported start tag \"br/\" at byte offset 1"
    );
    assert_eq!(
        err("mail <kahn@inbox.ru> now"),
        "Unsupported start tag \"kahn@inbox.ru\" at byte offset 5"
    );
    // Byte offsets, not characters.
    assert_eq!(
        err("平安 <x>"),
        "Unsupported start tag \"x\" at byte offset 7"
    );
}

#[test]
fn unclosed_and_mismatched() {
    assert_eq!(
        err("<b>bold"),
        "Can't find end tag corresponding to start tag \"b\""
    );
    assert_eq!(
        err("<b><i>x</i>"),
        "Can't find end tag corresponding to start tag \"b\""
    );
    assert_eq!(
        err("<b>x</i>"),
        "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""
    );
    assert_eq!(err("x</b>"), "Unexpected end tag at byte offset 1");
    assert_eq!(err("<b>x</b"), "Unclosed end tag at byte offset 4");
    assert_eq!(err("a <b"), "Unclosed start tag at byte offset 2");
    assert_eq!(err("<a href=\"x>y"), "Unclosed start tag at byte offset 0");
    // `</>` closes whatever is open, like Telegram.
    assert_eq!(ok("<b>x</>").entities, vec![ent("bold", 0, 1)]);
}

#[test]
fn bad_attributes() {
    assert_eq!(
        err("<a href>x</a>"),
        "Expected equal sign in declaration of an attribute of the tag \"a\" at byte offset 0"
    );
    assert_eq!(
        err("<span>x</span>"),
        "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
    );
}

#[test]
fn bad_entities() {
    assert_eq!(err("AT&T"), "Unsupported HTML entity at byte offset 2");
    assert_eq!(err("a & b"), "Unsupported HTML entity at byte offset 2");
    assert_eq!(err("&nbsp;"), "Unsupported HTML entity at byte offset 0");
    assert_eq!(err("&#0;"), "Unsupported HTML entity at byte offset 0");
    assert_eq!(err("&#xD800;"), "Unsupported HTML entity at byte offset 0");
    assert_eq!(err("&lt"), "Unsupported HTML entity at byte offset 0");
    assert!(err(r#"<a href="?a=1&b=2">x</a>"#).starts_with("Unsupported HTML entity"));
}

#[test]
fn escape_round_trips() {
    let nasty = r#"<script>alert("x")</script> & <b> &amp; 平安"#;
    let p = ok(&escape(nasty));
    assert_eq!(p.text, nasty);
    assert!(p.entities.is_empty());
    let p = ok(&format!("<b>{}</b>", escape(nasty)));
    assert_eq!(p.text, nasty);
    assert_eq!(p.entities, vec![ent("bold", 0, utf16_len(nasty))]);
}

#[test]
fn entity_json_shape_matches_teloxide() {
    let p =
        ok(r#"<b>a</b><a href="https://x.org">b</a><pre><code class="language-py">c</code></pre>"#);
    let json: Vec<Value> = p.entities.iter().map(Entity::to_json).collect();
    let parsed: Vec<teloxide::types::MessageEntity> =
        serde_json::from_value(Value::Array(json)).unwrap();
    use teloxide::types::MessageEntityKind as K;
    assert_eq!(parsed[0].kind, K::Bold);
    assert!(matches!(&parsed[1].kind, K::TextLink { url } if url.as_str() == "https://x.org/"));
    assert_eq!(
        parsed[2].kind,
        K::Pre {
            language: Some("py".into())
        }
    );
}
