//! Arguments as the typed API sends and receives them, on the core's payload model
//! ([`proto::socket::Args`]: the JSON array text, the binary attachments, where their
//! placeholders stand) and its serde reader and writer (`proto::socket::args::{de, ser}`).
//!
//! The rule that maps Rust values to arguments, and binary, are described in the crate docs
//! ([Arguments](crate#arguments)).

use core::fmt;

use proto::socket::Args as CoreArgs;
use proto::socket::args::{de, ser};
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Error as _, Serialize};
use serde_json::Value;

use super::Error;

/// Bytes that travel as a binary attachment: the core's, so that a schema shared with a server
/// names the same type.
pub use proto::socket::Binary;

/// Event or acknowledgement arguments to send, built one argument at a time: JSON values, and
/// binary attachments where [`Payload::binary`] put them. Most calls need none: any serializable
/// value is a payload already (by the [rule](crate#arguments): `&()` is none, a tuple several).
#[derive(Clone, Debug, Default)]
pub struct Payload {
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
enum Part {
    /// Arguments as the core's writer made them.
    Args(CoreArgs),
    /// One binary argument.
    Binary(Vec<u8>),
}

impl Payload {
    /// No arguments.
    pub fn new() -> Self {
        Payload::default()
    }

    /// Appends `value` as one argument (a tuple too: it is one array here); bytes in it
    /// (`serialize_bytes`, [`Binary`]) become attachments.
    pub fn arg<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Self, Error> {
        self.parts.push(Part::Args(ser::to_args(&(value,))?));
        Ok(self)
    }

    /// Appends one binary argument (it arrives as a `Buffer` in Node.js, an `ArrayBuffer` in a
    /// browser).
    pub fn binary(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.parts.push(Part::Binary(bytes.into()));
        self
    }

    /// The arguments, led by `name` for an EVENT.
    pub(crate) fn into_args(self, name: Option<&str>) -> Result<CoreArgs, Error> {
        let mut parts = self.parts;
        if parts.len() <= 1 && !matches!(parts.first(), Some(Part::Binary(_))) {
            // As the core's writer made them: only the name goes in front.
            let args = match parts.pop() {
                Some(Part::Args(args)) => args,
                _ => CoreArgs::new(),
            };
            return match name {
                Some(name) => Ok(ser::ToArgs::to_event_args(&args, name)?),
                None => Ok(args),
            };
        }
        let mut text = String::from("[");
        let mut attachments: Vec<Vec<u8>> = Vec::new();
        if let Some(name) = name {
            proto::json::write_string(&mut text, name);
        }
        for part in parts {
            match part {
                Part::Args(args) => {
                    // Each part's placeholders, found by the core, renumbered after the
                    // attachments before them.
                    if args.is_empty() {
                        continue;
                    }
                    let base = attachments.len() as u64;
                    let (inner, mut copied) = (args.text(), 1);
                    if text.len() > 1 {
                        text.push(',');
                    }
                    for p in args.placeholders() {
                        text.push_str(inner.get(copied..p.start).unwrap_or_default());
                        push_placeholder(&mut text, base + p.num);
                        copied = p.end;
                    }
                    let end = inner.len() - 1;
                    text.push_str(inner.get(copied..end).unwrap_or_default());
                    attachments.extend(args.into_parts().1);
                }
                Part::Binary(bytes) => {
                    if text.len() > 1 {
                        text.push(',');
                    }
                    push_placeholder(&mut text, attachments.len() as u64);
                    attachments.push(bytes);
                }
            }
        }
        text.push(']');
        // The core checks the whole again (and finds the placeholders where they now stand).
        CoreArgs::from_json(text, attachments).map_err(|e| Error::Serialize(ser::Error::custom(e)))
    }
}

/// `{"_placeholder":true,"num":<num>}`, as the reference and the core's writer spell it.
fn push_placeholder(text: &mut String, num: u64) {
    text.push_str("{\"_placeholder\":true,\"num\":");
    text.push_str(&num.to_string());
    text.push('}');
}

/// What can be sent: a [`Payload`], or any serializable value by the [rule](crate#arguments)
/// (`&()` is no argument, a tuple several, anything else one).
pub trait IntoPayload {
    /// The arguments.
    fn into_payload(self) -> Result<Payload, Error>;
}

impl IntoPayload for Payload {
    fn into_payload(self) -> Result<Payload, Error> {
        Ok(self)
    }
}

impl<T: Serialize + ?Sized> IntoPayload for &T {
    fn into_payload(self) -> Result<Payload, Error> {
        Ok(Payload {
            parts: vec![Part::Args(ser::to_args(self)?)],
        })
    }
}

/// Received arguments (an event's without its name, nor the recovery offset): the JSON text and
/// the binary attachments its placeholders point at, read with serde straight from the text.
#[derive(Clone, Debug, PartialEq)]
pub struct Args(pub(crate) CoreArgs);

impl Args {
    /// The arguments as `T`, by the [rule](crate#arguments): a tuple takes one argument per
    /// element, `()` none, any other type the first (`null` when there is none). Binary arguments
    /// and nested binary values read as bytes ([`Binary`]).
    pub fn data<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Error> {
        Ok(de::from_args(&self.0)?)
    }

