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

/// Reads JSON values from a text that `json::scan` accepted. On other text it returns errors,
/// never panics.
struct Deserializer<'de> {
    b: &'de [u8],
    text: &'de str,
    pos: usize,
    /// Where the placeholders stand, sorted.
    placeholders: &'de [Placeholder],
    /// The first placeholder not before `pos`.
    next: usize,
    attachments: &'de [alloc::vec::Vec<u8>],
}

impl<'de> Deserializer<'de> {
    /// A deserializer of the text `null`.
    fn null() -> Self {
        Deserializer {
            b: b"null",
            text: "null",
            pos: 0,
            placeholders: &[],
            next: 0,
            attachments: &[],
        }
    }

    fn new(args: &'de Args) -> Self {
        Deserializer {
            b: args.text().as_bytes(),
            text: args.text(),
            pos: 0,
            placeholders: args.placeholders(),
            next: 0,
            attachments: args.attachments(),
        }
    }

    /// The next byte that is not whitespace, not consumed.
    fn peek(&mut self) -> Result<u8, Error> {
        self.pos = json::skip_ws(self.b, self.pos);
        self.b
            .get(self.pos)
            .copied()
            .ok_or_else(|| Error::at("unexpected end of JSON"))
    }

    fn expect(&mut self, c: u8) -> Result<(), Error> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn unexpected(&self) -> Error {
        let mut msg = String::from("unexpected character in JSON at byte ");
        crate::text::push_decimal(&mut msg, self.pos as u64);
        Error(msg)
    }

    /// The attachment whose placeholder starts at `pos` (an `{`), consumed; `None` if the object
    /// there is not a placeholder.
    fn placeholder(&mut self) -> Option<&'de [u8]> {
        while self
            .placeholders
            .get(self.next)
            .is_some_and(|p| p.start < self.pos)
        {
            self.next += 1;
        }
        let p = self.placeholders.get(self.next)?;
        if p.start != self.pos {
            return None;
        }
        let bytes = usize::try_from(p.num)
            .ok()
            .and_then(|n| self.attachments.get(n))?;
        self.pos = p.end;
        self.next += 1;
        Some(bytes)
    }

    /// The string whose quote is at `pos`, consumed; borrowed unless it has escapes.
    fn string(&mut self) -> Result<Cow<'de, str>, Error> {
        let b = self.b;
        let start = self.pos + 1;
        let mut i = json::find_special(b, start);
        let mut out: Option<String> = None;
        let mut run = start;
        loop {
            match b.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    let (ch, next) = json::decode_escape(b, i).map_err(|e| Error(e.to_string()))?;
                    let buf = out.get_or_insert_with(|| String::with_capacity(i - start + 16));
                    buf.push_str(self.text.get(run..i).unwrap_or_default());
                    buf.push(ch);
                    run = next;
                    i = json::find_special(b, next);
                }
                _ => return Err(Error::at("invalid JSON string")),
            }
        }
        let tail = self.text.get(run..i).unwrap_or_default();
        self.pos = i + 1;
        Ok(match out {
            None => Cow::Borrowed(tail),
            Some(mut buf) => {
                buf.push_str(tail);
                Cow::Owned(buf)
            }
        })
    }

    /// The number token at `pos`, consumed.
    fn number_token(&mut self) -> &'de str {
        let start = self.pos;
        let mut i = start;
        while self
            .b
            .get(i)
            .is_some_and(|c| matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            i += 1;
        }
        self.pos = i;
        self.text.get(start..i).unwrap_or_default()
    }

    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
        let token = self.number_token();
        let integral = !token.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'));
        if integral {
            // As serde_json: an integer that fits is one; a larger one is read as a float.
            if let Some(digits) = token.strip_prefix('-') {
                if let Some(n) = parse_u64(digits).and_then(|n| 0i64.checked_sub_unsigned(n)) {
                    return visitor.visit_i64(n);
                }
            } else if let Some(n) = parse_u64(token) {
                return visitor.visit_u64(n);
            }
        }
        match token.parse::<f64>() {
            Ok(f) if f.is_finite() => visitor.visit_f64(f),
            _ => Err(Error::at("invalid JSON number")),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), Error> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Skips the value at `pos` without reading it.
    fn skip(&mut self) -> Result<(), Error> {
        self.peek()?;
        self.pos = json::skip_value(self.b, self.pos).ok_or_else(|| self.unexpected())?;
        Ok(())
    }
}

