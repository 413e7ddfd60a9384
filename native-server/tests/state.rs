//! What a node keeps stays bounded and is given once: recovery history under its bounds, a socket
//! in several target rooms reached once, dynamic namespaces created only for admitted clients
//! and removed once empty when asked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Sio, channel, fast, next, start};
use serde_json::json;
use sockeye_server::{ConnectionStateRecovery, DisconnectReason, Event, SocketIo, SocketRef};

/// A server with recovery whose sockets join `room`, tell `connected` their id and whether they
/// were recovered, tell `gone` when they leave, and drop their transport on `drop`.
async fn recovery_server(
    recovery: ConnectionStateRecovery,
) -> (
    std::net::SocketAddr,
    SocketIo,
    tokio::sync::mpsc::UnboundedReceiver<(String, bool)>,
    tokio::sync::mpsc::UnboundedReceiver<DisconnectReason>,
) {
    let (addr, io) = start(fast().connection_state_recovery(recovery)).await;
    let (tx, connected) = channel::<(String, bool)>();
    let (gone_tx, gone) = channel::<DisconnectReason>();
    io.ns("/", move |socket: SocketRef| {
        socket.join("room").unwrap();
        tx.send((socket.id().to_owned(), socket.recovered()))
            .unwrap();
        let gone_tx = gone_tx.clone();
        socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
            let _ = gone_tx.send(reason);
        });
        socket.on("drop", |s: SocketRef, _ev: Event| s.conn().close());
    });
    (addr, io, connected, gone)
}

