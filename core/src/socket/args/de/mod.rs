//! Typed reading of [`Args`]: serde straight from the JSON text, without a tree in between.
//!
//! [`from_args`] reads an event's or an ack's arguments as one Rust value, the way a handler's
//! parameters take them:
//!
//! - a **tuple** takes one argument per element (missing trailing ones are `null`, so `Option`
//!   elements become `None`; extra ones are ignored, as a JavaScript handler ignores them). A
//!   type that asks serde for a tuple of `usize::MAX` elements takes every argument, as many as
//!   there are (how a list of all the arguments reads itself);
//! - `()` takes none;
//! - **anything else** takes the first argument (`null` when there is none);
//! - a newtype struct is transparent.
//!
//! Strings borrow from the text when they have no escapes, and binary placeholders become the
//! bytes of their attachment wherever they stand (`serde_bytes::ByteBuf`, `bytes::Bytes`, or
//! `&[u8]` borrowed from the attachment), at the positions the codec's scan recorded: the
//! placeholder rule is the scan's, applied once. An `Args` is valid JSON by construction, so
//! reading it is one pass over the text, linear in its length; nesting is bounded by the scan
//! that admitted it.
//!
//! [`from_json`] reads one JSON value (a CONNECT's auth object, say) after checking it.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use core::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::Args;
use crate::json::{self, Placeholder};

/// Why the arguments do not read as the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    fn at(msg: &str) -> Error {
        Error(String::from(msg))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Reads the arguments as `T` (see the [module docs](self) for how a tuple, `()` and other types
/// take them).
pub fn from_args<'de, T: de::Deserialize<'de>>(args: &'de Args) -> Result<T, Error> {
    read(args, 0)
}

/// Reads an EVENT's arguments after its name as `T`, as [`from_args`] does.
pub fn from_event_args<'de, T: de::Deserialize<'de>>(args: &'de Args) -> Result<T, Error> {
    read(args, 1)
}

/// Reads the argument at `index` alone as `T` (`null` past the end).
pub fn from_arg<'de, T: de::Deserialize<'de>>(args: &'de Args, index: usize) -> Result<T, Error> {
    let mut de = Deserializer::new(args);
    let mut seq = Elements::enter(&mut de)?;
    for _ in 0..index {
        if !seq.skip()? {
            return T::deserialize(Null);
        }
    }
    if seq.at_end()? {
        return T::deserialize(Null);
    }
    T::deserialize(&mut de)
}

/// Reads one JSON value as `T`, after checking that `text` is one (nested at most
/// [`Args::MAX_DEPTH`] deep). No placeholder is substituted: without attachments, a placeholder
/// object is plain data.
pub fn from_json<'de, T: de::Deserialize<'de>>(text: &'de str) -> Result<T, Error> {
    json::scan(text, Args::MAX_DEPTH).map_err(|e| Error(e.to_string()))?;
    let mut de = Deserializer {
        b: text.as_bytes(),
        text,
        pos: 0,
        placeholders: &[],
        next: 0,
        attachments: &[],
    };
    T::deserialize(&mut de)
}

fn read<'de, T: de::Deserialize<'de>>(args: &'de Args, skip: usize) -> Result<T, Error> {
    let mut de = Deserializer::new(args);
    let mut seq = Elements::enter(&mut de)?;
    for _ in 0..skip {
        seq.skip()?;
    }
    T::deserialize(Top { de: &mut de })
}
mod access;
mod reader;
mod top;

use access::{Elements, Members, Null, Variant};
use reader::Deserializer;
use top::Top;
