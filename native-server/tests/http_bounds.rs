//! The HTTP server's time bounds past the request head ([`ServeConfig`]): a POST body that trickles
//! in is cut off after `body_read_timeout` (408), an idle keep-alive connection is closed after
//! `keep_alive_timeout` (but not a long-polling GET or a WebSocket); and the optional handshake
//! rate per address (`handshake_rate_per_ip`, 429). Real sockets, a byte at a time, with short
//! timeouts.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{Polling, Sio, WAIT, Ws};
use sockeye_server::{ServeConfig, SocketIo, SocketIoBuilder, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BODY_READ_TIMEOUT: Duration = Duration::from_millis(300);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_millis(300);

/// Serves `builder` on 127.0.0.1:0 with short body and keep-alive timeouts (the head's stays at
/// 60 s, so that what closes a connection here is the bound under test).
async fn start(builder: SocketIoBuilder) -> (SocketAddr, SocketIo) {
    let mut config = ServeConfig::default();
    config.body_read_timeout = BODY_READ_TIMEOUT;
    config.keep_alive_timeout = KEEP_ALIVE_TIMEOUT;
    common::start_with(builder, config).await
}

/// Reads one response (its head and a `Content-Length` body) from a kept-alive connection.
async fn read_response(
    stream: &mut (impl AsyncReadExt + Unpin),
) -> (u16, Vec<(String, String)>, String) {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, stream.read(&mut byte))
            .await
            .expect("a response in time")
            .unwrap();
        assert_eq!(n, 1, "the connection closed mid-response: {raw:?}");
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0u8; len];
    tokio::time::timeout(WAIT, stream.read_exact(&mut body))
        .await
        .unwrap()
        .unwrap();
    (status, headers, String::from_utf8(body).unwrap())
}

/// Waits for the server to close the connection (EOF or reset); returns when it did.
async fn closed_at(stream: &mut TcpStream) -> Instant {
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection");
    Instant::now()
}

#[tokio::test]
async fn a_post_body_that_trickles_in_gets_408_and_the_connection_is_closed() {
    let (addr, _io) = start(common::fast().ping_interval(Duration::from_secs(10))).await;
    let session = Polling::open(addr).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
             Content-Length: 100\r\n\r\n",
            session.url()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let (mut rd, mut wr) = slow.split();
    // A byte every 50 ms: each well within the timeout, the whole body never.
    let trickle = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if wr.write_all(b"4").await.is_err() {
                break;
            }
        }
    };
    // The answer comes while the client still writes.
    let answer = async {
        let res = read_response(&mut rd).await;
        (res, Instant::now())
    };
    let (((status, headers, _), answered), ()) = tokio::join!(answer, trickle);
    assert_eq!(status, 408);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "connection" && v == "close"),
        "{headers:?}"
    );
    assert!(answered - started >= BODY_READ_TIMEOUT);
    assert!(
        answered - started < Duration::from_millis(1_500),
        "cut off at the timeout, not when the client stopped"
    );
    closed_at(&mut slow).await;
    // The session lost its POST mid-body, as the reference's does when a POST ends early: it is
    // closed. The server goes on.
    let res = session.post("40").await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (400, r#"{"code":1,"message":"Session ID unknown"}"#)
    );
    let session = Polling::open(addr).await;
    assert_eq!(session.post("40").await.status, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_keep_alive_timeout() {
    let (addr, _io) = start(common::fast()).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /nothing-here HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut conn).await.0, 404);
    // A request within the timeout is served on the same connection...
    tokio::time::sleep(KEEP_ALIVE_TIMEOUT / 2).await;
    conn.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut conn).await.0, 404);
    let idle_from = Instant::now();
    // ... and then the idle connection is closed at the timeout, long before the head's 60 s.
    let closed = closed_at(&mut conn).await;
    assert!(
        closed - idle_from >= KEEP_ALIVE_TIMEOUT,
        "{:?}",
        closed - idle_from
    );
    assert!(closed - idle_from < Duration::from_millis(2_500));
}

