//! The Socket.IO v5 codec. (Stub: the signatures are the contract; helper "sio-codec" implements.)
//!
//! Encoding writes the packet's text; a packet with attachments is followed on the wire by one
//! binary Engine.IO message per attachment, strictly in order. Decoding is incremental: a
//! BINARY_EVENT/BINARY_ACK header yields [`Status::Partial`] until its attachments have arrived.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::packet::{Packet, PacketType};
use crate::json::JsonError;

/// Bounds the decoder enforces against hostile peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Attachments one packet may announce (the reference's `maxAttachments`, default 10).
    pub max_attachments: usize,
    /// JSON nesting depth.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_attachments: 10, max_depth: crate::json::DEFAULT_MAX_DEPTH }
    }
}

/// The result of feeding the decoder one Engine.IO message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Status {
    /// A whole packet.
    Complete(Packet),
    /// A binary packet's header or an attachment arrived; this many attachments are still to come.
    Partial {
        /// Attachments still expected.
        remaining: usize,
    },
}

/// Why a message is not a valid Socket.IO packet. Every variant closes the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty text.
    Empty,
    /// The type digit is not `0`-`6`.
    UnknownType(char),
    /// The `<n>-` attachment count is malformed or over [`Limits::max_attachments`].
    InvalidAttachments,
    /// The namespace is longer than `Nsp::MAX_LEN`.
    InvalidNamespace,
    /// The ack id is not a number fitting `u64`.
    InvalidAckId,
    /// The JSON is malformed or too deep.
    InvalidJson(JsonError),
    /// The JSON is well-formed but not what this packet type must carry (see the module docs).
    InvalidPayload(PacketType),
    /// An event name the reference reserves (`connect`, `disconnect`, ...).
    ReservedEventName,
    /// A placeholder points past the attachments.
    InvalidPlaceholder,
    /// A binary message arrived while no binary packet was waiting for attachments.
    UnexpectedBinary,
    /// A text packet arrived while a binary packet was still waiting for attachments.
    UnexpectedText,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}

impl core::error::Error for DecodeError {}

/// Appends the text of `packet` (without its attachments) to `out`.
pub fn encode(packet: &Packet, out: &mut String) {
    let _ = (packet, out);
    todo!()
}

/// The incremental decoder: one per connection and direction.
#[derive(Clone, Debug, Default)]
pub struct Decoder {
    limits: Limits,
    partial: Option<(Packet, usize)>,
}

impl Decoder {
    /// A decoder with these bounds.
    pub fn new(limits: Limits) -> Self {
        Decoder { limits, partial: None }
    }

    /// Feeds one text Engine.IO message.
    pub fn decode_text(&mut self, text: &str) -> Result<Status, DecodeError> {
        let _ = (text, &self.limits, &self.partial);
        todo!()
    }

    /// Feeds one binary Engine.IO message (an attachment).
    pub fn decode_binary(&mut self, bytes: Vec<u8>) -> Result<Status, DecodeError> {
        let _ = bytes;
        todo!()
    }
}
