//! Engine.IO v4 packets: one type digit, then the data.
//!
//! Text packets are `<type>[<data>]`. Binary messages travel as raw bytes in a binary WebSocket frame,
//! or as `b<base64>` in text (polling payloads; a text frame starting with `b` is accepted too, as the
//! reference parser does).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::base64;

use super::handshake::HandshakeError;
use super::{Frame, Handshake, Message};

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

impl PacketType {
    /// The type's digit as it is written on the wire.
    pub const fn as_char(self) -> char {
        match self {
            PacketType::Open => '0',
            PacketType::Close => '1',
            PacketType::Ping => '2',
            PacketType::Pong => '3',
            PacketType::Message => '4',
            PacketType::Upgrade => '5',
            PacketType::Noop => '6',
        }
    }
}

impl TryFrom<u8> for PacketType {
    type Error = u8;
    /// From the digit's value `0..=6`; anything else is returned as the error.
    fn try_from(v: u8) -> Result<Self, u8> {
        Ok(match v {
            0 => PacketType::Open,
            1 => PacketType::Close,
            2 => PacketType::Ping,
            3 => PacketType::Pong,
            4 => PacketType::Message,
            5 => PacketType::Upgrade,
            6 => PacketType::Noop,
            other => return Err(other),
        })
    }
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
            DecodeError::UnexpectedData(t) => {
                write!(f, "unexpected data in engine.io {} packet", t.as_char())
            }
        }
    }
}

impl core::error::Error for DecodeError {}

impl From<HandshakeError> for DecodeError {
    fn from(e: HandshakeError) -> Self {
        DecodeError::InvalidHandshake(e)
    }
}

impl Packet {
    /// Decodes a text packet (a text WebSocket frame or one polling record).
    ///
    /// ```
    /// use sockeye_core::engine::Packet;
    /// assert_eq!(Packet::decode_text("4hello"), Ok(Packet::Message("hello".into())));
    /// assert_eq!(Packet::decode_text("2probe"), Ok(Packet::PingProbe));
    /// assert_eq!(Packet::decode_text("bAQID"), Ok(Packet::Binary(vec![1, 2, 3])));
    /// ```
    pub fn decode_text(text: &str) -> Result<Packet, DecodeError> {
        let mut chars = text.chars();
        let first = chars.next().ok_or(DecodeError::Empty)?;
        let data = chars.as_str();
        let no_data = |t: PacketType, p: Packet| {
            if data.is_empty() {
                Ok(p)
            } else {
                Err(DecodeError::UnexpectedData(t))
            }
        };
        match first {
            '0' => Ok(Packet::Open(Handshake::decode(data)?)),
            '1' => no_data(PacketType::Close, Packet::Close),
            '2' => match data {
                "" => Ok(Packet::Ping),
                "probe" => Ok(Packet::PingProbe),
                _ => Err(DecodeError::UnexpectedData(PacketType::Ping)),
            },
            '3' => match data {
                "" => Ok(Packet::Pong),
                "probe" => Ok(Packet::PongProbe),
                _ => Err(DecodeError::UnexpectedData(PacketType::Pong)),
            },
            '4' => Ok(Packet::Message(String::from(data))),
            '5' => no_data(PacketType::Upgrade, Packet::Upgrade),
            '6' => no_data(PacketType::Noop, Packet::Noop),
            'b' => base64::decode(data)
                .map(Packet::Binary)
                .ok_or(DecodeError::InvalidBase64),
            other => Err(DecodeError::UnknownType(other)),
        }
    }

    /// Decodes a WebSocket frame: text frames as [`Packet::decode_text`], binary frames are binary
    /// messages as they are (v4 has no type byte in binary frames).
    pub fn decode_frame(frame: Frame) -> Result<Packet, DecodeError> {
        match frame {
            Frame::Text(text) => Packet::decode_text(&text),
            Frame::Binary(bytes) => Ok(Packet::Binary(bytes)),
        }
    }

    /// Appends the text encoding: `<type>[<data>]`, binary messages as `b` + base64 (the polling form).
    ///
    /// ```
    /// use sockeye_core::engine::Packet;
    /// let mut out = String::new();
    /// Packet::Binary(vec![1, 2, 3]).encode_text(&mut out);
    /// assert_eq!(out, "bAQID");
    /// ```
    pub fn encode_text(&self, out: &mut String) {
        match self {
            Packet::Open(handshake) => {
                out.push('0');
                handshake.encode(out);
            }
            Packet::Close => out.push('1'),
            Packet::Ping => out.push('2'),
            Packet::Pong => out.push('3'),
            Packet::PingProbe => out.push_str("2probe"),
            Packet::PongProbe => out.push_str("3probe"),
            Packet::Message(text) => {
                out.push('4');
                out.push_str(text);
            }
            Packet::Binary(bytes) => {
                out.push('b');
                base64::encode(bytes, out);
            }
            Packet::Upgrade => out.push('5'),
            Packet::Noop => out.push('6'),
        }
    }

