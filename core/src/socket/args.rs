//! The payload model: an event's or an acknowledgement's arguments as they travel.
//!
//! [`Args`] is the JSON array the packet carries (for an EVENT, led by the event name), the binary
//! attachments that went beside it, and where in the text the placeholders that point at them
//! stand, as the codec's one scan found them. No tree is built: each end reads the text with its
//! own best tool (serde straight from the text in Rust, with the `serde` feature's `de` and
//! `ser`; `JSON.parse` in the browser), and every reader substitutes the attachments at the
//! recorded positions, so the placeholder rule ([`json`]'s module docs) is applied
//! once, by the scan.
//!
//! A placeholder counts only in a packet that has attachments: in a plain EVENT or ACK an object
//! `{"_placeholder":true,"num":0}` is ordinary data, as the reference delivers it.
//!
//! An `Args` is valid by construction (well-formed JSON, an array, every placeholder naming an
//! attachment), so whoever sends one need not check it again.
//!
//! A second encoding (the MessagePack parser) is meant to be another representation inside this
//! type, not another type: the fields are private for that reason.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use crate::json::{self, JsonError, Kind, Placeholder};
use crate::text::{ErrorText, display_by_text};

mod binary;
#[cfg(feature = "serde")]
pub mod de;
#[cfg(feature = "serde")]
pub mod ser;
#[cfg(all(test, feature = "serde"))]
mod serde_tests;

pub use binary::Binary;

/// Event or acknowledgement arguments: a JSON array, its binary attachments, and where their
/// placeholders are. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Args {
    text: String,
    attachments: Vec<Vec<u8>>,
    /// Sorted by position, never overlapping; empty without attachments.
    placeholders: Vec<Placeholder>,
    /// How deep the JSON nests (`[]` is 1).
    depth: usize,
}

impl Default for Args {
    fn default() -> Self {
        Args::new()
    }
}

/// Why a JSON text and attachments are not valid [`Args`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgsError {
    /// The text is not well-formed JSON, or nests deeper than allowed.
    InvalidJson(JsonError),
    /// The text is JSON but not an array.
    NotAnArray,
    /// A placeholder names an attachment that was not given.
    InvalidPlaceholder,
}

impl ErrorText for ArgsError {
    fn write_text(&self, out: &mut String) {
        match self {
            ArgsError::InvalidJson(e) => {
                out.push_str("invalid JSON arguments: ");
                e.write_text(out);
            }
            ArgsError::NotAnArray => out.push_str("arguments must be a JSON array"),
            ArgsError::InvalidPlaceholder => {
                out.push_str("a binary placeholder refers to an attachment that was not given")
            }
        }
    }
}

display_by_text!(ArgsError);

impl core::error::Error for ArgsError {}

impl Args {
    /// How deep the JSON of arguments built with [`Args::from_json`] may nest.
    pub const MAX_DEPTH: usize = 128;

    /// No arguments: `[]`.
    pub fn new() -> Args {
        Args {
            text: String::from("[]"),
            attachments: Vec::new(),
            placeholders: Vec::new(),
            depth: 1,
        }
    }

    /// Arguments from a JSON array (whitespace around it is dropped) and the attachments its
    /// placeholders point at, nested at most [`Args::MAX_DEPTH`] deep.
    pub fn from_json(
        text: impl Into<String>,
        attachments: Vec<Vec<u8>>,
    ) -> Result<Args, ArgsError> {
        Args::from_json_with_depth(text.into(), attachments, Args::MAX_DEPTH)
    }

