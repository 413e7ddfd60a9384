//! The browser and native clients' test fixture on sockeye-server: the handlers of
//! `wasm-client/tests/support/server.mjs` (its twin on the official `socket.io` server), so that
//! the same tests run against both. The `wasm-peer` example serves them; the native client's tests
//! (`wasm-client/tests/native/servers.rs`) include this file and serve them in process. Hence it
//! uses nothing of `common` but what it defines itself.
//!
//! Namespaces `/`, `/a` and `/b`; a middleware refuses `auth.token === "bad"` with data.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use sockeye_server::value::{Map, Values};
use sockeye_server::{AckSender, Args, ConnectError, Data, Event, SocketIo, SocketRef, Value};

/// The `i`-th argument of `ev` as a string (empty when it is not one).
pub(crate) fn str_arg(ev: &Event, i: usize) -> String {
    ev.arg::<String>(i).unwrap_or_default()
}

/// `join(room, cb)`: joins `room` and answers the socket's rooms, sorted.
pub(crate) fn on_join(socket: &SocketRef) {
    socket.on("join", |socket: SocketRef, ev: Event, ack: AckSender| {
        // Refused only past `max_rooms_per_socket`; the rooms answered tell the client.
        let _ = socket.join(str_arg(&ev, 0));
        let mut rooms = socket.rooms();
        rooms.sort();
        let _ = ack.send(&rooms);
    });
}

/// What the handlers share across connections: the `record`s by client name, and how many times
/// each `flaky` key arrived.
#[derive(Default)]
pub(crate) struct State {
    records: Mutex<HashMap<String, Vec<Value>>>,
    deliveries: Mutex<HashMap<String, u32>>,
}

fn name_of(socket: &SocketRef) -> String {
    socket
        .handshake()
        .auth_value()
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The fixture's handlers on one socket.
pub(crate) fn handlers(socket: &SocketRef, state: &Arc<State>) {
    socket.on("whoami", |socket: SocketRef, ack: AckSender| {
        let query: serde_json::Map<String, serde_json::Value> = socket
            .handshake()
            .query
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let auth: serde_json::Value = socket.handshake().auth().unwrap_or_default();
        let _ = ack.send(&json!({
            "id": socket.id(),
            "nsp": socket.nsp(),
            "engine": socket.conn().id(),
            "transport": socket.transport().as_str(),
            "auth": auth,
            "query": query,
            "recovered": socket.recovered(),
        }));
    });
    // Acknowledges with the arguments, or emits them back as "echo".
    socket.on("echo", |socket: SocketRef, args: Args, ack: AckSender| {
        if ack.is_requested() {
            let _ = ack.send(&args);
        } else {
            let _ = socket.emit("echo", &args);
        }
    });
    let st = Arc::clone(state);
    socket.on(
        "record",
        move |socket: SocketRef, Data(value): Data<Value>| {
            let mut records = st.records.lock().unwrap_or_else(|e| e.into_inner());
            records.entry(name_of(&socket)).or_default().push(value);
        },
    );
    let st = Arc::clone(state);
    socket.on("records", move |ev: Event| {
        let list = {
            let records = st.records.lock().unwrap_or_else(|e| e.into_inner());
            records.get(&str_arg(&ev, 0)).cloned().unwrap_or_default()
        };
        let _ = ev.ack_with(&Value::Array(list));
    });
    // Acknowledges only the second delivery of each key (the client's retries resend it).
    let st = Arc::clone(state);
    socket.on("flaky", move |ev: Event| {
        let seen = {
            let mut deliveries = st.deliveries.lock().unwrap_or_else(|e| e.into_inner());
            let seen = deliveries.entry(str_arg(&ev, 0)).or_default();
            *seen += 1;
            *seen
        };
        if seen >= 2 {
            let _ = ev.ack_with(&seen);
        }
    });
    on_join(socket);
    // to-room(room, event, ...args, ack): to the room's sockets but this one.
    socket.on("to-room", |socket: SocketRef, ev: Event| {
        let args = ev.args().tail(2);
        let sent = socket.to(str_arg(&ev, 0)).emit(&str_arg(&ev, 1), &args);
        let _ = ev.ack_with(&sent.is_ok());
    });
    // Asks the client a question (an event with an ack), then acknowledges with its answer.
    socket.on("ask", |socket: SocketRef, ev: Event| async move {
        let question = ev.arg::<Value>(0).unwrap_or_default();
        let answer: Result<Value, _> = socket
            .timeout(Duration::from_secs(5))
            .emit_with_ack("question", &question)
            .await;
        let reply = match answer {
            Ok(answer) => json!({ "answer": serde_json::to_value(answer).unwrap_or_default() }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let _ = ev.ack_with(&reply);
    });
    // Sends binary the other way: nested in an object, and as a top-level argument.
    socket.on("binary", |socket: SocketRef, ack: AckSender| {
        let bytes = |b: &[u8]| Value::Binary(Bytes::copy_from_slice(b));
        let mut nested = Map::new();
        nested.insert("bytes", bytes(&[1, 2, 3]));
        nested.insert("nested", Value::Array(vec![bytes(&[4])]));
        let _ = socket.emit(
            "binary",
            &Values(vec![Value::Object(nested), bytes(&[5, 6])]),
        );
        let _ = ack.send("sent");
    });
    // Closes the Engine.IO connection under every namespace: "transport close", and reconnection.
    socket.on("drop", |socket: SocketRef| {
        socket.conn().close();
    });
    // Disconnects this namespace socket: "io server disconnect", no reconnection.
    socket.on("kick", |socket: SocketRef| {
        socket.disconnect();
    });
    // Drops the transport, then, while the client is away, emits `missed` 1 and 2 to it: kept
    // for it by connection state recovery.
    socket.on("drop-transport", |socket: SocketRef| async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let tx = Mutex::new(Some(tx));
        socket.on_disconnect(move || {
            if let Some(tx) = tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = tx.send(());
            }
        });
        let id = socket.id().to_owned();
        let nsp = socket.namespace().clone();
        socket.conn().close();
        if rx.await.is_ok() {
            let _ = nsp.to(id.as_str()).emit("missed", &1);
            let _ = nsp.to(id.as_str()).emit("missed", &2);
        }
    });
}

/// The fixture on `io`: the middleware, and the handlers on `/`, `/a` and `/b`.
pub(crate) fn configure(io: &SocketIo, state: &Arc<State>) {
    io.use_middleware(|socket: SocketRef| async move {
        let auth = socket.handshake().auth_value();
        if auth.get("token").and_then(Value::as_str) == Some("bad") {
            return Err(
                ConnectError::new("unauthorized").with_data(&json!({ "reason": "bad token" }))
            );
        }
        Ok(())
    });
    for nsp in ["/", "/a", "/b"] {
        let state = Arc::clone(state);
        io.ns(nsp, move |socket: SocketRef| handlers(&socket, &state));
    }
}
