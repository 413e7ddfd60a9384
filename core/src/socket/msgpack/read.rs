//! Reading MessagePack: one item at a time ([`Reader`]), and a value as JSON text ([`to_json`]).

use alloc::string::String;
use alloc::vec::Vec;
#[cfg(any(test, not(all(feature = "js", target_arch = "wasm32"))))]
use core::fmt::Write as _;

use super::{MsgpackError, MsgpackErrorKind};
use crate::json::{self, Kind, Placeholder};
use crate::socket::decode_error::DecodeError;
use crate::socket::decode_error::Limits;
use crate::text::push_decimal;

/// One MessagePack item: a scalar, or a container's header (its elements follow), with
/// notepack.io's meanings for the extension types it writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item<'a> {
    /// `nil`.
    Nil,
    /// notepack's `undefined`: fixext 1 of type 0.
    Undefined,
    /// `true` or `false`.
    Bool(bool),
    /// An unsigned integer (the `uint` family and positive fixints).
    Uint(u64),
    /// A signed integer (the `int` family and negative fixints), possibly non-negative.
    Int(i64),
    /// A float 32 (widened) or float 64.
    Float(f64),
    /// The bytes of a `str`, not checked for UTF-8.
    Str(&'a [u8]),
    /// A `bin`, or notepack's ArrayBuffer (an `ext 8/16/32` of type 0, what a browser sends).
    Bin(&'a [u8]),
    /// notepack's Date: fixext 8 of type 0, milliseconds since the epoch.
    Date(i64),
    /// Any other extension type, with its data.
    Ext(i8, &'a [u8]),
    /// An array's header: this many values follow.
    Array(u32),
    /// A map's header: this many key-value pairs follow.
    Map(u32),
}

/// A cursor over one MessagePack message, an item at a time. Reading costs time linear in the
/// bytes read, and nothing is allocated: a container's header says how many items follow, and
/// the caller reads them (or [`Reader::skip_contents`]).
#[derive(Debug)]
pub struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    /// Where the next item starts.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// How many bytes are left to read: a bound on the items that can follow (each takes at
    /// least one byte), for a caller that reserves room for a container's items.
    pub fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }

    /// Whether every byte has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn error(&self, kind: MsgpackErrorKind) -> MsgpackError {
        MsgpackError {
            offset: self.pos,
            kind,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MsgpackError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(self.error(MsgpackErrorKind::UnexpectedEnd))?;
        let bytes = self
            .b
            .get(self.pos..end)
            .ok_or(self.error(MsgpackErrorKind::UnexpectedEnd))?;
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MsgpackError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, MsgpackError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, MsgpackError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, MsgpackError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn len(&mut self, width: u8) -> Result<usize, MsgpackError> {
        Ok(match width {
            1 => usize::from(self.u8()?),
            2 => usize::from(self.u16()?),
            // usize is at least 32 bits on every target this crate builds for.
            _ => usize::try_from(self.u32()?).unwrap_or(usize::MAX),
        })
    }

    /// An `ext` with this data length: notepack's ArrayBuffer for type 0, else a plain extension.
    fn ext(&mut self, len: usize) -> Result<Item<'a>, MsgpackError> {
        let ty = i8::from_be_bytes(self.array()?);
        let data = self.take(len)?;
        Ok(if ty == 0 {
            Item::Bin(data)
        } else {
            Item::Ext(ty, data)
        })
    }

    /// A fixext of `len` bytes: notepack gives type 0 a meaning in two sizes.
    fn fixext(&mut self, len: usize) -> Result<Item<'a>, MsgpackError> {
        let ty = i8::from_be_bytes(self.array()?);
        let data = self.take(len)?;
        Ok(match (ty, data) {
            (0, [_]) => Item::Undefined,
            (0, &[a, b, c, d, e, f, g, h]) => {
                Item::Date(i64::from_be_bytes([a, b, c, d, e, f, g, h]))
            }
            _ => Item::Ext(ty, data),
        })
    }

    /// The next item; an error when the bytes end inside it or it starts with `0xc1`.
    #[allow(
        clippy::should_implement_trait,
        reason = "fallible, and no Iterator is wanted"
    )]
    pub fn next(&mut self) -> Result<Item<'a>, MsgpackError> {
        let at = self.pos;
        let prefix = self.u8()?;
        Ok(match prefix {
            0x00..=0x7f => Item::Uint(u64::from(prefix)),
            0x80..=0x8f => Item::Map(u32::from(prefix & 0x0f)),
            0x90..=0x9f => Item::Array(u32::from(prefix & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(prefix & 0x1f))?),
            0xc0 => Item::Nil,
            0xc1 => {
                return Err(MsgpackError {
                    offset: at,
                    kind: MsgpackErrorKind::NeverUsed,
                });
            }
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4..=0xc6 => {
                let n = self.len(1 << (prefix - 0xc4))?;
                Item::Bin(self.take(n)?)
            }
            0xc7..=0xc9 => {
                let n = self.len(1 << (prefix - 0xc7))?;
                self.ext(n)?
            }
            0xca => Item::Float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Item::Float(f64::from_be_bytes(self.array()?)),
            0xcc => Item::Uint(u64::from(self.u8()?)),
            0xcd => Item::Uint(u64::from(self.u16()?)),
            0xce => Item::Uint(u64::from(self.u32()?)),
            0xcf => Item::Uint(u64::from_be_bytes(self.array()?)),
            0xd0 => Item::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Item::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Item::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Item::Int(i64::from_be_bytes(self.array()?)),
            0xd4..=0xd8 => self.fixext(1 << (prefix - 0xd4))?,
            0xd9..=0xdb => {
                let n = self.len(1 << (prefix - 0xd9))?;
                Item::Str(self.take(n)?)
            }
            0xdc => Item::Array(u32::from(self.u16()?)),
            0xdd => Item::Array(self.u32()?),
            0xde => Item::Map(u32::from(self.u16()?)),
            0xdf => Item::Map(self.u32()?),
            0xe0..=0xff => Item::Int(i64::from(i8::from_be_bytes([prefix]))),
        })
    }

    /// Reads past one value, containers included, without looking at it.
    pub(super) fn skip_value(&mut self) -> Result<(), MsgpackError> {
        let item = self.next()?;
        self.skip_contents(item)
    }

    /// Reads past what follows `item` when it is a container's header (nothing otherwise): a
    /// counter, not a stack, so any nesting costs nothing.
    pub fn skip_contents(&mut self, item: Item<'_>) -> Result<(), MsgpackError> {
        let mut pending = count(item);
        while pending > 0 {
            pending -= 1;
            pending += count(self.next()?);
        }
        Ok(())
    }
}

