//! The Engine.IO endpoint: where a request goes, or which refusal it gets, exactly as the
//! reference (engine.io 6.6's `Server.verify` and `Server.handshake`) decides it.
//!
//! Like quinn-proto's `Endpoint`, it sits in front of the sessions and decides what each input is
//! for; unlike it, it holds no session table: the driver owns the table and answers the one
//! question the endpoint has about it, through the `lookup` argument of [`Endpoint::route`].
//!
//! # Call order
//!
//! ```text
//! Endpoint::new(&config.transports)
//! for every request under the server's path:
//!   route(&Request { method, transport, sid, eio, upgrade, origin }, |sid| table lookup)
//!     Err(refusal)                 answer refusal.code(): 400 (403 for Forbidden) and
//!                                  {"code":N,"message":".."}, or for an upgrade 400 and the
//!                                  message as text/html
//!     Ok(Route::Handshake(h))      the driver's own checks (allowRequest, ...), then
//!                                  h.accept(): Ok(transport) starts a server::Session, Err is
//!                                  a refusal (an unsupported protocol version)
//!     Ok(Route::PollGet(s))        Session::handle_poll_get
//!     Ok(Route::PollPost(s))       Session::handle_poll_post_start, then handle_poll_post
//!     Ok(Route::PollOther(s))      500, empty (the reference's polling transport)
//!     Ok(Route::Upgrade(s))        Session::handle_ws_upgrade: the upgrade probe
//! ```
//!
//! # The reference's decisions, in its order
//!
//! | request | answer |
//! |---|---|
//! | `transport` missing or not in `transports` | 0 `Transport unknown` |
//! | an `Origin` header with a character no header may hold | 3 `Bad request` (`INVALID_ORIGIN`) |
//! | `sid` that no session has | 1 `Session ID unknown` |
//! | `sid` with a transport that is not the session's, without an upgrade | 3 `Bad request` (`TRANSPORT_MISMATCH`) |
//! | `sid` without `EIO=4` (the session speaks 4) | 3 `Bad request` (`PROTOCOL_MISMATCH`) |
//! | no `sid`, a method other than GET | 2 `Bad handshake method` |
//! | no `sid`, `transport=websocket` without an upgrade | 3 `Bad request` (`TRANSPORT_HANDSHAKE_ERROR`) |
//! | (the driver's `allowRequest` refuses) | 4 `Forbidden`, or the hook's message |
//! | no `sid`, `EIO` missing or not `4` | 5 `Unsupported protocol version` ([`Handshake::accept`]) |
//!
//! Where sockeye-server has always answered otherwise, the endpoint keeps its answer:
//!
//! - an empty `sid` (`sid=`) is an unknown session (1), not a handshake (the reference tests the
//!   id's truth, so it opens a session): a malformed id never opens one;
//! - a WebSocket upgrade with `transport=polling` is a transport mismatch (3): the reference
//!   accepts the WebSocket, then closes it at once, as its polling transport takes no upgrade;
//! - a plain request with `transport=websocket` for a session that already runs on WebSocket is a
//!   transport mismatch (3): the reference never answers it.

use core::fmt;

use super::Transport;

/// The reference's error codes, with their messages (`Server.errors`, `Server.errorMessages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0 `Transport unknown`.
    UnknownTransport,
    /// 1 `Session ID unknown`.
    UnknownSid,
    /// 2 `Bad handshake method`.
    BadHandshakeMethod,
    /// 3 `Bad request`.
    BadRequest,
    /// 4 `Forbidden`.
    Forbidden,
    /// 5 `Unsupported protocol version`.
    UnsupportedProtocolVersion,
}

impl ErrorCode {
    /// The number in the JSON body (`{"code":N,...}`).
    pub fn code(self) -> u8 {
        match self {
            ErrorCode::UnknownTransport => 0,
            ErrorCode::UnknownSid => 1,
            ErrorCode::BadHandshakeMethod => 2,
            ErrorCode::BadRequest => 3,
            ErrorCode::Forbidden => 4,
            ErrorCode::UnsupportedProtocolVersion => 5,
        }
    }

