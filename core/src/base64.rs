//! Standard base64 (RFC 4648 §4, with padding), as Engine.IO writes binary messages in polling
//! payloads (`b` + base64), and its URL-safe unpadded form for generated session ids.
//!
//! Hand-written rather than the `base64` crate: the browser client's wasm module carries a few
//! hundred bytes for this instead of kilobytes. Decoding is as strict as the crate's `STANDARD`
//! engine (canonical padding, no trailing bits, nothing but the alphabet), which the tests check
//! against the crate on arbitrary input.
//!
//! With the `js` feature on wasm32 (the browser client's build), [`encode`] and [`decode`] are the
//! platform's `btoa` and `atob` instead, as strict (a decoded text must be the canonical encoding
//! of its bytes), and the module goes without this codec; [`encode_url_safe`] stays (the server's).
#![cfg_attr(
    all(feature = "js", target_arch = "wasm32"),
    allow(
        dead_code,
        unused_imports,
        reason = "the portable codec is the native builds' and the tests'"
    )
)]

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(all(feature = "js", target_arch = "wasm32"))]
pub use platform::{decode, encode};

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Output bytes staged per round of [`encode_with`] before they are appended as one `str`.
const STAGE: usize = 256;

/// Appends `bytes` in standard base64 with padding.
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
pub fn encode(bytes: &[u8], out: &mut String) {
    encode_with(bytes, out, STANDARD, true);
}

/// Appends `bytes` in URL-safe base64 without padding.
pub fn encode_url_safe(bytes: &[u8], out: &mut String) {
    encode_with(bytes, out, URL_SAFE, false);
}

fn encode_with(bytes: &[u8], out: &mut String, alphabet: &[u8; 64], pad: bool) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    let symbol = |v: u32| alphabet.get((v & 63) as usize).copied().unwrap_or(b'=');
    let quad = |n: u32| [symbol(n >> 18), symbol(n >> 12), symbol(n >> 6), symbol(n)];
    // Symbols are ASCII: they are staged in a small buffer and appended a few hundred at a time.
    let flush = |out: &mut String, staged: &[u8]| {
        if let Ok(text) = core::str::from_utf8(staged) {
            out.push_str(text);
        }
    };
    // Six bytes to eight symbols at a time, then the odd group of three.
    let mut stage = [0u8; STAGE];
    let mut sextets = bytes.chunks_exact(6);
    loop {
        let mut len = 0;
        for (slot, group) in stage.chunks_exact_mut(8).zip(&mut sextets) {
            let &[a, b, c, d, e, f] = group else { continue };
            let n = u64::from_be_bytes([0, 0, a, b, c, d, e, f]);
            for (i, s) in slot.iter_mut().enumerate() {
                *s = symbol((n >> (42 - 6 * i)) as u32);
            }
            len += 8;
        }
        flush(out, stage.get(..len).unwrap_or_default());
        if len < STAGE {
            break;
        }
    }
    let mut groups = sextets.remainder().chunks_exact(3);
    if let Some(&[a, b, c]) = groups.next() {
        flush(
            out,
            &quad(u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c)),
        );
    }
    // The last one or two bytes: two or three symbols, then the padding.
    let (n, symbols) = match *groups.remainder() {
        [a] => (u32::from(a) << 16, 2),
        [a, b] => (u32::from(a) << 16 | u32::from(b) << 8, 3),
        _ => return,
    };
    let mut last = quad(n);
    for s in last.iter_mut().skip(symbols) {
        *s = b'=';
    }
    flush(
        out,
        last.get(..if pad { 4 } else { symbols })
            .unwrap_or_default(),
    );
}

/// Marks a byte that is not a standard base64 symbol in [`VALUES`].
const INVALID: u8 = 0x80;

