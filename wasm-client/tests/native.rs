//! The native client (feature `native`) against sockeye-server (in this process) and the official
//! `socket.io` 4.8 server (a Node.js process), over long-polling only, WebSocket only and the
//! upgrade: namespaces, acknowledgements both ways, binary both ways, reconnection after the
//! server drops the transport, connection state recovery, and TLS. Every wait is on an event,
//! with a timeout; none sleeps.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

#[macro_use]
#[path = "native/servers.rs"]
mod servers;
#[path = "native/waits.rs"]
mod waits;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use servers::{Servers, TestCa};
use sockeye_client::{
    Binary, Error, Manager, ManagerEvent, Options, Payload, SocketEvent, Transport,
};
use waits::{PATIENCE, ack, connected, event_named, next};

#[derive(Clone, Copy, Debug)]
enum Mode {
    Polling,
    WebSocket,
    Upgrade,
}

fn options(mode: Mode) -> Options {
    let options = Options::default()
        .auto_connect(false)
        .reconnection_delay(Duration::from_millis(100))
        .reconnection_delay_max(Duration::from_millis(200));
    match mode {
        Mode::Polling => options.transports(vec![Transport::Polling]),
        Mode::WebSocket => options.transports(vec![Transport::WebSocket]),
        Mode::Upgrade => options,
    }
}

