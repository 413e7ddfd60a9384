//! A socket's handshake (the reference's `socket.handshake`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderMap;
use proto::socket::args::ser;
use proto::socket::args::{Args, de};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::RequestInfo;
use crate::socketio::error::{DataError, SerializeError};
use crate::socketio::value::Value;

/// The handshake of a socket (the reference's `socket.handshake`).
#[derive(Clone, Debug)]
pub struct Handshake {
    /// The headers of the request that opened the Engine.IO session (shared by the sockets of
    /// the session).
    pub headers: Arc<HeaderMap>,
    /// When the socket was created.
    pub time: SystemTime,
    /// The same, in milliseconds since the Unix epoch (`issued`).
    pub issued: u64,
    /// The peer's address, when known: under [`serve_with`](crate::serve_with), or under
    /// `axum::serve` with `into_make_service_with_connect_info::<SocketAddr>()` (see the
    /// [`http`](crate::http) module); `None` under a plain `axum::serve(listener, router)`.
    pub address: Option<SocketAddr>,
    /// Whether the request was cross-origin (it had an `Origin` header).
    pub xdomain: bool,
    /// Whether the request came over TLS (the reference's `request.connection.encrypted`):
    /// under [`serve_with`](crate::serve_with) with `tls`, or when a server in front marked the
    /// request with [`SecureConnection`](crate::http::SecureConnection). A proxy's
    /// `X-Forwarded-Proto` is not read, as in the reference.
    pub secure: bool,
    /// The request's URL (path and query).
    pub url: String,
    /// The request's query, percent-decoded.
    pub query: Vec<(String, String)>,
    /// The CONNECT packet's payload (the client's `auth`) as the one argument of a list: `[{}]`
    /// without one.
    auth: Args,
}

/// An empty handshake (no headers, the Unix epoch, `auth` `{}`), to fill in: what an adapter
/// builds for another node's socket.
impl Default for Handshake {
    fn default() -> Self {
        Handshake {
            headers: Arc::default(),
            time: SystemTime::UNIX_EPOCH,
            issued: 0,
            address: None,
            xdomain: false,
            secure: false,
            url: String::new(),
            query: Vec::new(),
            auth: Args::from_json("[{}]", Vec::new()).expect("`[{}]` is a JSON array"),
        }
    }
}

impl Handshake {
    /// `auth` is the CONNECT's payload, a JSON object the codec checked.
    pub(crate) fn new(req: &RequestInfo, auth: Option<&str>) -> Self {
        let time = SystemTime::now();
        let auth = auth
            .and_then(|auth| Args::from_json(format!("[{auth}]"), Vec::new()).ok())
            .unwrap_or_else(|| {
                Args::from_json("[{}]", Vec::new()).expect("`[{}]` is a JSON array")
            });
        Handshake {
            headers: req.headers.clone(),
            time,
            issued: u64::try_from(
                time.duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis(),
            )
            .unwrap_or(0),
            address: req.remote_addr,
            xdomain: req.headers.contains_key(http::header::ORIGIN),
            secure: req.secure,
            url: req.uri.to_string(),
            query: req.query(),
            auth,
        }
    }

    /// A query parameter.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The client's `auth` object as a `T`, read straight from its text (`{}` when the client
    /// sent none).
    pub fn auth<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        de::from_args(&self.auth)
    }

    /// Sets the client's `auth` object, for a handshake built outside a connection (an adapter
    /// describing another node's socket).
    pub fn set_auth<T: Serialize + ?Sized>(&mut self, auth: &T) -> Result<(), SerializeError> {
        // A one-tuple: `auth` is the one argument whatever it is (`null` included).
        self.auth = ser::to_args(&(auth,))?;
        Ok(())
    }

    /// The client's `auth` object as a [`Value`], built in time linear in its size.
    pub fn auth_value(&self) -> Value {
        Value::from_args(&self.auth).unwrap_or_default()
    }
}
