//! What the decoders refuse ([`DecodeError`], [`MsgpackError`]) and the bounds they hold a peer to
//! ([`Limits`]): shared by the JSON codec ([`codec`](super::codec)) and the MessagePack parser
//! ([`msgpack`](super::msgpack)), so that each depends on this file and not on the other.

use alloc::string::String;
use core::fmt;

use super::packet::{Nsp, PacketType};
use crate::json::JsonError;
use crate::text::{ErrorText, display_by_text, push_decimal};

/// Bounds the decoder enforces against hostile peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Attachments one packet may announce (the reference's `maxAttachments`, default 10).
    pub max_attachments: usize,
    /// JSON nesting depth.
    pub max_depth: usize,
    /// Bytes the attachments of one binary packet may hold in all (10,000,000: the reference's
    /// implied bound, 10 attachments of at most `maxHttpBufferSize`, 1 MB, each). A decoder holds
    /// at most one pending packet, so this also bounds what a connection holds for unfinished
    /// binary packets.
    pub max_attachment_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_attachments: 10,
            max_depth: crate::json::DEFAULT_MAX_DEPTH,
            max_attachment_bytes: 10_000_000,
        }
    }
}

/// Why a message is not a valid Socket.IO packet. Every variant closes the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty text.
    Empty,
    /// The type digit is not `0`-`6`.
    UnknownType(char),
    /// The `<n>-` attachment count is malformed, zero, or over [`Limits::max_attachments`] (for
    /// the MessagePack parser: more binaries than that).
    InvalidAttachments,
    /// The namespace is longer than `Nsp::MAX_LEN`.
    InvalidNamespace,
    /// The ack id is not a number fitting `u64`.
    InvalidAckId,
    /// The JSON is malformed or too deep.
    InvalidJson(JsonError),
    /// The JSON is well-formed but not what this packet type must carry (see the module docs); also
    /// an ACK without an ack id.
    InvalidPayload(PacketType),
    /// An event name the reference reserves (`connect`, `disconnect`, ...).
    ReservedEventName,
    /// A placeholder points past the attachments.
    InvalidPlaceholder,
    /// A binary message arrived while no binary packet was waiting for attachments.
    UnexpectedBinary,
    /// A text packet arrived while a binary packet was still waiting for attachments.
    UnexpectedText,
    /// A binary packet's attachments add up to more than [`Limits::max_attachment_bytes`].
    AttachmentsTooLarge,
    /// A binary packet's attachments did not all arrive in time (the server's
    /// `attachments_timeout`; the decoder itself has no clock).
    AttachmentsTimeout,
    /// The MessagePack parser's packet is not valid MessagePack, or not a packet (see
    /// [`msgpack`](super::msgpack)).
    InvalidMsgpack(MsgpackError),
    /// A text message reached the MessagePack parser, which reads binary messages only.
    TextMessage,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty socket.io packet"),
            DecodeError::UnknownType(c) => {
                write!(f, "unknown socket.io packet type {c:?} (expected a digit 0-6)")
            }
            DecodeError::InvalidAttachments => f.write_str(
                "invalid binary attachment count: `<n>-` must be a number from 1 to the decoder's \
                 max_attachments (a MessagePack packet may hold that many binaries)",
            ),
            DecodeError::InvalidNamespace => {
                write!(f, "namespace longer than {} bytes", Nsp::MAX_LEN)
            }
            DecodeError::InvalidAckId => f.write_str("ack id does not fit in an unsigned 64-bit integer"),
            DecodeError::InvalidJson(e) => write!(f, "invalid JSON payload: {e}"),
            DecodeError::InvalidPayload(ty) => f.write_str(match ty {
                PacketType::Connect => "invalid connect payload: expected a JSON object or nothing",
                PacketType::Disconnect => "invalid disconnect packet: it carries no payload",
                PacketType::Event | PacketType::BinaryEvent => {
                    "invalid event payload: expected a non-empty JSON array whose first element is \
                     the event name (a string or a number)"
                }
                PacketType::Ack | PacketType::BinaryAck => {
                    "invalid ack packet: expected an ack id and a JSON array"
                }
                PacketType::ConnectError => {
                    "invalid connect_error payload: expected a JSON object or string"
                }
            }),
            DecodeError::ReservedEventName => f.write_str(
                "reserved event name (connect, connect_error, disconnect, disconnecting, newListener \
                 and removeListener cannot be sent by a peer)",
            ),
            DecodeError::InvalidPlaceholder => {
                f.write_str("binary placeholder refers to an attachment the packet does not announce")
            }
            DecodeError::UnexpectedBinary => {
                f.write_str("binary message while no binary packet was waiting for attachments")
            }
            DecodeError::UnexpectedText => {
                f.write_str("text packet while a binary packet was still waiting for attachments")
            }
            DecodeError::AttachmentsTooLarge => f.write_str(
                "binary attachments larger in all than the decoder's max_attachment_bytes",
            ),
            DecodeError::AttachmentsTimeout => {
                f.write_str("binary attachments did not all arrive within the attachments timeout")
            }
            DecodeError::InvalidMsgpack(e) => write!(f, "invalid MessagePack packet: {e}"),
            DecodeError::TextMessage => f.write_str(
                "text message, but the MessagePack parser reads only binary messages",
            ),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Where and why a message is not a MessagePack packet the parser accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgpackError {
    /// Byte offset of the item at fault.
    pub offset: usize,
    /// What is wrong.
    pub kind: MsgpackErrorKind,
}

/// The kinds of [`MsgpackError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MsgpackErrorKind {
    /// The message ended inside an item.
    UnexpectedEnd,
    /// Bytes follow the packet's map.
    TrailingBytes,
    /// The byte `0xc1`, which MessagePack never uses.
    NeverUsed,
    /// `data` nests deeper than [`Limits::max_depth`].
    TooDeep,
    /// A map key that has no JSON name (a float, a binary, a container, an extension).
    InvalidKey,
    /// The message is not a map.
    NotAMap,
    /// `type` is missing or not an integer from 0 to 4.
    InvalidType,
}

impl ErrorText for MsgpackError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self.kind {
            MsgpackErrorKind::UnexpectedEnd => "MessagePack message ends inside an item",
            MsgpackErrorKind::TrailingBytes => "bytes after the MessagePack packet",
            MsgpackErrorKind::NeverUsed => "MessagePack byte 0xc1, which is never used",
            MsgpackErrorKind::TooDeep => "MessagePack data nested too deeply",
            MsgpackErrorKind::InvalidKey => {
                "MessagePack map key that is not a string, an integer, nil or a boolean"
            }
            MsgpackErrorKind::NotAMap => "MessagePack packet is not a map",
            MsgpackErrorKind::InvalidType => {
                "MessagePack packet type is not an integer from 0 to 4"
            }
        });
        out.push_str(" at byte ");
        push_decimal(out, self.offset as u64);
    }
}

display_by_text!(MsgpackError);

impl core::error::Error for MsgpackError {}