/// The items a container's header announces.
fn count(item: Item<'_>) -> u64 {
    match item {
        Item::Array(n) => u64::from(n),
        Item::Map(n) => 2 * u64::from(n),
        _ => 0,
    }
}

/// A value read as JSON text by [`to_json`].
#[derive(Debug)]
pub(super) struct Json {
    pub(super) text: String,
    pub(super) kind: Kind,
    /// How deep the text nests (`[]` is 1, a placeholder counts as an object).
    pub(super) depth: usize,
    pub(super) attachments: Vec<Vec<u8>>,
    pub(super) placeholders: Vec<Placeholder>,
}

/// One open array or map of [`to_json`].
struct Frame {
    map: bool,
    /// Items still to read: elements, or keys and values.
    remaining: u64,
    /// Nothing written inside yet (no comma before the next member).
    first: bool,
    /// Where the current member's key began (before its comma), and `first` before it: a map value
    /// that is `undefined` takes its key back out, as `JSON.stringify` leaves such a member out.
    member_mark: (usize, bool),
}

/// Reads the next value as JSON text, the way a JavaScript peer's `JSON.stringify` would write what
/// notepack decoded: binaries become placeholders (and attachments), see the module docs for the
/// rest. `Ok(None)` for `undefined`.
pub(super) fn to_json(r: &mut Reader<'_>, limits: &Limits) -> Result<Option<Json>, DecodeError> {
    let mut out = Json {
        text: String::new(),
        kind: Kind::Null,
        depth: 0,
        attachments: Vec::new(),
        placeholders: Vec::new(),
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut attachment_bytes: usize = 0;
    let mut root = true;
    loop {
        // Close what is complete; stop once the root is.
        while let Some(frame) = stack.last() {
            if frame.remaining > 0 {
                break;
            }
            out.text.push(if frame.map { '}' } else { ']' });
            stack.pop();
        }
        let key_next = match stack.last_mut() {
            None if !root => return Ok(Some(out)),
            None => false,
            Some(frame) => {
                let key = frame.map && frame.remaining % 2 == 0;
                frame.remaining -= 1;
                if key {
                    frame.member_mark = (out.text.len(), frame.first);
                }
                if key || !frame.map {
                    if !frame.first {
                        out.text.push(',');
                    }
                    frame.first = false;
                }
                key
            }
        };
        let at = r.pos();
        let item = r.next().map_err(DecodeError::InvalidMsgpack)?;
        if key_next {
            write_key(&mut out.text, item)
                .map_err(|kind| DecodeError::InvalidMsgpack(MsgpackError { offset: at, kind }))?;
            continue;
        }
        let depth = stack.len();
        let kind = match item {
            Item::Nil => {
                out.text.push_str("null");
                Kind::Null
            }
            Item::Undefined => match stack.last_mut() {
                None => return Ok(None),
                Some(frame) if frame.map => {
                    out.text.truncate(frame.member_mark.0);
                    frame.first = frame.member_mark.1;
                    Kind::Null
                }
                Some(_) => {
                    out.text.push_str("null");
                    Kind::Null
                }
            },
            Item::Bool(b) => {
                out.text.push_str(if b { "true" } else { "false" });
                Kind::Bool
            }
            Item::Uint(n) => {
                push_decimal(&mut out.text, n);
                Kind::Number
            }
            Item::Int(n) => {
                if n < 0 {
                    out.text.push('-');
                }
                push_decimal(&mut out.text, n.unsigned_abs());
                Kind::Number
            }
            Item::Float(f) => {
                push_js_number(&mut out.text, f);
                if f.is_finite() {
                    Kind::Number
                } else {
                    Kind::Null
                }
            }
            Item::Str(bytes) => {
                json::write_string(&mut out.text, &String::from_utf8_lossy(bytes));
                Kind::String
            }
            Item::Date(ms) => {
                push_date(&mut out.text, ms);
                if out.text.ends_with('"') {
                    Kind::String
                } else {
                    Kind::Null
                }
            }
            Item::Bin(bytes) => {
                check_depth(depth + 1, limits, at)?;
                out.depth = out.depth.max(depth + 1);
                attach(&mut out, bytes, &mut attachment_bytes, limits)?;
                Kind::Object
            }
            Item::Ext(ty, bytes) => {
                // notepack gives a JavaScript peer `[type, Buffer]`.
                check_depth(depth + 2, limits, at)?;
                out.depth = out.depth.max(depth + 2);
                out.text.push('[');
                if ty < 0 {
                    out.text.push('-');
                }
                push_decimal(&mut out.text, u64::from(ty.unsigned_abs()));
                out.text.push(',');
                attach(&mut out, bytes, &mut attachment_bytes, limits)?;
                out.text.push(']');
                Kind::Array
            }
            Item::Array(n) | Item::Map(n) => {
                let map = matches!(item, Item::Map(_));
                check_depth(depth + 1, limits, at)?;
                out.depth = out.depth.max(depth + 1);
                out.text.push(if map { '{' } else { '[' });
                stack.push(Frame {
                    map,
                    remaining: if map { 2 * u64::from(n) } else { u64::from(n) },
                    first: true,
                    member_mark: (0, true),
                });
                if map { Kind::Object } else { Kind::Array }
            }
        };
        if root {
            out.kind = kind;
            root = false;
        }
    }
}

fn check_depth(depth: usize, limits: &Limits, at: usize) -> Result<(), DecodeError> {
    if depth > limits.max_depth {
        return Err(DecodeError::InvalidMsgpack(MsgpackError {
            offset: at,
            kind: MsgpackErrorKind::TooDeep,
        }));
    }
    Ok(())
}

/// A binary becomes the next attachment, and its placeholder stands in the text.
fn attach(
    out: &mut Json,
    bytes: &[u8],
    total: &mut usize,
    limits: &Limits,
) -> Result<(), DecodeError> {
    if out.attachments.len() >= limits.max_attachments {
        return Err(DecodeError::InvalidAttachments);
    }
    *total = total.saturating_add(bytes.len());
    if *total > limits.max_attachment_bytes {
        return Err(DecodeError::AttachmentsTooLarge);
    }
    let num = out.attachments.len();
    let start = out.text.len();
    out.text.push_str("{\"_placeholder\":true,\"num\":");
    push_decimal(&mut out.text, num as u64);
    out.text.push('}');
    out.placeholders.push(Placeholder {
        start,
        end: out.text.len(),
        num: num as u64,
    });
    out.attachments.push(Vec::from(bytes));
    Ok(())
}

/// A map key as a JSON member name and its `:`. JavaScript turns any key into a property name;
/// strings, integers, `nil` and booleans are taken as it names them, anything else is refused.
fn write_key(out: &mut String, item: Item<'_>) -> Result<(), MsgpackErrorKind> {
    match item {
        Item::Str(bytes) => json::write_string(out, &String::from_utf8_lossy(bytes)),
        Item::Uint(n) => {
            out.push('"');
            push_decimal(out, n);
            out.push('"');
        }
        Item::Int(n) => {
            out.push('"');
            if n < 0 {
                out.push('-');
            }
            push_decimal(out, n.unsigned_abs());
            out.push('"');
        }
        Item::Nil => out.push_str("\"null\""),
        Item::Bool(b) => out.push_str(if b { "\"true\"" } else { "\"false\"" }),
        _ => return Err(MsgpackErrorKind::InvalidKey),
    }
    out.push(':');
    Ok(())
}

/// A float as JavaScript's `JSON.stringify` writes it: the shortest text that reads back the same
/// double, in exponent form below 1e-6 and from 1e21 on (`1e+21`), `0` for -0, and `null` for NaN
/// and the infinities, which JSON cannot hold.
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
fn push_js_number(out: &mut String, f: f64) {
    push_js_number_impl(out, f);
}

/// [`push_js_number`] with the `js` feature on wasm32 (the browser client's build): by
/// `JSON.stringify` itself, so that the module goes without core's float formatting (and the
/// `core::fmt` it runs through).
#[cfg(all(feature = "js", target_arch = "wasm32"))]
fn push_js_number(out: &mut String, f: f64) {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `JSON.stringify` of a number: always a string.
        #[wasm_bindgen(js_namespace = JSON, js_name = stringify)]
        fn stringify_number(f: f64) -> String;
    }
    out.push_str(&stringify_number(f));
}

