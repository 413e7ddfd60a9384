//! The HTTP layer: the Engine.IO endpoint as a tower [`Service`] and [`Layer`], the builders
//! that make them ([`SocketIoBuilder`], [`EngineIoBuilder`]), the reference's HTTP answers, CORS,
//! polling bodies, the WebSocket upgrade and [`serve`]. It routes each request into the
//! Engine.IO layer's session table; it knows Socket.IO only to build it.
//!
//! Every request under the server's path (`/socket.io/` by default, a prefix match as the
//! reference's) is Engine.IO; anything else goes to the inner service (a 404 by default).
//!
//! # The reference's answers
//!
//! | request | answer |
//! |---|---|
//! | transport missing or not in `transports` | 400 `{"code":0,"message":"Transport unknown"}` |
//! | `sid` unknown (or its session closed) | 400 `{"code":1,"message":"Session ID unknown"}` |
//! | handshake that is not a GET | 400 `{"code":2,"message":"Bad handshake method"}` |
//! | `transport=websocket` without an upgrade, or polling on a WebSocket session | 400 `{"code":3,"message":"Bad request"}` |
//! | `allowRequest` refuses | 403 `{"code":4,"message":<its message>}` |
//! | handshake without `EIO=4` | 400 `{"code":5,"message":"Unsupported protocol version"}` |
//! | a second GET, a second POST, an `application/octet-stream` POST | 400, empty body |
//! | a POST body over `maxHttpBufferSize` (reading stops there) | 413, empty body, `Connection: close`; the session closes (`transport error`) |
//! | a POST body in more than `maxBufferedChunks` chunks (10,000) | 413, as over `maxHttpBufferSize` |
//! | a POST body slower than `httpRequestBodyTimeout` (30 s) | 408, empty body, `Connection: close`; the session closes (`transport error`) |
//! | polling with a method other than GET or POST | 500, empty body |
//! | a handshake past `handshake_rate_per_ip` (not in the reference) | 429, `Retry-After`, `{"code":4,"message":"Too many handshakes"}` |
//! | a handshake whose URL and headers are over `max_handshake_header_bytes` (16 KiB, Node's `maxHeaderSize`) | 431, empty body, `Connection: close` |
//! | a handshake past `max_clients` (not in the reference) | 503, `{"code":4,"message":"Too many clients"}` |
//! | a WebSocket from another site's page, with `websocket_origins` set | 400, `Forbidden` (as an `allowRequest` refusal) |
//! | a WebSocket whose client takes nothing for `write_timeout` (30 s; not in the reference) | closed, `transport error` |
//! | a response a client takes nothing of for [`ServeConfig::write_timeout`] (30 s; [`serve_with`] only) | the connection closed |
//! | a connection past [`ServeConfig::max_connections`] or [`ServeConfig::max_connections_per_ip`] ([`serve_with`] only) | 503, `{"code":4,"message":"Too many connections"}` (for an Engine.IO request), `Connection: close` |
//!
//! A polling payload of 1,024 bytes or more goes out gzip- or deflate-encoded when the GET's
//! `Accept-Encoding` takes one (`http_compression`, on by default as the reference's
//! `httpCompression`; see `compression`).
//!
//! With [`SocketIoBuilder::serve_client`], three names under the path are not Engine.IO's but
//! the classic-script client's (`socket.io.js`, its map and its module): see `client_files`.
//!
//! A refused WebSocket upgrade gets `400 Bad Request` with the message as a `text/html` body, as
//! the reference writes on the raw socket (429 and 503 for the bounds above).
//!
//! # The client's address and TLS
//!
//! `handshake.address` (and `handshake_rate_per_ip`) need the peer's address. [`serve_with`]
//! inserts it as a [`ClientAddr`]; under `axum::serve`, serve the router with
//! `into_make_service_with_connect_info::<SocketAddr>()` and the endpoint reads axum's
//! `ConnectInfo<SocketAddr>` (with the `axum` feature, on by default); with any other server,
//! insert a [`ClientAddr`]. `handshake.secure` is true on a connection that [`serve_with`] runs
//! over TLS, or that carries [`SecureConnection`]; as in the reference, `X-Forwarded-Proto` is
//! not read (a proxy's header is only as true as the proxy).

mod answers;
mod builder;
mod client_files;
pub(crate) mod compression;
pub(crate) mod config;
mod limits;
pub(crate) mod per_message_deflate;
mod route;
mod serve;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::{Either, Full};
use tower_layer::Layer;
use tower_service::Service;

use route::handle;

use crate::engine::SessionTable;
pub use crate::engine::{ConnectionError, ErrorCode, RequestInfo};
pub use builder::{EngineIoBuilder, SocketIoBuilder};
pub use serve::{LISTEN_BACKLOG, ServeConfig, bind, serve, serve_with};

/// What every request of one endpoint shares: its options and the Engine.IO layer's session
/// table (which it derefs to, for the table's methods).
pub(crate) struct EngineShared {
    pub(crate) config: config::EngineConfig,
    pub(crate) table: Arc<SessionTable>,
}

impl std::ops::Deref for EngineShared {
    type Target = Arc<SessionTable>;

    fn deref(&self) -> &Arc<SessionTable> {
        &self.table
    }
}

