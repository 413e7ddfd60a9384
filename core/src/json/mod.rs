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
//!
//! # Where things are
//!
//! `scan.rs`: the validating scanner ([`scan`]); `lookup.rs`: look-ups on scanned text
//! ([`array_items`], [`object_get`], [`placeholder_num`], ...); `token.rs`: one token at a time
//! ([`trim`], [`parse_string`], [`write_string`], ...); `bytes.rs`: the byte-level helpers they share.

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

mod bytes;
mod lookup;
mod scan;
mod token;

pub use lookup::{
    ArrayItems, ObjectEntries, array_items, object_entries, object_get, placeholder_num,
    push_array_item,
};
pub use scan::{scan, scan_placeholders};
// What the serde reader (`socket::args::de`) shares with the scanner.
pub(crate) use bytes::{decode_escape, find_special, skip_ws};
#[cfg(feature = "serde")]
pub(crate) use lookup::skip_value;
pub use token::{parse_string, parse_u64, trim, trim_range, write_string};
// The byte-level helpers, for this module's children.
use bytes::{digits, is_ws, parse_u64_bytes, raw_key_is, unescaped_eq};

#[cfg(test)]
mod tests;
