//! Look-ups on scanned text, and appending to an array.

use super::*;

#[test]
fn array_items_yields_raw_elements() {
    let text = r#" [ "a" , {"b":[1,2]} , 3 ,"x\"]",-1.5e3,true, null,[] ] "#;
    assert_eq!(
        array_items(text).collect::<Vec<_>>(),
        vec![
            r#""a""#,
            r#"{"b":[1,2]}"#,
            "3",
            r#""x\"]""#,
            "-1.5e3",
            "true",
            "null",
            "[]"
        ]
    );
    assert_eq!(array_items("[]").count(), 0);
    assert_eq!(array_items(" [ \n ] ").count(), 0);
    assert_eq!(array_items("[[]]").collect::<Vec<_>>(), vec!["[]"]);
    assert_eq!(
        array_items(r#"["a\\"]"#).collect::<Vec<_>>(),
        vec![r#""a\\""#]
    );
    assert_eq!(array_items(r#"{"a":1}"#).count(), 0);
    assert_eq!(array_items(r#""[1]""#).count(), 0);
    assert_eq!(array_items("").count(), 0);
}

#[test]
fn object_look_ups() {
    let text = r#" { "a" : 1 , "b":{"c":2}, "a":3, "\u0064":"e", "s":"}\"" } "#;
    assert_eq!(object_get(text, "a"), Some("3"));
    assert_eq!(object_get(text, "b"), Some(r#"{"c":2}"#));
    assert_eq!(object_get(text, "c"), None);
    assert_eq!(object_get(text, "d"), Some(r#""e""#));
    assert_eq!(object_get(text, "s"), Some(r#""}\"""#));
    assert_eq!(object_get("[1]", "0"), None);
    assert_eq!(object_get("{}", "a"), None);
    let entries: Vec<_> = object_entries(text).collect();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[3], (Cow::<str>::Owned("d".into()), r#""e""#));
    assert!(matches!(entries[0].0, Cow::Borrowed("a")));
    assert_eq!(object_entries("[]").count(), 0);
}

#[test]
fn look_ups_survive_garbage() {
    for text in [
        "[",
        "[,",
        "[1,",
        "[\"",
        "[\"\\",
        "]",
        "[1 2]",
        "[{]",
        "[}}}]",
        "[,,,]",
        "[\"a\" \"b\"]",
        "{",
        "{\"",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":}",
        "{:}",
        "{\"a\" 1}",
        "{\"a\":1,,}",
        "{[}",
        "[\"é\\é\"]",
        "{\"\\é\":1}",
        "[-é]",
        "[tru",
        "\u{0}",
        "[\\",
    ] {
        let _ = array_items(text).take(100).count();
        let _ = object_entries(text).take(100).count();
        let _ = object_get(text, "a");
        let _ = placeholder_num(text);
    }
    assert_eq!(array_items("[1 2]").collect::<Vec<_>>(), vec!["1"]);
}

#[test]
fn push_array_item_appends() {
    let cases = [
        ("[]", "[1]"),
        ("[ ]", "[ 1]"),
        ("[\n]", "[\n1]"),
        ("[0]", "[0,1]"),
        (r#"["ev",{"a":[]}] "#, r#"["ev",{"a":[]},1]"#),
        ("[[]]", "[[],1]"),
        ("{}", "{}"),
        ("", ""),
    ];
    for (before, after) in cases {
        let mut s = String::from(before);
        push_array_item(&mut s, "1");
        assert_eq!(s, after, "{before}");
    }
    let mut s = String::from(r#"["ev"]"#);
    push_array_item(&mut s, r#"{"_placeholder":true,"num":0}"#);
    assert_eq!(placeholders(&s), (1, Some(0)));
}
