//! The emitter's messages against the bytes `@socket.io/redis-emitter` publishes.

use super::*;
use crate::msgpack::tests::hex;

// The expected channels and payloads were printed once by @socket.io/redis-emitter 5.1.0,
// publishing to a stand-in client, in the repository root:
//   node -e 'const { Emitter } = require("@socket.io/redis-emitter");
//     const e = new Emitter({ publish: (ch, m) => console.log(ch,
//       Buffer.isBuffer(m) ? m.toString("hex") : m) });
//     e.to("r1").emit("news", { a: 1 }, [true]);
//     e.of("/admin").except("r2").volatile.emit("x");
//     e.in("r1").socketsJoin("r3"); e.disconnectSockets(true);
//     e.serverSideEmit("hello", 1);'
#[tokio::test]
async fn messages_are_the_node_emitter_s() {
    // Nothing listens on port 1: the connection task only retries in the background.
    let e = Emitter::new("redis://127.0.0.1:1").unwrap();
    let data = serde_json::json!({"a": 1});
    assert_eq!(
        e.to("r1").emit_message("news", &(data, [true])).unwrap(),
        (
            "socket.io#/#r1#".to_owned(),
            hex(
                "93a7656d697474657283a47479706502a46461746193a46e65777381a1610191c3a36e7370\
                 a12f83a5726f6f6d7391a27231a5666c61677380a665786365707490"
            )
        )
    );
    assert_eq!(
        e.of("admin")
            .except("r2")
            .volatile()
            .emit_message("x", &())
            .unwrap(),
        (
            "socket.io#/admin#".to_owned(),
            hex(
                "93a7656d697474657283a47479706502a46461746191a178a36e7370a62f61646d696e83a5\
                 726f6f6d7390a5666c61677381a8766f6c6174696c65c3a665786365707491a27232"
            )
        )
    );
    let rooms = vec!["r3".to_owned()];
    assert_eq!(
        e.in_("r1")
            .command_message(2, ("rooms", wire::strings(&rooms))),
        (
            "socket.io-request#/#".to_owned(),
            br#"{"type":2,"opts":{"rooms":["r1"],"except":[]},"rooms":["r3"]}"#.to_vec()
        )
    );
    assert_eq!(
        e.op().command_message(4, ("close", Value::Bool(true))),
        (
            "socket.io-request#/#".to_owned(),
            br#"{"type":4,"opts":{"rooms":[],"except":[]},"close":true}"#.to_vec()
        )
    );
    assert_eq!(
        e.server_side_message("hello", &1).unwrap(),
        (
            "socket.io-request#/#".to_owned(),
            br#"{"uid":"emitter","type":6,"data":["hello",1]}"#.to_vec()
        )
    );
    assert!(matches!(
        e.emit("disconnect", &()),
        Err(EmitError::ReservedEventName(_))
    ));
}

/// The data of the broadcast packet an emit publishes.
fn sent_data(message: &(String, Vec<u8>)) -> Value {
    let msg = msgpack::decode(&message.1).unwrap();
    let packet = msg.as_array().and_then(|m| m.get(1)).cloned().unwrap();
    packet.get("data").cloned().unwrap()
}

#[tokio::test]
async fn data_takes_the_server_s_shapes() {
    let e = Emitter::new("redis://127.0.0.1:1").unwrap();
    // The README's: a tuple is two arguments.
    let sent = e.to("room1").emit_message("news", &("hello", 1)).unwrap();
    assert_eq!(
        sent_data(&sent),
        Value::from(serde_json::json!(["news", "hello", 1]))
    );
    // `()` none, `null` one.
    let sent = e.op().emit_message("x", &()).unwrap();
    assert_eq!(sent_data(&sent), Value::from(serde_json::json!(["x"])));
    let sent = e.op().emit_message("x", &Value::Null).unwrap();
    assert_eq!(
        sent_data(&sent),
        Value::from(serde_json::json!(["x", null]))
    );
    // Ready-made arguments as they are, their attachments as MessagePack `bin`.
    let args = Args::from_json(r#"[{"_placeholder":true,"num":0},2]"#, vec![vec![9, 8]]).unwrap();
    let sent = e.op().emit_message("file", &args).unwrap();
    assert_eq!(
        sent_data(&sent),
        Value::Array(vec![
            Value::from("file"),
            Value::Binary(vec![9, 8].into()),
            Value::from(2),
        ])
    );
}
