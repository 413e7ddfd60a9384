//! HTTP plumbing: the Engine.IO endpoint as a tower [`Service`] and [`Layer`], the reference's
//! HTTP answers, CORS, the WebSocket upgrade, a small static file service and [`serve`].
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
//! | a POST body over `maxHttpBufferSize` (reading stops at one byte past it) | 413, empty body |
//! | polling with a method other than GET or POST | 500, empty body |
//! | a POST body slower than [`ServeConfig::body_read_timeout`] (Node's `requestTimeout`) | 408, `Connection: close` |
//! | a handshake past `handshake_rate_per_ip` (not in the reference) | 429, `Retry-After`, `{"code":4,"message":"Too many handshakes"}` |
//!
//! A refused WebSocket upgrade gets `400 Bad Request` with the message as a `text/html` body, as
//! the reference writes on the raw socket.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::{BodyExt, Either, Full};
use hyper_util::rt::TokioIo;
use proto::engine::server::RequestError;
use proto::engine::{Sid, Transport};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::Cors;
use crate::engine::EngineShared;
use crate::session::{SessionMsg, WsStream};

/// The address of the peer, as a request extension. [`serve`] inserts it; with another server,
/// insert it yourself to fill `handshake.address`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// How long a request's body may take to arrive ([`ServeConfig::body_read_timeout`]), as a
/// request extension that [`serve_with`] inserts.
#[derive(Clone, Copy, Debug)]
struct BodyReadTimeout(Duration);

/// Node's `requestTimeout`: the body read timeout without [`serve_with`] (mounted in axum ...).
const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// A request as the hooks and the handshake see it.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    /// The method.
    pub method: Method,
    /// The URI (path and query).
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The peer's address, when known ([`ClientAddr`]).
    pub remote_addr: Option<SocketAddr>,
    /// The request's extensions: what an axum or tower layer in front of the server inserted
    /// (an authenticated user, say), which the sockets of the session start with
    /// ([`Extension<T>`](crate::extract::Extension)). Hyper's upgrade handle and the
    /// [`ClientAddr`] (in `remote_addr`) are left out.
    pub extensions: http::Extensions,
}

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
        RequestInfo {
            method: req.method().clone(),
            uri: Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone()),
            headers,
            remote_addr,
            extensions,
        }
    }

    /// The query's pairs, percent-decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        proto::url::parse_query(self.uri.query().unwrap_or(""))
    }
}

/// The body of the responses this crate makes.
pub type ResponseBody = Full<Bytes>;

/// The Engine.IO error codes of the reference, with their messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The number in the JSON body.
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

    /// The reference's message.
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
}

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

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if req.uri().path().starts_with(&self.shared.config.path) {
            let shared = self.shared.clone();
            Box::pin(async move { Ok(handle(shared, req).await.map(Either::Left)) })
        } else {
            let fut = self.inner.call(req);
            Box::pin(async move { fut.await.map(|res| res.map(Either::Right)) })
        }
    }
}

// ---- request handling ----

fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = status;
    res
}

fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// The reference's `abortRequest`: 400 (403 for Forbidden) and `{"code":N,"message":".."}`.
fn error_response(code: ErrorCode, message: &str) -> Response<ResponseBody> {
    let status = if code == ErrorCode::Forbidden {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut body = format!("{{\"code\":{},\"message\":", code.code());
    proto::json::write_string(&mut body, message);
    body.push('}');
    with_body(status, "application/json", body)
}

/// The reference's `abortUpgrade`: `400 Bad Request` with the message as text/html.
fn upgrade_error_response(message: &str) -> Response<ResponseBody> {
    let mut res = with_body(StatusCode::BAD_REQUEST, "text/html", message.to_owned());
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

const TOO_MANY_HANDSHAKES: &str = "Too many handshakes";

/// A handshake past `handshake_rate_per_ip`: 429 with the reference's error body (code 4, as an
/// `allowRequest` refusal), or the message as text for a WebSocket, and when to try again.
fn too_many_handshakes(upgrade: bool, retry_after: Duration) -> Response<ResponseBody> {
    let mut res = if upgrade {
        let mut res = upgrade_error_response(TOO_MANY_HANDSHAKES);
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        res
    } else {
        let mut res = error_response(ErrorCode::Forbidden, TOO_MANY_HANDSHAKES);
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        res
    };
    // Whole seconds, rounded up (at least 1).
    let secs = retry_after
        .as_secs()
        .saturating_add(u64::from(retry_after.subsec_nanos() > 0))
        .max(1);
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    res
}

/// What the reference answers for a [`RequestError`] on a polling request.
fn request_error_response(error: RequestError) -> Response<ResponseBody> {
    match error {
        RequestError::Closed => {
            error_response(ErrorCode::UnknownSid, ErrorCode::UnknownSid.message())
        }
        RequestError::TransportMismatch | RequestError::UpgradeNotAllowed => {
            error_response(ErrorCode::BadRequest, ErrorCode::BadRequest.message())
        }
        RequestError::PayloadTooLarge => empty(StatusCode::PAYLOAD_TOO_LARGE),
        _ => empty(StatusCode::BAD_REQUEST),
    }
}

fn is_ws_upgrade<B>(req: &Request<B>) -> bool {
    let has_token = |name: HeaderName, token: &str| {
        req.headers().get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    req.method() == Method::GET
        && has_token(header::UPGRADE, "websocket")
        && has_token(header::CONNECTION, "upgrade")
}

/// Adds the CORS headers of a non-preflight request.
fn apply_cors(cors: &Cors, req_headers: &HeaderMap, res_headers: &mut HeaderMap, preflight: bool) {
    use crate::config::CorsOrigin;
    let origin = req_headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    let mut vary_origin = false;
    let allow = match &cors.origin {
        CorsOrigin::Any => Some("*".to_owned()),
        CorsOrigin::Exact(o) => {
            vary_origin = true;
            Some(o.clone())
        }
        other => {
            vary_origin = true;
            origin.filter(|o| other.allows(o)).map(str::to_owned)
        }
    };
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            res_headers.insert(name, v);
        }
    };
    if let Some(allow) = allow {
        set(header::ACCESS_CONTROL_ALLOW_ORIGIN, &allow);
    }
    if cors.credentials {
        set(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if let Some(exposed) = &cors.exposed_headers {
        set(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    }
    let mut vary: Vec<&str> = Vec::new();
    if vary_origin {
        vary.push("Origin");
    }
    if preflight {
        set(header::ACCESS_CONTROL_ALLOW_METHODS, &cors.methods);
        match &cors.allowed_headers {
            Some(h) => set(header::ACCESS_CONTROL_ALLOW_HEADERS, h),
            None => {
                vary.push("Access-Control-Request-Headers");
                if let Some(h) = req_headers
                    .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                    .and_then(|h| h.to_str().ok())
                {
                    set(header::ACCESS_CONTROL_ALLOW_HEADERS, h);
                }
            }
        }
        if let Some(max_age) = cors.max_age {
            set(header::ACCESS_CONTROL_MAX_AGE, &max_age.to_string());
        }
    }
    if !vary.is_empty() {
        set(header::VARY, &vary.join(", "));
    }
}

async fn handle<B>(shared: Arc<EngineShared>, req: Request<B>) -> Response<ResponseBody>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let cors = shared.config.cors.clone();
    let req_headers = cors.as_ref().map(|_| req.headers().clone());
    let preflight = req.method() == Method::OPTIONS;
    let mut res = if preflight && cors.is_some() {
        // The `cors` middleware ends preflights itself: 204, no body.
        let mut res = empty(StatusCode::NO_CONTENT);
        res.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        res
    } else {
        route(&shared, req).await
    };
    if let (Some(cors), Some(req_headers)) = (cors, req_headers) {
        // A 101 has nothing for the browser to read; the reference's ws path skips CORS too.
        if res.status() != StatusCode::SWITCHING_PROTOCOLS {
            apply_cors(&cors, &req_headers, res.headers_mut(), preflight);
        }
    }
    res
}

/// Ids for the GETs and probes a session may have in flight (tell a stale abort from a live one).
static NEXT_REQUEST_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed)
}

async fn route<B>(shared: &Arc<EngineShared>, mut req: Request<B>) -> Response<ResponseBody>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let query = proto::url::parse_query(req.uri().query().unwrap_or(""));
    let get = |key: &str| {
        query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let upgrade = is_ws_upgrade(&req);
    let refuse = |code: ErrorCode, message: &str, req: &Request<B>| {
        shared.connection_error(ConnectionError {
            req: RequestInfo::from_request(req),
            code,
            message: message.to_owned(),
        });
        if upgrade {
            upgrade_error_response(message)
        } else {
            error_response(code, message)
        }
    };

    let transport = match get("transport").and_then(Transport::from_name) {
        Some(t) if shared.config.engine.transports.contains(&t) => t,
        _ => {
            return refuse(
                ErrorCode::UnknownTransport,
                ErrorCode::UnknownTransport.message(),
                &req,
            );
        }
    };

    if let Some(sid) = get("sid") {
        let Some(tx) = shared.session(sid) else {
            return refuse(ErrorCode::UnknownSid, ErrorCode::UnknownSid.message(), &req);
        };
        return match (transport, upgrade) {
            (Transport::WebSocket, true) => probe(shared, tx, req).await,
            (Transport::Polling, false) if req.method() == Method::GET => poll_get(tx).await,
            (Transport::Polling, false) if req.method() == Method::POST => {
                poll_post(shared, tx, req).await
            }
            (Transport::Polling, false) => empty(StatusCode::INTERNAL_SERVER_ERROR),
            _ => refuse(ErrorCode::BadRequest, ErrorCode::BadRequest.message(), &req),
        };
    }

    // A handshake.
    if let (Some(limiter), Some(ClientAddr(peer))) = (
        &shared.config.handshake_limiter,
        req.extensions().get::<ClientAddr>(),
    ) {
        if let Err(retry_after) = limiter.check(peer.ip()) {
            shared.connection_error(ConnectionError {
                req: RequestInfo::from_request(&req),
                code: ErrorCode::Forbidden,
                message: TOO_MANY_HANDSHAKES.to_owned(),
            });
            return too_many_handshakes(upgrade, retry_after);
        }
    }
    if req.method() != Method::GET {
        return refuse(
            ErrorCode::BadHandshakeMethod,
            ErrorCode::BadHandshakeMethod.message(),
            &req,
        );
    }
    if upgrade != (transport == Transport::WebSocket) {
        return refuse(ErrorCode::BadRequest, ErrorCode::BadRequest.message(), &req);
    }
    if let Some(cors) = &shared.config.cors {
        if !cors.admits(req.headers()) {
            return refuse(ErrorCode::Forbidden, ErrorCode::Forbidden.message(), &req);
        }
    }
    if let Some(allow) = &shared.config.allow_request {
        if let Err(message) = allow(RequestInfo::from_request(&req)).await {
            return refuse(ErrorCode::Forbidden, &message, &req);
        }
    }
    if get("EIO") != Some("4") {
        return refuse(
            ErrorCode::UnsupportedProtocolVersion,
            ErrorCode::UnsupportedProtocolVersion.message(),
            &req,
        );
    }
    if shared.is_closed() {
        return refuse(ErrorCode::BadRequest, "Server is closing", &req);
    }

    let sid = random_sid();
    let info = RequestInfo::from_request(&req);
    let cookie = shared
        .config
        .cookie
        .as_ref()
        .and_then(|c| HeaderValue::from_str(&c.header(sid.as_str())).ok());
    let mut res = match transport {
        Transport::Polling => {
            let tx = shared.start_session(sid, Transport::Polling, info, None);
            poll_get(tx).await
        }
        _ => {
            let Some(mut res) = accept_ws(&req) else {
                return refuse(ErrorCode::BadRequest, ErrorCode::BadRequest.message(), &req);
            };
            let on_upgrade = hyper::upgrade::on(&mut req);
            let shared = shared.clone();
            let max = shared.config.max_payload();
            tokio::spawn(async move {
                match on_upgrade.await {
                    Ok(upgraded) => {
                        let ws = ws_stream(upgraded, max);
                        shared.start_session(sid, Transport::WebSocket, info, Some(ws));
                    }
                    Err(e) => tracing::debug!("websocket upgrade failed: {e}"),
                }
            });
            res.headers_mut().remove(header::CONTENT_TYPE);
            res
        }
    };
    if let Some(cookie) = cookie {
        res.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    res
}

fn random_sid() -> Sid {
    let mut bytes = [0u8; 15];
    crate::engine::fill_random(&mut bytes);
    Sid::from_random(bytes)
}

/// The 101 answer to a WebSocket handshake, or `None` when its headers are not a valid one.
fn accept_ws<B>(req: &Request<B>) -> Option<Response<ResponseBody>> {
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY)?;
    if !version_ok {
        return None;
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut res = empty(StatusCode::SWITCHING_PROTOCOLS);
    let headers = res.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).ok()?,
    );
    Some(res)
}

