//! URLs: the server address a client is given, and the Engine.IO request URLs built from it.
//!
//! The core builds every URL and query string so that all clients (browser, native, load generator)
//! send exactly the same requests: `<scheme>://<host>:<port><path>?EIO=4&transport=<t>[&<query>][&t=<ts>][&sid=<sid>]`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::engine::{PROTOCOL, Sid, Transport};
use crate::text::push_decimal;

/// Where a server is: what `io("https://example.com:8443/admin")` is given, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    /// `https`/`wss` (true) or `http`/`ws` (false).
    pub secure: bool,
    /// Host name or address; an IPv6 address keeps its brackets (`[::1]`).
    pub host: String,
    /// The port, explicit or the scheme's default (80, 443).
    pub port: u16,
    /// The URL's path, which Socket.IO reads as the namespace (`/` when empty).
    pub pathname: String,
    /// The URL's query pairs, decoded.
    pub query: Vec<(String, String)>,
}

/// Why a server URL cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// The scheme is not `http`, `https`, `ws` or `wss`.
    UnsupportedScheme(String),
    /// No host between `//` and the path.
    MissingHost,
    /// The port is not a number from 0 to 65535.
    InvalidPort,
    /// No `scheme://` at all (relative URLs are resolved by the driver, which knows the page).
    NotAbsolute,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::UnsupportedScheme(s) => {
                write!(
                    f,
                    "unsupported URL scheme {s:?} (use http, https, ws or wss)"
                )
            }
            UrlError::MissingHost => f.write_str("the URL has no host"),
            UrlError::InvalidPort => f.write_str("the URL's port is not a number from 0 to 65535"),
            UrlError::NotAbsolute => f.write_str("the URL is not absolute (scheme://host...)"),
        }
    }
}

impl core::error::Error for UrlError {}

impl ServerUrl {
    /// Parses an absolute URL: `http(s)://` or `ws(s)://`, a host, an optional port, path and query.
    /// A fragment is ignored. (The browser client reads its URLs with the platform's `URL` to the
    /// same result, which its tests check against this parser: the module goes without it.)
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let url = trim(url);
        // Byte searches rather than `str` patterns: the delimiters are ASCII, so every index below
        // is a char boundary, and the browser client's module does without the pattern machinery.
        let bytes = url.as_bytes();
        let scheme_end = bytes
            .windows(3)
            .position(|w| w == b"://")
            .ok_or(UrlError::NotAbsolute)?;
        let scheme = url.get(..scheme_end).unwrap_or_default();
        let rest = url.get(scheme_end + 3..).unwrap_or_default();
        let is = |name: &str| scheme.eq_ignore_ascii_case(name);
        let secure = if is("http") || is("ws") {
            false
        } else if is("https") || is("wss") {
            true
        } else {
            return Err(UrlError::UnsupportedScheme(scheme.to_ascii_lowercase()));
        };
        let rest = before(rest, |b| b == b'#');
        let authority = before(rest, |b| b == b'/' || b == b'?');
        let tail = rest.get(authority.len()..).unwrap_or_default();
        // Credentials are not sent by browsers' WebSocket/fetch from the URL; drop them.
        let authority = after_last(authority, b'@').unwrap_or(authority);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let addr = before(v6, |b| b == b']');
            let after = v6.get(addr.len()..).ok_or(UrlError::MissingHost)?;
            let after = after.strip_prefix(']').ok_or(UrlError::MissingHost)?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(UrlError::InvalidPort),
            };
            // `[addr]`, brackets kept.
            (authority.get(..addr.len() + 2).unwrap_or_default(), port)
        } else {
            match after_last(authority, b':') {
                Some(p) => {
                    let h = authority.get(..authority.len() - p.len() - 1);
                    (h.unwrap_or_default(), Some(p))
                }
                None => (authority, None),
            }
        };
        if host.is_empty() || host == "[]" {
            return Err(UrlError::MissingHost);
        }
        let port = match port {
            Some("") | None => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(p) => parse_port(p).ok_or(UrlError::InvalidPort)?,
        };
        let path = before(tail, |b| b == b'?');
        let query = tail.get(path.len() + 1..).unwrap_or_default();
        let pathname = String::from(if path.is_empty() { "/" } else { path });
        Ok(ServerUrl {
            secure,
            host: host.to_ascii_lowercase(),
            port,
            pathname,
            query: parse_query(query),
        })
    }

    /// `scheme://host:port`, the part two URLs must share to be multiplexed on one Manager.
    pub fn origin(&self, transport: Transport) -> String {
        let scheme = match (transport, self.secure) {
            (Transport::Polling, false) => "http",
            (Transport::Polling, true) => "https",
            (Transport::WebSocket, false) => "ws",
            (Transport::WebSocket, true) => "wss",
        };
        let mut s = String::from(scheme);
        s.push_str("://");
        s.push_str(&self.host);
        s.push(':');
        push_decimal(&mut s, u64::from(self.port));
        s
    }
}

