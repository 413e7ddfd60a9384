//! The Socket.IO server's bounds against one client, over real connections: rooms per socket
//! (`max_rooms_per_socket`, by `join`, `socketsJoin` and another node's join), namespaces per
//! connection (64), acknowledgements awaited per socket (1,024), JSON nesting depth (32), and the
//! outgoing queue of a client that stops reading (volatile packets dropped, others bounded by
//! `max_buffered_bytes`).
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Sio, channel, fast, next, start};
use serde_json::json;
use sockeye_server::adapter::{Adapter, LocalNamespace, MemoryAdapter};
use sockeye_server::{AckError, DisconnectReason, EmitError, Event, JoinError, SocketRef};

/// `join(rooms, cb)`: joins and answers "ok" or the error's message.
fn on_join(socket: &SocketRef) {
    socket.on("join", |socket: SocketRef, ev: Event| async move {
        let rooms: Vec<String> = ev.data().unwrap();
        let answer = match socket.join(rooms) {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        ev.ack_with(&answer).unwrap();
    });
}

fn sorted(mut rooms: Vec<String>) -> Vec<String> {
    rooms.sort();
    rooms
}

#[tokio::test]
async fn a_socket_is_in_at_most_max_rooms_per_socket_its_own_among_them() {
    // The adapter's `LocalNamespace`, through which another node's REMOTE_JOIN arrives.
    let local: Arc<Mutex<Option<LocalNamespace>>> = Arc::default();
    let keep = local.clone();
    let builder = fast()
        .max_rooms_per_socket(4)
        .adapter(move |ns: LocalNamespace| {
            *keep.lock().unwrap() = Some(ns.clone());
            Arc::new(MemoryAdapter::new(ns)) as Arc<dyn Adapter>
        });
    let (addr, io) = start(builder).await;
    io.ns("/", |socket: SocketRef| async move { on_join(&socket) });
    let mut c = Sio::connect(addr, "").await;
    let socket = io.sockets().get_socket(&c.sid).unwrap();

    c.send(r#"421["join",["a","b"]]"#).await;
    assert_eq!(c.recv().await, r#"431["ok"]"#);
    // Five with its own: none of them is joined.
    c.send(r#"422["join",["b","c","d"]]"#).await;
    assert_eq!(
        c.recv().await,
        r#"432["too many rooms: the socket would be in 5, over the bound of 4"]"#
    );
    assert_eq!(
        sorted(socket.rooms()),
        sorted(vec![c.sid.clone(), "a".into(), "b".into()])
    );
    c.send(r#"423["join",["c","a"]]"#).await;
    assert_eq!(c.recv().await, r#"433["ok"]"#);
    // At the bound, rooms it is in already can be joined again; a new one cannot.
    c.send(r#"424["join",["a","c"]]"#).await;
    assert_eq!(c.recv().await, r#"434["ok"]"#);
    assert_eq!(
        socket.join("e"),
        Err(JoinError::TooManyRooms { rooms: 5, max: 4 })
    );
    // Leaving makes room.
    socket.leave("a");
    assert_eq!(socket.join("e"), Ok(()));

    // socketsJoin leaves the full socket out and joins the others.
    let mut other = Sio::connect(addr, "").await;
    io.sockets_join("z");
    assert!(!socket.rooms().contains(&"z".to_owned()));
    let other_socket = io.sockets().get_socket(&other.sid).unwrap();
    assert!(other_socket.rooms().contains(&"z".to_owned()));
    io.to("z").emit("z", &1).unwrap();
    assert_eq!(other.recv_event().await, json!(["z", 1]));
    // A RemoteSocket's join goes the same way.
    for remote in io.fetch_sockets().await.unwrap() {
        remote.join("y");
    }
    assert!(!socket.rooms().contains(&"y".to_owned()));
    assert!(other_socket.rooms().contains(&"y".to_owned()));

    // Another node's join (REMOTE_JOIN) is refused as well.
    let local = local.lock().unwrap().clone().unwrap();
    local.join(&c.sid, vec!["w".into()]);
    local.join(&other.sid, vec!["w".into()]);
    assert!(!socket.rooms().contains(&"w".to_owned()));
    assert!(other_socket.rooms().contains(&"w".to_owned()));
    assert_eq!(socket.rooms().len(), 4);

    // c saw none of this and is still served.
    c.send(r#"425["join",[]]"#).await;
    assert_eq!(c.recv().await, r#"435["ok"]"#);
}

#[tokio::test]
async fn the_default_bound_is_10_000_rooms() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel::<(Result<(), JoinError>, Result<(), JoinError>)>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            // With its own room, 10,000.
            let fill: Vec<String> = (0..9_999).map(|i| format!("r{i}")).collect();
            let first = socket.join(fill);
            tx.send((first, socket.join("one-more"))).unwrap();
        }
    });
    let _c = Sio::connect(addr, "").await;
    let (first, more) = next(&mut rx).await;
    assert_eq!(first, Ok(()));
    assert_eq!(
        more,
        Err(JoinError::TooManyRooms {
            rooms: 10_001,
            max: 10_000
        })
    );
}

#[tokio::test]
async fn a_connection_joins_at_most_64_namespaces() {
    let (addr, io) = start(fast()).await;
    io.dynamic_ns(regex::Regex::new(r"^/n\d+$").unwrap());
    let mut c = Sio::connect(addr, "").await;
    for i in 1..64 {
        c.join_nsp(&format!("/n{i}"), "").await;
    }
    c.send("40/n64,").await;
    assert_eq!(
        c.recv().await,
        r#"44/n64,{"message":"Too many namespaces"}"#
    );
    // The connection stays up, and leaving one makes room.
    c.send("41/n1,").await;
    c.join_nsp("/n64", "").await;
    c.send("40/n65,").await;
    assert_eq!(
        c.recv().await,
        r#"44/n65,{"message":"Too many namespaces"}"#
    );
    assert_eq!(io.of("/n64").sockets().len(), 1);
}

#[tokio::test]
async fn max_namespaces_is_a_builder_option() {
    let (addr, io) = start(fast().max_namespaces(2)).await;
    io.ns("/a", |_s: SocketRef| async move {});
    io.ns("/b", |_s: SocketRef| async move {});
    let mut c = Sio::connect(addr, "").await;
    c.join_nsp("/a", "").await;
    c.send("40/b,").await;
    assert_eq!(c.recv().await, r#"44/b,{"message":"Too many namespaces"}"#);
}

#[tokio::test]
async fn a_socket_awaits_at_most_1024_acknowledgements() {
    let (addr, io) = start(fast().ping_interval(Duration::from_secs(10))).await;
    let (tx, mut rx) = channel::<SocketRef>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move { tx.send(socket).unwrap() }
    });
    let mut c = Sio::connect(addr, "").await;
    let socket = next(&mut rx).await;
    let (done_tx, mut done) = channel::<Result<serde_json::Value, AckError>>();
    let ask = |socket: &SocketRef| {
        let (socket, done_tx) = (socket.clone(), done_tx.clone());
        tokio::spawn(async move {
            done_tx
                .send(socket.emit_with_ack::<_, serde_json::Value>("q", &()).await)
                .unwrap();
        });
    };
    for _ in 0..1024 {
        ask(&socket);
    }
    // The client gets all 1,024 (ack ids 0 to 1023) and answers none.
    let mut ids = Vec::new();
    for _ in 0..1024 {
        let packet = c.recv().await;
        let id: u32 = packet
            .strip_prefix("42")
            .and_then(|p| p.strip_suffix(r#"["q"]"#))
            .unwrap()
            .parse()
            .unwrap();
        ids.push(id);
    }
    ids.sort();
    assert_eq!(ids, (0..1024).collect::<Vec<_>>());
    // The 1,025th fails at once and sends nothing.
    ask(&socket);
    assert_eq!(
        next(&mut done).await,
        Err(AckError::Emit(EmitError::TooManyPendingAcks))
    );
    assert_eq!(c.ws.quiet_for(Duration::from_millis(200)).await, None);
    // An answer makes room for one more.
    c.send("430[7]").await;
    assert_eq!(next(&mut done).await, Ok(json!(7)));
    ask(&socket);
    assert_eq!(c.recv().await, r#"421024["q"]"#);
}

#[tokio::test]
async fn json_nested_deeper_than_32_closes_the_connection() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel::<String>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on("deep", |_s: SocketRef, ev: Event| async move {
                ev.ack_with(&"ok").unwrap();
            });
            let on_error = tx.clone();
            socket.on_error(move |_s, error| {
                on_error.send(format!("error: {error}")).unwrap();
            });
            socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
                let tx = tx.clone();
                async move { tx.send(format!("disconnect: {reason}")).unwrap() }
            });
        }
    });
    // `["deep", x]` is one level more than `x`.
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut c = Sio::connect(addr, "").await;
    c.send(&format!(r#"421["deep",{}]"#, nested(31))).await;
    assert_eq!(c.recv().await, r#"431["ok"]"#);
    c.send(&format!(r#"422["deep",{}]"#, nested(32))).await;
    c.ws.expect_closed().await;
    // As the reference: the socket's `error`, then `forced close` (it closes the engine itself).
    assert!(next(&mut rx).await.starts_with("error: "));
    assert_eq!(next(&mut rx).await, "disconnect: forced close");

    // The same in a CONNECT's auth, refused before any handler runs.
    let mut c = Sio::open(addr).await;
    c.send(&format!(r#"40{{"a":{}}}"#, nested(32))).await;
    c.ws.expect_closed().await;
}

#[tokio::test]
async fn max_json_depth_is_a_builder_option() {
    let (addr, io) = start(fast().max_json_depth(3)).await;
    io.ns("/", |socket: SocketRef| async move {
        socket.on("deep", |_s: SocketRef, ev: Event| async move {
            ev.ack_with(&"ok").unwrap();
        });
    });
    let mut c = Sio::connect(addr, "").await;
    c.send(r#"421["deep",[[]]]"#).await;
    assert_eq!(c.recv().await, r#"431["ok"]"#);
    c.send(r#"422["deep",[[[]]]]"#).await;
    c.ws.expect_closed().await;
}

#[tokio::test]
async fn volatile_packets_to_a_client_that_stops_reading_are_dropped_not_queued() {
    // 200 kB may wait for one client; the flood below is 40 MB, far more than the kernel's socket
    // buffers hold.
    let builder = fast()
        .ping_interval(Duration::from_secs(10))
        .max_buffered_bytes(200_000);
    let (addr, io) = start(builder).await;
    let (tx, mut rx) = channel::<DisconnectReason>();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
                let tx = tx.clone();
                async move { tx.send(reason).unwrap() }
            });
        }
    });
    // Never read again.
    let stalled = Sio::connect(addr, "").await;
    let chunk = "x".repeat(10_000);
    for _ in 0..4_000 {
        io.to(stalled.sid.as_str())
            .volatile()
            .emit("flood", &chunk)
            .unwrap();
        tokio::task::yield_now().await;
    }
    // Everything the server holds for it is within the bound: it is still connected.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(io.sockets().sockets().len(), 1, "not disconnected");
    assert!(rx.try_recv().is_err());
    // The same flood, not volatile, is queued and the client is disconnected at the bound.
    for _ in 0..4_000 {
        if io.sockets().sockets().is_empty() {
            break;
        }
        let _ = io.to(stalled.sid.as_str()).emit("flood", &chunk);
        tokio::task::yield_now().await;
    }
    assert_eq!(next(&mut rx).await, DisconnectReason::TransportError);
}
