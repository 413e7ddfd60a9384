//! The typed Rust API (feature `rust-api`) in headless Chromium, against the official Node
//! `socket.io` server and against sockeye-server (`scripts/test-wasm.sh` runs these once per
//! server).
#![cfg(all(target_arch = "wasm32", feature = "rust-api"))]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use common::{recovery_url, until, url};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sockeye_client::{
    AckError, Binary, CloseDescription, ConnectError, ConnectionState, DisconnectReason,
    Disconnection, EngineCloseReason, Error, Manager, ManagerEvent, Options, Payload, Socket,
    SocketEvent, Transport,
};
use wasm_bindgen::JsValue;
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

    // `&()` is no argument: the Node handler `(ack) => ...` gets its callback first.
    let who: WhoAmI = socket.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(who.id, socket.id().unwrap());
    assert_eq!(who.nsp, "/");
    assert_eq!(who.auth, json!({ "name": "typed" }));

    // A typed handler gets the first argument, deserialized.
    let points = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&points);
    let _on61 = socket.on("echo", move |p: Point| seen.borrow_mut().push(p));
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

    // Several arguments built one by one, read back as a tuple.
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
    assert_eq!(
        args.data::<(u8, String)>().unwrap(),
        (1, String::from("two"))
    );

    socket.disconnect();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(
            DisconnectReason::IoClientDisconnect.into()
        ))
    );
    assert_eq!(socket.state(), ConnectionState::Disconnected);
}

#[wasm_bindgen_test]
async fn server_events_are_acknowledged_and_timeouts_are_errors() {
    let options = Options::default().with_transports([Transport::WebSocket]);
    let socket = Socket::connect(&url(), options).unwrap();
    let _on106 = socket.on_event("question", |event| {
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
    // Built with `Payload::binary`, and the same as a tuple holding `Binary`.
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
    let (label, bytes): (String, Binary) = socket
        .emit_with_ack("echo", &("label", Binary(vec![0, 1, 255])))
        .await
        .unwrap();
    assert_eq!(
        (label.as_str(), bytes.as_ref()),
        ("label", &[0u8, 1, 255][..])
    );

    let received = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&received);
    let _on158 = socket.on_event("binary", move |event| {
        *slot.borrow_mut() = Some(event.args().clone());
    });
    #[derive(Debug, Deserialize, PartialEq)]
    struct Nested {
        bytes: Binary,
        nested: Vec<Binary>,
    }
    let typed = Rc::new(RefCell::new(None));
    let seen = Rc::clone(&typed);
    let _on168 = socket.on("binary", move |args: (Nested, Binary)| {
        *seen.borrow_mut() = Some(args);
    });
    let _: String = socket.emit_with_ack("binary", &()).await.unwrap();
    until("binary", || received.borrow().is_some()).await;
    let args = received.borrow_mut().take().unwrap();
    assert_eq!(args.binary(1), Some(&[5u8, 6][..]));
    assert_eq!(
        args.binary(0),
        None,
        "an object holding binary is not binary"
    );
    // Typed: binary nested in the server's object and as an argument of its own.
    assert_eq!(
        typed.borrow_mut().take(),
        Some((
            Nested {
                bytes: Binary(vec![1, 2, 3]),
                nested: vec![Binary(vec![4])],
            },
            Binary(vec![5, 6]),
        ))
    );
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
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            description: Some(CloseDescription::WebSocketClosed),
        }))
    );
    assert_eq!(socket.state(), ConnectionState::Connecting);
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    socket.manager().close();
}

/// A socket on `url` with a manager of its own, and its event streams, once connected.
async fn connected(url: &str, options: Options) -> (Socket, sockeye_client::Events) {
    let socket = Socket::connect(url, options).unwrap();
    let mut events = socket.events();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    (socket, events)
}

/// Fast reconnection with no jitter, on `transports`.
fn quick(transports: &[Transport]) -> Options {
    let mut options = Options::default().with_transports(transports.to_vec());
    options.reconnection_delay = Duration::from_millis(50);
    options.randomization_factor = 0.0;
    options
}

