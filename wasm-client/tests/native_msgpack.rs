//! The native client (feature `native`) with the MessagePack parser, against sockeye-server
//! (`parser` MessagePack, in this process) and the official `socket.io` 4.8 server with
//! `socket.io-msgpack-parser` (a Node.js process), over long-polling, WebSocket and the upgrade:
//! events and acknowledgements both ways, binary nested in the arguments (MessagePack `bin`), and
//! that the wire is MessagePack: a JSON client cannot talk to these servers, nor this client to
//! JSON ones.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

// Shared with tests/native.rs, which uses more of it (TLS).
#[allow(dead_code, reason = "the TLS helpers serve tests/native.rs")]
#[macro_use]
#[path = "native/servers.rs"]
mod servers;
#[path = "native/waits.rs"]
mod waits;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use servers::Servers;
use sockeye_client::{
    Binary, Manager, ManagerEvent, Options, Parser, Payload, SocketEvent, Transport,
};
use waits::{PATIENCE, ack, connected, event_named};

fn options(transport: Transport, parser: Parser) -> Options {
    Options::default()
        .auto_connect(false)
        .reconnection(false)
        .transports(vec![transport])
        .parser(parser)
}

/// Binary at several depths of one argument.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Blob {
    name: String,
    bytes: Binary,
    list: Vec<Binary>,
    inner: Inner,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    bytes: Binary,
    number: f64,
}

fn blob() -> Blob {
    Blob {
        name: "blob".to_owned(),
        bytes: Binary(vec![0, 1, 2, 255]),
        list: vec![Binary(vec![]), Binary(vec![7; 300])],
        inner: Inner {
            bytes: Binary((0..=255).collect()),
            number: 1.5,
        },
    }
}

/// Namespaces, events and acks both ways, binary nested both ways, on one transport (with
/// `upgrade`, from long-polling to WebSocket first).
async fn scenario(url: &str, transport: Transport, upgrade: bool) {
    let mut options = options(transport, Parser::MessagePack);
    if upgrade {
        options = options.transports(vec![Transport::Polling, Transport::WebSocket]);
    }
    let manager = Manager::new(url, options).unwrap();
    let mut engine = manager.events();
    let root = manager.socket("/").unwrap();
    let a = manager.socket("/a").unwrap();
    let (mut root_events, mut a_events) = (root.events(), a.events());
    root.open();
    a.open();
    connected(&mut root_events).await;
    connected(&mut a_events).await;
    if upgrade && manager.transport() != Some(Transport::WebSocket) {
        let upgraded = async {
            loop {
                match engine.next().await.expect("the connection is gone") {
                    ManagerEvent::Upgrade(t) => return t,
                    ManagerEvent::UpgradeError(e) => panic!("upgrade error: {e:?}"),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(PATIENCE, upgraded)
            .await
            .expect("no upgrade");
    }
    assert_eq!(manager.transport(), Some(transport));

    // Acks from the server, per namespace, on the transport asked for.
    let who: Value = ack(&a, "whoami", &()).await;
    let name = match transport {
        Transport::Polling => "polling",
        _ => "websocket",
    };
    assert_eq!(
        (&who["nsp"], &who["transport"]),
        (&json!("/a"), &json!(name))
    );

    // Binary nested in an argument and as an argument of its own goes to the server as `bin`
    // and comes back in its ack as bytes.
    let payload = Payload::new()
        .arg(&blob())
        .unwrap()
        .binary(vec![9, 8, 7])
        .arg(&json!({ "text": "é ✓", "n": -3, "big": 1u64 << 40, "none": null }))
        .unwrap();
    let (back, top, json): (Blob, Binary, Value) = ack(&root, "echo", payload).await;
    assert_eq!(back, blob());
    assert_eq!(top, Binary(vec![9, 8, 7]));
    assert_eq!(
        json,
        json!({ "text": "é ✓", "n": -3, "big": 1u64 << 40, "none": null })
    );

    // An event to the server, and one from it (the echo without an ack), with binary.
    a.emit("echo", &blob()).unwrap();
    let args = event_named(&mut a_events, "echo").await;
    assert_eq!(args.data::<Blob>().unwrap(), blob());

    // An ack to the server: it asks, a handler answers.
    let handler = root.on_event("question", |e| {
        let question: String = e.data().unwrap();
        e.ack(&format!("re: {question}")).unwrap();
    });
    let answer: Value = ack(&root, "ask", &"why?").await;
    assert_eq!(answer, json!({ "answer": "re: why?" }));
    drop(handler);

    // Binary made by the server, nested and top-level.
    let sent: String = ack(&root, "binary", &()).await;
    assert_eq!(sent, "sent");
    let args = event_named(&mut root_events, "binary").await;
    #[derive(Deserialize)]
    struct Nested {
        bytes: Binary,
    }
    let (nested, top): (Nested, Binary) = args.data().unwrap();
    assert_eq!((nested.bytes.0, top.0), (vec![1, 2, 3], vec![5, 6]));

    root.disconnect();
    manager.close();
}

/// A client whose parser is not the server's: the engine opens (Engine.IO does not depend on
/// the parser), but the server cannot read its CONNECT and closes the connection, so the socket
/// never connects.
async fn mismatch(url: &str, transport: Transport, parser: Parser) {
    let manager = Manager::new(url, options(transport, parser)).unwrap();
    let mut engine = manager.events();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    socket.open();
    let closed = async {
        loop {
            match engine.next().await.expect("the connection is gone") {
                ManagerEvent::Close { reason, .. } => return reason,
                ManagerEvent::Error(e) => panic!("the engine did not open: {e:?}"),
                _ => {}
            }
        }
    };
    let reason = tokio::time::timeout(PATIENCE, closed)
        .await
        .unwrap_or_else(|_| {
            panic!("{parser:?} over {transport:?}: the server kept the connection")
        });
    assert!(!socket.connected(), "{parser:?} over {transport:?}");
    // Nothing the socket heard was a CONNECT.
    while let Ok(Some(event)) = tokio::time::timeout(Duration::ZERO, events.next()).await {
        assert!(
            !matches!(event, SocketEvent::Connect),
            "connected with {reason:?}"
        );
    }
    manager.close();
}

async fn sockeye() -> Servers {
    servers::sockeye_with_parser(None, Parser::MessagePack).await
}

async fn node() -> Servers {
    servers::node_with_parser(None, Parser::MessagePack).await
}

against_both! {
    sockeye, node;
    polling: |s| scenario(&s.url, Transport::Polling, false);
    websocket: |s| scenario(&s.url, Transport::WebSocket, false);
    upgrade: |s| scenario(&s.url, Transport::WebSocket, true);
    json_client_is_refused_over_polling: |s| mismatch(&s.url, Transport::Polling, Parser::Json);
    json_client_is_refused_over_websocket: |s| mismatch(&s.url, Transport::WebSocket, Parser::Json);
}

/// The other way round: this client's MessagePack is no JSON server's wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_sockeye_server_refuses_messagepack() {
    let s = servers::sockeye(None).await;
    mismatch(&s.url, Transport::Polling, Parser::MessagePack).await;
    mismatch(&s.url, Transport::WebSocket, Parser::MessagePack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_node_reference_refuses_messagepack() {
    let s = servers::node(None).await;
    mismatch(&s.url, Transport::Polling, Parser::MessagePack).await;
    mismatch(&s.url, Transport::WebSocket, Parser::MessagePack).await;
}

#[test]
fn the_default_parser_is_json() {
    assert_eq!(Options::default().parser, Parser::Json);
}