/// The WebSocket of an upgraded request. `max_payload` is the cap the core asks for, as the
/// reference's `ws` has it (`maxPayload`): a longer message is refused without being buffered,
/// and the session closes with 1009 Message Too Big and `transport error`.
fn ws_stream(upgraded: hyper::upgrade::Upgraded, max_payload: usize) -> WsStream {
    WsStream::new(TokioIo::new(upgraded), max_payload)
}

/// Sends the GET's abort to the session if the request's future is dropped before its answer
/// (hyper drops it when the client goes away).
struct AbortGuard {
    tx: Option<crate::session::SessionTx>,
    msg: fn(u64) -> SessionMsg,
    id: u64,
}

impl AbortGuard {
    fn disarm(mut self) {
        self.tx = None;
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send((self.msg)(self.id));
        }
    }
}

async fn poll_get(tx: crate::session::SessionTx) -> Response<ResponseBody> {
    let id = next_id();
    let (reply, answer) = oneshot::channel();
    if tx.send(SessionMsg::PollGet { id, reply }).is_err() {
        return request_error_response(RequestError::Closed);
    }
    let guard = AbortGuard {
        tx: Some(tx),
        msg: |id| SessionMsg::PollGetAborted { id },
        id,
    };
    let answer = answer.await;
    guard.disarm();
    match answer {
        Ok(Ok(body)) => with_body(StatusCode::OK, "text/plain; charset=UTF-8", body),
        Ok(Err(e)) => request_error_response(e),
        Err(_) => request_error_response(RequestError::Closed),
    }
}