/// The next manager event that `keep` accepts (others are skipped: pings come any time).
async fn next_manager_event(
    events: &mut sockeye_client::ManagerEvents,
    keep: impl Fn(&ManagerEvent) -> bool,
) -> ManagerEvent {
    loop {
        let event = events.next().await.unwrap();
        if keep(&event) {
            return event;
        }
    }
}

fn not_ping(e: &ManagerEvent) -> bool {
    !matches!(e, ManagerEvent::Ping)
}

#[wasm_bindgen_test]
async fn manager_events_with_the_close_description_and_the_reconnection() {
    let manager = Manager::new(&url(), quick(&[Transport::WebSocket])).unwrap();
    let mut manager_events = manager.events();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    assert_eq!(manager_events.next().await, Some(ManagerEvent::Open));
    // The server pings every 2 s.
    next_manager_event(&mut manager_events, |e| matches!(e, ManagerEvent::Ping)).await;

    socket.emit("drop", Payload::new()).unwrap();
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Close {
            reason: EngineCloseReason::TransportClose,
            description: Some(CloseDescription::WebSocketClosed),
        }
    );
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            description: Some(CloseDescription::WebSocketClosed),
        }))
    );
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::ReconnectAttempt(1)
    );
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Open
    );
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Reconnect(1)
    );
    assert_eq!(events.next().await, Some(SocketEvent::Connect));

    // A deliberate disconnection by the server has no description, and no reconnection.
    socket.emit("kick", Payload::new()).unwrap();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(
            DisconnectReason::IoServerDisconnect.into()
        ))
    );
    assert_eq!(socket.state(), ConnectionState::Disconnected);
    manager.close();
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Close {
            reason: EngineCloseReason::ForcedClose,
            description: None,
        }
    );
}

#[wasm_bindgen_test]
async fn a_server_close_on_long_polling_is_described_as_such() {
    let (socket, mut events) = connected(&url(), quick(&[Transport::Polling])).await;
    socket.emit("drop", Payload::new()).unwrap();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            description: Some(CloseDescription::ClosedByServer),
        }))
    );
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn the_browser_going_offline_closes_the_transport_at_once() {
    let (socket, mut events) = connected(&url(), quick(&[Transport::WebSocket])).await;
    js_sys::Function::new_no_args("dispatchEvent(new Event('offline'))")
        .call0(&JsValue::NULL)
        .unwrap();
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            description: Some(CloseDescription::NetworkLost),
        }))
    );
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    // By hand, as a Rust application hearing of it another way.
    socket.manager().offline();
    match events.next().await {
        Some(SocketEvent::Disconnect(d)) => {
            assert_eq!(d.description, Some(CloseDescription::NetworkLost))
        }
        other => panic!("{other:?}"),
    }
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn manager_settings_take_effect_on_the_next_reconnection() {
    let mut options = quick(&[Transport::WebSocket]);
    options.reconnection_delay_max = Duration::from_secs(10);
    let manager = Manager::new(&url(), options).unwrap();
    // The getters give the options, then what was set.
    assert!(manager.reconnection());
    assert_eq!(manager.reconnection_attempts(), None);
    assert_eq!(manager.reconnection_delay(), Duration::from_millis(50));
    assert_eq!(manager.randomization_factor(), 0.0);
    assert_eq!(manager.timeout(), Some(Duration::from_secs(20)));
    manager.set_timeout(Some(Duration::from_secs(5)));
    manager.set_reconnection_delay_max(Duration::from_secs(8));
    manager.set_randomization_factor(0.0);
    assert_eq!(manager.timeout(), Some(Duration::from_secs(5)));
    assert_eq!(manager.reconnection_delay_max(), Duration::from_secs(8));

    let mut manager_events = manager.events();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));

    // A longer first delay applies to the next loss.
    manager.set_reconnection_delay(Duration::from_millis(700));
    assert_eq!(manager.reconnection_delay(), Duration::from_millis(700));
    socket.emit("drop", Payload::new()).unwrap();
    next_manager_event(&mut manager_events, |e| {
        matches!(e, ManagerEvent::Close { .. })
    })
    .await;
    let closed = js_sys::Date::now();
    next_manager_event(&mut manager_events, |e| {
        matches!(e, ManagerEvent::ReconnectAttempt(_))
    })
    .await;
    let waited = js_sys::Date::now() - closed;
    assert!(waited >= 690.0, "reconnected after {waited} ms");
    assert_eq!(
        events.next().await,
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            description: Some(CloseDescription::WebSocketClosed),
        }))
    );
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Open
    );
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Reconnect(1)
    );

    // No attempts allowed: the next loss gives up at once.
    manager.set_reconnection_attempts(Some(0));
    assert_eq!(manager.reconnection_attempts(), Some(0));
    socket.emit("drop", Payload::new()).unwrap();
    assert!(matches!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Close { .. }
    ));
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::ReconnectFailed
    );
    assert!(matches!(
        events.next().await,
        Some(SocketEvent::Disconnect(_))
    ));

    // Reconnection off: after a loss nothing happens; the socket stays active.
    manager.set_reconnection_attempts(None);
    manager.set_reconnection_delay(Duration::from_millis(50));
    manager.set_reconnection(false);
    assert!(!manager.reconnection());
    manager.open();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    socket.emit("drop", Payload::new()).unwrap();
    assert!(matches!(
        events.next().await,
        Some(SocketEvent::Disconnect(_))
    ));
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(socket.state(), ConnectionState::Connecting);
    assert!(!socket.connected());
    // On again, and opened by hand: connected.
    manager.set_reconnection(true);
    manager.open();
    assert_eq!(events.next().await, Some(SocketEvent::Connect));
    manager.close();
}

