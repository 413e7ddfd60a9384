//! Tokens: trim, strings both ways, integers.

use super::*;

#[test]
fn trim_drops_json_whitespace_only() {
    assert_eq!(trim(" \t\r\n[1] \n"), "[1]");
    assert_eq!(trim("\u{a0}1\u{a0}"), "\u{a0}1\u{a0}");
    assert_eq!(trim("   "), "");
    assert_eq!(trim(""), "");
    assert_eq!(trim("x"), "x");
}

#[test]
fn parse_string_unescapes() {
    assert!(matches!(parse_string(r#""abc""#), Ok(Cow::Borrowed("abc"))));
    assert!(matches!(parse_string(r#""""#), Ok(Cow::Borrowed(""))));
    assert!(matches!(parse_string("\"é😀\""), Ok(Cow::Borrowed("é😀"))));
    assert_eq!(parse_string(r#""a\nb""#).unwrap(), "a\nb");
    assert!(matches!(parse_string(r#""a\nb""#), Ok(Cow::Owned(_))));
    assert_eq!(parse_string(r#""\/\"\\""#).unwrap(), "/\"\\");
    assert_eq!(parse_string(r#""\u00e9\u00E9""#).unwrap(), "éé");
    assert_eq!(parse_string(r#""\uD83D\uDE00!""#).unwrap(), "😀!");
    assert_eq!(parse_string(r#""x\u0000y""#).unwrap(), "x\0y");
    assert_eq!(parse_string("").unwrap_err(), error(0, UnexpectedEnd));
    assert_eq!(parse_string("abc").unwrap_err(), error(0, UnexpectedChar));
    assert_eq!(
        parse_string(r#""abc"#).unwrap_err(),
        error(4, UnexpectedEnd)
    );
    assert_eq!(
        parse_string(r#""a"b""#).unwrap_err(),
        error(3, TrailingCharacters)
    );
    assert_eq!(
        parse_string(r#""a" "#).unwrap_err(),
        error(3, TrailingCharacters)
    );
    assert_eq!(
        parse_string(r#""\ud800""#).unwrap_err(),
        error(1, InvalidEscape)
    );
    assert_eq!(
        parse_string("\"\n\"").unwrap_err(),
        error(1, ControlCharacter)
    );
}

#[test]
fn parse_u64_takes_plain_integers_only() {
    assert_eq!(parse_u64("0"), Some(0));
    assert_eq!(parse_u64("25000"), Some(25000));
    assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
    for bad in [
        "18446744073709551616",
        "2.5e4",
        "1.0",
        "-1",
        "-0",
        "01",
        "",
        " 1",
        "1 ",
        "+1",
        "1a",
        "a",
    ] {
        assert_eq!(parse_u64(bad), None, "{bad}");
    }
}
#[test]
fn write_string_escapes_like_json_stringify() {
    assert_eq!(written(""), r#""""#);
    assert_eq!(written("hello"), r#""hello""#);
    assert_eq!(written("a\"b\\c"), r#""a\"b\\c""#);
    assert_eq!(written("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
    assert_eq!(
        written("\0\u{1}\u{1b}\u{1f}"),
        r#""\u0000\u0001\u001b\u001f""#
    );
    // Not escaped by JSON.stringify: `/`, DEL, non-ASCII, U+2028.
    assert_eq!(written("/\u{7f}é😀\u{2028}"), "\"/\u{7f}é😀\u{2028}\"");
    let long = "0123456789abcdef\"0123456789abcdef\n".repeat(3);
    assert_eq!(parse_string(&written(&long)).unwrap(), long);
    let mut out = String::from("x");
    write_string(&mut out, "y");
    assert_eq!(out, r#"x"y""#);
}

#[test]
fn surrogate_pairs_round_trip() {
    let s = "😀 \u{10ffff} \u{10000}";
    assert_eq!(written(s), "\"😀 \u{10ffff} \u{10000}\"");
    assert_eq!(
        parse_string(r#""\ud83d\ude00 \udbff\udfff \ud800\udc00""#).unwrap(),
        s
    );
}