/// `p.parse::<u16>()` (decimal digits after an optional `+`), without the generic integer parser.
fn parse_port(p: &str) -> Option<u16> {
    let digits = p.strip_prefix('+').unwrap_or(p);
    if digits.is_empty() {
        return None;
    }
    let mut port: u16 = 0;
    for b in digits.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        port = port.checked_mul(10)?.checked_add(u16::from(digit))?;
    }
    Some(port)
}

/// The part of `s` before the first byte matching `end` (all of `s` if none does); `end` must
/// match only ASCII bytes, so the cut is a char boundary.
fn before(s: &str, end: impl Fn(u8) -> bool) -> &str {
    let mut i = 0;
    while let Some(&b) = s.as_bytes().get(i) {
        if end(b) {
            break;
        }
        i += 1;
    }
    s.get(..i).unwrap_or(s)
}

/// The part of `s` after the last ASCII byte `delimiter`, if it has one.
fn after_last(s: &str, delimiter: u8) -> Option<&str> {
    let mut i = s.len();
    while i > 0 {
        i -= 1;
        if s.as_bytes().get(i) == Some(&delimiter) {
            return s.get(i + 1..);
        }
    }
    None
}

/// `str::trim` (Unicode white space at both ends) in one forward pass, without the char-pattern
/// machinery (searchers, backward char iteration) in the browser client's module.
fn trim(s: &str) -> &str {
    let mut start = None;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if !c.is_whitespace() {
            start.get_or_insert(i);
            end = i + c.len_utf8();
        }
    }
    s.get(start.unwrap_or(0)..end).unwrap_or_default()
}

/// Splits `a=1&b=2` into decoded pairs; a key without `=` gets an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        let pair = before(rest, |b| b == b'&');
        rest = rest.get(pair.len() + 1..).unwrap_or_default();
        if pair.is_empty() {
            continue;
        }
        let key = before(pair, |b| b == b'=');
        let value = match pair.get(key.len() + 1..) {
            Some(v) => percent_decode(v),
            None => String::new(),
        };
        pairs.push((percent_decode(key), value));
    }
    pairs
}

/// Appends `s` percent-encoded as `encodeURIComponent` does (with the `js` feature on wasm32, the
/// browser client's build: by `encodeURIComponent` itself).
#[cfg(all(feature = "js", target_arch = "wasm32"))]
pub fn percent_encode(out: &mut String, s: &str) {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// The platform's `encodeURIComponent` (it throws only on a lone surrogate, which a
        /// `str` cannot hold).
        #[wasm_bindgen(js_name = encodeURIComponent)]
        fn encode_uri_component(s: &str) -> String;
    }
    out.push_str(&encode_uri_component(s));
}

/// Appends `s` percent-encoded as `encodeURIComponent` does.
#[cfg(not(all(feature = "js", target_arch = "wasm32")))]
pub fn percent_encode(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            )
        {
            out.push(char::from(b));
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        }
    }
}

/// Decodes `%XX` escapes and `+` (as a space, as form-encoded queries use it). Invalid escapes and
/// byte sequences that are not UTF-8 are kept or replaced, never an error: a query is advisory.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                // As `u8::from_str_radix(.., 16)` reads the two bytes, a leading `+` included.
                let high = match bytes.get(i + 1) {
                    Some(b'+') => Some(0),
                    Some(&h) => hex_digit(h),
                    None => None,
                };
                match (high, bytes.get(i + 2).and_then(|&l| hex_digit(l))) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    lossy(&out)
}