#[wasm_bindgen_test]
async fn each_transport_mode_and_the_upgrade() {
    for (transports, expected) in [
        (vec![Transport::Polling], "polling"),
        (vec![Transport::WebSocket], "websocket"),
    ] {
        let manager = Manager::new(&url(), Options::default().with_transports(transports)).unwrap();
        let socket = manager.socket("/").unwrap();
        let who: WhoAmI = socket
            .emit_with_ack("whoami", Payload::new())
            .await
            .unwrap();
        assert_eq!(who.transport, expected);
        assert_eq!(manager.transport().map(|t| t.as_str()), Some(expected));
        manager.close();
    }
    // The default: long-polling, the probe, then WebSocket.
    let manager = Manager::new(&url(), Options::default()).unwrap();
    let mut manager_events = manager.events();
    let socket = manager.socket("/").unwrap();
    let _: WhoAmI = socket
        .emit_with_ack("whoami", Payload::new())
        .await
        .unwrap();
    assert_eq!(
        next_manager_event(&mut manager_events, |e| matches!(
            e,
            ManagerEvent::Upgrading
        ))
        .await,
        ManagerEvent::Upgrading
    );
    assert_eq!(
        next_manager_event(&mut manager_events, not_ping).await,
        ManagerEvent::Upgrade(Transport::WebSocket)
    );
    assert_eq!(manager.transport(), Some(Transport::WebSocket));
    let who: WhoAmI = socket
        .emit_with_ack("whoami", Payload::new())
        .await
        .unwrap();
    assert_eq!(who.transport, "websocket");
    manager.close();
}

