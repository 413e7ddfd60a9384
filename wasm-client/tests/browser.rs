//! The JS surface (`RawManager` / `RawSocket`, what the ESM wrapper drives) in headless Chromium
//! against the official Node `socket.io` 4.8 server (`tests/support/server.mjs`), whose URL
//! `scripts/test-wasm.sh` bakes in as `SOCKEYE_TEST_URL`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{Log, Recorder, json, obj, recovery_url, until, url};
use js_sys::{Array, ArrayBuffer, DataView, Uint8Array};
use serde_json::json;
use sockeye_client::{JsManager, JsSocket};

/// The RawSocket's numbered reads and commands, by the names the wrapper gives them.
trait SocketReads {
    fn id(&self) -> JsValue;
    fn connected(&self) -> bool;
    fn active(&self) -> bool;
    fn recovered(&self) -> bool;
    fn disconnect(&self);
}

impl SocketReads for JsSocket {
    fn id(&self) -> JsValue {
        self.state(0)
    }
    fn connected(&self) -> bool {
        self.state(1).is_truthy()
    }
    fn active(&self) -> bool {
        self.state(2).is_truthy()
    }
    fn recovered(&self) -> bool {
        self.state(3).is_truthy()
    }
    fn disconnect(&self) {
        self.connect(true)
    }
}

/// The RawManager's numbered reads and commands, by the names the wrapper gives them.
trait ManagerReads {
    fn open(&self);
    fn close(&self);
    fn reconnecting(&self) -> bool;
    fn sid(&self) -> JsValue;
    fn transport(&self) -> JsValue;
}

impl ManagerReads for JsManager {
    fn open(&self) {
        self.command(0)
    }
    fn close(&self) {
        self.command(1)
    }
    fn reconnecting(&self) -> bool {
        self.state(1).is_truthy()
    }
    fn sid(&self) -> JsValue {
        self.state(4)
    }
    fn transport(&self) -> JsValue {
        self.state(5)
    }
}
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A manager (with `opts` as JSON) and its root-namespace socket, each reporting to a log.
fn connect(opts: serde_json::Value, nsp: &str) -> (JsManager, Log, JsSocket, Log) {
    let manager_log = Log::default();
    let manager = JsManager::new(&url(), obj(&opts), manager_log.function(), None).unwrap();
    let (socket, socket_log) = socket(&manager, nsp);
    (manager, manager_log, socket, socket_log)
}

fn socket(manager: &JsManager, nsp: &str) -> (JsSocket, Log) {
    let log = Log::default();
    let socket = manager
        .socket(nsp, &JsValue::UNDEFINED, log.function())
        .unwrap();
    (socket, log)
}

/// Answers the `auth` requests with `auth` (JSON) as they come, as the wrapper does, until the
/// socket has connected once more than it had.
async fn connected(socket: &JsSocket, log: &Log, auth: serde_json::Value) {
    let connects = log.count("connect");
    until("connect", || {
        while log.answered().get() < log.count("auth") {
            socket.connect_with_auth(&obj(&auth)).unwrap();
            log.answered().set(log.answered().get() + 1);
        }
        log.count("connect") > connects
    })
    .await;
}

fn args(values: &[JsValue]) -> Array {
    values.iter().collect()
}

/// Emits `event` with JSON arguments and waits for the acknowledgement's arguments.
async fn call(
    socket: &JsSocket,
    event: &str,
    values: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    let mut all = vec![JsValue::from_str(event)];
    all.extend(values.iter().map(obj));
    let ack = Recorder::default();
    socket
        .emit(None, &args(&all), Some(ack.function()), None, 0)
        .unwrap();
    until(event, || ack.count() > 0).await;
    ack.take().remove(0).iter().map(|v| json(&v)).collect()
}

#[wasm_bindgen_test]
async fn connects_with_auth_over_the_default_transports() {
    let (manager, manager_log, socket, log) = connect(json!({}), "/");
    connected(&socket, &log, json!({ "name": "auth", "token": "ok" })).await;
    assert!(socket.connected());
    assert!(socket.active());
    // The engine's `handshake` comes just before the manager's `open` (the reference's order).
    assert_eq!(manager_log.kinds()[..2], ["handshake", "open"]);
    let who = call(&socket, "whoami", &[]).await;
    assert_eq!(who[0]["auth"], json!({ "name": "auth", "token": "ok" }));
    assert_eq!(who[0]["id"], json!(socket.id().as_string().unwrap()));
    assert_eq!(who[0]["engine"], json!(manager.sid().as_string().unwrap()));
    manager.close();
    until("disconnect", || log.count("disconnect") > 0).await;
    assert!(!socket.connected());
}

