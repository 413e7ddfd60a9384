//! One JSON value, bytes among it becoming attachments.

use super::*;

/// One JSON value.
pub(super) struct Value<'a> {
    pub(super) out: &'a mut Out,
}

impl Value<'_> {
    pub(super) fn raw(self, s: &str) -> Result<(), Error> {
        self.out.text.push_str(s);
        Ok(())
    }

    pub(super) fn integer(self, v: u64, negative: bool) -> Result<(), Error> {
        if negative {
            self.out.text.push('-');
        }
        push_decimal(&mut self.out.text, v);
        Ok(())
    }

    pub(super) fn display(self, v: impl fmt::Display) -> Result<(), Error> {
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