/// Connects, takes the offset of one event, loses the transport, and lets `missed` events be
/// broadcast while away; then comes back with its pid and offset. Returns the first socket id
/// and the second CONNECT's client.
async fn come_back_after(
    addr: std::net::SocketAddr,
    io: &SocketIo,
    connected: &mut tokio::sync::mpsc::UnboundedReceiver<(String, bool)>,
    gone: &mut tokio::sync::mpsc::UnboundedReceiver<DisconnectReason>,
    missed: usize,
) -> (String, Sio) {
    let mut c = Sio::connect(addr, "").await;
    let pid = c.connect["pid"].as_str().unwrap().to_owned();
    let (sid, _) = next(connected).await;
    io.to("room").emit("news", &0).unwrap();
    let offset = c.recv_event().await[2].as_str().unwrap().to_owned();
    c.send(r#"42["drop"]"#).await;
    c.ws.expect_closed().await;
    // The session is persisted before the `disconnect` handlers run.
    next(gone).await;
    for n in 1..=missed {
        io.to("room").emit("news", &n).unwrap();
    }
    let mut back = Sio::open(addr).await;
    back.join_nsp("", &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#))
        .await;
    (sid, back)
}

#[tokio::test]
async fn a_client_whose_history_was_cut_by_the_packet_bound_is_not_recovered() {
    let recovery = ConnectionStateRecovery {
        max_stored_packets: 3,
        ..ConnectionStateRecovery::default()
    };
    let (addr, io, mut connected, mut gone) = recovery_server(recovery).await;

    // Within the bound: its offset and the two packets after it are kept.
    let (sid, mut back) = come_back_after(addr, &io, &mut connected, &mut gone, 2).await;
    assert_eq!(back.sid, sid);
    assert_eq!(next(&mut connected).await, (sid, true));
    assert_eq!(back.recv_event().await[1], 1);
    assert_eq!(back.recv_event().await[1], 2);

    // Past it: its offset was dropped, so it is a new socket.
    let (sid, back) = come_back_after(addr, &io, &mut connected, &mut gone, 3).await;
    assert_ne!(back.sid, sid);
    let (new_sid, recovered) = next(&mut connected).await;
    assert_eq!((new_sid.as_str(), recovered), (back.sid.as_str(), false));
}

#[tokio::test]
async fn a_client_whose_history_was_cut_by_the_byte_bound_is_not_recovered() {
    let recovery = ConnectionStateRecovery {
        max_stored_bytes: 4096,
        ..ConnectionStateRecovery::default()
    };
    let (addr, io, mut connected, mut gone) = recovery_server(recovery).await;
    let (sid, back) = come_back_after(addr, &io, &mut connected, &mut gone, 0).await;
    assert_eq!(next(&mut connected).await, (sid, true));
    drop(back);
    assert_eq!(next(&mut gone).await, DisconnectReason::TransportClose);

    let mut c = Sio::connect(addr, "").await;
    let pid = c.connect["pid"].as_str().unwrap().to_owned();
    next(&mut connected).await;
    io.to("room").emit("news", &0).unwrap();
    let offset = c.recv_event().await[2].as_str().unwrap().to_owned();
    c.send(r#"42["drop"]"#).await;
    c.ws.expect_closed().await;
    next(&mut gone).await;
    // One packet larger than the whole bound pushes everything out.
    io.to("room").emit("news", &"x".repeat(5000)).unwrap();
    let mut back = Sio::open(addr).await;
    back.join_nsp("", &format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#))
        .await;
    let (new_sid, recovered) = next(&mut connected).await;
    assert_eq!((new_sid.as_str(), recovered), (back.sid.as_str(), false));
}

/// socketioxide #813: `to(["a", "b"])` reached a socket in both rooms twice.
#[tokio::test]
async fn a_socket_in_several_target_rooms_gets_a_broadcast_once() {
    let (addr, io) = start(fast()).await;
    let (tx, mut rx) = channel::<String>();
    io.ns("/", move |socket: SocketRef| {
        socket.join(["a", "b", "c"]).unwrap();
        tx.send(socket.id().to_owned()).unwrap();
    });
    let mut c = Sio::connect(addr, "").await;
    let mut other = Sio::connect(addr, "").await;
    next(&mut rx).await;
    let other_id = next(&mut rx).await;
    let sender = io.sockets().get_socket(&other_id).unwrap();

    io.to(["a", "b"]).emit("to", &1).unwrap();
    io.to("a").to("b").to("c").emit("to", &2).unwrap();
    sender
        .broadcast()
        .to(["a", "b"])
        .emit("broadcast", &3)
        .unwrap();
    io.except("nobody")
        .to(vec!["b", "c"])
        .emit("to", &4)
        .unwrap();
    // Everything sent to one socket arrives in order: a second copy of any of the above would
    // come before this.
    io.emit("end", &()).unwrap();
    for expected in [
        json!(["to", 1]),
        json!(["to", 2]),
        json!(["broadcast", 3]),
        json!(["to", 4]),
        json!(["end"]),
    ] {
        assert_eq!(c.recv_event().await, expected);
    }
    for expected in [json!(["to", 1]), json!(["to", 2]), json!(["to", 4])] {
        assert_eq!(other.recv_event().await, expected);
    }
    assert_eq!(other.recv_event().await, json!(["end"]));
}

/// Counts the adapters a server makes, and how many it closed.
#[derive(Clone, Default)]
struct AdapterCount {
    made: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    closed_tx: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

struct Counted {
    inner: sockeye_server::adapter::MemoryAdapter,
    name: String,
    count: AdapterCount,
}

mod counted {
    //! Every method is the in-memory adapter's; `close` is counted.
    use std::collections::HashSet;
    use std::time::Duration;

    use sockeye_server::adapter::*;
    use sockeye_server::config::BoxFuture;
    use sockeye_server::{AdapterError, Args, EmitError, JoinError};

    use super::Counted;

    impl Adapter for Counted {
        fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
            self.count
                .closed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(tx) = &self.count.closed_tx {
                let _ = tx.send(self.name.clone());
            }
            Box::pin(async { Ok(()) })
        }
        fn add_all(&self, id: &str, rooms: &[Room]) {
            self.inner.add_all(id, rooms)
        }
        fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
            self.inner.add_all_bounded(id, rooms, max)
        }
        fn del(&self, id: &str, room: &str) {
            self.inner.del(id, room)
        }
        fn del_all(&self, id: &str) {
            self.inner.del_all(id)
        }
        fn socket_rooms(&self, id: &str) -> Vec<Room> {
            self.inner.socket_rooms(id)
        }
        fn rooms(&self) -> Vec<Room> {
            Adapter::rooms(&self.inner)
        }
        fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId> {
            self.inner.sockets(rooms)
        }
        fn broadcast(
            &self,
            packet: BroadcastPacket,
            opts: BroadcastOptions,
        ) -> Result<(), EmitError> {
            self.inner.broadcast(packet, opts)
        }
        fn broadcast_with_ack(
            &self,
            packet: BroadcastPacket,
            opts: BroadcastOptions,
        ) -> Result<BroadcastAcks, EmitError> {
            self.inner.broadcast_with_ack(packet, opts)
        }
        fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
            self.inner.add_sockets(opts, rooms)
        }
        fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
            self.inner.del_sockets(opts, rooms)
        }
        fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) {
            self.inner.disconnect_sockets(opts, close)
        }
        fn fetch_sockets(
            &self,
            opts: BroadcastOptions,
            timeout: Duration,
        ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>> {
            self.inner.fetch_sockets(opts, timeout)
        }
        fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
            self.inner.join_restored(id, rooms, offset)
        }
    }
}

fn counting(
    builder: sockeye_server::SocketIoBuilder,
    count: &AdapterCount,
) -> sockeye_server::SocketIoBuilder {
    let count = count.clone();
    builder.adapter(move |local| {
        count.made.fetch_add(1, Ordering::SeqCst);
        Arc::new(Counted {
            name: local.name().to_owned(),
            inner: sockeye_server::adapter::MemoryAdapter::new(local),
            count: count.clone(),
        })
    })
}

