//! The typed Rust API (feature `rust-api`) in headless Chromium against the official Node
//! `socket.io` server, as `scripts/test-wasm.sh` runs it.
#![cfg(all(target_arch = "wasm32", feature = "rust-api"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{until, url};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sockeye_client::{
    AckError, ConnectError, ConnectionState, DisconnectReason, Error, Manager, Options, Payload,
    Socket, SocketEvent, Transport,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Debug, Deserialize, PartialEq)]
struct WhoAmI {
    id: String,
    nsp: String,
    engine: String,
    transport: String,
    auth: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Clone)]
struct Point {
    x: i32,
    y: i32,
}

#[wasm_bindgen_test]
async fn typed_emits_acks_handlers_and_the_event_stream() {
    let options = Options::default()
        .with_auth(&json!({ "name": "typed" }))
        .unwrap();
    let socket = Socket::connect(&url(), options).unwrap();
    let mut events = socket.events();
    assert_eq!(socket.state(), ConnectionState::Connecting);
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    assert_eq!(socket.state(), ConnectionState::Connected);

    let who: WhoAmI = socket
        .emit_with_ack("whoami", Payload::new())
        .await
        .unwrap();
    assert_eq!(who.id, socket.id().unwrap());
    assert_eq!(who.nsp, "/");
    assert_eq!(who.auth, json!({ "name": "typed" }));

    // A typed handler gets the first argument, deserialized.
    let points = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&points);
    socket.on("echo", move |p: Point| seen.borrow_mut().push(p));
    socket.emit("echo", &Point { x: 1, y: -2 }).unwrap();
    until("echo", || !points.borrow().is_empty()).await;
    assert_eq!(points.borrow()[0], Point { x: 1, y: -2 });
    // The stream saw it too, with every argument.
    match events.next().await {
        Some(SocketEvent::Event { name, args }) => {
            assert_eq!(name, "echo");
            assert_eq!(args.get::<Point>(0).unwrap(), Point { x: 1, y: -2 });
        }
        other => panic!("{other:?}"),
    }

    // Several arguments, read back as a tuple.
    let args = socket
        .emit_with_ack_args(
            "echo",
            Payload::new().arg(&1).unwrap().arg("two").unwrap(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        args.all::<(u8, String)>().unwrap(),
        (1, String::from("two"))
    );

    socket.disconnect();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(
            DisconnectReason::IoClientDisconnect
        ))
    );
    assert_eq!(socket.state(), ConnectionState::Disconnected);
}

#[wasm_bindgen_test]
async fn server_events_are_acknowledged_and_timeouts_are_errors() {
    let options = Options::default().with_transports([Transport::WebSocket]);
    let socket = Socket::connect(&url(), options).unwrap();
    socket.on_event("question", |event| {
        let question: String = event.args().get(0).unwrap();
        assert!(event.wants_ack());
        event.ack(&format!("{question} blue")).unwrap();
        // A second answer is not sent.
        event.ack("again").unwrap();
    });
    #[derive(Deserialize)]
    struct Answer {
        answer: String,
    }
    let answer: Answer = socket.emit_with_ack("ask", &"color?").await.unwrap();
    assert_eq!(answer.answer, "color? blue");
    assert_eq!(socket.manager().transport(), Some(Transport::WebSocket));

    // "record" is never acknowledged.
    let timed_out = socket
        .emit_with_ack_timeout::<()>("record", &1, Duration::from_millis(50))
        .await;
    assert!(
        matches!(timed_out, Err(Error::Ack(AckError::Timeout))),
        "{timed_out:?}"
    );
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn binary_payloads_round_trip() {
    let socket = Socket::connect(&url(), Options::default()).unwrap();
    let payload = Payload::new()
        .arg(&"label")
        .unwrap()
        .binary(vec![0u8, 1, 255]);
    let args = socket
        .emit_with_ack_args("echo", payload, None)
        .await
        .unwrap();
    assert_eq!(args.get::<String>(0).unwrap(), "label");
    assert_eq!(args.binary(1), Some(&[0u8, 1, 255][..]));
    assert_eq!(args.binary(0), None);

    let received = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&received);
    socket.on_event("binary", move |event| {
        *slot.borrow_mut() = Some(event.args().clone());
    });
    let _: String = socket
        .emit_with_ack("binary", Payload::new())
        .await
        .unwrap();
    until("binary", || received.borrow().is_some()).await;
    let args = received.borrow_mut().take().unwrap();
    assert_eq!(args.binary(1), Some(&[5u8, 6][..]));
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn connect_errors_and_multiplexed_namespaces() {
    let refused = Options::default()
        .with_auth(&json!({ "token": "bad" }))
        .unwrap();
    let socket = Socket::connect(&url(), refused).unwrap();
    let mut events = socket.events();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::ConnectError(ConnectError {
            message: String::from("unauthorized"),
            data: Some(json!({ "reason": "bad token" })),
        }))
    );
    assert_eq!(socket.state(), ConnectionState::Disconnected);
    socket.manager().close();

    let manager = Manager::new(&url(), Options::default()).unwrap();
    let a = manager.socket("/a").unwrap();
    let b = manager.socket("/b").unwrap();
    let who_a: WhoAmI = a.emit_with_ack("whoami", Payload::new()).await.unwrap();
    let who_b: WhoAmI = b.emit_with_ack("whoami", Payload::new()).await.unwrap();
    assert_eq!((who_a.nsp.as_str(), who_b.nsp.as_str()), ("/a", "/b"));
    assert_eq!(who_a.engine, who_b.engine);
    // Dropping every handle closes the connection.
    drop((a, b, manager));
}

#[wasm_bindgen_test]
async fn reconnects_and_reports_the_disconnection() {
    let mut options = Options::default().with_transports([Transport::WebSocket]);
    options.reconnection_delay = Duration::from_millis(50);
    options.randomization_factor = 0.0;
    let socket = Socket::connect(&url(), options).unwrap();
    let mut events = socket.events();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    socket.emit("drop", Payload::new()).unwrap();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(DisconnectReason::TransportClose))
    );
    assert_eq!(socket.state(), ConnectionState::Connecting);
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    socket.manager().close();
}