/// The address of the peer, as a request extension. [`serve`] inserts it, and under axum the
/// endpoint takes it from `ConnectInfo<SocketAddr>` (see the [module docs](self)); with another
/// server, insert it yourself to fill `handshake.address`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// Marks a request that came over TLS, as a request extension: [`serve_with`] inserts it on its
/// TLS connections; with another server that terminates TLS itself, insert it to set
/// `handshake.secure` (the reference's `request.connection.encrypted`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecureConnection;

/// How long a request's body may take to arrive ([`ServeConfig::body_read_timeout`]), as a
/// request extension that [`serve_with`] inserts.
#[derive(Clone, Copy, Debug)]
struct BodyReadTimeout(std::time::Duration);

impl RequestInfo {
    /// Copies of the request's parts, not clones: hyper parses a head without copying, so its URI
    /// and header values are slices of the connection's read buffer (8 KiB), and any one of them
    /// keeps the whole buffer alive. A session keeps its handshake request as long as it lives:
    /// the clones cost every WebSocket connection 8 KiB (heaptrack, scripts/bench-load-compare.sh
    /// G4), the copies a few hundred bytes.
    fn from_request<B>(req: &Request<B>) -> Self {
        let uri = req.uri();
        let mut headers = HeaderMap::with_capacity(req.headers().len());
        for (name, value) in req.headers() {
            let mut copy =
                HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            copy.set_sensitive(value.is_sensitive());
            // Standard names are static; only custom ones are copied.
            let name =
                HeaderName::from_bytes(name.as_str().as_bytes()).unwrap_or_else(|_| name.clone());
            headers.append(name, copy);
        }
        let mut extensions = req.extensions().clone();
        extensions.remove::<hyper::upgrade::OnUpgrade>();
        let remote_addr = extensions.remove::<ClientAddr>().map(|a| a.0);
        let secure = extensions.remove::<SecureConnection>().is_some();
        extensions.remove::<BodyReadTimeout>();
        if extensions.is_empty() {
            // Its map stays allocated once emptied; every socket would copy it.
            extensions = http::Extensions::new();
        }
        RequestInfo {
            method: req.method().clone(),
            uri: Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone()),
            headers: std::sync::Arc::new(headers),
            remote_addr,
            secure,
            extensions,
        }
    }
}

/// The body of the responses this crate makes.
pub type ResponseBody = Full<Bytes>;

/// An answer with `status` and no body (here, below every file of this folder that answers).
pub(crate) fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = status;
    res
}

// ---- the service ----

/// The Engine.IO endpoint in front of an inner service `S` (which gets every other request).
/// Made by the builders' `build_layer` / `build_svc`.
pub struct EngineService<S = NotFound> {
    shared: Arc<EngineShared>,
    inner: S,
    /// The server this endpoint serves, kept alive while the endpoint is mounted: the engine holds
    /// it only weakly, and an application may drop its `SocketIo` once it has set it up.
    app: Option<Keep>,
}

/// A strong reference held only to keep something alive.
type Keep = Arc<dyn std::any::Any + Send + Sync>;

impl<S: Clone> Clone for EngineService<S> {
    fn clone(&self) -> Self {
        EngineService {
            app: self.app.clone(),
            shared: self.shared.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for EngineService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineService")
            .field("path", &self.shared.config.path)
            .finish_non_exhaustive()
    }
}

impl<S> EngineService<S> {
    pub(crate) fn new(shared: Arc<EngineShared>, inner: S, app: Option<Keep>) -> Self {
        EngineService { shared, inner, app }
    }
}

/// A [`Layer`] putting the Engine.IO endpoint in front of a service (`axum::Router::layer`).
#[derive(Clone)]
pub struct EngineLayer {
    shared: Arc<EngineShared>,
    /// See [`EngineService`]'s field of the same name.
    app: Option<Keep>,
}

impl std::fmt::Debug for EngineLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineLayer")
            .field("path", &self.shared.config.path)
            .finish()
    }
}

impl EngineLayer {
    pub(crate) fn new(shared: Arc<EngineShared>, app: Option<Keep>) -> Self {
        EngineLayer { shared, app }
    }
}

impl<S> Layer<S> for EngineLayer {
    type Service = EngineService<S>;
    fn layer(&self, inner: S) -> EngineService<S> {
        EngineService::new(self.shared.clone(), inner, self.app.clone())
    }
}

/// The default inner service: 404 for everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NotFound;

impl<B> Service<Request<B>> for NotFound {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        std::future::ready(Ok(empty(StatusCode::NOT_FOUND)))
    }
}

/// The error type of the request bodies the service reads.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for EngineService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes>,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Either<ResponseBody, ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        if req.uri().path().starts_with(&self.shared.config.path) {
            client_addr_from_axum(&mut req);
            let shared = self.shared.clone();
            Box::pin(async move { Ok(handle(shared, req).await.map(Either::Left)) })
        } else {
            let fut = self.inner.call(req);
            Box::pin(async move { fut.await.map(|res| res.map(Either::Right)) })
        }
    }
}

/// Under `axum::serve` with `into_make_service_with_connect_info::<SocketAddr>()`, the peer's
/// address is axum's `ConnectInfo`: it becomes the [`ClientAddr`] the rest reads (one the
/// application inserted itself wins).
fn client_addr_from_axum<B>(req: &mut Request<B>) {
    #[cfg(feature = "axum")]
    if req.extensions().get::<ClientAddr>().is_none()
        && let Some(&axum::extract::ConnectInfo(addr)) = req
            .extensions()
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        req.extensions_mut().insert(ClientAddr(addr));
    }
    #[cfg(not(feature = "axum"))]
    let _ = req;
}