    /// As [`Args::from_json`], with another bound on the nesting.
    pub fn from_json_with_depth(
        text: String,
        attachments: Vec<Vec<u8>>,
        max_depth: usize,
    ) -> Result<Args, ArgsError> {
        let mut placeholders = Vec::new();
        let scan = if attachments.is_empty() {
            json::scan(&text, max_depth)
        } else {
            json::scan_placeholders(&text, max_depth, &mut placeholders)
        }
        .map_err(ArgsError::InvalidJson)?;
        if scan.kind != Kind::Array {
            return Err(ArgsError::NotAnArray);
        }
        let count = attachments.len() as u64;
        if !attachments.is_empty() && scan.max_placeholder_num.is_some_and(|n| n >= count) {
            return Err(ArgsError::InvalidPlaceholder);
        }
        let text = match json::trim_range(&text) {
            (0, end) if end == text.len() => text,
            (start, end) => {
                for p in &mut placeholders {
                    p.start -= start;
                    p.end -= start;
                }
                String::from(text.get(start..end).unwrap_or_default())
            }
        };
        Ok(Args {
            text,
            attachments,
            placeholders,
            depth: scan.depth,
        })
    }

    /// Arguments the codec or this crate's writer checked already: `text` is a trimmed JSON array
    /// nested `depth` deep, `placeholders` is what the scan found (sorted, every `num` below the
    /// attachments the packet announced).
    pub(crate) fn checked(
        text: String,
        attachments: Vec<Vec<u8>>,
        placeholders: Vec<Placeholder>,
        depth: usize,
    ) -> Args {
        Args {
            text,
            attachments,
            placeholders,
            depth,
        }
    }

    /// The JSON array, placeholders included.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The binary attachments, in the order their `num` names them.
    pub fn attachments(&self) -> &[Vec<u8>] {
        &self.attachments
    }

    /// Where each placeholder stands in [`Args::text`], in text order (empty without attachments).
    pub fn placeholders(&self) -> &[Placeholder] {
        &self.placeholders
    }

    /// How deep the JSON nests (`[]` is 1, `[[]]` 2).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The text and the attachments.
    pub fn into_parts(self) -> (String, Vec<Vec<u8>>) {
        (self.text, self.attachments)
    }

    /// The attachments, for the decoder to fill as they arrive.
    pub(crate) fn attachments_mut(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.attachments
    }

    /// The first element as an event name: a string (unescaped) or a number (its JSON text), as
    /// the reference accepts both. `None` if the array is empty or starts with anything else.
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        event_name_in(&self.text)
    }

    /// The elements' raw JSON texts (a binary element is its placeholder's text).
    pub fn items(&self) -> json::ArrayItems<'_> {
        json::array_items(&self.text)
    }

    /// How many elements the array has.
    pub fn len(&self) -> usize {
        self.items().count()
    }

    /// Whether the array is empty.
    pub fn is_empty(&self) -> bool {
        self.items().next().is_none()
    }

    /// Appends a string element (the connection state recovery offset), escaped as JSON.
    pub fn push_str(&mut self, s: &str) {
        let mut item = String::with_capacity(s.len() + 2);
        json::write_string(&mut item, s);
        json::push_array_item(&mut self.text, &item);
    }

    /// The last element, when it is a string: where connection state recovery puts the offset.
    pub fn last_str(&self) -> Option<Cow<'_, str>> {
        let last = self.items().last()?;
        json::parse_string(last).ok()
    }

    /// These arguments without their first element (an EVENT's name), for a reader that wants the
    /// event's arguments alone. Placeholders keep their attachments.
    pub fn without_first(&self) -> Args {
        self.tail(1)
    }

    /// These arguments from element `n` on (all of them for 0, none past the end). The
    /// attachments all stay, so that placeholders keep their numbers.
    pub fn tail(&self, n: usize) -> Args {
        if n == 0 {
            return self.clone();
        }
        let b = self.text.as_bytes();
        let mut items = self.items();
        let mut last_end = 1;
        for _ in 0..n {
            match items.next_span() {
                Some((_, end)) => last_end = end,
                None => break,
            }
        }
        let rest_start = match items.next_span() {
            Some((start, _)) => start,
            // Only the closing bracket is left.
            None => b.len().saturating_sub(1).max(last_end),
        };
        let mut text = String::with_capacity(b.len() - rest_start + 1);
        text.push('[');
        text.push_str(self.text.get(rest_start..).unwrap_or("]"));
        let shift = rest_start - 1;
        let placeholders = self
            .placeholders
            .iter()
            .filter(|p| p.start >= rest_start)
            .map(|p| Placeholder {
                start: p.start - shift,
                end: p.end - shift,
                num: p.num,
            })
            .collect();
        Args {
            text,
            attachments: self.attachments.clone(),
            placeholders,
            depth: self.depth,
        }
    }
}

