//! A small JSON scanner: validation and a few look-ups on JSON text, without building a tree.
//!
//! The core owns framing, not the JSON data model (see the crate docs). It still has to check what the
//! protocol requires: that a payload is well-formed JSON of bounded depth, that an EVENT is a
//! non-empty array whose first element is a string, that a CONNECT payload is an object, where the
//! binary placeholders point. This module does exactly that, in one pass, with no allocation except
//! when a string has escapes.
//!
//! # What [`scan`] accepts
//!
//! RFC 8259 exactly: one value with optional whitespace (space, tab, LF, CR) around it; numbers by
//! the grammar (no leading zeros, no `+`, no `.5`, no `NaN`); strings with every escape including
//! `\uXXXX`; no raw control character below U+0020 inside a string. One deliberate difference from
//! JavaScript's `JSON.parse`: an unpaired surrogate escape (`"\ud800"`) is rejected
//! ([`JsonErrorKind::InvalidEscape`]), because such a string cannot become a Rust `String`, and a
//! Rust peer could not read what a JavaScript peer accepted. `JSON.stringify` never produces one
//! (it escapes lone surrogates as text, but only a JS string can hold one in the first place).
//!
//! # Binary placeholders
//!
//! A BINARY_EVENT/BINARY_ACK carries its attachments out of band; the JSON points at them with
//! `{"_placeholder":true,"num":n}`. [`scan`] counts these in the same pass so the codec can check
//! that every `num` is below the announced attachment count. The rule, applied to every object at
//! any depth (see [`placeholder_num`], which applies it to one value):
//!
//! - its `_placeholder` member is `true` (the reference tests `data._placeholder === true`), and
//! - it has no member other than `_placeholder` and `num`.
//!
//! Then its number is `num` if that is a plain non-negative integer token fitting `u64`, and
//! `u64::MAX` otherwise (absent, a string, negative, fractional, `1e0`, ...). The reference throws
//! "illegal attachments" for a non-number or out-of-range `num`, so `u64::MAX`, which is never below
//! an attachment count, makes the codec reject exactly those packets. Keys are compared after
//! unescaping and a repeated key counts by its last occurrence, as `JSON.parse` reads them.
//!
//! Two choices differ from the reference's tree walk, and every data model in this project uses the
//! same rule so both ends agree: an object with an extra key is ordinary data here (the reference
//! would substitute the buffer), and a `num` such as `1.0`, `1e0` or `-0` is rejected (the reference
//! would read it as a number; no sender writes one).

use crate::text::{ErrorText, display_by_text, push_decimal};
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// The nesting depth the core accepts by default (arrays and objects inside each other).
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// `-1.5e3`
    Number,
    /// `true` / `false`
    Bool,
    /// `null`
    Null,
}

/// What one validating pass learned about a JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scan {
    /// The kind of the top-level value.
    pub kind: Kind,
    /// How many binary placeholders (`{"_placeholder":true,"num":n}`) the text contains.
    pub placeholders: usize,
    /// The largest `num` among them; `u64::MAX` when one of them has no valid `num` (see the module
    /// docs), so a check `max < attachments` rejects it.
    pub max_placeholder_num: Option<u64>,
    /// How deep arrays and objects nest (0 for a scalar, 1 for `[]`).
    pub depth: usize,
}

/// Where a binary placeholder object stands in a JSON text: its bytes `start..end` (from `{` to
/// after `}`) and the attachment it names (`u64::MAX` when its `num` is not valid; see the module
/// docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// The offset of the object's `{`.
    pub start: usize,
    /// The offset just after its `}`.
    pub end: usize,
    /// The attachment's number.
    pub num: u64,
}

/// Where and why a JSON text is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What the problem is.
    pub kind: JsonErrorKind,
}

/// The kinds of [`JsonError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The text ended inside a value.
    UnexpectedEnd,
    /// A character that cannot stand here.
    UnexpectedChar,
    /// Arrays/objects nested deeper than allowed.
    TooDeep,
    /// A bad escape sequence or an unpaired surrogate in a string.
    InvalidEscape,
    /// A control character inside a string.
    ControlCharacter,
    /// Something follows the value.
    TrailingCharacters,
    /// A number that does not follow the JSON grammar.
    InvalidNumber,
}

impl ErrorText for JsonError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self.kind {
            JsonErrorKind::UnexpectedEnd => "unexpected end of JSON",
            JsonErrorKind::UnexpectedChar => "unexpected character in JSON",
            JsonErrorKind::TooDeep => "JSON nested too deeply",
            JsonErrorKind::InvalidEscape => "invalid escape in JSON string",
            JsonErrorKind::ControlCharacter => "control character in JSON string",
            JsonErrorKind::TrailingCharacters => "trailing characters after JSON value",
            JsonErrorKind::InvalidNumber => "invalid JSON number",
        });
        out.push_str(" at byte ");
        push_decimal(out, self.offset as u64);
    }
}

display_by_text!(JsonError);

impl core::error::Error for JsonError {}

fn error(offset: usize, kind: JsonErrorKind) -> JsonError {
    JsonError { offset, kind }
}

// ---------------------------------------------------------------------------------------------
// Byte-level helpers shared by the scanner and the look-ups.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in every byte of `v` that is `"`, `\` or below 0x20 (SWAR: the
/// classic "has zero byte" and "has byte less than n" tests). Borrows only run upwards, so the
/// lowest set bit is exact: it marks the first such byte in little-endian order. Lets string
/// scanning skip plain text 8 bytes at a time without decoding UTF-8, since every byte of a
/// multi-byte character is >= 0x80.
#[inline]
fn special_mask(v: u64) -> u64 {
    let quote = v ^ (ONES * u64::from(b'"'));
    let backslash = v ^ (ONES * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let control = v.wrapping_sub(ONES * 0x20) & !v;
    (zero_quote | zero_backslash | control) & HIGHS
}

#[inline]
fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// The index of the first `"`, `\` or control byte at or after `i`, or `b.len()`.
#[inline]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let mask = special_mask(u64::from_le_bytes(chunk));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i).is_some_and(|&c| !is_special(c)) {
        i += 1;
    }
    i
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

fn hex_digit(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'a'..=b'f' => Some(u32::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(c - b'A' + 10)),
        _ => None,
    }
}

/// The four hex digits at `b[i..i + 4]`. `esc` is the offset of the escape's backslash, which
/// errors point at.
fn hex4(b: &[u8], i: usize, esc: usize) -> Result<u32, JsonError> {
    let mut v = 0;
    for j in i..i + 4 {
        let Some(&c) = b.get(j) else {
            return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
        };
        let Some(d) = hex_digit(c) else {
            return Err(error(esc, JsonErrorKind::InvalidEscape));
        };
        v = v * 16 + d;
    }
    Ok(v)
}

