//! Writing MessagePack: items in the forms notepack picks ([`Writer`]), and JSON text with its
//! placeholders as one MessagePack value ([`json_value`]).

use alloc::vec::Vec;

use crate::json::{self, Placeholder};

/// Appends MessagePack items to a byte buffer, each in the smallest form, as notepack writes them.
pub(super) struct Writer<'a> {
    pub(super) out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    /// A length-prefixed item's header: the fix form below `fix`'s bound, then 8, 16 and 32 bits
    /// wide (`tags`; `None` where the family has no 8-bit form).
    fn header(&mut self, len: usize, fix: Option<(u8, usize)>, tags: (Option<u8>, u8, u8)) {
        match (fix, tags.0) {
            (Some((tag, bound)), _) if len < bound => {
                // `len < bound <= 32` here.
                self.out.push(tag | len as u8);
                return;
            }
            (_, Some(tag)) if len <= 0xff => {
                self.out.extend_from_slice(&[tag, len as u8]);
                return;
            }
            _ => {}
        }
        if let Ok(n) = u16::try_from(len) {
            self.out.push(tags.1);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(len) {
            self.out.push(tags.2);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else {
            // Over 4 GiB: no Engine.IO message is that large, and MessagePack cannot say it.
            self.out.push(0xc0);
        }
    }

    pub(super) fn nil(&mut self) {
        self.out.push(0xc0);
    }

    pub(super) fn bool(&mut self, b: bool) {
        self.out.push(if b { 0xc3 } else { 0xc2 });
    }

    pub(super) fn uint(&mut self, n: u64) {
        if n < 0x80 {
            self.out.push(n as u8);
        } else if let Ok(n) = u8::try_from(n) {
            self.out.extend_from_slice(&[0xcc, n]);
        } else if let Ok(n) = u16::try_from(n) {
            self.out.push(0xcd);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(n) {
            self.out.push(0xce);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else {
            self.out.push(0xcf);
            self.out.extend_from_slice(&n.to_be_bytes());
        }
    }

    pub(super) fn int(&mut self, n: i64) {
        if let Ok(n) = u64::try_from(n) {
            self.uint(n);
        } else if n >= -32 {
            self.out.push(n as u8);
        } else if let Ok(n) = i8::try_from(n) {
            self.out.push(0xd0);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = i16::try_from(n) {
            self.out.push(0xd1);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = i32::try_from(n) {
            self.out.push(0xd2);
            self.out.extend_from_slice(&n.to_be_bytes());
        } else {
            self.out.push(0xd3);
            self.out.extend_from_slice(&n.to_be_bytes());
        }
    }

    pub(super) fn float(&mut self, f: f64) {
        self.out.push(0xcb);
        self.out.extend_from_slice(&f.to_be_bytes());
    }

    /// A JSON number's value as notepack writes a JavaScript number: an integer when it is one
    /// (below 2^64 in magnitude), else a float 64. Integers beyond 2^53 keep every digit.
    fn number(&mut self, raw: &str) {
        let plain = !raw.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'));
        if plain {
            if raw.starts_with('-') {
                if let Ok(n) = raw.parse::<i64>() {
                    return self.int(n);
                }
            } else if let Ok(n) = raw.parse::<u64>() {
                return self.uint(n);
            }
        }
        let f = parse_float(raw);
        // Within 2^64 and -2^63 a double converts to an integer exactly when it is integral
        // (`f64::fract` is not in `core`); -0 is 0, as notepack writes it (`-0 >= 0`).
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) && f as u64 as f64 == f {
            return self.uint(f as u64);
        }
        if (-9_223_372_036_854_775_808.0..0.0).contains(&f) && f as i64 as f64 == f {
            return self.int(f as i64);
        }
        self.float(f);
    }

    pub(super) fn str(&mut self, s: &str) {
        self.header(s.len(), Some((0xa0, 32)), (Some(0xd9), 0xda, 0xdb));
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(super) fn bin(&mut self, b: &[u8]) {
        self.header(b.len(), None, (Some(0xc4), 0xc5, 0xc6));
        self.out.extend_from_slice(b);
    }

    pub(super) fn array(&mut self, len: usize) {
        self.header(len, Some((0x90, 16)), (None, 0xdc, 0xdd));
    }

    pub(super) fn map(&mut self, len: usize) {
        self.header(len, Some((0x80, 16)), (None, 0xde, 0xdf));
    }
}

/// One step of a JSON text, with each placeholder read as the binary it stands for.
#[derive(Clone, Copy, Debug)]
enum Token<'a> {
    Open { map: bool },
    Close,
    Str(&'a str),
    Number(&'a str),
    Bool(bool),
    Null,
    Binary(u64),
}

/// The tokens of a JSON text the codec checked. Commas and colons carry nothing MessagePack needs
/// (a map is keys and values in turn), so they are skipped. Text that is not JSON (only a caller
/// filling a packet's public fields by hand can give some) still yields tokens and never a panic;
/// what is written for it is unspecified.
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    placeholders: &'a [Placeholder],
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.text.as_bytes();
        while let Some(c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b',' | b':') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let start = self.pos;
        let &c = b.get(start)?;
        if let Some((p, rest)) = self.placeholders.split_first()
            && p.start == start
        {
            self.placeholders = rest;
            self.pos = p.end.max(start + 1);
            return Some(Token::Binary(p.num));
        }
        let (token, len) = match c {
            b'[' | b'{' => (Token::Open { map: c == b'{' }, 1),
            b']' | b'}' => (Token::Close, 1),
            b'"' => {
                let mut i = start + 1;
                loop {
                    i = json::find_special(b, i);
                    match b.get(i) {
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                        None => break,
                    }
                }
                let end = (i + 1).min(b.len());
                (
                    Token::Str(self.text.get(start..end).unwrap_or_default()),
                    end - start,
                )
            }
            b't' => (Token::Bool(true), 4),
            b'f' => (Token::Bool(false), 5),
            b'-' | b'0'..=b'9' => {
                let len = b
                    .get(start..)
                    .unwrap_or_default()
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .unwrap_or(b.len() - start);
                (
                    Token::Number(self.text.get(start..start + len).unwrap_or_default()),
                    len,
                )
            }
            // `null`, or one byte of something that is not JSON.
            b'n' => (Token::Null, 4),
            _ => (Token::Null, 1),
        };
        self.pos = (start + len).min(b.len());
        // A multi-byte character where a literal was expected: move to a char boundary.
        while !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        Some(token)
    }
}

/// Writes the JSON value in `text` as one MessagePack value; the placeholder at each of
/// `placeholders` (sorted, as the scan recorded them) becomes a `bin` of the attachment it names.
///
/// Two passes over the tokens, both linear: the first counts each container's members (MessagePack
/// puts the count first), the second writes.
pub(super) fn json_value(
    w: &mut Writer<'_>,
    text: &str,
    placeholders: &[Placeholder],
    attachments: &[Vec<u8>],
) {
    let tokens = || Tokens {
        text,
        pos: 0,
        placeholders,
    };
    // Members of each container, in the order they open. Both passes stop after the first value.
    let mut counts: Vec<usize> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut started = false;
    for token in tokens() {
        if let Token::Close = token {
            open.pop();
            if open.is_empty() {
                break;
            }
            continue;
        }
        if started && open.is_empty() {
            break;
        }
        started = true;
        if let Some(n) = open.last().and_then(|&i| counts.get_mut(i)) {
            *n += 1;
        }
        match token {
            Token::Open { .. } => {
                open.push(counts.len());
                counts.push(0);
            }
            _ if open.is_empty() => break,
            _ => {}
        }
    }
    let mut counts = counts.into_iter();
    let mut depth = 0usize;
    let before = w.out.len();
    for token in tokens() {
        match token {
            Token::Open { map } => {
                let n = counts.next().unwrap_or(0);
                if map {
                    w.map(n / 2);
                } else {
                    w.array(n);
                }
                depth += 1;
                continue;
            }
            Token::Close if depth == 0 => break,
            Token::Close => depth -= 1,
            Token::Str(raw) => match json::parse_string(raw) {
                Ok(s) => w.str(&s),
                Err(_) => w.str(""),
            },
            Token::Number(raw) => w.number(raw),
            Token::Bool(b) => w.bool(b),
            Token::Null => w.nil(),
            Token::Binary(num) => {
                match usize::try_from(num).ok().and_then(|n| attachments.get(n)) {
                    Some(bytes) => w.bin(bytes),
                    None => w.nil(),
                }
            }
        }
        if depth == 0 {
            break;
        }
    }
    if w.out.len() == before {
        // No value at all (not JSON): still one MessagePack value.
        w.nil();
    }
}

/// A JSON number's text (validated by the scan) as the nearest double.
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
fn parse_float(raw: &str) -> f64 {
    raw.parse().unwrap_or(f64::NAN)
}

/// [`parse_float`] with the `js` feature on wasm32 (the browser client's build): by `Number`,
/// which rounds a JSON number's text to the nearest double as Rust's parser does, so that the
/// module goes without core's float parsing and its tables.
#[cfg(all(feature = "js", target_arch = "wasm32"))]
fn parse_float(raw: &str) -> f64 {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `Number(text)`.
        #[wasm_bindgen(js_name = Number)]
        fn number(text: &str) -> f64;
    }
    number(raw)
}
