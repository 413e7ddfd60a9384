//! MessagePack as the Node packages write it: `notepack.io` (`@socket.io/redis-adapter`, the
//! emitter) and `@msgpack/msgpack` (`@socket.io/redis-streams-adapter`).
//!
//! Both pick the smallest integer encoding, write every non-integral number as a float 64, write
//! strings as UTF-8 `str`, and `Buffer`s as `bin`. They differ on one point: `notepack.io` leaves
//! out object keys whose value is `undefined`, `@msgpack/msgpack` writes them as `nil`. A
//! [`Value`] has no `undefined`, so the encoder here is byte-for-byte `notepack.io`'s for any
//! value both sides can hold (the tests check it against bytes `notepack.io` produced).
//!
//! The decoder accepts all of MessagePack; what a [`Value`] cannot hold becomes the closest
//! thing (`ext` types, such as `notepack.io`'s dates, become `null`; non-string map keys their
//! text). Peer input never panics: truncated or over-nested input is a [`DecodeError`].

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

/// Encodes `value` as `notepack.io` does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, value);
    out
}

/// Encodes `value` onto `out`.
pub fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Binary(b) => {
            write_len(out, b.len(), None, [0xc4, 0xc5, 0xc6]);
            out.extend_from_slice(b);
        }
        Value::Array(items) => {
            write_len(out, items.len(), Some(0x90), [0xdc, 0xdc, 0xdd]);
            for item in items {
                write(out, item);
            }
        }
        Value::Object(entries) => {
            write_len(out, entries.len(), Some(0x80), [0xde, 0xde, 0xdf]);
            for (k, v) in entries.iter() {
                write_str(out, k);
                write(out, v);
            }
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 0x20 {
        out.push(0xa0 | len as u8);
    } else {
        write_len(out, len, None, [0xd9, 0xda, 0xdb]);
    }
    out.extend_from_slice(s.as_bytes());
}

/// A length header: the fix form under 16 when `fix` is given (arrays, maps), else the 8-, 16-
/// or 32-bit form (`markers`; arrays and maps have no 8-bit form and repeat the 16-bit marker).
fn write_len(out: &mut Vec<u8>, len: usize, fix: Option<u8>, markers: [u8; 3]) {
    let [m8, m16, m32] = markers;
    match fix {
        Some(fix) if len < 0x10 => out.push(fix | len as u8),
        Some(_) if len < 0x1_0000 => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        None if len < 0x100 => {
            out.push(m8);
            out.push(len as u8);
        }
        None if len < 0x1_0000 => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(m32);
            out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        write_uint(out, u);
    } else if let Some(i) = n.as_i64() {
        write_int(out, i);
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        // JavaScript has one number type: an integral float is an integer to notepack.io.
        if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.007_199_254_740_992e15 {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "integral and within ±2^53, exact in an i64"
            )]
            let i = f as i64;
            if i >= 0 {
                write_uint(out, i.unsigned_abs());
            } else {
                write_int(out, i);
            }
        } else {
            out.push(0xcb);
            out.extend_from_slice(&f.to_be_bytes());
        }
    }
}

