//! The decoder: all of MessagePack, linear in its input, with bounded nesting.

use bytes::Bytes;
use serde_json::Number;
use sockeye_server::Value;
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
    let mut reader = Reader { bytes, pos: 0 };
    let value = reader.value(0)?;
    let left = bytes.len().saturating_sub(reader.pos);
    if left > 0 {
        return Err(DecodeError::Trailing(left));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Eof)?;
        let slice = self.bytes.get(self.pos..end).ok_or(DecodeError::Eof)?;
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(u32::from_be_bytes(self.array()?)).map_err(|_| DecodeError::Eof)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        let b = self.u8()?;
        Ok(match b {
            0x00..=0x7f => Value::Number(u64::from(b).into()),
            0x80..=0x8f => self.map(usize::from(b & 0x0f), depth)?,
            0x90..=0x9f => self.seq(usize::from(b & 0x0f), depth)?,
            0xa0..=0xbf => self.str(usize::from(b & 0x1f))?,
            0xc0 => Value::Null,
            0xc1 => return Err(DecodeError::InvalidByte(b)),
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4 => {
                let n = usize::from(self.u8()?);
                self.bin(n)?
            }
            0xc5 => {
                let n = self.u16()?;
                self.bin(n)?
            }
            0xc6 => {
                let n = self.u32()?;
                self.bin(n)?
            }
            0xc7 => {
                let n = usize::from(self.u8()?);
                self.ext(n)?
            }
            0xc8 => {
                let n = self.u16()?;
                self.ext(n)?
            }
            0xc9 => {
                let n = self.u32()?;
                self.ext(n)?
            }
            0xca => float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => float(f64::from_be_bytes(self.array()?)),
            0xcc => Value::Number(u64::from(self.u8()?).into()),
            0xcd => Value::Number(u64::from(u16::from_be_bytes(self.array()?)).into()),
            0xce => Value::Number(u64::from(u32::from_be_bytes(self.array()?)).into()),
            0xcf => Value::Number(u64::from_be_bytes(self.array()?).into()),
            0xd0 => Value::Number(i64::from(i8::from_be_bytes(self.array()?)).into()),
            0xd1 => Value::Number(i64::from(i16::from_be_bytes(self.array()?)).into()),
            0xd2 => Value::Number(i64::from(i32::from_be_bytes(self.array()?)).into()),
            0xd3 => Value::Number(i64::from_be_bytes(self.array()?).into()),
            0xd4 => self.ext(1)?,
            0xd5 => self.ext(2)?,
            0xd6 => self.ext(4)?,
            0xd7 => self.ext(8)?,
            0xd8 => self.ext(16)?,
            0xd9 => {
                let n = usize::from(self.u8()?);
                self.str(n)?
            }
            0xda => {
                let n = self.u16()?;
                self.str(n)?
            }
            0xdb => {
                let n = self.u32()?;
                self.str(n)?
            }
            0xdc => {
                let n = self.u16()?;
                self.seq(n, depth)?
            }
            0xdd => {
                let n = self.u32()?;
                self.seq(n, depth)?
            }
            0xde => {
                let n = self.u16()?;
                self.map(n, depth)?
            }
            0xdf => {
                let n = self.u32()?;
                self.map(n, depth)?
            }
            0xe0..=0xff => Value::Number(i64::from(b as i8).into()),
        })
    }

    fn str(&mut self, n: usize) -> Result<Value, DecodeError> {
        let raw = self.take(n)?;
        let s = std::str::from_utf8(raw).map_err(|_| DecodeError::Utf8)?;
        Ok(Value::String(s.to_owned()))
    }

    fn bin(&mut self, n: usize) -> Result<Value, DecodeError> {
        Ok(Value::Binary(Bytes::copy_from_slice(self.take(n)?)))
    }

    /// An extension value (its type byte, then `n` bytes): skipped, `null` in its place.
    fn ext(&mut self, n: usize) -> Result<Value, DecodeError> {
        self.take(n.saturating_add(1))?;
        Ok(Value::Null)
    }

    fn seq(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        // Each element takes at least one byte: a huge announced length fails at the first
        // missing element instead of reserving memory for it.
        let mut items = Vec::with_capacity(n.min(self.bytes.len().saturating_sub(self.pos)));
        for _ in 0..n {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        // Each entry takes at least two bytes (see `seq`). `Map` keeps a key index, so a map of
        // many entries is not scanned per key: decoding stays linear in the input.
        let mut entries = Map::with_capacity(n.min(self.bytes.len().saturating_sub(self.pos) / 2));
        for _ in 0..n {
            let key = match self.value(depth + 1)? {
                Value::String(s) => s,
                other => key_text(&other),
            };
            let value = self.value(depth + 1)?;
            // A repeated key keeps its first place and takes the last value, as in JavaScript.
            entries.insert(key, value);
        }
        Ok(Value::Object(entries))
    }
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
