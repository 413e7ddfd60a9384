//! A broadcast to several rooms reaches a socket in more than one of them once, through every
//! Redis adapter, on the node that sends it and on another node (socketioxide #813: a
//! broadcast to two rooms was published once per room and delivered twice).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use common::{RedisServer, Sio, next_event, start, wait_until_linked};
use sockeye_redis::{RedisAdapterConfig, ShardedAdapterConfig, StreamsAdapterConfig};
use sockeye_server::{ConnectionStateRecovery, Event, SocketIo, SocketRef};

#[derive(Clone, Copy, Debug)]
enum Kind {
    PubSub,
    Sharded,
    Streams,
}

/// A node whose sockets join the rooms `a` and `b` when they send `join-ab`.
async fn node(redis: &RedisServer, kind: Kind) -> (std::net::SocketAddr, SocketIo) {
    let builder = SocketIo::builder();
    let builder = match kind {
        Kind::PubSub => builder.adapter(RedisAdapterConfig::new(&redis.url).unwrap().factory()),
        Kind::Sharded => builder.adapter(ShardedAdapterConfig::new(&redis.url).unwrap().factory()),
        // With recovery, as the Node streams adapter is mostly used: events carry offsets.
        Kind::Streams => builder
            .connection_state_recovery(ConnectionStateRecovery::default())
            .adapter(StreamsAdapterConfig::new(&redis.url).unwrap().factory()),
    };
    let (addr, io) = start(builder).await;
    io.ns("/", |socket: SocketRef| {
        socket.on("join-ab", |socket: SocketRef, ev: Event| async move {
            socket.join(["a", "b"]).unwrap();
            ev.ack_with("ok").unwrap();
        });
    });
    (addr, io)
}

async fn delivered_once(kind: Kind) {
    let redis = RedisServer::start();
    let (addr_a, a) = node(&redis, kind).await;
    let (addr_b, b) = node(&redis, kind).await;
    let mut on_a = Sio::connect(addr_a, "").await;
    let mut on_b = Sio::connect(addr_b, "").await;
    on_a.call("join-ab").await;
    on_b.call("join-ab").await;
    wait_until_linked(&a, &mut on_b).await;
    wait_until_linked(&b, &mut on_a).await;

    a.to(["a", "b"]).emit("hi", "from a").unwrap();
    // Sent after, on the same channel or stream: it arrives after any second copy would.
    a.emit("end", &()).unwrap();
    for (client, node) in [(&mut on_a, "a"), (&mut on_b, "b")] {
        assert_eq!(
            next_event(client).await[0],
            "hi",
            "{kind:?}, client on {node}"
        );
        assert_eq!(
            next_event(client).await[0],
            "end",
            "{kind:?}, client on {node}"
        );
    }
}

#[tokio::test]
async fn to_two_rooms_delivers_once_through_pubsub() {
    delivered_once(Kind::PubSub).await;
}

#[tokio::test]
async fn to_two_rooms_delivers_once_through_sharded_pubsub() {
    delivered_once(Kind::Sharded).await;
}

#[tokio::test]
async fn to_two_rooms_delivers_once_through_streams() {
    delivered_once(Kind::Streams).await;
}
