//! The validating scanner.

use super::*;

/// What the last `num` member of an object held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumState {
    Absent,
    Valid,
    Invalid,
}

/// Which placeholder key the member being read has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    Other,
}

/// One open array or object. Objects also track whether they are a placeholder so far.
#[derive(Clone, Copy, Debug)]
struct Frame {
    num: u64,
    /// Where the container's opening bracket is.
    start: usize,
    object: bool,
    /// The object has a key other than `_placeholder` and `num`: never a placeholder.
    extra_key: bool,
    /// The last `_placeholder` member was `true`.
    placeholder: bool,
    num_state: NumState,
    key: Key,
}

impl Frame {
    const fn new(object: bool, start: usize) -> Frame {
        Frame {
            num: 0,
            start,
            object,
            extra_key: !object,
            placeholder: false,
            num_state: NumState::Absent,
            key: Key::Other,
        }
    }

    /// Records the value of the member whose key was read last.
    #[inline]
    fn member(&mut self, value: Value, b: &[u8]) {
        if self.extra_key {
            return;
        }
        match self.key {
            Key::Placeholder => self.placeholder = value == Value::True,
            Key::Num => {
                let num = match value {
                    Value::Number(start, end) => b.get(start..end).and_then(parse_u64_bytes),
                    _ => None,
                };
                (self.num_state, self.num) = match num {
                    Some(n) => (NumState::Valid, n),
                    None => (NumState::Invalid, 0),
                };
            }
            Key::Other => {}
        }
    }

    /// The placeholder number of a finished object, if it is one.
    fn placeholder_num(&self) -> Option<u64> {
        (self.object && !self.extra_key && self.placeholder).then_some(
            if self.num_state == NumState::Valid {
                self.num
            } else {
                u64::MAX
            },
        )
    }
}

/// Frames kept inline up to the default depth: the common case never allocates.
const INLINE_FRAMES: usize = DEFAULT_MAX_DEPTH;

/// The open containers. Beyond [`INLINE_FRAMES`] levels (only when the caller allows more than the
/// default depth) the rest spill into a `Vec` that never holds more than `max_depth` frames.
struct Stack {
    inline: [Frame; INLINE_FRAMES],
    spill: Vec<Frame>,
    len: usize,
}

impl Stack {
    fn new() -> Stack {
        Stack {
            inline: [Frame::new(false, 0); INLINE_FRAMES],
            spill: Vec::new(),
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, frame: Frame) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = frame,
            None => self.spill.push(frame),
        }
        self.len += 1;
    }

    #[inline]
    fn top(&mut self) -> Option<&mut Frame> {
        let i = self.len.checked_sub(1)?;
        if i < INLINE_FRAMES {
            self.inline.get_mut(i)
        } else {
            self.spill.last_mut()
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Frame> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        if i < INLINE_FRAMES {
            self.inline.get(i).copied()
        } else {
            self.spill.pop()
        }
    }
}

/// A value the scanner has just finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Value {
    Object,
    Array,
    String,
    /// The token's byte range, read only when it is a `num` member.
    Number(usize, usize),
    True,
    False,
    Null,
}

