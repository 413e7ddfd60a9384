//! What the Redis adapter tests share: a real redis-server of their own
//! (`src/redis_server.rs`), Sockeye nodes served on 127.0.0.1:0, and a raw Socket.IO client over
//! WebSocket that speaks the protocol's text by hand.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test file uses part of the helpers"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers"
)]

#[path = "../../src/redis_server.rs"]
mod redis_server;

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
pub use redis_server::RedisServer;
use sockeye_server::SocketIo;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);

/// Serves a Socket.IO server built from `builder` on 127.0.0.1:0.
pub async fn start(builder: sockeye_server::SocketIoBuilder) -> (SocketAddr, SocketIo) {
    let (svc, io) = builder.build_svc();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let closed = io.closed();
    tokio::spawn(sockeye_server::serve(listener, svc, closed));
    (addr, io)
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A Socket.IO client on `/` over one WebSocket.
pub struct Sio {
    ws: WsStream,
    /// The CONNECT answer's payload (`sid`, and `pid` with recovery).
    pub connect: serde_json::Value,
}

impl Sio {
    /// Opens a session and connects `/` with `auth` (none when empty).
    pub async fn connect(addr: SocketAddr, auth: &str) -> Sio {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut sio = Sio {
            ws,
            connect: serde_json::Value::Null,
        };
        let open = sio.recv().await;
        assert!(
            open.starts_with('0'),
            "expected the open packet, got {open}"
        );
        sio.send(&format!("40{auth}")).await;
        let answer = sio.recv().await;
        let payload = answer
            .strip_prefix("40")
            .unwrap_or_else(|| panic!("expected 40..., got {answer}"));
        sio.connect = serde_json::from_str(payload).unwrap();
        sio
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next text packet (pings answered), within [`WAIT`].
    pub async fn recv(&mut self) -> String {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a packet in time");
            match next {
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                    self.send("3").await;
                }
                Some(Ok(Message::Text(t))) => return t.as_str().to_owned(),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => panic!("closed"),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next EVENT on `/` as its JSON array.
    pub async fn recv_event(&mut self) -> serde_json::Value {
        let text = self.recv().await;
        let json = text
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("expected an event, got {text}"));
        serde_json::from_str(json).unwrap()
    }

    /// Sends the event `[name]` with ack id 1 and waits for its ack.
    pub async fn call(&mut self, name: &str) {
        self.send(&format!("421[\"{name}\"]")).await;
        loop {
            let text = self.recv().await;
            if text.starts_with("431") {
                return;
            }
        }
    }

    /// Ends the transport without a DISCONNECT (a lost connection, which recovery covers).
    pub async fn drop_transport(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Emits `probe` from `from` (to everyone) until `client` gets one: the nodes' links are up.
/// Other `probe`s may still arrive after; [`next_event`] skips them.
pub async fn wait_until_linked(from: &SocketIo, client: &mut Sio) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        from.emit("probe", &()).unwrap();
        if let Ok(text) = tokio::time::timeout(Duration::from_millis(200), client.recv()).await
            && text.starts_with("42[\"probe\"")
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "nodes never linked");
    }
}

/// The next event that is not a `probe`.
pub async fn next_event(client: &mut Sio) -> serde_json::Value {
    loop {
        let event = client.recv_event().await;
        if event[0] != "probe" {
            return event;
        }
    }
}

/// Polls `check` every 20 ms until it holds, within [`WAIT`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
