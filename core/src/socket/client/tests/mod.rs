//! The manager's tests, by concern; the helpers below drive it as a driver would.

use super::reconnect::backoff_delay;
use super::socket::connect_payload;
use super::*;
use crate::rng::Rng;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;

const SEED: u64 = 42;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn nsp(name: &str) -> Nsp {
    Nsp::new(name).unwrap()
}

/// The engine side as text: `open`, `close`, each Send as its wire string (`<bin:..>` for binary).
fn wire(m: &mut Manager) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(cmd) = m.poll_engine() {
        out.push(match cmd {
            EngineCommand::Open => "open".to_string(),
            EngineCommand::Close => "close".to_string(),
            EngineCommand::Send(Message::Text(t)) => t,
            EngineCommand::Send(Message::Binary(b)) => format!("<bin:{b:?}>"),
        });
    }
    out
}

fn events(m: &mut Manager) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(e) = m.poll_event() {
        out.push(e);
    }
    out
}

fn recv(m: &mut Manager, now: Instant, text: &str) {
    m.handle_engine_message(now, Message::Text(text.to_string()));
}

fn config() -> Config {
    Config::default()
}

/// A manager with one socket on `/`, engine open and CONNECT answered with sid `abc`.
fn connected(config: Config) -> (Manager, SocketId) {
    let mut m = Manager::new(at(0), config, SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    m.handle_engine_open(at(0));
    assert_eq!(wire(&mut m), ["open", "0"]);
    recv(&mut m, at(0), r#"0{"sid":"abc"}"#);
    assert_eq!(events(&mut m), [Event::Open, Event::Connect { socket: s }]);
    (m, s)
}

/// Arguments without attachments.
fn args_of(text: &str) -> Args {
    Args::from_json(text, vec![]).unwrap()
}

/// Arguments with attachments.
fn binary_args(text: &str, attachments: Vec<Vec<u8>>) -> Args {
    Args::from_json(text, attachments).unwrap()
}

fn ev(socket: SocketId, args: &str, id: Option<u64>) -> Event {
    Event::Event {
        socket,
        args: args_of(args),
        id: id.map(AckId),
    }
}

fn ok(socket: SocketId, handle: AckHandle, args: &str) -> Event {
    Event::Ack {
        socket,
        handle,
        result: Ok(args_of(args)),
    }
}

fn disconnect(socket: SocketId, reason: DisconnectReason) -> Event {
    Event::Disconnect { socket, reason }
}

mod acks;
mod binary;
mod namespaces;
mod reconnection;
mod recovery;
mod retries;