#[tokio::test]
async fn responses_say_the_keep_alive_timeout_as_node_does() {
    // The default configuration: 5 s.
    let (addr, _io) = common::start_with(common::fast(), ServeConfig::default()).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let keep_alive = |headers: &[(String, String)]| {
        headers
            .iter()
            .find(|(k, _)| k == "keep-alive")
            .map(|(_, v)| v.clone())
    };
    for path in ["/nothing-here", "/socket.io/?EIO=4&transport=polling"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        conn.write_all(request.as_bytes()).await.unwrap();
        let (_, headers, _) = read_response(&mut conn).await;
        assert_eq!(keep_alive(&headers).as_deref(), Some("timeout=5"), "{path}");
    }
    // Not on a connection the request closes.
    let request =
        format!("GET /nothing-here HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let (_, headers, _) = read_response(&mut conn).await;
    assert_eq!(keep_alive(&headers), None);
}

#[tokio::test]
async fn a_head_begun_in_time_is_not_cut_by_the_keep_alive_timeout() {
    let (addr, _io) = start(common::fast()).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /nothing-here HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut conn).await.0, 404);
    // The next head starts at once and takes twice the keep-alive timeout to arrive.
    let (first, rest) = request.split_at(10);
    conn.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(KEEP_ALIVE_TIMEOUT * 2).await;
    conn.write_all(rest.as_bytes()).await.unwrap();
    assert_eq!(read_response(&mut conn).await.0, 404);
}

#[tokio::test]
async fn a_long_poll_and_a_websocket_outlive_the_keep_alive_timeout() {
    // pingInterval 1 s: a polling GET waits that long for its ping.
    let builder = common::fast().ping_interval(Duration::from_secs(1));
    let (addr, io) = start(builder).await;
    io.ns("/", |socket: SocketRef| async move {
        socket.on(
            "echo",
            |_s: SocketRef, ev: sockeye_server::Event| async move {
                let _ = ev.ack_with(&"here");
            },
        );
    });
    let session = Polling::open(addr).await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let poll = format!("GET {} HTTP/1.1\r\nHost: {addr}\r\n\r\n", session.url());
    conn.write_all(poll.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (status, _, body) = read_response(&mut conn).await;
    assert_eq!((status, body.as_str()), (200, "2"));
    assert!(started.elapsed() > KEEP_ALIVE_TIMEOUT * 2);

    let mut c = Sio::connect(addr, "").await;
    assert_eq!(c.ws.quiet_for(KEEP_ALIVE_TIMEOUT * 3).await, None);
    c.send(r#"421["echo"]"#).await;
    assert_eq!(c.recv().await, r#"431["here"]"#);
}

#[tokio::test]
async fn handshakes_past_the_rate_per_address_get_429() {
    // Two at once, then ten a second.
    let (addr, io) = common::start(common::fast().handshake_rate_per_ip(10, 2)).await;
    io.ns("/", |_s: SocketRef| async move {});
    let first = Polling::open(addr).await;
    Polling::open(addr).await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 429);
    assert_eq!(res.body, r#"{"code":4,"message":"Too many handshakes"}"#);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("retry-after"), Some("1"));
    // A WebSocket handshake too.
    match Ws::try_connect(addr, "EIO=4&transport=websocket").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    // Requests of an existing session are not handshakes.
    assert_eq!(first.post("40").await.status, 200);
    assert!(first.recv().await[0].starts_with("40{"));
    // A tenth of a second later, one more.
    tokio::time::sleep(Duration::from_millis(120)).await;
    Polling::open(addr).await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 429);
}

#[tokio::test]
async fn without_the_option_handshakes_are_not_limited() {
    let (addr, _io) = common::start(common::fast()).await;
    for _ in 0..50 {
        Polling::open(addr).await;
    }
}
