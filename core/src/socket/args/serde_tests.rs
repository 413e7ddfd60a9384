//! The `serde` feature's reader and writer: the arguments' shape rules, placeholders, and both
//! checked against serde_json on the values they share.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::de::{from_arg, from_args, from_event_args, from_json};
use super::ser::{ToArgs, to_args, to_event_args, to_json};
use super::{Args, Binary};

fn args(text: &str) -> Args {
    Args::from_json(text, vec![]).unwrap()
}

#[test]
fn a_tuple_is_several_arguments_unit_none_anything_else_one() {
    let a = args(r#"["x", 1, [2, 3]]"#);
    let (s, n, v): (String, u8, Vec<u8>) = from_args(&a).unwrap();
    assert_eq!((s.as_str(), n, v), ("x", 1, vec![2, 3]));
    let first: String = from_args(&a).unwrap();
    assert_eq!(first, "x");
    from_args::<()>(&a).unwrap();
    // Missing trailing arguments are null; extra ones are ignored.
    let (s, missing): (String, Option<u8>) = from_args(&args(r#"["x"]"#)).unwrap();
    assert_eq!((s.as_str(), missing), ("x", None));
    let (only,): (String,) = from_args(&a).unwrap();
    assert_eq!(only, "x");
    // No argument at all: null for one value.
    assert_eq!(from_args::<Option<u8>>(&args("[]")).unwrap(), None);
    assert!(from_args::<u8>(&args("[]")).is_err());
    // A newtype is transparent.
    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Name(String);
    assert_eq!(from_args::<Name>(&a).unwrap(), Name("x".into()));
    assert_eq!(to_args(&Name("x".into())).unwrap().text(), r#"["x"]"#);
}

#[test]
fn an_event_s_arguments_follow_its_name() {
    let a = args(r#"["chat", "hi", 2]"#);
    let (text, n): (String, u32) = from_event_args(&a).unwrap();
    assert_eq!((text.as_str(), n), ("hi", 2));
    let one: String = from_event_args(&a).unwrap();
    assert_eq!(one, "hi");
    assert_eq!(
        from_event_args::<Option<u8>>(&args(r#"["ping"]"#)).unwrap(),
        None
    );
    assert_eq!(from_arg::<u32>(&a, 2).unwrap(), 2);
    assert_eq!(from_arg::<Option<u32>>(&a, 3).unwrap(), None);
}

#[test]
fn strings_borrow_unless_escaped() {
    let a = args(r#"["plain", "tab\there \u00e9 \ud83d\ude00"]"#);
    let (plain, escaped): (&str, Cow<'_, str>) = from_args(&a).unwrap();
    assert_eq!(plain, "plain");
    assert_eq!(escaped, "tab\there é 😀");
    assert!(
        from_args::<(&str, &str)>(&a).is_err(),
        "an escaped string cannot borrow"
    );
}

#[test]
fn numbers_as_serde_json_reads_them() {
    let a = args(
        r#"[0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775808, 1.5, -2e3, 1E-2]"#,
    );
    let v: (u64, i64, u64, f64, i64, f64, f64, f64) = from_args(&a).unwrap();
    assert_eq!(
        v,
        (
            0,
            0,
            u64::MAX,
            18446744073709551616.0,
            i64::MIN,
            1.5,
            -2000.0,
            0.01
        )
    );
    assert!(from_args::<u8>(&args("[256]")).is_err());
}

#[test]
fn placeholders_become_their_attachments_anywhere() {
    let a = Args::from_json(
        r#"["up", {"name": "a.bin", "data": {"_placeholder":true,"num":1}}, [{"num":0,"_placeholder":true}]]"#,
        vec![vec![1, 2], vec![3]],
    )
    .unwrap();
    #[derive(Deserialize)]
    struct File<'a> {
        name: &'a str,
        #[serde(borrow)]
        data: &'a [u8],
    }
    let (file, list): (File<'_>, Vec<Binary>) = from_event_args(&a).unwrap();
    assert_eq!((file.name, file.data), ("a.bin", &[3][..]));
    assert_eq!(list, vec![Binary(vec![1, 2])]);
}

#[test]
fn a_placeholder_in_a_plain_event_is_data() {
    let a = args(r#"["ev", {"_placeholder":true,"num":0}]"#);
    let object: BTreeMap<String, serde_json::Value> = from_event_args(&a).unwrap();
    assert_eq!(object["num"], 0);
    assert!(from_event_args::<Binary>(&a).is_err());
}

#[test]
fn an_outer_placeholder_wins_over_one_nested_in_it() {
    // Only a repeated `_placeholder` key can nest one placeholder in another.
    let a = Args::from_json(
        r#"[{"_placeholder":{"_placeholder":true,"num":1},"_placeholder":true,"num":0}, {"_placeholder":true,"num":1}]"#,
        vec![vec![0], vec![1]],
    )
    .unwrap();
    assert_eq!(a.placeholders().len(), 2);
    let (outer, second): (Binary, Binary) = from_args(&a).unwrap();
    assert_eq!((outer, second), (Binary(vec![0]), Binary(vec![1])));
}

#[test]
fn enums_maps_and_options_round_trip() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum E {
        A,
        B(u8),
        C { x: bool },
        D(u8, String),
    }
    for e in [E::A, E::B(1), E::C { x: true }, E::D(2, "d".into())] {
        let a = to_args(&e).unwrap();
        assert_eq!(from_args::<E>(&a).unwrap(), e);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(a.text()).unwrap()[0],
            serde_json::to_value(&e).unwrap()
        );
    }
    let mut map = BTreeMap::new();
    map.insert(7u32, Some("x".to_string()));
    map.insert(9u32, None);
    let a = to_args(&map).unwrap();
    assert_eq!(a.text(), r#"[{"7":"x","9":null}]"#);
    assert_eq!(from_args::<BTreeMap<u32, Option<String>>>(&a).unwrap(), map);
}

#[test]
fn writing_follows_the_same_shape_rules() {
    assert_eq!(to_args(&()).unwrap().text(), "[]");
    // serde writes `serde_json::Value::Null` as a unit too: no argument. `None` is one `null`.
    assert_eq!(to_args(&serde_json::Value::Null).unwrap().text(), "[]");
    assert_eq!(to_args(&None::<u8>).unwrap().text(), "[null]");
    assert_eq!(to_args(&("a", 1)).unwrap().text(), r#"["a",1]"#);
    assert_eq!(to_args(&vec![1, 2]).unwrap().text(), "[[1,2]]");
    assert_eq!(
        to_args(&[1, 2]).unwrap().text(),
        "[1,2]",
        "a fixed array is a tuple to serde"
    );
    assert_eq!(to_event_args("n", &()).unwrap().text(), r#"["n"]"#);
    assert_eq!(
        to_event_args("n", &("a", 1)).unwrap().text(),
        r#"["n","a",1]"#
    );
    assert_eq!(to_event_args("n", &"a").unwrap().text(), r#"["n","a"]"#);
    assert_eq!(
        to_args(&(f64::NAN, f64::INFINITY, 1e21, 1.5e-7, 0.1, 1.0, -0.0))
            .unwrap()
            .text(),
        "[null,null,1e21,1.5e-7,0.1,1,-0]"
    );
    assert_eq!(to_json(&"x").unwrap(), r#""x""#);
    assert!(to_json(&Binary(vec![1])).is_err());
}

#[test]
fn bytes_become_attachments_and_come_back() {
    #[derive(Serialize)]
    struct File<'a> {
        name: &'a str,
        data: Binary,
    }
    let file = File {
        name: "a",
        data: Binary(vec![1, 2, 3]),
    };
    let a = to_event_args("up", &(&file, Binary(vec![9]))).unwrap();
    assert_eq!(
        a.text(),
        r#"["up",{"name":"a","data":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(a.attachments(), &[vec![1, 2, 3], vec![9]]);
    // The writer's placeholders are where the scan would put them.
    let scanned = Args::from_json(a.text(), a.attachments().to_vec()).unwrap();
    assert_eq!(scanned, a);
    let (data, last): (BTreeMap<String, serde::de::IgnoredAny>, Binary) =
        from_event_args(&a).unwrap();
    assert_eq!((data.len(), last), (2, Binary(vec![9])));
}

#[test]
fn ready_made_args_are_forwarded_as_they_are() {
    let received = Args::from_json(
        r#"["fwd", {"_placeholder":true,"num":0}, 2]"#,
        vec![vec![7]],
    )
    .unwrap()
    .without_first();
    let event = received.to_event_args("out").unwrap();
    assert_eq!(event.text(), r#"["out",{"_placeholder":true,"num":0}, 2]"#);
    assert_eq!(event, Args::from_json(event.text(), vec![vec![7]]).unwrap());
    assert_eq!(Args::new().to_event_args("e").unwrap().text(), r#"["e"]"#);
    assert_eq!(received.to_args().unwrap(), received);
    // Numbered in text order, one attachment each, as the reference sends them.
    let shuffled = Args::from_json(
        r#"[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        vec![vec![0], vec![1]],
    )
    .unwrap();
    let sent = shuffled.to_args().unwrap();
    assert_eq!(
        sent.text(),
        r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]"#
    );
    assert_eq!(sent.attachments(), &[vec![1], vec![0], vec![1]]);
    assert_eq!(
        sent,
        Args::from_json(sent.text(), sent.attachments().to_vec()).unwrap()
    );
}

#[test]
fn depth_is_recorded() {
    assert_eq!(to_args(&()).unwrap().depth(), 1);
    assert_eq!(to_args(&vec![vec![1]]).unwrap().depth(), 3);
    assert_eq!(to_args(&Binary(vec![])).unwrap().depth(), 2);
    let deep = to_args(&vec![vec![vec![0u8]]]).unwrap();
    assert_eq!(deep, Args::from_json(deep.text(), vec![]).unwrap());
}

#[test]
fn from_json_checks_first() {
    assert_eq!(from_json::<u8>(" 7 ").unwrap(), 7);
    assert!(from_json::<u8>("7 8").is_err());
    assert!(from_json::<serde_json::Value>("{").is_err());
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert!(from_json::<serde_json::Value>(&deep).is_err(), "too deep");
}

/// Any JSON value serde_json can hold (finite numbers, no binary).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(Into::into),
        any::<u64>().prop_map(Into::into),
        // Integral floats are written as integers, as JavaScript writes them; serde_json would
        // then read another `Number` variant (tested on their own above).
        any::<f64>()
            .prop_filter("finite, not integral", |f| f.is_finite()
                && f.fract() != 0.0)
            .prop_map(Into::into),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// The reader reads what serde_json reads, and the writer writes what serde_json reads back
    /// as the same value.
    #[test]
    fn agrees_with_serde_json(value in json_value()) {
        let text = serde_json::to_string(&vec![&value]).unwrap();
        let a = Args::from_json(text.as_str(), vec![]).unwrap();
        let read: serde_json::Value = from_args(&a).unwrap();
        prop_assert_eq!(&read, &value);
        // As a one-element tuple: a bare `Value::Null` is serde's unit, which is no argument.
        let written = to_args(&(&value,)).unwrap();
        let back: Vec<serde_json::Value> = serde_json::from_str(written.text()).unwrap();
        prop_assert_eq!(&back, &vec![value.clone()]);
        prop_assert_eq!(Args::from_json(written.text(), vec![]).unwrap(), written);
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        prop_assert_eq!(from_json::<serde_json::Value>(&pretty).unwrap(), value);
    }
}
