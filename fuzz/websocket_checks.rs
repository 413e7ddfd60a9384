//! The check of the `websocket_client` fuzz target, shared with the stable test that replays its
//! corpus (`websocket/tests/fuzz_corpus.rs`): what a server sends to a `sockeye-websocket`
//! client, its handshake answer and the frames after it.
//!
//! Input format: the first byte is the mode, the rest what the server sends.
//!
//! - bit 0 clear, the handshake: `handshake::client` over an in-memory pipe against a fake server
//!   that reads the request head, writes the rest (every `ACCEPT` in the answer's
//!   `Sec-WebSocket-Accept` lines replaced by the accept key of the request's key) and closes; then the client reads messages.
//!   Bit 1: the client offers permessage-deflate; bit 2: with `client_no_context_takeover`.
//! - bit 0 set, frames only: `WebSocket::client` reads the rest. Bit 1: permessage-deflate
//!   agreed; bit 2: `server_no_context_takeover`; bit 3: `client_no_context_takeover`.
//! - bits 4 to 7, both modes: how the bytes come. 0: all at once (frames only: already read, in
//!   the buffer `WebSocket::client` starts with); n: written in pieces of 2^(n-1) bytes.
//!
//! Checked: never a panic or a hang; the same outcome whether the bytes come in pieces or at
//! once; no message over `MAX_MESSAGE` (small, so that inflation bombs reach it); no more
//! messages than input bytes, and none after a close frame; no answer head over
//! `MAX_RESPONSE_HEAD` accepted; every error a protocol close status (1002, 1007, 1009) or a
//! handshake refusal, never an I/O error (the pipe cannot fail).

#![allow(
    unreachable_pub,
    reason = "shared by the fuzz target and a test, each as a private module"
)]

use bytes::BytesMut;
use sockeye_websocket::deflate::DeflateParams;
use sockeye_websocket::handshake::{self, ClientRequest, DeflateOffer, HandshakeError};
use sockeye_websocket::{Error, Message, WebSocket};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

/// The client's message bound: small, so that a compressed message inflating past it is refused.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The placeholder the fake server replaces with the right `Sec-WebSocket-Accept`.
pub const ACCEPT: &[u8] = b"ACCEPT";

/// The pipe's capacity each way.
const PIPE: usize = 64 * 1024;

/// The runtime the target and the test run the check on (one per process).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

/// What became of one input, for the tests that expect a particular one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Why the handshake failed, if it did.
    pub refused: Option<String>,
    /// The messages read, in order.
    pub messages: Vec<Message>,
    /// The close status of the protocol error that ended the reading, if one did.
    pub failed: Option<u16>,
}

/// Runs one input on `rt`, checking it.
pub fn websocket_client(rt: &tokio::runtime::Runtime, data: &[u8]) -> Outcome {
    let Some((&mode, rest)) = data.split_first() else {
        return Outcome::default();
    };
    let chunk = match mode >> 4 {
        0 => None,
        n => Some(1usize << (n - 1)),
    };
    let run = |chunk| {
        if mode & 1 == 0 {
            let offer = (mode & 2 != 0).then(|| {
                DeflateOffer::default()
                    .threshold(0)
                    .client_no_context_takeover(mode & 4 != 0)
            });
            rt.block_on(handshake_then_messages(rest, offer, chunk))
        } else {
            let params = (mode & 2 != 0).then_some(DeflateParams {
                server_no_context_takeover: mode & 4 != 0,
                client_no_context_takeover: mode & 8 != 0,
                threshold: 0,
                level: 6,
            });
            rt.block_on(frames(rest, params, chunk))
        }
    };
    let outcome = run(chunk);
    // However the bytes are split into reads, the client reads the same.
    if chunk.is_some() {
        let at_once = run(None);
        assert!(
            at_once == outcome,
            "in pieces of {chunk:?}: {:?}, {} messages; at once: {:?}, {} messages",
            (&outcome.refused, outcome.failed),
            outcome.messages.len(),
            (&at_once.refused, at_once.failed),
            at_once.messages.len(),
        );
    }
    outcome
}

/// The handshake against a fake server that answers `answer`, then the messages after it.
async fn handshake_then_messages(
    answer: &[u8],
    offer: Option<DeflateOffer>,
    chunk: Option<usize>,
) -> Outcome {
    let (client, mut server) = tokio::io::duplex(PIPE);
    let serve = async move {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match server.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(buf.get(..n).unwrap_or_default()),
            }
        }
        let key = sec_websocket_key(&head).expect("the request has a Sec-WebSocket-Key");
        let accept = handshake::accept_key(key);
        let answer = replace_in_head(answer, accept.as_bytes());
        // The client may stop reading (a refused answer): the rest is not written then.
        let _ = write(&mut server, &answer, chunk).await;
    };
    let connect = async move {
        let request = ClientRequest {
            path_and_query: "/socket.io/?EIO=4&transport=websocket",
            host: "localhost",
            headers: &[],
            deflate: offer,
            max_message: MAX_MESSAGE,
        };
        match handshake::client(client, &request).await {
            Ok(socket) => {
                // The head as sent: every accept key has 28 characters.
                let head =
                    find(&replace_in_head(answer, &[b'x'; 28]), b"\r\n\r\n").map(|at| at + 4);
                assert!(
                    head.is_some_and(|len| len <= handshake::MAX_RESPONSE_HEAD),
                    "an answer head of {head:?} bytes accepted"
                );
                read_all(socket, answer.len()).await
            }
            Err(HandshakeError::Io(e)) => panic!("an I/O error on a pipe: {e}"),
            Err(HandshakeError::InvalidHeader) => panic!("the request's headers are valid"),
            Err(
                e @ (HandshakeError::Closed
                | HandshakeError::TooLong
                | HandshakeError::Status(_)
                | HandshakeError::Invalid(_)),
            ) => Outcome {
                refused: Some(e.to_string()),
                ..Outcome::default()
            },
        }
    };
    tokio::join!(serve, connect).1
}

