//! The `http_server` fuzz target's harness, shared with the stable test that replays its corpus
//! (`native-server/tests/fuzz_http.rs`). The server's HTTP and WebSocket entry: a sequence of requests (handshakes, polling GETs and
//! POSTs with fuzzed bodies, query strings and headers, raw requests, WebSocket upgrades followed by
//! raw frames) against an in-process `sockeye-server`. Never a panic, and every request gets an
//! answer: a hang shows as libFuzzer's timeout.
//!
//! Polling requests call the tower service directly; a WebSocket op runs hyper's HTTP/1.1 server
//! (with upgrades) on an in-memory pipe and writes the upgrade request and client frames as bytes.
//! One current-thread tokio runtime with paused time serves every input, so long-polls and the
//! heartbeat's timers advance as soon as nothing else can run. Each input gets a fresh server,
//! closed at its end, and the runtime runs until every task of that input has finished.
#![allow(
    unreachable_pub,
    reason = "shared by the fuzz target and a test, each as a private module"
)]

use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use sockeye_server::http::{EngineService, NotFound};
use sockeye_server::{Event, SocketIo, SocketRef};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower_service::Service as _;

/// At most this many requests per input, to keep each input fast.
const MAX_OPS: usize = 12;

#[derive(Arbitrary, Debug)]
pub struct Input {
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// A polling handshake.
    Open { query: Query, headers: Vec<Header> },
    /// A polling GET on a session.
    Get {
        sid: Sid,
        query: Query,
        headers: Vec<Header>,
    },
    /// A polling POST on a session.
    Post {
        sid: Sid,
        body: Body,
        query: Query,
        headers: Vec<Header>,
    },
    /// A WebSocket upgrade (a new session, or the upgrade of `sid`), then frames.
    WebSocket {
        sid: Sid,
        query: Query,
        frames: Vec<Frame>,
    },
    /// Any request on the server's path.
    Raw {
        method: u8,
        path: String,
        headers: Vec<Header>,
        body: Vec<u8>,
    },
    /// Lets time pass (timers: heartbeat, connect timeout, upgrade timeout).
    Wait { ms: u16 },
}

#[derive(Arbitrary, Debug)]
enum Sid {
    /// The session of the last handshake.
    Last,
    /// The n-th session of this input.
    Nth(u8),
    /// Any text.
    Text(String),
    /// No `sid` parameter.
    Absent,
}

