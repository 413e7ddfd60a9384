//! The data model of event arguments: JSON values plus binary, anywhere.
//!
//! Socket.IO event arguments are JSON values in which any node may be binary data. On the wire the
//! binary nodes are replaced by `{"_placeholder":true,"num":n}` and the bytes travel as attachments
//! (the core owns that framing). Here a [`Value`] tree holds them in place: [`Value::Binary`].
//!
//! Application code rarely touches [`Value`]: emits take any [`Serialize`] and handlers read any
//! [`Deserialize`]. Bytes serialized with `serialize_bytes` (`bytes::Bytes`, `serde_bytes`) become
//! [`Value::Binary`] and so attachments; a `Vec<u8>` serializes as an array of numbers, as serde
//! does everywhere. Deserializing a binary node into `Vec<u8>`, `Bytes` or `serde_bytes::ByteBuf`
//! works.
//!
//! # Arguments
//!
//! An event carries a list of arguments. [`to_args`] and [`from_args`] map one Rust value to that
//! list: a **tuple** is several arguments, `()` is none, and anything else is one argument.
//!
//! ```
//! use sockeye_server::value::{to_args, from_args, Value};
//! assert_eq!(to_args(&("a", 1)).unwrap().len(), 2);      // two arguments
//! assert_eq!(to_args(&vec![1, 2]).unwrap().len(), 1);     // one argument, an array
//! assert_eq!(to_args(&()).unwrap().len(), 0);             // none
//! let (a, b): (String, Option<u8>) = from_args(vec![Value::from("x")]).unwrap();
//! assert_eq!((a.as_str(), b), ("x", None));               // missing trailing arguments are null
//! ```
//!
//! Fixed-size arrays (`[T; N]`) are tuples to serde: `&[1, 2]` is two arguments; send a slice or a
//! `Vec` for one array argument.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize};
use serde::{Deserialize, Deserializer};

pub use serde_json::Number;

/// A JSON value in which any node may be binary.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// `null` (also what `undefined` and `NaN` become on the wire).
    #[default]
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// Binary data: an attachment on the wire.
    Binary(Bytes),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in their order (a repeated key keeps its first place and its last value,
    /// as `JSON.parse` does).
    Object(Vec<(String, Value)>),
}

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

impl Value {
    /// The value under `key`, for an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, for a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, for binary.
    pub fn as_bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Inserts or replaces `key` in an object (a no-op on other values).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Object(entries) = self {
            let key = key.into();
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => *v = value,
                None => entries.push((key, value)),
            }
        }
    }

    /// Converts to a `T` through serde.
    pub fn deserialize_into<T: de::DeserializeOwned>(self) -> Result<T, ValueError> {
        T::deserialize(self)
    }

    /// Converts any `T: Serialize` to a value; bytes become [`Value::Binary`].
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
        value.serialize(ValueSerializer)
    }

    /// Whether any node is binary.
    pub fn has_binary(&self) -> bool {
        match self {
            Value::Binary(_) => true,
            Value::Array(items) => items.iter().any(Value::has_binary),
            Value::Object(entries) => entries.iter().any(|(_, v)| v.has_binary()),
            _ => false,
        }
    }

    /// JSON text of this value, binary as placeholders numbered from `attachments.len()`, whose
    /// bytes are appended to `attachments`.
    pub fn write_json(&self, out: &mut String, attachments: &mut Vec<Vec<u8>>) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => proto::json::write_string(out, s),
            Value::Binary(b) => {
                out.push_str("{\"_placeholder\":true,\"num\":");
                out.push_str(&attachments.len().to_string());
                out.push('}');
                attachments.push(b.to_vec());
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out, attachments);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    proto::json::write_string(out, k);
                    out.push(':');
                    v.write_json(out, attachments);
                }
                out.push('}');
            }
        }
    }

    /// Parses JSON text and puts the attachments back where their placeholders are.
    pub fn from_json(text: &str, attachments: &[Bytes]) -> Result<Value, ValueError> {
        let mut value: Value =
            serde_json::from_str(text).map_err(|e| ValueError(format!("invalid JSON: {e}")))?;
        value.fill_placeholders(attachments)?;
        Ok(value)
    }

    /// Replaces each `{"_placeholder":true,"num":n}` by attachment `n`.
    fn fill_placeholders(&mut self, attachments: &[Bytes]) -> Result<(), ValueError> {
        match self {
            Value::Object(entries) => {
                let is_placeholder = entries
                    .iter()
                    .any(|(k, v)| k == "_placeholder" && *v == Value::Bool(true));
                if is_placeholder {
                    let num = entries
                        .iter()
                        .find(|(k, _)| k == "num")
                        .and_then(|(_, v)| match v {
                            Value::Number(n) => n.as_u64(),
                            _ => None,
                        })
                        .and_then(|n| usize::try_from(n).ok())
                        .and_then(|n| attachments.get(n));
                    match num {
                        Some(bytes) => *self = Value::Binary(bytes.clone()),
                        None => return Err(ValueError("illegal attachments".into())),
                    }
                    return Ok(());
                }
                for (_, v) in entries {
                    v.fill_placeholders(attachments)?;
                }
                Ok(())
            }
            Value::Array(items) => items
                .iter_mut()
                .try_for_each(|v| v.fill_placeholders(attachments)),
            _ => Ok(()),
        }
    }
}

