//! The MessagePack parser, wire-compatible with `socket.io-msgpack-parser` 3.0.2 (which writes and
//! reads with its own notepack.io 2.2.0).
//!
//! Each Socket.IO packet is one binary Engine.IO message holding one MessagePack map:
//! `{"type": 0..=4, "nsp": "/…", "data": …, "id": n}` (`data` and `id` when the packet has them).
//! Binary data is a MessagePack `bin` wherever it stands in `data`: there are no attachments on
//! the wire and no BINARY_EVENT/BINARY_ACK types (5 and 6 are refused, as the reference does).
//!
//! Behind the `msgpack` feature (on by default; the server and the load generator turn it on, the
//! npm build of the browser client leaves it out).
//!
//! This is another producer of the one payload model ([`Args`]), not a second data path: [`decode`]
//! yields the [`Packet`] the JSON codec yields for the same packet (`data` becomes JSON text, each
//! binary an attachment with its placeholder), and [`encode`] writes a [`Packet`] from that model.
//! So the server, the adapters and recovery see the same values whichever parser a peer speaks.
//!
//! # What a JSON text cannot hold
//!
//! The text is what a JavaScript peer would get from `JSON.stringify` of what notepack decoded,
//! so both parsers give an application the same data:
//!
//! | MessagePack | notepack gives JavaScript | here |
//! |-------------|---------------------------|------|
//! | `bin`; `ext` of type 0 (notepack's ArrayBuffer, what a browser sends) | Buffer / ArrayBuffer | an attachment and its placeholder |
//! | fixext 1 of type 0 (notepack's `undefined`) | `undefined` | `null` in an array, the member left out in a map, the key absent at the packet's top |
//! | fixext 8 of type 0 (notepack's Date, milliseconds) | a Date | its ISO text `"1970-01-01T00:00:00.000Z"`, `null` past a Date's range |
//! | any other `ext` | `[type, Buffer]` | `[type, placeholder]` |
//! | float NaN, ±Infinity | NaN, ±Infinity | `null`, as `JSON.stringify` writes them |
//! | an integer beyond 2^53 | the nearest double | every digit (a JavaScript reader rounds it the same way) |
//! | `str` that is not UTF-8 | U+FFFD for each bad sequence | the same |
//! | a map key that is an integer, `nil` or a boolean | its property name (`"1"`, `"null"`) | the same |
//! | a map key of any other type | `"[object Object]"`, … | [`MsgpackErrorKind::InvalidKey`] |
//! | the byte `0xc1` (never used) | an error | [`MsgpackErrorKind::NeverUsed`] |
//!
//! # What a packet must carry
//!
//! As the reference's `checkPacket`, with what our [`PacketData`] needs besides:
//!
//! | key | accepted | error |
//! |-----|----------|-------|
//! | the message | one map and nothing after it; other keys (the client's `options`) are ignored, a repeated key counts by its last value | [`MsgpackErrorKind::NotAMap`], [`MsgpackErrorKind::TrailingBytes`] |
//! | `type` | an integer `0..=4` | [`MsgpackErrorKind::InvalidType`] |
//! | `nsp` | a string starting with `/`, at most `Nsp::MAX_LEN` bytes, no comma | [`DecodeError::InvalidNamespace`] |
//! | `id` | an integer fitting `u64` (a float with an integral value too, as `Number.isInteger`) | [`DecodeError::InvalidAckId`] |
//! | `data` | CONNECT: a map or nothing; DISCONNECT: nothing; EVENT: an array led by a name (string or number) not reserved; ACK: an array, with an `id`; CONNECT_ERROR: a map or a string. No binary outside EVENT and ACK | [`DecodeError::InvalidPayload`], [`DecodeError::ReservedEventName`] |
//!
//! The same [`Limits`] bound it as the JSON codec: `max_depth` for the nesting of `data` (a
//! binary counts as the placeholder object it becomes), `max_attachments` binaries
//! ([`DecodeError::InvalidAttachments`] past it) of `max_attachment_bytes` in all
//! ([`DecodeError::AttachmentsTooLarge`]). Time and memory are linear in the message: every item
//! takes at least a byte and writes at most a few dozen bytes of text, nothing is allocated from a
//! length before its bytes have been seen, and containers are read with a stack, not recursion.
//!
//! [`Args`]: super::args::Args

