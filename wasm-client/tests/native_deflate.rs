//! The native client's WebSocket compression, permessage-deflate (RFC 7692), against
//! sockeye-server (`per_message_deflate`, in this process) and the official `socket.io` 4.8
//! server (`perMessageDeflate: true`, a Node.js process whose `ws` compresses with zlib): over
//! WebSocket and after the upgrade, large compressible events and acks both ways arrive whole,
//! and a TCP relay between client and server counts the bytes to show that they were compressed,
//! that small messages were not, and that a client offering nothing (or a server declining)
//! sends them plain.
#![cfg(feature = "native")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

#[allow(dead_code, reason = "the TLS helpers serve tests/native.rs")]
#[path = "native/servers.rs"]
mod servers;
#[path = "native/waits.rs"]
mod waits;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use sockeye_client::transports::DeflateOffer;
use sockeye_client::{Binary, Manager, ManagerEvent, Options, Parser, Payload, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use waits::{PATIENCE, ack, connected};

/// A TCP relay in front of `target` (`host:port`) that counts the bytes each way.
struct Relay {
    port: u16,
    /// Client to server, server to client.
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(target: String) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let counters = (Arc::clone(&up), Arc::clone(&down));
    let task = tokio::spawn(async move {
        let mut pipes = tokio::task::JoinSet::new();
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&target).await.unwrap();
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            pipes.spawn(pipe(client_read, server_write, Arc::clone(&counters.0)));
            pipes.spawn(pipe(server_read, client_write, Arc::clone(&counters.1)));
        }
    });
    Relay {
        port,
        up,
        down,
        task,
    }
}

