//! The messages' pieces against what the Node adapters write and read.

use std::collections::HashSet;

use sockeye_server::adapter::BroadcastOptions;
use sockeye_server::value::Map;
use sockeye_server::{Args, Value};

use super::socket::js_date;
use super::*;
use crate::limits::FetchFields;
use crate::msgpack::tests::hex;

/// A broadcast as the server hands it over (the client's text and its attachment) goes out
/// as the bytes notepack.io wrote for it, and comes back as the same arguments.
#[test]
fn a_broadcast_s_arguments_go_out_as_the_node_adapter_s_bytes() {
    let args = Args::from_json(
        r#"["news",{"a":1,"b":[true,null,1.5,-3,300,70000,1099511627776]},{"_placeholder":true,"num":0}]"#,
        vec![vec![1, 2, 255]],
    )
    .unwrap();
    let opts = BroadcastOptions {
        rooms: HashSet::from(["r1".to_owned()]),
        ..BroadcastOptions::default()
    };
    let msg = Value::Array(vec![
        Value::from("AbC123"),
        event_packet("/", &args).unwrap(),
        encode_opts(&opts, true),
    ]);
    // The same bytes as `msgpack::tests::a_broadcast_is_byte_for_byte_the_node_adapter_s`.
    let node = hex(
        "93a641624331323383a47479706502a46461746193a46e65777382a16101a16297c3c0cb3ff8000000\
         000000fdcd012cce00011170cf0000010000000000c4030102ffa36e7370a12f83a5726f6f6d7391a2\
         7231a665786365707490a5666c61677380",
    );
    assert_eq!(msgpack::encode(&msg), node);
    let back = msgpack::decode(&node).unwrap();
    let packet = decode_packet(back.as_array().and_then(|m| m.get(1))).unwrap();
    assert_eq!(packet.nsp.as_str(), "/");
    assert_eq!(packet.args, args);
}

#[test]
fn only_event_packets_are_read() {
    let packet = |json: serde_json::Value| decode_packet(Some(&Value::from(json)));
    let ok = packet(serde_json::json!({"type": 2, "data": ["ev", 1], "nsp": "/a"})).unwrap();
    assert_eq!((ok.nsp.as_str(), ok.args.text()), ("/a", r#"["ev",1]"#));
    // No `nsp`: the main namespace, as the Node adapter.
    let root = packet(serde_json::json!({"type": 5, "data": ["ev"]})).unwrap();
    assert_eq!(root.nsp.as_str(), "/");
    for refused in [
        serde_json::json!({"type": 3, "data": ["ev"]}),
        serde_json::json!({"type": 2, "data": []}),
        serde_json::json!({"type": 2, "data": "ev"}),
        serde_json::json!({"type": 2, "data": [{"not": "a name"}]}),
        serde_json::json!({"type": 2, "data": ["ev"], "nsp": "/a,b"}),
    ] {
        assert!(packet(refused.clone()).is_none(), "{refused}");
    }
}

/// A socket another node described comes back with its handshake, `auth` included, and
/// goes out again as it came.
#[test]
fn a_remote_socket_keeps_its_handshake() {
    let json = r#"{"id":"s1","handshake":{"headers":{"host":"a"},"time":"x","address":"::1","xdomain":false,"secure":true,"issued":1764023616000,"url":"/socket.io/?EIO=4","query":{"EIO":"4"},"auth":{"token":"t","n":[1,2]}},"rooms":["s1","r"],"data":{"k":1}}"#;
    let socket = decode_socket(&parse(json.as_bytes()).unwrap()).unwrap();
    let h = &socket.handshake;
    assert_eq!(socket.rooms, ["s1", "r"]);
    assert_eq!(
        (h.issued, h.secure, h.url.as_str()),
        (1_764_023_616_000, true, "/socket.io/?EIO=4")
    );
    assert_eq!(
        h.address.map(|a| a.ip().to_string()).as_deref(),
        Some("::1")
    );
    assert_eq!(
        h.auth_value(),
        Value::from(serde_json::json!({"token": "t", "n": [1, 2]}))
    );
    assert_eq!(h.query_param("EIO"), Some("4"));
    let again = encode_socket(&socket, &FetchFields::default());
    assert_eq!(
        again.get("handshake").and_then(|h| h.get("auth")),
        Some(&h.auth_value())
    );
    assert_eq!(
        again.get("data"),
        Some(&Value::from(serde_json::json!({"k": 1})))
    );
    // Without `auth`, the `{}` of a client that sent none.
    let bare = decode_socket(&parse(br#"{"id":"s2"}"#).unwrap()).unwrap();
    assert_eq!(bare.handshake.auth_value(), Value::Object(Map::new()));
}

/// The Node adapters forward an answer's first argument only, and none when it has none.
#[test]
fn answers_carry_their_first_argument() {
    assert_eq!(one_arg(None).unwrap().text(), "[]");
    assert_eq!(one_arg(Some(&Value::Null)).unwrap().text(), "[null]");
    let list = Value::Array(vec![Value::from(1), Value::Binary(vec![7].into())]);
    let one = one_arg(Some(&list)).unwrap();
    assert_eq!(one.text(), r#"[[1,{"_placeholder":true,"num":0}]]"#);
    assert_eq!(one.attachments(), &[vec![7]]);
    assert_eq!(first_arg(&one), Some(list));
    assert_eq!(first_arg(&Args::new()), None);
    let two = Args::from_json(r#"["a",2]"#, vec![]).unwrap();
    assert_eq!(first_arg(&two), Some(Value::from("a")));
}

#[test]
fn js_date_is_node_s_utc_to_string() {
    // new Date(1764023616000).toString() with TZ=UTC
    assert_eq!(
        js_date(1_764_023_616_000),
        "Mon Nov 24 2025 22:33:36 GMT+0000 (Coordinated Universal Time)"
    );
    assert_eq!(
        js_date(0),
        "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)"
    );
}

#[test]
fn uids_have_the_asked_length_and_alphabet() {
    let a = uid(6);
    assert_eq!(a.len(), 6);
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(hex_uid().len(), 16);
    assert_ne!(hex_uid(), hex_uid());
}
