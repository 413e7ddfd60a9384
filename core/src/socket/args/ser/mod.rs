//! Typed writing of [`Args`]: serde straight into the JSON text, binary into attachments.
//!
//! [`to_args`] turns one Rust value into arguments the way [`de::from_args`](super::de::from_args)
//! reads them back: a **tuple** is one argument per element, `()` is none, a newtype struct is
//! transparent, and **anything else** is one argument. (serde writes `serde_json::Value::Null` as
//! a unit too, so it is no argument; `None` is one `null`. And serde writes a fixed-size array
//! `[T; N]` as a tuple: N arguments; send a slice or a `Vec` for one array argument.) Bytes (`serialize_bytes`: `bytes::Bytes`,
//! `serde_bytes`) become an attachment and a placeholder where they stand, at any depth; a
//! `Vec<u8>` is an array of numbers, as serde writes it everywhere. Floats that JSON cannot hold
//! (NaN, the infinities) are written `null`, as `JSON.stringify` writes them.
//!
//! [`ToArgs`] is what the APIs that send take: any `Serialize` value, or ready-made [`Args`]
//! (forwarded as they are, without reading them).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};

use serde::ser::{self, Serialize};

use super::Args;
use crate::json::{self, Placeholder};
use crate::text::push_decimal;

/// Why a value cannot be written as arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// What the APIs that send arguments take: any `Serialize` value (see the [module docs](self)),
/// or [`Args`] as they are.
pub trait ToArgs {
    /// The arguments.
    fn to_args(&self) -> Result<Args, Error>;
    /// The arguments of an EVENT: `name` first, then these.
    fn to_event_args(&self, name: &str) -> Result<Args, Error>;
}

impl<T: Serialize + ?Sized> ToArgs for T {
    fn to_args(&self) -> Result<Args, Error> {
        to_args(self)
    }

    fn to_event_args(&self, name: &str) -> Result<Args, Error> {
        to_event_args(name, self)
    }
}

/// Received arguments go on as they came, except that their placeholders are numbered in text
/// order, one attachment each, as the reference numbers them when it sends (it rebuilds the
/// packet): the same data, and the same bytes on the wire as the reference's.
impl ToArgs for Args {
    fn to_args(&self) -> Result<Args, Error> {
        let in_order = self.placeholders().len() == self.attachments().len()
            && self
                .placeholders()
                .iter()
                .enumerate()
                .all(|(i, p)| p.num == i as u64);
        if in_order {
            return Ok(self.clone());
        }
        let mut out = Out::with_capacity(self.text().len());
        out.text.push('[');
        out.splice(self);
        out.text.push(']');
        Ok(out.finish())
    }

    fn to_event_args(&self, name: &str) -> Result<Args, Error> {
        let mut out = Out::with_capacity(self.text().len() + name.len() + 4);
        out.text.push('[');
        json::write_string(&mut out.text, name);
        out.count = 1;
        out.splice(self);
        out.text.push(']');
        Ok(out.finish())
    }
}

/// The arguments `value` stands for (see the [module docs](self)).
pub fn to_args<T: Serialize + ?Sized>(value: &T) -> Result<Args, Error> {
    let mut out = Out::with_capacity(32);
    out.text.push('[');
    value.serialize(Top { out: &mut out })?;
    out.text.push(']');
    Ok(out.finish())
}

/// An EVENT's arguments: `name`, then the arguments `value` stands for.
pub fn to_event_args<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Args, Error> {
    let mut out = Out::with_capacity(name.len() + 32);
    out.text.push('[');
    json::write_string(&mut out.text, name);
    out.count = 1;
    value.serialize(Top { out: &mut out })?;
    out.text.push(']');
    Ok(out.finish())
}

/// `value` as one JSON value, for packets that carry no attachments (a CONNECT's auth, a
/// CONNECT_ERROR's data): bytes in it are an error.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = Out::with_capacity(32);
    value.serialize(Value { out: &mut out })?;
    if !out.attachments.is_empty() {
        return Err(Error(String::from(
            "binary data cannot go here: this packet carries no attachments",
        )));
    }
    Ok(out.text)
}

/// The text being written, its attachments and placeholders.
struct Out {
    text: String,
    attachments: Vec<Vec<u8>>,
    placeholders: Vec<Placeholder>,
    depth: usize,
    max_depth: usize,
    /// Arguments written so far (at the top level).
    count: usize,
}

impl Out {
    fn with_capacity(capacity: usize) -> Out {
        Out {
            text: String::with_capacity(capacity),
            attachments: Vec::new(),
            placeholders: Vec::new(),
            // The arguments' array.
            depth: 1,
            max_depth: 1,
            count: 0,
        }
    }

    fn finish(self) -> Args {
        Args::checked(
            self.text,
            self.attachments,
            self.placeholders,
            self.max_depth,
        )
    }

    /// Before a top-level argument: the comma after the one before.
    fn next_arg(&mut self) {
        if self.count > 0 {
            self.text.push(',');
        }
        self.count += 1;
    }

    fn open(&mut self, c: char) {
        self.text.push(c);
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
    }

    fn close(&mut self, c: char) {
        self.text.push(c);
        self.depth -= 1;
    }

    fn bytes(&mut self, v: &[u8]) {
        let start = self.text.len();
        let num = self.attachments.len();
        self.text.push_str("{\"_placeholder\":true,\"num\":");
        push_decimal(&mut self.text, num as u64);
        self.text.push('}');
        self.placeholders.push(Placeholder {
            start,
            end: self.text.len(),
            num: num as u64,
        });
        self.attachments.push(v.to_vec());
        self.max_depth = self.max_depth.max(self.depth + 1);
    }

    /// Appends the elements of `args` as arguments, each placeholder numbered after the
    /// attachments written so far, in text order, with its own copy of its attachment.
    fn splice(&mut self, args: &Args) {
        let text = args.text();
        let inner = text
            .get(1..text.len().saturating_sub(1))
            .unwrap_or_default();
        if json::trim(inner).is_empty() {
            return;
        }
        self.next_arg();
        let mut copied = 1;
        for p in args.placeholders() {
            self.text
                .push_str(text.get(copied..p.start).unwrap_or_default());
            let bytes = usize::try_from(p.num)
                .ok()
                .and_then(|n| args.attachments().get(n))
                .map_or(&[][..], Vec::as_slice);
            self.bytes(bytes);
            copied = p.end;
        }
        self.text
            .push_str(text.get(copied..text.len() - 1).unwrap_or_default());
        self.max_depth = self.max_depth.max(args.depth());
    }
}

mod compound;
mod key;
mod top;
mod value;

use compound::Compound;
use key::Key;
use top::Top;
use value::Value;
