//! decode(encode(p)) == p for packets whose JSON is written as the decoder writes it, and no input
//! makes the decoder panic.

use alloc::string::String;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::*;

/// A JSON value as text, in the decoder's own form, with the binaries its placeholders name.
#[derive(Clone, Debug)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Binary(Vec<u8>),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite and fractional", |f| f.is_finite()
                && f.fract() != 0.0)
            .prop_map(Value::Float),
        any::<String>().prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Binary),
    ];
    leaf.prop_recursive(5, 64, 20, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..20).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..20)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn write(v: &Value, out: &mut String, attachments: &mut Vec<Vec<u8>>) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Float(f) => super::super::read::push_js_number_for_tests(out, *f),
        Value::Str(s) => crate::json::write_string(out, s),
        Value::Binary(b) => {
            out.push_str(&format!(
                "{{\"_placeholder\":true,\"num\":{}}}",
                attachments.len()
            ));
            attachments.push(b.clone());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out, attachments);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                crate::json::write_string(out, k);
                out.push(':');
                write(item, out, attachments);
            }
            out.push('}');
        }
    }
}

proptest! {
    #[test]
    fn round_trip(
        items in proptest::collection::vec(value(), 0..6),
        name in "[a-z]{1,8}",
        id in proptest::option::of(any::<u64>()),
        ack in any::<bool>(),
        nsp in "(/|/[a-z]{1,10})",
    ) {
        let mut text = String::from("[");
        crate::json::write_string(&mut text, &name);
        let mut attachments = Vec::new();
        for item in &items {
            text.push(',');
            write(item, &mut text, &mut attachments);
        }
        text.push(']');
        prop_assume!(attachments.len() <= 10);
        let args = Args::from_json(text, attachments).unwrap();
        let nsp = Nsp::new(&nsp).unwrap();
        let packet = match (ack, id) {
            (true, Some(id)) => Packet::ack(nsp, args, AckId(id)),
            _ => Packet::event(nsp, args, id.map(AckId)),
        };
        let mut out = Vec::new();
        encode(&packet, &mut out);
        prop_assert_eq!(decode(&out, &Limits::default()), Ok(packet));
    }

    #[test]
    fn any_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let limits = Limits::default();
        if let Ok(packet) = decode(&bytes, &limits) {
            let mut out = Vec::new();
            encode(&packet, &mut out);
            prop_assert_eq!(decode(&out, &limits), Ok(packet));
        }
    }

    #[test]
    fn any_event_body_decodes_or_fails_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let limits = Limits::default();
        let mut message = hex("83a47479706502a36e7370a12fa46461746192a165");
        message.extend_from_slice(&bytes);
        if let Ok(packet) = decode(&message, &limits) {
            let mut out = Vec::new();
            encode(&packet, &mut out);
            prop_assert_eq!(decode(&out, &limits), Ok(packet));
        }
    }
}
