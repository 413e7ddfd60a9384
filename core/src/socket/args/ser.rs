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

/// The arguments as a whole: a tuple is several, `()` none, anything else one.
struct Top<'a> {
    out: &'a mut Out,
}

impl<'a> Top<'a> {
    fn one(self) -> Value<'a> {
        self.out.next_arg();
        Value { out: self.out }
    }
}

macro_rules! one_arg {
    ($($method:ident($($arg:ident: $t:ty),*);)*) => {$(
        fn $method(self, $($arg: $t),*) -> Result<(), Error> {
            ser::Serializer::$method(self.one(), $($arg),*)
        }
    )*};
}

impl<'a> ser::Serializer for Top<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = TopTuple<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    one_arg! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self.one())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::Serializer::serialize_newtype_variant(self.one(), name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_seq(len)
    }

    fn serialize_tuple(self, _len: usize) -> Result<TopTuple<'a>, Error> {
        Ok(TopTuple { out: self.out })
    }

    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_map(len)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_struct(name, len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.out.next_arg();
        Value { out: self.out }.serialize_struct_variant(name, index, variant, len)
    }
}

/// A top-level tuple: each element one argument.
struct TopTuple<'a> {
    out: &'a mut Out,
}

impl ser::SerializeTuple for TopTuple<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.out.next_arg();
        value.serialize(Value { out: self.out })
    }

    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// One JSON value.
struct Value<'a> {
    out: &'a mut Out,
}

impl Value<'_> {
    fn raw(self, s: &str) -> Result<(), Error> {
        self.out.text.push_str(s);
        Ok(())
    }

    fn integer(self, v: u64, negative: bool) -> Result<(), Error> {
        if negative {
            self.out.text.push('-');
        }
        push_decimal(&mut self.out.text, v);
        Ok(())
    }

    fn display(self, v: impl fmt::Display) -> Result<(), Error> {
        // Writing to a String cannot fail.
        let _ = write!(self.out.text, "{v}");
        Ok(())
    }
}

impl<'a> ser::Serializer for Value<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.raw(if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.integer(v.unsigned_abs(), v < 0)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.integer(u64::from(v), false)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.integer(u64::from(v), false)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.integer(u64::from(v), false)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.integer(v, false)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.display(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return self.raw("null");
        }
        // The shortest text that reads back as this f32, as JavaScript would print it.
        let magnitude = v.abs();
        if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
            let _ = write!(self.out.text, "{v:e}");
            Ok(())
        } else {
            self.display(v)
        }
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return self.raw("null");
        }
        // The shortest text that reads back as this number; exponent notation where
        // JavaScript's `Number.prototype.toString` uses it (below 1e-6, from 1e21).
        let magnitude = v.abs();
        if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
            let _ = write!(self.out.text, "{v:e}");
            Ok(())
        } else {
            self.display(v)
        }
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut buf = [0; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        json::write_string(&mut self.out.text, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.out.bytes(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.raw("null")
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.raw("null")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.raw("null")
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let out = self.out;
        out.open('{');
        json::write_string(&mut out.text, variant);
        out.text.push(':');
        value.serialize(Value { out: &mut *out })?;
        out.close('}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.open('[');
        Ok(Compound::new(self.out, ']', false))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        let out = self.out;
        out.open('{');
        json::write_string(&mut out.text, variant);
        out.text.push(':');
        out.open('[');
        Ok(Compound::new(out, ']', true))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.out.open('{');
        Ok(Compound::new(self.out, '}', false))
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        let out = self.out;
        out.open('{');
        json::write_string(&mut out.text, variant);
        out.text.push(':');
        out.open('{');
        Ok(Compound::new(out, '}', true))
    }
}

/// An array or object being written; `variant` when it sits in `{"variant": ...}`.
struct Compound<'a> {
    out: &'a mut Out,
    close: char,
    variant: bool,
    first: bool,
}

impl<'a> Compound<'a> {
    fn new(out: &'a mut Out, close: char, variant: bool) -> Self {
        Compound {
            out,
            close,
            variant,
            first: true,
        }
    }

    fn comma(&mut self) {
        if !self.first {
            self.out.text.push(',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(Value { out: self.out })
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        self.comma();
        json::write_string(&mut self.out.text, key);
        self.out.text.push(':');
        value.serialize(Value { out: self.out })
    }

    fn finish(self) -> Result<(), Error> {
        self.out.close(self.close);
        if self.variant {
            self.out.close('}');
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(Key {
            out: &mut self.out.text,
        })?;
        self.out.text.push(':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(Value { out: self.out })
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// An object key: a string, or a number or boolean written as one (as serde_json does).
struct Key<'a> {
    out: &'a mut String,
}

impl Key<'_> {
    fn quoted(self, v: impl fmt::Display) -> Result<(), Error> {
        let _ = write!(self.out, "\"{v}\"");
        Ok(())
    }
}

fn key_error() -> Error {
    Error(String::from(
        "an object key must be a string, a number or a boolean",
    ))
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        json::write_string(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        let mut buf = [0; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted(v)
    }

    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_error())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_error())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_error())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_error())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_error())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_error())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_error())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_error())
    }
}
