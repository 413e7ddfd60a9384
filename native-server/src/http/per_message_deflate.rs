//! The `per_message_deflate` option and its negotiation in the WebSocket handshake (RFC 7692
//! section 7.1): the client offers `permessage-deflate` in `Sec-WebSocket-Extensions`, one offer
//! or several in order of preference; the server accepts the first one it can honour, answering
//! with the parameters that then hold, or declines them all and the WebSocket goes uncompressed.

use sockeye_websocket::deflate::DeflateParams;
use sockeye_websocket::extensions::{
    self, Extension, PERMESSAGE_DEFLATE, WINDOW_BITS, window_bits,
};

/// WebSocket compression, permessage-deflate (RFC 7692): the reference's `perMessageDeflate`.
/// Off unless set (engine.io's default, `false`); when set, a client that offers it (browsers and
/// the `ws` package do) gets its messages of at least [`threshold`](Self::threshold) bytes
/// compressed, and may send compressed ones.
///
/// Each direction keeps its DEFLATE window from message to message (context takeover) unless a
/// side asks otherwise: 319 KB for a connection's compressor once it has compressed a
/// message and 43 KB for its inflater once it has received one (zlib, under the reference, takes
/// about 256 KB and 40 KB).
/// [`server_no_context_takeover`](Self::server_no_context_takeover) and
/// [`client_no_context_takeover`](Self::client_no_context_takeover) trade ratio for that memory:
/// a state reset after every message is the thread's, not the connection's.
///
/// A compressed message that inflates past `max_http_buffer_size` is refused as an oversized one
/// (close status 1009), however small it came. Messages of the broadcast path, built once for
/// all receivers, are compressed for each receiver that negotiated compression (its window is its
/// own), which costs CPU per receiver: the reference's `ws` does the same. Messages of 32 KiB and
/// more are compressed and inflated with the worker thread handed over to tokio
/// (`block_in_place`), as the reference's zlib works on libuv's thread pool: 745 KB of JSON takes
/// about 30 ms at level 6, which the worker's other connections do not wait for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerMessageDeflate {
    pub(crate) threshold: usize,
    pub(crate) level: u32,
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
}

impl Default for PerMessageDeflate {
    /// engine.io's `perMessageDeflate: true`: a threshold of 1,024 bytes, level 6, context
    /// takeover both ways (the `ws` and zlib defaults).
    fn default() -> Self {
        PerMessageDeflate {
            threshold: 1024,
            level: 6,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
        }
    }
}

impl PerMessageDeflate {
    /// Messages shorter than this many bytes (an Engine.IO packet as it is framed: the `4` and
    /// the Socket.IO packet's text, or one binary attachment) go uncompressed (1,024).
    ///
    /// The reference's `ws` applies its threshold only where the server resets its context
    /// (`server_no_context_takeover`), and otherwise compresses every message; here it applies
    /// to all. Compressing a 45-byte acknowledgement costs about 19,000 instructions with
    /// miniz_oxide, more than this server's whole work for an acknowledged event (about 12,700),
    /// to save about 38 bytes. `threshold(0)` compresses every message, as the reference does
    /// with context takeover.
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The compression level, 0 (none: stored blocks) to 9 (smallest), on zlib's scale (6; the
    /// reference's `zlibDeflateOptions.level`). Measured on a 10 KB JSON event, level 6 sends
    /// 8% of its bytes with context takeover (14% without) for about 860,000 instructions per
    /// message; level 1 sends 15% for about 205,000. Values over 9 count as 9.
    #[must_use]
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Whether the server resets its compressor after every message, always asking
    /// `server_no_context_takeover` (false: only when the client asks).
    #[must_use]
    pub fn server_no_context_takeover(mut self, reset: bool) -> Self {
        self.server_no_context_takeover = reset;
        self
    }

    /// Whether the server asks each client to reset its compressor after every message
    /// (`client_no_context_takeover`; false: only when the client offers it).
    #[must_use]
    pub fn client_no_context_takeover(mut self, reset: bool) -> Self {
        self.client_no_context_takeover = reset;
        self
    }
}