/// Decodes the escape whose backslash is at `b[i]`: the character and the index after it.
/// A high surrogate must be followed by an escaped low surrogate; anything else is an error at `i`.
pub(crate) fn decode_escape(b: &[u8], i: usize) -> Result<(char, usize), JsonError> {
    let Some(&c) = b.get(i + 1) else {
        return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
    };
    let simple = match c {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, i + 2, i)?;
            let (cp, next) = match hi {
                0xD800..=0xDBFF => {
                    match (b.get(i + 6), b.get(i + 7)) {
                        (Some(b'\\'), Some(b'u')) => {}
                        (None, _) | (Some(b'\\'), None) => {
                            return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
                        }
                        _ => return Err(error(i, JsonErrorKind::InvalidEscape)),
                    }
                    let lo = hex4(b, i + 8, i)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return Err(error(i, JsonErrorKind::InvalidEscape));
                    }
                    (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 12)
                }
                _ => (hi, i + 6),
            };
            // A lone low surrogate is the only value left that is not a char.
            let Some(ch) = char::from_u32(cp) else {
                return Err(error(i, JsonErrorKind::InvalidEscape));
            };
            return Ok((ch, next));
        }
        _ => return Err(error(i, JsonErrorKind::InvalidEscape)),
    };
    Ok((simple, i + 2))
}

/// Whether the inside of a JSON string (between the quotes) equals `target` once unescaped,
/// without allocating. Malformed escapes compare unequal.
fn unescaped_eq(inner: &[u8], target: &[u8]) -> bool {
    let (mut i, mut t) = (0, 0);
    while let Some(&c) = inner.get(i) {
        if c == b'\\' {
            let Ok((ch, next)) = decode_escape(inner, i) else {
                return false;
            };
            let mut buf = [0; 4];
            let enc = ch.encode_utf8(&mut buf).as_bytes();
            if target.get(t..t + enc.len()) != Some(enc) {
                return false;
            }
            t += enc.len();
            i = next;
        } else {
            if target.get(t) != Some(&c) {
                return false;
            }
            t += 1;
            i += 1;
        }
    }
    t == target.len()
}

/// Whether a raw string token (with its quotes) names `key` once unescaped.
fn raw_key_is(raw: &str, key: &str) -> bool {
    let b = raw.as_bytes();
    let inner = b.get(1..b.len().saturating_sub(1)).unwrap_or_default();
    if inner.contains(&b'\\') {
        unescaped_eq(inner, key.as_bytes())
    } else {
        inner == key.as_bytes()
    }
}

fn parse_u64_bytes(b: &[u8]) -> Option<u64> {
    match b {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] => b.iter().try_fold(0u64, |n, &c| {
            let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
            n.checked_mul(10)?.checked_add(u64::from(d))
        }),
        _ => None,
    }
}

/// One or more digits at `b[i]`: the index after the last one.
#[inline]
fn digits(b: &[u8], mut i: usize) -> Result<usize, JsonError> {
    match b.get(i) {
        Some(c) if c.is_ascii_digit() => {}
        Some(_) => return Err(error(i, JsonErrorKind::InvalidNumber)),
        None => return Err(error(b.len(), JsonErrorKind::UnexpectedEnd)),
    }
    i += 1;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    Ok(i)
}

// ---------------------------------------------------------------------------------------------
// The validating scanner.

/// What the last `num` member of an object held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumState {
    Absent,
    Valid,
    Invalid,
}

/// Which placeholder key the member being read has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    Other,
}

/// One open array or object. Objects also track whether they are a placeholder so far.
#[derive(Clone, Copy, Debug)]
struct Frame {
    num: u64,
    /// Where the container's opening bracket is.
    start: usize,
    object: bool,
    /// The object has a key other than `_placeholder` and `num`: never a placeholder.
    extra_key: bool,
    /// The last `_placeholder` member was `true`.
    placeholder: bool,
    num_state: NumState,
    key: Key,
}

impl Frame {
    const fn new(object: bool, start: usize) -> Frame {
        Frame {
            num: 0,
            start,
            object,
            extra_key: !object,
            placeholder: false,
            num_state: NumState::Absent,
            key: Key::Other,
        }
    }

    /// Records the value of the member whose key was read last.
    #[inline]
    fn member(&mut self, value: Value, b: &[u8]) {
        if self.extra_key {
            return;
        }
        match self.key {
            Key::Placeholder => self.placeholder = value == Value::True,
            Key::Num => {
                let num = match value {
                    Value::Number(start, end) => b.get(start..end).and_then(parse_u64_bytes),
                    _ => None,
                };
                (self.num_state, self.num) = match num {
                    Some(n) => (NumState::Valid, n),
                    None => (NumState::Invalid, 0),
                };
            }
            Key::Other => {}
        }
    }

    /// The placeholder number of a finished object, if it is one.
    fn placeholder_num(&self) -> Option<u64> {
        (self.object && !self.extra_key && self.placeholder).then_some(
            if self.num_state == NumState::Valid {
                self.num
            } else {
                u64::MAX
            },
        )
    }
}

/// Frames kept inline up to the default depth: the common case never allocates.
const INLINE_FRAMES: usize = DEFAULT_MAX_DEPTH;

/// The open containers. Beyond [`INLINE_FRAMES`] levels (only when the caller allows more than the
/// default depth) the rest spill into a `Vec` that never holds more than `max_depth` frames.
struct Stack {
    inline: [Frame; INLINE_FRAMES],
    spill: Vec<Frame>,
    len: usize,
}

impl Stack {
    fn new() -> Stack {
        Stack {
            inline: [Frame::new(false, 0); INLINE_FRAMES],
            spill: Vec::new(),
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, frame: Frame) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = frame,
            None => self.spill.push(frame),
        }
        self.len += 1;
    }

    #[inline]
    fn top(&mut self) -> Option<&mut Frame> {
        let i = self.len.checked_sub(1)?;
        if i < INLINE_FRAMES {
            self.inline.get_mut(i)
        } else {
            self.spill.last_mut()
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Frame> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        if i < INLINE_FRAMES {
            self.inline.get(i).copied()
        } else {
            self.spill.pop()
        }
    }
}

/// A value the scanner has just finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Object,
    Array,
    String,
    /// The token's byte range, read only when it is a `num` member.
    Number(usize, usize),
    True,
    False,
    Null,
}

