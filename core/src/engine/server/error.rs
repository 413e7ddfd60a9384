//! Why a session refuses a request, and what the reference answers.

use core::fmt;

use crate::engine::endpoint::ErrorCode;

/// Why the session refused a request. Each variant says what the reference answers; see the module
/// docs for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The session is closed (or closing, for a WebSocket). HTTP 400
    /// `{"code":1,"message":"Session ID unknown"}`, as for a sid the server never had.
    Closed,
    /// A polling request on a session that runs on WebSocket (upgraded, or opened on it). HTTP 400
    /// `{"code":3,"message":"Bad request"}` (the reference's `TRANSPORT_MISMATCH`).
    TransportMismatch,
    /// A second GET while one is parked ("overlap from client"). HTTP 400, empty body. The session
    /// is closed and the parked GET was answered with `1`.
    GetOverlap,
    /// A second POST while one is in flight ("data request overlap from client"). HTTP 400, empty
    /// body. The session is closed.
    PostOverlap,
    /// A POST with `Content-Type: application/octet-stream`: v4 sends binary as base64 text
    /// ("invalid content"). HTTP 400, empty body. The session is closed.
    BinaryContent,
    /// A POST body over `max_payload` bytes. HTTP 413, empty body. The session stays open here;
    /// engine.io 6.6.13 closes it, so a driver that reads the body itself reports such a POST
    /// with [`Session::handle_poll_post_aborted`](super::Session::handle_poll_post_aborted) instead (sockeye-server does).
    PayloadTooLarge,
    /// A WebSocket while another is probing ("transport has already been trying to upgrade"). The
    /// driver closes the new WebSocket.
    UpgradeInProgress,
    /// A WebSocket on a session that already runs on WebSocket ("transport had already been
    /// upgraded"). The driver closes the new WebSocket.
    AlreadyUpgraded,
    /// A WebSocket for a polling session while upgrades are off (`allow_upgrades` false or WebSocket
    /// not in `transports`). HTTP 400 `{"code":3,"message":"Bad request"}` instead of upgrading.
    UpgradeNotAllowed,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestError::Closed => "session closed",
            RequestError::TransportMismatch => "polling request on a websocket session",
            RequestError::GetOverlap => "overlap from client",
            RequestError::PostOverlap => "data request overlap from client",
            RequestError::BinaryContent => "invalid content: binary polling body",
            RequestError::PayloadTooLarge => "polling body exceeds maxPayload",
            RequestError::UpgradeInProgress => "an upgrade is already in progress",
            RequestError::AlreadyUpgraded => "session already runs on websocket",
            RequestError::UpgradeNotAllowed => "upgrades are not allowed",
        })
    }
}

impl core::error::Error for RequestError {}

impl RequestError {
    /// The reference's error code, where it answers with `{"code":N,"message":".."}` (the code's
    /// message); `None` where it answers with an empty body or closes a WebSocket.
    pub fn code(self) -> Option<ErrorCode> {
        match self {
            RequestError::Closed => Some(ErrorCode::UnknownSid),
            RequestError::TransportMismatch | RequestError::UpgradeNotAllowed => {
                Some(ErrorCode::BadRequest)
            }
            _ => None,
        }
    }

    /// The HTTP status the reference answers a polling request refused so with: 413 for a body
    /// over `max_payload`, the code's status where there is one, 400 otherwise.
    pub fn http_status(self) -> u16 {
        match (self, self.code()) {
            (RequestError::PayloadTooLarge, _) => 413,
            (_, Some(code)) => code.http_status(),
            (_, None) => 400,
        }
    }
}