async fn poll_post<B>(
    shared: &Arc<EngineShared>,
    tx: crate::session::SessionTx,
    req: Request<B>,
) -> Response<ResponseBody>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let octet_stream = req.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .eq_ignore_ascii_case(b"application/octet-stream")
    });
    let (reply, answer) = oneshot::channel();
    if tx
        .send(SessionMsg::PollPostStart {
            octet_stream,
            reply,
        })
        .is_err()
    {
        return request_error_response(RequestError::Closed);
    }
    match answer.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return request_error_response(e),
        Err(_) => return request_error_response(RequestError::Closed),
    }
    let guard = AbortGuard {
        tx: Some(tx.clone()),
        msg: |_| SessionMsg::PollPostAborted,
        id: 0,
    };
    // Read at most maxHttpBufferSize + 1 bytes: enough for the core to refuse an oversized body.
    let limit = shared.config.max_payload().saturating_add(1);
    let timeout = req
        .extensions()
        .get::<BodyReadTimeout>()
        .map_or(DEFAULT_BODY_READ_TIMEOUT, |t| t.0);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut body = Box::pin(req.into_body());
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < limit {
        let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
            // Node answers its requestTimeout so, and closes the connection; the guard reports
            // the abort to the session.
            let mut res = empty(StatusCode::REQUEST_TIMEOUT);
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return res;
        };
        match frame {
            Some(Ok(frame)) => {
                if let Ok(mut data) = frame.into_data() {
                    use bytes::Buf;
                    while data.has_remaining() && buf.len() < limit {
                        let chunk = data.chunk();
                        let take = chunk.len().min(limit - buf.len());
                        buf.extend_from_slice(chunk.get(..take).unwrap_or_default());
                        data.advance(take);
                    }
                }
            }
            Some(Err(_)) => return empty(StatusCode::BAD_REQUEST), // the guard reports the abort
            None => break,
        }
    }
    guard.disarm();
    let body = String::from_utf8_lossy(&buf).into_owned();
    let (reply, answer) = oneshot::channel();
    if tx.send(SessionMsg::PollPost { body, reply }).is_err() {
        return request_error_response(RequestError::Closed);
    }
    match answer.await {
        Ok(Ok(())) => with_body(StatusCode::OK, "text/html", "ok"),
        Ok(Err(e)) => request_error_response(e),
        Err(_) => request_error_response(RequestError::Closed),
    }
}

