//! One token at a time: trim, read a string or an integer, write a string.

use super::*;

/// `text` without the JSON whitespace (space, tab, LF, CR) around it.
pub fn trim(text: &str) -> &str {
    let (start, end) = trim_range(text);
    // Whitespace is ASCII, so both ends are char boundaries.
    text.get(start..end).unwrap_or_default()
}

/// Where [`trim`]'s result starts and ends in `text`.
pub fn trim_range(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let start = b.iter().position(|&c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_ws(c)).map_or(start, |i| i + 1);
    (start, end)
}

/// The value of a raw JSON string token (with its quotes), unescaped.
///
/// Borrows when the string has no escapes. Errors as [`scan`] reports them, offsets into `raw`;
/// anything after the closing quote is [`JsonErrorKind::TrailingCharacters`].
pub fn parse_string(raw: &str) -> Result<Cow<'_, str>, JsonError> {
    let b = raw.as_bytes();
    match b.first() {
        Some(b'"') => {}
        Some(_) => return Err(error(0, JsonErrorKind::UnexpectedChar)),
        None => return Err(error(0, JsonErrorKind::UnexpectedEnd)),
    }
    let mut out: Option<String> = None;
    let mut run = 1; // start of the text not yet copied into `out`
    let mut i = 1;
    loop {
        i = find_special(b, i);
        match b.get(i) {
            None => return Err(error(b.len(), JsonErrorKind::UnexpectedEnd)),
            Some(b'"') => break,
            Some(b'\\') => {
                let (ch, next) = decode_escape(b, i)?;
                let buf = out.get_or_insert_with(|| String::with_capacity(b.len()));
                buf.push_str(raw.get(run..i).unwrap_or_default());
                buf.push(ch);
                run = next;
                i = next;
            }
            Some(_) => return Err(error(i, JsonErrorKind::ControlCharacter)),
        }
    }
    if i + 1 != b.len() {
        return Err(error(i + 1, JsonErrorKind::TrailingCharacters));
    }
    let tail = raw.get(run..i).unwrap_or_default();
    Ok(match out {
        None => Cow::Borrowed(tail),
        Some(mut buf) => {
            buf.push_str(tail);
            Cow::Owned(buf)
        }
    })
}

/// A raw JSON number token that is a non-negative integer fitting `u64` (`25000`, not `2.5e4`).
pub fn parse_u64(raw: &str) -> Option<u64> {
    parse_u64_bytes(raw.as_bytes())
}

/// Appends `s` to `out` as a JSON string literal, quoted and escaped as `JSON.stringify` does:
/// `"` and `\`, the short escapes `\b \f \n \r \t`, other characters below U+0020 as `\u00xx`
/// (lowercase hex), everything else as is. (`JSON.stringify` also escapes lone surrogates, which a
/// Rust string cannot hold.)
pub fn write_string(out: &mut String, s: &str) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push('"');
    let mut run = 0; // start of the text not yet copied
    let mut i = 0;
    loop {
        i = find_special(b, i);
        let Some(&c) = b.get(i) else { break };
        let escape = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from_digit(u32::from(c >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(c & 0xf), 16).unwrap_or('0'));
        } else {
            out.push_str(escape);
        }
        i += 1;
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}
