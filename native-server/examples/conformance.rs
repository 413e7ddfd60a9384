//! The server the protocol test suites run against (`socketio/socket.io-protocol` and
//! `socketio/engine.io-protocol` `test-suite/`): pingInterval 300 ms, pingTimeout 200 ms,
//! maxPayload 1e6, connectTimeout 1000 ms, CORS `*`.
//!
//! ```text
//! cargo run -p sockeye-server --example conformance -- [--port 3000] [--engine-io]
//!     [--per-message-deflate] [--parser msgpack]
//! ```
//!
//! - default: Socket.IO at `/socket.io/`. `/` and `/custom` emit `auth` with the handshake's auth
//!   on connect; `/` echoes `message` as `message-back` and acknowledges `message-with-ack` with
//!   its arguments; any other namespace is refused with `Invalid namespace`.
//! - `--engine-io`: a bare Engine.IO echo server at `/engine.io/`.
//! - `--per-message-deflate`: WebSocket compression on (threshold 1,024 bytes).
//! - `--parser msgpack`: Socket.IO packets as socket.io-msgpack-parser writes them (default `json`).
//!
//! Prints `listening on http://ADDR` on stdout once bound.

mod common;

use std::time::Duration;

use sockeye_server::{AckSender, Args, Cors, EngineIo, PerMessageDeflate, SocketIo, SocketRef};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    common::init_tracing();
    let mut port: u16 = 3000;
    let mut engine_io = false;
    let mut deflate = None;
    let mut parser = sockeye_server::Parser::Json;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--engine-io" => engine_io = true,
            "--per-message-deflate" => deflate = Some(PerMessageDeflate::default()),
            "--parser" => {
                parser = common::parser_arg(args.next()).map_err(std::io::Error::other)?
            }
            "--port" => {
                port = args
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| std::io::Error::other("--port needs a port number"))?
            }
            other => return Err(std::io::Error::other(format!("unknown option: {other}"))),
        }
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);

    if engine_io {
        let mut builder = EngineIo::builder()
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(200))
            .max_http_buffer_size(1_000_000)
            .cors(Cors::any());
        if let Some(deflate) = deflate {
            builder = builder.per_message_deflate(deflate);
        }
        let (svc, engine) = builder.build_svc();
        engine.on_connection(|socket| async move {
            socket.on_message(|socket, msg| async move {
                let _ = socket.send(msg);
            });
        });
        return sockeye_server::serve(listener, svc, std::future::pending()).await;
    }

    let mut builder = SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_http_buffer_size(1_000_000)
        .connect_timeout(Duration::from_millis(1000))
        .parser(parser)
        .cors(Cors::any());
    if let Some(deflate) = deflate {
        builder = builder.per_message_deflate(deflate);
    }
    let (svc, io) = builder.build_svc();
    io.ns("/", |socket: SocketRef| {
        let _ = socket.emit("auth", &socket.handshake().auth_value());
        socket.on("message", |socket: SocketRef, args: Args| {
            let _ = socket.emit("message-back", &args);
        });
        socket.on("message-with-ack", |args: Args, ack: AckSender| {
            let _ = ack.send(&args);
        });
    });
    io.ns("/custom", |socket: SocketRef| {
        let _ = socket.emit("auth", &socket.handshake().auth_value());
    });
    sockeye_server::serve(listener, svc, io.closed()).await
}