/// A WebSocket for an existing session: the upgrade probe.
async fn probe<B>(
    shared: &Arc<EngineShared>,
    tx: crate::session::SessionTx,
    mut req: Request<B>,
) -> Response<ResponseBody> {
    let Some(res) = accept_ws(&req) else {
        return upgrade_error_response(ErrorCode::BadRequest.message());
    };
    let id = next_id();
    let (reply, answer) = oneshot::channel();
    if tx.send(SessionMsg::WsProbe { id, reply }).is_err() {
        return upgrade_error_response(ErrorCode::UnknownSid.message());
    }
    let keep = match answer.await {
        Ok(Ok(())) => true,
        // The reference accepts these, then closes them at once.
        Ok(Err(RequestError::UpgradeInProgress | RequestError::AlreadyUpgraded)) => false,
        Ok(Err(RequestError::UpgradeNotAllowed)) => {
            return error_response(ErrorCode::BadRequest, ErrorCode::BadRequest.message());
        }
        _ => return upgrade_error_response(ErrorCode::UnknownSid.message()),
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let max = shared.config.max_payload();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = ws_stream(upgraded, max);
                if keep {
                    let attach = SessionMsg::WsAttach {
                        id,
                        ws: Box::new(ws),
                    };
                    if let Err(SendError(SessionMsg::WsAttach { ws, .. })) = tx.send(attach) {
                        ws.close(None, crate::session::WS_CLOSE_TIMEOUT).await;
                    }
                } else {
                    ws.close(None, crate::session::WS_CLOSE_TIMEOUT).await;
                }
            }
            Err(e) => {
                tracing::debug!("websocket upgrade failed: {e}");
                if keep {
                    let _ = tx.send(SessionMsg::WsAttachFailed { id });
                }
            }
        }
    });
    res
}

use tokio::sync::mpsc::error::SendError;

// ---- serving ----

