//! The Socket.IO v5 codec: `<type>[<n>-][<nsp>,][<ack id>][json]`.
//!
//! Encoding writes the packet's text; a packet with attachments is followed on the wire by one
//! binary Engine.IO message per attachment, strictly in order. Decoding is incremental: a
//! BINARY_EVENT/BINARY_ACK header yields [`Status::Partial`] until its attachments have arrived.
//!
//! Decoding follows socket.io-parser 4.2.6, with bounds on everything a peer controls:
//!
//! | part | accepted | error |
//! |------|----------|-------|
//! | type | one digit `0`-`6` | [`DecodeError::UnknownType`] |
//! | `<n>-` (types 5, 6) | `1..=max_attachments`, at most 20 digits | [`DecodeError::InvalidAttachments`] |
//! | namespace | `/` up to `,` or the end of the text (`0/admin` is valid), at most `Nsp::MAX_LEN` bytes | [`DecodeError::InvalidNamespace`] |
//! | ack id | digits fitting `u64` | [`DecodeError::InvalidAckId`] |
//! | JSON | one value, at most `max_depth` deep; whitespace around it is dropped | [`DecodeError::InvalidJson`] |
//! | attachments | at most `max_attachment_bytes` in all, for the one packet that may be pending | [`DecodeError::AttachmentsTooLarge`] |
//!
//! What each type must carry (the reference's `isPayloadValid`, plus what our [`PacketData`] needs):
//!
//! | type | payload | without payload |
//! |------|---------|-----------------|
//! | CONNECT | object | `Connect(None)` |
//! | DISCONNECT | none | ok |
//! | EVENT, BINARY_EVENT | array whose first element is a string not in [`RESERVED_EVENTS`], or a number | refused: the spec makes it mandatory, and the reference would dispatch an event without a name |
//! | ACK, BINARY_ACK | array; the ack id is required (an ACK for nothing is refused) | `[]`: the reference's parser accepts it and calls the ack back with no arguments |
//! | CONNECT_ERROR | object, or a string kept as its JSON text | refused: the reference client would read `message` of nothing |
//!
//! An ack id on CONNECT, DISCONNECT or CONNECT_ERROR is parsed and dropped, as the reference does.
//! `<n>-` with `n = 0` is refused, as socket.io-parser 4.2.6 does (older versions waited forever for
//! an attachment that could not complete the packet), so a binary header always yields
//! [`Status::Partial`]. Placeholders in a binary packet must point below `n`, checked on the header;
//! a placeholder in a plain EVENT/ACK is left alone, as the reference leaves it a plain object.
//!
//! [`PacketData`]: super::packet::PacketData
//! [`RESERVED_EVENTS`]: super::packet::RESERVED_EVENTS

use alloc::string::String;
use alloc::vec::Vec;

use super::args::{Args, event_name_in};
pub use super::decode_error::{DecodeError, Limits};
#[cfg(feature = "msgpack")]
use super::msgpack;
use super::packet::{AckId, Nsp, Packet, PacketData, PacketType, RESERVED_EVENTS};
use crate::engine::Message;
use crate::json::{self, Kind, Placeholder};
use crate::text::{decimal_len, push_decimal};

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

/// Appends the text of `packet` (without its attachments) to `out`.
///
/// The JSON text is written as it is: packets are built from JSON the caller produced or the
/// decoder validated. A namespace other than `/` is always followed by `,`, as the reference writes
/// it, so `Connect(None)` on `/admin` is `0/admin,`.
pub fn encode(packet: &Packet, out: &mut String) {
    out.reserve(encoded_len(packet));
    out.push(type_char(packet.packet_type()));
    let attachments = packet.attachments();
    if !attachments.is_empty() {
        push_decimal(out, attachments.len() as u64);
        out.push('-');
    }
    if !packet.nsp.is_root() {
        out.push_str(packet.nsp.as_str());
        out.push(',');
    }
    if let Some(AckId(id)) = packet.ack_id() {
        push_decimal(out, id);
    }
    match &packet.data {
        PacketData::Connect(payload) => {
            if let Some(json) = payload {
                out.push_str(json);
            }
        }
        PacketData::Disconnect => {}
        PacketData::Event { args, .. } | PacketData::Ack { args, .. } => out.push_str(args.text()),
        PacketData::ConnectError(json) => out.push_str(json),
    }
}