    /// The packet's text encoding as a new string.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.encoded_len());
        self.encode_text(&mut out);
        out
    }

    /// The WebSocket frame for this packet: binary messages as binary frames, the rest as text.
    pub fn to_frame(&self) -> Frame {
        match self {
            Packet::Binary(bytes) => Frame::Binary(bytes.clone()),
            other => Frame::Text(other.to_text()),
        }
    }

    /// Turns this packet into its WebSocket frame without copying a message's payload.
    pub fn into_frame(self) -> Frame {
        match self {
            Packet::Binary(bytes) => Frame::Binary(bytes),
            Packet::Message(mut text) => {
                text.insert(0, '4');
                Frame::Text(text)
            }
            other => Frame::Text(other.to_text()),
        }
    }

    /// Length in bytes of the text encoding, without building it (for splitting polling payloads by
    /// `maxPayload`).
    pub fn encoded_len(&self) -> usize {
        match self {
            Packet::Open(h) => 1 + h.encoded_len(),
            Packet::Close | Packet::Ping | Packet::Pong | Packet::Upgrade | Packet::Noop => 1,
            Packet::PingProbe | Packet::PongProbe => 6,
            Packet::Message(text) => 1 + text.len(),
            Packet::Binary(bytes) => 1 + bytes.len().div_ceil(3) * 4,
        }
    }

    /// The packet's type digit (binary messages are messages).
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Open(_) => PacketType::Open,
            Packet::Close => PacketType::Close,
            Packet::Ping | Packet::PingProbe => PacketType::Ping,
            Packet::Pong | Packet::PongProbe => PacketType::Pong,
            Packet::Message(_) | Packet::Binary(_) => PacketType::Message,
            Packet::Upgrade => PacketType::Upgrade,
            Packet::Noop => PacketType::Noop,
        }
    }
}

impl From<Message> for Packet {
    fn from(msg: Message) -> Self {
        match msg {
            Message::Text(text) => Packet::Message(text),
            Message::Binary(bytes) => Packet::Binary(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    // The v4 spec's packet table, both directions.
    #[test]
    fn spec_vectors_round_trip() {
        let vectors: &[(&str, Packet)] = &[
            ("1", Packet::Close),
            ("2", Packet::Ping),
            ("3", Packet::Pong),
            ("2probe", Packet::PingProbe),
            ("3probe", Packet::PongProbe),
            ("4hello", Packet::Message("hello".into())),
            ("4", Packet::Message(String::new())),
            ("4€ 😀", Packet::Message("€ 😀".into())),
            ("bAQIDBA==", Packet::Binary(vec![1, 2, 3, 4])),
            ("b", Packet::Binary(vec![])),
            ("5", Packet::Upgrade),
            ("6", Packet::Noop),
        ];
        for (wire, packet) in vectors {
            assert_eq!(
                Packet::decode_text(wire).as_ref(),
                Ok(packet),
                "decoding {wire:?}"
            );
            assert_eq!(packet.to_text(), *wire, "encoding {packet:?}");
            assert_eq!(packet.encoded_len(), wire.len(), "length of {packet:?}");
        }
    }

    #[test]
    fn binary_messages_are_raw_binary_frames() {
        let packet = Packet::Binary(vec![1, 2, 3, 4]);
        assert_eq!(packet.to_frame(), Frame::Binary(vec![1, 2, 3, 4]));
        assert_eq!(
            Packet::decode_frame(Frame::Binary(vec![1, 2, 3, 4])),
            Ok(packet)
        );
        assert_eq!(
            Packet::decode_frame(Frame::Text("4hi".into())),
            Ok(Packet::Message("hi".into()))
        );
        assert_eq!(
            Packet::Message("hi".into()).into_frame(),
            Frame::Text("4hi".into())
        );
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        assert_eq!(Packet::decode_text(""), Err(DecodeError::Empty));
        assert_eq!(Packet::decode_text("7"), Err(DecodeError::UnknownType('7')));
        assert_eq!(Packet::decode_text("é"), Err(DecodeError::UnknownType('é')));
        assert_eq!(Packet::decode_text("b!!!"), Err(DecodeError::InvalidBase64));
        assert_eq!(
            Packet::decode_text("bAQID="),
            Err(DecodeError::InvalidBase64)
        );
        assert_eq!(
            Packet::decode_text("1x"),
            Err(DecodeError::UnexpectedData(PacketType::Close))
        );
        assert_eq!(
            Packet::decode_text("2hello"),
            Err(DecodeError::UnexpectedData(PacketType::Ping))
        );
        assert_eq!(
            Packet::decode_text("3x"),
            Err(DecodeError::UnexpectedData(PacketType::Pong))
        );
        assert_eq!(
            Packet::decode_text("6 "),
            Err(DecodeError::UnexpectedData(PacketType::Noop))
        );
        assert!(matches!(
            Packet::decode_text("0{}"),
            Err(DecodeError::InvalidHandshake(_))
        ));
        assert!(matches!(
            Packet::decode_text("0"),
            Err(DecodeError::InvalidHandshake(_))
        ));
    }

    #[test]
    fn type_digits() {
        for d in 0..=6u8 {
            let t = PacketType::try_from(d).unwrap();
            assert_eq!(t as u8, d);
            assert_eq!(t.as_char(), char::from(b'0' + d));
        }
        assert_eq!(PacketType::try_from(7), Err(7));
    }
}
