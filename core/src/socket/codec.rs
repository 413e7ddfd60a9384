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
use core::fmt;

use super::args::Args;
use super::packet::{AckId, Nsp, Packet, PacketData, PacketType, RESERVED_EVENTS, event_name_in};
use crate::json::{self, JsonError, Kind, Placeholder};
use crate::text::{decimal_len, push_decimal};

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
    /// The `<n>-` attachment count is malformed, zero, or over [`Limits::max_attachments`].
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
                 max_attachments",
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
        }
    }
}

impl core::error::Error for DecodeError {}

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
    /// The binary packet being completed and how many attachments its header announced.
    partial: Option<(Packet, usize)>,
    /// The bytes of the pending packet's attachments so far.
    partial_bytes: usize,
}

impl Decoder {
    /// A decoder with these bounds.
    pub fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            partial: None,
            partial_bytes: 0,
        }
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

#[cfg(test)]
mod tests {
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    use proptest::prelude::*;

    use super::*;

    const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
    const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

    fn nsp(name: &str) -> Nsp {
        Nsp::new(name).unwrap()
    }

    fn root() -> Nsp {
        Nsp::root()
    }

    fn s(text: &str) -> String {
        String::from(text)
    }

    /// Arguments without attachments.
    fn args_of(text: &str) -> Args {
        Args::from_json(text, vec![]).unwrap()
    }

    /// Arguments with attachments.
    fn binary_args(text: impl Into<String>, attachments: Vec<Vec<u8>>) -> Args {
        Args::from_json(text, attachments).unwrap()
    }

    fn enc(packet: &Packet) -> String {
        let mut out = String::new();
        encode(packet, &mut out);
        assert_eq!(out.len(), encoded_len(packet), "encoded_len of {packet:?}");
        out
    }

    /// Feeds `text` then `attachments` and returns the completed packet.
    fn dec(text: &str, attachments: &[&[u8]]) -> Result<Packet, DecodeError> {
        let mut d = Decoder::default();
        let mut status = d.decode_text(text)?;
        for (i, a) in attachments.iter().enumerate() {
            assert_eq!(
                status,
                Status::Partial {
                    remaining: attachments.len() - i
                },
                "{text}"
            );
            status = d.decode_binary(a.to_vec())?;
        }
        match status {
            Status::Complete(p) => Ok(p),
            Status::Partial { remaining } => panic!("{text}: still {remaining} attachments"),
        }
    }

    fn err(text: &str) -> DecodeError {
        Decoder::default().decode_text(text).unwrap_err()
    }

    /// The wire text and the packet, both directions.
    fn vector(wire: &str, attachments: &[&[u8]], packet: Packet) {
        assert_eq!(enc(&packet), wire, "encode {packet:?}");
        assert_eq!(dec(wire, attachments).unwrap(), packet, "decode {wire}");
    }

    // --- v5 spec, "Packet encoding" and "Exchange protocol" ---

    #[test]
    fn connect_main_namespace() {
        vector("0", &[], Packet::connect(root(), None));
    }

    #[test]
    fn connect_custom_namespace() {
        vector("0/admin,", &[], Packet::connect(nsp("/admin"), None));
    }