#[wasm_bindgen_test]
async fn connect_error_carries_the_middleware_data() {
    let (manager, _, socket, log) = connect(json!({ "transports": ["websocket"] }), "/");
    let mut answered = false;
    until("connect_error", || {
        if log.count("auth") > 0 && !answered {
            socket
                .connect_with_auth(&obj(&json!({ "token": "bad" })))
                .unwrap();
            answered = true;
        }
        log.count("connect_error") > 0
    })
    .await;
    let err = log.value("connect_error");
    assert!(err.is_instance_of::<js_sys::Error>());
    let err: js_sys::Error = err.unchecked_into();
    assert_eq!(String::from(err.message()), "unauthorized");
    let data = js_sys::Reflect::get(&err, &"data".into()).unwrap();
    assert_eq!(json(&data), json!({ "reason": "bad token" }));
    // Refused by the server: the socket is inactive and does not retry.
    assert!(!socket.active());
    assert_eq!(log.count("connect"), 0);
    manager.close();
}

#[wasm_bindgen_test]
async fn namespaces_share_one_engine() {
    let (manager, _, a, a_log) = connect(json!({}), "/a");
    let (b, b_log) = socket(&manager, "/b");
    connected(&a, &a_log, json!({})).await;
    connected(&b, &b_log, json!({})).await;
    let who_a = call(&a, "whoami", &[]).await;
    let who_b = call(&b, "whoami", &[]).await;
    assert_eq!(who_a[0]["nsp"], json!("/a"));
    assert_eq!(who_b[0]["nsp"], json!("/b"));
    assert_eq!(who_a[0]["engine"], who_b[0]["engine"]);
    assert_ne!(who_a[0]["id"], who_b[0]["id"]);
    // Disconnecting one namespace keeps the engine for the other.
    a.disconnect();
    assert_eq!(
        a_log.values("disconnect")[0].as_string().unwrap(),
        "io client disconnect"
    );
    let who_b = call(&b, "whoami", &[]).await;
    assert_eq!(who_b[0]["engine"], who_a[0]["engine"]);
    manager.close();
}

#[wasm_bindgen_test]
async fn acknowledgements_both_ways() {
    let (manager, _, socket, log) = connect(json!({ "transports": ["websocket"] }), "/");
    connected(&socket, &log, json!({})).await;
    // Client to server: the ack gets the server's arguments.
    let echoed = call(
        &socket,
        "echo",
        &[json!(1), json!({ "two": [2] }), json!("three")],
    )
    .await;
    assert_eq!(echoed, [json!(1), json!({ "two": [2] }), json!("three")]);
    // Server to client: the event carries an ack id; the answer goes back and is echoed.
    let ask = Recorder::default();
    socket
        .emit(
            None,
            &args(&["ask".into(), "color?".into()]),
            Some(ask.function()),
            None,
            0,
        )
        .unwrap();
    until("question", || log.count("event") > 0).await;
    let (question, id) = log.entry("event");
    assert_eq!(json(&question), json!(["question", "color?"]));
    socket
        .ack(id.as_f64().unwrap(), None, &args(&["blue".into()]))
        .unwrap();
    until("answer", || ask.count() > 0).await;
    assert_eq!(json(&ask.take()[0].get(0)), json!({ "answer": "blue" }));
    manager.close();
}

#[wasm_bindgen_test]
async fn a_placeholder_like_object_in_a_plain_event_is_data() {
    let (manager, _, socket, log) = connect(json!({}), "/");
    connected(&socket, &log, json!({})).await;
    // Without attachments nothing is a placeholder (an `ArrayBuffer` would read back as `{}`).
    let lookalike = json!({ "_placeholder": true, "num": 0 });
    let echoed = call(&socket, "echo", std::slice::from_ref(&lookalike)).await;
    assert_eq!(echoed, std::slice::from_ref(&lookalike));
    socket
        .emit(
            None,
            &args(&["echo".into(), obj(&lookalike)]),
            None,
            None,
            0,
        )
        .unwrap();
    until("echo", || log.count("event") > 0).await;
    assert_eq!(json(&log.value("event")), json!(["echo", lookalike]));
    manager.close();
}