/// How [`serve_with`] runs connections. The defaults are Node.js's HTTP server's, which the
/// reference runs on.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServeConfig {
    /// How long a client has to send a request's head, counted from the first byte the server
    /// waits for (Node's `headersTimeout`, 60 s): a client that trickles its headers, or opens a
    /// connection and sends nothing, is cut off then.
    pub header_read_timeout: Duration,
    /// The most bytes in a request's head (Node's `maxHeaderSize`, 16 KiB); a larger one gets
    /// `431 Request Header Fields Too Large`.
    pub max_header_size: usize,
    /// How long a request's body may take to arrive, counted from when its head was read (Node's
    /// `requestTimeout`, 300 s, which counts the head too): an Engine.IO POST whose body trickles
    /// in more slowly gets `408 Request Timeout` and the connection is closed. Bodies the inner
    /// service reads are its own to bound. Mounted in another server (axum's), the Engine.IO
    /// endpoint applies this default.
    pub body_read_timeout: Duration,
    /// How long an idle connection stays open between requests (Node's `keepAliveTimeout`, 5 s):
    /// counted from the end of a response, until the first byte of the next request. Before the
    /// first request, `header_read_timeout` applies; an upgraded connection (WebSocket) has its
    /// own heartbeat instead.
    pub keep_alive_timeout: Duration,
    /// TLS (https and wss), with this rustls config; its ALPN protocols, if any, should offer
    /// `http/1.1`. Each connection's TLS handshake runs in its own task, within
    /// `header_read_timeout`.
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(60),
            max_header_size: 16 * 1024,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            keep_alive_timeout: Duration::from_secs(5),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// The listen backlog [`bind`] asks for (the kernel caps it at `net.core.somaxconn`).
///
/// When a server restarts, every client reconnects within the reference's 1 to 5 s backoff: a
/// backlog of tokio's 1,024 (Node's `listen` uses 511) overflows under a storm of thousands, and
/// the kernel then drops SYNs that clients resend only 1 s, then 3 s, later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds a TCP listener as `TcpListener::bind` does (the first address that works, and
/// `SO_REUSEADDR` on Unix, so a restarted server can take its port back at once), with a listen
/// backlog of [`LISTEN_BACKLOG`].
pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

/// Serves `service` on `listener` (HTTP/1.1 with upgrades) with the default [`ServeConfig`]; see
/// [`serve_with`].
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with(listener, service, shutdown, ServeConfig::default()).await
}

/// Serves `service` on `listener` (HTTP/1.1 with upgrades, over TLS when `config.tls` is set),
/// each request carrying its peer's [`ClientAddr`], until `shutdown` resolves; then stops
/// accepting (connections already open run to their end).
pub async fn serve_with<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
    config: ServeConfig,
) -> std::io::Result<()>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_header_size(config.max_header_size);
    #[cfg(feature = "tls")]
    let tls = config.tls.map(tokio_rustls::TlsAcceptor::from);
    let handshake_timeout = config.header_read_timeout;
    let seconds = config.keep_alive_timeout.as_secs();
    let timeouts = ConnTimeouts {
        body_read: config.body_read_timeout,
        keep_alive: config.keep_alive_timeout,
        // As Node.js says it: how long the connection stays open idle, in whole seconds.
        keep_alive_header: (seconds > 0)
            .then(|| HeaderValue::from_str(&format!("timeout={seconds}")).ok())
            .flatten(),
    };
    accept_loop(listener, shutdown, move |stream, peer| {
        let (service, http, timeouts) = (service.clone(), http.clone(), timeouts.clone());
        #[cfg(feature = "tls")]
        if let Some(acceptor) = tls.clone() {
            tokio::spawn(async move {
                match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        serve_connection(&http, stream, peer, service, timeouts).await
                    }
                    Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                }
            });
            return;
        }
        let _ = handshake_timeout;
        tokio::spawn(async move { serve_connection(&http, stream, peer, service, timeouts).await });
    })
    .await
}

/// Accepts connections until `shutdown` resolves, handing each to `on_connection`.
async fn accept_loop(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    mut on_connection: impl FnMut(tokio::net::TcpStream, SocketAddr),
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Running out of file descriptors and the like: log, breathe, go on.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        on_connection(stream, peer);
    }
}

