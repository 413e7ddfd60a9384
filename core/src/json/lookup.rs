//! Look-ups on text that [`scan`] accepted. On any other text they give up or yield garbage,
//! but every step advances, so they always end, and they never panic.

use super::*;

/// The end of the string token whose quote is at `b[i]`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j = find_special(b, j);
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The end of the value that starts at `b[i]`.
pub(crate) fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'[' | b'{' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        // `depth >= 1` here: the first byte opened, and we return when it closes.
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        b',' | b':' | b']' | b'}' => None,
        c if is_ws(c) => None,
        _ => {
            let mut j = i + 1;
            while b
                .get(j)
                .is_some_and(|&c| !matches!(c, b',' | b':' | b']' | b'}') && !is_ws(c))
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Where a container walk stands: before its opening bracket, at an element, or finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    Start,
    At(usize),
    Done,
}

/// Steps into the container at the start of `text` (after whitespace): the position of its first
/// element, or `Done` if it is empty or not opened by `open`.
fn enter(b: &[u8], open: u8, close: u8) -> Walk {
    let i = skip_ws(b, 0);
    if b.get(i) != Some(&open) {
        return Walk::Done;
    }
    let i = skip_ws(b, i + 1);
    if b.get(i) == Some(&close) {
        Walk::Done
    } else {
        Walk::At(i)
    }
}

/// After an element ending at `i`: the next element's position, or `Done`.
fn advance(b: &[u8], i: usize) -> Walk {
    let i = skip_ws(b, i);
    if b.get(i) == Some(&b',') {
        Walk::At(skip_ws(b, i + 1))
    } else {
        Walk::Done
    }
}

/// The top-level elements of a JSON array that [`scan`] accepted, as raw text slices without the
/// surrounding whitespace. On text that is not a valid array the iterator yields nothing useful but
/// never panics.
pub fn array_items(text: &str) -> ArrayItems<'_> {
    ArrayItems {
        text,
        walk: Walk::Start,
    }
}

/// Iterator returned by [`array_items`].
#[derive(Clone, Debug)]
pub struct ArrayItems<'a> {
    text: &'a str,
    walk: Walk,
}

impl ArrayItems<'_> {
    /// The next element's byte range in the text, as [`Iterator::next`] would slice it.
    pub fn next_span(&mut self) -> Option<(usize, usize)> {
        let b = self.text.as_bytes();
        if self.walk == Walk::Start {
            self.walk = enter(b, b'[', b']');
        }
        let Walk::At(start) = self.walk else {
            return None;
        };
        self.walk = Walk::Done;
        let end = skip_value(b, start)?;
        self.walk = advance(b, end);
        Some((start, end))
    }
}

impl<'a> Iterator for ArrayItems<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let (start, end) = self.next_span()?;
        self.text.get(start..end)
    }
}

/// The members of a top-level object as raw slices: key token (with quotes) and value.
#[derive(Clone, Debug)]
struct RawEntries<'a> {
    text: &'a str,
    walk: Walk,
}

impl<'a> RawEntries<'a> {
    fn new(text: &'a str) -> Self {
        RawEntries {
            text,
            walk: Walk::Start,
        }
    }
}

impl<'a> Iterator for RawEntries<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let b = self.text.as_bytes();
        if self.walk == Walk::Start {
            self.walk = enter(b, b'{', b'}');
        }
        let Walk::At(key_start) = self.walk else {
            return None;
        };
        self.walk = Walk::Done;
        if b.get(key_start) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, key_start)?;
        let colon = skip_ws(b, key_end);
        if b.get(colon) != Some(&b':') {
            return None;
        }
        let value_start = skip_ws(b, colon + 1);
        let value_end = skip_value(b, value_start)?;
        let key = self.text.get(key_start..key_end)?;
        let value = self.text.get(value_start..value_end)?;
        self.walk = advance(b, value_end);
        Some((key, value))
    }
}

/// The members of a top-level JSON object that [`scan`] accepted, in text order (repeated keys
/// included): each key unescaped, each value as raw text without surrounding whitespace. On other
/// text it stops early but never panics.
pub fn object_entries(text: &str) -> ObjectEntries<'_> {
    ObjectEntries {
        raw: RawEntries::new(text),
    }
}

/// Iterator returned by [`object_entries`].
#[derive(Clone, Debug)]
pub struct ObjectEntries<'a> {
    raw: RawEntries<'a>,
}

impl<'a> Iterator for ObjectEntries<'a> {
    type Item = (Cow<'a, str>, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let (key, value) = self.raw.next()?;
        match parse_string(key) {
            Ok(key) => Some((key, value)),
            Err(_) => {
                self.raw.walk = Walk::Done;
                None
            }
        }
    }
}

/// The raw text of the value under `key` in a top-level JSON object that [`scan`] accepted (the
/// last one if a key repeats, as `JSON.parse` reads it; keys compared after unescaping). `None` if absent or if `text` is not an object.
pub fn object_get<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    // The last duplicate wins, as in `JSON.parse`, so both ends of a connection read the same value
    // from a hostile object with a repeated key.
    RawEntries::new(text)
        .filter(|(k, _)| raw_key_is(k, key))
        .last()
        .map(|(_, value)| value)
}

/// If the value `raw` (accepted by [`scan`]) is a binary placeholder, its `num`: the rule [`scan`]
/// counts by (see the module docs), for data models that substitute the attachments, so they agree
/// with the codec's check. `Some(u64::MAX)` is a placeholder without a valid `num`, which the
/// reference refuses ("illegal attachments").
pub fn placeholder_num(raw: &str) -> Option<u64> {
    let (mut placeholder, mut num) = (false, None);
    for (key, value) in RawEntries::new(raw) {
        if raw_key_is(key, "_placeholder") {
            placeholder = value == "true";
        } else if raw_key_is(key, "num") {
            num = parse_u64(value);
        } else {
            return None;
        }
    }
    placeholder.then_some(num.unwrap_or(u64::MAX))
}

/// Appends `raw_item` (JSON text) as the last element of the array text `array` (as [`scan`]
/// accepts it), e.g. to add an argument to an EVENT payload. Whitespace after the closing bracket is
/// dropped. If `array` does not end with `]` it is left unchanged.
pub fn push_array_item(array: &mut String, raw_item: &str) {
    let trimmed = array.trim_end_matches([' ', '\t', '\n', '\r']);
    let Some(inside) = trimmed.strip_suffix(']') else {
        return;
    };
    let empty = inside
        .trim_end_matches([' ', '\t', '\n', '\r'])
        .ends_with('[');
    let close = inside.len();
    array.truncate(close);
    array.reserve(raw_item.len() + 2);
    if !empty {
        array.push(',');
    }
    array.push_str(raw_item);
    array.push(']');
}