#[wasm_bindgen_test]
async fn timed_ack_fails_with_an_error_first() {
    let (manager, _, socket, log) = connect(json!({ "transports": ["polling"] }), "/");
    connected(&socket, &log, json!({})).await;
    // "record" is never acknowledged.
    let ack = Recorder::default();
    socket
        .emit(
            None,
            &args(&["record".into(), 1.into()]),
            Some(ack.function()),
            Some(50.0),
            0,
        )
        .unwrap();
    until("timeout", || ack.count() > 0).await;
    let err = ack.take()[0].get(0);
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        String::from(err.unchecked_into::<js_sys::Error>().message()),
        "operation has timed out"
    );
    // With a timeout, a successful ack gets `null` first.
    let ack = Recorder::default();
    socket
        .emit(
            None,
            &args(&["echo".into(), 7.into()]),
            Some(ack.function()),
            Some(5000.0),
            0,
        )
        .unwrap();
    until("ack", || ack.count() > 0).await;
    assert_eq!(json(&ack.take()[0]), json!([null, 7]));
    manager.close();
}

#[wasm_bindgen_test]
async fn binary_round_trips_nested_anywhere() {
    for transport in ["polling", "websocket"] {
        let (manager, _, socket, log) = connect(json!({ "transports": [transport] }), "/");
        connected(&socket, &log, json!({})).await;
        let buffer = Uint8Array::from(&[1u8, 2, 3][..]).buffer();
        let backing = Uint8Array::from(&[9u8, 8, 7, 6, 5][..]);
        // A view of the middle of a larger buffer: only its bytes travel.
        let view = Uint8Array::new_with_byte_offset_and_length(&backing.buffer(), 1, 3);
        let data_view = DataView::new(&Uint8Array::from(&[42u8][..]).buffer(), 0, 1);
        let blob =
            web_sys::Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(&b"blob"[..])))
                .unwrap();
        let nested = obj(&json!({ "list": [null, { "deep": null }] }));
        let list = js_sys::Reflect::get(&nested, &"list".into()).unwrap();
        let deep = Array::from(&list).get(1);
        js_sys::Reflect::set(&deep, &"deep".into(), &view).unwrap();
        js_sys::Reflect::set(&nested, &"blob".into(), &blob).unwrap();
        js_sys::Reflect::set(&nested, &"dv".into(), &data_view).unwrap();

        let first = Recorder::default();
        let second = Recorder::default();
        socket
            .emit(
                None,
                &args(&["echo".into(), buffer.into(), nested]),
                Some(first.function()),
                None,
                0,
            )
            .unwrap();
        // An emit right behind one holding a Blob keeps its place in the send order.
        socket
            .emit(
                None,
                &args(&["echo".into(), "after".into()]),
                Some(second.function()),
                None,
                0,
            )
            .unwrap();
        until("both acks", || first.count() > 0 && second.count() > 0).await;
        assert!(
            first.order() < second.order(),
            "{transport}: the blob emit went first"
        );

        let echoed = first.take().remove(0);
        let bytes = |v: JsValue| {
            assert!(
                v.is_instance_of::<ArrayBuffer>(),
                "{transport}: received binary is an ArrayBuffer"
            );
            Uint8Array::new(&v).to_vec()
        };
        assert_eq!(bytes(echoed.get(0)), [1, 2, 3]);
        let nested = echoed.get(1);
        let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).unwrap();
        let list = Array::from(&get(&nested, "list"));
        assert!(list.get(0).is_null());
        assert_eq!(bytes(get(&list.get(1), "deep")), [8, 7, 6]);
        assert_eq!(bytes(get(&nested, "blob")), b"blob");
        assert_eq!(bytes(get(&nested, "dv")), [42]);

        // Server to client.
        let ack = Recorder::default();
        socket
            .emit(
                None,
                &args(&["binary".into()]),
                Some(ack.function()),
                None,
                0,
            )
            .unwrap();
        until("binary event", || log.count("event") > 0).await;
        let event = Array::from(&log.value("event"));
        assert_eq!(event.get(0).as_string().unwrap(), "binary");
        assert_eq!(bytes(get(&event.get(1), "bytes")), [1, 2, 3]);
        assert_eq!(
            bytes(Array::from(&get(&event.get(1), "nested")).get(0)),
            [4]
        );
        assert_eq!(bytes(event.get(2)), [5, 6]);
        manager.close();
    }
}