fn write_uint(out: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        out.push(u as u8);
    } else if u < 0x100 {
        out.extend_from_slice(&[0xcc, u as u8]);
    } else if u < 0x1_0000 {
        out.push(0xcd);
        out.extend_from_slice(&(u as u16).to_be_bytes());
    } else if u < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(u as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        write_uint(out, i.unsigned_abs());
    } else if i >= -0x20 {
        out.push(i as u8);
    } else if i >= -0x80 {
        out.extend_from_slice(&[0xd0, i as u8]);
    } else if i >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn v(j: serde_json::Value) -> Value {
        Value::from(j)
    }

    /// An object with its keys in this order (`json!` sorts them).
    fn o(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(entries.into_iter().collect())
    }

    /// `bytes` decode to `value`, and back to the same bytes: `Value`'s equality ignores key
    /// order, the bytes do not.
    fn decodes_to(bytes: &[u8], value: &Value) {
        let decoded = decode(bytes).unwrap();
        assert_eq!(&decoded, value);
        assert_eq!(encode(&decoded), bytes);
    }

    // Every expected byte string below was produced once with notepack.io 3.0.1 (the version
    // @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1 use), in the repository root:
    //   node -e 'console.log(require("notepack.io").encode(VALUE).toString("hex"))'
    // with VALUE the JavaScript value written next to each case.

    #[test]
    fn a_broadcast_is_byte_for_byte_the_node_adapter_s() {
        // ["AbC123", {type: 2, data: ["news", {a: 1, b: [true, null, 1.5, -3, 300, 70000, 2**40]},
        //   Buffer.from([1, 2, 255])], nsp: "/"}, {rooms: ["r1"], except: [], flags: {}}]
        let node = hex(
            "93a641624331323383a47479706502a46461746193a46e65777382a16101a16297c3c0cb3ff8000000\
             000000fdcd012cce00011170cf0000010000000000c4030102ffa36e7370a12f83a5726f6f6d7391a2\
             7231a665786365707490a5666c61677380",
        );
        let value = Value::Array(vec![
            Value::from("AbC123"),
            o(vec![
                ("type", v(json!(2))),
                (
                    "data",
                    Value::Array(vec![
                        Value::from("news"),
                        v(json!({"a": 1, "b": [true, null, 1.5, -3, 300, 70000, 1u64 << 40]})),
                        Value::Binary(Bytes::from_static(&[1, 2, 255])),
                    ]),
                ),
                ("nsp", Value::from("/")),
            ]),
            o(vec![
                ("rooms", v(json!(["r1"]))),
                ("except", v(json!([]))),
                ("flags", v(json!({}))),
            ]),
        ]);
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
    }

    #[test]
    fn an_ack_response_is_byte_for_byte_the_node_adapter_s() {
        // {type: 9, requestId: "xYz789", packet: "answer"}
        let node =
            hex("83a47479706509a9726571756573744964a678597a373839a67061636b6574a6616e73776572");
        let value = o(vec![
            ("type", v(json!(9))),
            ("requestId", v(json!("xYz789"))),
            ("packet", v(json!("answer"))),
        ]);
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
    }

    #[test]
    fn integers_take_notepack_s_smallest_form() {
        // [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129,
        //  -32768, -32769, -2147483648, -2147483649]
        let node = hex(
            "dc0012007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1\
             ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff",
        );
        let value = v(json!([
            0,
            127,
            128,
            255,
            256,
            65535,
            65536,
            4_294_967_295u64,
            4_294_967_296u64,
            -1,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            -2_147_483_648i64,
            -2_147_483_649i64
        ]));
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
        // An integral float is an integer to JavaScript: 2.0 is written as 2.
        assert_eq!(encode(&v(json!(2.0))), [0x02]);
    }

    #[test]
    fn floats_are_float_64() {
        // [0.5, -2.25]
        let node = hex("92cb3fe0000000000000cbc002000000000000");
        let value = v(json!([0.5, -2.25]));
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
        // notepack.io writes an integral float beyond 2^64 as a truncated uint 64 (1e300 ->
        // cf 00 00 00 00 00 00 00 00); beyond 2^53 this encoder keeps the float, which is exact.
        assert_eq!(encode(&v(json!(1e300)))[0], 0xcb);
    }

    #[test]
    fn strings_take_every_length_form() {
        // ["", "é€😀", "a".repeat(31), "b".repeat(32), "c".repeat(255), "d".repeat(256)]
        let node = [
            hex("96a0a9c3a9e282acf09f9880bf"),
            vec![b'a'; 31],
            hex("d920"),
            vec![b'b'; 32],
            hex("d9ff"),
            vec![b'c'; 255],
            hex("da0100"),
            vec![b'd'; 256],
        ]
        .concat();
        let value = v(json!([
            "",
            "é€😀",
            "a".repeat(31),
            "b".repeat(32),
            "c".repeat(255),
            "d".repeat(256)
        ]));
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
    }

    #[test]
    fn arrays_maps_and_binaries_take_their_16_bit_forms() {
        // {arr16: new Array(16).fill(0), map: {k0: 0, ..., k15: 15}, bin: Buffer.alloc(300, 7)}
        let mut map = String::new();
        for i in 0..16 {
            let key = format!("k{i}");
            map.push_str(&format!("{:02x}", 0xa0 + key.len()));
            map.extend(key.bytes().map(|b| format!("{b:02x}")));
            map.push_str(&format!("{i:02x}"));
        }
        let node = [
            hex("83a56172723136dc0010"),
            vec![0; 16],
            hex("a36d6170de0010"),
            hex(&map),
            hex("a362696ec5012c"),
            vec![7; 300],
        ]
        .concat();
        let value = o(vec![
            ("arr16", v(json!(vec![0; 16]))),
            (
                "map",
                Value::Object((0..16).map(|i| (format!("k{i}"), v(json!(i)))).collect()),
            ),
            ("bin", Value::Binary(Bytes::from(vec![7u8; 300]))),
        ]);
        assert_eq!(encode(&value), node);
        decodes_to(&node, &value);
    }

    /// Decoding is linear in the input: a 90,000-entry map (about 1 MB, as a wide event argument
    /// from another node would be) decodes in milliseconds; a decoder that scanned the entries
    /// for each new key would take minutes. The bound is for a debug build on a busy machine.
    #[test]
    fn a_wide_map_decodes_in_linear_time() {
        let value = Value::Object(
            (0..90_000u32)
                .map(|i| (format!("key{i}"), Value::from(i)))
                .collect(),
        );
        let bytes = encode(&value);
        assert!(bytes.len() > 900_000);
        let start = std::time::Instant::now();
        let decoded = decode(&bytes).unwrap();
        let took = start.elapsed();
        assert_eq!(decoded, value);
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        assert_eq!(decode(&[0xc1]), Err(DecodeError::InvalidByte(0xc1)));
        assert_eq!(decode(&[0x93, 0xa1]), Err(DecodeError::Eof));
        assert_eq!(
            decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::Eof)
        );
        assert_eq!(decode(&[0xa2, 0xff, 0xfe]), Err(DecodeError::Utf8));
        assert_eq!(decode(&[0x01, 0x02]), Err(DecodeError::Trailing(1)));
        assert_eq!(decode(&[]), Err(DecodeError::Eof));
        assert_eq!(decode(&vec![0x91; 100_000]), Err(DecodeError::TooDeep));
        // Every prefix of a valid message fails cleanly.
        let whole = encode(&v(json!({"a": [1, "x", {"b": null}], "c": 1.5})));
        for end in 0..whole.len() {
            assert!(decode(&whole[..end]).is_err());
        }
        // Extensions (notepack.io's dates) become null; other keys become their text.
        assert_eq!(decode(&hex("d6ff00000000")).unwrap(), Value::Null);
        assert_eq!(decode(&hex("810102")).unwrap(), v(json!({"1": 2})));
    }
}