/// The length in bytes of what [`encode`] writes for `packet`.
pub fn encoded_len(packet: &Packet) -> usize {
    let attachments = packet.attachments().len();
    let count = if attachments == 0 {
        0
    } else {
        decimal_len(attachments as u64) + 1
    };
    let nsp = if packet.nsp.is_root() {
        0
    } else {
        packet.nsp.as_str().len() + 1
    };
    let id = packet.ack_id().map_or(0, |AckId(id)| decimal_len(id));
    let json = match &packet.data {
        PacketData::Connect(payload) => payload.as_deref().map_or(0, str::len),
        PacketData::Disconnect => 0,
        PacketData::Event { args, .. } | PacketData::Ack { args, .. } => args.text().len(),
        PacketData::ConnectError(json) => json.len(),
    };
    1 + count + nsp + id + json
}

fn type_char(ty: PacketType) -> char {
    char::from(b'0' + ty as u8)
}

/// More digits than any `<n>-` a sane peer sends: stops a run of leading zeros early.
const MAX_COUNT_DIGITS: usize = 20;

/// The incremental decoder: one per connection and direction.
///
/// Feed every Engine.IO message in order: text to [`Decoder::decode_text`], binary to
/// [`Decoder::decode_binary`]. A binary header returns [`Status::Partial`]; each following binary
/// message is one attachment, and the last one returns the [`Status::Complete`] packet. Any error
/// means the connection must close; the decoder is then idle again.
#[derive(Clone, Debug, Default)]
pub struct Decoder {
    limits: Limits,
    parser: Parser,
    /// The binary packet being completed and how many attachments its header announced.
    partial: Option<(Packet, usize)>,
    /// The bytes of the pending packet's attachments so far.
    partial_bytes: usize,
}

impl Decoder {
    /// A decoder with these bounds.
    pub fn new(limits: Limits) -> Self {
        Decoder::with_parser(limits, Parser::Json)
    }

    /// A decoder for packets `parser` wrote. A MessagePack packet is whole in one binary message,
    /// so that decoder never returns [`Status::Partial`].
    pub fn with_parser(limits: Limits, parser: Parser) -> Self {
        Decoder {
            limits,
            parser,
            partial: None,
            partial_bytes: 0,
        }
    }

    /// The parser this decoder reads.
    pub fn parser(&self) -> Parser {
        self.parser
    }

    /// The bounds this decoder enforces.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// How many attachments the pending binary packet still waits for (0 when idle).
    pub fn awaiting_attachments(&self) -> usize {
        self.partial.as_ref().map_or(0, |(packet, n)| {
            n.saturating_sub(packet.attachments().len())
        })
    }

    /// Feeds one text Engine.IO message.
    ///
    /// A text while a binary packet still waits for attachments is [`DecodeError::UnexpectedText`],
    /// and the pending packet is dropped.
    pub fn decode_text(&mut self, text: &str) -> Result<Status, DecodeError> {
        #[cfg(feature = "msgpack")]
        if self.parser == Parser::MessagePack {
            return Err(DecodeError::TextMessage);
        }
        self.partial_bytes = 0;
        if self.partial.take().is_some() {
            return Err(DecodeError::UnexpectedText);
        }
        let (packet, attachments) = decode_packet(text, &self.limits)?;
        if attachments == 0 {
            return Ok(Status::Complete(packet));
        }
        self.partial = Some((packet, attachments));
        Ok(Status::Partial {
            remaining: attachments,
        })
    }

