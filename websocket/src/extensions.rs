//! The `Sec-WebSocket-Extensions` header (RFC 6455 section 9.1) and permessage-deflate's
//! parameters in it (RFC 7692 section 7.1): its grammar for both ends, a client's offer, and a
//! client's reading of the server's answer. (The server's choice among offers is its own, by its
//! configuration.) Linear in the header value, which the HTTP layer bounds.

use crate::deflate::DeflateParams;

/// The extension's name.
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// The one LZ77 window size this crate compresses with (miniz_oxide's): 2^15 bytes. Inflating
/// with it takes any smaller window.
pub const WINDOW_BITS: u8 = 15;

/// One extension offered or answered: its name and parameters as written (a quoted value
/// unquoted).
#[derive(Debug, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The extension token.
    pub name: &'a str,
    /// Its parameters in order, each with its value if it has one.
    pub params: Vec<(&'a str, Option<String>)>,
}

/// The offer a client makes: `permessage-deflate` with no window limits (a compressor here
/// always uses a 2^15 window, so `client_max_window_bits` is not offered), and
/// `client_no_context_takeover` when the client will reset its compressor after every message.
pub fn client_offer(client_no_context_takeover: bool) -> String {
    let mut offer = String::from(PERMESSAGE_DEFLATE);
    if client_no_context_takeover {
        offer.push_str("; client_no_context_takeover");
    }
    offer
}

/// What a server's answer (its `Sec-WebSocket-Extensions` values, in order) agreed to, for a
/// client that made [`client_offer`]: `Ok(None)` when it declined compression, and an error,
/// which fails the connection (RFC 7692 section 5), when it answered what was not offered, a
/// parameter twice, one with a bad value, or `client_max_window_bits`, which was not offered.
/// `threshold` and `level` are the client's own.
pub fn client_accepted<'a>(
    answers: impl IntoIterator<Item = &'a str>,
    client_no_context_takeover: bool,
    threshold: usize,
    level: u32,
) -> Result<Option<DeflateParams>, &'static str> {
    let mut agreed = None;
    for value in answers {
        for extension in parse(value).ok_or("a malformed Sec-WebSocket-Extensions answer")? {
            if !extension.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE) {
                return Err("an extension the client did not offer");
            }
            if agreed.is_some() {
                return Err("permessage-deflate answered twice");
            }
            agreed = Some(answered_params(&extension)?);
        }
    }
    Ok(agreed.map(|(server_reset, client_reset)| DeflateParams {
        server_no_context_takeover: server_reset,
        client_no_context_takeover: client_reset || client_no_context_takeover,
        threshold,
        level,
    }))
}

/// The context-takeover flags (server's, client's) of an answered permessage-deflate.
fn answered_params(answer: &Extension<'_>) -> Result<(bool, bool), &'static str> {
    let (mut server_reset, mut client_reset, mut server_bits) = (false, false, false);
    for (name, value) in &answer.params {
        let slot = match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" if value.is_none() => &mut server_reset,
            "client_no_context_takeover" if value.is_none() => &mut client_reset,
            // The server's window limit on its own messages: any fits the inflater's.
            "server_max_window_bits" if value.as_deref().and_then(window_bits).is_some() => {
                &mut server_bits
            }
            "client_max_window_bits" => {
                return Err("client_max_window_bits, which was not offered");
            }
            _ => return Err("an unknown or malformed permessage-deflate parameter"),
        };
        if std::mem::replace(slot, true) {
            return Err("a permessage-deflate parameter twice");
        }
    }
    Ok((server_reset, client_reset))
}

/// A `*_max_window_bits` value: a decimal from 8 to 15 without leading zeros (section 7.1.2).
pub fn window_bits(value: &str) -> Option<u8> {
    if value.starts_with('0') || value.len() > 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|bits| (8..=15).contains(bits))
}

