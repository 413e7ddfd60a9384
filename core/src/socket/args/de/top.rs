//! The arguments as a whole: a tuple takes one argument per element, `()` none, anything else
//! the first.

use super::*;

/// The arguments as a whole (the array's `[` read, the skipped ones passed): a tuple takes one
/// argument per element, `()` none, anything else the first.
pub(super) struct Top<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
}

impl<'de> Top<'_, 'de> {
    /// Anything but a tuple or `()`: the first argument, or `null` without one.
    pub(super) fn first<V, F>(self, read: F, visitor: V) -> Result<V::Value, Error>
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
pub(super) struct TopElements<'a, 'de> {
    pub(super) seq: Elements<'a, 'de>,
    pub(super) wanted: usize,
    pub(super) given: usize,
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
