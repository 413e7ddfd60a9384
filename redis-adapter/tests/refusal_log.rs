//! A flood of malformed messages on the channels makes one log line, not one per message (its
//! own test binary: it captures the process's log).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::{RedisServer, Sio, WAIT, next_event, start};
use sockeye_redis::{Emitter, RedisAdapterConfig};
use sockeye_server::SocketIo;

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_flood_of_malformed_messages_makes_one_log_line() {
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_writer(|| Capture)
        .init();
    let redis = RedisServer::start();
    let config = RedisAdapterConfig::new(&redis.url).unwrap();
    let (addr, _io) = start(SocketIo::builder().adapter(config.factory())).await;
    let mut client = Sio::connect(addr, "").await;
    let emitter = Emitter::new(&redis.url).unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        emitter.emit("probe", &()).unwrap();
        if let Ok(text) = tokio::time::timeout(Duration::from_millis(200), client.recv()).await
            && text.starts_with("42[\"probe\"")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node never heard Redis"
        );
    }

    let mut conn = redis.connection().await;
    for _ in 0..500 {
        // 0xc1 is never valid MessagePack.
        let _: () = redis::cmd("PUBLISH")
            .arg("socket.io#/#")
            .arg(&[0xc1u8][..])
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    emitter.emit("end", &()).unwrap();
    // Read in order after the flood: the node went through all of it.
    assert_eq!(next_event(&mut client).await[0], "end");
    let log = String::from_utf8(LOG.lock().unwrap().clone()).unwrap();
    let lines = log
        .lines()
        .filter(|l| l.contains("malformed broadcast"))
        .count();
    assert_eq!(lines, 1, "{log}");
}
