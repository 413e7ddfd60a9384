//! The decoder: all of MessagePack, linear in its input, with bounded nesting ([`MAX_DEPTH`]),
//! on the core's item reader.

use bytes::Bytes;
use serde_json::Number;
use sockeye_server::Value;
use sockeye_server::proto::socket::msgpack::{Item, MsgpackErrorKind, Reader, date_text};
use sockeye_server::value::Map;

/// How deep arrays and maps may nest in a decoded message: bounds the decoder's recursion.
const MAX_DEPTH: usize = 128;

/// Why bytes are not a MessagePack value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a value.
    #[error("unexpected end of input")]
    Eof,
    /// A byte no MessagePack value starts with (`0xc1`).
    #[error("invalid type byte {0:#04x}")]
    InvalidByte(u8),
    /// A `str` that is not UTF-8.
    #[error("invalid utf-8 in a string")]
    Utf8,
    /// Arrays or maps nested deeper than the decoder follows.
    #[error("nested too deep")]
    TooDeep,
    /// Bytes left after the value.
    #[error("{0} trailing bytes")]
    Trailing(usize),
}

/// Decodes one value that fills `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
    let mut reader = Reader::new(bytes);
    let value = value(&mut reader, 0)?;
    let left = bytes.len().saturating_sub(reader.pos());
    if left > 0 {
        return Err(DecodeError::Trailing(left));
    }
    Ok(value)
}

/// The next value: the core's item reader (the MessagePack parser's) gives the items, with
/// notepack.io's meanings for its extension types.
fn value(r: &mut Reader<'_>, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    let item = r.next().map_err(|e| match e.kind {
        MsgpackErrorKind::NeverUsed => DecodeError::InvalidByte(0xc1),
        _ => DecodeError::Eof,
    })?;
    Ok(match item {
        // notepack's `undefined` has no `Value`: `null`, as JSON.stringify writes it in an array.
        Item::Nil | Item::Undefined => Value::Null,
        Item::Bool(b) => Value::Bool(b),
        Item::Uint(n) => Value::Number(n.into()),
        Item::Int(n) => Value::Number(n.into()),
        Item::Float(f) => float(f),
        Item::Str(raw) => {
            let s = std::str::from_utf8(raw).map_err(|_| DecodeError::Utf8)?;
            Value::String(s.to_owned())
        }
        // `bin`, and notepack's ArrayBuffer (an `ext` of type 0).
        Item::Bin(raw) => Value::Binary(Bytes::copy_from_slice(raw)),
        // A Date, as notepack.io 3 writes it (the timestamp extension) or as notepack 2 did:
        // the text the clients would get from a Node server (`toJSON`).
        Item::Ext(-1, data) => timestamp_ms(data)
            .and_then(date_text)
            .map_or(Value::Null, Value::String),
        Item::Date(ms) => date_text(ms).map_or(Value::Null, Value::String),
        Item::Ext(..) => Value::Null,
        Item::Array(n) => seq(r, n, depth)?,
        Item::Map(n) => map(r, n, depth)?,
    })
}

/// Each element takes at least one byte: a huge announced length fails at the first missing
/// element instead of reserving memory for it.
fn room(r: &Reader<'_>, bytes: usize, announced: u32) -> usize {
    let left = r.remaining() / bytes;
    usize::try_from(announced).map_or(left, |n| n.min(left))
}

fn seq(r: &mut Reader<'_>, n: u32, depth: usize) -> Result<Value, DecodeError> {
    let mut items = Vec::with_capacity(room(r, 1, n));
    for _ in 0..n {
        items.push(value(r, depth + 1)?);
    }
    Ok(Value::Array(items))
}

fn map(r: &mut Reader<'_>, n: u32, depth: usize) -> Result<Value, DecodeError> {
    // Each entry takes at least two bytes (see `room`). `Map` keeps a key index, so a map of many
    // entries is not scanned per key: decoding stays linear in the input.
    let mut entries = Map::with_capacity(room(r, 2, n));
    for _ in 0..n {
        let key = match value(r, depth + 1)? {
            Value::String(s) => s,
            other => key_text(&other),
        };
        let value = value(r, depth + 1)?;
        // A repeated key keeps its first place and takes the last value, as in JavaScript.
        entries.insert(key, value);
    }
    Ok(Value::Object(entries))
}

/// The milliseconds of a MessagePack timestamp (extension type -1: 32-bit seconds; 30-bit
/// nanoseconds and 34-bit seconds; or 32-bit nanoseconds and 64-bit seconds), as a JavaScript
/// Date keeps them. `None` for any other length.
fn timestamp_ms(data: &[u8]) -> Option<i64> {
    let (seconds, nanos) = match *data {
        [a, b, c, d] => (i64::from(u32::from_be_bytes([a, b, c, d])), 0),
        [a, b, c, d, e, f, g, h] => {
            let both = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            (i64::try_from(both & 0x3_ffff_ffff).ok()?, both >> 34)
        }
        [a, b, c, d, ref rest @ ..] => {
            let rest: [u8; 8] = rest.try_into().ok()?;
            (
                i64::from_be_bytes(rest),
                u64::from(u32::from_be_bytes([a, b, c, d])),
            )
        }
        _ => return None,
    };
    let millis = i64::try_from(nanos / 1_000_000).ok()?;
    seconds.checked_mul(1000)?.checked_add(millis)
}

/// A non-string key as JavaScript names it (`String(key)`): a map is `[object Object]` and an
/// array its items joined by commas, so a key's text never holds the escaped text of the keys
/// nested in it (which doubled at each level: exponential in the nesting).
fn key_text(key: &Value) -> String {
    match key {
        Value::Object(_) => "[object Object]".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => key_text(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn float(f: f64) -> Value {
    // JavaScript has one number type: an integral float is the integer (`2`, not `2.0`, in the
    // JSON the clients get).
    if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "integral and within ±2^53, exact in an i64"
        )]
        return Value::Number((f as i64).into());
    }
    // NaN and the infinities have no JSON form: `null`, as JSON.stringify writes them.
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}