impl Value {
    fn kind(self) -> Kind {
        match self {
            Value::Object => Kind::Object,
            Value::Array => Kind::Array,
            Value::String => Kind::String,
            Value::Number(..) => Kind::Number,
            Value::True | Value::False => Kind::Bool,
            Value::Null => Kind::Null,
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
    stack: Stack,
    placeholders: usize,
    max_num: Option<u64>,
    depth: usize,
    /// Where the placeholders are, when the caller asked.
    positions: Option<&'a mut Vec<Placeholder>>,
}

impl Scanner<'_> {
    fn at(&self, kind: JsonErrorKind) -> JsonError {
        error(self.pos, kind)
    }

    fn end(&self) -> JsonError {
        error(self.b.len(), JsonErrorKind::UnexpectedEnd)
    }

    /// The error for the byte at `pos`, which is not what the grammar wants here.
    fn unexpected(&self) -> JsonError {
        if self.pos < self.b.len() {
            self.at(JsonErrorKind::UnexpectedChar)
        } else {
            self.end()
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        self.pos = skip_ws(self.b, self.pos);
    }

    /// The whole text: one value, then only whitespace.
    fn run(&mut self) -> Result<Kind, JsonError> {
        let b = self.b;
        let kind = 'value: loop {
            self.skip_ws();
            let Some(&c) = b.get(self.pos) else {
                return Err(self.end());
            };
            let mut value = match c {
                b'{' | b'[' => {
                    let object = c == b'{';
                    if self.stack.len >= self.max_depth {
                        return Err(self.at(JsonErrorKind::TooDeep));
                    }
                    self.stack.push(Frame::new(object, self.pos));
                    self.depth = self.depth.max(self.stack.len);
                    self.pos += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if b.get(self.pos) != Some(&close) {
                        if object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    self.pos += 1;
                    self.close()
                }
                b'"' => {
                    self.string()?;
                    Value::String
                }
                b'-' | b'0'..=b'9' => {
                    let start = self.pos;
                    self.number()?;
                    Value::Number(start, self.pos)
                }
                b't' => {
                    self.literal(b"true")?;
                    Value::True
                }
                b'f' => {
                    self.literal(b"false")?;
                    Value::False
                }
                b'n' => {
                    self.literal(b"null")?;
                    Value::Null
                }
                _ => return Err(self.at(JsonErrorKind::UnexpectedChar)),
            };
            // After a value: close every container that ends here, or go on to the next value.
            loop {
                let Some(frame) = self.stack.top() else {
                    break 'value value.kind();
                };
                let object = frame.object;
                if object {
                    frame.member(value, b);
                }
                self.skip_ws();
                match b.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.skip_ws();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !object => {}
                    Some(b'}') if object => {}
                    _ => return Err(self.unexpected()),
                }
                self.pos += 1;
                value = self.close();
            }
        };
        self.skip_ws();
        if self.pos < b.len() {
            return Err(self.at(JsonErrorKind::TrailingCharacters));
        }
        Ok(kind)
    }

    /// Pops the container whose closing bracket was just read, counting it if it is a placeholder.
    fn close(&mut self) -> Value {
        // A literal message rather than `expect`: `expect` formats its message through
        // `core::fmt`, which this would link into the browser client for nothing.
        let Some(frame) = self.stack.pop() else {
            panic!("close follows a push or a top() that returned a frame");
        };
        if !frame.object {
            return Value::Array;
        }
        if let Some(num) = frame.placeholder_num() {
            self.placeholders += 1;
            self.max_num = Some(self.max_num.map_or(num, |m| m.max(num)));
            if let Some(positions) = self.positions.as_deref_mut() {
                // Objects close innermost first, so a placeholder nested in this one (only a
                // repeated `_placeholder` key can put it there) was pushed last: this one replaces
                // it, as a reader that substitutes this object never looks inside. The list stays
                // sorted by position, each entry popped at most once.
                while positions.last().is_some_and(|p| p.start > frame.start) {
                    positions.pop();
                }
                positions.push(Placeholder {
                    start: frame.start,
                    end: self.pos,
                    num,
                });
            }
        }
        Value::Object
    }

    /// An object member's key and its colon; notes on the object which placeholder key it is.
    fn key(&mut self) -> Result<(), JsonError> {
        if self.b.get(self.pos) != Some(&b'"') {
            return Err(self.unexpected());
        }
        let start = self.pos;
        let escaped = self.string()?;
        let b = self.b;
        // Keys matter only while the object can still be a placeholder.
        if let Some(frame) = self.stack.top().filter(|frame| !frame.extra_key) {
            let inner = b.get(start + 1..self.pos - 1).unwrap_or_default();
            let is = |key: &[u8]| {
                if escaped {
                    unescaped_eq(inner, key)
                } else {
                    inner == key
                }
            };
            frame.key = if is(b"_placeholder") {
                Key::Placeholder
            } else if is(b"num") {
                Key::Num
            } else {
                frame.extra_key = true;
                Key::Other
            };
        }
        self.skip_ws();
        if b.get(self.pos) != Some(&b':') {
            return Err(self.unexpected());
        }
        self.pos += 1;
        Ok(())
    }

    /// A string starting at the quote at `pos`; returns whether it has escapes.
    #[inline]
    fn string(&mut self) -> Result<bool, JsonError> {
        let b = self.b;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            i = find_special(b, i);
            match b.get(i) {
                None => return Err(self.end()),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    i = decode_escape(b, i)?.1;
                }
                // The only special byte left: a control character.
                Some(_) => return Err(error(i, JsonErrorKind::ControlCharacter)),
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if b.get(i) == Some(&b'0') {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(error(i, JsonErrorKind::InvalidNumber));
            }
        } else {
            i = digits(b, i)?;
        }
        if b.get(i) == Some(&b'.') {
            i = digits(b, i + 1)?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(b, i)?;
        }
        self.pos = i;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        for &w in word {
            match self.b.get(self.pos) {
                Some(&c) if c == w => self.pos += 1,
                _ => return Err(self.unexpected()),
            }
        }
        Ok(())
    }
}

/// Validates that `text` is exactly one JSON value (RFC 8259; whitespace around it allowed) nested at
/// most `max_depth` deep, and counts the binary placeholders in it.
///
/// One pass over the bytes, no recursion, no allocation unless `max_depth` is above
/// [`DEFAULT_MAX_DEPTH`] and the text nests deeper than that. A depth of 0 allows only scalars.
/// Error offsets point at the offending byte (an escape's backslash; the opening bracket that is
/// one level too deep; the text's length when it ends too early).
pub fn scan(text: &str, max_depth: usize) -> Result<Scan, JsonError> {
    scan_inner(text, max_depth, None)
}

/// [`scan`], also appending to `positions` where each placeholder stands, in text order: the
/// codec's one pass over a binary packet's JSON finds them for the data models that substitute the
/// attachments. A placeholder inside another (possible only through a repeated `_placeholder`
/// key) is left out: whoever substitutes the outer one never reads it. On an error, `positions`
/// holds what was found before it.
pub fn scan_placeholders(
    text: &str,
    max_depth: usize,
    positions: &mut Vec<Placeholder>,
) -> Result<Scan, JsonError> {
    scan_inner(text, max_depth, Some(positions))
}

fn scan_inner<'a>(
    text: &'a str,
    max_depth: usize,
    positions: Option<&'a mut Vec<Placeholder>>,
) -> Result<Scan, JsonError> {
    let mut scanner = Scanner {
        b: text.as_bytes(),
        pos: 0,
        max_depth,
        stack: Stack::new(),
        placeholders: 0,
        max_num: None,
        depth: 0,
        positions,
    };
    let kind = scanner.run()?;
    Ok(Scan {
        kind,
        placeholders: scanner.placeholders,
        max_placeholder_num: scanner.max_num,
        depth: scanner.depth,
    })
}

// ---------------------------------------------------------------------------------------------
// Look-ups on text that `scan` accepted. On any other text they give up or yield garbage, but every
// step advances, so they always end, and they never panic.