/// One `Sec-WebSocket-Extensions` value (RFC 6455 section 9.1), or `None` when it is malformed:
///
/// ```text
/// extension-list = 1#extension
/// extension      = extension-token *( ";" extension-param )
/// extension-param = token [ "=" (token | quoted-string) ]
/// ```
pub fn parse(value: &str) -> Option<Vec<Extension<'_>>> {
    let mut rest = value;
    let mut offers = Vec::new();
    loop {
        rest = skip_space(rest);
        // Empty list elements are allowed (RFC 9110 section 5.6.1).
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
            continue;
        }
        if rest.is_empty() {
            return Some(offers);
        }
        let (name, after) = token(rest)?;
        let mut offer = Extension {
            name,
            params: Vec::new(),
        };
        rest = skip_space(after);
        while let Some(after) = rest.strip_prefix(';') {
            let (param, after) = token(skip_space(after))?;
            rest = skip_space(after);
            let mut value = None;
            if let Some(after) = rest.strip_prefix('=') {
                let (v, after) = param_value(skip_space(after))?;
                value = Some(v);
                rest = skip_space(after);
            }
            offer.params.push((param, value));
        }
        offers.push(offer);
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None if rest.is_empty() => return Some(offers),
            None => return None,
        }
    }
}

fn skip_space(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// A token (RFC 9110 section 5.6.2) at the start of `s`, and what follows it.
fn token(s: &str) -> Option<(&str, &str)> {
    let end = s.bytes().position(|b| !is_tchar(b)).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A token or a quoted string (its escapes undone), and what follows it.
fn param_value(s: &str) -> Option<(String, &str)> {
    let Some(quoted) = s.strip_prefix('"') else {
        let (t, rest) = token(s)?;
        return Some((t.to_owned(), rest));
    };
    let mut out = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, quoted.get(i + 1..).unwrap_or_default())),
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_parser_reads_the_grammar() {
        let offers = parse(" a ;b = \"x\\\"y\" ;c, ,d").unwrap();
        assert_eq!(
            offers,
            [
                Extension {
                    name: "a",
                    params: vec![("b", Some("x\"y".into())), ("c", None)],
                },
                Extension {
                    name: "d",
                    params: vec![],
                },
            ]
        );
    }

    fn accepted(answers: &[&str], own_reset: bool) -> Result<Option<DeflateParams>, &'static str> {
        client_accepted(answers.iter().copied(), own_reset, 1024, 6)
    }

    #[test]
    fn a_client_reads_what_the_server_agreed_to() {
        assert_eq!(accepted(&[], false), Ok(None));
        let params = accepted(&["permessage-deflate"], false).unwrap().unwrap();
        assert!(!params.server_no_context_takeover && !params.client_no_context_takeover);
        let params = accepted(
            &["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"],
            false,
        )
        .unwrap()
        .unwrap();
        assert!(params.server_no_context_takeover && !params.client_no_context_takeover);
        // Asked by the server, or offered by the client: either way the client resets.
        let asked = accepted(&["permessage-deflate;client_no_context_takeover"], false);
        assert!(asked.unwrap().unwrap().client_no_context_takeover);
        let offered = accepted(&["PerMessage-Deflate"], true);
        assert!(offered.unwrap().unwrap().client_no_context_takeover);
        assert_eq!(client_offer(false), "permessage-deflate");
        assert_eq!(
            client_offer(true),
            "permessage-deflate; client_no_context_takeover"
        );
    }

    #[test]
    fn an_answer_that_was_not_offered_fails_the_connection() {
        for answer in [
            &["permessage-deflate; client_max_window_bits=10"][..],
            &["permessage-deflate; server_max_window_bits=16"],
            &["permessage-deflate; server_max_window_bits"],
            &["permessage-deflate; server_no_context_takeover; server_no_context_takeover"],
            &["permessage-deflate; unknown"],
            &["permessage-deflate", "permessage-deflate"],
            &["x-webkit-deflate-frame"],
            &["permessage-deflate;"],
        ] {
            assert!(accepted(answer, false).is_err(), "{answer:?}");
        }
    }
}