    /// The reference's message for the code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status the reference answers a refused (non-upgrade) request with: 403 for
    /// Forbidden, 400 otherwise.
    pub fn http_status(self) -> u16 {
        if self == ErrorCode::Forbidden {
            403
        } else {
            400
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// Why the endpoint refused a request: the reference's error context (`context.name` where it
/// has one), each with its [`ErrorCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The `transport` is missing, unknown, or not one the server accepts. Code 0.
    UnknownTransport,
    /// The `Origin` header holds a character no header value may hold (`INVALID_ORIGIN`). Code 3.
    InvalidOrigin,
    /// No session has the `sid`. Code 1.
    UnknownSid,
    /// The request's transport is not the session's, and it is not an upgrade
    /// (`TRANSPORT_MISMATCH`); also an upgrade with `transport=polling`. Code 3.
    TransportMismatch,
    /// A request for a session without `EIO=4` (`PROTOCOL_MISMATCH`). Code 3.
    ProtocolMismatch,
    /// A handshake that is not a GET. Code 2.
    BadHandshakeMethod,
    /// A WebSocket handshake without an upgrade, or a polling one with an upgrade
    /// (`TRANSPORT_HANDSHAKE_ERROR`). Code 3.
    TransportHandshakeError,
    /// A handshake without `EIO=4`. Code 5.
    UnsupportedProtocolVersion,
}

impl Refusal {
    /// The code the reference answers with.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::UnknownTransport => ErrorCode::UnknownTransport,
            Refusal::UnknownSid => ErrorCode::UnknownSid,
            Refusal::BadHandshakeMethod => ErrorCode::BadHandshakeMethod,
            Refusal::InvalidOrigin
            | Refusal::TransportMismatch
            | Refusal::ProtocolMismatch
            | Refusal::TransportHandshakeError => ErrorCode::BadRequest,
            Refusal::UnsupportedProtocolVersion => ErrorCode::UnsupportedProtocolVersion,
        }
    }

    /// The message the reference answers with: its code's.
    pub fn message(self) -> &'static str {
        self.code().message()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for Refusal {}

/// An HTTP method, as far as Engine.IO tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET: a handshake, a poll, or a WebSocket upgrade.
    Get,
    /// POST: packets for a polling session.
    Post,
    /// Anything else (a CORS preflight is answered before the endpoint).
    Other,
}

impl Method {
    /// The method of its name (case-sensitive, as HTTP methods are).
    pub fn from_name(name: &str) -> Self {
        match name {
            "GET" => Method::Get,
            "POST" => Method::Post,
            _ => Method::Other,
        }
    }
}

/// What the endpoint reads of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The `transport` query parameter.
    pub transport: Option<&'a str>,
    /// The `sid` query parameter.
    pub sid: Option<&'a str>,
    /// The `EIO` query parameter.
    pub eio: Option<&'a str>,
    /// Whether it is a WebSocket upgrade (a GET with `Upgrade: websocket` and
    /// `Connection: upgrade`).
    pub upgrade: bool,
    /// The `Origin` header's bytes.
    pub origin: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// A request from its decoded query pairs; the last of repeated keys wins, as in the
    /// reference's `searchParams`. `origin` is left out: set the field if there is one.
    pub fn from_query(
        method: Method,
        query: &'a [(impl AsRef<str>, impl AsRef<str>)],
        upgrade: bool,
    ) -> Self {
        let get = |key: &str| {
            query
                .iter()
                .rev()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v.as_ref())
        };
        Request {
            method,
            transport: get("transport"),
            sid: get("sid"),
            eio: get("EIO"),
            upgrade,
            origin: None,
        }
    }
}

/// A session the driver's table has, for the sid a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found<S> {
    /// The driver's handle on the session, handed back in the [`Route`].
    pub session: S,
    /// The transport the session runs on now, when the driver knows it here; `None` leaves the
    /// transport check to the session (its polling handlers answer
    /// [`RequestError::TransportMismatch`](super::server::RequestError::TransportMismatch)).
    pub transport: Option<Transport>,
}