/// The event name in an EVENT's JSON array `args`: the first element, a string (unescaped) or a
/// number (as its JSON text). `None` if the array is empty or starts with anything else.
pub(crate) fn event_name_in(args: &str) -> Option<Cow<'_, str>> {
    let first = json::array_items(args).next()?;
    match first.as_bytes().first()? {
        b'"' => json::parse_string(first).ok(),
        b'-' | b'0'..=b'9' => Some(Cow::Borrowed(first)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn a_placeholder_counts_only_with_attachments() {
        let text = r#"["ev",{"_placeholder":true,"num":0}]"#;
        let plain = Args::from_json(text, vec![]).unwrap();
        assert!(plain.placeholders().is_empty());
        let binary = Args::from_json(text, vec![vec![1]]).unwrap();
        assert_eq!(
            binary.placeholders(),
            &[Placeholder {
                start: 6,
                end: 35,
                num: 0
            }]
        );
        assert_eq!(
            Args::from_json(r#"[{"_placeholder":true,"num":1}]"#, vec![vec![1]]),
            Err(ArgsError::InvalidPlaceholder)
        );
    }

    #[test]
    fn whitespace_is_trimmed_and_positions_follow() {
        let args =
            Args::from_json(" [ {\"_placeholder\":true,\"num\":0} ] ", vec![vec![]]).unwrap();
        assert_eq!(args.text(), "[ {\"_placeholder\":true,\"num\":0} ]");
        let p = args.placeholders()[0];
        assert_eq!(
            &args.text()[p.start..p.end],
            "{\"_placeholder\":true,\"num\":0}"
        );
    }

    #[test]
    fn not_an_array_is_refused() {
        assert_eq!(Args::from_json("{}", vec![]), Err(ArgsError::NotAnArray));
        assert!(matches!(
            Args::from_json("[", vec![]),
            Err(ArgsError::InvalidJson(_))
        ));
    }

    #[test]
    fn the_event_name_and_the_rest() {
        let args = Args::from_json(
            r#"["chat", 1, {"_placeholder":true,"num":0}]"#,
            vec![vec![7]],
        )
        .unwrap();
        assert_eq!(args.event_name().as_deref(), Some("chat"));
        assert_eq!(args.len(), 3);
        let rest = args.without_first();
        assert_eq!(rest.text(), r#"[1, {"_placeholder":true,"num":0}]"#);
        let p = rest.placeholders()[0];
        assert_eq!(
            &rest.text()[p.start..p.end],
            r#"{"_placeholder":true,"num":0}"#
        );
        let only = Args::from_json(r#"["ping"]"#, vec![])
            .unwrap()
            .without_first();
        assert_eq!(only.text(), "[]");
        assert!(only.is_empty());
        assert_eq!(args.tail(2).text(), r#"[{"_placeholder":true,"num":0}]"#);
        assert_eq!(args.tail(2).placeholders()[0].start, 1);
        assert_eq!(args.tail(3).text(), "[]");
        assert_eq!(args.tail(9).text(), "[]");
        assert_eq!(args.tail(0), args);
    }

    #[test]
    fn the_offset_goes_last() {
        let mut args = Args::from_json(r#"["a"]"#, vec![]).unwrap();
        args.push_str("0-1");
        assert_eq!(args.text(), r#"["a","0-1"]"#);
        assert_eq!(args.last_str().as_deref(), Some("0-1"));
        let mut empty = Args::new();
        empty.push_str("x");
        assert_eq!(empty.text(), r#"["x"]"#);
    }
}
