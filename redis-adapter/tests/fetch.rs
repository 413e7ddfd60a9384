//! What another node's `fetchSockets` gets from this one: the socket parts the application
//! allows (all by default, as the Node adapters), for at most `max_fetch_sockets` sockets.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use common::{RedisServer, Sio, start};
use sockeye_redis::{FetchFields, Limits, RedisAdapterConfig, StreamsAdapterConfig};
use sockeye_server::{SocketIo, Value};

#[derive(Clone, Copy)]
enum Kind {
    PubSub,
    Streams,
}

async fn node(redis: &RedisServer, kind: Kind, limits: Limits) -> (std::net::SocketAddr, SocketIo) {
    let builder = SocketIo::builder();
    let builder = match kind {
        Kind::PubSub => builder.adapter(
            RedisAdapterConfig::new(&redis.url)
                .unwrap()
                .limits(limits)
                .factory(),
        ),
        Kind::Streams => builder.adapter(
            StreamsAdapterConfig::new(&redis.url)
                .unwrap()
                .limits(limits)
                .factory(),
        ),
    };
    let (addr, io) = start(builder).await;
    io.ns("/", |_socket: sockeye_server::SocketRef| {});
    (addr, io)
}

/// Node `b` (bounded by `limits`) has three clients that sent `auth`; what node `a` fetches.
async fn fetched_from_b(kind: Kind, limits: Limits) -> Vec<sockeye_server::RemoteSocket> {
    let redis = RedisServer::start();
    let (_, a) = node(&redis, kind, Limits::default()).await;
    let (addr_b, _b) = node(&redis, kind, limits).await;
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Sio::connect(addr_b, r#"{"token":"secret"}"#).await);
    }
    // Once both nodes are subscribed, a fetch gets b's answer.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    let sockets = loop {
        let sockets = a.fetch_sockets().await.unwrap_or_default();
        if !sockets.is_empty() {
            break sockets;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "node b never answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    drop(clients);
    sockets
}

fn token(socket: &sockeye_server::RemoteSocket) -> Option<String> {
    match socket.handshake().auth_value().get("token") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn by_default_a_node_answers_every_socket_whole_as_the_node_adapters() {
    for kind in [Kind::PubSub, Kind::Streams] {
        let sockets = fetched_from_b(kind, Limits::default()).await;
        assert_eq!(sockets.len(), 3);
        for s in &sockets {
            assert_eq!(token(s).as_deref(), Some("secret"));
            assert!(!s.handshake().headers.is_empty());
        }
    }
}

#[tokio::test]
async fn a_node_answers_only_the_fields_and_the_number_of_sockets_it_allows() {
    let limits = Limits::default()
        .fetch_fields(FetchFields::all().auth(false).headers(false))
        .max_fetch_sockets(2);
    for kind in [Kind::PubSub, Kind::Streams] {
        let sockets = fetched_from_b(kind, limits.clone()).await;
        assert_eq!(sockets.len(), 2);
        for s in &sockets {
            assert_eq!(token(s), None);
            assert!(s.handshake().headers.is_empty());
            // What is allowed still goes.
            assert_eq!(s.handshake().query_param("EIO"), Some("4"));
        }
    }
}

#[tokio::test]
async fn an_answer_is_cut_to_the_message_size_bound() {
    // Room for the envelope (1,024 bytes) and one or two sockets (about 500 bytes each in JSON,
    // 420 in MessagePack here), not three.
    let limits = Limits::default().max_message_size(1024 + 1000);
    for kind in [Kind::PubSub, Kind::Streams] {
        let sockets = fetched_from_b(kind, limits.clone()).await;
        assert!((1..3).contains(&sockets.len()), "{} sockets", sockets.len());
    }
}