/// The value of an ASCII hex digit, either case.
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `String::from_utf8_lossy`: each invalid sequence becomes U+FFFD, by `from_utf8`'s own error
/// lengths (which `from_utf8_lossy` follows too), without its chunk iterator in the wasm client.
fn lossy(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match core::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
                out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                match e.error_len() {
                    Some(len) => bytes = bytes.get(e.valid_up_to() + len..).unwrap_or_default(),
                    None => return out,
                }
            }
        }
    }
}

/// Everything needed to build Engine.IO request URLs for one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineUrl {
    /// The server.
    pub server: ServerUrl,
    /// The Engine.IO path: `/socket.io/` under Socket.IO, `/engine.io/` for bare Engine.IO.
    pub path: String,
    /// Extra query pairs sent with every request (the `query` option).
    pub query: Vec<(String, String)>,
}

impl EngineUrl {
    /// The URL of a request on `transport`: `EIO=4`, the transport, the user's query, a cache-busting
    /// timestamp `t` when given (the reference sends one on polling requests), and the `sid` once the
    /// session is open.
    pub fn request(
        &self,
        transport: Transport,
        sid: Option<&Sid>,
        timestamp: Option<&str>,
    ) -> String {
        self.request_with(transport, sid, timestamp.map(|t| ("t", t)))
    }

    /// [`EngineUrl::request`] with the timestamp's parameter name given (the reference's
    /// `timestampParam`): `(name, token)`. A query pair of that name is left out, as the
    /// reference's timestamp overwrites it.
    pub fn request_with(
        &self,
        transport: Transport,
        sid: Option<&Sid>,
        timestamp: Option<(&str, &str)>,
    ) -> String {
        let mut url = self.server.origin(transport);
        url.push_str(&self.path);
        url.push_str("?EIO=");
        push_decimal(&mut url, u64::from(PROTOCOL));
        url.push_str("&transport=");
        url.push_str(transport.as_str());
        for (k, v) in &self.query {
            if is_engine_param(k) || timestamp.is_some_and(|(name, _)| name == k) {
                continue;
            }
            url.push('&');
            percent_encode(&mut url, k);
            url.push('=');
            percent_encode(&mut url, v);
        }
        if let Some((name, t)) = timestamp {
            url.push('&');
            percent_encode(&mut url, name);
            url.push('=');
            percent_encode(&mut url, t);
        }
        if let Some(sid) = sid {
            url.push_str("&sid=");
            url.push_str(sid.as_str());
        }
        url
    }
}

/// Query keys the core sets itself; a user's value for them would corrupt the handshake.
fn is_engine_param(key: &str) -> bool {
    matches!(key, "EIO" | "transport" | "sid" | "t")
}

