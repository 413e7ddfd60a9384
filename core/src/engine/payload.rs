//! HTTP long-polling payloads: packets as text records joined by the record separator `\x1e`, binary
//! messages as `b` + base64.
//!
//! `4hello\x1ebAQIDBA==\x1e4world` is three messages: `hello`, the bytes 1 2 3 4, `world`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::Packet;
use super::packet::DecodeError;

/// The record separator between packets in a polling payload.
pub const SEPARATOR: char = '\x1e';

/// Why a polling body is not a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The body is longer than the session's `maxPayload` (HTTP 413 at the server).
    TooLarge {
        /// The body's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Record `index` (from 0) is not a packet.
    Packet {
        /// Which record.
        index: usize,
        /// What is wrong with it.
        error: DecodeError,
    },
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::TooLarge { len, max } => {
                write!(f, "polling payload of {len} bytes exceeds maxPayload {max}")
            }
            PayloadError::Packet { index, error } => {
                write!(f, "polling payload record {index}: {error}")
            }
        }
    }
}

impl core::error::Error for PayloadError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            PayloadError::Packet { error, .. } => Some(error),
            PayloadError::TooLarge { .. } => None,
        }
    }
}

/// Appends the payload of `packets` to `out`.
pub fn encode<'a>(packets: impl IntoIterator<Item = &'a Packet>, out: &mut String) {
    for (i, packet) in packets.into_iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        packet.encode_text(out);
    }
}

/// The length [`encode`] would produce for `packets`.
pub fn encoded_len<'a>(packets: impl IntoIterator<Item = &'a Packet>) -> usize {
    packets
        .into_iter()
        .map(|p| p.encoded_len() + 1)
        .sum::<usize>()
        .saturating_sub(1)
}

/// Decodes a polling body of at most `max_payload` bytes. The first bad record fails the whole
/// payload, as the reference closes the session on it.
///
/// ```
/// use sockeye_core::engine::{Packet, payload};
/// let packets = payload::decode("4hello\x1ebAQIDBA==\x1e4world", 1_000_000).unwrap();
/// assert_eq!(packets, [Packet::Message("hello".into()), Packet::Binary(vec![1, 2, 3, 4]), Packet::Message("world".into())]);
/// ```
pub fn decode(body: &str, max_payload: usize) -> Result<Vec<Packet>, PayloadError> {
    if body.len() > max_payload {
        return Err(PayloadError::TooLarge {
            len: body.len(),
            max: max_payload,
        });
    }
    // A byte search rather than `str::split`: the separator is ASCII, so every cut is a char
    // boundary, and the browser client's module does without the char-pattern machinery.
    let mut packets = Vec::new();
    let mut rest = body;
    loop {
        let end = rest.bytes().position(|b| b == SEPARATOR as u8);
        let record = rest.get(..end.unwrap_or(rest.len())).unwrap_or_default();
        let index = packets.len();
        packets.push(
            Packet::decode_text(record).map_err(|error| PayloadError::Packet { index, error })?,
        );
        match end {
            Some(end) => rest = rest.get(end + 1..).unwrap_or_default(),
            None => return Ok(packets),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn the_spec_payload_both_ways() {
        let wire = "4hello\u{1e}bAQIDBA==\u{1e}4world";
        let packets = vec![
            Packet::Message("hello".into()),
            Packet::Binary(vec![1, 2, 3, 4]),
            Packet::Message("world".into()),
        ];
        assert_eq!(decode(wire, 1_000_000), Ok(packets.clone()));
        let mut out = String::new();
        encode(&packets, &mut out);
        assert_eq!(out, wire);
        assert_eq!(encoded_len(&packets), wire.len());
    }

    #[test]
    fn single_records_and_control_packets() {
        assert_eq!(decode("2", 10), Ok(vec![Packet::Ping]));
        assert_eq!(decode("6", 10), Ok(vec![Packet::Noop]));
        let mut out = String::new();
        encode(&[Packet::Pong], &mut out);
        assert_eq!(out, "3");
        assert_eq!(encoded_len(&[]), 0);
    }

    #[test]
    fn max_payload_is_enforced_before_decoding() {
        let body = "4".repeat(101);
        assert_eq!(
            decode(&body, 100),
            Err(PayloadError::TooLarge { len: 101, max: 100 })
        );
        assert!(decode(&body, 101).is_ok());
    }

    #[test]
    fn the_first_bad_record_fails_the_payload() {
        assert_eq!(
            decode("4a\u{1e}\u{1e}4b", 100),
            Err(PayloadError::Packet {
                index: 1,
                error: DecodeError::Empty
            })
        );
        assert_eq!(
            decode("4a\u{1e}b%%%", 100),
            Err(PayloadError::Packet {
                index: 1,
                error: DecodeError::InvalidBase64
            })
        );
        assert_eq!(
            decode("", 100),
            Err(PayloadError::Packet {
                index: 0,
                error: DecodeError::Empty
            })
        );
    }

    #[test]
    fn a_separator_flood_is_bounded_and_fails_fast() {
        let flood = "\u{1e}".repeat(500_000);
        assert!(decode(&flood, 1_000_000).is_err());
        assert!(matches!(
            decode(&flood, 1000),
            Err(PayloadError::TooLarge { .. })
        ));
    }
}
