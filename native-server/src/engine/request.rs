//! The request that opened a session, as the hooks, the handshake and the bare Engine.IO
//! socket see it, and a request the endpoint refused.

use std::net::SocketAddr;

use http::{HeaderMap, Method, Uri};

/// A request as the hooks and the handshake see it.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    /// The method.
    pub method: Method,
    /// The URI (path and query).
    pub uri: Uri,
    /// The headers, shared with the handshakes of the session's sockets (one copy per
    /// connection, not one per socket).
    pub headers: std::sync::Arc<HeaderMap>,
    /// The peer's address, when known (the HTTP layer's `ClientAddr`).
    pub remote_addr: Option<SocketAddr>,
    /// Whether the request came over TLS (the HTTP layer's `SecureConnection`).
    pub secure: bool,
    /// The request's extensions: what an axum or tower layer in front of the server inserted
    /// (an authenticated user, say), which the sockets of the session start with
    /// (Socket.IO's `Extension<T>`). Hyper's upgrade handle, the
    /// `ClientAddr` (in `remote_addr`),
    /// `SecureConnection` (in `secure`) and the body's
    /// timeout are left out.
    pub extensions: http::Extensions,
}

impl RequestInfo {
    /// The query's pairs, percent-decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        proto::url::parse_query(self.uri.query().unwrap_or(""))
    }
}

/// The Engine.IO error codes of the reference, with their messages: the core endpoint's.
pub use proto::engine::endpoint::ErrorCode;

/// A refused request, as `io.engine`'s `connection_error` event reports it.
#[derive(Clone, Debug)]
pub struct ConnectionError {
    /// The request.
    pub req: RequestInfo,
    /// The error code.
    pub code: ErrorCode,
    /// The message sent (the code's, or the `allowRequest` hook's).
    pub message: String,
}
