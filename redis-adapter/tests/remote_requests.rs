//! What a request from another node (or from anyone who can publish on the adapter's
//! channels) may make this node do: how long it waits for its clients, how many requests it
//! answers at once.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::time::Duration;

use common::{RedisServer, Sio, eventually, start};
use sockeye_redis::{Limits, RedisAdapterConfig};
use sockeye_server::{Args, SocketIo, ToArgs};

/// How many answers node `a` gets (within 3 s) to a broadcast with acknowledgements whose one
/// client, on node `b`, answers after 500 ms, when `b` waits at most `max` for its clients.
async fn late_answers(max: Duration) -> usize {
    let redis = RedisServer::start();
    let config_a = RedisAdapterConfig::new(&redis.url).unwrap();
    let (_, a) = start(SocketIo::builder().adapter(config_a.factory())).await;
    let limits = Limits::default().max_remote_ack_timeout(max);
    let config_b = RedisAdapterConfig::new(&redis.url).unwrap().limits(limits);
    let (addr_b, _b) = start(SocketIo::builder().adapter(config_b.factory())).await;
    let mut client = Sio::connect(addr_b, "").await;
    common::wait_until_linked(&a, &mut client).await;
    // The request asks node b to wait 3 s.
    let ask = tokio::spawn(async move {
        a.timeout(Duration::from_secs(3))
            .emit_with_ack::<_, sockeye_server::Value>("question", &())
            .await
    });
    let ack_id = loop {
        let text = client.recv().await;
        if let Some((id, _)) = text
            .strip_prefix("42")
            .and_then(|rest| rest.split_once("[\"question\""))
        {
            break id.to_owned();
        }
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.send(&format!("43{ack_id}[\"late\"]")).await;
    match ask.await.unwrap() {
        Ok(answers) => answers.len(),
        Err(e) => e.responses.len(),
    }
}

#[tokio::test]
async fn a_remote_ack_timeout_within_the_bound_is_kept() {
    assert_eq!(late_answers(Duration::from_secs(60)).await, 1);
}

#[tokio::test]
async fn a_remote_ack_timeout_past_the_bound_is_cut() {
    assert_eq!(late_answers(Duration::from_millis(100)).await, 0);
}

/// Node `a` sends two `serverSideEmitWithAck` at once to node `b`, which answers at most `max`
/// requests from other nodes at once. `b`'s handler answers once both requests reached it, or
/// after 2 s: so both are in flight together whatever the machine's load. How many of the two
/// got `b`'s answer (within 5 s).
async fn answered_at_once(max: usize) -> usize {
    let redis = RedisServer::start();
    let config_a = RedisAdapterConfig::new(&redis.url).unwrap();
    let (_, a) = start(SocketIo::builder().adapter(config_a.factory())).await;
    let limits = Limits::default().max_remote_requests(max);
    let config_b = RedisAdapterConfig::new(&redis.url).unwrap().limits(limits);
    let (_, b) = start(SocketIo::builder().adapter(config_b.factory())).await;
    let (started, _) = tokio::sync::watch::channel(0usize);
    b.sockets().on_server_side("slow", move |_args: Args, ack| {
        let started = started.clone();
        async move {
            started.send_modify(|n| *n += 1);
            let mut seen = started.subscribe();
            let both = seen.wait_for(|n| *n >= 2);
            let _ = tokio::time::timeout(Duration::from_secs(2), both).await;
            if let Some(ack) = ack {
                let _ = ack.send("done".to_args().unwrap());
            }
        }
    });
    eventually("both nodes subscribed", || {
        let a = a.clone();
        async move { a.sockets().adapter().server_count().await.ok() == Some(2) }
    })
    .await;
    let nsp = a.sockets();
    let ask = || nsp.server_side_emit_with_ack("slow", &(), Duration::from_secs(5));
    let (first, second) = tokio::join!(ask(), ask());
    [first, second]
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|answers| answers.len() == 1))
        .count()
}

#[tokio::test]
async fn requests_within_the_bound_are_all_answered() {
    assert_eq!(answered_at_once(1024).await, 2);
}

#[tokio::test]
async fn requests_past_the_bound_are_dropped() {
    assert_eq!(answered_at_once(1).await, 1);
}