/// Where a request goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<S> {
    /// A new session (no `sid`), once the driver's own checks and [`Handshake::accept`] pass.
    Handshake(Handshake),
    /// A polling GET for a session.
    PollGet(S),
    /// A polling POST for a session.
    PollPost(S),
    /// A polling request with another method: the reference's polling transport answers 500 with
    /// an empty body.
    PollOther(S),
    /// A WebSocket for a session: the upgrade probe.
    Upgrade(S),
}

/// A handshake that passed the reference's `verify`; [`Handshake::accept`] is its `handshake`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshake {
    transport: Transport,
    protocol_4: bool,
}

impl Handshake {
    /// The transport the new session opens on.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The reference's `handshake` step, after `verify` and the driver's `allowRequest`: the
    /// protocol revision must be 4 (`EIO=4`; the reference's `allowEIO3` is not supported).
    pub fn accept(self) -> Result<Transport, Refusal> {
        if self.protocol_4 {
            Ok(self.transport)
        } else {
            Err(Refusal::UnsupportedProtocolVersion)
        }
    }
}

/// The Engine.IO endpoint: the transports the server accepts, and the routing rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    polling: bool,
    websocket: bool,
}

impl Endpoint {
    /// An endpoint accepting `transports` (the server config's `transports`).
    pub fn new(transports: &[Transport]) -> Self {
        Endpoint {
            polling: transports.contains(&Transport::Polling),
            websocket: transports.contains(&Transport::WebSocket),
        }
    }

    /// Whether the server accepts `transport`.
    pub fn accepts(&self, transport: Transport) -> bool {
        match transport {
            Transport::Polling => self.polling,
            Transport::WebSocket => self.websocket,
        }
    }

    /// Where `request` goes, or why it is refused (the reference's `verify`, in its order).
    /// `lookup` is asked only for a request with a `sid`, once the checks before the table's
    /// passed: the session of that id, or `None` when there is none (or it closed).
    pub fn route<S>(
        &self,
        request: &Request<'_>,
        lookup: impl FnOnce(&str) -> Option<Found<S>>,
    ) -> Result<Route<S>, Refusal> {
        let transport = request
            .transport
            .and_then(Transport::from_name)
            .filter(|t| self.accepts(*t))
            .ok_or(Refusal::UnknownTransport)?;
        if request.origin.is_some_and(has_invalid_header_char) {
            return Err(Refusal::InvalidOrigin);
        }
        let Some(sid) = request.sid else {
            return handshake(request, transport);
        };
        let found = lookup(sid).ok_or(Refusal::UnknownSid)?;
        // A plain request must be on the session's transport; an upgrade is checked by the
        // session (already upgraded, upgrading) and by the transport named below.
        let mismatch = match (transport, request.upgrade) {
            (Transport::WebSocket, false) | (Transport::Polling, true) => true,
            (Transport::Polling, false) => found.transport == Some(Transport::WebSocket),
            (Transport::WebSocket, true) => false,
        };
        if mismatch {
            return Err(Refusal::TransportMismatch);
        }
        if request.eio != Some("4") {
            return Err(Refusal::ProtocolMismatch);
        }
        let session = found.session;
        Ok(match (transport, request.method) {
            (Transport::WebSocket, _) => Route::Upgrade(session),
            (Transport::Polling, Method::Get) => Route::PollGet(session),
            (Transport::Polling, Method::Post) => Route::PollPost(session),
            (Transport::Polling, Method::Other) => Route::PollOther(session),
        })
    }
}

/// The handshake half of `verify`.
fn handshake<S>(request: &Request<'_>, transport: Transport) -> Result<Route<S>, Refusal> {
    if request.method != Method::Get {
        return Err(Refusal::BadHandshakeMethod);
    }
    if request.upgrade != (transport == Transport::WebSocket) {
        return Err(Refusal::TransportHandshakeError);
    }
    Ok(Route::Handshake(Handshake {
        transport,
        protocol_4: request.eio == Some("4"),
    }))
}

/// The reference's `checkInvalidHeaderChar`: a header value holds tab, visible ASCII, space
/// and bytes from 0x80 up; anything else (control characters, DEL) is invalid.
fn has_invalid_header_char(value: &[u8]) -> bool {
    value
        .iter()
        .any(|&b| !(b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80))
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
