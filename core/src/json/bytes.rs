//! Byte-level helpers shared by the scanner and the look-ups.

use super::*;

pub(super) const ONES: u64 = 0x0101_0101_0101_0101;
pub(super) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in every byte of `v` that is `"`, `\` or below 0x20 (SWAR: the
/// classic "has zero byte" and "has byte less than n" tests). Borrows only run upwards, so the
/// lowest set bit is exact: it marks the first such byte in little-endian order. Lets string
/// scanning skip plain text 8 bytes at a time without decoding UTF-8, since every byte of a
/// multi-byte character is >= 0x80.
#[inline]
pub(super) fn special_mask(v: u64) -> u64 {
    let quote = v ^ (ONES * u64::from(b'"'));
    let backslash = v ^ (ONES * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let control = v.wrapping_sub(ONES * 0x20) & !v;
    (zero_quote | zero_backslash | control) & HIGHS
}

#[inline]
pub(super) fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// The index of the first `"`, `\` or control byte at or after `i`, or `b.len()`.
#[inline]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let mask = special_mask(u64::from_le_bytes(chunk));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i).is_some_and(|&c| !is_special(c)) {
        i += 1;
    }
    i
}

#[inline]
pub(super) fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

#[inline]
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

pub(super) fn hex_digit(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'a'..=b'f' => Some(u32::from(c - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(c - b'A' + 10)),
        _ => None,
    }
}

/// The four hex digits at `b[i..i + 4]`. `esc` is the offset of the escape's backslash, which
/// errors point at.
pub(super) fn hex4(b: &[u8], i: usize, esc: usize) -> Result<u32, JsonError> {
    let mut v = 0;
    for j in i..i + 4 {
        let Some(&c) = b.get(j) else {
            return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
        };
        let Some(d) = hex_digit(c) else {
            return Err(error(esc, JsonErrorKind::InvalidEscape));
        };
        v = v * 16 + d;
    }
    Ok(v)
}

/// Decodes the escape whose backslash is at `b[i]`: the character and the index after it.
/// A high surrogate must be followed by an escaped low surrogate; anything else is an error at `i`.
pub(crate) fn decode_escape(b: &[u8], i: usize) -> Result<(char, usize), JsonError> {
    let Some(&c) = b.get(i + 1) else {
        return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
    };
    let simple = match c {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, i + 2, i)?;
            let (cp, next) = match hi {
                0xD800..=0xDBFF => {
                    match (b.get(i + 6), b.get(i + 7)) {
                        (Some(b'\\'), Some(b'u')) => {}
                        (None, _) | (Some(b'\\'), None) => {
                            return Err(error(b.len(), JsonErrorKind::UnexpectedEnd));
                        }
                        _ => return Err(error(i, JsonErrorKind::InvalidEscape)),
                    }
                    let lo = hex4(b, i + 8, i)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return Err(error(i, JsonErrorKind::InvalidEscape));
                    }
                    (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), i + 12)
                }
                _ => (hi, i + 6),
            };
            // A lone low surrogate is the only value left that is not a char.
            let Some(ch) = char::from_u32(cp) else {
                return Err(error(i, JsonErrorKind::InvalidEscape));
            };
            return Ok((ch, next));
        }
        _ => return Err(error(i, JsonErrorKind::InvalidEscape)),
    };
    Ok((simple, i + 2))
}

/// Whether the inside of a JSON string (between the quotes) equals `target` once unescaped,
/// without allocating. Malformed escapes compare unequal.
pub(super) fn unescaped_eq(inner: &[u8], target: &[u8]) -> bool {
    let (mut i, mut t) = (0, 0);
    while let Some(&c) = inner.get(i) {
        if c == b'\\' {
            let Ok((ch, next)) = decode_escape(inner, i) else {
                return false;
            };
            let mut buf = [0; 4];
            let enc = ch.encode_utf8(&mut buf).as_bytes();
            if target.get(t..t + enc.len()) != Some(enc) {
                return false;
            }
            t += enc.len();
            i = next;
        } else {
            if target.get(t) != Some(&c) {
                return false;
            }
            t += 1;
            i += 1;
        }
    }
    t == target.len()
}

/// Whether a raw string token (with its quotes) names `key` once unescaped.
pub(super) fn raw_key_is(raw: &str, key: &str) -> bool {
    let b = raw.as_bytes();
    let inner = b.get(1..b.len().saturating_sub(1)).unwrap_or_default();
    if inner.contains(&b'\\') {
        unescaped_eq(inner, key.as_bytes())
    } else {
        inner == key.as_bytes()
    }
}

pub(super) fn parse_u64_bytes(b: &[u8]) -> Option<u64> {
    match b {
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] => b.iter().try_fold(0u64, |n, &c| {
            let d = c.checked_sub(b'0').filter(|d| *d <= 9)?;
            n.checked_mul(10)?.checked_add(u64::from(d))
        }),
        _ => None,
    }
}

/// One or more digits at `b[i]`: the index after the last one.
#[inline]
pub(super) fn digits(b: &[u8], mut i: usize) -> Result<usize, JsonError> {
    match b.get(i) {
        Some(c) if c.is_ascii_digit() => {}
        Some(_) => return Err(error(i, JsonErrorKind::InvalidNumber)),
        None => return Err(error(b.len(), JsonErrorKind::UnexpectedEnd)),
    }
    i += 1;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    Ok(i)
}