#[wasm_bindgen_test]
async fn reconnects_after_the_server_drops_the_transport() {
    let opts =
        json!({ "reconnectionDelay": 50, "randomizationFactor": 0, "transports": ["websocket"] });
    let (manager, manager_log, socket, log) = connect(opts, "/");
    connected(&socket, &log, json!({ "name": "drop" })).await;
    let first_id = socket.id().as_string().unwrap();
    socket
        .emit(None, &args(&["drop".into()]), None, None, 0)
        .unwrap();
    until("disconnect", || log.count("disconnect") > 0).await;
    let (reason, description) = log.entry("disconnect");
    assert_eq!(reason.as_string().unwrap(), "transport close");
    // The reference's second argument: what closed the connection.
    assert_eq!(
        json(&description),
        json!({ "description": "websocket connection closed" })
    );
    assert_eq!(
        json(&manager_log.value("closeDescription")),
        json!({ "description": "websocket connection closed" })
    );
    // Not deliberate: the socket stays active and the manager reconnects it.
    assert!(socket.active());
    connected(&socket, &log, json!({ "name": "drop" })).await;
    assert_eq!(log.count("connect"), 2);
    assert_ne!(socket.id().as_string().unwrap(), first_id);
    let kinds = manager_log.kinds();
    let attempt = kinds.iter().position(|k| k == "reconnect_attempt").unwrap();
    let reconnect = kinds.iter().position(|k| k == "reconnect").unwrap();
    assert!(attempt < reconnect, "{kinds:?}");
    assert_eq!(manager_log.value("reconnect").as_f64(), Some(1.0));
    manager.close();
}

#[wasm_bindgen_test]
async fn emits_while_offline_are_buffered_until_connected_except_volatile_ones() {
    let (manager, _, socket, log) = connect(json!({ "autoConnect": false }), "/");
    // The server keeps records for its whole life: a name of this run's own.
    let name = format!("offline-{}", js_sys::Math::random());
    for n in 1..=3 {
        socket
            .emit(None, &args(&["record".into(), n.into()]), None, None, 0)
            .unwrap();
    }
    socket
        .emit(None, &args(&["record".into(), 99.into()]), None, None, 2)
        .unwrap();
    assert!(!socket.connected());
    socket.connect(false);
    connected(&socket, &log, json!({ "name": name })).await;
    let records = call(&socket, "records", &[json!(name)]).await;
    assert_eq!(records[0], json!([1, 2, 3]));
    manager.close();
}

#[wasm_bindgen_test]
async fn each_transport_mode_and_the_upgrade() {
    for (transports, expected) in [
        (json!(["polling"]), "polling"),
        (json!(["websocket"]), "websocket"),
    ] {
        let (manager, manager_log, socket, log) = connect(json!({ "transports": transports }), "/");
        connected(&socket, &log, json!({})).await;
        let who = call(&socket, "whoami", &[]).await;
        assert_eq!(who[0]["transport"], json!(expected));
        assert_eq!(manager.transport().as_string().unwrap(), expected);
        assert_eq!(manager_log.count("upgrade"), 0);
        manager.close();
    }
    // The default: long-polling first, then the probe and the upgrade to WebSocket.
    let (manager, manager_log, socket, log) = connect(json!({}), "/");
    connected(&socket, &log, json!({})).await;
    until("upgrade", || manager_log.count("upgrade") > 0).await;
    assert_eq!(
        json(&manager_log.value("upgrade")),
        json!({ "name": "websocket" })
    );
    assert_eq!(manager.transport().as_string().unwrap(), "websocket");
    let who = call(&socket, "whoami", &[]).await;
    assert_eq!(who[0]["transport"], json!("websocket"));
    manager.close();
}

#[wasm_bindgen_test]
async fn engine_packet_events_once_asked_for() {
    let (manager, manager_log, socket, log) = connect(json!({ "transports": ["websocket"] }), "/");
    manager.packet_events(true, true);
    connected(&socket, &log, json!({})).await;
    let _ = call(&socket, "echo", &[json!("x")]).await;
    let packets: Vec<serde_json::Value> = manager_log.values("packet").iter().map(json).collect();
    assert_eq!(packets[0]["type"], json!("open"));
    assert!(
        packets.iter().any(|p| p["type"] == json!("message")),
        "{packets:?}"
    );
    manager.close();
}