use alloc::string::String;
use alloc::vec::Vec;

use super::decode_error::DecodeError;
use super::decode_error::Limits;
pub use super::decode_error::{MsgpackError, MsgpackErrorKind};
use super::packet::{AckId, Nsp, Packet, PacketData, PacketType, RESERVED_EVENTS};
use crate::json::Kind;

mod read;
mod write;

use read::Json;
pub use read::{Item, Reader, date_text};
use write::Writer;

fn error(offset: usize, kind: MsgpackErrorKind) -> DecodeError {
    DecodeError::InvalidMsgpack(MsgpackError { offset, kind })
}

/// Decodes one packet from one binary Engine.IO message. See the [module docs](self).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Packet, DecodeError> {
    let mut r = Reader::new(bytes);
    let Item::Map(members) = r.next().map_err(DecodeError::InvalidMsgpack)? else {
        return Err(error(0, MsgpackErrorKind::NotAMap));
    };
    let mut ty = None;
    let mut nsp = None;
    let mut id = None;
    let mut data: Option<Json> = None;
    for _ in 0..members {
        let key = r.next().map_err(DecodeError::InvalidMsgpack)?;
        // A container as a key names no field here (JavaScript would name it `"[object
        // Object]"` or its elements joined): read past it, then past its value.
        r.skip_contents(key).map_err(DecodeError::InvalidMsgpack)?;
        let at = r.pos();
        let field = match key {
            Item::Str(b"data") => {
                data = read::to_json(&mut r, limits)?;
                continue;
            }
            Item::Str(name @ (b"type" | b"nsp" | b"id")) => name,
            _ => {
                r.skip_value().map_err(DecodeError::InvalidMsgpack)?;
                continue;
            }
        };
        // A field's value: a container is read whole, and is of no type the field accepts.
        let value = r.next().map_err(DecodeError::InvalidMsgpack)?;
        r.skip_contents(value)
            .map_err(DecodeError::InvalidMsgpack)?;
        match field {
            b"type" => {
                let digit = match value {
                    Item::Uint(n) => u8::try_from(n).ok(),
                    Item::Int(n) => u8::try_from(n).ok(),
                    _ => None,
                };
                ty = Some(
                    digit
                        .and_then(|n| PacketType::try_from(n).ok())
                        .filter(|t| !matches!(t, PacketType::BinaryEvent | PacketType::BinaryAck))
                        .ok_or(at),
                );
            }
            b"nsp" => {
                nsp = Some(match value {
                    Item::Str(name) => Some(String::from_utf8_lossy(name)),
                    _ => None,
                });
            }
            _ => {
                id = match value {
                    Item::Undefined => None,
                    Item::Uint(n) => Some(Some(n)),
                    Item::Int(n) => Some(u64::try_from(n).ok()),
                    // `Number.isInteger`: an integral float counts.
                    Item::Float(f)
                        if (0.0..18_446_744_073_709_551_616.0).contains(&f)
                            && f as u64 as f64 == f =>
                    {
                        Some(Some(f as u64))
                    }
                    _ => Some(None),
                };
            }
        }
    }
    if !r.at_end() {
        return Err(error(r.pos(), MsgpackErrorKind::TrailingBytes));
    }
    let ty = match ty {
        Some(Ok(ty)) => ty,
        Some(Err(at)) => return Err(error(at, MsgpackErrorKind::InvalidType)),
        None => return Err(error(0, MsgpackErrorKind::InvalidType)),
    };
    let nsp = match nsp.flatten() {
        Some(name) if name.starts_with('/') => {
            Nsp::new(&name).map_err(|_| DecodeError::InvalidNamespace)?
        }
        _ => return Err(DecodeError::InvalidNamespace),
    };
    let id = match id {
        None => None,
        Some(Some(id)) => Some(AckId(id)),
        Some(None) => return Err(DecodeError::InvalidAckId),
    };
    let invalid = || DecodeError::InvalidPayload(ty);
    // Binaries only travel in an event's or an ack's arguments.
    if data.as_ref().is_some_and(|d| !d.attachments.is_empty())
        && !matches!(ty, PacketType::Event | PacketType::Ack)
    {
        return Err(invalid());
    }
    let data = match ty {
        PacketType::Connect => match data {
            None => PacketData::Connect(None),
            Some(json) if json.kind == Kind::Object => PacketData::Connect(Some(json.text)),
            Some(_) => return Err(invalid()),
        },
        PacketType::Disconnect => match data {
            None => PacketData::Disconnect,
            Some(_) => return Err(invalid()),
        },
        PacketType::Event | PacketType::BinaryEvent => {
            let json = data.filter(|d| d.kind == Kind::Array).ok_or_else(invalid)?;
            let name = super::args::event_name_in(&json.text).ok_or_else(invalid)?;
            if RESERVED_EVENTS.contains(&&*name) {
                return Err(DecodeError::ReservedEventName);
            }
            PacketData::Event {
                args: args(json),
                id,
            }
        }
        PacketType::Ack | PacketType::BinaryAck => {
            let json = data.filter(|d| d.kind == Kind::Array).ok_or_else(invalid)?;
            PacketData::Ack {
                args: args(json),
                id: id.ok_or_else(invalid)?,
            }
        }
        PacketType::ConnectError => match data {
            Some(json) if matches!(json.kind, Kind::Object | Kind::String) => {
                PacketData::ConnectError(json.text)
            }
            _ => return Err(invalid()),
        },
    };
    Ok(Packet { nsp, data })
}

