//! The payload rule's cases: Rust values to arguments and back, binary, the recovery offset.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn core(text: &str, attachments: Vec<Vec<u8>>) -> CoreArgs {
    CoreArgs::from_json(text, attachments).unwrap()
}

#[test]
fn values_map_to_arguments_by_the_rule() {
    let args = |p: Payload| p.into_args(Some("ev")).unwrap().text().to_owned();
    assert_eq!(args((&()).into_payload().unwrap()), r#"["ev"]"#);
    assert_eq!(args((&(1, "a")).into_payload().unwrap()), r#"["ev",1,"a"]"#);
    assert_eq!(
        args((&vec![1, 2]).into_payload().unwrap()),
        r#"["ev",[1,2]]"#
    );
    // serde writes a fixed-size array as a tuple.
    assert_eq!(args((&[1, 2]).into_payload().unwrap()), r#"["ev",1,2]"#);
    assert_eq!(args(Payload::new()), r#"["ev"]"#);
    let built = Payload::new()
        .arg(&(1, 2))
        .unwrap()
        .binary(vec![7])
        .arg(&Binary(vec![8]))
        .unwrap()
        .arg(&())
        .unwrap();
    let out = built.into_args(Some("ev")).unwrap();
    assert_eq!(
        out.text(),
        r#"["ev",[1,2],{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},null]"#
    );
    assert_eq!(out.attachments(), [vec![7], vec![8]]);
    assert_eq!(out.placeholders().len(), 2);
    // The builder and a tuple make the same arguments.
    let event = |p: Payload| p.into_args(Some("ev")).unwrap();
    assert_eq!(
        event(
            Payload::new()
                .arg("l")
                .unwrap()
                .binary(vec![1])
                .arg(&2)
                .unwrap()
        ),
        event((&("l", Binary(vec![1]), 2)).into_payload().unwrap())
    );
}

#[test]
fn the_name_and_the_offset_are_split_off() {
    let (name, args) = split_event(core(r#"["ev",1,"0-1"]"#, vec![]), true).unwrap();
    assert_eq!((name.as_str(), args.text()), ("ev", "[1]"));
    let (_, args) = split_event(core(r#"["ev",1,"0-1"]"#, vec![]), false).unwrap();
    assert_eq!(args.text(), r#"[1,"0-1"]"#);
    let (_, args) = split_event(core(r#"["ev","0-1"]"#, vec![]), true).unwrap();
    assert_eq!(args.text(), "[]");
    let (name, args) = split_event(core(r#"[ 7 ]"#, vec![]), true).unwrap();
    assert_eq!((name.as_str(), args.text()), ("7", "[]"));
    let binary = r#"["ev",{"_placeholder":true,"num":0},"0-1"]"#;
    let (_, args) = split_event(core(binary, vec![vec![1]]), true).unwrap();
    assert_eq!(args.binary(0), Some(&[1u8][..]));
}

#[test]
fn binary_follows_the_placeholders_the_core_found() {
    let text = r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0,"x":1}]"#;
    let args = Args(core(text, vec![vec![5]]));
    assert_eq!(args.binary(0), Some(&[5u8][..]));
    assert_eq!(args.binary(1), None, "an object with another key is data");
    assert_eq!(args.binary(2), None);
    // Without attachments a placeholder-like object is data.
    let plain = Args(core(r#"[{"_placeholder":true,"num":0}]"#, vec![]));
    assert_eq!(plain.binary(0), None);
    assert_eq!(
        plain.data::<Value>().unwrap(),
        serde_json::json!({"_placeholder": true, "num": 0})
    );
    assert!(plain.data::<Binary>().is_err());
}

#[test]
fn reading_takes_the_arguments_by_the_rule() {
    let args = Args(core(
        r#"[1,"a",{"_placeholder":true,"num":0}]"#,
        vec![vec![9]],
    ));
    assert_eq!(args.data::<u8>().unwrap(), 1);
    assert_eq!(args.data::<(u8, String)>().unwrap(), (1, "a".to_owned()));
    assert_eq!(
        args.data::<(u8, &str, Binary, Option<u8>)>().unwrap(),
        (1, "a", Binary(vec![9]), None)
    );
    args.data::<()>().unwrap();
    assert_eq!(args.get::<Binary>(2).unwrap(), Binary(vec![9]));
    assert!(matches!(args.get::<u8>(3), Err(Error::MissingArgument(3))));
    assert_eq!(args.all::<(u8, String, Binary)>().unwrap().0, 1);
    assert_eq!(args.len(), 3);
    let values: Vec<Value> = Args(core("[1,[2]]", vec![])).all().unwrap();
    assert_eq!(values, [serde_json::json!(1), serde_json::json!([2])]);
    assert_eq!(args.values()[1], serde_json::json!("a"));
    let none = Args(CoreArgs::new());
    assert_eq!(none.data::<Option<u8>>().unwrap(), None);
    assert!(none.all::<Vec<u8>>().unwrap().is_empty());
}