/// The timeouts [`serve_connection`] applies beside hyper's own.
#[derive(Clone, Debug)]
struct ConnTimeouts {
    body_read: Duration,
    keep_alive: Duration,
    /// `Keep-Alive: timeout=N`, made once; none under a second.
    keep_alive_header: Option<HeaderValue>,
}

/// Runs HTTP/1.1 (with upgrades) on one connection until it ends.
async fn serve_connection<I, S, B>(
    http: &hyper::server::conn::http1::Builder,
    stream: I,
    peer: SocketAddr,
    service: S,
    timeouts: ConnTimeouts,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let activity = Arc::new(ConnActivity::default());
    let io = KeepAliveIo::new(stream, activity.clone(), timeouts.keep_alive);
    let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ClientAddr(peer));
        req.extensions_mut()
            .insert(BodyReadTimeout(timeouts.body_read));
        let mut service = service.clone();
        let in_flight = InFlight::start(activity.clone());
        let closes = |headers: &HeaderMap| {
            headers
                .get_all(header::CONNECTION)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.eq_ignore_ascii_case("close")))
        };
        let keep_alive = req.version() == hyper::Version::HTTP_11 && !closes(req.headers());
        let keep_alive_header = timeouts.keep_alive_header.clone();
        async move {
            std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
            let mut res = service.call(req).await?;
            if res.status() == StatusCode::SWITCHING_PROTOCOLS {
                in_flight.upgraded();
            } else if let Some(value) =
                keep_alive_header.filter(|_| keep_alive && !closes(res.headers()))
            {
                res.headers_mut()
                    .entry(HeaderName::from_static("keep-alive"))
                    .or_insert(value);
            }
            Ok::<_, S::Error>(res.map(|body| InFlightBody {
                body: Box::pin(body),
                _in_flight: in_flight,
            }))
        }
    });
    let conn = http.serve_connection(TokioIo::new(io), svc).with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!("connection from {peer}: {e}");
    }
}

/// What a connection is doing, as its requests and its [`KeepAliveIo`] share it.
#[derive(Debug, Default)]
struct ConnActivity {
    /// Requests whose response is not yet fully written.
    in_flight: AtomicUsize,
    /// Bumped each time the connection goes idle after a response: a new keep-alive period.
    idle_periods: AtomicU64,
    /// Upgraded (WebSocket): no more HTTP, no keep-alive timeout.
    upgraded: AtomicBool,
}

/// One request in flight, from its head until its response's body is written (or dropped).
#[derive(Debug)]
struct InFlight(Arc<ConnActivity>);

impl InFlight {
    fn start(activity: Arc<ConnActivity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(activity)
    }

