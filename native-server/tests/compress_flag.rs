//! The `compress` flag (`socket.compress(false)`, `io.compress(false)`, `to(room).compress(false)`)
//! on the wire: with permessage-deflate a large event sent without it leaves uncompressed (RSV1
//! clear), the same event with it compressed; a polling response whose packets were all sent
//! without it has no `Content-Encoding`, one with any packet sent with it is gzip past the
//! threshold.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::{Decompress, FlushDecompress};
use sockeye_server::{PerMessageDeflate, SocketIo, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{Polling, start};

/// A JSON string of 4,000 characters that deflate shrinks well.
fn long() -> String {
    "sockeye ".repeat(500)
}

/// The packet `42["big","<long>"]` as the client gets it.
fn big_packet() -> String {
    format!(r#"42["big","{}"]"#, long())
}

/// A server whose sockets join room `r`, with the sockets kept for the test to emit on.
async fn server(deflate: bool) -> (SocketAddr, SocketIo, Arc<Mutex<Vec<SocketRef>>>) {
    let mut builder = SocketIo::builder();
    if deflate {
        builder = builder.per_message_deflate(PerMessageDeflate::default());
    }
    let (addr, io) = start(builder).await;
    let sockets = Arc::new(Mutex::new(Vec::new()));
    let kept = sockets.clone();
    io.ns("/", move |socket: SocketRef| {
        socket.join("r").unwrap();
        kept.lock().unwrap().push(socket);
    });
    (addr, io, sockets)
}

/// The `n`th socket that connected.
fn socket(sockets: &Mutex<Vec<SocketRef>>, n: usize) -> SocketRef {
    sockets.lock().unwrap()[n].clone()
}

// ---- WebSocket ----

/// A WebSocket client over a bare TCP stream, to see RSV1 (a WebSocket library hides it).
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
    inflater: Decompress,
}

/// One frame from the server.
#[derive(Debug)]
struct Frame {
    rsv1: bool,
    payload: Vec<u8>,
}

impl Raw {
    /// Opens a WebSocket offering permessage-deflate, reads the open packet and joins `/`.
    async fn join(addr: SocketAddr) -> Raw {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Raw {
            stream,
            buf: Vec::new(),
            inflater: Decompress::new(false),
        };
        let end = loop {
            if let Some(end) = raw.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            raw.fill().await;
        };
        let head = String::from_utf8(raw.buf[..end].to_vec()).unwrap();
        assert!(head.contains("permessage-deflate"), "{head}");
        raw.buf.drain(..end + 4);
        assert!(raw.next().await.payload.starts_with(b"0{"));
        // One masked text frame `40` (a zero key leaves it as it is).
        raw.stream
            .write_all(&[0x81, 0x82, 0, 0, 0, 0, b'4', b'0'])
            .await
            .unwrap();
        assert!(raw.next().await.payload.starts_with(b"40{"));
        raw
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = tokio::time::timeout(common::WAIT, self.stream.read(&mut chunk))
            .await
            .expect("the server answers in time")
            .unwrap();
        assert!(n > 0, "the server closed the connection");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    async fn next(&mut self) -> Frame {
        loop {
            if self.buf.len() >= 2 {
                let (len, at) = match self.buf[1] & 0x7F {
                    126 if self.buf.len() >= 4 => (
                        usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]])),
                        4,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (usize::from(n), 2),
                };
                if len != usize::MAX && self.buf.len() >= at + len {
                    let frame = Frame {
                        rsv1: self.buf[0] & 0x40 != 0,
                        payload: self.buf[at..at + len].to_vec(),
                    };
                    self.buf.drain(..at + len);
                    return frame;
                }
            }
            self.fill().await;
        }
    }

    /// The next message's text and whether it came compressed; a compressed one is inflated
    /// through the connection's window.
    async fn message(&mut self) -> (String, bool) {
        let frame = self.next().await;
        if !frame.rsv1 {
            return (String::from_utf8(frame.payload).unwrap(), false);
        }
        let mut input = frame.payload;
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = Vec::with_capacity(1 << 16);
        self.inflater
            .decompress_vec(&input, &mut out, FlushDecompress::None)
            .unwrap();
        (String::from_utf8(out).unwrap(), true)
    }

    /// Reads the next message: the big event, compressed or not as `compressed` says.
    async fn expect_big(&mut self, compressed: bool) {
        let (text, came_compressed) = self.message().await;
        assert!(text == big_packet(), "another message: {text:.40}");
        assert_eq!(came_compressed, compressed, "RSV1");
    }
}