/// Copies `from` to `to`, counting, until either end closes.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
) {
    let mut buf = vec![0; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        count.fetch_add(n as u64, Ordering::Relaxed);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// `host:port` of a server's URL.
fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// 64 KB of JSON text that DEFLATE shrinks to a small fraction.
fn compressible() -> Value {
    let rows: Vec<Value> = (0..800)
        .map(|i| json!({ "id": i % 10, "name": "sockeye", "tags": ["a", "b"] }))
        .collect();
    json!({ "rows": rows })
}

/// The bytes each way of echoing [`compressible`] (and binary of zeros) with an ack 5 times,
/// through a relay to `url`, on `transport` (`upgrade`: polling first), the client offering
/// `offer`.
async fn echo_bytes(url: &str, upgrade: bool, offer: Option<DeflateOffer>) -> (u64, u64) {
    let relay = relay(authority(url)).await;
    let transports = if upgrade {
        vec![Transport::Polling, Transport::WebSocket]
    } else {
        vec![Transport::WebSocket]
    };
    let options = Options::default()
        .auto_connect(false)
        .reconnection(false)
        .transports(transports)
        .per_message_deflate(offer);
    let manager = Manager::new(&format!("http://127.0.0.1:{}/", relay.port), options).unwrap();
    let mut engine = manager.events();
    let socket = manager.socket("/").unwrap();
    let mut events = socket.events();
    socket.open();
    connected(&mut events).await;
    if upgrade && manager.transport() != Some(Transport::WebSocket) {
        let upgraded = async {
            loop {
                match engine.next().await.expect("the connection is gone") {
                    ManagerEvent::Upgrade(_) => return,
                    ManagerEvent::UpgradeError(e) => panic!("upgrade error: {e:?}"),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(PATIENCE, upgraded)
            .await
            .expect("no upgrade");
    }
    assert_eq!(manager.transport(), Some(Transport::WebSocket));
    let (up0, down0) = (
        relay.up.load(Ordering::Relaxed),
        relay.down.load(Ordering::Relaxed),
    );
    for i in 0..5 {
        let payload = Payload::new()
            .arg(&compressible())
            .unwrap()
            .binary(vec![0; 20_000])
            .arg(&i)
            .unwrap();
        let (back, zeros, n): (Value, Binary, i32) = ack(&socket, "echo", payload).await;
        assert_eq!(back, compressible());
        assert_eq!(zeros, Binary(vec![0; 20_000]));
        assert_eq!(n, i);
        // Small messages both ways still arrive (under the threshold: plain).
        let small: Value = ack(&socket, "echo", &json!({ "i": i })).await;
        assert_eq!(small, json!({ "i": i }));
    }
    let up = relay.up.load(Ordering::Relaxed) - up0;
    let down = relay.down.load(Ordering::Relaxed) - down0;
    socket.disconnect();
    (up, down)
}

/// What 5 echoes carry uncompressed: 5 × (the JSON text and 20,000 bytes) each way.
fn plain_floor() -> u64 {
    5 * (compressible().to_string().len() as u64 + 20_000)
}

async fn compresses_both_ways(url: &str, upgrade: bool) {
    let floor = plain_floor();
    let (up, down) = echo_bytes(url, upgrade, Some(DeflateOffer::default())).await;
    // Compressed both ways: each way under a tenth of what the messages hold.
    assert!(
        up < floor / 10,
        "client to server: {up} bytes for {floor} of messages"
    );
    assert!(
        down < floor / 10,
        "server to client: {down} bytes for {floor} of messages"
    );
    // Offering nothing, the same exchange goes plain.
    assert_plain(echo_bytes(url, upgrade, None).await);
}

/// Each way, at least what the messages hold: nothing was compressed.
fn assert_plain((up, down): (u64, u64)) {
    let floor = plain_floor();
    assert!(
        up > floor && down > floor,
        "{up} and {down} bytes for {floor}"
    );
}

/// Offered to a server that declines it, compression is not used: everything goes plain.
async fn plain_when_declined(url: &str) {
    assert_plain(echo_bytes(url, false, Some(DeflateOffer::default())).await);
}

mod sockeye_server {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn websocket() {
        let servers = servers::sockeye_with(None, Parser::Json, true).await;
        compresses_both_ways(&servers.url, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upgrade() {
        let servers = servers::sockeye_with(None, Parser::Json, true).await;
        compresses_both_ways(&servers.url, true).await;
    }

    /// A server without `per_message_deflate` declines the offer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn declined() {
        let servers = servers::sockeye(None).await;
        plain_when_declined(&servers.url).await;
    }

    /// The client's own context reset after every message, and a threshold of 0: still whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_context_takeover_and_every_message() {
        let servers = servers::sockeye_with(None, Parser::MessagePack, true).await;
        let offer = DeflateOffer::default()
            .threshold(0)
            .client_no_context_takeover(true)
            .level(1);
        let relay = relay(authority(&servers.url)).await;
        let options = Options::default()
            .auto_connect(false)
            .reconnection(false)
            .transports(vec![Transport::WebSocket])
            .parser(Parser::MessagePack)
            .per_message_deflate(Some(offer));
        let url = format!("http://127.0.0.1:{}/", relay.port);
        let manager = Manager::new(&url, options).unwrap();
        let socket = manager.socket("/").unwrap();
        let mut events = socket.events();
        socket.open();
        connected(&mut events).await;
        for i in 0..20 {
            let back: Value = ack(
                &socket,
                "echo",
                &json!({ "i": i, "s": "x".repeat(i * 100) }),
            )
            .await;
            assert_eq!(back, json!({ "i": i, "s": "x".repeat(i * 100) }));
        }
        // 20 echoes of up to 1,900 repeated bytes: compressed, far under their 19,000 bytes.
        assert!(relay.up.load(Ordering::Relaxed) < 9_000);
    }
}

mod node_reference {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn websocket() {
        let servers = servers::node_with(None, Parser::Json, true).await;
        compresses_both_ways(&servers.url, false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn upgrade() {
        let servers = servers::node_with(None, Parser::Json, true).await;
        compresses_both_ways(&servers.url, true).await;
    }

    /// A server without `perMessageDeflate` declines the offer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn declined() {
        let servers = servers::node(None).await;
        plain_when_declined(&servers.url).await;
    }
}