    fn upgraded(&self) {
        self.0.upgraded.store(true, Ordering::Release);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle_periods.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// A response body that holds its request's [`InFlight`] until hyper has written it: a long
/// streamed response keeps its connection busy.
struct InFlightBody<B> {
    body: Pin<Box<B>>,
    _in_flight: InFlight,
}

impl<B: Body> Body for InFlightBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        self.body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection's stream that ends (reads EOF, which hyper takes for the client closing an idle
/// connection) once it has been idle for `timeout` after a response: Node's `keepAliveTimeout`,
/// which hyper lacks (its header timeout, 60 s, also counts idle time).
struct KeepAliveIo<I> {
    inner: I,
    activity: Arc<ConnActivity>,
    timeout: Duration,
    /// The idle period the timer was armed for; a byte read disarms it until the next one.
    armed_for: u64,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<I> KeepAliveIo<I> {
    fn new(inner: I, activity: Arc<ConnActivity>, timeout: Duration) -> Self {
        KeepAliveIo {
            inner,
            activity,
            timeout,
            armed_for: 0,
            timer: None,
        }
    }
}

impl<I: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for KeepAliveIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.activity.upgraded.load(Ordering::Acquire) {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                // The next request has begun: the head timeout takes over.
                this.timer = None;
                this.armed_for = this.activity.idle_periods.load(Ordering::Acquire);
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        let period = this.activity.idle_periods.load(Ordering::Acquire);
        // Busy, or not yet answered a request (the head timeout applies then).
        if this.activity.in_flight.load(Ordering::Acquire) > 0 || period == 0 {
            return Poll::Pending;
        }
        if period != this.armed_for {
            this.armed_for = period;
            let deadline = tokio::time::Instant::now() + this.timeout;
            match &mut this.timer {
                Some(timer) => timer.as_mut().reset(deadline),
                None => this.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        if let Some(timer) = &mut this.timer {
            if timer.as_mut().poll(cx).is_ready() {
                this.timer = None;
                return Poll::Ready(Ok(()));
            }
        }
        Poll::Pending
    }
}

impl<I: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for KeepAliveIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

// ---- static files ----

/// Serves the files under a folder (GET and HEAD; `index.html` for a folder; 404 otherwise): the
/// binary's `www/` and client package. Paths with `..` are refused.
#[derive(Clone, Debug)]
pub struct ServeDir {
    root: Arc<PathBuf>,
    prefix: Arc<str>,
    fallback: Option<Arc<ServeDir>>,
}

impl ServeDir {
    /// Serves `root` at `/`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ServeDir {
            root: Arc::new(root.into()),
            prefix: "/".into(),
            fallback: None,
        }
    }

    /// Serves the folder at `prefix` (such as `/sockeye/`) instead of `/`.
    #[must_use]
    pub fn at(mut self, prefix: &str) -> Self {
        self.prefix = crate::config::normalize_path(prefix).into();
        self
    }

    /// Where requests outside this folder's prefix, or for missing files, go.
    #[must_use]
    pub fn fallback(mut self, other: ServeDir) -> Self {
        self.fallback = Some(Arc::new(other));
        self
    }

    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let rest = path.strip_prefix(&*self.prefix)?;
        let decoded = proto::url::percent_decode(rest);
        let mut out = (*self.root).clone();
        for part in Path::new(&decoded).components() {
            match part {
                Component::Normal(p) => out.push(p),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(out)
    }

    fn serve(
        self,
        method: Method,
        path: String,
    ) -> Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>> {
        Box::pin(async move {
            if method != Method::GET && method != Method::HEAD {
                return empty(StatusCode::METHOD_NOT_ALLOWED);
            }
            if let Some(mut file) = self.resolve(&path) {
                if tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
                    file.push("index.html");
                }
                if let Ok(bytes) = tokio::fs::read(&file).await {
                    let mut res = with_body(StatusCode::OK, content_type(&file), bytes);
                    if method == Method::HEAD {
                        *res.body_mut() = Full::new(Bytes::new());
                    }
                    return res;
                }
            }
            match self.fallback {
                Some(next) => (*next).clone().serve(method, path).await,
                None => empty(StatusCode::NOT_FOUND),
            }
        })
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

impl<B> Service<Request<B>> for ServeDir {
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let fut = self
            .clone()
            .serve(req.method().clone(), req.uri().path().to_owned());
        Box::pin(async move { Ok(fut.await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_paths_stay_inside_the_root() {
        let dir = ServeDir::new("/srv/www").at("/sockeye/");
        assert_eq!(
            dir.resolve("/sockeye/a/b.js"),
            Some(PathBuf::from("/srv/www/a/b.js"))
        );
        assert_eq!(dir.resolve("/sockeye/../etc/passwd"), None);
        assert_eq!(dir.resolve("/sockeye/%2e%2e/etc"), None);
        assert_eq!(dir.resolve("/other/x"), None);
    }

    #[test]
    fn error_bodies_are_the_references() {
        let res = error_response(ErrorCode::UnknownSid, ErrorCode::UnknownSid.message());
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = error_response(ErrorCode::Forbidden, "nope");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}