    /// Feeds one binary Engine.IO message (an attachment).
    pub fn decode_binary(&mut self, bytes: Vec<u8>) -> Result<Status, DecodeError> {
        #[cfg(feature = "msgpack")]
        if self.parser == Parser::MessagePack {
            return msgpack::decode(&bytes, &self.limits).map(Status::Complete);
        }
        let Some((packet, announced)) = self.partial.as_mut() else {
            return Err(DecodeError::UnexpectedBinary);
        };
        let announced = *announced;
        self.partial_bytes = self.partial_bytes.saturating_add(bytes.len());
        if self.partial_bytes > self.limits.max_attachment_bytes {
            self.partial = None;
            self.partial_bytes = 0;
            return Err(DecodeError::AttachmentsTooLarge);
        }
        let list = match &mut packet.data {
            PacketData::Event { args, .. } | PacketData::Ack { args, .. } => args.attachments_mut(),
            // Only EVENT/ACK data is ever left pending (see decode_packet).
            _ => {
                self.partial = None;
                self.partial_bytes = 0;
                return Err(DecodeError::UnexpectedBinary);
            }
        };
        list.push(bytes);
        let remaining = announced.saturating_sub(list.len());
        if remaining > 0 {
            return Ok(Status::Partial { remaining });
        }
        // Not `expect`: its message goes through `core::fmt`, which the browser client avoids.
        self.partial_bytes = 0;
        let Some((packet, _)) = self.partial.take() else {
            panic!("partial was Some at the top of this call");
        };
        Ok(Status::Complete(packet))
    }
}

/// Decodes one packet's text; returns it with the number of attachments still to come.
fn decode_packet(text: &str, limits: &Limits) -> Result<(Packet, usize), DecodeError> {
    let bytes = text.as_bytes();
    let first = text.chars().next().ok_or(DecodeError::Empty)?;
    let ty = u8::try_from(first)
        .ok()
        .and_then(|b| b.checked_sub(b'0'))
        .and_then(|d| PacketType::try_from(d).ok())
        .ok_or(DecodeError::UnknownType(first))?;
    let mut pos = 1;

    // <n>-
    let mut attachments: usize = 0;
    if matches!(ty, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let mut digits = 0;
        while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
            digits += 1;
            attachments = attachments
                .saturating_mul(10)
                .saturating_add(usize::from(d - b'0'));
            if digits > MAX_COUNT_DIGITS || attachments > limits.max_attachments {
                return Err(DecodeError::InvalidAttachments);
            }
            pos += 1;
        }
        if digits == 0 || attachments == 0 || bytes.get(pos) != Some(&b'-') {
            return Err(DecodeError::InvalidAttachments);
        }
        pos += 1;
    }

    // <nsp>,
    let nsp = if bytes.get(pos) == Some(&b'/') {
        // Look no further than one byte past the longest namespace: the bound against a namespace
        // without end.
        let window = bytes.get(pos..).unwrap_or_default();
        let window = window.get(..Nsp::MAX_LEN + 1).unwrap_or(window);
        let (len, next) = match window.iter().position(|&b| b == b',') {
            Some(comma) => (comma, pos + comma + 1),
            None if window.len() <= Nsp::MAX_LEN => (window.len(), pos + window.len()),
            None => return Err(DecodeError::InvalidNamespace),
        };
        // `/` and `,` are ASCII, so both ends are char boundaries.
        let name = text
            .get(pos..pos + len)
            .ok_or(DecodeError::InvalidNamespace)?;
        pos = next;
        Nsp::new(name).map_err(|_| DecodeError::InvalidNamespace)?
    } else {
        Nsp::root()
    };

    // <ack id>
    let mut id = None;
    while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
        let v: u64 = id.unwrap_or(0);
        id = Some(
            v.checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(DecodeError::InvalidAckId)?,
        );
        pos += 1;
    }
    let id = id.map(AckId);

    // [json]: digits and the ASCII delimiters above leave `pos` on a char boundary.
    let rest = text.get(pos..).unwrap_or_default();
    // Where the placeholders of a binary packet stand, from the one scan below.
    let mut placeholders: Vec<Placeholder> = Vec::new();
    let payload = if rest.is_empty() {
        None
    } else if ty == PacketType::Disconnect {
        return Err(DecodeError::InvalidPayload(ty));
    } else if matches!(ty, PacketType::Ack | PacketType::BinaryAck) && id.is_none() {
        // Checked before scanning: no JSON can make it valid.
        return Err(DecodeError::InvalidPayload(ty));
    } else {
        let scan = if attachments > 0 {
            json::scan_placeholders(rest, limits.max_depth, &mut placeholders)
        } else {
            json::scan(rest, limits.max_depth)
        }
        .map_err(DecodeError::InvalidJson)?;
        if attachments > 0 && scan.placeholders > 0 {
            match scan.max_placeholder_num {
                Some(max) if max < attachments as u64 => {}
                _ => return Err(DecodeError::InvalidPlaceholder),
            }
        }
        let (start, end) = json::trim_range(rest);
        for p in &mut placeholders {
            p.start -= start;
            p.end -= start;
        }
        Some((
            scan.kind,
            rest.get(start..end).unwrap_or_default(),
            scan.depth,
        ))
    };
    let mut args = |json: &str, depth| {
        Args::checked(
            String::from(json),
            Vec::with_capacity(attachments),
            core::mem::take(&mut placeholders),
            depth,
        )
    };

    let data = match ty {
        PacketType::Connect => match payload {
            None => PacketData::Connect(None),
            Some((Kind::Object, json, _)) => PacketData::Connect(Some(String::from(json))),
            Some(_) => return Err(DecodeError::InvalidPayload(ty)),
        },
        PacketType::Disconnect => PacketData::Disconnect,
        PacketType::Event | PacketType::BinaryEvent => match payload {
            Some((Kind::Array, json, depth)) => {
                let name = event_name_in(json).ok_or(DecodeError::InvalidPayload(ty))?;
                if RESERVED_EVENTS.contains(&&*name) {
                    return Err(DecodeError::ReservedEventName);
                }
                PacketData::Event {
                    args: args(json, depth),
                    id,
                }
            }
            _ => return Err(DecodeError::InvalidPayload(ty)),
        },
        PacketType::Ack | PacketType::BinaryAck => {
            let id = id.ok_or(DecodeError::InvalidPayload(ty))?;
            let args = match payload {
                None => args("[]", 1),
                Some((Kind::Array, json, depth)) => args(json, depth),
                Some(_) => return Err(DecodeError::InvalidPayload(ty)),
            };
            PacketData::Ack { args, id }
        }
        PacketType::ConnectError => match payload {
            Some((Kind::Object | Kind::String, json, _)) => {
                PacketData::ConnectError(String::from(json))
            }
            _ => return Err(DecodeError::InvalidPayload(ty)),
        },
    };
    Ok((Packet { nsp, data }, attachments))
}