/// The value of each byte as a standard base64 symbol, or [`INVALID`].
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[STANDARD[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The values of four symbols as 24 bits, or `None` if one is not a symbol.
fn quad_value(quad: [u8; 4]) -> Option<u32> {
    let [a, b, c, d] = quad.map(|s| VALUES.get(usize::from(s)).copied().unwrap_or(INVALID));
    if (a | b | c | d) & INVALID != 0 {
        return None;
    }
    Some(u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d))
}

/// Decodes standard base64 with canonical padding: a length that is a multiple of 4, `=` only
/// as the last one or two characters, and zero bits after the last byte. `None` otherwise.
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let Some((body, last)) = b.len().checked_sub(4).and_then(|n| b.split_at_checked(n)) else {
        return Some(Vec::new());
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    // Eight symbols to six bytes at a time, then the odd quad.
    let mut octets = body.chunks_exact(8);
    for symbols in &mut octets {
        let mut n: u64 = 0;
        let mut invalid = 0;
        for &s in symbols {
            let v = VALUES.get(usize::from(s)).copied().unwrap_or(INVALID);
            invalid |= v;
            n = n << 6 | u64::from(v);
        }
        if invalid & INVALID != 0 {
            return None;
        }
        let [_, _, bytes @ ..] = n.to_be_bytes();
        out.extend_from_slice(&bytes);
    }
    if let &[s0, s1, s2, s3] = octets.remainder() {
        let [_, bytes @ ..] = quad_value([s0, s1, s2, s3])?.to_be_bytes();
        out.extend_from_slice(&bytes);
    }
    // The last quad: `xxxx`, `xxx=` or `xx==`, with no bits set after the last byte.
    let &[s0, s1, s2, s3] = last else {
        return None;
    };
    let (quad, len) = match (s2, s3) {
        (b'=', b'=') => ([s0, s1, b'A', b'A'], 1),
        (_, b'=') => ([s0, s1, s2, b'A'], 2),
        _ => ([s0, s1, s2, s3], 3),
    };
    let [_, x, y, z] = quad_value(quad)?.to_be_bytes();
    let tail = [x, y, z];
    if tail.iter().skip(len).any(|&b| b != 0) {
        return None;
    }
    out.extend_from_slice(tail.get(..len).unwrap_or_default());
    Some(out)
}

/// The platform's codec: `btoa` and `atob`, which every browser, worker and Node.js has.
#[cfg(all(feature = "js", target_arch = "wasm32"))]
mod platform {
    use alloc::string::String;
    use alloc::vec::Vec;

    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `atob(text)`: the bytes as a string of code points 0 to 255; throws on a symbol that
        /// is not base64, or a length that cannot be.
        #[wasm_bindgen(catch)]
        fn atob(text: &str) -> Result<String, JsValue>;
        /// `btoa(latin1)`: the base64 of a string of code points 0 to 255, with padding.
        fn btoa(latin1: &str) -> String;
    }

    /// Bytes as code points 0 to 255, as `btoa` takes them (plain loops here and below: an
    /// iterator's `collect` costs the module more).
    fn latin1(bytes: &[u8]) -> String {
        let mut text = String::with_capacity(bytes.len() * 2);
        for &b in bytes {
            text.push(char::from(b));
        }
        text
    }

    /// Appends `bytes` in standard base64 with padding.
    pub fn encode(bytes: &[u8], out: &mut String) {
        out.push_str(&btoa(&latin1(bytes)));
    }

    /// Decodes standard base64 as strictly as the portable codec: canonical padding, no bits
    /// after the last byte, nothing but the alphabet. `None` otherwise.
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let decoded = atob(text).ok()?;
        // Code points 0 to 255 in UTF-8: one byte below 0x80, else a lead byte (0xC2 or 0xC3,
        // the value's top two bits) and a continuation byte (its low six).
        let mut bytes = Vec::with_capacity(decoded.len());
        let mut lead = 0u8;
        for &b in decoded.as_bytes() {
            if b >= 0xC0 {
                lead = b;
            } else if b >= 0x80 {
                bytes.push(lead << 6 | b & 0x3F);
            } else {
                bytes.push(b);
            }
        }
        // `atob` forgives white space, missing padding and bits after the last byte: only the
        // canonical encoding of what it decoded is base64 here.
        (btoa(&latin1(&bytes)) == text).then_some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine as _;
    use ::base64::engine::general_purpose::{STANDARD as CRATE, URL_SAFE_NO_PAD as CRATE_URL};
    use proptest::prelude::*;

    fn encoded(bytes: &[u8]) -> String {
        let mut out = String::from(">");
        encode(bytes, &mut out);
        out.split_off(1)
    }

    #[test]
    fn rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encoded(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()));
        }
    }

    #[test]
    fn strict_decoding() {
        for bad in [
            "Zg", "Zg=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm-_",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
            assert!(CRATE.decode(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn encodes_as_the_crate(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
            prop_assert_eq!(encoded(&bytes), CRATE.encode(&bytes));
            let mut url = String::new();
            encode_url_safe(&bytes, &mut url);
            prop_assert_eq!(url, CRATE_URL.encode(&bytes));
            prop_assert_eq!(decode(&CRATE.encode(&bytes)), Some(bytes));
        }

        #[test]
        fn decodes_as_the_crate(text in "[A-Za-z0-9+/=]{0,24}") {
            prop_assert_eq!(decode(&text), CRATE.decode(&text).ok());
        }

        #[test]
        fn decodes_any_text_as_the_crate(text in "\\PC{0,12}") {
            prop_assert_eq!(decode(&text), CRATE.decode(&text).ok());
        }
    }
}