#[tokio::test]
async fn refused_clients_create_no_dynamic_namespace() {
    let count = AdapterCount::default();
    // 50 refusals at wire speed on one connection: past the default refused-CONNECT budget.
    let (addr, io) = start(counting(fast().max_refused_connects(100), &count)).await;
    let made_at_start = count.made.load(Ordering::SeqCst);
    let parent = io.dynamic_ns(regex::Regex::new(r"^/dyn-\d+$").unwrap());
    parent.use_middleware(|socket: SocketRef| {
        // A middleware sees the namespace the client asked for, and may use its rooms.
        assert!(socket.nsp().starts_with("/dyn-"));
        assert_eq!(socket.namespace().name(), socket.nsp());
        socket.join("before-admission").unwrap();
        if socket.nsp() == "/dyn-7" {
            Ok(())
        } else {
            Err(sockeye_server::ConnectError::new("refused"))
        }
    });
    let (tx, mut rx) = channel::<(String, Vec<String>)>();
    parent.on_connection(move |socket: SocketRef| {
        let mut rooms = socket.rooms();
        rooms.sort();
        tx.send((socket.namespace().name().to_owned(), rooms))
            .unwrap();
    });

    let mut c = Sio::connect(addr, "").await;
    for n in 100..150 {
        c.send(&format!("40/dyn-{n},")).await;
        assert_eq!(
            c.recv().await,
            format!(r#"44/dyn-{n},{{"message":"refused"}}"#)
        );
    }
    assert!(
        parent.children().is_empty(),
        "no child for a refused client"
    );
    assert_eq!(
        count.made.load(Ordering::SeqCst),
        made_at_start,
        "no adapter either"
    );

    // An admitted client creates its child, once, and keeps the rooms its middlewares joined.
    c.join_nsp("/dyn-7", "").await;
    let (name, rooms) = next(&mut rx).await;
    assert_eq!(name, "/dyn-7");
    let mut expected = vec!["before-admission".to_owned(), c.sid.clone()];
    expected.sort();
    assert_eq!(rooms, expected);
    let children = parent.children();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name(), "/dyn-7");
    assert_eq!(count.made.load(Ordering::SeqCst), made_at_start + 1);
    io.of("/dyn-7")
        .to("before-admission")
        .emit("hi", &())
        .unwrap();
    assert_eq!(c.recv().await, r#"42/dyn-7,["hi"]"#);

    // A second client joins the same child.
    let mut d = Sio::open(addr).await;
    d.join_nsp("/dyn-7", "").await;
    next(&mut rx).await;
    assert_eq!(parent.children().len(), 1);
    assert_eq!(count.made.load(Ordering::SeqCst), made_at_start + 1);
}

#[tokio::test]
async fn empty_children_stay_unless_cleanup_is_on() {
    let matcher = regex::Regex::new(r"^/dyn-\d+$").unwrap();
    for cleanup in [false, true] {
        let (closed_tx, mut closed_rx) = channel::<String>();
        let count = AdapterCount {
            closed_tx: Some(closed_tx),
            ..AdapterCount::default()
        };
        let builder = counting(fast().cleanup_empty_child_namespaces(cleanup), &count);
        let (addr, io) = start(builder).await;
        let parent = io.dynamic_ns(matcher.clone());
        let (gone_tx, mut gone) = channel::<String>();
        parent.on_connection(move |socket: SocketRef| {
            let gone_tx = gone_tx.clone();
            socket.on_disconnect(move |s: SocketRef| {
                let _ = gone_tx.send(s.nsp().to_owned());
            });
        });
        let mut c = Sio::connect(addr, "").await;
        c.join_nsp("/dyn-1", "").await;
        let first = c.sid.clone();
        c.join_nsp("/dyn-2", "").await;
        assert_eq!(parent.children().len(), 2);

        // The namespace is left before the `disconnect` handlers run.
        c.send("41/dyn-1,").await;
        assert_eq!(next(&mut gone).await, "/dyn-1");
        let mut names: Vec<String> = parent
            .children()
            .iter()
            .map(|n| n.name().to_owned())
            .collect();
        names.sort();
        if cleanup {
            assert_eq!(names, ["/dyn-2"]);
            assert_eq!(
                next(&mut closed_rx).await,
                "/dyn-1",
                "its adapter is closed"
            );
        } else {
            assert_eq!(names, ["/dyn-1", "/dyn-2"]);
            assert_eq!(count.closed.load(Ordering::SeqCst), 0);
        }

        // Coming back makes a new child (or finds the kept one).
        let made = count.made.load(Ordering::SeqCst);
        c.join_nsp("/dyn-1", "").await;
        assert_ne!(c.sid, first);
        assert_eq!(parent.children().len(), 2);
        let expected = if cleanup { made + 1 } else { made };
        assert_eq!(count.made.load(Ordering::SeqCst), expected);
        io.of("/dyn-1").emit("hi", &()).unwrap();
        assert_eq!(c.recv().await, r#"42/dyn-1,["hi"]"#);

        // A closed connection empties both.
        drop(c);
        let mut left = vec![next(&mut gone).await, next(&mut gone).await];
        left.sort();
        assert_eq!(left, ["/dyn-1", "/dyn-2"]);
        assert_eq!(parent.children().is_empty(), cleanup);
    }
}