/// How Socket.IO packets become Engine.IO messages; both ends of a connection must agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Parser {
    /// socket.io-parser, the default: a text message per packet, then one binary message per
    /// attachment ([`encode`], [`Decoder`]).
    #[default]
    Json,
    /// socket.io-msgpack-parser: one binary message per packet, binaries inside it ([`msgpack`];
    /// the `msgpack` feature, on by default).
    #[cfg(feature = "msgpack")]
    MessagePack,
}

impl Parser {
    /// The parser named as on a command line: `json` or `msgpack` (also `messagepack`).
    pub fn from_name(name: &str) -> Option<Parser> {
        match name {
            "json" => Some(Parser::Json),
            #[cfg(feature = "msgpack")]
            "msgpack" | "messagepack" => Some(Parser::MessagePack),
            _ => None,
        }
    }

    /// The name [`Parser::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Json => "json",
            #[cfg(feature = "msgpack")]
            Parser::MessagePack => "msgpack",
        }
    }

    /// Hands `send` the Engine.IO messages that carry `packet`, in order.
    pub fn encode(self, packet: Packet, mut send: impl FnMut(Message)) {
        match self {
            Parser::Json => {
                let mut text = String::new();
                encode(&packet, &mut text);
                send(Message::Text(text));
                if let PacketData::Event { args, .. } | PacketData::Ack { args, .. } = packet.data {
                    for attachment in args.into_parts().1 {
                        send(Message::Binary(attachment));
                    }
                }
            }
            #[cfg(feature = "msgpack")]
            Parser::MessagePack => {
                let mut bytes = alloc::vec::Vec::new();
                msgpack::encode(&packet, &mut bytes);
                send(Message::Binary(bytes));
            }
        }
    }
}

#[cfg(test)]
mod tests;