/// The accepted offer's parameters and the `Sec-WebSocket-Extensions` value that says so, or
/// `None` when no offer among `headers` (the request's `Sec-WebSocket-Extensions` values, in
/// order) can be honoured, malformed ones included (RFC 7692 section 5: a server declines them).
pub(crate) fn negotiate<'a>(
    headers: impl IntoIterator<Item = &'a [u8]>,
    config: &PerMessageDeflate,
) -> Option<(DeflateParams, String)> {
    headers
        .into_iter()
        .filter_map(|value| std::str::from_utf8(value).ok())
        .filter_map(extensions::parse)
        .flatten()
        .filter(|offer| offer.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
        .find_map(|offer| accept(&offer, config))
}

/// The parameters of a permessage-deflate offer that this server honours, and its answer.
fn accept(offer: &Extension<'_>, config: &PerMessageDeflate) -> Option<(DeflateParams, String)> {
    let mut server_reset = false;
    let mut client_reset = false;
    let mut server_bits = None;
    let mut client_bits = None;
    for (name, value) in &offer.params {
        // A parameter twice, unknown, or with a value it may not have: declined (section 7.1).
        let slot_free = match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" if value.is_none() => {
                !std::mem::replace(&mut server_reset, true)
            }
            "client_no_context_takeover" if value.is_none() => {
                !std::mem::replace(&mut client_reset, true)
            }
            "server_max_window_bits" => server_bits
                .replace(window_bits(value.as_deref()?)?)
                .is_none(),
            "client_max_window_bits" => {
                let bits = match value {
                    Some(v) => Some(window_bits(v)?),
                    None => None,
                };
                client_bits.replace(bits).is_none()
            }
            _ => return None,
        };
        if !slot_free {
            return None;
        }
    }
    // The client's window limit on the server's messages: only the largest, as compression
    // here always uses a 2^15 window (section 7.1.2.1: decline what cannot be honoured).
    if server_bits.is_some_and(|bits| bits < WINDOW_BITS) {
        return None;
    }
    let params = DeflateParams {
        server_no_context_takeover: server_reset || config.server_no_context_takeover,
        client_no_context_takeover: client_reset || config.client_no_context_takeover,
        threshold: config.threshold,
        level: config.level,
    };
    // `client_max_window_bits` stays out of the answer: the inflater takes any window up to
    // 2^15, the client's default when the answer does not name one (section 7.1.2.2).
    let mut answer = String::from(PERMESSAGE_DEFLATE);
    if params.server_no_context_takeover {
        answer.push_str("; server_no_context_takeover");
    }
    if params.client_no_context_takeover {
        answer.push_str("; client_no_context_takeover");
    }
    Some((params, answer))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;

    fn answer(offers: &[&str], config: &PerMessageDeflate) -> Option<String> {
        negotiate(offers.iter().map(|s| s.as_bytes()), config).map(|(_, answer)| answer)
    }

    fn on() -> PerMessageDeflate {
        PerMessageDeflate::default()
    }

    #[test]
    fn what_browsers_and_ws_offer_is_accepted_with_context_takeover() {
        // Chromium's and Firefox's offer, and `ws`'s.
        let (params, answered) =
            negotiate([&b"permessage-deflate; client_max_window_bits"[..]], &on()).unwrap();
        assert_eq!(answered, "permessage-deflate");
        assert_eq!(
            params,
            DeflateParams {
                server_no_context_takeover: false,
                client_no_context_takeover: false,
                threshold: 1024,
                level: 6,
            }
        );
        assert_eq!(
            answer(&["permessage-deflate"], &on()).as_deref(),
            Some("permessage-deflate")
        );
    }

    #[test]
    fn no_context_takeover_asked_by_either_side_is_answered() {
        assert_eq!(
            answer(&["permessage-deflate; server_no_context_takeover"], &on()).as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        assert_eq!(
            answer(&["permessage-deflate;client_no_context_takeover"], &on()).as_deref(),
            Some("permessage-deflate; client_no_context_takeover")
        );
        let config = on()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true);
        let (params, answered) = negotiate([&b"permessage-deflate"[..]], &config).unwrap();
        assert_eq!(
            answered,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        assert!(params.server_no_context_takeover && params.client_no_context_takeover);
    }

    #[test]
    fn window_bits_the_server_cannot_honour_decline_the_offer() {
        // The RFC's section 7.1.3 example: the first offer asks for a 2^10 window, which
        // miniz_oxide cannot keep to, so the second, without it, is taken.
        let offer = "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
                     permessage-deflate; client_max_window_bits";
        assert_eq!(
            answer(&[offer], &on()).as_deref(),
            Some("permessage-deflate")
        );
        assert_eq!(
            answer(&["permessage-deflate; server_max_window_bits=10"], &on()),
            None
        );
        // 15 is the window it uses anyway; a client limit of any size is fine to inflate.
        assert_eq!(
            answer(
                &["permessage-deflate; server_max_window_bits=\"15\"; client_max_window_bits=9"],
                &on()
            )
            .as_deref(),
            Some("permessage-deflate")
        );
    }

    #[test]
    fn invalid_offers_are_declined() {
        for offer in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=015",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            "permessage-deflate; unknown",
            "permessage-deflate; client_max_window_bits=\"10",
            "permessage-deflate;",
            "permessage-deflate x",
            "x-webkit-deflate-frame",
            "",
        ] {
            assert_eq!(answer(&[offer], &on()), None, "{offer}");
        }
    }

    #[test]
    fn offers_may_span_header_lines_and_follow_other_extensions() {
        assert_eq!(
            answer(
                &[
                    "foo; bar=\"a,b\", permessage-deflate; server_max_window_bits=8",
                    "permessage-deflate; server_no_context_takeover"
                ],
                &on()
            )
            .as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        // A malformed line spoils only itself.
        assert_eq!(
            answer(&["permessage-deflate; =", "PerMessage-Deflate"], &on()).as_deref(),
            Some("permessage-deflate")
        );
    }

    #[test]
    fn any_header_is_an_answer_or_a_refusal_not_a_panic() {
        let alphabet: Vec<char> =
            "permessage-deflate;server_max_window_bits=client_no_context_takeover, \"\\\t1589é"
                .chars()
                .collect();
        let mut x = 11u32;
        for len in 0..2_000 {
            let value: String = (0..len % 90)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    alphabet[(x >> 16) as usize % alphabet.len()]
                })
                .collect();
            if let Some((_, answer)) = negotiate([value.as_bytes()], &on()) {
                assert!(answer.starts_with("permessage-deflate"), "{value:?}");
            }
        }
    }
}