/// The end of the string token whose quote is at `b[i]`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = find_special(b, j);
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The end of the value that starts at `b[i]`.
pub(crate) fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        // `depth >= 1` here: the first byte opened, and we return when it closes.
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        b',' | b':' | b']' | b'}' => None,
        c if is_ws(c) => None,
        _ => {
            let mut j = i + 1;
            while b
                .get(j)
                .is_some_and(|&c| !matches!(c, b',' | b':' | b']' | b'}') && !is_ws(c))
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Where a container walk stands: before its opening bracket, at an element, or finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    Start,
    At(usize),
    Done,
}

/// Steps into the container at the start of `text` (after whitespace): the position of its first
/// element, or `Done` if it is empty or not opened by `open`.
fn enter(b: &[u8], open: u8, close: u8) -> Walk {
    let i = skip_ws(b, 0);
    if b.get(i) != Some(&open) {
        return Walk::Done;
    }
    let i = skip_ws(b, i + 1);
    if b.get(i) == Some(&close) {
        Walk::Done
    } else {
        Walk::At(i)
    }
}

/// After an element ending at `i`: the next element's position, or `Done`.
fn advance(b: &[u8], i: usize) -> Walk {
    let i = skip_ws(b, i);
    if b.get(i) == Some(&b',') {
        Walk::At(skip_ws(b, i + 1))
    } else {
        Walk::Done
    }
}

/// The top-level elements of a JSON array that [`scan`] accepted, as raw text slices without the
/// surrounding whitespace. On text that is not a valid array the iterator yields nothing useful but
/// never panics.
pub fn array_items(text: &str) -> ArrayItems<'_> {
    ArrayItems {
        text,
        walk: Walk::Start,
    }
}

/// Iterator returned by [`array_items`].
#[derive(Clone, Debug)]
pub struct ArrayItems<'a> {
    text: &'a str,
    walk: Walk,
}

impl ArrayItems<'_> {
    /// The next element's byte range in the text, as [`Iterator::next`] would slice it.
    pub fn next_span(&mut self) -> Option<(usize, usize)> {
        let b = self.text.as_bytes();
        if self.walk == Walk::Start {
            self.walk = enter(b, b'[', b']');
        }
        let Walk::At(start) = self.walk else {
            return None;
        };
        self.walk = Walk::Done;
        let end = skip_value(b, start)?;
        self.walk = advance(b, end);
        Some((start, end))
    }
}

impl<'a> Iterator for ArrayItems<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let (start, end) = self.next_span()?;
        self.text.get(start..end)
    }
}

/// The members of a top-level object as raw slices: key token (with quotes) and value.
#[derive(Clone, Debug)]
struct RawEntries<'a> {
    text: &'a str,
    walk: Walk,
}

impl<'a> RawEntries<'a> {
    fn new(text: &'a str) -> Self {
        RawEntries {
            text,
            walk: Walk::Start,
        }
    }
}

impl<'a> Iterator for RawEntries<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let b = self.text.as_bytes();
        if self.walk == Walk::Start {
            self.walk = enter(b, b'{', b'}');
        }
        let Walk::At(key_start) = self.walk else {
            return None;
        };
        self.walk = Walk::Done;
        if b.get(key_start) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, key_start)?;
        let colon = skip_ws(b, key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, colon + 1);
        let value_end = skip_value(b, value_start)?;
        let key = self.text.get(key_start..key_end)?;
        let value = self.text.get(value_start..value_end)?;
        self.walk = advance(b, value_end);
        Some((key, value))
    }
}

/// The members of a top-level JSON object that [`scan`] accepted, in text order (repeated keys
/// included): each key unescaped, each value as raw text without surrounding whitespace. On other
/// text it stops early but never panics.
pub fn object_entries(text: &str) -> ObjectEntries<'_> {
    ObjectEntries {
        raw: RawEntries::new(text),
    }
}

/// Iterator returned by [`object_entries`].
#[derive(Clone, Debug)]
pub struct ObjectEntries<'a> {
    raw: RawEntries<'a>,
}

impl<'a> Iterator for ObjectEntries<'a> {
    type Item = (Cow<'a, str>, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let (key, value) = self.raw.next()?;
        match parse_string(key) {
            Ok(key) => Some((key, value)),
            Err(_) => {
                self.raw.walk = Walk::Done;
                None
            }
        }
    }
}

/// The raw text of the value under `key` in a top-level JSON object that [`scan`] accepted (the
/// last one if a key repeats, as `JSON.parse` reads it; keys compared after unescaping). `None` if absent or if `text` is not an object.
pub fn object_get<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    // The last duplicate wins, as in `JSON.parse`, so both ends of a connection read the same value
    // from a hostile object with a repeated key.
    RawEntries::new(text)
        .filter(|(k, _)| raw_key_is(k, key))
        .last()
        .map(|(_, value)| value)
}

/// If the value `raw` (accepted by [`scan`]) is a binary placeholder, its `num`: the rule [`scan`]
/// counts by (see the module docs), for data models that substitute the attachments, so they agree
/// with the codec's check. `Some(u64::MAX)` is a placeholder without a valid `num`, which the
/// reference refuses ("illegal attachments").
pub fn placeholder_num(raw: &str) -> Option<u64> {
    let (mut placeholder, mut num) = (false, None);
    for (key, value) in RawEntries::new(raw) {
        if raw_key_is(key, "_placeholder") {
            placeholder = value == "true";
        } else if raw_key_is(key, "num") {
            num = parse_u64(value);
        } else {
            return None;
        }
    }
    placeholder.then_some(num.unwrap_or(u64::MAX))
}

/// Appends `raw_item` (JSON text) as the last element of the array text `array` (as [`scan`]
/// accepts it), e.g. to add an argument to an EVENT payload. Whitespace after the closing bracket is
/// dropped. If `array` does not end with `]` it is left unchanged.
pub fn push_array_item(array: &mut String, raw_item: &str) {
    let trimmed = array.trim_end_matches([' ', '\t', '\n', '\r']);
    let Some(inside) = trimmed.strip_suffix(']') else {
        return;
    };
    let empty = inside
        .trim_end_matches([' ', '\t', '\n', '\r'])
        .ends_with('[');
    let close = inside.len();
    array.truncate(close);
    array.reserve(raw_item.len() + 2);
    if !empty {
        array.push(',');
    }
    array.push_str(raw_item);
    array.push(']');
}

/// `text` without the JSON whitespace (space, tab, LF, CR) around it.
pub fn trim(text: &str) -> &str {
    let (start, end) = trim_range(text);
    // Whitespace is ASCII, so both ends are char boundaries.
    text.get(start..end).unwrap_or_default()
}

/// Where [`trim`]'s result starts and ends in `text`.
pub fn trim_range(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let start = b.iter().position(|&c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_ws(c)).map_or(start, |i| i + 1);
    (start, end)
}