fn args(json: Json) -> super::args::Args {
    super::args::Args::checked(json.text, json.attachments, json.placeholders, json.depth)
}

/// Appends `packet` as one MessagePack map to `out`: `type`, `data`, `id`, `nsp`, in the order
/// socket.io 4.8's server writes them, so a packet both ends write is the same bytes.
///
/// The JSON text is written as MessagePack values (every binary placeholder of an EVENT's or ACK's
/// arguments as a `bin` of its attachment); numbers as notepack writes a JavaScript number, an
/// integer when the value is one. BINARY_EVENT and BINARY_ACK are written as EVENT and ACK.
pub fn encode(packet: &Packet, out: &mut Vec<u8>) {
    let (ty, json, placeholders, attachments): (u64, Option<&str>, &[_], &[Vec<u8>]) =
        match &packet.data {
            PacketData::Connect(auth) => (0, auth.as_deref(), &[], &[]),
            PacketData::Disconnect => (1, None, &[], &[]),
            PacketData::Event { args, .. } => (
                2,
                Some(args.text()),
                args.placeholders(),
                args.attachments(),
            ),
            PacketData::Ack { args, .. } => (
                3,
                Some(args.text()),
                args.placeholders(),
                args.attachments(),
            ),
            PacketData::ConnectError(json) => (4, Some(json.as_str()), &[], &[]),
        };
    let id = packet.ack_id();
    let size = json.map_or(0, str::len) + attachments.iter().map(Vec::len).sum::<usize>();
    out.reserve(size + packet.nsp.as_str().len() + 32);
    let mut w = Writer { out };
    w.map(2 + usize::from(json.is_some()) + usize::from(id.is_some()));
    w.str("type");
    w.uint(ty);
    if let Some(json) = json {
        w.str("data");
        write::json_value(&mut w, json, placeholders, attachments);
    }
    if let Some(AckId(id)) = id {
        w.str("id");
        w.uint(id);
    }
    w.str("nsp");
    w.str(packet.nsp.as_str());
}

#[cfg(test)]
mod tests;
