//! The server the cross-end tests and the server benchmarks run against: `tests/interop/` (the
//! official `socket.io-client` under `node --test`), `scripts/bench-vanish.sh` and
//! `scripts/bench-load.sh`. Every option keeps the reference's default unless a flag changes it.
//!
//! ```text
//! cargo run -p sockeye-server --example interop -- [--port 0] [--recovery]
//!     [--ping-interval MS] [--ping-timeout MS] [--connect-timeout MS] [--exit-with-stdin]
//!     [--www DIR] [--client-dir DIR] [--per-message-deflate] [--parser msgpack]
//! ```
//!
//! Prints `listening on http://ADDR` on stdout once bound. `--exit-with-stdin` exits when standard
//! input closes, so that a test runner's child cannot outlive it however the runner ends.
//! `GET /stats` answers `{"clients":N,"sockets":M}`: the live Engine.IO sessions and the sockets
//! on `/`. `--www DIR` serves static files at `/` and `--client-dir DIR` at `/sockeye/` (the browser
//! tests, `tests/browser/`, load their page and the npm package from the server they test, so
//! that both are one origin). `--per-message-deflate` turns WebSocket compression on (threshold
//! 1,024 bytes). `--parser msgpack` speaks socket.io-msgpack-parser's wire instead of
//! JSON (`tests/interop/msgpack.test.mjs`).
//!
//! Namespaces `/`, `/admin` (its middleware wants `auth.admin === true`) and `/chat`, each with
//! the handlers of [`handlers`]. The `/` middlewares refuse `auth.reject` (CONNECT_ERROR with
//! data) and leave a trail in the socket's data; a per-packet middleware refuses `forbidden` and
//! appends an argument to `mw-echo`.

mod common;
#[allow(
    dead_code,
    reason = "the binary's static files; this uses only `ServeDir`"
)]
#[path = "../src/bin/sockeye-server/files.rs"]
mod files;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use axum::http::header;
use serde_json::json;
use sockeye_server::value::{Map, Values};
use sockeye_server::{
    AckSender, Args, ConnectError, ConnectionStateRecovery, Data, DisconnectReason, Event,
    PerMessageDeflate, SocketIo, SocketRef, Value,
};

use common::peer::str_arg;
use files::ServeDir;

/// jemalloc with the `jemalloc` feature (as `scripts/bench-vanish.sh` builds it), as the binary has
/// it: its RSS check wants resident memory that follows what the server holds, which glibc's
/// malloc, keeping the pages of freed chunks, does not give.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

struct Options {
    port: u16,
    recovery: bool,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    connect_timeout: Option<u64>,
    www: Option<PathBuf>,
    client_dir: Option<PathBuf>,
    per_message_deflate: bool,
    parser: sockeye_server::Parser,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        port: 3000,
        recovery: false,
        ping_interval: None,
        ping_timeout: None,
        connect_timeout: None,
        www: None,
        client_dir: None,
        per_message_deflate: false,
        parser: sockeye_server::Parser::Json,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| {
            let v = args.next().ok_or(format!("{name} needs a value"))?;
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "--port" => {
                opts.port = u16::try_from(number("--port")?).map_err(|e| format!("--port: {e}"))?
            }
            "--recovery" => opts.recovery = true,
            "--per-message-deflate" => opts.per_message_deflate = true,
            "--parser" => opts.parser = common::parser_arg(args.next())?,
            "--ping-interval" => opts.ping_interval = Some(number("--ping-interval")?),
            "--ping-timeout" => opts.ping_timeout = Some(number("--ping-timeout")?),
            "--connect-timeout" => opts.connect_timeout = Some(number("--connect-timeout")?),
            "--exit-with-stdin" => common::exit_with_stdin(),
            "--www" => opts.www = Some(args.next().ok_or("--www needs a value")?.into()),
            "--client-dir" => {
                opts.client_dir = Some(args.next().ok_or("--client-dir needs a value")?.into())
            }
            other => return Err(format!("unknown option: {other}")),
        }
    }
    Ok(opts)
}

/// The arguments after the first `n`, as they came.
fn rest(ev: &Event, n: usize) -> Args {
    ev.args().tail(n)
}

