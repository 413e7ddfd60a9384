//! The global caps: sessions (`max_clients`), open connections in all and per address
//! (`ServeConfig::max_connections`, `max_connections_per_ip`), each refusal a 503 with the
//! Engine.IO error body; and the write timeouts that close a client that stopped reading.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Polling, Sio, WAIT, Ws, channel, next};
use sockeye_server::{DisconnectReason, ServeConfig, SocketIo, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOO_MANY_CLIENTS: &str = r#"{"code":4,"message":"Too many clients"}"#;
const TOO_MANY_CONNECTIONS: &str = r#"{"code":4,"message":"Too many connections"}"#;

/// The status of a refused WebSocket handshake.
async fn ws_refusal(addr: SocketAddr) -> u16 {
    match Ws::try_connect(addr, "EIO=4&transport=websocket").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn handshakes_past_max_clients_get_503_until_a_session_ends() {
    let (addr, io) = common::start(common::fast().max_clients(2)).await;
    io.ns("/", |_s: SocketRef| async move {});
    let first = Polling::open(addr).await;
    let _second = Sio::connect(addr, "").await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.body, TOO_MANY_CLIENTS);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(ws_refusal(addr).await, 503);
    // A session's own requests are not handshakes.
    assert_eq!(first.post("40").await.body, "ok");
    // Once one ends, a handshake passes again.
    assert_eq!(first.post("1").await.body, "ok");
    tokio::time::timeout(WAIT, async {
        while io.engine().clients_count() > 1 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    Polling::open(addr).await;
}

#[tokio::test]
async fn handshakes_bringing_more_than_max_handshake_header_bytes_get_431() {
    let (addr, io) = common::start(common::fast().max_handshake_header_bytes(2048)).await;
    io.ns("/", |_s: SocketRef| async move {});
    let path = "/socket.io/?EIO=4&transport=polling";
    let small = "x".repeat(1000);
    let res = common::send(addr, "GET", path, &[("X-Big", &small)], b"")
        .await
        .response()
        .await;
    assert_eq!(res.status, 200, "{res:?}");
    let big = "x".repeat(3000);
    let res = common::send(addr, "GET", path, &[("X-Big", &big)], b"")
        .await
        .response()
        .await;
    assert_eq!(res.status, 431);
    assert_eq!(io.engine().clients_count(), 1, "no session for it");
    // A WebSocket handshake too.
    let mut req = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("x-big", big.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 431),
        other => panic!("expected 431, got {:?}", other.map(|_| ())),
    }
}

/// An open connection that has sent nothing yet (it counts until the server closes it).
async fn idle(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

/// Retries a handshake until it is not refused, or fails after [`WAIT`].
async fn eventually_served(addr: SocketAddr, path: &str) {
    let url = format!("{path}?EIO=4&transport=polling");
    tokio::time::timeout(WAIT, async {
        loop {
            let res = common::get(addr, &url).await;
            if res.status == 200 {
                return;
            }
            assert_eq!(res.status, 503, "{res:?}");
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("served once a connection closed");
}

#[tokio::test]
async fn connections_past_max_connections_per_ip_get_503() {
    let mut config = ServeConfig::default();
    config.max_connections_per_ip = 2;
    let (addr, _io) = common::start_with(SocketIo::builder(), config).await;
    let a = idle(addr).await;
    let _b = idle(addr).await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 503);
    assert_eq!(res.body, TOO_MANY_CONNECTIONS);
    assert_eq!(res.header("connection"), Some("close"));
    // Not an Engine.IO request: the message as text.
    let res = common::get(addr, "/other").await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (503, "Too many connections")
    );
    assert_eq!(ws_refusal(addr).await, 503);
    drop(a);
    eventually_served(addr, "/socket.io/").await;
}

#[tokio::test]
async fn connections_past_max_connections_get_503_and_websockets_count() {
    let mut config = ServeConfig::default();
    config.max_connections = 2;
    let (addr, io) = common::start_with(SocketIo::builder(), config).await;
    io.ns("/", |_s: SocketRef| async move {});
    let mut ws = Sio::connect(addr, "").await;
    let _idle = idle(addr).await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!((res.status, res.body.as_str()), (503, TOO_MANY_CONNECTIONS));
    // The upgraded connection counts until it closes.
    ws.send("41").await;
    ws.ws.inner.close(None).await.unwrap();
    eventually_served(addr, "/socket.io/").await;
}

/// Serves `/` with a channel for disconnection reasons.
fn reasons(io: &SocketIo) -> tokio::sync::mpsc::UnboundedReceiver<DisconnectReason> {
    let (tx, rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
                let _ = tx.send(reason);
            });
        }
    });
    rx
}

/// More than loopback's socket buffers hold (a few MB each way).
const FLOOD: usize = 24 << 20;

#[tokio::test]
async fn a_websocket_client_that_stops_reading_is_closed_after_write_timeout() {
    // Heartbeats far off and no buffer bound in the way: only the write timeout can close it.
    let builder = SocketIo::builder()
        .max_buffered_bytes(1 << 30)
        .write_timeout(Duration::from_millis(300));
    let (addr, io) = common::start(builder).await;
    let mut rx = reasons(&io);
    let stalled = Sio::connect(addr, "").await;
    let chunk = "x".repeat(1 << 20);
    for _ in 0..FLOOD >> 20 {
        io.to(stalled.sid.as_str()).emit("flood", &chunk).unwrap();
    }
    assert_eq!(next(&mut rx).await, DisconnectReason::TransportError);
    drop(stalled);
}

#[tokio::test]
async fn a_polling_response_that_is_not_read_is_cut_off_after_write_timeout() {
    let mut config = ServeConfig::default();
    config.write_timeout = Duration::from_millis(300);
    // One connection at a time: the next is served only once the stalled one is closed.
    config.max_connections = 1;
    let (svc, engine) = sockeye_server::EngineIo::builder()
        .max_buffered_bytes(1 << 30)
        .build_svc();
    // Queued before the handshake is answered, so its answer carries them all.
    engine.on_connection(|socket| async move {
        let chunk = "x".repeat(1 << 20);
        for _ in 0..FLOOD >> 20 {
            let _ = socket.send(sockeye_server::Message::Text(chunk.clone()));
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve_with(
        listener,
        svc,
        std::future::pending(),
        config,
    ));
    // A handshake, then on the same connection a GET whose answer is never read.
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stalled.write_all(head.as_bytes()).await.unwrap();
    let open = read_body(&mut stalled).await;
    let sid = common::sid_of(&open);
    let head = format!(
        "GET /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    eventually_served(addr, "/engine.io/").await;
    // What the client finally reads is cut short.
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(WAIT, stalled.read_to_end(&mut raw)).await;
    assert!(raw.len() < FLOOD, "{} bytes", raw.len());
}

/// Reads one response from a kept-alive connection; returns its body.
async fn read_body(stream: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap().to_ascii_lowercase();
    let len: usize = head
        .split("content-length:")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.unwrap();
    String::from_utf8(body).unwrap()
}
