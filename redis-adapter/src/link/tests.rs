//! The link's bounds (the one on received messages against a real redis-server).

use super::*;
use crate::inbox::inbox;
use crate::limits::Limits;
use crate::redis_server::RedisServer;

/// A flood on a subscribed channel while the adapter does not read: the queue holds its
/// bound, the rest is dropped and counted, and the connection keeps answering commands.
#[tokio::test]
async fn a_flood_fills_the_bounded_queue_and_the_link_keeps_serving() {
    let redis = RedisServer::start();
    let (tx, mut rx) = inbox(&Limits::default().incoming_queue(5), "/");
    let link = Link::spawn(
        client(&redis.url).unwrap(),
        vec![Sub::Channel("flood".to_owned())],
        Some(tx.clone()),
    );
    let mut conn = redis.connection().await;
    // Subscribed once Redis counts the subscriber.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, n): (String, usize) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("flood")
            .query_async::<Vec<(String, usize)>>(&mut conn)
            .await
            .unwrap()
            .remove(0);
        if n == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for i in 0..100u32 {
        let _: () = redis::cmd("PUBLISH")
            .arg("flood")
            .arg(i.to_string())
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // Redis answers this PING on the link's connection after every message it pushed
    // there, so by the answer the reader has offered all 100 (and did not wait).
    let pong = link
        .query(redis::cmd("PING"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(pong, redis::Value::SimpleString("PONG".to_owned()));
    assert_eq!(tx.refusals().full.total(), 95);
    for i in 0..5u32 {
        let msg = rx.recv().await.unwrap();
        assert_eq!(msg.payload, i.to_string().into_bytes());
    }
    assert!(rx.rx_is_empty());
}

/// Publishes wait while Redis is away, up to [`MAX_QUEUED_BYTES`]; past it they are dropped
/// (and counted), not queued.
#[tokio::test]
async fn publishes_waiting_for_redis_are_bounded_in_bytes() {
    // A port nobody listens on: the link keeps trying to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let link = Link::spawn(
        client(&format!("redis://127.0.0.1:{port}")).unwrap(),
        Vec::new(),
        None,
    );
    let half = MAX_QUEUED_BYTES / 2 + 1;
    link.publish("c".to_owned(), vec![0; half], false);
    link.publish("c".to_owned(), vec![0; half], false);
    link.publish("c".to_owned(), vec![0; 10], false);
    assert_eq!(link.dropped.total(), 1);
    assert_eq!(link.queued_bytes.load(Ordering::Relaxed), half + 10);
    assert_eq!(link.queued.load(Ordering::Relaxed), 2);
}
