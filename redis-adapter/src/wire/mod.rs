//! Pieces of the Node adapters' messages shared by the adapters and the emitter, on the
//! value trees the messages are read into and written from:
//!
//! - here: building values, ids, reading JSON-or-MessagePack payloads;
//! - `opts`: rooms and broadcast options;
//! - `packet`: event arguments between the server's [`Args`](sockeye_server::Args) and the
//!   messages, and the broadcast packet;
//! - `socket`: socket descriptions (`fetchSockets`).

mod opts;
mod packet;
mod socket;

use std::time::{SystemTime, UNIX_EPOCH};

use sockeye_server::Value;
use sockeye_server::value::Map;

pub(crate) use opts::{decode_opts, encode_flags, encode_opts, room_list};
pub(crate) use packet::{
    args, decode_packet, emit_error, event_packet, first_arg, one_arg, values,
};
pub(crate) use socket::{decode_socket, encode_socket};

use crate::msgpack;

/// An object from `(key, value)` pairs, in this order (the order the Node side writes them, so
/// that MessagePack bytes match).
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().collect())
}

pub(crate) fn num(n: u64) -> Value {
    Value::Number(n.into())
}

pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(items.into_iter().cloned().map(Value::String).collect())
}

/// The fields of an answer with one argument: `type` where the format puts it there,
/// `requestId`, then `field` with the argument when there is one.
pub(crate) fn answer(kind: Option<u64>, id: String, field: &str, arg: Option<Value>) -> Value {
    let mut out = Map::with_capacity(3);
    if let Some(kind) = kind {
        out.insert("type", num(kind));
    }
    out.insert("requestId", Value::String(id));
    if let Some(arg) = arg {
        out.insert(field, arg);
    }
    Value::Object(out)
}

/// A random id of `len` letters and digits, as `uid2`.
pub(crate) fn uid(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the time still tells nodes apart in practice.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
            .to_le_bytes();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = nanos.get(i % 4).copied().unwrap_or(0).wrapping_add(i as u8);
        }
    }
    bytes
        .iter()
        .map(|b| {
            char::from(
                ALPHABET
                    .get(usize::from(*b) % ALPHABET.len())
                    .copied()
                    .unwrap_or(b'a'),
            )
        })
        .collect()
}

/// A random id of 16 hex digits, as `socket.io-adapter`'s `ClusterAdapter` (`randomBytes(8)`).
pub(crate) fn hex_uid() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    if bytes == [0; 8] {
        bytes = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes()
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([1; 8]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A payload from another node: JSON when it starts with `{`, MessagePack otherwise (what both
/// Node adapters accept).
pub(crate) fn parse(payload: &[u8]) -> Result<Value, String> {
    if payload.first() == Some(&b'{') {
        serde_json::from_slice(payload).map_err(|e| format!("invalid JSON: {e}"))
    } else {
        msgpack::decode(payload).map_err(|e| format!("invalid msgpack: {e}"))
    }
}

pub(crate) fn json(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// A non-negative number from a message (JavaScript's numbers may be integral floats).
pub(crate) fn as_u64(v: Option<&Value>) -> Option<u64> {
    match v {
        Some(Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.is_finite())
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

/// Whether a message's flag is `true`.
pub(crate) fn as_bool(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

#[cfg(test)]
mod tests;
