//! engine.io 6.6.13's bounds on a polling POST, wherever the endpoint is mounted: its body arrives
//! within `http_request_body_timeout` (408) and in at most `max_buffered_chunks` chunks (413), and
//! a refused body closes the session with `transport error`, as one over `max_http_buffer_size`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Polling, channel, next};
use sockeye_server::{DisconnectReason, SocketIo, SocketIoBuilder, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;

/// Serves `builder` with `/` reporting each disconnection's reason; the default `ServeConfig`
/// (its `body_read_timeout` is 300 s, so what cuts a body here is the endpoint's own bound).
async fn start(
    builder: SocketIoBuilder,
) -> (SocketAddr, SocketIo, UnboundedReceiver<DisconnectReason>) {
    let (addr, io) = common::start(builder).await;
    let (tx, rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_s: SocketRef, reason: DisconnectReason| {
                let _ = tx.send(reason);
            });
        }
    });
    (addr, io, rx)
}

/// A polling session with `/` connected.
async fn connected(addr: SocketAddr) -> Polling {
    let s = Polling::open(addr).await;
    assert_eq!(s.post("40").await.body, "ok");
    assert!(s.recv().await[0].starts_with("40{"));
    s
}

/// Sends a POST to the session with `head_extra` headers and `body` as it is, then reads the
/// whole answer (the server closes the connection).
async fn raw_post(s: &Polling, head_extra: &str, body: &[u8]) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\n{head_extra}\r\n",
        s.url(),
        s.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("an answer, then the connection closed")
        .unwrap_or_default();
    (String::from_utf8_lossy(&raw).into_owned(), stream)
}

/// `text` as a chunked body, one chunk per character, then the last chunk.
fn chunked(text: &str) -> Vec<u8> {
    let mut out = String::new();
    for c in text.chars() {
        out.push_str(&format!("{:x}\r\n{c}\r\n", c.len_utf8()));
    }
    out.push_str("0\r\n\r\n");
    out.into_bytes()
}

#[tokio::test]
async fn a_body_slower_than_http_request_body_timeout_is_408_and_closes_the_session() {
    let timeout = Duration::from_millis(300);
    let (addr, _io, mut reasons) = start(common::fast().http_request_body_timeout(timeout)).await;
    let s = connected(addr).await;
    let started = Instant::now();
    // One byte of ten, then nothing.
    let (answer, _stream) = raw_post(&s, "Content-Length: 10\r\n", b"4").await;
    assert!(started.elapsed() >= timeout);
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(next(&mut reasons).await, DisconnectReason::TransportError);
    assert_eq!(s.get().await.status, 400, "the session is gone");
}

#[tokio::test]
async fn a_body_in_more_than_max_buffered_chunks_chunks_is_413_and_closes_the_session() {
    let (addr, _io, mut reasons) = start(common::fast().max_buffered_chunks(5)).await;
    let s = connected(addr).await;
    // Five chunks pass: `42[1]`, an event.
    let (answer, _) = raw_post(
        &s,
        "Transfer-Encoding: chunked\r\nConnection: close\r\n",
        &chunked("42[1]"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    // Six do not.
    let (answer, _) = raw_post(
        &s,
        "Transfer-Encoding: chunked\r\nConnection: close\r\n",
        &chunked("42[12]"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert_eq!(next(&mut reasons).await, DisconnectReason::TransportError);
    assert_eq!(s.get().await.status, 400, "the session is gone");
}

#[tokio::test]
async fn a_body_over_max_http_buffer_size_closes_the_session() {
    let (addr, _io, mut reasons) = start(common::fast().max_http_buffer_size(100)).await;
    let s = connected(addr).await;
    let res = s.post(&format!("4{}", "x".repeat(200))).await;
    assert_eq!(res.status, 413);
    assert_eq!(res.header("connection"), Some("close"));
    assert_eq!(next(&mut reasons).await, DisconnectReason::TransportError);
    assert_eq!(s.get().await.status, 400, "the session is gone");
}