/// Frames only: the client's WebSocket reading `bytes` (already read, or from the pipe in pieces).
async fn frames(bytes: &[u8], params: Option<DeflateParams>, chunk: Option<usize>) -> Outcome {
    let (client, mut server) = tokio::io::duplex(PIPE);
    let (read, sent): (&[u8], &[u8]) = match chunk {
        None => (bytes, &[]),
        Some(_) => (&[], bytes),
    };
    let socket = WebSocket::client(client, MAX_MESSAGE, BytesMut::from(read)).with_deflate(params);
    let serve = async move {
        let _ = write(&mut server, sent, chunk).await;
    };
    tokio::join!(serve, read_all(socket, bytes.len())).1
}

/// Reads every message until the end or an error, checking each.
async fn read_all(mut socket: WebSocket<DuplexStream>, input_len: usize) -> Outcome {
    let mut outcome = Outcome::default();
    let mut closed = false;
    while let Some(next) = std::future::poll_fn(|cx| socket.poll_next(cx)).await {
        match next {
            Ok(message) => {
                assert!(!closed, "a message after the close frame: {message:?}");
                assert!(
                    outcome.messages.len() < input_len,
                    "more messages than input bytes"
                );
                match &message {
                    Message::Text(text) => assert!(text.len() <= MAX_MESSAGE),
                    Message::Binary(bytes) => assert!(bytes.len() <= MAX_MESSAGE),
                    Message::Close(code) => {
                        assert!(
                            code.is_none_or(
                                |c| matches!(c, 1000..=1003 | 1007..=1011 | 3000..=4999)
                            )
                        );
                        closed = true;
                    }
                }
                outcome.messages.push(message);
            }
            Err(Error::Close(code, _)) => {
                assert!(matches!(code, 1002 | 1007 | 1009), "close status {code}");
                outcome.failed = Some(code);
                break;
            }
            Err(Error::Io(e)) => panic!("an I/O error on a pipe: {e}"),
        }
    }
    outcome
}

/// Writes `bytes` to the pipe, in pieces of `chunk` bytes when given, then closes it (dropped by
/// the caller).
async fn write(
    server: &mut DuplexStream,
    bytes: &[u8],
    chunk: Option<usize>,
) -> std::io::Result<()> {
    match chunk {
        Some(size) => {
            for piece in bytes.chunks(size) {
                server.write_all(piece).await?;
            }
        }
        None => server.write_all(bytes).await?,
    }
    server.shutdown().await
}

/// The `Sec-WebSocket-Key` header's value in a request head.
fn sec_websocket_key(head: &[u8]) -> Option<&[u8]> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, value) = line.split_at(colon);
        name.eq_ignore_ascii_case(b"sec-websocket-key")
            .then(|| value.get(1..).unwrap_or_default().trim_ascii())
    })
}

/// `answer` with every `ACCEPT` in the `Sec-WebSocket-Accept` lines of its head (through its first
/// blank line) replaced by `accept`. Only there: the key is random, so an accept key in another
/// header (where its `/`, `+` and `=` may be read differently) or in the frames after the head
/// would make the outcome differ from run to run.
fn replace_in_head(answer: &[u8], accept: &[u8]) -> Vec<u8> {
    let end = find(answer, b"\r\n\r\n").map_or(answer.len(), |at| at + 4);
    let (head, rest) = answer.split_at(end);
    let mut out = Vec::with_capacity(answer.len() + accept.len());
    for line in head.split_inclusive(|&b| b == b'\n') {
        let name = b"sec-websocket-accept:";
        if line
            .get(..name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        {
            out.extend_from_slice(&replace(line, ACCEPT, accept));
        } else {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(rest);
    out
}

/// Where `needle` first is in `bytes`.
fn find(bytes: &[u8], needle: &[u8]) -> Option<usize> {
    bytes.windows(needle.len()).position(|w| w == needle)
}

/// `bytes` with every `from` replaced by `to`.
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = find(rest, from) {
        out.extend_from_slice(rest.get(..at).unwrap_or_default());
        out.extend_from_slice(to);
        rest = rest.get(at + from.len()..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    out
}