/// Namespaces on one connection, acks both ways, binary both ways, the transport the mode
/// promises, then reconnection after the server drops the transport.
async fn scenario(url: &str, mode: Mode, tls: Option<Arc<sockeye_client::rustls::ClientConfig>>) {
    let mut options = options(mode);
    if let Some(tls) = tls {
        options = options.tls_config(tls);
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
    assert!(root.connected() && a.connected());
    assert_ne!(root, a);
    assert_eq!(root.manager(), a.manager());

    // Namespaces: each socket reaches its own.
    let who: Value = ack(&root, "whoami", &()).await;
    assert_eq!(who["nsp"], "/");
    let who: Value = ack(&a, "whoami", &()).await;
    assert_eq!(who["nsp"], "/a");

    // The transport.
    let expected = match mode {
        Mode::Polling => Transport::Polling,
        Mode::WebSocket => Transport::WebSocket,
        Mode::Upgrade => {
            if manager.transport() != Some(Transport::WebSocket) {
                next(&mut engine, "upgrade", |e| match e {
                    ManagerEvent::Upgrade(t) => Some(t),
                    _ => None,
                })
                .await;
            }
            Transport::WebSocket
        }
    };
    assert_eq!(manager.transport(), Some(expected));
    let who: Value = ack(&root, "whoami", &()).await;
    let name = if expected == Transport::Polling {
        "polling"
    } else {
        "websocket"
    };
    assert_eq!(who["transport"], name, "{mode:?}");

    // Acks from the server, with binary: the arguments come back, the bytes as bytes.
    let payload = Payload::new()
        .arg(&json!({ "hello": "world" }))
        .unwrap()
        .binary(vec![1, 2, 3]);
    let (object, bytes): (Value, Binary) = ack(&root, "echo", payload).await;
    assert_eq!(object, json!({ "hello": "world" }));
    assert_eq!(bytes, Binary(vec![1, 2, 3]));
    let tuple: (u32, String) = ack(&a, "echo", &(7, "seven")).await;
    assert_eq!(tuple, (7, "seven".to_owned()));
    // Large enough for both servers to compress a polling response (gzip or deflate, as the
    // client's Accept-Encoding offers).
    let large = "sockeye ".repeat(4000);
    let back: String = ack(&root, "echo", &large).await;
    assert_eq!(back, large);

    // Acks to the server: it asks, a handler answers.
    let handler = root.on_event("question", |e| {
        let question: String = e.data().unwrap();
        e.ack(&format!("re: {question}")).unwrap();
    });
    let answer: Value = ack(&root, "ask", &"why?").await;
    assert_eq!(answer, json!({ "answer": "re: why?" }));
    root.off(handler.id());

    // Binary from the server, nested and top-level.
    let sent: String = ack(&root, "binary", &()).await;
    assert_eq!(sent, "sent");
    let args = event_named(&mut root_events, "binary").await;
    #[derive(serde::Deserialize)]
    struct Nested {
        bytes: Binary,
    }
    let (nested, top): (Nested, Binary) = args.data().unwrap();
    assert_eq!((nested.bytes.0, top.0), (vec![1, 2, 3], vec![5, 6]));

    // The server drops the transport: both sockets hear it and reconnect.
    root.emit("drop", &()).unwrap();
    next(&mut root_events, "disconnect", |e| {
        matches!(e, SocketEvent::Disconnect(_)).then_some(())
    })
    .await;
    connected(&mut root_events).await;
    connected(&mut a_events).await;
    let again: (String,) = ack(&a, "echo", &("again",)).await;
    assert_eq!(again.0, "again");

    root.disconnect();
    manager.close();
}

/// The server drops the transport and emits twice while the client is away: the client recovers
/// the session and gets both.
async fn recovery(url: &str, mode: Mode) {
    let manager = Manager::new(url, options(mode)).unwrap();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    socket.open();
    connected(&mut events).await;
    let id = socket.id().unwrap();
    // An event with an offset, so that the session can be resumed from it.
    socket.emit("echo", "offset").unwrap();
    event_named(&mut events, "echo").await;
    socket.emit("drop-transport", &()).unwrap();
    next(&mut events, "disconnect", |e| {
        matches!(e, SocketEvent::Disconnect(_)).then_some(())
    })
    .await;
    // The missed events may come before the CONNECT (the reference server sends them first) or
    // after it (sockeye-server's order): both are delivered.
    let (mut reconnected, mut missed) = (false, Vec::new());
    while !reconnected || missed.len() < 2 {
        next(&mut events, "connect and missed", |e| match e {
            SocketEvent::Connect => {
                reconnected = true;
                Some(())
            }
            SocketEvent::Event { name, args } if name == "missed" => {
                missed.push(args.data::<u32>().unwrap());
                Some(())
            }
            SocketEvent::ConnectError(e) => panic!("connect_error: {e:?}"),
            _ => None,
        })
        .await;
    }
    assert!(socket.recovered(), "{mode:?}: not recovered");
    assert_eq!(socket.id().unwrap(), id);
    assert_eq!(missed, [1, 2]);
    manager.close();
}

async fn sockeye() -> Servers {
    servers::sockeye(None).await
}

async fn node() -> Servers {
    servers::node(None).await
}

against_both! {
    sockeye, node;
    polling: |s| scenario(&s.url, Mode::Polling, None);
    websocket: |s| scenario(&s.url, Mode::WebSocket, None);
    upgrade: |s| scenario(&s.url, Mode::Upgrade, None);
    recovery_polling: |s| recovery(&s.recovery_url, Mode::Polling);
    recovery_websocket: |s| recovery(&s.recovery_url, Mode::WebSocket);
    recovery_upgrade: |s| recovery(&s.recovery_url, Mode::Upgrade);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_against_sockeye_server() {
    let ca = TestCa::new();
    let s = servers::sockeye(Some(&ca)).await;
    assert!(s.url.starts_with("https://"));
    scenario(&s.url, Mode::Upgrade, Some(ca.client())).await;
    scenario(&s.url, Mode::WebSocket, Some(ca.client())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_against_node_reference() {
    let ca = TestCa::new();
    let s = servers::node(Some(&ca)).await;
    scenario(&s.url, Mode::Upgrade, Some(ca.client())).await;
    scenario(&s.url, Mode::WebSocket, Some(ca.client())).await;
}

/// A server whose certificate the client does not trust (the default roots): no connection, and
/// an error event rather than a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_fails_to_connect() {
    let ca = TestCa::new();
    let s = servers::sockeye(Some(&ca)).await;
    let manager = Manager::new(&s.url, options(Mode::Polling).reconnection(false)).unwrap();
    let mut engine = manager.events();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    socket.open();
    next(&mut engine, "error", |e| {
        matches!(e, ManagerEvent::Error(_)).then_some(())
    })
    .await;
    next(&mut events, "connect_error", |e| {
        matches!(e, SocketEvent::ConnectError(_)).then_some(())
    })
    .await;
    assert!(!socket.connected());
}

/// When the last handle goes, the connection closes (its IO task does not outlive it): the
/// server hears the client leave, over each transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_handle_closes_the_connection() {
    let mut s = sockeye().await;
    let mut watch = s.watch.take().unwrap();
    for mode in [Mode::Polling, Mode::WebSocket, Mode::Upgrade] {
        let manager = Manager::new(&s.url, options(mode)).unwrap();
        let socket = manager.socket("/watch").unwrap();
        let mut events = socket.events();
        socket.open();
        connected(&mut events).await;
        drop((manager, socket));
        let reason = tokio::time::timeout(PATIENCE, watch.recv())
            .await
            .expect("the server saw no disconnection")
            .unwrap();
        assert!(
            ["ClientNamespaceDisconnect", "TransportClose"].contains(&reason.as_str()),
            "{mode:?}: {reason}"
        );
    }
}

/// Handles compare by identity, and move into spawned tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_are_send_and_compare_by_identity() {
    let options = Options::default().auto_connect(false);
    let one = Manager::new("http://127.0.0.1:1", options.clone()).unwrap();
    let two = Manager::new("http://127.0.0.1:1", options).unwrap();
    assert_eq!(one, one.clone());
    assert_ne!(one, two);
    let socket = one.socket("/").unwrap();
    assert_eq!(socket, one.socket("/").unwrap(), "one socket per namespace");
    let moved = socket.clone();
    let back = tokio::spawn(async move { moved }).await.unwrap();
    assert_eq!(back, socket);
}

#[test]
fn a_manager_needs_a_runtime() {
    let error = Manager::new("http://127.0.0.1:1", Options::default()).unwrap_err();
    assert!(matches!(error, Error::NoRuntime), "{error}");
}