#[wasm_bindgen_test]
async fn emits_while_offline_are_buffered_and_volatile_ones_dropped() {
    let name = format!("rust-offline-{}", js_sys::Math::random());
    let mut options = Options::default()
        .with_auth(&json!({ "name": name }))
        .unwrap();
    options.auto_connect = false;
    let socket = Socket::connect(&url(), options).unwrap();
    assert_eq!(socket.state(), ConnectionState::Disconnected);
    for n in 1..=3 {
        socket.emit("record", &n).unwrap();
    }
    socket.emit_volatile("record", &99).unwrap();
    assert!(!socket.connected());
    socket.open();
    let records: Vec<u32> = socket.emit_with_ack("records", &name).await.unwrap();
    assert_eq!(records, [1, 2, 3]);
    // Connected, a volatile emit goes out.
    socket.emit_volatile("record", &4).unwrap();
    let records: Vec<u32> = socket.emit_with_ack("records", &name).await.unwrap();
    assert_eq!(records, [1, 2, 3, 4]);
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn retries_resend_until_acknowledged() {
    let mut options = Options::default();
    options.retries = 3;
    options.ack_timeout = Some(Duration::from_millis(200));
    let (socket, _events) = connected(&url(), options).await;
    // The server acknowledges only the second delivery of a key.
    let key = format!("rust-{}", js_sys::Math::random());
    let seen: u32 = socket.emit_with_ack("flaky", &key).await.unwrap();
    assert_eq!(seen, 2);
    socket.manager().close();

    // Without retries the first timeout is final.
    let mut options = Options::default();
    options.ack_timeout = Some(Duration::from_millis(200));
    let (socket, _events) = connected(&url(), options).await;
    let key = format!("rust-{}", js_sys::Math::random());
    let failed = socket.emit_with_ack::<u32>("flaky", &key).await;
    assert!(
        matches!(failed, Err(Error::Ack(AckError::Timeout))),
        "{failed:?}"
    );
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn connection_state_recovery_restores_missed_events() {
    let (socket, mut events) = connected(&recovery_url(), quick(&[Transport::WebSocket])).await;
    assert!(!socket.recovered());
    let missed = Rc::new(RefCell::new(Vec::new()));
    let seen = Rc::clone(&missed);
    // A tuple reads every argument: the offset would be the second.
    let _on569 = socket.on("missed", move |args: (u32, Option<String>)| {
        seen.borrow_mut().push(args)
    });
    let first_id = socket.id().unwrap();
    // The client sends back the offset of the last event it got: recovery needs one.
    socket.emit("echo", &0).unwrap();
    assert!(matches!(
        events.next().await,
        Some(SocketEvent::Event { .. })
    ));
    socket.emit("drop-transport", Payload::new()).unwrap();
    assert!(matches!(
        events.next().await,
        Some(SocketEvent::Disconnect(Disconnection {
            reason: DisconnectReason::TransportClose,
            ..
        }))
    ));
    // As the reference, events that arrive with the CONNECT reach the application first.
    loop {
        match events.next().await {
            Some(SocketEvent::Connect) => break,
            Some(SocketEvent::Event { name, .. }) if name == "missed" => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(socket.recovered());
    assert_eq!(socket.id().unwrap(), first_id, "the same session");
    until("missed", || missed.borrow().len() == 2).await;
    // The offset the server appends is stripped: the handler saw its numbers.
    assert_eq!(*missed.borrow(), [(1, None), (2, None)]);
    let who: WhoAmI = socket
        .emit_with_ack("whoami", Payload::new())
        .await
        .unwrap();
    assert_eq!(who.id, first_id);
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn rooms_via_the_server() {
    let (a, _a_events) = connected(&url(), Options::default()).await;
    let (b, _b_events) = connected(&url(), Options::default()).await;
    let room = format!("room-{}", js_sys::Math::random());
    let rooms: Vec<String> = a.emit_with_ack("join", &room).await.unwrap();
    assert!(
        rooms.contains(&room) && rooms.contains(&a.id().unwrap()),
        "{rooms:?}"
    );
    let heard_a = Rc::new(RefCell::new(Vec::new()));
    let heard_b = Rc::new(RefCell::new(Vec::new()));
    let (sa, sb) = (Rc::clone(&heard_a), Rc::clone(&heard_b));
    let _on621 = a.on("hello", move |s: String| sa.borrow_mut().push(s));
    let _on622 = b.on("hello", move |s: String| sb.borrow_mut().push(s));
    let sent: bool = b
        .emit_with_ack(
            "to-room",
            Payload::new()
                .arg(&room)
                .unwrap()
                .arg("hello")
                .unwrap()
                .arg("from b")
                .unwrap(),
        )
        .await
        .unwrap();
    assert!(sent);
    until("hello", || !heard_a.borrow().is_empty()).await;
    assert_eq!(*heard_a.borrow(), ["from b"]);
    // b is not in the room; a round trip later it has still heard nothing.
    let _: String = b.emit_with_ack("echo", &"sync").await.unwrap();
    assert!(heard_b.borrow().is_empty());
    a.manager().close();
    b.manager().close();
}

#[wasm_bindgen_test]
async fn every_emit_and_ack_form() {
    let (socket, mut events) = connected(&url(), Options::default()).await;
    // emit: the server echoes it back as an event.
    socket.emit("echo", &json!({ "k": [1, 2] })).unwrap();
    match events.next().await {
        Some(SocketEvent::Event { name, args }) => {
            assert_eq!(name, "echo");
            assert_eq!(args.values(), [json!({ "k": [1, 2] })]);
        }
        other => panic!("{other:?}"),
    }
    // A payload of no arguments, and one of several with binary.
    socket.emit("echo", Payload::new()).unwrap();
    match events.next().await {
        Some(SocketEvent::Event { name, args }) => {
            assert_eq!(name, "echo");
            assert!(args.values().is_empty());
        }
        other => panic!("{other:?}"),
    }
    let args = socket
        .emit_with_ack_args(
            "echo",
            Payload::new()
                .binary(vec![9u8; 3])
                .arg(&json!(null))
                .unwrap()
                .binary(Vec::<u8>::new()),
            Some(Duration::from_secs(5)),
        )
        .await
        .unwrap();
    assert_eq!(args.binary(0), Some(&[9u8, 9, 9][..]));
    assert_eq!(args.get::<Option<u8>>(1).unwrap(), None);
    assert_eq!(args.binary(2), Some(&[][..]));
    // emit_with_ack_timeout that is answered in time.
    let echoed: String = socket
        .emit_with_ack_timeout("echo", &"in time", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(echoed, "in time");
    // Reading the ack as the wrong type is an error, not a panic.
    let wrong = socket.emit_with_ack::<u32>("echo", &"text").await;
    assert!(matches!(wrong, Err(Error::Deserialize(_))), "{wrong:?}");
    // A reserved name is refused.
    assert!(matches!(
        socket.emit("connect", Payload::new()),
        Err(Error::Emit(_))
    ));
    // The client acknowledges a server emit with binary.
    let _on697 = socket.on_event("question", |event| {
        event
            .ack(Payload::new().arg("bytes").unwrap().binary(vec![7u8, 8]))
            .unwrap();
    });
    let answer: serde_json::Value = socket.emit_with_ack("ask", &"q").await.unwrap();
    // The servers acknowledge `ask` with the client's first argument.
    assert_eq!(answer["answer"], json!("bytes"), "{answer}");
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn arguments_mean_the_same_on_both_ends() {
    let (socket, mut events) = connected(&url(), Options::default()).await;
    // A tuple is several arguments: the server echoes two, read back as two.
    let pair: (u8, String) = socket.emit_with_ack("echo", &(1, "a")).await.unwrap();
    assert_eq!(pair, (1, String::from("a")));
    let args = socket
        .emit_with_ack_args("echo", &(1, "a"), None)
        .await
        .unwrap();
    assert_eq!((args.len(), args.values()), (2, vec![json!(1), json!("a")]));
    // Any other value is one argument, read back as the first.
    let first: u8 = socket.emit_with_ack("echo", &(1, "a")).await.unwrap();
    assert_eq!(first, 1);
    let list: Vec<u8> = socket.emit_with_ack("echo", &vec![1u8, 2]).await.unwrap();
    assert_eq!(list, [1, 2]);
    let none: Option<u8> = socket.emit_with_ack("echo", &None::<u8>).await.unwrap();
    assert_eq!(none, None);
    // `&()` is no argument: the echo has none.
    let args = socket.emit_with_ack_args("echo", &(), None).await.unwrap();
    assert!(args.is_empty(), "{:?}", args.text());
    socket.emit_with_ack::<()>("echo", &()).await.unwrap();

    // Events the same way, both directions: the server emits back what it got.
    let pairs = Rc::new(RefCell::new(Vec::new()));
    let firsts = Rc::new(RefCell::new(Vec::new()));
    let (p, f) = (Rc::clone(&pairs), Rc::clone(&firsts));
    let _on735 = socket.on("echo", move |pair: (u8, String)| p.borrow_mut().push(pair));
    let _on736 = socket.on("echo", move |first: Option<u8>| f.borrow_mut().push(first));
    socket.emit("echo", &(2, "b")).unwrap();
    socket.emit("echo", &()).unwrap();
    for expected in [2, 0] {
        match events.next().await {
            Some(SocketEvent::Event { name, args }) => {
                assert_eq!((name.as_str(), args.len()), ("echo", expected));
            }
            other => panic!("{other:?}"),
        }
    }
    // The event with no argument does not read as a pair (a missing `u8` is `null`).
    assert_eq!(*pairs.borrow(), [(2, String::from("b"))]);
    assert_eq!(*firsts.borrow(), [Some(2), None]);

    // Acknowledgements too: the client answers the server's question with two arguments; the
    // servers acknowledge `ask` with the first.
    let _on753 = socket.on_event("question", |event| {
        let question: String = event.data().unwrap();
        event.ack(&(format!("{question}!"), 2)).unwrap();
    });
    let answer: serde_json::Value = socket.emit_with_ack("ask", &"why").await.unwrap();
    assert_eq!(answer["answer"], json!("why!"), "{answer}");
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn a_placeholder_like_object_in_a_plain_event_is_data() {
    let (socket, mut events) = connected(&url(), Options::default()).await;
    let lookalike = json!({ "_placeholder": true, "num": 0 });
    // In an acknowledgement.
    let args = socket
        .emit_with_ack_args("echo", &lookalike, None)
        .await
        .unwrap();
    assert_eq!(args.binary(0), None);
    assert_eq!(args.data::<serde_json::Value>().unwrap(), lookalike);
    assert!(args.data::<Binary>().is_err());
    // In an event.
    let seen = Rc::new(RefCell::new(None));
    let slot = Rc::clone(&seen);
    let _on777 = socket.on("echo", move |v: serde_json::Value| {
        *slot.borrow_mut() = Some(v)
    });
    socket.emit("echo", &lookalike).unwrap();
    match events.next().await {
        Some(SocketEvent::Event { args, .. }) => assert_eq!(args.binary(0), None),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.borrow_mut().take(), Some(lookalike));
    socket.manager().close();
}

#[wasm_bindgen_test]
async fn binary_nested_in_a_struct_round_trips() {
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Upload {
        name: String,
        data: Binary,
        parts: Vec<Binary>,
        thumbnail: Option<Binary>,
        point: Point,
    }
    let (socket, mut events) = connected(&url(), Options::default()).await;
    let upload = Upload {
        name: String::from("photo"),
        data: Binary(vec![0, 1, 2, 255]),
        parts: vec![Binary(vec![7]), Binary(Vec::new())],
        thumbnail: Some(Binary(vec![9; 3])),
        point: Point { x: 3, y: 4 },
    };
    let back: Upload = socket.emit_with_ack("echo", &upload).await.unwrap();
    assert_eq!(back, upload);
    // Beside other arguments, and as an event the server emits back.
    let (n, back): (u8, Upload) = socket.emit_with_ack("echo", &(5, &upload)).await.unwrap();
    assert_eq!((n, &back), (5, &upload));
    socket.emit("echo", &upload).unwrap();
    match events.next().await {
        Some(SocketEvent::Event { args, .. }) => {
            assert_eq!(args.data::<Upload>().unwrap(), upload);
        }
        other => panic!("{other:?}"),
    }
    socket.manager().close();
}

/// The next `echo` event on `events`, skipping others.
async fn echoed(events: &mut sockeye_client::Events) {
    loop {
        match events.next().await.unwrap() {
            SocketEvent::Event { name, .. } if name == "echo" => return,
            _ => {}
        }
    }
}

/// Subscriptions remove their handlers when dropped, `once` runs once, `on_any` sees every
/// event after the named handlers, and an event a typed handler cannot read is reported.
#[wasm_bindgen_test]
async fn subscriptions_once_on_any_and_invalid_payloads() {
    let (socket, mut events) = connected(&url(), Options::default()).await;
    let seen = Rc::new(RefCell::new(Vec::<String>::new()));
    let push = |seen: &Rc<RefCell<Vec<String>>>, what: String| seen.borrow_mut().push(what);
    let on = {
        let seen = Rc::clone(&seen);
        socket.on("echo", move |n: u32| push(&seen, format!("on {n}")))
    };
    let _once = {
        let seen = Rc::clone(&seen);
        socket.once("echo", move |n: u32| push(&seen, format!("once {n}")))
    };
    let any = {
        let seen = Rc::clone(&seen);
        socket.on_any(move |e| {
            if e.name() == "echo" {
                let arg: serde_json::Value = e.data().unwrap();
                push(&seen, format!("any {arg}"));
            }
        })
    };
    // Handlers run as the event is delivered, before the stream's reader wakes.
    socket.emit("echo", &1).unwrap();
    echoed(&mut events).await;
    assert_eq!(seen.take(), ["on 1", "once 1", "any 1"]);

    socket.emit("echo", "x").unwrap();
    echoed(&mut events).await;
    match events.next().await {
        Some(SocketEvent::InvalidPayload { event, args, error }) => {
            assert_eq!(event, "echo");
            assert_eq!(args.data::<String>().unwrap(), "x");
            assert!(!error.to_string().is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.take(), [r#"any "x""#]);

    drop(on);
    socket.emit("echo", &3).unwrap();
    echoed(&mut events).await;
    assert_eq!(seen.take(), ["any 3"]);
    drop(any);
    socket.emit("echo", &4).unwrap();
    echoed(&mut events).await;
    assert!(seen.take().is_empty());
    socket.manager().close();
}

/// `auth_with`'s closure is called on each connection: the reconnection sends a fresh token.
#[wasm_bindgen_test]
async fn auth_is_evaluated_on_each_connection() {
    let mut token = 0;
    let options = quick(&[Transport::WebSocket]).auth_with(move || {
        token += 1;
        json!({ "token": token })
    });
    let (socket, mut events) = connected(&url(), options).await;
    let who: WhoAmI = socket.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(who.auth, json!({ "token": 1 }));
    socket.emit("drop", &()).unwrap();
    while events.next().await != Some(SocketEvent::Connect) {}
    let who: WhoAmI = socket.emit_with_ack("whoami", &()).await.unwrap();
    assert_eq!(who.auth, json!({ "token": 2 }));
    socket.manager().close();
}

/// A handler that captures a `WeakSocket` does not keep the connection alive: once the test
/// drops its handles, the connection goes (its event stream ends) and the weak handle no longer
/// upgrades.
#[wasm_bindgen_test]
async fn a_handler_with_a_weak_socket_does_not_keep_the_connection_alive() {
    let (socket, mut events) = connected(&url(), Options::default()).await;
    let weak = socket.downgrade();
    assert_eq!(weak.upgrade().as_ref(), Some(&socket));
    let captured = weak.clone();
    socket
        .on("echo", move |_: serde_json::Value| {
            if let Some(socket) = captured.upgrade() {
                socket.disconnect();
            }
        })
        .forget();
    let ended = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ended);
    wasm_bindgen_futures::spawn_local(async move {
        while events.next().await.is_some() {}
        flag.set(true);
    });
    drop(socket);
    until("the connection to go", || ended.get()).await;
    assert!(weak.upgrade().is_none());
}
