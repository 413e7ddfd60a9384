//! The socketioxide peer of `scripts/bench-load-compare.sh`: default options, the handlers every
//! benchmark server has on `/` (see native-server/examples/bench.rs):
//! `echo-ack(...args)` acks with its arguments, `join(room)` joins and acks, `to-room(room, event,
//! arg)` emits `event` with `arg` to the room's other sockets and acks `true`.
//!
//! Usage: `bench-peer-socketioxide [--port 0] [--exit-with-stdin]`; prints
//! `listening on http://ADDR` once bound.

use std::io::Read;

use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

#[tokio::main]
async fn main() {
    let mut port = 3000_u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port N"),
            "--exit-with-stdin" => {
                std::thread::spawn(|| {
                    let mut buf = [0u8; 64];
                    let mut stdin = std::io::stdin();
                    while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
                    std::process::exit(0);
                });
            }
            other => panic!("unknown option: {other}"),
        }
    }

    let (layer, io) = SocketIo::new_layer();
    io.ns("/", async |s: SocketRef| {
        s.on("echo-ack", async |Data(data): Data<Value>, ack: AckSender| {
            ack.send(&data).ok();
        });
        s.on("join", async |s: SocketRef, Data(room): Data<String>, ack: AckSender| {
            s.join(room);
            ack.send(&()).ok();
        });
        s.on(
            "to-room",
            async |s: SocketRef, Data((room, event, arg)): Data<(String, String, Value)>, ack: AckSender| {
                let sent = s.to(room).emit(&event, &arg).await;
                ack.send(&sent.is_ok()).ok();
            },
        );
    });

    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().expect("local address"));
    axum::serve(listener, app).await.expect("serve");
}
