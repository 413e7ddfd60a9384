//! The arguments as a whole: a tuple is several, `()` none, anything else one.

use super::*;

/// The arguments as a whole: a tuple is several, `()` none, anything else one.
pub(super) struct Top<'a> {
    pub(super) out: &'a mut Out,
}

impl<'a> Top<'a> {
    pub(super) fn one(self) -> Value<'a> {
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
pub(super) struct TopTuple<'a> {
    pub(super) out: &'a mut Out,
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