    /// Argument `i` alone, as `T`.
    pub fn get<'de, T: Deserialize<'de>>(&'de self, i: usize) -> Result<T, Error> {
        if self.0.items().nth(i).is_none() {
            return Err(Error::MissingArgument(i));
        }
        Ok(de::from_arg(&self.0, i)?)
    }

    /// Every argument, as a tuple or a sequence `T` (`Vec<Value>`, say; a tuple fails when
    /// arguments are missing).
    pub fn all<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Error> {
        Ok(de::from_args::<All<T>>(&self.0)?.0)
    }

    /// The bytes of argument `i`, when it is binary.
    pub fn binary(&self, i: usize) -> Option<&[u8]> {
        let mut items = proto::json::array_items(self.0.text());
        for _ in 0..i {
            items.next_span()?;
        }
        let (start, _) = items.next_span()?;
        // Where the core's scan found the placeholders, sorted by position.
        let placeholders = self.0.placeholders();
        let p = placeholders
            .binary_search_by_key(&start, |p| p.start)
            .ok()
            .and_then(|i| placeholders.get(i))?;
        self.0
            .attachments()
            .get(usize::try_from(p.num).ok()?)
            .map(Vec::as_slice)
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The arguments as JSON values (a binary argument is its placeholder object: see
    /// [`Args::binary`]).
    pub fn values(&self) -> Vec<Value> {
        de::from_json(self.0.text()).unwrap_or_default()
    }

    /// The arguments' JSON array as it arrived, placeholders included.
    pub fn text(&self) -> &str {
        self.0.text()
    }
}

/// Every argument, however many: the core's reader gives a tuple of `usize::MAX` elements as
/// many as there are, and `T` reads them as a sequence.
struct All<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for All<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<All<T>, D::Error> {
        struct Every<T>(core::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Every<T> {
            type Value = All<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<All<T>, A::Error> {
                T::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(All)
            }
        }
        deserializer.deserialize_tuple(usize::MAX, Every(core::marker::PhantomData))
    }
}

/// An EVENT's name, and its arguments without the name nor, with `drop_offset`, a trailing
/// string (the offset the server appends under connection state recovery). `None` without a
/// name (the core's decoder admits none such).
pub(crate) fn split_event(args: CoreArgs, drop_offset: bool) -> Option<(String, Args)> {
    let name = args.event_name()?.into_owned();
    let text = args.text();
    let mut items = proto::json::array_items(text);
    let (_, name_end) = items.next_span()?;
    // The arguments run from the second element's start to the last kept one's end.
    let (mut start, mut end, mut before_last) = (None, name_end, name_end);
    let mut last_is_string = false;
    while let Some((s, e)) = items.next_span() {
        start.get_or_insert(s);
        before_last = end;
        end = e;
        last_is_string = text.as_bytes().get(s) == Some(&b'"');
    }
    if drop_offset && last_is_string {
        end = before_last;
    }
    let inner = match start {
        Some(start) if start < end => text.get(start..end).unwrap_or_default(),
        _ => "",
    };
    let mut kept = String::with_capacity(inner.len() + 2);
    kept.push('[');
    kept.push_str(inner);
    kept.push(']');
    // A slice of whole elements of a valid array is one too; the scan finds its placeholders.
    let args = CoreArgs::from_json(kept, args.into_parts().1).ok()?;
    Some((name, Args(args)))
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