/// The value of a raw JSON string token (with its quotes), unescaped.
///
/// Borrows when the string has no escapes. Errors as [`scan`] reports them, offsets into `raw`;
/// anything after the closing quote is [`JsonErrorKind::TrailingCharacters`].
pub fn parse_string(raw: &str) -> Result<Cow<'_, str>, JsonError> {
    let b = raw.as_bytes();
    match b.first() {
        Some(b'"') => {}
        Some(_) => return Err(error(0, JsonErrorKind::UnexpectedChar)),
        None => return Err(error(0, JsonErrorKind::UnexpectedEnd)),
    }
    let mut out: Option<String> = None;
    let mut run = 1; // start of the text not yet copied into `out`
    let mut i = 1;
    loop {
        i = find_special(b, i);
        match b.get(i) {
            None => return Err(error(b.len(), JsonErrorKind::UnexpectedEnd)),
            Some(b'"') => break,
            Some(b'\\') => {
                let (ch, next) = decode_escape(b, i)?;
                let buf = out.get_or_insert_with(|| String::with_capacity(b.len()));
                buf.push_str(raw.get(run..i).unwrap_or_default());
                buf.push(ch);
                run = next;
                i = next;
            }
            Some(_) => return Err(error(i, JsonErrorKind::ControlCharacter)),
        }
    }
    if i + 1 != b.len() {
        return Err(error(i + 1, JsonErrorKind::TrailingCharacters));
    }
    let tail = raw.get(run..i).unwrap_or_default();
    Ok(match out {
        None => Cow::Borrowed(tail),
        Some(mut buf) => {
            buf.push_str(tail);
            Cow::Owned(buf)
        }
    })
}

/// A raw JSON number token that is a non-negative integer fitting `u64` (`25000`, not `2.5e4`).
pub fn parse_u64(raw: &str) -> Option<u64> {
    parse_u64_bytes(raw.as_bytes())
}

