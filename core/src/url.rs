//! URLs: the server address a client is given, and the Engine.IO request URLs built from it.
//!
//! The core builds every URL and query string so that all clients (browser, native, load generator)
//! send exactly the same requests: `<scheme>://<host>:<port><path>?EIO=4&transport=<t>[&<query>][&t=<ts>][&sid=<sid>]`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

use crate::engine::{PROTOCOL, Sid, Transport};

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
    /// A fragment is ignored.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::NotAbsolute)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => false,
            "https" | "wss" => true,
            other => return Err(UrlError::UnsupportedScheme(other.to_string())),
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        // Credentials are not sent by browsers' WebSocket/fetch from the URL; drop them.
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let close = v6.find(']').ok_or(UrlError::MissingHost)?;
            let (addr, after) = v6.split_at(close);
            let after = after.get(1..).unwrap_or_default();
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(UrlError::InvalidPort),
            };
            let mut host = String::from("[");
            host.push_str(addr);
            host.push(']');
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
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
            Some(p) => p.parse().map_err(|_| UrlError::InvalidPort)?,
        };
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, q),
            None => (tail, ""),
        };
        let pathname = if path.is_empty() {
            String::from("/")
        } else {
            path.to_string()
        };
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
        let mut s = String::new();
        let _ = write!(s, "{scheme}://{}:{}", self.host, self.port);
        s
    }
}

/// Splits `a=1&b=2` into decoded pairs; a key without `=` gets an empty value.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

/// Appends `s` percent-encoded as `encodeURIComponent` does.
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
            let _ = write!(out, "%{b:02X}");
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
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| core::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        let mut url = self.server.origin(transport);
        url.push_str(&self.path);
        let _ = write!(url, "?EIO={PROTOCOL}&transport={}", transport.as_str());
        for (k, v) in self.query.iter().filter(|(k, _)| !is_engine_param(k)) {
            url.push('&');
            percent_encode(&mut url, k);
            url.push('=');
            percent_encode(&mut url, v);
        }
        if let Some(t) = timestamp {
            url.push_str("&t=");
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
    }

    #[test]
    fn yeast_matches_the_reference_alphabet() {
        assert_eq!(yeast(0), "0");
        assert_eq!(yeast(64), "10");
        assert_eq!(yeast(1_700_000_000_000), "OlFvMW0");
    }
}