/// Encodes a number as the reference's `yeast` does for the `t` parameter: base 64 digits over
/// `0-9A-Za-z-_`, most significant first.
pub fn yeast(mut n: u64) -> String {
    const ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
    let mut digits = Vec::new();
    loop {
        let d = usize::try_from(n % 64).unwrap_or(0);
        digits.push(ALPHABET.get(d).copied().map(char::from).unwrap_or('0'));
        n /= 64;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_decoding_is_from_utf8_lossys() {
        let cases: [&[u8]; 9] = [
            b"",
            b"plain",
            b"caf\xc3\xa9",
            b"\xff",
            b"a\xffb\xfe",
            b"\xe2\x82",
            b"\xe2\x82x\xf0\x9f\x98\x80\xf0\x9f",
            b"\xc0\x80\xed\xa0\x80",
            b"\xf4\x90\x80\x80z",
        ];
        for bytes in cases {
            assert_eq!(lossy(bytes), String::from_utf8_lossy(bytes), "{bytes:?}");
        }
    }

    fn engine(url: &str) -> EngineUrl {
        EngineUrl {
            server: ServerUrl::parse(url).unwrap(),
            path: "/socket.io/".into(),
            query: alloc::vec![("token".into(), "a b&c".into())],
        }
    }

    #[test]
    fn parses_scheme_host_port_path() {
        let u = ServerUrl::parse("https://Example.com/admin?x=1#frag").unwrap();
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.pathname.as_str()),
            (true, "example.com", 443, "/admin")
        );
        assert_eq!(u.query, [("x".into(), "1".into())]);
        let u = ServerUrl::parse("ws://[::1]:3000").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.pathname.as_str()),
            ("[::1]", 3000, "/")
        );
        let u = ServerUrl::parse("http://user:pw@127.0.0.1:8080/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 8080));
    }

    #[test]
    fn rejects_bad_urls() {
        assert_eq!(
            ServerUrl::parse("localhost:3000"),
            Err(UrlError::NotAbsolute)
        );
        assert_eq!(
            ServerUrl::parse("ftp://x"),
            Err(UrlError::UnsupportedScheme("ftp".into()))
        );
        assert_eq!(ServerUrl::parse("http://:80/"), Err(UrlError::MissingHost));
        assert_eq!(
            ServerUrl::parse("http://x:99999/"),
            Err(UrlError::InvalidPort)
        );
        assert_eq!(ServerUrl::parse("http://[::1/"), Err(UrlError::MissingHost));
    }

    #[test]
    fn builds_the_reference_request_urls() {
        let e = engine("http://localhost:3000");
        assert_eq!(
            e.request(Transport::Polling, None, Some("N8hyd6w")),
            "http://localhost:3000/socket.io/?EIO=4&transport=polling&token=a%20b%26c&t=N8hyd6w"
        );
        let sid = Sid::new("lv_VI97HAXpY6yYWAAAC").unwrap();
        assert_eq!(
            e.request(Transport::WebSocket, Some(&sid), None),
            "ws://localhost:3000/socket.io/?EIO=4&transport=websocket&token=a%20b%26c&sid=lv_VI97HAXpY6yYWAAAC"
        );
        let secure = engine("https://h");
        assert!(
            secure
                .request(Transport::WebSocket, None, None)
                .starts_with("wss://h:443/socket.io/?EIO=4")
        );
    }

    #[test]
    fn user_query_cannot_override_engine_params() {
        let mut e = engine("http://h:1");
        e.query = alloc::vec![("EIO".into(), "3".into()), ("sid".into(), "x".into())];
        assert_eq!(
            e.request(Transport::Polling, None, None),
            "http://h:1/socket.io/?EIO=4&transport=polling"
        );
    }

    #[test]
    fn percent_coding_round_trips() {
        let mut s = String::new();
        percent_encode(&mut s, "é/?&= x");
        assert_eq!(s, "%C3%A9%2F%3F%26%3D%20x");
        assert_eq!(percent_decode(&s), "é/?&= x");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        // As `u8::from_str_radix` reads an escape: a sign is a digit's prefix, bytes are not.
        assert_eq!(percent_decode("%+F%-F%++%2f"), "\u{f}%-F%  /");
    }

    #[test]
    fn ports_parse_as_u16_does() {
        for p in [
            "0", "80", "+80", "0080", "65535", "65536", "+", "-1", "8o", "99999999", "٣",
        ] {
            assert_eq!(parse_port(p), p.parse::<u16>().ok(), "{p:?}");
        }
    }

    #[test]
    fn trims_and_splits_as_str_does() {
        for s in ["", " ", "\u{3000}a b\u{a0}", "\té\n", "x"] {
            assert_eq!(trim(s), s.trim());
        }
        for q in ["", "&", "a", "a=", "=b", "a=1&&b=2&", "a=b=c&d"] {
            let model: Vec<(String, String)> = q
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (percent_decode(k), percent_decode(v)),
                    None => (percent_decode(p), String::new()),
                })
                .collect();
            assert_eq!(parse_query(q), model, "{q:?}");
        }
    }

    #[test]
    fn yeast_matches_the_reference_alphabet() {
        assert_eq!(yeast(0), "0");
        assert_eq!(yeast(64), "10");
        assert_eq!(yeast(1_700_000_000_000), "OlFvMW0");
    }
}