/// [`push_js_number`], for the property tests that write text in the decoder's form.
#[cfg(test)]
pub(super) fn push_js_number_for_tests(out: &mut String, f: f64) {
    push_js_number_impl(out, f);
}

#[cfg(any(test, not(all(feature = "js", target_arch = "wasm32"))))]
fn push_js_number_impl(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    let abs = f.abs();
    // `String`'s `write_fmt` cannot fail.
    if (1e-6..1e21).contains(&abs) {
        let _ = write!(out, "{f}");
    } else {
        let start = out.len();
        let _ = write!(out, "{f:e}");
        if let Some(e) = out.get(start..).and_then(|s| s.find('e'))
            && out.as_bytes().get(start + e + 1) != Some(&b'-')
        {
            out.insert(start + e + 1, '+');
        }
    }
}

/// The text of a notepack Date ([`Item::Date`], milliseconds since the epoch) as
/// `Date.prototype.toJSON` writes it (`1970-01-01T00:00:00.000Z`), `None` past the range a Date
/// holds, where JavaScript gives `null`.
pub fn date_text(ms: i64) -> Option<String> {
    let mut out = String::new();
    push_date(&mut out, ms);
    let text = out.strip_prefix('"')?.strip_suffix('"')?;
    Some(String::from(text))
}

