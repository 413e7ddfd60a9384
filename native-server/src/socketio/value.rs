//! [`Value`]: a dynamic value for handlers that want one, JSON in which any node may be binary.
//!
//! Handlers usually read their arguments straight into their own types (`Data<T>`, see
//! [`extract`](crate::extract)), which reads the wire text without a tree. `Value` is for data of
//! no fixed shape: `Data<Value>` reads one argument into it, in time linear in its size (objects
//! keep a key index, [`Map`]); binary attachments land in [`Value::Binary`] wherever their
//! placeholders stood. Sending a `Value` writes it back with its binary as attachments.
//!
//! ```
//! use sockeye_server::Value;
//! let v: Value = serde_json::json!({"name": "a", "tags": [1, 2]}).into();
//! assert_eq!(v.get("name").and_then(Value::as_str), Some("a"));
//! assert_eq!(v.to_string(), r#"{"name":"a","tags":[1,2]}"#);
//! ```

use std::fmt;

use bytes::Bytes;
use proto::socket::args::{Args, de, ser};
use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

pub use map::Map;
pub use serde_json::Number;

use proto::socket::args::de::Error as DataError;
use proto::socket::args::ser::Error as SerializeError;

mod map;

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
    /// An object.
    Object(Map),
}

impl Value {
    /// The value under `key`, for an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(map) => map.get(key),
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

    /// The boolean, for one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as a `u64`, when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as an `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as an `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// The items, for an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, for an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Sets `key` in an object (does nothing to other values).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        if let Value::Object(map) = self {
            map.insert(key, value);
        }
    }

    /// Whether any node is binary.
    pub fn has_binary(&self) -> bool {
        match self {
            Value::Binary(_) => true,
            Value::Array(items) => items.iter().any(Value::has_binary),
            Value::Object(map) => map.values().any(Value::has_binary),
            _ => false,
        }
    }

    /// Any serializable value as a `Value` (bytes become [`Value::Binary`]).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerializeError> {
        let args = ser::to_args(&(value,))?;
        // What the writer wrote, the reader reads; an error would be a bug in one of them.
        de::from_args(&args).map_err(<SerializeError as serde::ser::Error>::custom)
    }

    /// This value as a `T`.
    pub fn deserialize_into<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        let args = ser::to_args(&(self,)).map_err(<DataError as serde::de::Error>::custom)?;
        de::from_args(&args)
    }

    /// The first argument of `args` as a `Value` (`null` without one).
    pub fn from_args(args: &Args) -> Result<Value, DataError> {
        de::from_args(args)
    }
}

/// JSON text, binary nodes as their placeholders (`{"_placeholder":true,"num":n}`), for logs.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match ser::to_args(&(self,)) {
            Ok(args) => {
                let text = args.text();
                f.write_str(text.get(1..text.len() - 1).unwrap_or_default())
            }
            Err(e) => write!(f, "<{e}>"),
        }
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

impl From<Map> for Value {
    fn from(map: Map) -> Value {
        Value::Object(map)
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

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            // `none`, not `unit`: as an emit's data, unit would be no argument at all.
            Value::Null => serializer.serialize_none(),
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
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (k, v) in map.iter() {
                    out.serialize_entry(k, v)?;
                }
                out.end()
            }
        }
    }
}

/// Every argument as a [`Value`], as many as there are: `Data<Values>` in a handler reads all of
/// an event's arguments, and sending `Values` sends each as one argument (where a `Vec<Value>`
/// would be one array argument).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values(pub Vec<Value>);

impl Values {
    /// The arguments of `args` (all of them; for an EVENT's, the name first).
    pub fn from_args(args: &Args) -> Result<Values, DataError> {
        de::from_args(args)
    }

    /// These values as arguments.
    pub fn to_args(&self) -> Result<Args, SerializeError> {
        ser::to_args(self)
    }
}

impl Serialize for Values {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        // A tuple: one argument per value.
        let mut t = serializer.serialize_tuple(self.0.len())?;
        for v in &self.0 {
            t.serialize_element(v)?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        struct All;
        impl<'de> Visitor<'de> for All {
            type Value = Values;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element()? {
                    items.push(v);
                }
                Ok(Values(items))
            }
        }
        // A tuple of unknown length: every argument, as many as there are.
        d.deserialize_tuple(usize::MAX, All)
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

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // The hint comes from the peer's data: bound what it may reserve.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = access.next_entry::<String, Value>()? {
            map.insert(k, v);
        }
        Ok(Value::Object(map))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::socket::args::ser::ToArgs;

    #[test]
    fn binary_anywhere_round_trips() {
        let mut file = Map::new();
        file.insert("name", "a.bin".into());
        file.insert("data", Value::Binary(Bytes::from_static(&[1, 2, 3])));
        let value = Value::Array(vec![Value::Object(file), Value::Null]);
        let args = value.to_event_args("up").unwrap();
        assert_eq!(
            args.text(),
            r#"["up",[{"name":"a.bin","data":{"_placeholder":true,"num":0}},null]]"#
        );
        assert_eq!(args.attachments(), &[vec![1, 2, 3]]);
        let back: Value = de::from_event_args(&args).unwrap();
        assert_eq!(back, value);
        assert!(back.has_binary());
    }

    #[test]
    fn values_are_every_argument() {
        let args = Args::from_json(r#"["a",1,{"x":null}]"#, vec![]).unwrap();
        let values = Values::from_args(&args).unwrap();
        assert_eq!(values.0.len(), 3);
        assert_eq!(values.to_args().unwrap().text(), r#"["a",1,{"x":null}]"#);
        let one: Vec<Value> = de::from_args(&args).unwrap_or_default();
        assert!(
            one.is_empty(),
            "a Vec reads the first argument: not an array here"
        );
    }

    #[test]
    fn null_is_one_argument() {
        assert_eq!(Value::Null.to_args().unwrap().text(), "[null]");
    }

    #[test]
    fn objects_keep_key_order_and_the_last_duplicate() {
        let args = Args::from_json(r#"[{"b":1,"a":2,"b":3}]"#, vec![]).unwrap();
        let v = Value::from_args(&args).unwrap();
        assert_eq!(v.to_string(), r#"{"b":3,"a":2}"#);
    }

    #[test]
    fn typed_values_come_and_go() {
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

    /// Building a `Value` is linear in the size of the text: a 90,000-key object (1 MB; the
    /// quadratic tree this replaced took 24 s of CPU in a release build) reads in tens of
    /// milliseconds even in a debug build. The bound leaves a wide margin for a busy machine and
    /// still fails any quadratic reader by minutes.
    #[test]
    fn a_wide_object_reads_in_linear_time() {
        let mut text = String::from("[{");
        for i in 0..90_000 {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"key{i}\":{i}"));
        }
        text.push_str("}]");
        assert!(text.len() > 1_000_000);
        let args = Args::from_json(text, vec![]).unwrap();
        let start = std::time::Instant::now();
        let v = Value::from_args(&args).unwrap();
        let took = start.elapsed();
        assert_eq!(v.as_object().map(Map::len), Some(90_000));
        assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    }
}