#[wasm_bindgen_test]
async fn handlers_may_emit_from_inside_a_handler() {
    let manager_log = Log::default();
    let manager = JsManager::new(
        &url(),
        obj(&json!({ "transports": ["websocket"] })),
        manager_log.function(),
        None,
    )
    .unwrap();
    let slot: Rc<RefCell<Option<JsSocket>>> = Rc::default();
    let acks = Recorder::default();
    let events = Log::default();
    let handler = {
        let slot = Rc::clone(&slot);
        let acks = acks.clone();
        let events = events.clone();
        Closure::<dyn FnMut(JsValue, JsValue, JsValue)>::new(
            move |kind: JsValue, value: JsValue, extra: JsValue| {
                let kind = kind.as_string().unwrap();
                events.push(&kind, value, extra);
                let slot = slot.borrow();
                let Some(socket) = slot.as_ref() else { return };
                match kind.as_str() {
                    "auth" => socket.connect_with_auth(&JsValue::NULL).unwrap(),
                    // Inside the connect handler: an emit with an ack, and one answered as an event.
                    "connect" => {
                        socket
                            .emit(
                                None,
                                &args(&["echo".into(), "from connect".into()]),
                                Some(acks.function()),
                                None,
                                0,
                            )
                            .unwrap();
                        socket
                            .emit(
                                None,
                                &args(&["echo".into(), "bounce".into()]),
                                None,
                                None,
                                0,
                            )
                            .unwrap();
                        assert!(socket.connected());
                    }
                    // Inside an event handler: emit again, and disconnect.
                    "event" if events.count("event") == 1 => {
                        socket
                            .emit(
                                None,
                                &args(&["echo".into(), "from event".into()]),
                                Some(acks.function()),
                                None,
                                0,
                            )
                            .unwrap();
                    }
                    _ => {}
                }
            },
        )
    };
    let socket = manager
        .socket(
            "/",
            &JsValue::UNDEFINED,
            handler.as_ref().clone().unchecked_into(),
        )
        .unwrap();
    *slot.borrow_mut() = Some(socket);
    // The auth request may have come before the socket was stored.
    if events.count("auth") > 0 {
        slot.borrow()
            .as_ref()
            .unwrap()
            .connect_with_auth(&JsValue::NULL)
            .unwrap();
    }
    until("two acks", || acks.count() == 2).await;
    let acked: Vec<serde_json::Value> = acks.take().iter().map(|a| json(&a.into())).collect();
    assert_eq!(acked, [json!(["from connect"]), json!(["from event"])]);
    assert_eq!(json(&events.value("event")), json!(["echo", "bounce"]));
    // Events reached the handler in order: auth, connect, then the echo.
    let kinds = events.kinds();
    assert_eq!(&kinds[..3], ["auth", "connect", "event"]);
    manager.close();
    drop(handler);
}

#[wasm_bindgen_test]
async fn manager_settings_apply_to_the_next_reconnection() {
    let opts =
        json!({ "reconnectionDelay": 50, "randomizationFactor": 0, "transports": ["websocket"] });
    let (manager, manager_log, socket, log) = connect(opts, "/");
    connected(&socket, &log, json!({})).await;
    // No attempt allowed: the loss ends in `reconnect_failed`.
    manager.set("reconnectionAttempts", &0.into());
    socket
        .emit(None, &args(&["drop".into()]), None, None, 0)
        .unwrap();
    until("reconnect_failed", || {
        manager_log.count("reconnect_failed") > 0
    })
    .await;
    assert_eq!(manager_log.count("reconnect_attempt"), 0);
    // Reconnection off: opened again, then lost, nothing is attempted.
    manager.set("reconnectionAttempts", &f64::INFINITY.into());
    manager.set("reconnection", &false.into());
    manager.open();
    connected(&socket, &log, json!({})).await;
    socket
        .emit(None, &args(&["drop".into()]), None, None, 0)
        .unwrap();
    until("disconnect", || log.count("disconnect") == 2).await;
    gloo_timers::future::TimeoutFuture::new(300).await;
    assert_eq!(manager_log.count("reconnect_attempt"), 0);
    assert!(!manager.reconnecting());
    // On again: the next loss reconnects.
    manager.set("reconnection", &true.into());
    manager.open();
    connected(&socket, &log, json!({})).await;
    socket
        .emit(None, &args(&["drop".into()]), None, None, 0)
        .unwrap();
    connected(&socket, &log, json!({})).await;
    assert_eq!(manager_log.count("reconnect_attempt"), 1);
    // A deliberate disconnection has no description.
    socket
        .emit(None, &args(&["kick".into()]), None, None, 0)
        .unwrap();
    until("kick", || log.count("disconnect") == 4).await;
    let (reason, description) = log.entry("disconnect");
    assert_eq!(reason.as_string().unwrap(), "io server disconnect");
    assert!(description.is_undefined());
    manager.close();
}