    #[test]
    fn connect_with_auth() {
        vector(
            r#"0/admin,{"token":"123"}"#,
            &[],
            Packet::connect(nsp("/admin"), Some(s(r#"{"token":"123"}"#))),
        );
        vector(
            r#"0{"token":"123"}"#,
            &[],
            Packet::connect(root(), Some(s(r#"{"token":"123"}"#))),
        );
    }

    #[test]
    fn server_connect_with_sid() {
        vector(
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            &[],
            Packet::connect(root(), Some(s(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#))),
        );
        vector(
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            &[],
            Packet::connect(nsp("/admin"), Some(s(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#))),
        );
        vector(
            r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
            &[],
            Packet::connect(nsp("/admin"), Some(s(r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#))),
        );
    }

    /// `40/random` on the Engine.IO wire: a namespace may end at the end of the text.
    #[test]
    fn connect_namespace_without_comma() {
        assert_eq!(
            dec("0/random", &[]).unwrap(),
            Packet::connect(nsp("/random"), None)
        );
        // Our own answer always has the comma.
        assert_eq!(enc(&Packet::connect(nsp("/random"), None)), "0/random,");
        // `/` spelled out is the main namespace.
        assert_eq!(dec("0/,", &[]).unwrap(), Packet::connect(root(), None));
        assert_eq!(dec("0/", &[]).unwrap(), Packet::connect(root(), None));
    }

    #[test]
    fn connect_error() {
        vector(
            r#"4{"message":"Not authorized"}"#,
            &[],
            Packet::connect_error(root(), s(r#"{"message":"Not authorized"}"#)),
        );
    }

    /// `44/random,{"message":"Invalid namespace"}` on the Engine.IO wire.
    #[test]
    fn connect_error_invalid_namespace() {
        vector(
            r#"4/random,{"message":"Invalid namespace"}"#,
            &[],
            Packet::connect_error(nsp("/random"), s(r#"{"message":"Invalid namespace"}"#)),
        );
    }

    #[test]
    fn connect_error_bare_string_is_kept_as_json() {
        vector(
            r#"4"not allowed""#,
            &[],
            Packet::connect_error(root(), s(r#""not allowed""#)),
        );
    }

    #[test]
    fn event() {
        vector(
            r#"2["foo"]"#,
            &[],
            Packet::event(root(), args_of(r#"["foo"]"#), None),
        );
        vector(
            r#"2/admin,["bar"]"#,
            &[],
            Packet::event(nsp("/admin"), args_of(r#"["bar"]"#), None),
        );
        vector(
            r#"2["hey","Jude"]"#,
            &[],
            Packet::event(root(), args_of(r#"["hey","Jude"]"#), None),
        );
    }

    #[test]
    fn event_with_ack_id() {
        vector(
            r#"212["foo"]"#,
            &[],
            Packet::event(root(), args_of(r#"["foo"]"#), Some(AckId(12))),
        );
        vector(
            r#"2/admin,13["foo"]"#,
            &[],
            Packet::event(nsp("/admin"), args_of(r#"["foo"]"#), Some(AckId(13))),
        );
        vector(
            r#"2/admin,1["tellme"]"#,
            &[],
            Packet::event(nsp("/admin"), args_of(r#"["tellme"]"#), Some(AckId(1))),
        );
        vector(
            r#"218446744073709551615["max"]"#,
            &[],
            Packet::event(root(), args_of(r#"["max"]"#), Some(AckId(u64::MAX))),
        );
        vector(
            r#"20["zero"]"#,
            &[],
            Packet::event(root(), args_of(r#"["zero"]"#), Some(AckId(0))),
        );
    }

    #[test]
    fn ack() {
        vector("312[]", &[], Packet::ack(root(), args_of("[]"), AckId(12)));
        vector(
            r#"3/admin,13["bar"]"#,
            &[],
            Packet::ack(nsp("/admin"), args_of(r#"["bar"]"#), AckId(13)),
        );
    }

    #[test]
    fn binary_event() {
        let args = format!(r#"["baz",{PH0}]"#);
        vector(
            &format!("51-{args}"),
            &[&[1, 2, 3, 4]],
            Packet::event(root(), binary_args(args, vec![vec![1, 2, 3, 4]]), None),
        );
    }

    #[test]
    fn binary_event_multiple_attachments() {
        let args = format!(r#"["baz",{PH0},{PH1}]"#);
        vector(
            &format!("52-/admin,{args}"),
            &[&[1, 2], &[3, 4]],
            Packet::event(
                nsp("/admin"),
                binary_args(args, vec![vec![1, 2], vec![3, 4]]),
                None,
            ),
        );
    }

    #[test]
    fn binary_event_with_ack_id() {
        let args = format!(r#"["foo",{PH0}]"#);
        vector(
            &format!("51-14{args}"),
            &[&[1, 2, 3, 4]],
            Packet::event(
                root(),
                binary_args(args, vec![vec![1, 2, 3, 4]]),
                Some(AckId(14)),
            ),
        );
    }

    #[test]
    fn binary_ack() {
        let args = format!(r#"["bar",{PH0}]"#);
        vector(
            &format!("61-15{args}"),
            &[&[1, 2, 3, 4]],
            Packet::ack(root(), binary_args(args, vec![vec![1, 2, 3, 4]]), AckId(15)),
        );
        // The sample session's `461-/admin,1[{"_placeholder":true,"num":0}]`.
        let args = format!("[{PH0}]");
        vector(
            &format!("61-/admin,1{args}"),
            &[b"\xff"],
            Packet::ack(nsp("/admin"), binary_args(args, vec![vec![0xff]]), AckId(1)),
        );
    }

    #[test]
    fn disconnect() {
        vector("1", &[], Packet::disconnect(root()));
        vector("1/admin,", &[], Packet::disconnect(nsp("/admin")));
        assert_eq!(
            dec("1/admin", &[]).unwrap(),
            Packet::disconnect(nsp("/admin"))
        );
    }

    // --- what the reference accepts beyond the spec's examples ---

    #[test]
    fn numeric_event_name_is_accepted() {
        let p = dec(r#"2[42,"x"]"#, &[]).unwrap();
        assert_eq!(p, Packet::event(root(), args_of(r#"[42,"x"]"#), None));
        assert_eq!(p.event_name().as_deref(), Some("42"));
    }

    #[test]
    fn event_name_is_unescaped() {
        let p = dec(r#"2["caf\u00e9",1]"#, &[]).unwrap();
        assert_eq!(p.event_name().as_deref(), Some("café"));
    }

    #[test]
    fn ack_without_payload_is_an_empty_ack() {
        assert_eq!(
            dec("312", &[]).unwrap(),
            Packet::ack(root(), args_of("[]"), AckId(12))
        );
        assert_eq!(
            dec("3/admin,7", &[]).unwrap(),
            Packet::ack(nsp("/admin"), args_of("[]"), AckId(7))
        );
    }

    #[test]
    fn ack_id_on_other_types_is_dropped() {
        assert_eq!(
            dec(r#"0/admin,5{"token":"1"}"#, &[]).unwrap(),
            Packet::connect(nsp("/admin"), Some(s(r#"{"token":"1"}"#)))
        );
        assert_eq!(
            dec("1/admin,5", &[]).unwrap(),
            Packet::disconnect(nsp("/admin"))
        );
        assert_eq!(
            dec("0/admin,1", &[]).unwrap(),
            Packet::connect(nsp("/admin"), None)
        );
    }

    #[test]
    fn whitespace_around_json_is_dropped() {
        assert_eq!(
            dec("2[\"foo\"] \n", &[]).unwrap(),
            Packet::event(root(), args_of(r#"["foo"]"#), None)
        );
        assert_eq!(
            dec("0/admin,\t{\"a\":1}\r\n", &[]).unwrap(),
            Packet::connect(nsp("/admin"), Some(s(r#"{"a":1}"#)))
        );
    }

    #[test]
    fn placeholders_in_a_plain_event_are_left_alone() {
        let wire = format!(r#"2["a",{PH1}]"#);
        assert_eq!(
            dec(&wire, &[]).unwrap().args().map(Args::text),
            Some(&wire[1..])
        );
    }

    #[test]
    fn binary_packet_may_not_use_every_attachment() {
        // The reference does not check that each attachment is referenced.
        let p = dec(r#"52-["a"]"#, &[b"x", b"y"]).unwrap();
        assert_eq!(p.attachments(), &[b"x".to_vec(), b"y".to_vec()]);
    }

    #[test]
    fn namespace_at_max_len() {
        let name = format!("/{}", "a".repeat(Nsp::MAX_LEN - 1));
        assert_eq!(
            dec(&format!("0{name}"), &[]).unwrap(),
            Packet::connect(nsp(&name), None)
        );
        assert_eq!(
            dec(&format!(r#"2{name},["x"]"#), &[]).unwrap(),
            Packet::event(nsp(&name), args_of(r#"["x"]"#), None)
        );
        assert_eq!(err(&format!("0{name}a")), DecodeError::InvalidNamespace);
        assert_eq!(err(&format!("0{name}a,")), DecodeError::InvalidNamespace);
    }

    #[test]
    fn unicode_namespace() {
        vector(
            r#"2/café,["x"]"#,
            &[],
            Packet::event(nsp("/café"), args_of(r#"["x"]"#), None),
        );
    }

    // --- errors ---

    #[test]
    fn empty() {
        assert_eq!(err(""), DecodeError::Empty);
    }

    #[test]
    fn unknown_type() {
        assert_eq!(err("7"), DecodeError::UnknownType('7'));
        assert_eq!(err("x[]"), DecodeError::UnknownType('x'));
        assert_eq!(err("é"), DecodeError::UnknownType('é'));
        assert_eq!(err(" 2[\"a\"]"), DecodeError::UnknownType(' '));
    }

    #[test]
    fn invalid_attachments() {
        for text in [
            "5",
            "5-[\"a\"]",
            "51[\"a\"]",
            "5x-[\"a\"]",
            "51x-[\"a\"]",
            "50-[\"a\"]",
            "60-1[]",
            "511-[\"a\"]",
            "61",
        ] {
            assert_eq!(err(text), DecodeError::InvalidAttachments, "{text}");
        }
        // A custom bound.
        let mut d = Decoder::new(Limits {
            max_attachments: 2,
            ..Limits::default()
        });
        assert_eq!(
            d.decode_text(r#"53-["a"]"#),
            Err(DecodeError::InvalidAttachments)
        );
        assert_eq!(
            d.decode_text(r#"52-["a"]"#),
            Ok(Status::Partial { remaining: 2 })
        );
    }

    #[test]
    fn huge_attachment_count() {
        assert_eq!(
            err(&format!("5{}-[\"a\"]", u64::MAX)),
            DecodeError::InvalidAttachments
        );
        assert_eq!(
            err("599999999999999999999999999999-[\"a\"]"),
            DecodeError::InvalidAttachments
        );
        // Leading zeros stop at a bounded number of digits too.
        assert_eq!(
            err(&format!("5{}1-[\"a\"]", "0".repeat(30))),
            DecodeError::InvalidAttachments
        );
    }

    // The bounds are structural (the decoder reads at most 20 count digits and `Nsp::MAX_LEN + 1`
    // namespace bytes); these inputs are the hostile shapes they exist for. Speed lives in the
    // benchmarks, never in a timed test.
    #[test]
    fn ten_megabyte_attachment_count_is_refused() {
        for digit in ["1", "0"] {
            let text = format!("5{}-[\"a\"]", digit.repeat(10_000_000));
            assert_eq!(err(&text), DecodeError::InvalidAttachments);
        }
    }

    #[test]
    fn megabyte_namespace_without_comma_is_refused() {
        for tail in ["", ",[\"a\"]"] {
            let text = format!("2/{}{tail}", "a".repeat(1_000_000));
            assert_eq!(err(&text), DecodeError::InvalidNamespace);
        }
    }

    #[test]
    fn invalid_ack_id() {
        assert_eq!(
            err(&format!("2{}", "9".repeat(30))),
            DecodeError::InvalidAckId
        );
        assert_eq!(
            err(&format!("2{}[\"a\"]", "9".repeat(30))),
            DecodeError::InvalidAckId
        );
        assert_eq!(
            err(r#"218446744073709551616["a"]"#),
            DecodeError::InvalidAckId
        );
        assert_eq!(
            err(r#"3/admin,18446744073709551616[]"#),
            DecodeError::InvalidAckId
        );
    }

    #[test]
    fn invalid_json() {
        for text in [
            r#"2["foo""#,
            "2{bad",
            r#"0{"a":}"#,
            r#"31["a"]x"#,
            "2 ",
            r#"4"open"#,
        ] {
            assert!(matches!(err(text), DecodeError::InvalidJson(_)), "{text}");
        }
    }

    #[test]
    fn json_too_deep() {
        let deep = format!("2[\"a\",{}{}]", "[".repeat(40), "]".repeat(40));
        assert!(matches!(err(&deep), DecodeError::InvalidJson(_)));
        let mut d = Decoder::new(Limits {
            max_depth: 64,
            ..Limits::default()
        });
        assert!(matches!(d.decode_text(&deep), Ok(Status::Complete(_))));
    }

    #[test]
    fn invalid_payload() {
        use PacketType::*;
        for (text, ty) in [
            ("0[]", Connect),
            (r#"0"x""#, Connect),
            ("0/admin,null", Connect),
            ("1{}", Disconnect),
            ("1/admin,[]", Disconnect),
            ("1/admin,x", Disconnect),
            ("2", Event),
            ("2/admin,", Event),
            ("212", Event),
            ("2[]", Event),
            (r#"2{"a":1}"#, Event),
            (r#"2[{"a":1}]"#, Event),
            ("2[null]", Event),
            ("2[true]", Event),
            (r#"2"foo""#, Event),
            (r#"51-{"a":1}"#, BinaryEvent),
            ("51-", BinaryEvent),
            (r#"51-1[[1]]"#, BinaryEvent),
            ("3[]", Ack),
            ("3/admin,[]", Ack),
            ("3", Ack),
            ("3{}", Ack),
            (r#"31"a""#, Ack),
            ("61-[]", BinaryAck),
            ("61-", BinaryAck),
            ("61-1{}", BinaryAck),
            ("4", ConnectError),
            ("4/admin,", ConnectError),
            ("4[]", ConnectError),
            ("4 1", ConnectError),
            ("4null", ConnectError),
        ] {
            assert_eq!(err(text), DecodeError::InvalidPayload(ty), "{text}");
        }
    }

    #[test]
    fn reserved_event_names() {
        for name in RESERVED_EVENTS {
            assert_eq!(
                err(&format!(r#"2["{name}",1]"#)),
                DecodeError::ReservedEventName
            );
            assert_eq!(
                err(&format!(r#"51-/admin,["{name}",{PH0}]"#)),
                DecodeError::ReservedEventName
            );
        }
        // Escapes do not hide a reserved name.
        assert_eq!(err(r#"2["\u0063onnect"]"#), DecodeError::ReservedEventName);
        // Only the event name is checked.
        assert!(dec(r#"2["connected","connect"]"#, &[]).is_ok());
    }

    #[test]
    fn placeholder_out_of_range() {
        assert_eq!(
            err(&format!(r#"51-["a",{PH1}]"#)),
            DecodeError::InvalidPlaceholder
        );
        assert_eq!(
            err(&format!(r#"61-3[{PH0},{PH1}]"#)),
            DecodeError::InvalidPlaceholder
        );
        assert_eq!(
            err(r#"51-["a",{"_placeholder":true,"num":18446744073709551616}]"#),
            DecodeError::InvalidPlaceholder
        );
        assert_eq!(
            dec(&format!(r#"52-["a",{PH1}]"#), &[b"", b""])
                .unwrap()
                .attachments()
                .len(),
            2
        );
    }

    #[test]
    fn binary_when_idle() {
        let mut d = Decoder::default();
        assert_eq!(d.decode_binary(vec![1]), Err(DecodeError::UnexpectedBinary));
        assert_eq!(
            d.decode_text(r#"2["a"]"#).unwrap(),
            Status::Complete(dec(r#"2["a"]"#, &[]).unwrap())
        );
        assert_eq!(d.decode_binary(vec![1]), Err(DecodeError::UnexpectedBinary));
    }

    #[test]
    fn text_while_waiting_for_attachments() {
        let mut d = Decoder::default();
        let header = format!(r#"52-["a",{PH0},{PH1}]"#);
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
        assert_eq!(d.awaiting_attachments(), 2);
        assert_eq!(
            d.decode_binary(vec![1]),
            Ok(Status::Partial { remaining: 1 })
        );
        assert_eq!(d.awaiting_attachments(), 1);
        assert_eq!(d.decode_text(r#"2["b"]"#), Err(DecodeError::UnexpectedText));
        // The pending packet was dropped: the decoder is idle again.
        assert_eq!(d.awaiting_attachments(), 0);
        assert_eq!(d.decode_binary(vec![2]), Err(DecodeError::UnexpectedBinary));
    }

    #[test]
    fn attachments_are_bounded_in_bytes_across_the_packet() {
        let mut d = Decoder::new(Limits {
            max_attachment_bytes: 10,
            ..Limits::default()
        });
        let header = format!(r#"52-["a",{PH0},{PH1}]"#);
        // Exactly at the bound: complete.
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
        assert_eq!(
            d.decode_binary(vec![0; 4]),
            Ok(Status::Partial { remaining: 1 })
        );
        assert!(matches!(
            d.decode_binary(vec![0; 6]),
            Ok(Status::Complete(_))
        ));
        // The count starts again for the next packet; one byte over fails and drops the packet.
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
        assert_eq!(
            d.decode_binary(vec![0; 4]),
            Ok(Status::Partial { remaining: 1 })
        );
        assert_eq!(
            d.decode_binary(vec![0; 7]),
            Err(DecodeError::AttachmentsTooLarge)
        );
        assert_eq!(d.awaiting_attachments(), 0);
        // A text in between also starts the count again.
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
        assert_eq!(
            d.decode_binary(vec![0; 9]),
            Ok(Status::Partial { remaining: 1 })
        );
        assert_eq!(d.decode_text(r#"2["b"]"#), Err(DecodeError::UnexpectedText));
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
        assert_eq!(
            d.decode_binary(vec![0; 9]),
            Ok(Status::Partial { remaining: 1 })
        );
    }

    #[test]
    fn decoder_reused_after_binary_packet() {
        let mut d = Decoder::default();
        let header = format!(r#"51-["a",{PH0}]"#);
        for round in 0..3u8 {
            assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 1 }));
            let Ok(Status::Complete(p)) = d.decode_binary(vec![round]) else {
                panic!()
            };
            assert_eq!(p.attachments(), &[vec![round]]);
            assert_eq!(p.packet_type(), PacketType::BinaryEvent);
        }
    }

    #[test]
    fn display_is_lowercase_and_says_what() {
        let errors = [
            DecodeError::Empty,
            DecodeError::UnknownType('9'),
            DecodeError::InvalidAttachments,
            DecodeError::InvalidNamespace,
            DecodeError::InvalidAckId,
            err("2["),
            DecodeError::InvalidPayload(PacketType::Connect),
            DecodeError::InvalidPayload(PacketType::Disconnect),
            DecodeError::InvalidPayload(PacketType::Event),
            DecodeError::InvalidPayload(PacketType::Ack),
            DecodeError::InvalidPayload(PacketType::ConnectError),
            DecodeError::ReservedEventName,
            DecodeError::InvalidPlaceholder,
            DecodeError::UnexpectedBinary,
            DecodeError::UnexpectedText,
            DecodeError::AttachmentsTooLarge,
            DecodeError::AttachmentsTimeout,
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
            assert!(text.len() > 15, "{text}");
        }
        assert_eq!(
            DecodeError::UnknownType('9').to_string(),
            "unknown socket.io packet type '9' (expected a digit 0-6)"
        );
        assert_eq!(
            DecodeError::InvalidNamespace.to_string(),
            "namespace longer than 1024 bytes"
        );
    }

    #[test]
    fn encode_appends() {
        let mut out = String::from("4");
        encode(
            &Packet::event(root(), args_of(r#"["foo"]"#), None),
            &mut out,
        );
        assert_eq!(out, r#"42["foo"]"#);
    }

    #[test]
    fn encoded_len_matches() {
        for id in [0, 9, 10, 99, 100, 12345, u64::MAX] {
            let p = Packet::ack(nsp("/a"), binary_args(s("[]"), vec![vec![]; 10]), AckId(id));
            assert_eq!(enc(&p), format!("610-/a,{id}[]"));
        }
    }

    // --- properties ---

    fn json_string() -> impl Strategy<Value = String> {
        any::<String>().prop_map(|v| {
            let mut out = String::new();
            json::write_string(&mut out, &v);
            out
        })
    }

    fn json_scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            json_string(),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u32>().prop_map(|n| format!("{n}.5e-3")),
            Just(s("true")),
            Just(s("null")),
        ]
    }

    fn event_name() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => any::<String>()
                .prop_filter("reserved", |n| !RESERVED_EVENTS.contains(&n.as_str()))
                .prop_map(|n| {
                    let mut out = String::new();
                    json::write_string(&mut out, &n);
                    out
                }),
            1 => any::<u32>().prop_map(|n| n.to_string()),
        ]
    }

    fn namespace() -> impl Strategy<Value = Nsp> {
        prop_oneof![Just(root()), "/[^,]{0,20}".prop_map(|n| nsp(&n))]
    }

    /// A JSON array: `head` first (the event name), then `items` with a placeholder for each
    /// attachment inserted at positions picked by `seed`.
    fn array(
        head: Option<String>,
        mut items: Vec<String>,
        attachments: usize,
        seed: usize,
    ) -> String {
        for num in 0..attachments {
            let at = (seed / (num + 1)) % (items.len() + 1);
            items.insert(at, format!(r#"{{"_placeholder":true,"num":{num}}}"#));
        }
        let items: Vec<String> = head.into_iter().chain(items).collect();
        format!("[{}]", items.join(","))
    }

    fn packet() -> impl Strategy<Value = Packet> {
        let attachments = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..=3);
        let items = prop::collection::vec(json_scalar(), 0..4);
        let id = prop::option::of(any::<u64>());
        (
            namespace(),
            event_name(),
            items,
            attachments,
            id,
            any::<usize>(),
            0..5u8,
        )
            .prop_map(
                |(nsp, name, items, attachments, id, seed, kind)| match kind {
                    0 => {
                        let args = array(Some(name), items, attachments.len(), seed);
                        Packet::event(nsp, binary_args(args, attachments), id.map(AckId))
                    }
                    1 => {
                        let args = array(None, items, attachments.len(), seed);
                        Packet::ack(
                            nsp,
                            binary_args(args, attachments),
                            AckId(id.unwrap_or(seed as u64)),
                        )
                    }
                    2 => {
                        let payload = match seed % 3 {
                            0 => None,
                            1 => Some(s("{}")),
                            _ => Some(format!(
                                r#"{{"k":{}}}"#,
                                items.first().map_or("1", String::as_str)
                            )),
                        };
                        Packet::connect(nsp, payload)
                    }
                    3 => Packet::disconnect(nsp),
                    _ => {
                        let message = items
                            .iter()
                            .find(|i| i.starts_with('"'))
                            .cloned()
                            .unwrap_or(s(r#""x""#));
                        let payload = if seed % 2 == 0 {
                            message
                        } else {
                            format!(r#"{{"message":{message}}}"#)
                        };
                        Packet::connect_error(nsp, payload)
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn decode_never_panics_on_text(text in any::<String>()) {
            let _ = Decoder::default().decode_text(&text);
        }

        #[test]
        fn decode_never_panics_on_packet_like_text(
            text in r#"[0-7]([0-9]{0,3}-)?(/[a-zé,]{0,5})?[0-9]{0,22}[\[\]{}",:a-z0-9_ ]{0,30}"#,
        ) {
            let mut d = Decoder::default();
            let _ = d.decode_text(&text);
            let _ = d.decode_binary(vec![]);
            let _ = d.decode_text(&text);
        }

        #[test]
        fn decode_never_panics_on_bytes(messages in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)), 0..6)) {
            let mut d = Decoder::default();
            for (binary, bytes) in messages {
                if binary {
                    let _ = d.decode_binary(bytes);
                } else {
                    let _ = d.decode_text(&String::from_utf8_lossy(&bytes));
                }
            }
        }

        #[test]
        fn decode_inverts_encode(p in packet()) {
            let text = enc(&p);
            let mut d = Decoder::default();
            let mut status = d.decode_text(&text);
            for a in p.attachments() {
                prop_assert!(matches!(status, Ok(Status::Partial { .. })), "{text}: {status:?}");
                status = d.decode_binary(a.clone());
            }
            prop_assert_eq!(status, Ok(Status::Complete(p)), "{}", text);
        }
    }
}
