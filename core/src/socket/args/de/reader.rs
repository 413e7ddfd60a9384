//! The JSON reader: values from a text that `json::scan` accepted, placeholders read as their
//! attachments.

use super::*;

/// Reads JSON values from a text that `json::scan` accepted. On other text it returns errors,
/// never panics.
pub(super) struct Deserializer<'de> {
    pub(super) b: &'de [u8],
    pub(super) text: &'de str,
    pub(super) pos: usize,
    /// Where the placeholders stand, sorted.
    pub(super) placeholders: &'de [Placeholder],
    /// The first placeholder not before `pos`.
    pub(super) next: usize,
    pub(super) attachments: &'de [alloc::vec::Vec<u8>],
}

impl<'de> Deserializer<'de> {
    /// A deserializer of the text `null`.
    pub(super) fn null() -> Self {
        Deserializer {
            b: b"null",
            text: "null",
            pos: 0,
            placeholders: &[],
            next: 0,
            attachments: &[],
        }
    }

    pub(super) fn new(args: &'de Args) -> Self {
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
    pub(super) fn peek(&mut self) -> Result<u8, Error> {
        self.pos = json::skip_ws(self.b, self.pos);
        self.b
            .get(self.pos)
            .copied()
            .ok_or_else(|| Error::at("unexpected end of JSON"))
    }

    pub(super) fn expect(&mut self, c: u8) -> Result<(), Error> {
        if self.peek()? == c {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    pub(super) fn unexpected(&self) -> Error {
        let mut msg = String::from("unexpected character in JSON at byte ");
        crate::text::push_decimal(&mut msg, self.pos as u64);
        Error(msg)
    }

    /// The attachment whose placeholder starts at `pos` (an `{`), consumed; `None` if the object
    /// there is not a placeholder.
    pub(super) fn placeholder(&mut self) -> Option<&'de [u8]> {
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
    pub(super) fn string(&mut self) -> Result<Cow<'de, str>, Error> {
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
    pub(super) fn number_token(&mut self) -> &'de str {
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

    pub(super) fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Error> {
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

    pub(super) fn literal(&mut self, word: &str) -> Result<(), Error> {
        if self.b.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// Skips the value at `pos` without reading it.
    pub(super) fn skip(&mut self) -> Result<(), Error> {
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