/// How many times `flaky` heard each key, across sockets and reconnections (a retried emit
/// arrives again, possibly over another connection).
static TRIES: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// The handlers every namespace has. Events that take a callback answer through it.
fn handlers(io: &SocketIo, socket: &SocketRef) {
    // Who am I, as the server sees it.
    socket.on("whoami", |socket: SocketRef, ack: AckSender| {
        let mut rooms = socket.rooms();
        rooms.sort();
        let auth: serde_json::Value = socket.handshake().auth().unwrap_or_default();
        let _ = ack.send(&json!({
            "id": socket.id(),
            "nsp": socket.nsp(),
            "auth": auth,
            "engineId": socket.conn().id(),
            "transport": socket.transport().as_str(),
            "recovered": socket.recovered(),
            "data": serde_json::to_value(socket.data_value()).unwrap_or_default(),
            "rooms": rooms,
        }));
    });
    // The arguments back, as an event and as the ack.
    socket.on("echo", |socket: SocketRef, args: Args| {
        let _ = socket.emit("echo", &args);
    });
    socket.on("echo-ack", |args: Args, ack: AckSender| {
        let _ = ack.send(&args);
    });
    socket.on("mw-echo", |args: Args, ack: AckSender| {
        let _ = ack.send(&args);
    });
    // kind(value, cb): what the typed reader made of the first argument, and the value back.
    socket.on("kind", |Data(value): Data<Value>, ack: AckSender| {
        let kind = match &value {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Binary(_) => "binary",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let _ = ack.send(&(kind, value));
    });
    // pair(n, s, cb): two typed arguments, answered as two arguments the other way round.
    socket.on(
        "pair",
        |Data((n, s)): Data<(u8, String)>, ack: AckSender| {
            let _ = ack.send(&(s, n));
        },
    );
    // shapes(cb): `()` is no argument, a tuple several, anything else one; then an empty ack.
    socket.on("shapes", |socket: SocketRef, ack: AckSender| {
        let _ = socket.emit("shape", &());
        let _ = socket.emit("shape", &(1, "two"));
        let _ = socket.emit("shape", &vec![1, 2]);
        let _ = socket.emit("shape", &None::<u8>);
        let _ = ack.send(&());
    });
    // A string's length in bytes (the size-limit tests).
    socket.on("size", |ev: Event| {
        let _ = ev.ack_with(&str_arg(&ev, 0).len());
    });
    // ask(event, ...args, cb): the server emits `event` with `args` and an ack to the client,
    // and answers cb with what the client acknowledged.
    socket.on("ask", |socket: SocketRef, ev: Event| async move {
        // Every argument of the answer, as values.
        let answer: Result<Values, _> = socket
            .timeout(Duration::from_secs(5))
            .emit_with_ack(&str_arg(&ev, 0), &rest(&ev, 1))
            .await;
        // A `Value` tree, not `json!`: the answer may hold binary, which must stay attachments.
        let mut reply = Map::new();
        match answer {
            Ok(values) => reply.insert("answer", Value::Array(values.0)),
            Err(e) => reply.insert("error", Value::from(e.to_string())),
        };
        let reply = Value::Object(reply);
        let _ = ev.ack_with(&reply);
    });
    // flaky(key, n, cb): counts the deliveries of `key` and answers only from the n-th on, with
    // the count (the client's `retries` and `ackTimeout`); tries(key, cb) answers the count.
    socket.on("flaky", |ev: Event| {
        let n = ev.arg::<u64>(1).unwrap_or(1);
        let count = {
            let mut tries = TRIES.lock().unwrap_or_else(|e| e.into_inner());
            let count = tries.entry(str_arg(&ev, 0)).or_default();
            *count += 1;
            *count
        };
        if count >= n {
            let _ = ev.ack_with(&count);
        }
    });
    socket.on("tries", |ev: Event| {
        let tries = TRIES.lock().unwrap_or_else(|e| e.into_inner());
        let count = tries.get(&str_arg(&ev, 0)).copied().unwrap_or(0);
        let _ = ev.ack_with(&count);
    });
    common::peer::on_join(socket);
    socket.on("leave", |socket: SocketRef, ev: Event| {
        socket.leave(&str_arg(&ev, 0));
        let _ = ev.ack_with(&());
    });
    // to-room(room, event, ...args): to the room's other sockets (`socket.to(room)`).
    socket.on("to-room", |socket: SocketRef, ev: Event| {
        let sent = socket
            .to(str_arg(&ev, 0))
            .emit(&str_arg(&ev, 1), &rest(&ev, 2));
        let _ = ev.ack_with(&sent.is_ok());
    });
    // io-to-room(room, event, ...args): to every socket in the room, this one included.
    let server = io.clone();
    socket.on("io-to-room", move |socket: SocketRef, ev: Event| {
        let io = server.clone();
        async move {
            let room = str_arg(&ev, 0);
            let sent = if socket.nsp() == "/" {
                io.to(room).emit(&str_arg(&ev, 1), &rest(&ev, 2))
            } else {
                io.of(socket.nsp())
                    .to(room)
                    .emit(&str_arg(&ev, 1), &rest(&ev, 2))
            };
            let _ = ev.ack_with(&sent.is_ok());
        }
    });
    // broadcast(event, ...args): every other socket of the namespace.
    socket.on("broadcast", |socket: SocketRef, ev: Event| {
        let sent = socket.broadcast().emit(&str_arg(&ev, 0), &rest(&ev, 1));
        let _ = ev.ack_with(&sent.is_ok());
    });
    // except-room(room, event, ...args): every socket of the namespace outside the room.
    socket.on("except-room", |socket: SocketRef, ev: Event| {
        let sent = socket
            .namespace()
            .except(str_arg(&ev, 0))
            .emit(&str_arg(&ev, 1), &rest(&ev, 2));
        let _ = ev.ack_with(&sent.is_ok());
    });
    // volatile(event, ...args): a volatile emit to this socket.
    socket.on("volatile", |socket: SocketRef, ev: Event| {
        let sent = socket.volatile().emit(&str_arg(&ev, 0), &rest(&ev, 1));
        let _ = ev.ack_with(&sent.is_ok());
    });
    socket.on("disconnect-me", |socket: SocketRef| {
        socket.disconnect();
    });
    socket.on("close-me", |socket: SocketRef| {
        socket.disconnect_and_close();
    });
    // Drops the transport (`socket.conn.close()`); then, while the client is cut off, emits
    // `missed` 1 and 2 to it, a volatile `missed` 0 (never kept) and `missed` 3 to every socket.
    let server = io.clone();
    socket.on("drop-transport", move |socket: SocketRef| {
        let io = server.clone();
        async move {
            let id = socket.id().to_owned();
            let (tx, rx) = tokio::sync::oneshot::channel();
            let tx = std::sync::Mutex::new(Some(tx));
            socket.on_disconnect(move || {
                if let Some(tx) = tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    let _ = tx.send(());
                }
            });
            socket.conn().close();
            if rx.await.is_ok() {
                let ns = io.of(socket.nsp());
                let _ = ns.to(id.as_str()).emit("missed", &1);
                let _ = ns.to(id.as_str()).volatile().emit("missed", &0);
                let _ = ns.to(id.as_str()).emit("missed", &2);
                let _ = ns.emit("missed", &3);
            }
        }
    });
    // What a per-packet middleware refused comes back as `refused`.
    socket.on_error(|socket, error| {
        let _ = socket.emit("refused", &error.to_string());
    });
    socket.use_middleware(|_s: SocketRef, mut ev: Event| async move {
        match ev.name() {
            "forbidden" => Err("forbidden event".into()),
            "mw-echo" => {
                let mut values = ev.data::<Values>().unwrap_or_default();
                values.0.push(Value::from("via middleware"));
                ev.set_args(&values)
                    .map_err(|e| sockeye_server::EventError(e.to_string()))?;
                Ok(ev)
            }
            _ => Ok(ev),
        }
    });
    // Those watching (in the `watchers` room) hear of every departure and its reason.
    let server = io.clone();
    socket.on_disconnect(move |socket: SocketRef, reason: DisconnectReason| {
        let io = server.clone();
        async move {
            let _ = io
                .of(socket.nsp())
                .to("watchers")
                .emit("gone", &(socket.id(), reason.as_str()));
        }
    });
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let opts = match common::start("interop", parse_args) {
        Ok(o) => o,
        Err(code) => return code,
    };

    let mut builder = SocketIo::builder().parser(opts.parser);
    if let Some(ms) = opts.ping_interval {
        builder = builder.ping_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = opts.ping_timeout {
        builder = builder.ping_timeout(Duration::from_millis(ms));
    }
    if let Some(ms) = opts.connect_timeout {
        builder = builder.connect_timeout(Duration::from_millis(ms));
    }
    if opts.per_message_deflate {
        builder = builder.per_message_deflate(PerMessageDeflate::default());
    }
    if opts.recovery {
        builder = builder.connection_state_recovery(ConnectionStateRecovery::default());
    }
    let (layer, io) = builder.build_layer();

    io.use_middleware(|socket: SocketRef| async move {
        let auth = socket.handshake().auth_value();
        if let Some(reason) = auth.get("reject") {
            return Err(ConnectError::new("refused by middleware")
                .with_data(&json!({ "code": 4001, "reason": reason })));
        }
        let _ = socket.set_data(&json!({ "trail": ["first"] }));
        Ok(())
    });
    io.use_middleware(|socket: SocketRef| async move {
        let mut data = socket.data::<serde_json::Value>().unwrap_or_default();
        if let Some(trail) = data.get_mut("trail").and_then(|t| t.as_array_mut()) {
            trail.push("second".into());
        }
        let _ = socket.set_data(&data);
        Ok(())
    });
    io.of("/admin")
        .use_middleware(|socket: SocketRef| async move {
            match socket.handshake().auth_value().get("admin") {
                Some(Value::Bool(true)) => Ok(()),
                _ => Err(ConnectError::new("admins only")),
            }
        });
    for nsp in ["/", "/admin", "/chat"] {
        let server = io.clone();
        io.ns(nsp, move |socket: SocketRef| handlers(&server, &socket));
    }

    let stats_io = io.clone();
    let app = axum::Router::new().route(
        "/stats",
        axum::routing::get(move || {
            let io = stats_io.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    json!({
                        "clients": io.engine().clients_count(),
                        "sockets": io.sockets().sockets().len(),
                    })
                    .to_string(),
                )
            }
        }),
    );
    // The static files are the router's fallback, added before the layer so that the layer
    // (which answers the Socket.IO path) wraps them too.
    let app = match (opts.www, opts.client_dir) {
        (None, None) => app,
        (www, client_dir) => {
            let www = ServeDir::new(www.unwrap_or_default());
            let files = match client_dir {
                Some(dir) => ServeDir::new(dir).at("/sockeye/").fallback(www),
                None => www,
            };
            app.fallback_service(files)
        }
    }
    .layer(layer);
    common::serve("interop", opts.port, app).await
}
