//! Checks the native client against any Socket.IO server:
//!
//! ```text
//! cargo run -p sockeye-client --features native --example echo -- URL
//! ```
//!
//! Connects to `URL` (namespace `/`, default options), emits `message-with-ack` with the
//! arguments `{"hello":"world"}` and the bytes `[1,2,3]` as a binary attachment, prints the
//! acknowledgement's arguments as one JSON line (binary as `{"base64":"AQID"}`), prints each
//! `auth` event's arguments (one JSON line each) received until 1 s after that, then disconnects
//! and exits 0; 1 on any error, with the error on stderr. The server of the Socket.IO protocol
//! test suite (`cargo run -p sockeye-server --example conformance`) acknowledges
//! `message-with-ack` with its arguments, and emits `auth` on connection.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use sockeye_client::{Args, Manager, ManagerEvent, Options, Payload, SocketEvent};
use tokio::time::{Instant, timeout, timeout_at};

/// How long the connection and the acknowledgement may take.
const PATIENCE: Duration = Duration::from_secs(10);
/// How long `auth` events are listened for after the acknowledgement.
const LISTEN: Duration = Duration::from_secs(1);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: echo URL")?;
    // Not connected before the streams are subscribed, so that no event is missed.
    let manager = Manager::new(&url, Options::default().auto_connect(false))?;
    let mut engine = manager.events();
    let socket = manager.socket("/")?;
    let mut events = socket.events();
    socket.open();

    // Connected, or why not; `auth` events that come first are printed after the ack.
    let mut auths = Vec::new();
    let mut cause = None;
    let until = Instant::now() + PATIENCE;
    loop {
        tokio::select! {
            // The engine's error first: it says why (the socket's `connect_error` only that the
            // transport failed).
            biased;
            event = engine.next() => match event.ok_or("the connection is gone")? {
                ManagerEvent::TransportError(e) => cause = Some(e),
                ManagerEvent::Error(e) => {
                    let cause = cause.map(|c| format!(" ({c})")).unwrap_or_default();
                    return Err(format!("cannot connect: {e}{cause}").into());
                }
                _ => {}
            },
            event = events.next() => match event.ok_or("the connection is gone")? {
                SocketEvent::Connect => break,
                SocketEvent::ConnectError(e) => {
                    return Err(format!("connect_error: {}", e.message).into());
                }
                SocketEvent::Event { name, args } if name == "auth" => auths.push(args),
                _ => {}
            },
            () = tokio::time::sleep_until(until) => return Err("no connection within 10 s".into()),
        }
    }

    let payload = Payload::new()
        .arg(&json!({ "hello": "world" }))?
        .binary(vec![1, 2, 3]);
    let ack = timeout(
        PATIENCE,
        socket.emit_with_ack_args("message-with-ack", payload, None),
    )
    .await
    .map_err(|_| "no acknowledgement within 10 s")??;
    println!("{}", shown(&ack)?);
    for args in &auths {
        println!("{}", shown(args)?);
    }

    let until = Instant::now() + LISTEN;
    while let Ok(event) = timeout_at(until, events.next()).await {
        if let SocketEvent::Event { name, args } = event.ok_or("the connection is gone")?
            && name == "auth"
        {
            println!("{}", shown(&args)?);
        }
    }
    socket.disconnect();
    manager.close();
    Ok(())
}

/// The arguments as one JSON array, binary shown as `{"base64": ...}`.
fn shown(args: &Args) -> Result<String, Box<dyn std::error::Error>> {
    let Shown(value) = args.all::<Shown>()?;
    Ok(serde_json::to_string(&value)?)
}

/// A JSON value read from arguments, binary as `{"base64": ...}`.
struct Shown(Value);

impl<'de> Deserialize<'de> for Shown {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shown, D::Error> {
        deserializer.deserialize_any(ShownVisitor)
    }
}

struct ShownVisitor;

impl<'de> Visitor<'de> for ShownVisitor {
    type Value = Shown;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value or binary")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Shown, E> {
        Ok(Shown(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Shown, E> {
        Ok(Shown(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Shown, E> {
        Ok(Shown(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Shown, E> {
        Ok(Shown(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Shown, E> {
        Ok(Shown(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Shown, E> {
        Ok(Shown(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Shown, E> {
        Ok(Shown(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Shown, D::Error> {
        Shown::deserialize(d)
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Shown, E> {
        Ok(Shown(json!({ "base64": base64(v) })))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shown, A::Error> {
        let mut items = Vec::new();
        while let Some(Shown(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Shown(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shown, A::Error> {
        let mut members = Map::new();
        while let Some((key, Shown(value))) = map.next_entry::<String, Shown>()? {
            members.insert(key, value);
        }
        Ok(Shown(Value::Object(members)))
    }
}

/// Standard base64, padded.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                out.extend(ALPHABET.get(index).copied().map(char::from));
            } else {
                out.push('=');
            }
        }
    }
    out
}