fn parse_u64(digits: &str) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0u64, |n, c| {
        let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.peek()? {
            b'{' => match self.placeholder() {
                Some(bytes) => visitor.visit_borrowed_bytes(bytes),
                None => {
                    self.pos += 1;
                    let value = visitor.visit_map(Members::new(self))?;
                    self.expect(b'}')?;
                    Ok(value)
                }
            },
            b'[' => {
                self.pos += 1;
                let value = visitor.visit_seq(Elements {
                    de: self,
                    first: true,
                })?;
                self.expect(b']')?;
                Ok(value)
            }
            b'"' => match self.string()? {
                Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            },
            b't' => {
                self.literal("true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal("false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal("null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => self.number(visitor),
            _ => Err(self.unexpected()),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.peek()? == b'n' {
            self.literal("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.peek()? {
            b'"' => {
                let name = self.string()?;
                visitor.visit_enum(name.into_deserializer())
            }
            b'{' => {
                self.pos += 1;
                let value = visitor.visit_enum(Variant { de: self })?;
                self.expect(b'}')?;
                Ok(value)
            }
            _ => Err(Error::at(
                "expected an enum: a string or an object of one key",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The elements of an array whose `[` was read.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'a, 'de> Elements<'a, 'de> {
    /// Reads the `[` at the start of the arguments.
    fn enter(de: &'a mut Deserializer<'de>) -> Result<Self, Error> {
        de.expect(b'[')?;
        Ok(Elements { de, first: true })
    }

    /// Moves to the next element: `false` at the closing bracket (not consumed).
    fn advance(&mut self) -> Result<bool, Error> {
        let c = self.de.peek()?;
        if c == b']' {
            return Ok(false);
        }
        if !self.first {
            if c != b',' {
                return Err(self.de.unexpected());
            }
            self.de.pos += 1;
        }
        self.first = false;
        Ok(true)
    }

    fn at_end(&mut self) -> Result<bool, Error> {
        Ok(!self.advance()?)
    }

    /// Skips one element; `false` when there was none.
    fn skip(&mut self) -> Result<bool, Error> {
        if !self.advance()? {
            return Ok(false);
        }
        self.de.skip()?;
        Ok(true)
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.advance()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// The members of an object whose `{` was read.
struct Members<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    first: bool,
}

impl<'a, 'de> Members<'a, 'de> {
    fn new(de: &'a mut Deserializer<'de>) -> Self {
        Members { de, first: true }
    }
}

impl<'de> de::MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let c = self.de.peek()?;
        if c == b'}' {
            return Ok(None);
        }
        if !self.first {
            if c != b',' {
                return Err(self.de.unexpected());
            }
            self.de.pos += 1;
        }
        self.first = false;
        if self.de.peek()? != b'"' {
            return Err(self.de.unexpected());
        }
        let key = self.de.string()?;
        self.de.expect(b':')?;
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.de)
    }
}

/// An object key: a string, also read as a number or a boolean when the key type is one (as
/// serde_json reads `HashMap<u32, _>`).
struct Key<'de>(Cow<'de, str>);

macro_rules! parse_key {
    ($($method:ident => $visit:ident($t:ty)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(_) => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    parse_key! {
        deserialize_bool => visit_bool(bool),
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(self.0.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// `{"variant": value}`, the `{` read.
struct Variant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'a, 'de> de::EnumAccess<'de> for Variant<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        if self.de.peek()? != b'"' {
            return Err(self.de.unexpected());
        }
        let key = self.de.string()?;
        self.de.expect(b':')?;
        let value = seed.deserialize(Key(key))?;
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(&mut *self.de)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

/// A missing argument: `null`.
struct Null;

impl<'de> de::Deserializer<'de> for Null {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// The arguments as a whole (the array's `[` read, the skipped ones passed): a tuple takes one
/// argument per element, `()` none, anything else the first.
struct Top<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> Top<'_, 'de> {
    /// Anything but a tuple or `()`: the first argument, or `null` without one.
    fn first<V, F>(self, read: F, visitor: V) -> Result<V::Value, Error>
    where
        V: Visitor<'de>,
        F: FnOnce(&mut Deserializer<'de>, V) -> Result<V::Value, Error>,
    {
        match self.de.peek()? {
            // No argument: read as `null` by the same method, so that each type takes a missing
            // argument as it takes `null`.
            b']' => read(&mut Deserializer::null(), visitor),
            // After skipped arguments (the event name), the comma before this one.
            b',' => {
                self.de.pos += 1;
                read(self.de, visitor)
            }
            _ => read(self.de, visitor),
        }
    }
}

macro_rules! first_arg {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.first(|de, v| de::Deserializer::$method(de, v), visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Top<'_, 'de> {
    type Error = Error;

    first_arg! {
        deserialize_any, deserialize_bool, deserialize_i8, deserialize_i16, deserialize_i32,
        deserialize_i64, deserialize_i128, deserialize_u8, deserialize_u16, deserialize_u32,
        deserialize_u64, deserialize_u128, deserialize_f32, deserialize_f64, deserialize_char,
        deserialize_str, deserialize_string, deserialize_bytes, deserialize_byte_buf,
        deserialize_option, deserialize_seq, deserialize_map, deserialize_identifier,
        deserialize_ignored_any,
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.first(
            |de, v| de::Deserializer::deserialize_unit_struct(de, name, v),
            visitor,
        )
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        // `usize::MAX`: every argument, as many as there are (what a list of all arguments asks).
        visitor.visit_seq(TopElements {
            seq: Elements {
                first: !matches!(self.de.peek(), Ok(b',')),
                de: self.de,
            },
            wanted: len,
            given: 0,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.first(
            |de, v| de::Deserializer::deserialize_tuple_struct(de, name, len, v),
            visitor,
        )
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.first(
            |de, v| de::Deserializer::deserialize_struct(de, name, fields, v),
            visitor,
        )
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.first(
            |de, v| de::Deserializer::deserialize_enum(de, name, variants, v),
            visitor,
        )
    }
}

/// The arguments as a tuple's elements: `null` for the missing ones up to `wanted`, and the extra
/// ones left unread.
struct TopElements<'a, 'de> {
    seq: Elements<'a, 'de>,
    wanted: usize,
    given: usize,
}

impl<'de> de::SeqAccess<'de> for TopElements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.given >= self.wanted {
            return Ok(None);
        }
        self.given += 1;
        if self.seq.advance()? {
            return seed.deserialize(&mut *self.seq.de).map(Some);
        }
        if self.wanted == usize::MAX {
            return Ok(None);
        }
        seed.deserialize(Null).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        (self.wanted != usize::MAX).then(|| self.wanted - self.given)
    }
}
