//! Engine.IO v4 packets. (Stub: implementation follows.)
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::{Frame, Handshake};
use super::handshake::HandshakeError;

/// The packet type digit.
///
/// | digit | type    | sent by | meaning |
/// |-------|---------|---------|---------|
/// | 0     | open    | server  | the handshake, JSON |
/// | 1     | close   | both    | the session is over |
/// | 2     | ping    | server (`probe`: client) | heartbeat / upgrade probe |
/// | 3     | pong    | client (`probe`: server) | heartbeat answer / probe answer |
/// | 4     | message | both    | payload (text; binary frames and `b` records are messages too) |
/// | 5     | upgrade | client  | switch to the probed transport |
/// | 6     | noop    | server  | completes a pending GET during an upgrade |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`
    Open = 0,
    /// `1`
    Close = 1,
    /// `2`
    Ping = 2,
    /// `3`
    Pong = 3,
    /// `4`
    Message = 4,
    /// `5`
    Upgrade = 5,
    /// `6`
    Noop = 6,
}

/// An Engine.IO packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// `0{...}`: the handshake.
    Open(Handshake),
    /// `1`
    Close,
    /// `2`: heartbeat from the server.
    Ping,
    /// `3`: heartbeat answer from the client.
    Pong,
    /// `2probe`: the client probing a new transport.
    PingProbe,
    /// `3probe`: the server answering the probe.
    PongProbe,
    /// `4...`: a text message.
    Message(String),
    /// A binary message: a binary frame, or `b<base64>` in text.
    Binary(Vec<u8>),
    /// `5`
    Upgrade,
    /// `6`
    Noop,
}

/// Why bytes are not an Engine.IO packet.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty text.
    Empty,
    /// The first character is not a type digit `0`-`6` or `b`.
    UnknownType(char),
    /// A `b` record whose base64 does not decode.
    InvalidBase64,
    /// An open packet whose JSON is not a valid handshake.
    InvalidHandshake(HandshakeError),
    /// Data after a type that carries none (`1`, `5`, `6`), or ping/pong data other than `probe`.
    UnexpectedData(PacketType),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty engine.io packet"),
            DecodeError::UnknownType(c) => write!(f, "unknown engine.io packet type {c:?}"),
            DecodeError::InvalidBase64 => f.write_str("invalid base64 in binary engine.io packet"),
            DecodeError::InvalidHandshake(e) => write!(f, "invalid engine.io handshake: {e}"),
            DecodeError::UnexpectedData(t) => write!(f, "unexpected data in engine.io {t:?} packet"),
        }
    }
}

impl core::error::Error for DecodeError {}

impl Packet {
    /// Decodes a text packet (a text WebSocket frame or one polling record).
    pub fn decode_text(_text: &str) -> Result<Packet, DecodeError> {
        todo!()
    }
    /// Decodes a WebSocket frame.
    pub fn decode_frame(_frame: Frame) -> Result<Packet, DecodeError> {
        todo!()
    }
    /// Appends the text encoding (binary as `b` + base64).
    pub fn encode_text(&self, _out: &mut String) {
        todo!()
    }
    /// The WebSocket frame for this packet (binary messages as binary frames).
    pub fn to_frame(&self) -> Frame {
        todo!()
    }
    /// The packet's type digit.
    pub fn packet_type(&self) -> PacketType {
        todo!()
    }
}
