//! Redis is shared infrastructure, not a trusted peer: what anyone who can write to it sends
//! the adapters is bounded (see `sockeye_redis::limits`).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::time::Duration;

use common::{RedisServer, Sio, WAIT, eventually, next_event, start};
use sockeye_redis::{Emitter, Limits, RedisAdapterConfig, StreamsAdapterConfig};
use sockeye_server::{ConnectionStateRecovery, SocketIo};

/// A broadcast event on `/` as the streams adapter writes it in the stream `socket.io`.
async fn xadd_event(conn: &mut redis::aio::MultiplexedConnection, event: &str, arg: &str) {
    let data = serde_json::json!({
        "packet": {"type": 2, "data": [event, arg], "nsp": "/"},
        "opts": {"rooms": [], "except": [], "flags": {}},
    });
    let _: String = redis::cmd("XADD")
        .arg("socket.io")
        .arg("*")
        .arg("uid")
        .arg("someone")
        .arg("nsp")
        .arg("/")
        .arg("type")
        .arg("3")
        .arg("data")
        .arg(data.to_string())
        .query_async(conn)
        .await
        .unwrap();
}

/// Sends `probe` with `send` until `client` gets one: the node reads what Redis carries.
async fn until_probe_arrives<F, Fut>(client: &mut Sio, mut send: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        send().await;
        if let Ok(text) = tokio::time::timeout(Duration::from_millis(200), client.recv()).await
            && text.starts_with("42[\"probe\"")
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node never heard Redis"
        );
    }
}

#[tokio::test]
async fn an_oversized_pubsub_broadcast_is_dropped_and_the_next_one_delivered() {
    let redis = RedisServer::start();
    let limits = Limits::default().max_message_size(1024);
    let config = RedisAdapterConfig::new(&redis.url).unwrap().limits(limits);
    let (addr, _io) = start(SocketIo::builder().adapter(config.factory())).await;
    let mut client = Sio::connect(addr, "").await;
    let emitter = Emitter::new(&redis.url).unwrap();
    until_probe_arrives(&mut client, || async {
        emitter.emit("probe", &()).unwrap()
    })
    .await;

    emitter.emit("big", &"x".repeat(2000)).unwrap();
    emitter.emit("end", &()).unwrap();
    assert_eq!(next_event(&mut client).await[0], "end");
}

#[tokio::test]
async fn an_oversized_stream_entry_is_dropped_and_the_next_one_delivered() {
    let redis = RedisServer::start();
    let limits = Limits::default().max_message_size(1024);
    let config = StreamsAdapterConfig::new(&redis.url)
        .unwrap()
        .limits(limits);
    let (addr, _io) = start(SocketIo::builder().adapter(config.factory())).await;
    let mut client = Sio::connect(addr, "").await;
    let mut conn = redis.connection().await;
    until_probe_arrives(&mut client, || {
        let mut conn = conn.clone();
        async move { xadd_event(&mut conn, "probe", "").await }
    })
    .await;

    xadd_event(&mut conn, "big", &"x".repeat(2000)).await;
    xadd_event(&mut conn, "end", "").await;
    assert_eq!(next_event(&mut client).await[0], "end");
}

/// Whether a client that missed `missed` entries comes back recovered on another node whose
/// recovery reads at most 50 entries, and how many events it got back.
async fn recover_after(missed: usize) -> (bool, usize) {
    let redis = RedisServer::start();
    let node = || {
        let config = StreamsAdapterConfig::new(&redis.url)
            .unwrap()
            .limits(Limits::default().max_recovery_entries(50));
        SocketIo::builder()
            .connection_state_recovery(ConnectionStateRecovery::default())
            .adapter(config.factory())
    };
    let (addr_a, a) = start(node()).await;
    let (addr_b, b) = start(node()).await;
    let mut client = Sio::connect(addr_a, "").await;
    let sid = client.connect["sid"].as_str().unwrap().to_owned();
    let pid = client.connect["pid"].as_str().unwrap().to_owned();
    // A broadcast gives the client an offset (its stream entry id, as the last argument) once
    // the node is connected to Redis; before, it goes out without one.
    let offset = loop {
        a.emit("tick", &()).unwrap();
        if let Some(offset) = client.recv_event().await[1].as_str() {
            break offset.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    client.drop_transport().await;
    let mut conn = redis.connection().await;
    let key = format!("sio:session:{pid}");
    eventually("the session is kept in Redis", || {
        let (mut conn, key) = (conn.clone(), key.clone());
        async move {
            redis::cmd("EXISTS")
                .arg(&key)
                .query_async::<u64>(&mut conn)
                .await
                .unwrap()
                == 1
        }
    })
    .await;
    for i in 0..missed {
        xadd_event(&mut conn, "missed", &i.to_string()).await;
    }

    let auth = serde_json::json!({"pid": pid, "offset": offset});
    let mut back = Sio::connect(addr_b, &auth.to_string()).await;
    let recovered = back.connect["sid"] == sid.as_str();
    // Sent here after the CONNECT answer, so after whatever the recovery replays.
    b.local().emit("end", &()).unwrap();
    let mut replayed = 0;
    while next_event(&mut back).await[0] == "missed" {
        replayed += 1;
    }
    (recovered, replayed)
}

#[tokio::test]
async fn recovery_within_the_bound_replays_what_was_missed() {
    assert_eq!(recover_after(10).await, (true, 10));
}

#[tokio::test]
async fn recovery_past_the_bound_starts_a_fresh_session() {
    assert_eq!(recover_after(60).await, (false, 0));
}