/// A Date (milliseconds since the epoch) as `Date.prototype.toJSON` writes it:
/// `"1970-01-01T00:00:00.000Z"`, a six-digit signed year outside 0..=9999, `null` past the range
/// a Date holds (8.64e15 ms either side of the epoch).
fn push_date(out: &mut String, ms: i64) {
    const DAY: i64 = 86_400_000;
    if ms.unsigned_abs() > 8_640_000_000_000_000 {
        out.push_str("null");
        return;
    }
    let days = ms.div_euclid(DAY);
    let in_day = ms.rem_euclid(DAY);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    out.push('"');
    if (0..=9999).contains(&year) {
        push_padded(out, year.unsigned_abs(), 4);
    } else {
        out.push(if year < 0 { '-' } else { '+' });
        push_padded(out, year.unsigned_abs(), 6);
    }
    for (sep, value, width) in [
        ('-', month, 2),
        ('-', day, 2),
        ('T', in_day / 3_600_000, 2),
        (':', in_day / 60_000 % 60, 2),
        (':', in_day / 1000 % 60, 2),
        ('.', in_day % 1000, 3),
    ] {
        out.push(sep);
        push_padded(out, value.unsigned_abs(), width);
    }
    out.push_str("Z\"");
}

fn push_padded(out: &mut String, v: u64, width: usize) {
    let len = crate::text::decimal_len(v);
    for _ in len..width {
        out.push('0');
    }
    push_decimal(out, v);
}
