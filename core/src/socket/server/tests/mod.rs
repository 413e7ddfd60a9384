//! Engine messages here are Socket.IO packets without the Engine.IO `4` prefix: the wire's
//! `40/admin,` is `0/admin,`, and `44/random,{..}` on the wire is `4/random,{..}`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use super::emit::OUTGOING_MAX_DEPTH;
use super::*;
use crate::socket::Parser;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use core::time::Duration;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn nsp(name: &str) -> Nsp {
    Nsp::new(name).unwrap()
}

/// Arguments without attachments.
fn args_of(text: &str) -> Args {
    Args::from_json(text, vec![]).unwrap()
}

/// Arguments with attachments.
fn binary_args(text: &str, attachments: Vec<Vec<u8>>) -> Args {
    Args::from_json(text, attachments).unwrap()
}

fn new_client() -> Connection {
    Connection::new(at(0), Config::default())
}

fn feed(c: &mut Connection, text: &str) {
    c.handle_engine_message(at(0), Message::Text(text.to_string()));
}

/// What the engine was told, texts as they are, binaries as `<bin:..>`, a close as `CLOSE`.
fn sent(c: &mut Connection) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(cmd) = c.poll_engine() {
        out.push(match cmd {
            EngineCommand::Send(Message::Text(t)) => t,
            EngineCommand::Send(Message::Binary(b)) => format!("<bin:{b:?}>"),
            EngineCommand::Close => "CLOSE".to_string(),
        });
    }
    out
}

fn events(c: &mut Connection) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(ev) = c.poll_event() {
        out.push(ev);
    }
    out
}

fn connect_event(name: &str, auth: Option<&str>) -> Event {
    Event::Connect {
        nsp: nsp(name),
        auth: auth.map(String::from),
        recovery: None,
    }
}

fn disconnect_event(name: &str, reason: DisconnectReason) -> Event {
    Event::Disconnect {
        nsp: nsp(name),
        reason,
    }
}

/// A client with sockets joined on each of `names` (sid `s-<name>`), outputs drained.
fn joined(names: &[&str]) -> Connection {
    let mut c = new_client();
    for name in names {
        let n = nsp(name);
        let text = if n.is_root() {
            "0".to_string()
        } else {
            format!("0{name},")
        };
        feed(&mut c, &text);
        c.accept(at(0), &n, format!("s-{name}"), None).unwrap();
    }
    let _ = sent(&mut c);
    let _ = events(&mut c);
    c
}

mod bounds;
mod connect;
mod disconnect;
mod emits;
mod msgpack;
mod routing;
