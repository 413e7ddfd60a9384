//! A small JSON scanner: validation and a few look-ups on JSON text, without building a tree.
//!
//! The core owns framing, not the JSON data model (see the crate docs). It still has to check what the
//! protocol requires: that a payload is well-formed JSON of bounded depth, that an EVENT is a
//! non-empty array whose first element is a string, that a CONNECT payload is an object, where the
//! binary placeholders point. This module does exactly that, in one pass, with no allocation except
//! when a string has escapes.
//!
//! OWNER: helper "json" implements the bodies; the signatures are the contract other modules use.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

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
    /// The largest `num` among them.
    pub max_placeholder_num: Option<u64>,
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

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            JsonErrorKind::UnexpectedEnd => "unexpected end of JSON",
            JsonErrorKind::UnexpectedChar => "unexpected character in JSON",
            JsonErrorKind::TooDeep => "JSON nested too deeply",
            JsonErrorKind::InvalidEscape => "invalid escape in JSON string",
            JsonErrorKind::ControlCharacter => "control character in JSON string",
            JsonErrorKind::TrailingCharacters => "trailing characters after JSON value",
            JsonErrorKind::InvalidNumber => "invalid JSON number",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for JsonError {}

/// Validates that `text` is exactly one JSON value (RFC 8259; whitespace around it allowed) nested at
/// most `max_depth` deep, and counts the binary placeholders in it.
pub fn scan(text: &str, max_depth: usize) -> Result<Scan, JsonError> {
    let _ = (text, max_depth);
    todo!("json helper")
}

/// The top-level elements of a JSON array that [`scan`] accepted, as raw text slices without the
/// surrounding whitespace. On text that is not a valid array the iterator yields nothing useful but
/// never panics.
pub fn array_items(text: &str) -> ArrayItems<'_> {
    ArrayItems { text, pos: 0 }
}

/// Iterator returned by [`array_items`].
#[derive(Clone, Debug)]
pub struct ArrayItems<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for ArrayItems<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let _ = (self.text, self.pos);
        todo!("json helper")
    }
}

/// The raw text of the value under `key` in a top-level JSON object that [`scan`] accepted (the
/// first one, keys compared after unescaping). `None` if absent or if `text` is not an object.
pub fn object_get<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let _ = (text, key);
    todo!("json helper")
}

/// The value of a raw JSON string token (with its quotes), unescaped.
pub fn parse_string(raw: &str) -> Result<Cow<'_, str>, JsonError> {
    let _ = raw;
    todo!("json helper")
}

/// A raw JSON number token that is a non-negative integer fitting `u64` (`25000`, not `2.5e4`).
pub fn parse_u64(raw: &str) -> Option<u64> {
    let _ = raw;
    todo!("json helper")
}

/// Appends `s` to `out` as a JSON string literal, quoted and escaped as `JSON.stringify` does.
pub fn write_string(out: &mut String, s: &str) {
    let _ = (out, s);
    todo!("json helper")
}