impl Value {
    fn kind(self) -> Kind {
        match self {
            Value::Object => Kind::Object,
            Value::Array => Kind::Array,
            Value::String => Kind::String,
            Value::Number(..) => Kind::Number,
            Value::True | Value::False => Kind::Bool,
            Value::Null => Kind::Null,
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
    stack: Stack,
    placeholders: usize,
    max_num: Option<u64>,
    depth: usize,
    /// Where the placeholders are, when the caller asked.
    positions: Option<&'a mut Vec<Placeholder>>,
}

impl Scanner<'_> {
    fn at(&self, kind: JsonErrorKind) -> JsonError {
        error(self.pos, kind)
    }

    fn end(&self) -> JsonError {
        error(self.b.len(), JsonErrorKind::UnexpectedEnd)
    }

    /// The error for the byte at `pos`, which is not what the grammar wants here.
    fn unexpected(&self) -> JsonError {
        if self.pos < self.b.len() {
            self.at(JsonErrorKind::UnexpectedChar)
        } else {
            self.end()
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        self.pos = skip_ws(self.b, self.pos);
    }

    /// The whole text: one value, then only whitespace.
    fn run(&mut self) -> Result<Kind, JsonError> {
        let b = self.b;
        let kind = 'value: loop {
            self.skip_ws();
            let Some(&c) = b.get(self.pos) else {
                return Err(self.end());
            };
            let mut value = match c {
                b'{' | b'[' => {
                    let object = c == b'{';
                    if self.stack.len >= self.max_depth {
                        return Err(self.at(JsonErrorKind::TooDeep));
                    }
                    self.stack.push(Frame::new(object, self.pos));
                    self.depth = self.depth.max(self.stack.len);
                    self.pos += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if b.get(self.pos) != Some(&close) {
                        if object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    self.pos += 1;
                    self.close()
                }
                b'"' => {
                    self.string()?;
                    Value::String
                }
                b'-' | b'0'..=b'9' => {
                    let start = self.pos;
                    self.number()?;
                    Value::Number(start, self.pos)
                }
                b't' => {
                    self.literal(b"true")?;
                    Value::True
                }
                b'f' => {
                    self.literal(b"false")?;
                    Value::False
                }
                b'n' => {
                    self.literal(b"null")?;
                    Value::Null
                }
                _ => return Err(self.at(JsonErrorKind::UnexpectedChar)),
            };
            // After a value: close every container that ends here, or go on to the next value.
            loop {
                let Some(frame) = self.stack.top() else {
                    break 'value value.kind();
                };
                let object = frame.object;
                if object {
                    frame.member(value, b);
                }
                self.skip_ws();
                match b.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.skip_ws();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(b']') if !object => {}
                    Some(b'}') if object => {}
                    _ => return Err(self.unexpected()),
                }
                self.pos += 1;
                value = self.close();
            }
        };
        self.skip_ws();
        if self.pos < b.len() {
            return Err(self.at(JsonErrorKind::TrailingCharacters));
        }
        Ok(kind)
    }

    /// Pops the container whose closing bracket was just read, counting it if it is a placeholder.
    fn close(&mut self) -> Value {
        // A literal message rather than `expect`: `expect` formats its message through
        // `core::fmt`, which this would link into the browser client for nothing.
        let Some(frame) = self.stack.pop() else {
            panic!("close follows a push or a top() that returned a frame");
        };
        if !frame.object {
            return Value::Array;
        }
        if let Some(num) = frame.placeholder_num() {
            self.placeholders += 1;
            self.max_num = Some(self.max_num.map_or(num, |m| m.max(num)));
            if let Some(positions) = self.positions.as_deref_mut() {
                // Objects close innermost first, so a placeholder nested in this one (only a
                // repeated `_placeholder` key can put it there) was pushed last: this one replaces
                // it, as a reader that substitutes this object never looks inside. The list stays
                // sorted by position, each entry popped at most once.
                while positions.last().is_some_and(|p| p.start > frame.start) {
                    positions.pop();
                }
                positions.push(Placeholder {
                    start: frame.start,
                    end: self.pos,
                    num,
                });
            }
        }
        Value::Object
    }

    /// An object member's key and its colon; notes on the object which placeholder key it is.
    fn key(&mut self) -> Result<(), JsonError> {
        if self.b.get(self.pos) != Some(&b'"') {
            return Err(self.unexpected());
        }
        let start = self.pos;
        let escaped = self.string()?;
        let b = self.b;
        // Keys matter only while the object can still be a placeholder.
        if let Some(frame) = self.stack.top().filter(|frame| !frame.extra_key) {
            let inner = b.get(start + 1..self.pos - 1).unwrap_or_default();
            let is = |key: &[u8]| {
                if escaped {
                    unescaped_eq(inner, key)
                } else {
                    inner == key
                }
            };
            frame.key = if is(b"_placeholder") {
                Key::Placeholder
            } else if is(b"num") {
                Key::Num
            } else {
                frame.extra_key = true;
                Key::Other
            };
        }
        self.skip_ws();
        if b.get(self.pos) != Some(&b':') {
            return Err(self.unexpected());
        }
        self.pos += 1;
        Ok(())
    }

    /// A string starting at the quote at `pos`; returns whether it has escapes.
    #[inline]
    fn string(&mut self) -> Result<bool, JsonError> {
        let b = self.b;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            i = find_special(b, i);
            match b.get(i) {
                None => return Err(self.end()),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    i = decode_escape(b, i)?.1;
                }
                // The only special byte left: a control character.
                Some(_) => return Err(error(i, JsonErrorKind::ControlCharacter)),
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), JsonError> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if b.get(i) == Some(&b'0') {
            i += 1;
            if b.get(i).is_some_and(u8::is_ascii_digit) {
                return Err(error(i, JsonErrorKind::InvalidNumber));
            }
        } else {
            i = digits(b, i)?;
        }
        if b.get(i) == Some(&b'.') {
            i = digits(b, i + 1)?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(b, i)?;
        }
        self.pos = i;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), JsonError> {
        for &w in word {
            match self.b.get(self.pos) {
                Some(&c) if c == w => self.pos += 1,
                _ => return Err(self.unexpected()),
            }
        }
        Ok(())
    }
}

/// Validates that `text` is exactly one JSON value (RFC 8259; whitespace around it allowed) nested at
/// most `max_depth` deep, and counts the binary placeholders in it.
///
/// One pass over the bytes, no recursion, no allocation unless `max_depth` is above
/// [`DEFAULT_MAX_DEPTH`] and the text nests deeper than that. A depth of 0 allows only scalars.
/// Error offsets point at the offending byte (an escape's backslash; the opening bracket that is
/// one level too deep; the text's length when it ends too early).
pub fn scan(text: &str, max_depth: usize) -> Result<Scan, JsonError> {
    scan_inner(text, max_depth, None)
}

/// [`scan`], also appending to `positions` where each placeholder stands, in text order: the
/// codec's one pass over a binary packet's JSON finds them for the data models that substitute the
/// attachments. A placeholder inside another (possible only through a repeated `_placeholder`
/// key) is left out: whoever substitutes the outer one never reads it. On an error, `positions`
/// holds what was found before it.
pub fn scan_placeholders(
    text: &str,
    max_depth: usize,
    positions: &mut Vec<Placeholder>,
) -> Result<Scan, JsonError> {
    scan_inner(text, max_depth, Some(positions))
}

fn scan_inner<'a>(
    text: &'a str,
    max_depth: usize,
    positions: Option<&'a mut Vec<Placeholder>>,
) -> Result<Scan, JsonError> {
    let mut scanner = Scanner {
        b: text.as_bytes(),
        pos: 0,
        max_depth,
        stack: Stack::new(),
        placeholders: 0,
        max_num: None,
        depth: 0,
        positions,
    };
    let kind = scanner.run()?;
    Ok(Scan {
        kind,
        placeholders: scanner.placeholders,
        max_placeholder_num: scanner.max_num,
        depth: scanner.depth,
    })
}