/// Appends `s` to `out` as a JSON string literal, quoted and escaped as `JSON.stringify` does:
/// `"` and `\`, the short escapes `\b \f \n \r \t`, other characters below U+0020 as `\u00xx`
/// (lowercase hex), everything else as is. (`JSON.stringify` also escapes lone surrogates, which a
/// Rust string cannot hold.)
pub fn write_string(out: &mut String, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push('"');
    let mut run = 0; // start of the text not yet copied
    let mut i = 0;
    loop {
        i = find_special(b, i);
        let Some(&c) = b.get(i) else { break };
        let escape = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from_digit(u32::from(c >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(c & 0xf), 16).unwrap_or('0'));
        } else {
            out.push_str(escape);
        }
        i += 1;
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_drops_json_whitespace_only() {
        assert_eq!(trim(" \t\r\n[1] \n"), "[1]");
        assert_eq!(trim("\u{a0}1\u{a0}"), "\u{a0}1\u{a0}");
        assert_eq!(trim("   "), "");
        assert_eq!(trim(""), "");
        assert_eq!(trim("x"), "x");
    }
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn ok(text: &str) -> Scan {
        scan(text, DEFAULT_MAX_DEPTH).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn err(text: &str) -> (JsonErrorKind, usize) {
        let e = scan(text, DEFAULT_MAX_DEPTH).expect_err(text);
        (e.kind, e.offset)
    }

    fn placeholders(text: &str) -> (usize, Option<u64>) {
        let s = ok(text);
        (s.placeholders, s.max_placeholder_num)
    }

    use JsonErrorKind::*;

    #[test]
    fn rfc8259_examples() {
        let image = r#"{
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    }"#;
        assert_eq!(
            ok(image),
            Scan {
                kind: Kind::Object,
                placeholders: 0,
                max_placeholder_num: None,
                depth: 3,
            }
        );
        let places = r#"[
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ]"#;
        assert_eq!(ok(places).kind, Kind::Array);
        assert_eq!(array_items(places).count(), 2);
        assert_eq!(ok(r#""Hello world!""#).kind, Kind::String);
        assert_eq!(ok("42").kind, Kind::Number);
        assert_eq!(ok("true").kind, Kind::Bool);
        assert_eq!(ok("false").kind, Kind::Bool);
        assert_eq!(ok("null").kind, Kind::Null);
        let thumb = object_get(object_get(image, "Image").unwrap(), "Thumbnail").unwrap();
        assert_eq!(object_get(thumb, "Width"), Some("100"));
        assert_eq!(
            object_get(object_get(image, "Image").unwrap(), "IDs"),
            Some("[116, 943, 234, 38793]")
        );
    }

    #[test]
    fn socket_io_payloads() {
        assert_eq!(ok(r#"["hello",1,{"a":[true,null]}]"#).kind, Kind::Array);
        assert_eq!(ok(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#).kind, Kind::Object);
        assert_eq!(ok(" \t\r\n[ ] \t\r\n").kind, Kind::Array);
        assert_eq!(ok("{ }").kind, Kind::Object);
        assert_eq!(ok(r#"{"":""}"#).kind, Kind::Object);
    }

    #[test]
    fn every_error_kind_with_its_offset() {
        assert_eq!(err(""), (UnexpectedEnd, 0));
        assert_eq!(err("   "), (UnexpectedEnd, 3));
        assert_eq!(err("[1,"), (UnexpectedEnd, 3));
        assert_eq!(err(r#"{"a""#), (UnexpectedEnd, 4));
        assert_eq!(err(r#""abc"#), (UnexpectedEnd, 4));
        assert_eq!(err("tru"), (UnexpectedEnd, 3));
        assert_eq!(err("[1 2]"), (UnexpectedChar, 3));
        assert_eq!(err("[1,]"), (UnexpectedChar, 3));
        assert_eq!(err(r#"{"a":1,}"#), (UnexpectedChar, 7));
        assert_eq!(err(r#"{"a" 1}"#), (UnexpectedChar, 5));
        assert_eq!(err("{1:2}"), (UnexpectedChar, 1));
        assert_eq!(err("[1}"), (UnexpectedChar, 2));
        assert_eq!(err(r#"{"a":1]"#), (UnexpectedChar, 6));
        assert_eq!(err("trux"), (UnexpectedChar, 3));
        assert_eq!(err("'a'"), (UnexpectedChar, 0));
        assert_eq!(scan("[[1]]", 1).unwrap_err(), error(1, TooDeep));
        assert_eq!(err(r#""\x""#), (InvalidEscape, 1));
        assert_eq!(err(r#"["ok","a\u00G0"]"#), (InvalidEscape, 8));
        assert_eq!(err("\"a\u{1}\""), (ControlCharacter, 2));
        assert_eq!(err("\"\t\""), (ControlCharacter, 1));
        assert_eq!(err("1 2"), (TrailingCharacters, 2));
        assert_eq!(err("{}}"), (TrailingCharacters, 2));
        assert_eq!(err("\"a\" x"), (TrailingCharacters, 4));
        assert_eq!(err("01"), (InvalidNumber, 1));
        assert_eq!(err("[-]"), (InvalidNumber, 2));
    }

    #[test]
    fn error_display_is_lowercase_with_offset() {
        assert_eq!(
            error(3, TooDeep).to_string(),
            "JSON nested too deeply at byte 3"
        );
        assert_eq!(
            error(0, UnexpectedEnd).to_string(),
            "unexpected end of JSON at byte 0"
        );
    }

    #[test]
    fn numbers_follow_the_grammar() {
        for good in [
            "0",
            "-0",
            "1",
            "-1",
            "10",
            "1.5",
            "-1.5e10",
            "1E+2",
            "1e-2",
            "0.0",
            "0e0",
            "-0.0E-0",
            "123456789012345678901234567890",
            "1.7976931348623157e309",
        ] {
            assert_eq!(ok(good).kind, Kind::Number, "{good}");
            assert_eq!(ok(&alloc::format!("[{good}]")).kind, Kind::Array, "{good}");
        }
        for (bad, expected) in [
            ("01", (InvalidNumber, 1)),
            ("-01", (InvalidNumber, 2)),
            ("00", (InvalidNumber, 1)),
            ("+1", (UnexpectedChar, 0)),
            (".5", (UnexpectedChar, 0)),
            ("1.", (UnexpectedEnd, 2)),
            ("1.e1", (InvalidNumber, 2)),
            ("1e", (UnexpectedEnd, 2)),
            ("1e+", (UnexpectedEnd, 3)),
            ("[1e]", (InvalidNumber, 3)),
            ("[1.]", (InvalidNumber, 3)),
            ("-", (UnexpectedEnd, 1)),
            ("- 1", (InvalidNumber, 1)),
            ("-a", (InvalidNumber, 1)),
            ("NaN", (UnexpectedChar, 0)),
            ("Infinity", (UnexpectedChar, 0)),
            ("-Infinity", (InvalidNumber, 1)),
            ("0x10", (TrailingCharacters, 1)),
            ("1.5.3", (TrailingCharacters, 3)),
        ] {
            assert_eq!(err(bad), expected, "{bad}");
        }
    }

    #[test]
    fn only_four_whitespace_characters() {
        assert_eq!(ok(" \t\n\r1 \t\n\r").kind, Kind::Number);
        assert_eq!(err("\u{c}1"), (UnexpectedChar, 0));
        assert_eq!(err("\u{b}1"), (UnexpectedChar, 0));
        assert_eq!(err("\u{a0}1"), (UnexpectedChar, 0));
        assert_eq!(err("[1,\u{feff}2]"), (UnexpectedChar, 3));
        assert_eq!(err("1\u{2028}"), (TrailingCharacters, 1));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            ok(r#""\"\\\/\b\f\n\r\t\u0000\u00e9\uFFFF""#).kind,
            Kind::String
        );
        assert_eq!(ok(r#""\ud83d\ude00""#).kind, Kind::String);
        assert_eq!(ok("\"é😀\u{7f}\u{2028}\"").kind, Kind::String);
        // Lone surrogates: JSON.parse takes them, a Rust String cannot hold them.
        assert_eq!(err(r#""\ud800""#), (InvalidEscape, 1));
        assert_eq!(err(r#""a\udc00""#), (InvalidEscape, 2));
        assert_eq!(err(r#""\ud800\u0041""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\ud800\n""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\ud800x""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\udbff\udbff""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\ud800"#), (UnexpectedEnd, 7));
        assert_eq!(err(r#""\u12"#), (UnexpectedEnd, 5));
        assert_eq!(err(r#""\u12""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\"#), (UnexpectedEnd, 2));
        assert_eq!(err(r#""\U0041""#), (InvalidEscape, 1));
        assert_eq!(err(r#""\'""#), (InvalidEscape, 1));
        // Long strings go through the 8-byte fast path; specials must still be seen in any lane.
        for lane in 0..16 {
            let mut s = String::from("\"");
            s.push_str(&"x".repeat(lane));
            s.push('\u{1f}');
            s.push_str("xxxxxxxxxxxxxxxx\"");
            assert_eq!(err(&s), (ControlCharacter, lane + 1));
        }
    }

    fn nested(open: &str, close: &str, depth: usize) -> String {
        let mut s = open.repeat(depth);
        s.push_str(&close.repeat(depth));
        s
    }

    #[test]
    fn depth_limit() {
        assert!(scan(&nested("[", "]", 32), 32).is_ok());
        assert_eq!(
            scan(&nested("[", "]", 33), 32).unwrap_err(),
            error(32, TooDeep)
        );
        let objects = nested(r#"{"a":"#, "}", 32).replace(r#"{"a":}"#, "{}");
        assert!(scan(&objects, 32).is_ok());
        assert_eq!(
            scan(&alloc::format!("[{objects}]"), 32).unwrap_err(),
            error(1 + 5 * 31, TooDeep)
        );
        assert_eq!(scan("1", 0).map(|s| s.kind), Ok(Kind::Number));
        assert_eq!(scan("[]", 0).unwrap_err(), error(0, TooDeep));
        assert!(scan("[[],[],[[]]]", 2).is_err());
        assert!(scan("[[],[],[]]", 2).is_ok());
        // Beyond the inline frames, with placeholders tracked at every level.
        let deep = nested("[", "]", 100).replace("[]", r#"[{"_placeholder":true,"num":7}]"#);
        assert_eq!(scan(&deep, 101).map(|s| s.max_placeholder_num), Ok(Some(7)));
        assert_eq!(scan(&deep, 100).unwrap_err(), error(100, TooDeep));
        assert!(scan(&nested("[", "]", 1000), 1000).is_ok());
    }

    #[test]
    fn a_megabyte_of_brackets_is_refused_at_once() {
        let hostile = "[".repeat(1 << 20);
        assert_eq!(
            scan(&hostile, DEFAULT_MAX_DEPTH).unwrap_err(),
            error(32, TooDeep)
        );
        let hostile = "{\"a\":".repeat(1 << 18);
        assert_eq!(
            scan(&hostile, DEFAULT_MAX_DEPTH).unwrap_err(),
            error(160, TooDeep)
        );
        // Even with no practical limit there is no recursion to overflow.
        let hostile = "[".repeat(1 << 20);
        assert_eq!(
            scan(&hostile, usize::MAX).unwrap_err(),
            error(1 << 20, UnexpectedEnd)
        );
        assert_eq!(array_items(&hostile).count(), 0);
    }

    #[test]
    fn placeholders_are_counted() {
        assert_eq!(
            placeholders(r#"["x",{"_placeholder":true,"num":0}]"#),
            (1, Some(0))
        );
        assert_eq!(
            placeholders(
                r#"["x",{"num":1,"_placeholder":true},{ "_placeholder" : true , "num" : 0 }]"#
            ),
            (2, Some(1))
        );
        assert_eq!(
            placeholders(r#"{"a":[{"b":{"_placeholder":true,"num":3}}]}"#),
            (1, Some(3))
        );
        assert_eq!(
            placeholders(r#"{"_placeholder":true,"num":0}"#),
            (1, Some(0))
        );
        assert_eq!(placeholders(r#"["x",{"a":1}]"#), (0, None));
        assert_eq!(placeholders(r#"["_placeholder",true,"num",0]"#), (0, None));
        // Keys are compared unescaped, as JSON.parse reads them.
        assert_eq!(
            placeholders(r#"[{"\u005fplaceholder":true,"n\u0075m":4}]"#),
            (1, Some(4))
        );
    }

    #[test]
    fn not_placeholders() {
        for text in [
            r#"[{"_placeholder":true,"num":0,"x":1}]"#,
            r#"[{"x":1,"_placeholder":true,"num":0}]"#,
            r#"[{"_placeholder":false,"num":0}]"#,
            r#"[{"_placeholder":1,"num":0}]"#,
            r#"[{"_placeholder":"true","num":0}]"#,
            r#"[{"_placeholder":null,"num":0}]"#,
            r#"[{"num":0}]"#,
            r#"[{}]"#,
            r#"[{"_Placeholder":true,"num":0}]"#,
            r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#,
            r#"[{"_placeholder":{},"num":0}]"#,
        ] {
            assert_eq!(placeholders(text), (0, None), "{text}");
        }
    }

    #[test]
    fn placeholders_without_a_valid_num_are_refused_by_the_count() {
        for text in [
            r#"[{"_placeholder":true}]"#,
            r#"[{"_placeholder":true,"num":"0"}]"#,
            r#"[{"_placeholder":true,"num":-1}]"#,
            r#"[{"_placeholder":true,"num":1.0}]"#,
            r#"[{"_placeholder":true,"num":1e0}]"#,
            r#"[{"_placeholder":true,"num":-0}]"#,
            r#"[{"_placeholder":true,"num":null}]"#,
            r#"[{"_placeholder":true,"num":[0]}]"#,
            r#"[{"_placeholder":true,"num":18446744073709551616}]"#,
            r#"[{"_placeholder":true,"num":0,"num":"x"}]"#,
        ] {
            assert_eq!(placeholders(text), (1, Some(u64::MAX)), "{text}");
        }
        // A placeholder in a placeholder's `num` is counted too; the outer one is invalid anyway.
        assert_eq!(
            placeholders(r#"[{"_placeholder":true,"num":{"_placeholder":true,"num":0}}]"#),
            (2, Some(u64::MAX))
        );
    }

    #[test]
    fn repeated_keys_count_by_their_last_occurrence() {
        assert_eq!(
            placeholders(r#"[{"_placeholder":false,"_placeholder":true,"num":0}]"#),
            (1, Some(0))
        );
        assert_eq!(
            placeholders(r#"[{"_placeholder":[],"_placeholder":true,"num":5}]"#),
            (1, Some(5))
        );
        assert_eq!(
            placeholders(r#"[{"num":"x","num":2,"_placeholder":true}]"#),
            (1, Some(2))
        );
        assert_eq!(
            placeholders(r#"[{"num":[{"a":1}],"num":2,"_placeholder":true}]"#),
            (1, Some(2))
        );
        // An inner placeholder under `_placeholder` leaves the outer object ordinary.
        assert_eq!(
            placeholders(r#"[{"_placeholder":{"_placeholder":true,"num":1},"num":0}]"#),
            (1, Some(1))
        );
    }

    #[test]
    fn placeholder_num_agrees_with_scan() {
        assert_eq!(placeholder_num(r#"{"_placeholder":true,"num":3}"#), Some(3));
        assert_eq!(
            placeholder_num(r#" { "num" : 3 , "_placeholder" : true } "#),
            Some(3)
        );
        assert_eq!(placeholder_num(r#"{"_placeholder":true}"#), Some(u64::MAX));
        assert_eq!(
            placeholder_num(r#"{"_placeholder":true,"num":"3"}"#),
            Some(u64::MAX)
        );
        assert_eq!(
            placeholder_num(r#"{"_placeholder":true,"num":3,"x":0}"#),
            None
        );
        assert_eq!(placeholder_num(r#"{"_placeholder":false,"num":3}"#), None);
        assert_eq!(
            placeholder_num(r#"{"\u005fplaceholder":true,"num":3}"#),
            Some(3)
        );
        assert_eq!(
            placeholder_num(r#"{"_placeholder":false,"_placeholder":true,"num":1}"#),
            Some(1)
        );
        assert_eq!(placeholder_num("[]"), None);
        assert_eq!(placeholder_num("3"), None);
    }

    #[test]
    fn array_items_yields_raw_elements() {
        let text = r#" [ "a" , {"b":[1,2]} , 3 ,"x\"]",-1.5e3,true, null,[] ] "#;
        assert_eq!(
            array_items(text).collect::<Vec<_>>(),
            vec![
                r#""a""#,
                r#"{"b":[1,2]}"#,
                "3",
                r#""x\"]""#,
                "-1.5e3",
                "true",
                "null",
                "[]"
            ]
        );
        assert_eq!(array_items("[]").count(), 0);
        assert_eq!(array_items(" [ \n ] ").count(), 0);
        assert_eq!(array_items("[[]]").collect::<Vec<_>>(), vec!["[]"]);
        assert_eq!(
            array_items(r#"["a\\"]"#).collect::<Vec<_>>(),
            vec![r#""a\\""#]
        );
        assert_eq!(array_items(r#"{"a":1}"#).count(), 0);
        assert_eq!(array_items(r#""[1]""#).count(), 0);
        assert_eq!(array_items("").count(), 0);
    }

    #[test]
    fn object_look_ups() {
        let text = r#" { "a" : 1 , "b":{"c":2}, "a":3, "\u0064":"e", "s":"}\"" } "#;
        assert_eq!(object_get(text, "a"), Some("3"));
        assert_eq!(object_get(text, "b"), Some(r#"{"c":2}"#));
        assert_eq!(object_get(text, "c"), None);
        assert_eq!(object_get(text, "d"), Some(r#""e""#));
        assert_eq!(object_get(text, "s"), Some(r#""}\"""#));
        assert_eq!(object_get("[1]", "0"), None);
        assert_eq!(object_get("{}", "a"), None);
        let entries: Vec<_> = object_entries(text).collect();
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[3], (Cow::<str>::Owned("d".into()), r#""e""#));
        assert!(matches!(entries[0].0, Cow::Borrowed("a")));
        assert_eq!(object_entries("[]").count(), 0);
    }

    #[test]
    fn look_ups_survive_garbage() {
        for text in [
            "[",
            "[,",
            "[1,",
            "[\"",
            "[\"\\",
            "]",
            "[1 2]",
            "[{]",
            "[}}}]",
            "[,,,]",
            "[\"a\" \"b\"]",
            "{",
            "{\"",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":}",
            "{:}",
            "{\"a\" 1}",
            "{\"a\":1,,}",
            "{[}",
            "[\"é\\é\"]",
            "{\"\\é\":1}",
            "[-é]",
            "[tru",
            "\u{0}",
            "[\\",
        ] {
            let _ = array_items(text).take(100).count();
            let _ = object_entries(text).take(100).count();
            let _ = object_get(text, "a");
            let _ = placeholder_num(text);
        }
        assert_eq!(array_items("[1 2]").collect::<Vec<_>>(), vec!["1"]);
    }

    #[test]
    fn push_array_item_appends() {
        let cases = [
            ("[]", "[1]"),
            ("[ ]", "[ 1]"),
            ("[\n]", "[\n1]"),
            ("[0]", "[0,1]"),
            (r#"["ev",{"a":[]}] "#, r#"["ev",{"a":[]},1]"#),
            ("[[]]", "[[],1]"),
            ("{}", "{}"),
            ("", ""),
        ];
        for (before, after) in cases {
            let mut s = String::from(before);
            push_array_item(&mut s, "1");
            assert_eq!(s, after, "{before}");
        }
        let mut s = String::from(r#"["ev"]"#);
        push_array_item(&mut s, r#"{"_placeholder":true,"num":0}"#);
        assert_eq!(placeholders(&s), (1, Some(0)));
    }

    #[test]
    fn parse_string_unescapes() {
        assert!(matches!(parse_string(r#""abc""#), Ok(Cow::Borrowed("abc"))));
        assert!(matches!(parse_string(r#""""#), Ok(Cow::Borrowed(""))));
        assert!(matches!(parse_string("\"é😀\""), Ok(Cow::Borrowed("é😀"))));
        assert_eq!(parse_string(r#""a\nb""#).unwrap(), "a\nb");
        assert!(matches!(parse_string(r#""a\nb""#), Ok(Cow::Owned(_))));
        assert_eq!(parse_string(r#""\/\"\\""#).unwrap(), "/\"\\");
        assert_eq!(parse_string(r#""\u00e9\u00E9""#).unwrap(), "éé");
        assert_eq!(parse_string(r#""\uD83D\uDE00!""#).unwrap(), "😀!");
        assert_eq!(parse_string(r#""x\u0000y""#).unwrap(), "x\0y");
        assert_eq!(parse_string("").unwrap_err(), error(0, UnexpectedEnd));
        assert_eq!(parse_string("abc").unwrap_err(), error(0, UnexpectedChar));
        assert_eq!(
            parse_string(r#""abc"#).unwrap_err(),
            error(4, UnexpectedEnd)
        );
        assert_eq!(
            parse_string(r#""a"b""#).unwrap_err(),
            error(3, TrailingCharacters)
        );
        assert_eq!(
            parse_string(r#""a" "#).unwrap_err(),
            error(3, TrailingCharacters)
        );
        assert_eq!(
            parse_string(r#""\ud800""#).unwrap_err(),
            error(1, InvalidEscape)
        );
        assert_eq!(
            parse_string("\"\n\"").unwrap_err(),
            error(1, ControlCharacter)
        );
    }

    #[test]
    fn parse_u64_takes_plain_integers_only() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("25000"), Some(25000));
        assert_eq!(parse_u64("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "18446744073709551616",
            "2.5e4",
            "1.0",
            "-1",
            "-0",
            "01",
            "",
            " 1",
            "1 ",
            "+1",
            "1a",
            "a",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad}");
        }
    }

    fn written(s: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn write_string_escapes_like_json_stringify() {
        assert_eq!(written(""), r#""""#);
        assert_eq!(written("hello"), r#""hello""#);
        assert_eq!(written("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(written("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(
            written("\0\u{1}\u{1b}\u{1f}"),
            r#""\u0000\u0001\u001b\u001f""#
        );
        // Not escaped by JSON.stringify: `/`, DEL, non-ASCII, U+2028.
        assert_eq!(written("/\u{7f}é😀\u{2028}"), "\"/\u{7f}é😀\u{2028}\"");
        let long = "0123456789abcdef\"0123456789abcdef\n".repeat(3);
        assert_eq!(parse_string(&written(&long)).unwrap(), long);
        let mut out = String::from("x");
        write_string(&mut out, "y");
        assert_eq!(out, r#"x"y""#);
    }

    #[test]
    fn surrogate_pairs_round_trip() {
        let s = "😀 \u{10ffff} \u{10000}";
        assert_eq!(written(s), "\"😀 \u{10ffff} \u{10000}\"");
        assert_eq!(
            parse_string(r#""\ud83d\ude00 \udbff\udfff \ud800\udc00""#).unwrap(),
            s
        );
    }

    /// Valid JSON text with whitespace here and there, and how many elements its top level has.
    fn json_value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| alloc::format!("{f:e}")),
            any::<String>().prop_map(|s| written(&s)),
            (0u64..20).prop_map(|n| alloc::format!(r#"{{"_placeholder":true,"num":{n}}}"#)),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            let ws = prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r")];
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..8), ws.clone()).prop_map(
                    |(items, ws)| alloc::format!(
                        "[{ws}{}{ws}]",
                        items.join(&alloc::format!("{ws},"))
                    )
                ),
                (prop::collection::vec((any::<String>(), inner), 0..8), ws).prop_map(
                    |(members, ws)| {
                        let members: Vec<String> = members
                            .iter()
                            .map(|(k, v)| alloc::format!("{}{ws}:{ws}{v}", written(k)))
                            .collect();
                        alloc::format!("{{{ws}{}{ws}}}", members.join(","))
                    }
                ),
            ]
        })
    }

    fn exercise_look_ups(text: &str) {
        let len = text.len();
        assert!(array_items(text).take(len + 2).count() <= len);
        assert!(object_entries(text).take(len + 2).count() <= len);
        let _ = object_get(text, "a");
        let _ = placeholder_num(text);
        let _ = parse_string(text);
        let _ = parse_u64(text);
    }

    proptest! {
        #[test]
        fn scan_never_panics(text in any::<String>()) {
            let _ = scan(&text, DEFAULT_MAX_DEPTH);
            exercise_look_ups(&text);
        }

        #[test]
        fn scan_never_panics_on_json_like_text(text in r#"[\[\]{}",:0-9a-z\\ .eE+\-_]{0,80}"#) {
            if let Ok(s) = scan(&text, 4) {
                // What scan accepts, the look-ups read consistently.
                if s.kind == Kind::Array {
                    for item in array_items(&text) {
                        prop_assert!(scan(item, 4).is_ok(), "{item:?}");
                    }
                }
                if s.kind == Kind::Object {
                    for (_, value) in object_entries(&text) {
                        prop_assert!(scan(value, 4).is_ok(), "{value:?}");
                    }
                }
            }
            exercise_look_ups(&text);
        }

        #[test]
        fn write_string_scans_and_parses_back(s in any::<String>()) {
            let out = written(&s);
            prop_assert_eq!(scan(&out, 0), Ok(Scan { kind: Kind::String, placeholders: 0, max_placeholder_num: None, depth: 0 }));
            prop_assert_eq!(parse_string(&out).unwrap(), s);
        }

        #[test]
        fn generated_json_scans(text in json_value()) {
            let s = scan(&text, 8);
            prop_assert!(s.is_ok(), "{:?}: {:?}", text, s);
            let mut wrapped = alloc::format!(" [{text}] ");
            prop_assert_eq!(array_items(&wrapped).collect::<Vec<_>>(), vec![text.as_str()]);
            push_array_item(&mut wrapped, "0");
            prop_assert_eq!(array_items(&wrapped).count(), 2);
            prop_assert_eq!(scan(&wrapped, 9).map(|w| w.placeholders), s.map(|s| s.placeholders));
        }
    }
}
