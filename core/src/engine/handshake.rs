//! The open packet's JSON:
//! `{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::{Sid, Transport};
use crate::json;
use crate::text::push_decimal;
use crate::time::duration_millis;

/// The handshake the server sends in the open packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The session id.
    pub sid: Sid,
    /// Transports the client may upgrade to (unknown names, such as `webtransport`, are dropped when
    /// decoding).
    pub upgrades: Vec<Transport>,
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long the server waits for a pong.
    pub ping_timeout: Duration,
    /// The most bytes the server accepts in one polling payload; the client splits its POSTs by it.
    /// `0` when the server did not say (servers before engine.io 6), which means no limit, as the
    /// reference client reads it.
    pub max_payload: u64,
}

/// Why an open packet's JSON is not a handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Not a JSON object.
    NotAnObject,
    /// A required key is missing or has the wrong type.
    Missing(&'static str),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::NotAnObject => f.write_str("handshake is not a JSON object"),
            HandshakeError::Missing(k) => write!(f, "handshake key {k:?} is missing or invalid"),
        }
    }
}

impl core::error::Error for HandshakeError {}

/// How deep a handshake's JSON may nest: it is a flat object with one array.
const MAX_DEPTH: usize = 4;

impl Handshake {
    /// Appends the JSON, keys in the reference's order.
    pub fn encode(&self, out: &mut String) {
        out.push_str("{\"sid\":");
        json::write_string(out, self.sid.as_str());
        out.push_str(",\"upgrades\":[");
        for (i, t) in self.upgrades.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::write_string(out, t.as_str());
        }
        out.push_str("],\"pingInterval\":");
        push_decimal(out, duration_millis(self.ping_interval));
        out.push_str(",\"pingTimeout\":");
        push_decimal(out, duration_millis(self.ping_timeout));
        out.push_str(",\"maxPayload\":");
        push_decimal(out, self.max_payload);
        out.push('}');
    }

    /// Length of [`Handshake::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        let mut s = String::new();
        self.encode(&mut s);
        s.len()
    }

    /// Parses the JSON of an open packet. Extra keys are ignored; `maxPayload` may be absent.
    pub fn decode(text: &str) -> Result<Handshake, HandshakeError> {
        match json::scan(text, MAX_DEPTH) {
            Ok(scan) if scan.kind == json::Kind::Object => {}
            _ => return Err(HandshakeError::NotAnObject),
        }
        let sid = json::object_get(text, "sid")
            .and_then(|raw| json::parse_string(raw).ok())
            .and_then(|s| Sid::new(s).ok())
            .ok_or(HandshakeError::Missing("sid"))?;
        let upgrades_raw =
            json::object_get(text, "upgrades").ok_or(HandshakeError::Missing("upgrades"))?;
        if !upgrades_raw.starts_with('[') {
            return Err(HandshakeError::Missing("upgrades"));
        }
        let mut upgrades = Vec::new();
        for item in json::array_items(upgrades_raw) {
            let name = json::parse_string(item).map_err(|_| HandshakeError::Missing("upgrades"))?;
            if let Some(t) = Transport::from_name(&name)
                && !upgrades.contains(&t)
            {
                upgrades.push(t);
            }
        }
        let millis = |key: &'static str| {
            json::object_get(text, key)
                .and_then(json::parse_u64)
                .map(Duration::from_millis)
                .ok_or(HandshakeError::Missing(key))
        };
        let ping_interval = millis("pingInterval")?;
        let ping_timeout = millis("pingTimeout")?;
        let max_payload = match json::object_get(text, "maxPayload") {
            None => 0,
            Some(raw) => json::parse_u64(raw).ok_or(HandshakeError::Missing("maxPayload"))?,
        };
        Ok(Handshake {
            sid,
            upgrades,
            ping_interval,
            ping_timeout,
            max_payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const SPEC: &str = r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

    fn spec() -> Handshake {
        Handshake {
            sid: Sid::new("lv_VI97HAXpY6yYWAAAC").unwrap(),
            upgrades: vec![Transport::WebSocket],
            ping_interval: Duration::from_millis(25000),
            ping_timeout: Duration::from_millis(20000),
            max_payload: 1_000_000,
        }
    }

    #[test]
    fn the_spec_handshake_both_ways() {
        assert_eq!(Handshake::decode(SPEC), Ok(spec()));
        let mut out = String::new();
        spec().encode(&mut out);
        assert_eq!(out, SPEC);
        assert_eq!(spec().encoded_len(), SPEC.len());
    }

    #[test]
    fn websocket_only_sessions_announce_no_upgrades() {
        let h = Handshake {
            upgrades: vec![],
            ..spec()
        };
        let mut out = String::new();
        h.encode(&mut out);
        assert!(out.contains(r#""upgrades":[]"#));
        assert_eq!(Handshake::decode(&out), Ok(h));
    }

    #[test]
    fn lenient_where_the_reference_is() {
        let old = r#"{"upgrades":["websocket","webtransport"],"sid":"abc","pingTimeout":5000,"pingInterval":300,"extra":{"x":[1]}}"#;
        let h = Handshake::decode(old).unwrap();
        assert_eq!(h.sid.as_str(), "abc");
        assert_eq!(h.upgrades, [Transport::WebSocket]);
        assert_eq!(
            (h.ping_interval, h.ping_timeout),
            (Duration::from_millis(300), Duration::from_millis(5000))
        );
        assert_eq!(h.max_payload, 0);
    }

    #[test]
    fn malformed_handshakes_are_typed_errors() {
        assert_eq!(Handshake::decode(""), Err(HandshakeError::NotAnObject));
        assert_eq!(Handshake::decode("[]"), Err(HandshakeError::NotAnObject));
        assert_eq!(Handshake::decode("{"), Err(HandshakeError::NotAnObject));
        let without = |key: &str| SPEC.replace(key, "\"other\"");
        assert_eq!(
            Handshake::decode(&without("\"sid\"")),
            Err(HandshakeError::Missing("sid"))
        );
        assert_eq!(
            Handshake::decode(&without("\"upgrades\"")),
            Err(HandshakeError::Missing("upgrades"))
        );
        assert_eq!(
            Handshake::decode(&without("\"pingInterval\"")),
            Err(HandshakeError::Missing("pingInterval"))
        );
        assert_eq!(
            Handshake::decode(&SPEC.replace("25000", "-1")),
            Err(HandshakeError::Missing("pingInterval"))
        );
        assert_eq!(
            Handshake::decode(&SPEC.replace("25000", "2.5e4")),
            Err(HandshakeError::Missing("pingInterval"))
        );
        assert_eq!(
            Handshake::decode(&SPEC.replace("1000000", "\"big\"")),
            Err(HandshakeError::Missing("maxPayload"))
        );
        assert_eq!(
            Handshake::decode(&SPEC.replace("lv_VI97HAXpY6yYWAAAC", "a b")),
            Err(HandshakeError::Missing("sid"))
        );
        assert_eq!(
            Handshake::decode(&SPEC.replace("[\"websocket\"]", "[1]")),
            Err(HandshakeError::Missing("upgrades"))
        );
        // Nesting beyond a flat object is not a handshake.
        assert_eq!(
            Handshake::decode(r#"{"a":[[[[[1]]]]]}"#),
            Err(HandshakeError::NotAnObject)
        );
    }
}
