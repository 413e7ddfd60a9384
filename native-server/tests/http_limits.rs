//! The HTTP server's own bounds ([`ServeConfig`]): a client that sends its request head too slowly,
//! or nothing at all, is cut off after `header_read_timeout`; a head over `max_header_size` gets
//! 431; and the server goes on serving everyone else meanwhile. `bind` queues bursts of connections.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockeye_server::{ServeConfig, SocketIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(300);

/// Serves on 127.0.0.1:0 with a short header timeout; the server runs while the returned
/// `SocketIo` lives.
async fn start() -> (SocketAddr, SocketIo) {
    let mut config = ServeConfig::default();
    config.header_read_timeout = HEADER_READ_TIMEOUT;
    common::start_with(SocketIo::builder(), config).await
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed(stream: &mut TcpStream) -> (String, Instant) {
    let mut out = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .unwrap_or_default();
    (String::from_utf8_lossy(&out).into_owned(), Instant::now())
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let (addr, _io) = start().await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (_, closed) = until_closed(&mut stream).await;
    assert!(closed - started >= HEADER_READ_TIMEOUT);
}

#[tokio::test]
async fn a_head_that_trickles_in_is_cut_off_while_others_are_served() {
    let (addr, _io) = start().await;
    let started = Instant::now();
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n")
        .await
        .unwrap();
    // One header line at a time, each well within the timeout, never the blank line.
    let trickle = async {
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if slow
                .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
    };
    let others = async {
        let open = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
        assert_eq!(open.status, 200);
        assert!(open.body.starts_with("0{\"sid\":"), "{}", open.body);
    };
    tokio::join!(trickle, others);
    let (_, closed) = until_closed(&mut slow).await;
    assert!(closed - started >= HEADER_READ_TIMEOUT);
    assert!(
        closed - started < Duration::from_millis(2_500),
        "cut off at the timeout, not when the client gave up"
    );
}

#[tokio::test]
async fn an_oversized_head_gets_431() {
    let (addr, _io) = start().await;
    let big = "a".repeat(20 * 1024);
    let res = common::send(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("X-Big", &big)],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(res.status, 431);
    // Just under the bound is fine.
    let fits = "a".repeat(15 * 1024);
    let res = common::send(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("X-Big", &fits)],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(res.status, 200);
}

/// `bind` listens with a backlog of `LISTEN_BACKLOG` (up to the kernel's `somaxconn`): a burst
/// of connections larger than tokio's default backlog (1,024) all complete their handshake while
/// the server accepts none (past the backlog, Linux drops the SYNs and `connect` would hang).
#[tokio::test]
async fn bind_queues_a_burst_larger_than_tokio_s_default_backlog() {
    let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096);
    let burst = somaxconn
        .min(sockeye_server::LISTEN_BACKLOG as usize)
        .min(1500)
        - 10;
    let listener = sockeye_server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::with_capacity(burst);
    for i in 0..burst {
        let stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("connection {i} of {burst} was not queued"))
            .unwrap();
        held.push(stream);
    }
    assert_eq!(held.len(), burst);
    // The listener is still usable: it hands out the queued connections in order.
    let (_, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, held[0].local_addr().unwrap());
}
