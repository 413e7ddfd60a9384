//! Engine.IO v4: the transport layer under Socket.IO.
//!
//! - [`packet`]: the seven packet types and their text/binary encodings.
//! - [`payload`]: HTTP long-polling bodies (records joined by `\x1e`, binary as `b` + base64).
//! - [`handshake`]: the open packet's JSON.
//! - [`endpoint`]: where a request goes (a handshake, a session's polling or upgrade) or the
//!   reference's refusal, with its error code.
//! - [`client`] / [`server`]: the session state machines (handshake, heartbeat, upgrade, close).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::text::{ErrorText, display_by_text};

pub mod client;
pub mod endpoint;
pub mod handshake;
pub mod packet;
pub mod payload;
pub mod server;

pub use handshake::Handshake;
pub use packet::{Packet, PacketType};

/// The protocol revision this crate speaks: the `EIO=4` query parameter.
pub const PROTOCOL: u8 = 4;

/// A transport an Engine.IO session can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// HTTP long-polling: a GET waits for packets, a POST carries packets to the server.
    Polling,
    /// One WebSocket, one packet per frame.
    WebSocket,
}

impl Transport {
    /// The name used in the `transport` query parameter and in the handshake's `upgrades` list.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Polling => "polling",
            Transport::WebSocket => "websocket",
        }
    }

    /// Parses a transport name; unknown names (such as `webtransport`) give `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "polling" => Some(Transport::Polling),
            "websocket" => Some(Transport::WebSocket),
            _ => None,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An Engine.IO session id, as the server's handshake gives it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid(String);

impl Sid {
    /// Length of the ids [`Sid::from_random`] makes: 15 random bytes in base64url, like the reference's
    /// `base64id` (20 characters).
    pub const GENERATED_LEN: usize = 20;

    /// Makes a session id from 15 random bytes the driver supplies (the core has no random source).
    pub fn from_random(bytes: [u8; 15]) -> Self {
        let mut id = String::with_capacity(Self::GENERATED_LEN);
        crate::base64::encode_url_safe(&bytes, &mut id);
        Sid(id)
    }

    /// Wraps an id received from a peer. Ids are opaque; the only rule is that they are non-empty,
    /// at most 256 bytes, and made of characters that need no escaping in a URL query.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidSid> {
        let id = id.into();
        if id.is_empty() || id.len() > 256 {
            return Err(InvalidSid);
        }
        for b in id.bytes() {
            if !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')) {
                return Err(InvalidSid);
            }
        }
        Ok(Sid(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({})", self.0)
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session id that is empty, too long, or has characters that would need URL escaping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSid;

impl fmt::Display for InvalidSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid session id")
    }
}

impl core::error::Error for InvalidSid {}

/// One WebSocket frame: Engine.IO sends one packet per frame; binary frames carry raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A text frame: the packet's text encoding.
    Text(String),
    /// A binary frame: a binary message's bytes, with no type prefix.
    Binary(Vec<u8>),
}

/// Why an Engine.IO session closed, in the reference's words (`reason` of its `close` event).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// This end called `close()`.
    ForcedClose,
    /// The peer sent a close packet (`1`).
    TransportClose,
    /// The transport failed (a WebSocket error, a failed or aborted HTTP request).
    TransportError,
    /// No ping (client) or pong (server) arrived in time.
    PingTimeout,
    /// The peer sent something that is not Engine.IO.
    ParseError,
    /// The peer broke the protocol in a way the reference also closes for (a second concurrent GET,
    /// a client-sent ping, a packet on an upgraded-away transport); the text says which.
    ProtocolViolation(&'static str),
}

impl CloseReason {
    /// The reference's reason string.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloseReason::ForcedClose => "forced close",
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::ProtocolViolation(_) => "transport error",
        }
    }
}

impl ErrorText for CloseReason {
    fn write_text(&self, out: &mut String) {
        out.push_str(self.as_str());
        if let CloseReason::ProtocolViolation(what) = self {
            out.push_str(": ");
            out.push_str(what);
        }
    }
}

display_by_text!(CloseReason);

/// An Engine.IO message's payload: what the layer above (Socket.IO) sends and receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (`4...`).
    Text(String),
    /// A binary message (a binary frame, or `b<base64>` in a polling payload).
    Binary(Vec<u8>),
}