#[wasm_bindgen_test]
async fn rooms_via_the_server() {
    let (manager_a, _, a, a_log) = connect(json!({ "transports": ["websocket"] }), "/");
    let (manager_b, _, b, b_log) = connect(json!({ "transports": ["websocket"] }), "/");
    connected(&a, &a_log, json!({})).await;
    connected(&b, &b_log, json!({})).await;
    let room = format!("room-{}", js_sys::Math::random());
    let rooms = call(&a, "join", &[json!(room)]).await;
    assert!(rooms[0].as_array().unwrap().contains(&json!(room)));
    let sent = call(
        &b,
        "to-room",
        &[json!(room), json!("hello"), json!("from b")],
    )
    .await;
    assert_eq!(sent, [json!(true)]);
    until("hello", || a_log.count("event") > 0).await;
    assert_eq!(json(&a_log.value("event")), json!(["hello", "from b"]));
    // b is not in the room: a round trip later it has heard nothing.
    let _ = call(&b, "echo", &[json!(1)]).await;
    assert_eq!(b_log.count("event"), 0);
    manager_a.close();
    manager_b.close();
}

#[wasm_bindgen_test]
async fn retries_resend_until_acknowledged() {
    let manager_log = Log::default();
    let manager = JsManager::new(&url(), obj(&json!({})), manager_log.function(), None).unwrap();
    let log = Log::default();
    let socket = manager
        .socket(
            "/",
            &obj(&json!({ "retries": 3, "ackTimeout": 200 })),
            log.function(),
        )
        .unwrap();
    connected(&socket, &log, json!({})).await;
    // The server acknowledges only the second delivery of a key; with retries the ack gets an
    // error-first `null` and the count.
    let key = format!("js-{}", js_sys::Math::random());
    let ack = Recorder::default();
    socket
        .emit(
            None,
            &args(&["flaky".into(), key.as_str().into()]),
            Some(ack.function()),
            None,
            0,
        )
        .unwrap();
    until("flaky", || ack.count() > 0).await;
    let call = ack.take().remove(0);
    assert!(call.get(0).is_null(), "{:?}", json(&call.get(0)));
    assert_eq!(call.get(1).as_f64(), Some(2.0));
    manager.close();
}

#[wasm_bindgen_test]
async fn connection_state_recovery_restores_missed_events() {
    let opts =
        json!({ "reconnectionDelay": 50, "randomizationFactor": 0, "transports": ["websocket"] });
    let manager_log = Log::default();
    let manager =
        JsManager::new(&recovery_url(), obj(&opts), manager_log.function(), None).unwrap();
    let (socket, log) = socket(&manager, "/");
    connected(&socket, &log, json!({})).await;
    assert!(!socket.recovered());
    // An event first: the client sends back the offset of the last one it got.
    socket
        .emit(None, &args(&["echo".into(), 0.into()]), None, None, 0)
        .unwrap();
    until("echo", || log.count("event") == 1).await;
    let first_id = socket.id().as_string().unwrap();
    socket
        .emit(None, &args(&["drop-transport".into()]), None, None, 0)
        .unwrap();
    until("disconnect", || log.count("disconnect") == 1).await;
    connected(&socket, &log, json!({})).await;
    assert!(socket.recovered());
    assert_eq!(socket.id().as_string().unwrap(), first_id);
    until("missed", || log.count("event") == 3).await;
    // The JS surface passes the offset through as the reference does: the last argument.
    let missed: Vec<serde_json::Value> = log.values("event").iter().map(json).collect();
    assert_eq!(
        (&missed[1][0], &missed[1][1]),
        (&json!("missed"), &json!(1))
    );
    assert_eq!(
        (&missed[2][0], &missed[2][1]),
        (&json!("missed"), &json!(2))
    );
    assert!(missed[2][2].is_string(), "{missed:?}");
    manager.close();
}
