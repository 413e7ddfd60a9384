//! The opening handshake (RFC 6455 section 4): `Sec-WebSocket-Accept` for both ends, and the
//! client's side whole: its request, and the server's answer read with a bound and checked, with
//! permessage-deflate as the answer agreed to it.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Buf, BytesMut};
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::WebSocket;
use crate::extensions;

/// What the key is concatenated with before hashing (section 1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The longest answer head (status line and headers) a client reads: past it, the handshake
/// fails. Servers answer a WebSocket upgrade in a few hundred bytes.
pub const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// The most headers a client reads in the answer.
const MAX_HEADERS: usize = 64;

/// The `Sec-WebSocket-Accept` that answers `key`: base64 of the SHA-1 of the key and the GUID.
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (section 4.1).
pub fn client_key() -> String {
    BASE64.encode(rand::random::<[u8; 16]>())
}

/// What a client asks in its handshake.
#[derive(Clone, Copy, Debug)]
pub struct ClientRequest<'a> {
    /// The request target: the URL's path and query.
    pub path_and_query: &'a str,
    /// The `Host` header: the URL's authority.
    pub host: &'a str,
    /// More headers, sent as they are (cookies, authorization ...).
    pub headers: &'a [(String, String)],
    /// permessage-deflate to offer, or `None`.
    pub deflate: Option<DeflateOffer>,
    /// The longest message the client takes; a longer one closes the WebSocket (1009).
    pub max_message: usize,
}

/// A client's permessage-deflate: what it offers, and how it compresses once agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateOffer {
    /// Messages shorter than this go uncompressed.
    pub threshold: usize,
    /// The DEFLATE level, 0 to 9.
    pub level: u32,
    /// The client resets its compressor after every message, and says so in its offer.
    pub client_no_context_takeover: bool,
}

impl Default for DeflateOffer {
    /// socket.io-client's under Node (`perMessageDeflate: { threshold: 1024 }` to `ws`): from
    /// 1,024 bytes, zlib's default level (6), the context kept from message to message.
    fn default() -> Self {
        DeflateOffer {
            threshold: 1024,
            level: 6,
            client_no_context_takeover: false,
        }
    }
}

impl DeflateOffer {
    /// Messages shorter than this many bytes go uncompressed (1,024).
    #[must_use]
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// The DEFLATE level, 0 (stored) to 9 (smallest), on zlib's scale (6). Values over 9 count
    /// as 9.
    #[must_use]
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Whether the client resets its compressor after every message, and offers
    /// `client_no_context_takeover` (false): less memory, a lower ratio.
    #[must_use]
    pub fn client_no_context_takeover(mut self, reset: bool) -> Self {
        self.client_no_context_takeover = reset;
        self
    }
}

