//! What a node keeps stays bounded and is given once: recovery history under its bounds, a socket
//! in several target rooms reached once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

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