/// JSON text without binary (binary nodes print as `{"_placeholder":...}`), for logs.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_json(&mut out, &mut Vec::new());
        f.write_str(&out)
    }
}

macro_rules! from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number::from(n))
            }
        }
    )*};
}
from_number!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<Bytes> for Value {
    fn from(b: Bytes) -> Value {
        Value::Binary(b)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

// ---- Serialize / Deserialize for Value ----

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Binary(b) => serializer.serialize_bytes(b),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value or bytes")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::copy_from_slice(v)))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Binary(Bytes::from(v)))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Value::Object(Vec::new());
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

// ---- Value as a Deserializer ----

struct SeqDeser<I>(I);

impl<'de, I: Iterator<Item = Value>> SeqAccess<'de> for SeqDeser<I> {
    type Error = ValueError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        match self.0.next() {
            Some(v) => seed.deserialize(v).map(Some),
            None => Ok(None),
        }
    }
}

struct MapDeser {
    iter: std::vec::IntoIter<(String, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for MapDeser {
    type Error = ValueError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(Value::String(k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        seed.deserialize(self.value.take().unwrap_or_default())
    }
}

struct EnumDeser {
    variant: String,
    value: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumDeser {
    type Error = ValueError;
    type Variant = VariantDeser;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDeser), ValueError> {
        let v = seed.deserialize(Value::String(self.variant))?;
        Ok((v, VariantDeser(self.value)))
    }
}

struct VariantDeser(Option<Value>);

impl<'de> de::VariantAccess<'de> for VariantDeser {
    type Error = ValueError;
    fn unit_variant(self) -> Result<(), ValueError> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(de::Error::custom("expected a unit variant")),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        seed.deserialize(self.0.unwrap_or_default())
    }
    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        de::Deserializer::deserialize_seq(self.0.unwrap_or_default(), visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        de::Deserializer::deserialize_map(self.0.unwrap_or_default(), visitor)
    }
}

impl<'de> IntoDeserializer<'de, ValueError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => n
                .deserialize_any(visitor)
                .map_err(|e| ValueError(e.to_string())),
            Value::String(s) => visitor.visit_string(s),
            Value::Binary(b) => visitor.visit_byte_buf(b.to_vec()),
            Value::Array(items) => visitor.visit_seq(SeqDeser(items.into_iter())),
            Value::Object(entries) => visitor.visit_map(MapDeser {
                iter: entries.into_iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            // `Vec<u8>` reads binary as a sequence of bytes.
            Value::Binary(b) => visitor.visit_seq(SeqDeser(b.into_iter().map(Value::from))),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Binary(b) => visitor.visit_byte_buf(b.to_vec()),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(variant) => visitor.visit_enum(EnumDeser {
                variant,
                value: None,
            }),
            Value::Object(mut entries) if entries.len() == 1 => {
                let (variant, value) = entries.remove(0);
                visitor.visit_enum(EnumDeser {
                    variant,
                    value: Some(value),
                })
            }
            _ => Err(de::Error::custom(
                "expected an enum: a string or an object with one key",
            )),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        // `()` accepts anything, as a handler that ignores its data should.
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

// ---- any Serialize into a Value ----

/// Serializes into a [`Value`]; `serialize_bytes` gives [`Value::Binary`].
struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SerializeVec;
    type SerializeTuple = SerializeVec;
    type SerializeTupleStruct = SerializeVec;
    type SerializeTupleVariant = SerializeVariant<SerializeVec>;
    type SerializeMap = SerializeObject;
    type SerializeStruct = SerializeObject;
    type SerializeStructVariant = SerializeVariant<SerializeObject>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        i64::try_from(v)
            .map(Value::from)
            .map_err(|_| ValueError("integer out of JSON range".into()))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        u64::try_from(v)
            .map(Value::from)
            .map_err(|_| ValueError("integer out of JSON range".into()))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::from(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::from(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Binary(Bytes::copy_from_slice(v)))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        Ok(Value::Object(vec![(
            variant.to_owned(),
            value.serialize(ValueSerializer)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SerializeVec, ValueError> {
        Ok(SerializeVec(Vec::with_capacity(len.unwrap_or(0).min(1024))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SerializeVec, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SerializeVec, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SerializeVariant<SerializeVec>, ValueError> {
        Ok(SerializeVariant(variant, self.serialize_seq(Some(len))?))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<SerializeObject, ValueError> {
        Ok(SerializeObject {
            object: Value::Object(Vec::new()),
            key: None,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SerializeObject, ValueError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SerializeVariant<SerializeObject>, ValueError> {
        Ok(SerializeVariant(variant, self.serialize_map(Some(len))?))
    }
}

struct SerializeVec(Vec<Value>);

impl ser::SerializeSeq for SerializeVec {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for SerializeVec {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SerializeVec {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

struct SerializeObject {
    object: Value,
    key: Option<String>,
}

impl ser::SerializeMap for SerializeObject {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(match key.serialize(ValueSerializer)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(ValueError("object keys must be strings".into())),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self.key.take().unwrap_or_default();
        self.object.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.object)
    }
}

impl ser::SerializeStruct for SerializeObject {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        self.object.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.object)
    }
}

struct SerializeVariant<S>(&'static str, S);

impl ser::SerializeTupleVariant for SerializeVariant<SerializeVec> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(&mut self.1, value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Object(vec![(
            self.0.to_owned(),
            ser::SerializeSeq::end(self.1)?,
        )]))
    }
}

impl ser::SerializeStructVariant for SerializeVariant<SerializeObject> {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        ser::SerializeStruct::serialize_field(&mut self.1, key, value)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Object(vec![(
            self.0.to_owned(),
            ser::SerializeStruct::end(self.1)?,
        )]))
    }
}

// ---- arguments ----

/// An event's arguments from one Rust value: a tuple gives one argument per element, `()` none,
/// anything else one. A [`Value::Array`]-free shortcut: pass a `Vec<Value>` through
/// [`Args`] to send exactly those arguments.
pub fn to_args<T: Serialize + ?Sized>(value: &T) -> Result<Vec<Value>, ValueError> {
    value.serialize(ArgsSerializer)
}

/// Reads an event's (or an ack's) arguments as one Rust value: a tuple takes one argument per
/// element (missing trailing ones are `null`), `()` takes none, anything else takes the first.
pub fn from_args<T: de::DeserializeOwned>(args: Vec<Value>) -> Result<T, ValueError> {
    T::deserialize(ArgsDeserializer(args))
}

/// A list of arguments sent as given (serializes as a tuple of its items).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args(pub Vec<Value>);

impl Serialize for Args {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeTuple;
        let mut t = serializer.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Args {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Args, D::Error> {
        // Through `from_args`, a tuple of unknown length: take every argument.
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = Args;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Args, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Args(items))
            }
        }
        d.deserialize_tuple(usize::MAX, ArgsVisitor)
    }
}

struct ArgsSerializer;

macro_rules! one_arg {
    ($($name:ident($($arg:ident: $t:ty),*);)*) => {$(
        fn $name(self, $($arg: $t),*) -> Result<Vec<Value>, ValueError> {
            Ok(vec![ValueSerializer.$name($($arg),*)?])
        }
    )*};
}

impl ser::Serializer for ArgsSerializer {
    type Ok = Vec<Value>;
    type Error = ValueError;
    type SerializeSeq = OneArg<SerializeVec>;
    type SerializeTuple = SerializeArgs;
    type SerializeTupleStruct = OneArg<SerializeVec>;
    type SerializeTupleVariant = OneArg<SerializeVariant<SerializeVec>>;
    type SerializeMap = OneArg<SerializeObject>;
    type SerializeStruct = OneArg<SerializeObject>;
    type SerializeStructVariant = OneArg<SerializeVariant<SerializeObject>>;

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

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<Value>, ValueError> {
        Ok(vec![value.serialize(ValueSerializer)?])
    }
    fn serialize_unit(self) -> Result<Vec<Value>, ValueError> {
        Ok(Vec::new())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Vec<Value>, ValueError> {
        // A newtype is transparent: `Args(vec)` style wrappers keep their inner shape.
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Vec<Value>, ValueError> {
        Ok(vec![
            ValueSerializer.serialize_newtype_variant(name, index, variant, value)?,
        ])
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Ok(OneArg(ValueSerializer.serialize_seq(len)?))
    }
    fn serialize_tuple(self, len: usize) -> Result<SerializeArgs, ValueError> {
        Ok(SerializeArgs(Vec::with_capacity(len.min(64))))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Ok(OneArg(ValueSerializer.serialize_tuple_struct(name, len)?))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Ok(OneArg(
            ValueSerializer.serialize_tuple_variant(name, index, variant, len)?,
        ))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Ok(OneArg(ValueSerializer.serialize_map(len)?))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Ok(OneArg(ValueSerializer.serialize_struct(name, len)?))
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Ok(OneArg(
            ValueSerializer.serialize_struct_variant(name, index, variant, len)?,
        ))
    }
}

struct SerializeArgs(Vec<Value>);

impl ser::SerializeTuple for SerializeArgs {
    type Ok = Vec<Value>;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Vec<Value>, ValueError> {
        Ok(self.0)
    }
}

/// A compound serialized as one argument.
struct OneArg<S>(S);

macro_rules! one_arg_compound {
    ($tr:ident, $method:ident $(, $key:ident)?) => {
        impl<S: ser::$tr<Ok = Value, Error = ValueError>> ser::$tr for OneArg<S> {
            type Ok = Vec<Value>;
            type Error = ValueError;
            fn $method<T: Serialize + ?Sized>(&mut self, $($key: &'static str,)? value: &T) -> Result<(), ValueError> {
                self.0.$method($($key,)? value)
            }
            fn end(self) -> Result<Vec<Value>, ValueError> {
                Ok(vec![self.0.end()?])
            }
        }
    };
}
one_arg_compound!(SerializeSeq, serialize_element);
one_arg_compound!(SerializeTupleStruct, serialize_field);
one_arg_compound!(SerializeTupleVariant, serialize_field);
one_arg_compound!(SerializeStruct, serialize_field, key);
one_arg_compound!(SerializeStructVariant, serialize_field, key);

impl<S: ser::SerializeMap<Ok = Value, Error = ValueError>> ser::SerializeMap for OneArg<S> {
    type Ok = Vec<Value>;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.0.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.0.serialize_value(value)
    }
    fn end(self) -> Result<Vec<Value>, ValueError> {
        Ok(vec![self.0.end()?])
    }
}

struct ArgsDeserializer(Vec<Value>);

impl ArgsDeserializer {
    fn first(self) -> Value {
        self.0.into_iter().next().unwrap_or_default()
    }
}

impl<'de> Deserializer<'de> for ArgsDeserializer {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.first().deserialize_any(visitor)
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_unit()
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        if len == usize::MAX {
            // `Args`: every argument, as many as there are.
            return visitor.visit_seq(SeqDeser(self.0.into_iter()));
        }
        let missing = len.saturating_sub(self.0.len());
        let items = self
            .0
            .into_iter()
            .chain(std::iter::repeat_n(Value::Null, missing));
        visitor.visit_seq(SeqDeser(items))
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.first().deserialize_option(visitor)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.first().deserialize_seq(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.first().deserialize_bytes(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.first().deserialize_byte_buf(visitor)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.first().deserialize_newtype_struct(name, visitor)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.first().deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit_struct tuple_struct map struct identifier ignored_any
    }
}

/// Encodes `["event", ...args]` as JSON text with placeholders, and the attachments.
#[cfg(test)]
fn encode_event(event: &str, args: &[Value]) -> (String, Vec<Vec<u8>>) {
    let mut out = String::with_capacity(32);
    let mut attachments = Vec::new();
    out.push('[');
    proto::json::write_string(&mut out, event);
    for arg in args {
        out.push(',');
        arg.write_json(&mut out, &mut attachments);
    }
    out.push(']');
    (out, attachments)
}

/// Encodes an ack's arguments as a JSON array with placeholders, and the attachments.
pub(crate) fn encode_array(args: &[Value]) -> (String, Vec<Vec<u8>>) {
    let mut out = String::with_capacity(16);
    let mut attachments = Vec::new();
    out.push('[');
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        arg.write_json(&mut out, &mut attachments);
    }
    out.push(']');
    (out, attachments)
}

/// Decodes a JSON array (an event's or an ack's) with its attachments into its items.
pub(crate) fn decode_array(
    text: &str,
    attachments: Vec<Vec<u8>>,
) -> Result<Vec<Value>, ValueError> {
    let attachments: Vec<Bytes> = attachments.into_iter().map(Bytes::from).collect();
    match Value::from_json(text, &attachments)? {
        Value::Array(items) => Ok(items),
        _ => Err(ValueError("expected a JSON array".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct File {
        name: String,
        #[serde(with = "bytes_as_binary")]
        data: Vec<u8>,
    }

    mod bytes_as_binary {
        pub(super) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
        pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<u8>, D::Error> {
            let b: bytes::Bytes = serde::Deserialize::deserialize(d)?;
            Ok(b.to_vec())
        }
    }

    #[test]
    fn binary_anywhere_becomes_placeholders_and_comes_back() {
        let file = File {
            name: "a.bin".into(),
            data: vec![1, 2, 3],
        };
        let args = to_args(&("upload", &file, Bytes::from_static(&[9]))).unwrap();
        let (text, attachments) = encode_event("ev", &args);
        assert_eq!(
            text,
            r#"["ev","upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#
        );
        assert_eq!(attachments, vec![vec![1, 2, 3], vec![9]]);
        let items = decode_array(&text, attachments).unwrap();
        let (ev, name, back, last): (String, String, File, Bytes) = from_args(items).unwrap();
        assert_eq!((ev.as_str(), name.as_str()), ("ev", "upload"));
        assert_eq!(back, file);
        assert_eq!(&last[..], &[9]);
    }

    #[test]
    fn tuples_are_arguments_and_vectors_are_one() {
        assert_eq!(to_args(&()).unwrap(), vec![]);
        assert_eq!(to_args(&"x").unwrap(), vec![Value::from("x")]);
        assert_eq!(
            to_args(&vec![1, 2]).unwrap(),
            vec![Value::Array(vec![1.into(), 2.into()])]
        );
        assert_eq!(to_args(&(1, "b")).unwrap(), vec![1.into(), "b".into()]);
        let args = Args(vec![1.into(), Value::Null]);
        assert_eq!(to_args(&args).unwrap(), args.0);
        let back: Args = from_args(args.0.clone()).unwrap();
        assert_eq!(back, args);
    }

    #[test]
    fn one_value_reads_the_first_argument() {
        let n: u32 = from_args(vec![7.into(), "rest".into()]).unwrap();
        assert_eq!(n, 7);
        let none: Option<String> = from_args(vec![]).unwrap();
        assert_eq!(none, None);
        let v: Vec<u8> = from_args(vec![Value::Binary(Bytes::from_static(b"ab"))]).unwrap();
        assert_eq!(v, b"ab");
        assert!(from_args::<u32>(vec!["x".into()]).is_err());
    }

    #[test]
    fn objects_keep_key_order_and_the_last_duplicate() {
        let v = Value::from_json(r#"{"b":1,"a":2,"b":3}"#, &[]).unwrap();
        assert_eq!(v.to_string(), r#"{"b":3,"a":2}"#);
    }

    #[test]
    fn a_placeholder_past_the_attachments_is_refused() {
        assert!(Value::from_json(r#"[{"_placeholder":true,"num":1}]"#, &[Bytes::new()]).is_err());
    }

    #[test]
    fn enums_round_trip() {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        enum E {
            A,
            B(u8),
            C { x: bool },
        }
        for e in [E::A, E::B(1), E::C { x: true }] {
            let v = Value::from_serialize(&e).unwrap();
            assert_eq!(v.deserialize_into::<E>().unwrap(), e);
        }
    }
}