#[tokio::test]
async fn a_socket_emit_without_the_flag_goes_uncompressed_on_a_websocket() {
    let (addr, _io, sockets) = server(true).await;
    let mut ws = Raw::join(addr).await;
    let s = socket(&sockets, 0);
    s.compress(false).emit("big", &long()).unwrap();
    ws.expect_big(false).await;
    s.emit("big", &long()).unwrap();
    ws.expect_big(true).await;
    s.compress(true).emit("big", &long()).unwrap();
    ws.expect_big(true).await;

    // An emit with an ack goes through the core's own queue: the flag goes with it too.
    let task = {
        let s = s.clone();
        tokio::spawn(async move {
            let _ = s
                .compress(false)
                .timeout(Duration::from_secs(30))
                .emit_with_ack::<_, ()>("big", &long())
                .await;
        })
    };
    let (text, compressed) = ws.message().await;
    assert!(text.starts_with(r#"420["big","#), "{text:.20}");
    assert!(!compressed);
    task.abort();
}

#[tokio::test]
async fn a_broadcast_without_the_flag_goes_uncompressed_to_every_receiver() {
    let (addr, io, _sockets) = server(true).await;
    let mut a = Raw::join(addr).await;
    let mut b = Raw::join(addr).await;
    io.compress(false).emit("big", &long()).unwrap();
    io.to("r").compress(false).emit("big", &long()).unwrap();
    for ws in [&mut a, &mut b] {
        ws.expect_big(false).await;
        ws.expect_big(false).await;
    }
    io.to("r").emit("big", &long()).unwrap();
    for ws in [&mut a, &mut b] {
        ws.expect_big(true).await;
    }
}

// ---- polling ----

/// A GET of the session's next payload, accepting gzip: its `Content-Encoding` and its packets.
async fn get_gzip(s: &Polling) -> (Option<String>, Vec<String>) {
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n",
        s.url(),
        s.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(common::WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("a response in time")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let encoding = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-encoding")
            .then(|| value.trim().to_owned())
    });
    let body = &raw[split + 4..];
    let text = match encoding.as_deref() {
        None => String::from_utf8(body.to_vec()).unwrap(),
        Some("gzip") => {
            let mut out = String::new();
            flate2::read::GzDecoder::new(body)
                .read_to_string(&mut out)
                .unwrap();
            out
        }
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    };
    (encoding, text.split('\u{1e}').map(str::to_owned).collect())
}

/// A polling session connected to `/`, its CONNECT answer read.
async fn polling(addr: SocketAddr) -> Polling {
    let s = Polling::open(addr).await;
    s.post("40").await;
    let connect = s.recv().await;
    assert!(connect[0].starts_with("40{"), "{connect:?}");
    s
}

#[tokio::test]
async fn a_polling_payload_of_only_packets_without_the_flag_is_not_compressed() {
    let (addr, io, sockets) = server(false).await;
    let s = polling(addr).await;
    let socket = socket(&sockets, 0);
    // Queued before the GET (the emits reach the session before it), so one payload holds both.
    socket.compress(false).emit("big", &long()).unwrap();
    io.to("r").compress(false).emit("big", &long()).unwrap();
    let (encoding, packets) = get_gzip(&s).await;
    assert_eq!(encoding, None);
    assert_eq!(packets, [big_packet(), big_packet()]);

    // Any packet with the flag makes the payload compressible (here a short one).
    socket.compress(false).emit("big", &long()).unwrap();
    socket.emit("small", &1).unwrap();
    let (encoding, packets) = get_gzip(&s).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(packets, [big_packet(), String::from(r#"42["small",1]"#)]);

    // The same event with the flag, alone.
    io.emit("big", &long()).unwrap();
    let (encoding, packets) = get_gzip(&s).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(packets, [big_packet()]);

    // An emit with an ack, without the flag, answers a parked GET as it is.
    let get = tokio::spawn(async move { get_gzip(&s).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let ack = tokio::spawn(async move {
        let _ = socket
            .compress(false)
            .timeout(Duration::from_secs(30))
            .emit_with_ack::<_, ()>("big", &long())
            .await;
    });
    let (encoding, packets) = get.await.unwrap();
    assert_eq!(encoding, None);
    assert!(
        packets[0].starts_with(r#"420["big","#),
        "{:.20}",
        packets[0]
    );
    ack.abort();
}
