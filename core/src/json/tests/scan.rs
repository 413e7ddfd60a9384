//! The scanner: RFC 8259, errors and their offsets, depth, placeholders.

use super::*;

#[test]
fn rfc8259_examples() {
    let image = r#"{
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    }"#;
    assert_eq!(
        ok(image),
        Scan {
            kind: Kind::Object,
            placeholders: 0,
            max_placeholder_num: None,
            depth: 3,
        }
    );
    let places = r#"[
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ]"#;
    assert_eq!(ok(places).kind, Kind::Array);
    assert_eq!(array_items(places).count(), 2);
    assert_eq!(ok(r#""Hello world!""#).kind, Kind::String);
    assert_eq!(ok("42").kind, Kind::Number);
    assert_eq!(ok("true").kind, Kind::Bool);
    assert_eq!(ok("false").kind, Kind::Bool);
    assert_eq!(ok("null").kind, Kind::Null);
    let thumb = object_get(object_get(image, "Image").unwrap(), "Thumbnail").unwrap();
    assert_eq!(object_get(thumb, "Width"), Some("100"));
    assert_eq!(
        object_get(object_get(image, "Image").unwrap(), "IDs"),
        Some("[116, 943, 234, 38793]")
    );
}

#[test]
fn socket_io_payloads() {
    assert_eq!(ok(r#"["hello",1,{"a":[true,null]}]"#).kind, Kind::Array);
    assert_eq!(ok(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#).kind, Kind::Object);
    assert_eq!(ok(" \t\r\n[ ] \t\r\n").kind, Kind::Array);
    assert_eq!(ok("{ }").kind, Kind::Object);
    assert_eq!(ok(r#"{"":""}"#).kind, Kind::Object);
}

#[test]
fn every_error_kind_with_its_offset() {
    assert_eq!(err(""), (UnexpectedEnd, 0));
    assert_eq!(err("   "), (UnexpectedEnd, 3));
    assert_eq!(err("[1,"), (UnexpectedEnd, 3));
    assert_eq!(err(r#"{"a""#), (UnexpectedEnd, 4));
    assert_eq!(err(r#""abc"#), (UnexpectedEnd, 4));
    assert_eq!(err("tru"), (UnexpectedEnd, 3));
    assert_eq!(err("[1 2]"), (UnexpectedChar, 3));
    assert_eq!(err("[1,]"), (UnexpectedChar, 3));
    assert_eq!(err(r#"{"a":1,}"#), (UnexpectedChar, 7));
    assert_eq!(err(r#"{"a" 1}"#), (UnexpectedChar, 5));
    assert_eq!(err("{1:2}"), (UnexpectedChar, 1));
    assert_eq!(err("[1}"), (UnexpectedChar, 2));
    assert_eq!(err(r#"{"a":1]"#), (UnexpectedChar, 6));
    assert_eq!(err("trux"), (UnexpectedChar, 3));
    assert_eq!(err("'a'"), (UnexpectedChar, 0));
    assert_eq!(scan("[[1]]", 1).unwrap_err(), error(1, TooDeep));
    assert_eq!(err(r#""\x""#), (InvalidEscape, 1));
    assert_eq!(err(r#"["ok","a\u00G0"]"#), (InvalidEscape, 8));
    assert_eq!(err("\"a\u{1}\""), (ControlCharacter, 2));
    assert_eq!(err("\"\t\""), (ControlCharacter, 1));
    assert_eq!(err("1 2"), (TrailingCharacters, 2));
    assert_eq!(err("{}}"), (TrailingCharacters, 2));
    assert_eq!(err("\"a\" x"), (TrailingCharacters, 4));
    assert_eq!(err("01"), (InvalidNumber, 1));
    assert_eq!(err("[-]"), (InvalidNumber, 2));
}

#[test]
fn error_display_is_lowercase_with_offset() {
    assert_eq!(
        error(3, TooDeep).to_string(),
        "JSON nested too deeply at byte 3"
    );
    assert_eq!(
        error(0, UnexpectedEnd).to_string(),
        "unexpected end of JSON at byte 0"
    );
}

#[test]
fn numbers_follow_the_grammar() {
    for good in [
        "0",
        "-0",
        "1",
        "-1",
        "10",
        "1.5",
        "-1.5e10",
        "1E+2",
        "1e-2",
        "0.0",
        "0e0",
        "-0.0E-0",
        "123456789012345678901234567890",
        "1.7976931348623157e309",
    ] {
        assert_eq!(ok(good).kind, Kind::Number, "{good}");
        assert_eq!(ok(&alloc::format!("[{good}]")).kind, Kind::Array, "{good}");
    }
    for (bad, expected) in [
        ("01", (InvalidNumber, 1)),
        ("-01", (InvalidNumber, 2)),
        ("00", (InvalidNumber, 1)),
        ("+1", (UnexpectedChar, 0)),
        (".5", (UnexpectedChar, 0)),
        ("1.", (UnexpectedEnd, 2)),
        ("1.e1", (InvalidNumber, 2)),
        ("1e", (UnexpectedEnd, 2)),
        ("1e+", (UnexpectedEnd, 3)),
        ("[1e]", (InvalidNumber, 3)),
        ("[1.]", (InvalidNumber, 3)),
        ("-", (UnexpectedEnd, 1)),
        ("- 1", (InvalidNumber, 1)),
        ("-a", (InvalidNumber, 1)),
        ("NaN", (UnexpectedChar, 0)),
        ("Infinity", (UnexpectedChar, 0)),
        ("-Infinity", (InvalidNumber, 1)),
        ("0x10", (TrailingCharacters, 1)),
        ("1.5.3", (TrailingCharacters, 3)),
    ] {
        assert_eq!(err(bad), expected, "{bad}");
    }
}

#[test]
fn only_four_whitespace_characters() {
    assert_eq!(ok(" \t\n\r1 \t\n\r").kind, Kind::Number);
    assert_eq!(err("\u{c}1"), (UnexpectedChar, 0));
    assert_eq!(err("\u{b}1"), (UnexpectedChar, 0));
    assert_eq!(err("\u{a0}1"), (UnexpectedChar, 0));
    assert_eq!(err("[1,\u{feff}2]"), (UnexpectedChar, 3));
    assert_eq!(err("1\u{2028}"), (TrailingCharacters, 1));
}

#[test]
fn strings_and_escapes() {
    assert_eq!(
        ok(r#""\"\\\/\b\f\n\r\t\u0000\u00e9\uFFFF""#).kind,
        Kind::String
    );
    assert_eq!(ok(r#""\ud83d\ude00""#).kind, Kind::String);
    assert_eq!(ok("\"é😀\u{7f}\u{2028}\"").kind, Kind::String);
    // Lone surrogates: JSON.parse takes them, a Rust String cannot hold them.
    assert_eq!(err(r#""\ud800""#), (InvalidEscape, 1));
    assert_eq!(err(r#""a\udc00""#), (InvalidEscape, 2));
    assert_eq!(err(r#""\ud800\u0041""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\ud800\n""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\ud800x""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\udbff\udbff""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\ud800"#), (UnexpectedEnd, 7));
    assert_eq!(err(r#""\u12"#), (UnexpectedEnd, 5));
    assert_eq!(err(r#""\u12""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\"#), (UnexpectedEnd, 2));
    assert_eq!(err(r#""\U0041""#), (InvalidEscape, 1));
    assert_eq!(err(r#""\'""#), (InvalidEscape, 1));
    // Long strings go through the 8-byte fast path; specials must still be seen in any lane.
    for lane in 0..16 {
        let mut s = String::from("\"");
        s.push_str(&"x".repeat(lane));
        s.push('\u{1f}');
        s.push_str("xxxxxxxxxxxxxxxx\"");
        assert_eq!(err(&s), (ControlCharacter, lane + 1));
    }
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    let mut s = open.repeat(depth);
    s.push_str(&close.repeat(depth));
    s
}

#[test]
fn depth_limit() {
    assert!(scan(&nested("[", "]", 32), 32).is_ok());
    assert_eq!(
        scan(&nested("[", "]", 33), 32).unwrap_err(),
        error(32, TooDeep)
    );
    let objects = nested(r#"{"a":"#, "}", 32).replace(r#"{"a":}"#, "{}");
    assert!(scan(&objects, 32).is_ok());
    assert_eq!(
        scan(&alloc::format!("[{objects}]"), 32).unwrap_err(),
        error(1 + 5 * 31, TooDeep)
    );
    assert_eq!(scan("1", 0).map(|s| s.kind), Ok(Kind::Number));
    assert_eq!(scan("[]", 0).unwrap_err(), error(0, TooDeep));
    assert!(scan("[[],[],[[]]]", 2).is_err());
    assert!(scan("[[],[],[]]", 2).is_ok());
    // Beyond the inline frames, with placeholders tracked at every level.
    let deep = nested("[", "]", 100).replace("[]", r#"[{"_placeholder":true,"num":7}]"#);
    assert_eq!(scan(&deep, 101).map(|s| s.max_placeholder_num), Ok(Some(7)));
    assert_eq!(scan(&deep, 100).unwrap_err(), error(100, TooDeep));
    assert!(scan(&nested("[", "]", 1000), 1000).is_ok());
}

#[test]
fn a_megabyte_of_brackets_is_refused_at_once() {
    let hostile = "[".repeat(1 << 20);
    assert_eq!(
        scan(&hostile, DEFAULT_MAX_DEPTH).unwrap_err(),
        error(32, TooDeep)
    );
    let hostile = "{\"a\":".repeat(1 << 18);
    assert_eq!(
        scan(&hostile, DEFAULT_MAX_DEPTH).unwrap_err(),
        error(160, TooDeep)
    );
    // Even with no practical limit there is no recursion to overflow.
    let hostile = "[".repeat(1 << 20);
    assert_eq!(
        scan(&hostile, usize::MAX).unwrap_err(),
        error(1 << 20, UnexpectedEnd)
    );
    assert_eq!(array_items(&hostile).count(), 0);
}

#[test]
fn placeholders_are_counted() {
    assert_eq!(
        placeholders(r#"["x",{"_placeholder":true,"num":0}]"#),
        (1, Some(0))
    );
    assert_eq!(
        placeholders(
            r#"["x",{"num":1,"_placeholder":true},{ "_placeholder" : true , "num" : 0 }]"#
        ),
        (2, Some(1))
    );
    assert_eq!(
        placeholders(r#"{"a":[{"b":{"_placeholder":true,"num":3}}]}"#),
        (1, Some(3))
    );
    assert_eq!(
        placeholders(r#"{"_placeholder":true,"num":0}"#),
        (1, Some(0))
    );
    assert_eq!(placeholders(r#"["x",{"a":1}]"#), (0, None));
    assert_eq!(placeholders(r#"["_placeholder",true,"num",0]"#), (0, None));
    // Keys are compared unescaped, as JSON.parse reads them.
    assert_eq!(
        placeholders(r#"[{"\u005fplaceholder":true,"n\u0075m":4}]"#),
        (1, Some(4))
    );
}

#[test]
fn not_placeholders() {
    for text in [
        r#"[{"_placeholder":true,"num":0,"x":1}]"#,
        r#"[{"x":1,"_placeholder":true,"num":0}]"#,
        r#"[{"_placeholder":false,"num":0}]"#,
        r#"[{"_placeholder":1,"num":0}]"#,
        r#"[{"_placeholder":"true","num":0}]"#,
        r#"[{"_placeholder":null,"num":0}]"#,
        r#"[{"num":0}]"#,
        r#"[{}]"#,
        r#"[{"_Placeholder":true,"num":0}]"#,
        r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#,
        r#"[{"_placeholder":{},"num":0}]"#,
    ] {
        assert_eq!(placeholders(text), (0, None), "{text}");
    }
}

#[test]
fn placeholders_without_a_valid_num_are_refused_by_the_count() {
    for text in [
        r#"[{"_placeholder":true}]"#,
        r#"[{"_placeholder":true,"num":"0"}]"#,
        r#"[{"_placeholder":true,"num":-1}]"#,
        r#"[{"_placeholder":true,"num":1.0}]"#,
        r#"[{"_placeholder":true,"num":1e0}]"#,
        r#"[{"_placeholder":true,"num":-0}]"#,
        r#"[{"_placeholder":true,"num":null}]"#,
        r#"[{"_placeholder":true,"num":[0]}]"#,
        r#"[{"_placeholder":true,"num":18446744073709551616}]"#,
        r#"[{"_placeholder":true,"num":0,"num":"x"}]"#,
    ] {
        assert_eq!(placeholders(text), (1, Some(u64::MAX)), "{text}");
    }
    // A placeholder in a placeholder's `num` is counted too; the outer one is invalid anyway.
    assert_eq!(
        placeholders(r#"[{"_placeholder":true,"num":{"_placeholder":true,"num":0}}]"#),
        (2, Some(u64::MAX))
    );
}

#[test]
fn repeated_keys_count_by_their_last_occurrence() {
    assert_eq!(
        placeholders(r#"[{"_placeholder":false,"_placeholder":true,"num":0}]"#),
        (1, Some(0))
    );
    assert_eq!(
        placeholders(r#"[{"_placeholder":[],"_placeholder":true,"num":5}]"#),
        (1, Some(5))
    );
    assert_eq!(
        placeholders(r#"[{"num":"x","num":2,"_placeholder":true}]"#),
        (1, Some(2))
    );
    assert_eq!(
        placeholders(r#"[{"num":[{"a":1}],"num":2,"_placeholder":true}]"#),
        (1, Some(2))
    );
    // An inner placeholder under `_placeholder` leaves the outer object ordinary.
    assert_eq!(
        placeholders(r#"[{"_placeholder":{"_placeholder":true,"num":1},"num":0}]"#),
        (1, Some(1))
    );
}

#[test]
fn placeholder_num_agrees_with_scan() {
    assert_eq!(placeholder_num(r#"{"_placeholder":true,"num":3}"#), Some(3));
    assert_eq!(
        placeholder_num(r#" { "num" : 3 , "_placeholder" : true } "#),
        Some(3)
    );
    assert_eq!(placeholder_num(r#"{"_placeholder":true}"#), Some(u64::MAX));
    assert_eq!(
        placeholder_num(r#"{"_placeholder":true,"num":"3"}"#),
        Some(u64::MAX)
    );
    assert_eq!(
        placeholder_num(r#"{"_placeholder":true,"num":3,"x":0}"#),
        None
    );
    assert_eq!(placeholder_num(r#"{"_placeholder":false,"num":3}"#), None);
    assert_eq!(
        placeholder_num(r#"{"\u005fplaceholder":true,"num":3}"#),
        Some(3)
    );
    assert_eq!(
        placeholder_num(r#"{"_placeholder":false,"_placeholder":true,"num":1}"#),
        Some(1)
    );
    assert_eq!(placeholder_num("[]"), None);
    assert_eq!(placeholder_num("3"), None);
}
