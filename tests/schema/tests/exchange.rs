//! A typed sockeye-server and a peer exchanging the demo schema's events over a WebSocket, in
//! the Socket.IO text the schema implies: each event's name and arguments by the arguments'
//! rule, acknowledgements both ways, and an event of the wrong payload type rejected without an
//! acknowledgement.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sockeye_schema_tests::{Ask, Chat, ChatLine, Join, Members, Message, Typing};
use sockeye_server::{SocketIo, SocketRef};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const WAIT: Duration = Duration::from_secs(5);

/// What the server's handlers report to the test.
#[derive(Debug, PartialEq)]
enum Heard {
    Typing(bool),
    Answer(Option<String>),
    Rejected,
}

/// The chat server on the schema: every handler typed.
async fn start() -> (std::net::SocketAddr, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let (svc, io) = SocketIo::builder().build_svc();
    io.ns("/", move |socket: SocketRef| {
        let lines = Arc::new(AtomicU32::new(0));
        socket.on_typed(Message, move |socket, text| {
            let count = lines.fetch_add(1, Ordering::Relaxed) + 1;
            let line = ChatLine {
                user: socket.id().to_owned(),
                text,
                seq: u64::from(count),
            };
            socket.emit_typed(Chat, &line).unwrap();
            count
        });
        let heard = tx.clone();
        socket.on_typed(Typing, move |_socket, active| {
            heard.send(Heard::Typing(active)).unwrap();
        });
        socket.on_typed_async(Join, |socket, (room, user)| async move {
            socket.join(room.as_str()).unwrap();
            socket.emit_typed(Members, &(room, vec![user])).unwrap();
        });
        let heard = tx.clone();
        socket.on_error(move |_socket, _error| {
            heard.send(Heard::Rejected).unwrap();
        });
        let heard = tx.clone();
        tokio::spawn(async move {
            let answer = socket
                .emit_typed_with_ack(Ask, &"ready?".to_owned())
                .await
                .unwrap();
            heard.send(Heard::Answer(answer)).unwrap();
        });
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
    (addr, rx)
}

/// A Socket.IO peer speaking the protocol's text by hand.
struct Peer(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Peer {
    async fn send(&mut self, text: &str) {
        self.0.send(Frame::text(text)).await.unwrap();
    }

    /// The next Socket.IO packet's text (pings answered on the way).
    async fn recv(&mut self) -> String {
        loop {
            let frame = tokio::time::timeout(WAIT, self.0.next())
                .await
                .expect("a frame in time")
                .expect("the connection open")
                .unwrap();
            let Frame::Text(text) = frame else { continue };
            match text.as_str() {
                "2" => self.send("3").await,
                packet => return packet.strip_prefix('4').expect("a message").to_owned(),
            }
        }
    }

    /// The next packet, which must start with `prefix`, its JSON after it.
    async fn expect(&mut self, prefix: &str) -> Value {
        let packet = self.recv().await;
        let json = packet
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix}..., got {packet}"));
        serde_json::from_str(json).unwrap()
    }
}

async fn heard(rx: &mut mpsc::UnboundedReceiver<Heard>) -> Heard {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("in time")
        .expect("a report")
}

#[tokio::test]
async fn a_typed_server_and_a_peer_exchange_the_schemas_events() {
    let (addr, mut rx) = start().await;
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut peer = Peer(ws);
    let open = peer.0.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with("0{"), "{open:?}");
    peer.send("40").await;
    let connected = peer.expect("0").await;
    let sid = connected["sid"].as_str().unwrap().to_owned();

    // Server to client, with an acknowledgement: `chat:ask` and its answer.
    assert_eq!(peer.expect("20").await, json!(["chat:ask", "ready?"]));
    peer.send("430[\"yes\"]").await;
    assert_eq!(heard(&mut rx).await, Heard::Answer(Some("yes".into())));

    // Client to server, acknowledged by the handler's result; its emit comes first.
    peer.send("421[\"message\",\"hello\"]").await;
    assert_eq!(
        peer.expect("2").await,
        json!(["chat", {"user": sid, "text": "hello", "seq": 1}])
    );
    assert_eq!(peer.expect("31").await, json!([1]));

    // Without an acknowledgement.
    peer.send("42[\"typing\",true]").await;
    assert_eq!(heard(&mut rx).await, Heard::Typing(true));

    // Two arguments in, an acknowledgement without arguments out (async handler).
    peer.send("422[\"join\",\"lobby\",\"ann\"]").await;
    assert_eq!(peer.expect("2").await, json!(["members", "lobby", ["ann"]]));
    assert_eq!(peer.expect("32").await, json!([]));

    // A payload of the wrong type: rejected, never acknowledged; the next one is.
    peer.send("423[\"message\",42]").await;
    assert_eq!(heard(&mut rx).await, Heard::Rejected);
    peer.send("424[\"message\",\"again\"]").await;
    assert_eq!(peer.expect("2").await[1]["seq"], json!(2));
    assert_eq!(peer.expect("34").await, json!([2]));
}
