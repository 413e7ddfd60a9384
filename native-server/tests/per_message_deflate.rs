//! permessage-deflate (RFC 7692) through the whole server: the offer in the upgrade request, the
//! answer, compressed frames both ways, the bound on what a compressed message inflates to.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockeye_server::{AckSender, Data, PerMessageDeflate, SocketIo, SocketRef};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::start;

/// A WebSocket client over a bare TCP stream, to see the handshake's answer and RSV1.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
    /// `Sec-WebSocket-Extensions` in the answer, if any.
    extensions: Option<String>,
}

/// One frame from the server: RSV1, opcode, payload.
#[derive(Debug)]
struct Frame {
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

impl Raw {
    async fn open(addr: SocketAddr, offer: Option<&str>) -> Raw {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let offer = offer.map_or(String::new(), |o| {
            format!("Sec-WebSocket-Extensions: {o}\r\n")
        });
        let req = format!(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\n\
             Upgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Raw {
            stream,
            buf: Vec::new(),
            extensions: None,
        };
        let end = loop {
            if let Some(end) = raw.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            raw.fill().await;
        };
        let head = String::from_utf8(raw.buf[..end].to_vec()).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        raw.extensions = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-extensions")
                .then(|| value.trim().to_owned())
        });
        raw.buf.drain(..end + 4);
        raw
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk))
            .await
            .expect("the server answers within 5 s")
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
                    127 if self.buf.len() >= 10 => (
                        usize::try_from(u64::from_be_bytes(self.buf[2..10].try_into().unwrap()))
                            .unwrap(),
                        10,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (usize::from(n), 2),
                };
                if len != usize::MAX && self.buf.len() >= at + len {
                    let frame = Frame {
                        rsv1: self.buf[0] & 0x40 != 0,
                        opcode: self.buf[0] & 0x0F,
                        payload: self.buf[at..at + len].to_vec(),
                    };
                    self.buf.drain(..at + len);
                    return frame;
                }
            }
            self.fill().await;
        }
    }

    /// Sends one masked frame (a zero key: the payload as it is).
    async fn send(&mut self, first: u8, payload: &[u8]) {
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n < 65536 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(payload);
        self.stream.write_all(&out).await.unwrap();
    }

    /// The open packet read and `/` joined.
    async fn join(&mut self) {
        assert!(self.next().await.payload.starts_with(b"0{"));
        self.send(0x81, b"40").await;
        assert!(self.next().await.payload.starts_with(b"40{"));
    }
}

/// One message compressed as RFC 7692 section 7.2.1 says, by a compressor of its own.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() + 1024);
    c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

fn inflate(d: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut input = data.to_vec();
    input.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let mut out = Vec::with_capacity(1 << 20);
    d.decompress_vec(&input, &mut out, FlushDecompress::None)
        .unwrap();
    out
}

async fn server(deflate: bool) -> SocketAddr {
    let mut builder = SocketIo::builder();
    if deflate {
        builder = builder.per_message_deflate(PerMessageDeflate::default());
    }
    let (addr, io) = start(builder).await;
    io.ns("/", |socket: SocketRef| {
        socket.on("echo", |socket: SocketRef, Data(text): Data<String>| {
            let _ = socket.emit("echo", &text);
        });
        socket.on("ack", |Data(text): Data<String>, ack: AckSender| {
            let _ = ack.send(&text);
        });
    });
    addr
}

#[tokio::test]
async fn compressed_both_ways_from_the_threshold_up_with_context_takeover() {
    let addr = server(true).await;
    let mut ws = Raw::open(addr, Some("permessage-deflate; client_max_window_bits")).await;
    assert_eq!(ws.extensions.as_deref(), Some("permessage-deflate"));
    ws.join().await;
    let mut inflater = Decompress::new(false);
    // Numbers that repeat little within a message: the second copy is what the window saves.
    let long = (0..400u32)
        .map(|i| (i * 7919 % 10007).to_string())
        .collect::<Vec<_>>()
        .join(",");
    // A compressed event in, its echo compressed out; twice, the second through the window.
    let mut sizes = Vec::new();
    for _ in 0..2 {
        let packet = format!(r#"42["echo","{long}"]"#);
        ws.send(0xC1, &deflate(packet.as_bytes())).await;
        let frame = ws.next().await;
        assert!(frame.rsv1 && frame.opcode == 1, "{frame:?}");
        assert_eq!(inflate(&mut inflater, &frame.payload), packet.as_bytes());
        sizes.push(frame.payload.len());
    }
    assert!(
        sizes[1] < sizes[0] / 4,
        "{sizes:?}: the second refers to the first"
    );
    // Below the threshold (1,024 bytes): as it is.
    ws.send(0x81, br#"421["ack","short"]"#).await;
    let frame = ws.next().await;
    assert!(!frame.rsv1);
    assert_eq!(frame.payload, br#"431["short"]"#);
}

#[tokio::test]
async fn a_compression_bomb_closes_with_1009_like_an_oversized_message() {
    let addr = server(true).await;
    let mut ws = Raw::open(addr, Some("permessage-deflate")).await;
    ws.join().await;
    // 2 MB of zeros in about 2 KB, against a bound of 1,000,000 bytes.
    let bomb = deflate(&vec![0; 2_000_000]);
    assert!(bomb.len() < 4_000);
    ws.send(0xC2, &bomb).await;
    let close = loop {
        let frame = ws.next().await;
        if frame.opcode == 8 {
            break frame;
        }
    };
    assert_eq!(close.payload[..2], 1009u16.to_be_bytes());
    // The server goes on.
    let mut other = Raw::open(addr, Some("permessage-deflate")).await;
    other.join().await;
}

#[tokio::test]
async fn off_by_default_where_rsv1_stays_a_protocol_error() {
    let addr = server(false).await;
    let mut ws = Raw::open(addr, Some("permessage-deflate")).await;
    assert_eq!(ws.extensions, None);
    ws.join().await;
    ws.send(0xC1, &deflate(br#"42["echo","x"]"#)).await;
    let close = ws.next().await;
    assert_eq!(close.opcode, 8);
    assert_eq!(close.payload[..2], 1002u16.to_be_bytes());
    // A client that offers nothing gets nothing, with the option on.
    let mut plain = Raw::open(server(true).await, None).await;
    assert_eq!(plain.extensions, None);
    plain.join().await;
}