#[derive(Arbitrary, Debug)]
enum Query {
    /// `EIO=4&transport=<the op's>`.
    Plain,
    /// The plain query and more parameters.
    Extra(String),
    /// Another `EIO` value.
    Eio(String),
    /// Another transport.
    Transport(String),
    /// Exactly this (nothing added).
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Header {
    name: HeaderName,
    value: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum HeaderName {
    Origin,
    ContentType,
    ContentLength,
    Cookie,
    XForwardedFor,
    Connection,
    Upgrade,
    SecWebSocketKey,
    SecWebSocketVersion,
    UserAgent,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    /// Records joined with the payload separator.
    Records(Vec<Record>),
}

/// An Engine.IO record or WebSocket message, usually a valid one.
#[derive(Arbitrary, Debug)]
enum Record {
    Raw(String),
    Ping,
    PingProbe,
    Pong,
    Upgrade,
    Noop,
    Close,
    /// `b<base64>` in a payload, a binary frame on a WebSocket.
    Binary(Vec<u8>),
    /// A Socket.IO packet in a message: `4<type><attachments-><nsp,><id><json>`.
    Socket {
        kind: u8,
        attachments: Option<u64>,
        nsp: Option<String>,
        id: Option<u64>,
        json: Json,
    },
}

#[derive(Arbitrary, Debug)]
enum Json {
    None,
    Raw(String),
    Event(String, Vec<String>),
    Auth(String),
    Placeholder(u64),
}

#[derive(Arbitrary, Debug)]
enum Frame {
    Record(Record),
    /// A frame with any opcode and flags, as bytes.
    Raw {
        fin: bool,
        opcode: u8,
        payload: Vec<u8>,
    },
    /// Bytes as they are (frame headers, lengths...).
    Bytes(Vec<u8>),
    Close(u16),
    Ping(Vec<u8>),
}

/// The runtime every input runs on: current-thread, time paused (see the module's docs).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}

/// Runs the input that libFuzzer's `fuzz_target!` makes of `data` (`arbitrary_take_rest`).
pub fn run_bytes(rt: &tokio::runtime::Runtime, data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) {
        rt.block_on(run(input));
    }
}

fn server() -> (EngineService<NotFound>, SocketIo) {
    let (svc, io) = SocketIo::builder().build_svc();
    io.ns("/", |socket: SocketRef| async move {
        let _ = socket.join("room");
        socket.on("echo", |socket: SocketRef, ev: Event| async move {
            let _ = ev.ack_with(ev.args());
            let _ = socket.emit("echo", ev.args());
            let _ = socket.to("room").emit("echo", ev.args());
        });
    });
    io.ns("/other", |socket: SocketRef| async move {
        socket.on("leave", |socket: SocketRef, _ev: Event| async move {
            socket.disconnect();
        });
    });
    (svc, io)
}

/// Runs one input on a fresh server; returns once everything it started has ended.
pub async fn run(input: Input) {
    let (mut svc, io) = server();
    let mut sids: Vec<String> = Vec::new();
    for op in input.ops.into_iter().take(MAX_OPS) {
        match op {
            Op::Open { query, headers } => {
                let uri = uri(&query, "polling", None);
                let req = request(Method::GET, &uri, &headers, Vec::new());
                if let Some(body) = call(&mut svc, req).await
                    && let Some(sid) = handshake_sid(&body)
                {
                    sids.push(sid);
                }
            }
            Op::Get {
                sid,
                query,
                headers,
            } => {
                let uri = uri(&query, "polling", pick(&sids, &sid));
                let _ = call(&mut svc, request(Method::GET, &uri, &headers, Vec::new())).await;
            }
            Op::Post {
                sid,
                body,
                query,
                headers,
            } => {
                let uri = uri(&query, "polling", pick(&sids, &sid));
                let body = match body {
                    Body::Raw(bytes) => bytes,
                    Body::Records(records) => records
                        .iter()
                        .map(|r| record(r, true))
                        .collect::<Vec<_>>()
                        .join("\u{1e}")
                        .into_bytes(),
                };
                let _ = call(&mut svc, request(Method::POST, &uri, &headers, body)).await;
            }
            Op::WebSocket { sid, query, frames } => {
                let uri = uri(&query, "websocket", pick(&sids, &sid));
                websocket(&svc, &uri, &frames).await;
            }
            Op::Raw {
                method,
                path,
                headers,
                body,
            } => {
                let method = match method % 5 {
                    0 => Method::GET,
                    1 => Method::POST,
                    2 => Method::OPTIONS,
                    3 => Method::PUT,
                    _ => Method::HEAD,
                };
                let uri = format!("/socket.io/{}", path.trim_start_matches('/'));
                if uri.parse::<http::Uri>().is_ok() {
                    let _ = call(&mut svc, request(method, &uri, &headers, body)).await;
                }
            }
            Op::Wait { ms } => tokio::time::sleep(Duration::from_millis(u64::from(ms))).await,
        }
    }
    io.close().await;
    drop((svc, io));
    // Whatever this input started (sessions, handlers, WebSocket drivers) ends before the next:
    // an hour of paused time passes every timer the server can arm.
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

fn pick<'a>(sids: &'a [String], sid: &'a Sid) -> Option<&'a str> {
    match sid {
        Sid::Last => sids.last().map(String::as_str),
        Sid::Nth(n) => sids
            .get(usize::from(*n) % sids.len().max(1))
            .map(String::as_str),
        Sid::Text(text) => Some(text),
        Sid::Absent => None,
    }
}

fn uri(query: &Query, transport: &str, sid: Option<&str>) -> String {
    let sid = sid.map(|s| format!("&sid={s}")).unwrap_or_default();
    match query {
        Query::Plain => format!("/socket.io/?EIO=4&transport={transport}{sid}"),
        Query::Extra(extra) => format!("/socket.io/?EIO=4&transport={transport}{sid}&{extra}"),
        Query::Eio(eio) => format!("/socket.io/?EIO={eio}&transport={transport}{sid}"),
        Query::Transport(t) => format!("/socket.io/?EIO=4&transport={t}{sid}"),
        Query::Raw(raw) => format!("/socket.io/?{raw}"),
    }
}

fn header_name(name: &HeaderName) -> Option<http::HeaderName> {
    Some(match name {
        HeaderName::Origin => header::ORIGIN,
        HeaderName::ContentType => header::CONTENT_TYPE,
        HeaderName::ContentLength => header::CONTENT_LENGTH,
        HeaderName::Cookie => header::COOKIE,
        HeaderName::XForwardedFor => http::HeaderName::from_static("x-forwarded-for"),
        HeaderName::Connection => header::CONNECTION,
        HeaderName::Upgrade => header::UPGRADE,
        HeaderName::SecWebSocketKey => header::SEC_WEBSOCKET_KEY,
        HeaderName::SecWebSocketVersion => header::SEC_WEBSOCKET_VERSION,
        HeaderName::UserAgent => header::USER_AGENT,
        HeaderName::Other(name) => http::HeaderName::from_bytes(name.as_bytes()).ok()?,
    })
}

fn request(
    method: Method,
    uri: &str,
    headers: &[Header],
    body: Vec<u8>,
) -> Option<Request<Full<Bytes>>> {
    let mut builder = Request::builder().method(method).uri(uri);
    for h in headers.iter().take(8) {
        let (Some(name), Ok(value)) = (
            header_name(&h.name),
            http::HeaderValue::from_bytes(&h.value),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    builder.body(Full::new(Bytes::from(body))).ok()
}

/// Calls the service and reads the whole answer.
async fn call(
    svc: &mut EngineService<NotFound>,
    req: Option<Request<Full<Bytes>>>,
) -> Option<Bytes> {
    let res = svc.call(req?).await.ok()?;
    res.into_body().collect().await.ok().map(|b| b.to_bytes())
}

/// The sid of a polling handshake's answer (`0{"sid":"...",...}`).
fn handshake_sid(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let rest = text.strip_prefix("0{\"sid\":\"")?;
    Some(rest.split('"').next()?.to_owned())
}

fn record(r: &Record, polling: bool) -> String {
    match r {
        Record::Raw(text) => text.clone(),
        Record::Ping => "2".into(),
        Record::PingProbe => "2probe".into(),
        Record::Pong => "3".into(),
        Record::Upgrade => "5".into(),
        Record::Noop => "6".into(),
        Record::Close => "1".into(),
        Record::Binary(bytes) if polling => format!("b{}", base64(bytes)),
        Record::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Record::Socket {
            kind,
            attachments,
            nsp,
            id,
            json,
        } => {
            let mut out = format!("4{}", kind % 7);
            if let Some(n) = attachments {
                out.push_str(&format!("{n}-"));
            }
            if let Some(nsp) = nsp {
                out.push_str(&format!("/{nsp},"));
            }
            if let Some(id) = id {
                out.push_str(&id.to_string());
            }
            match json {
                Json::None => {}
                Json::Raw(raw) => out.push_str(raw),
                Json::Event(name, args) => {
                    out.push_str(&format!("[{name:?}"));
                    for a in args {
                        out.push_str(&format!(",{a:?}"));
                    }
                    out.push(']');
                }
                Json::Auth(token) => out.push_str(&format!("{{\"token\":{token:?}}}")),
                Json::Placeholder(num) => out.push_str(&format!(
                    "[\"echo\",{{\"_placeholder\":true,\"num\":{num}}}]"
                )),
            }
            out
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut b = [0u8; 3];
        for (to, from) in b.iter_mut().zip(chunk) {
            *to = *from;
        }
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let sextet = (n >> (18 - 6 * i) & 63) as usize;
                out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A client frame (masked with a zero key, which leaves the payload as it is).
fn frame(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8]) {
    out.push(if fin { 0x80 } else { 0 } | (opcode & 0x0f));
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= 0xffff {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(payload);
}

/// An upgrade request and `frames` through hyper's HTTP/1.1 server on an in-memory pipe; reads
/// whatever comes back until the server closes or an hour of paused time has passed.
async fn websocket(svc: &EngineService<NotFound>, uri: &str, frames: &[Frame]) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let service = TowerToHyperService::new(svc.clone());
    let conn = tokio::spawn(async move {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(server), service)
            .with_upgrades()
            .await;
    });
    let mut bytes = format!(
        "GET {uri} HTTP/1.1\r\nHost: fuzz\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .into_bytes();
    for f in frames.iter().take(16) {
        match f {
            Frame::Record(Record::Binary(payload)) => frame(&mut bytes, true, 2, payload),
            Frame::Record(r) => frame(&mut bytes, true, 1, record(r, false).as_bytes()),
            Frame::Raw {
                fin,
                opcode,
                payload,
            } => frame(&mut bytes, *fin, *opcode, payload),
            Frame::Bytes(raw) => bytes.extend_from_slice(raw),
            Frame::Close(code) => frame(&mut bytes, true, 8, &code.to_be_bytes()),
            Frame::Ping(payload) => frame(&mut bytes, true, 9, payload),
        }
    }
    let (mut read, mut write) = tokio::io::split(client);
    let reader = tokio::spawn(async move {
        let mut sink = [0u8; 4096];
        while let Ok(n) = read.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    });
    let _ = write.write_all(&bytes).await;
    // Let the server handle the frames before the client goes away.
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _ = write.shutdown().await;
    drop(write);
    let _ = tokio::time::timeout(Duration::from_secs(3600), async {
        let _ = reader.await;
        let _ = conn.await;
    })
    .await;
}