/// Why a client's handshake failed.
#[derive(Debug)]
pub enum HandshakeError {
    /// A header given to send is not one (a name that is not a token, a value with a line
    /// break).
    InvalidHeader,
    /// Writing the request or reading the answer failed.
    Io(io::Error),
    /// The connection ended before the whole answer came.
    Closed,
    /// The answer's head is longer than [`MAX_RESPONSE_HEAD`].
    TooLong,
    /// The server answered with this status, not 101.
    Status(u16),
    /// The answer is not a valid acceptance: why.
    Invalid(&'static str),
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::InvalidHeader => write!(f, "a header to send is not a valid header"),
            HandshakeError::Io(e) => write!(f, "{e}"),
            HandshakeError::Closed => write!(f, "the connection closed before the answer"),
            HandshakeError::TooLong => write!(f, "an answer head over {MAX_RESPONSE_HEAD} bytes"),
            HandshakeError::Status(status) => write!(f, "the server answered {status}, not 101"),
            HandshakeError::Invalid(why) => write!(f, "an invalid handshake answer: {why}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// Opens a client's WebSocket on `io`: writes the handshake `request`, reads and checks the
/// server's answer, and returns the WebSocket with the bytes that followed the answer and the
/// permessage-deflate the answer agreed to.
pub async fn client<IO: AsyncRead + AsyncWrite + Unpin>(
    mut io: IO,
    request: &ClientRequest<'_>,
) -> Result<WebSocket<IO>, HandshakeError> {
    let key = client_key();
    let head = request_head(request, &key)?;
    io.write_all(head.as_bytes())
        .await
        .map_err(HandshakeError::Io)?;
    io.flush().await.map_err(HandshakeError::Io)?;
    let mut buf = BytesMut::with_capacity(1024);
    // Where the search for the head's end resumes: each byte is looked at a bounded number of
    // times, however the answer is split.
    let mut searched = 0;
    let head_len = loop {
        if let Some(at) = find_head_end(&buf, searched) {
            // A read can bring the end of a head that had already passed the bound.
            if at > MAX_RESPONSE_HEAD {
                return Err(HandshakeError::TooLong);
            }
            break at;
        }
        searched = buf.len().saturating_sub(3);
        if buf.len() > MAX_RESPONSE_HEAD {
            return Err(HandshakeError::TooLong);
        }
        buf.reserve(1024);
        if io.read_buf(&mut buf).await.map_err(HandshakeError::Io)? == 0 {
            return Err(HandshakeError::Closed);
        }
    };
    let params = check_answer(
        buf.get(..head_len).unwrap_or_default(),
        &key,
        request.deflate,
    )?;
    buf.advance(head_len);
    Ok(WebSocket::client(io, request.max_message, buf).with_deflate(params))
}

/// The request's head: the request line and headers, checked so that nothing given can break a
/// line.
fn request_head(request: &ClientRequest<'_>, key: &str) -> Result<String, HandshakeError> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let valid_value = |value: &str| !value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
    if !valid_value(request.path_and_query)
        || request.path_and_query.contains(' ')
        || !valid_value(request.host)
    {
        return Err(HandshakeError::InvalidHeader);
    }
    let mut head = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n",
        request.path_and_query, request.host
    );
    if let Some(offer) = request.deflate {
        head.push_str("Sec-WebSocket-Extensions: ");
        head.push_str(&extensions::client_offer(offer.client_no_context_takeover));
        head.push_str("\r\n");
    }
    for (name, value) in request.headers {
        if !valid_name(name) || !valid_value(value) {
            return Err(HandshakeError::InvalidHeader);
        }
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    Ok(head)
}

/// The length of the head (through its blank line) if `buf` holds all of it, searching from
/// `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| from + at + 4)
}

/// Checks the answer's head (section 4.1, the client's checks), and reads the permessage-deflate
/// it agreed to.
fn check_answer(
    head: &[u8],
    key: &str,
    offer: Option<DeflateOffer>,
) -> Result<Option<crate::deflate::DeflateParams>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut headers);
    match answer.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(HandshakeError::Invalid("not an HTTP/1.1 answer"));
        }
    }
    if answer.code != Some(101) {
        return Err(HandshakeError::Status(answer.code.unwrap_or(0)));
    }
    let values = |name: &'static str| {
        answer
            .headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| std::str::from_utf8(h.value).unwrap_or("\u{0}"))
    };
    if !values("upgrade").any(|v| v.trim().eq_ignore_ascii_case("websocket")) {
        return Err(HandshakeError::Invalid("no `Upgrade: websocket`"));
    }
    let upgrades = |v: &str| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    };
    if !values("connection").any(upgrades) {
        return Err(HandshakeError::Invalid("no `Connection: Upgrade`"));
    }
    let expected = accept_key(key.as_bytes());
    if !values("sec-websocket-accept").any(|v| v.trim() == expected) {
        return Err(HandshakeError::Invalid("a wrong Sec-WebSocket-Accept"));
    }
    let answered: Vec<&str> = values("sec-websocket-extensions").collect();
    match offer {
        None if answered.is_empty() => Ok(None),
        None => Err(HandshakeError::Invalid(
            "an extension the client did not offer",
        )),
        Some(offer) => extensions::client_accepted(
            answered,
            offer.client_no_context_takeover,
            offer.threshold,
            offer.level,
        )
        .map_err(HandshakeError::Invalid),
    }
}

#[cfg(test)]
#[path = "handshake_tests.rs"]
mod tests;
