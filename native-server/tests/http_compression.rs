//! HTTP compression of polling responses (`http_compression`, engine.io's `httpCompression`): a
//! payload of 1,024 bytes or more goes out gzip- or deflate-encoded when the GET's
//! `Accept-Encoding` takes it, and as it is otherwise.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::io::Read;
use std::net::SocketAddr;

use common::{Polling, start};
use sockeye_server::{AckSender, Data, SocketIo, SocketIoBuilder, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw response: its head's lines and its body's bytes as sent.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        (self.headers.iter())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body, decoded as its `Content-Encoding` says.
    fn text(&self) -> String {
        let mut out = String::new();
        match self.header("content-encoding") {
            None => out = String::from_utf8(self.body.clone()).unwrap(),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_string(&mut out)
                    .unwrap();
            }
            Some("deflate") => {
                flate2::read::ZlibDecoder::new(&self.body[..])
                    .read_to_string(&mut out)
                    .unwrap();
            }
            Some(other) => panic!("unexpected Content-Encoding {other}"),
        };
        out
    }
}

/// A GET with these extra header lines, its body kept as bytes.
async fn get(addr: SocketAddr, path: &str, headers: &[&str]) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("a response in time")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    Raw {
        status: status.parse().unwrap(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
        body: raw[split + 4..].to_vec(),
    }
}

/// A server whose `/` acks `echo` with its argument, and a polling session connected to `/`.
async fn connected(builder: SocketIoBuilder) -> Polling {
    let (addr, io) = start(builder).await;
    io.ns("/", |socket: SocketRef| {
        socket.on("echo", |ack: AckSender, Data(s): Data<String>| {
            let _ = ack.send(&s);
        });
    });
    let s = Polling::open(addr).await;
    s.post("40").await;
    let connect = s.recv().await;
    assert!(connect[0].starts_with("40{"), "{connect:?}");
    s
}

/// Asks for an ack of a `len`-character string, and GETs it with `headers`; returns the raw
/// response and the packet it must decode to.
async fn echoed(s: &Polling, len: usize, headers: &[&str]) -> (Raw, String) {
    let text = "sockeye ".repeat(len / 8 + 1)[..len].to_owned();
    let res = s.post(&format!(r#"421["echo","{text}"]"#)).await;
    assert_eq!(res.status, 200);
    let raw = get(s.addr, &s.url(), headers).await;
    assert_eq!(raw.status, 200);
    (raw, format!(r#"431["{text}"]"#))
}

#[tokio::test]
async fn gzip_when_the_client_accepts_it() {
    let s = connected(SocketIo::builder()).await;
    let (res, packet) = echoed(&s, 4000, &["Accept-Encoding: gzip, deflate, br"]).await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(
        res.header("content-length"),
        Some(res.body.len().to_string().as_str())
    );
    assert!(res.body.len() < 200, "{} bytes", res.body.len());
    assert_eq!(res.text(), packet);
}

#[tokio::test]
async fn deflate_when_the_client_prefers_it() {
    let s = connected(SocketIo::builder()).await;
    let (res, packet) = echoed(&s, 4000, &["Accept-Encoding: gzip;q=0.5, deflate"]).await;
    assert_eq!(res.header("content-encoding"), Some("deflate"));
    assert_eq!(res.text(), packet);
    // Named first on an equal q, as the reference's `accepts` picks.
    let (res, packet) = echoed(&s, 4000, &["Accept-Encoding: deflate, gzip"]).await;
    assert_eq!(res.header("content-encoding"), Some("deflate"));
    assert_eq!(res.text(), packet);
}

#[tokio::test]
async fn as_it_is_without_accept_encoding_or_with_none_offered() {
    let s = connected(SocketIo::builder()).await;
    for headers in [
        &[][..],
        &["Accept-Encoding: br, identity"],
        &["Accept-Encoding: gzip;q=0"],
    ] {
        let (res, packet) = echoed(&s, 4000, headers).await;
        assert_eq!(res.header("content-encoding"), None, "{headers:?}");
        assert_eq!(res.body, packet.as_bytes());
    }
}

#[tokio::test]
async fn only_from_the_threshold() {
    let s = connected(SocketIo::builder()).await;
    // `431[""]` is 7 bytes around the text: 1,023 bytes in all, then 1,024.
    let (res, packet) = echoed(&s, 1016, &["Accept-Encoding: gzip"]).await;
    assert_eq!(packet.len(), 1023);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.body, packet.as_bytes());
    let (res, packet) = echoed(&s, 1017, &["Accept-Encoding: gzip"]).await;
    assert_eq!(packet.len(), 1024);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.text(), packet);

    // The threshold is an option.
    let s = connected(SocketIo::builder().http_compression_threshold(100)).await;
    let (res, packet) = echoed(&s, 200, &["Accept-Encoding: deflate"]).await;
    assert_eq!(res.header("content-encoding"), Some("deflate"));
    assert_eq!(res.text(), packet);
}

#[tokio::test]
async fn never_when_turned_off() {
    let s = connected(SocketIo::builder().http_compression(false)).await;
    let (res, packet) = echoed(&s, 100_000, &["Accept-Encoding: gzip, deflate"]).await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.body, packet.as_bytes());
}

#[tokio::test]
async fn large_payloads_too() {
    // Past the size compressed on the blocking pool.
    let s = connected(SocketIo::builder()).await;
    let (res, packet) = echoed(&s, 500_000, &["Accept-Encoding: gzip"]).await;
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(res.body.len() < 10_000, "{} bytes", res.body.len());
    assert_eq!(res.text(), packet);
}

/// The Content-Encoding of the polling response that carries the binary's answer to a
/// `test:slow-ack` of a 4,000-character string, once decoded and checked.
async fn binary_ack_encoding(extra: &[&str]) -> Option<String> {
    let mut args = vec!["--no-serve-client", "--test-hooks"];
    args.extend_from_slice(extra);
    let (mut child, addr) = common::spawn_binary(args).await;
    let s = Polling::open(addr).await;
    s.post("40").await;
    let text = "sockeye ".repeat(500);
    s.post(&format!(r#"421["test:slow-ack",0,"{text}"]"#)).await;
    let ack = format!(r#"431["{text}"]"#);
    let encoding = loop {
        let res = get(addr, &s.url(), &["Accept-Encoding: gzip"]).await;
        assert_eq!(res.status, 200);
        // The demo's own events (`rooms`) may come first.
        if res.text().split('\u{1e}').any(|p| p == ack) {
            break res.header("content-encoding").map(str::to_owned);
        }
    };
    child.kill().await.unwrap();
    encoding
}

#[tokio::test]
async fn the_binary_compresses_unless_told_not_to() {
    assert_eq!(binary_ack_encoding(&[]).await.as_deref(), Some("gzip"));
    assert_eq!(binary_ack_encoding(&["--no-http-compression"]).await, None);
}
