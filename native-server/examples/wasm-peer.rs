//! The sockeye-server twin of `wasm-client/tests/support/server.mjs` (the official `socket.io`
//! server the browser client's tests run against): the same handlers, options and output, so that
//! `scripts/test-wasm.sh` runs the same wasm-bindgen tests against both, and
//! `scripts/bench-browser.sh` has an echo server.
//!
//! ```text
//! cargo run -p sockeye-server --example wasm-peer -- [--exit-with-stdin]
//! ```
//!
//! Binds 127.0.0.1 on two free ports, the second with connection state recovery, and prints
//! `PORT <n>` and `RECOVERY_PORT <m>`. Both allow any origin with credentials (the tests' page is
//! served from another port), ping every 2 s with a 2 s timeout. Namespaces `/`, `/a` and `/b`;
//! a middleware refuses `auth.token === "bad"` with data.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use sockeye_server::value::{Map, Values};
use sockeye_server::{
    AckSender, Args, ConnectError, ConnectionStateRecovery, Cors, CorsOrigin, Data, Event,
    SocketIo, SocketRef, Value,
};

use common::str_arg;

/// What the handlers share across connections: the `record`s by client name, and how many times
/// each `flaky` key arrived.
#[derive(Default)]
struct State {
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

fn handlers(socket: &SocketRef, state: &Arc<State>) {
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
    common::on_join(socket);
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

fn server(recovery: bool, state: &Arc<State>) -> (sockeye_server::EngineLayer, SocketIo) {
    let mut builder = SocketIo::builder()
        .cors(Cors::new(CorsOrigin::Predicate(Arc::new(|_| true))).credentials(true))
        .ping_interval(Duration::from_millis(2000))
        .ping_timeout(Duration::from_millis(2000));
    if recovery {
        builder = builder.connection_state_recovery(ConnectionStateRecovery::default());
    }
    let (layer, io) = builder.build_layer();
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
    (layer, io)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let parse = || {
        for arg in std::env::args().skip(1) {
            match arg.as_str() {
                "--exit-with-stdin" => common::exit_with_stdin(),
                other => return Err(format!("unknown option: {other}")),
            }
        }
        Ok(())
    };
    if let Err(code) = common::start("wasm-peer", parse) {
        return code;
    }
    let state = Arc::new(State::default());
    let mut servers = Vec::new();
    let mut ios = Vec::new();
    for (label, recovery) in [("PORT", false), ("RECOVERY_PORT", true)] {
        // Kept until the end: the layer alone does not keep the server's sessions alive.
        let (layer, io) = server(recovery, &state);
        ios.push(io);
        let app = axum::Router::new().layer(layer);
        let (listener, addr) = match common::bind("wasm-peer", 0).await {
            Ok(bound) => bound,
            Err(code) => return code,
        };
        println!("{label} {}", addr.port());
        servers.push(tokio::spawn(sockeye_server::serve(
            listener,
            app,
            std::future::pending(),
        )));
    }
    for server in servers {
        if let Ok(Err(e)) = server.await {
            eprintln!("wasm-peer: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    drop(ios);
    std::process::ExitCode::SUCCESS
}
