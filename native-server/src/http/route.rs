//! Where an Engine.IO request goes: a handshake, a polling GET or POST, or a WebSocket upgrade,
//! each handed to its session's task.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use proto::engine::endpoint::{self, Endpoint, Found, Route};
use proto::engine::server::{PollPayload, RequestError};
use proto::engine::{Sid, Transport};
use tokio::sync::mpsc::error::SendError;
use tokio::sync::oneshot;

use super::answers::{
    HEADERS_TOO_LARGE, TOO_MANY_CLIENTS, TOO_MANY_HANDSHAKES, apply_cors, error_response,
    headers_too_large, is_ws_upgrade, over_capacity, request_error_response, too_many_handshakes,
    upgrade_error_response, with_body,
};
use super::compression;
use super::per_message_deflate;
use super::{
    BodyReadTimeout, BoxError, ClientAddr, ConnectionError, ErrorCode, RequestInfo, ResponseBody,
};
use super::{EngineShared, empty};
use crate::engine::inbox::{SessionMsg, SessionTx, WsStream};
use crate::engine::runner::WS_CLOSE_TIMEOUT;
use crate::engine::websocket::deflate::DeflateParams;

pub(super) async fn handle<B>(shared: Arc<EngineShared>, req: Request<B>) -> Response<ResponseBody>
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
    } else if let Some(file) = (shared.config.client_files.as_ref())
        .and_then(|files| files.find(&shared.config.path, req.uri().path()))
    {
        file.serve(req.headers()).await
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

    // The core's endpoint decides, as the reference's `verify` does; the session table is ours.
    let routed = {
        let mut request = endpoint::Request::from_query(
            endpoint::Method::from_name(req.method().as_str()),
            &query,
            upgrade,
        );
        request.origin = req.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
        Endpoint::new(&shared.config.engine.transports).route(&request, |sid| {
            // The session's transport is its task's to know: its polling handlers refuse a
            // mismatch themselves (`RequestError::TransportMismatch`).
            shared.session(sid).map(|tx| Found {
                session: tx,
                transport: None,
            })
        })
    };
    let handshake = match routed {
        Err(refusal) => return refuse(refusal.code(), refusal.message(), &req),
        Ok(Route::Upgrade(_)) if !admits_origin(shared, &req, upgrade) => {
            return refuse(ErrorCode::Forbidden, ErrorCode::Forbidden.message(), &req);
        }
        Ok(Route::Upgrade(tx)) => return probe(shared, tx, req).await,
        Ok(Route::PollGet(tx)) => return poll_get(shared, tx, req.headers()).await,
        Ok(Route::PollPost(tx)) => return poll_post(shared, tx, req).await,
        Ok(Route::PollOther(_)) => return empty(StatusCode::INTERNAL_SERVER_ERROR),
        Ok(Route::Handshake(handshake)) => handshake,
    };

    // A handshake: our own bounds and hooks, then the reference's protocol check.
    if let (Some(limiter), Some(ClientAddr(peer))) = (
        &shared.config.handshake_limiter,
        req.extensions().get::<ClientAddr>(),
    ) && let Err(retry_after) = limiter.check(peer.ip())
    {
        shared.connection_error(ConnectionError {
            req: RequestInfo::from_request(&req),
            code: ErrorCode::Forbidden,
            message: TOO_MANY_HANDSHAKES.to_owned(),
        });
        return too_many_handshakes(upgrade, retry_after);
    }
    if !admits_origin(shared, &req, upgrade) {
        return refuse(ErrorCode::Forbidden, ErrorCode::Forbidden.message(), &req);
    }
    if kept_bytes(&req) > shared.config.http.max_handshake_header_bytes {
        shared.connection_error(ConnectionError {
            req: RequestInfo::from_request(&req),
            code: ErrorCode::BadRequest,
            message: HEADERS_TOO_LARGE.to_owned(),
        });
        return headers_too_large(upgrade);
    }
    if shared.clients_count() >= shared.config.http.max_clients {
        shared.connection_error(ConnectionError {
            req: RequestInfo::from_request(&req),
            code: ErrorCode::Forbidden,
            message: TOO_MANY_CLIENTS.to_owned(),
        });
        return over_capacity(upgrade, true, TOO_MANY_CLIENTS);
    }
    if let Some(allow) = &shared.config.allow_request
        && let Err(message) = allow(RequestInfo::from_request(&req)).await
    {
        return refuse(ErrorCode::Forbidden, &message, &req);
    }
    let transport = match handshake.accept() {
        Ok(transport) => transport,
        Err(refusal) => return refuse(refusal.code(), refusal.message(), &req),
    };
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
            poll_get(shared, tx, req.headers()).await
        }
        _ => {
            let Some((mut res, deflate)) = accept_ws(shared, &req) else {
                return refuse(ErrorCode::BadRequest, ErrorCode::BadRequest.message(), &req);
            };
            let on_upgrade = hyper::upgrade::on(&mut req);
            let shared = shared.clone();
            tokio::spawn(async move {
                match on_upgrade.await {
                    Ok(upgraded) => {
                        let ws = ws_stream(&shared, upgraded, deflate);
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

/// What a session keeps of its handshake request: its URL and its headers' names and values.
fn kept_bytes<B>(req: &Request<B>) -> usize {
    req.headers()
        .iter()
        .fold(req.uri().to_string().len(), |sum, (name, value)| {
            sum.saturating_add(name.as_str().len() + value.len())
        })
}

/// The Origin checks of a handshake, and of a WebSocket upgrade of a session: the CORS allowlist
/// ([`Cors::refuse_other_origins`]) and, for a WebSocket, `websocket_origins`.
fn admits_origin<B>(shared: &EngineShared, req: &Request<B>, upgrade: bool) -> bool {
    let cors = shared
        .config
        .cors
        .as_ref()
        .is_none_or(|cors| cors.admits(req.headers()));
    cors && (!upgrade || shared.config.http.admits_websocket(req.headers()))
}

fn random_sid() -> Sid {
    let mut bytes = [0u8; 15];
    crate::engine::fill_random(&mut bytes);
    Sid::from_random(bytes)
}

/// The 101 answer to a WebSocket handshake, with the permessage-deflate parameters it accepted,
/// or `None` when its headers are not a valid one.
fn accept_ws<B>(
    shared: &EngineShared,
    req: &Request<B>,
) -> Option<(Response<ResponseBody>, Option<DeflateParams>)> {
    let version_ok = req
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY)?;
    if !version_ok {
        return None;
    }
    let accept = sockeye_websocket::handshake::accept_key(key.as_bytes());
    let mut res = empty(StatusCode::SWITCHING_PROTOCOLS);
    let headers = res.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).ok()?,
    );
    let deflate = shared
        .config
        .per_message_deflate
        .as_ref()
        .and_then(|config| {
            let offers = req.headers().get_all(header::SEC_WEBSOCKET_EXTENSIONS);
            let (params, answer) =
                per_message_deflate::negotiate(offers.iter().map(HeaderValue::as_bytes), config)?;
            headers.insert(
                header::SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_str(&answer).ok()?,
            );
            Some(params)
        });
    Some((res, deflate))
}

/// The WebSocket of an upgraded request. `max_payload` is the cap the core asks for, as the
/// reference's `ws` has it (`maxPayload`): a longer message is refused without being buffered,
/// and the session closes with 1009 Message Too Big and `transport error`. A write that stalls
/// past `write_timeout` fails, which closes the session with `transport error` too.
/// With `deflate`, messages are compressed and decompressed as the handshake negotiated, and a
/// compressed one that inflates past `max_payload` is refused as a longer one would be.
fn ws_stream(
    shared: &EngineShared,
    upgraded: hyper::upgrade::Upgraded,
    deflate: Option<DeflateParams>,
) -> WsStream {
    WsStream::new(TokioIo::new(upgraded), shared.config.max_payload())
        .with_write_timeout(shared.config.http.write_timeout)
        .with_deflate(deflate)
}

/// The `Content-Type` of a polling payload (the reference's, with its explicit charset).
const PAYLOAD_TYPE: &str = "text/plain; charset=UTF-8";

/// Sends the GET's abort to the session if the request's future is dropped before its answer
/// (hyper drops it when the client goes away).
struct AbortGuard {
    tx: Option<SessionTx>,
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

/// A polling GET: its session's payload, or the error to answer.
async fn poll_get(
    shared: &EngineShared,
    tx: SessionTx,
    headers: &http::HeaderMap,
) -> Response<ResponseBody> {
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
        Ok(Ok(payload)) => payload_response(shared, headers, payload).await,
        Ok(Err(e)) => request_error_response(e),
        Err(_) => request_error_response(RequestError::Closed),
    }
}

/// The 200 answer carrying a polling payload: compressed when it may be, is long enough and the
/// request takes a coding (`http_compression`), as it is otherwise.
async fn payload_response(
    shared: &EngineShared,
    headers: &http::HeaderMap,
    payload: PollPayload,
) -> Response<ResponseBody> {
    let compression = &shared.config.http_compression;
    let coding = compression.coding_for(&payload, headers);
    let body = payload.body;
    let Some(coding) = coding else {
        return with_body(StatusCode::OK, PAYLOAD_TYPE, body);
    };
    match compression::compress(coding, body).await {
        Ok(compressed) => {
            let mut res = with_body(StatusCode::OK, PAYLOAD_TYPE, compressed);
            res.headers_mut().insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(coding.token()),
            );
            res
        }
        Err(body) => with_body(StatusCode::OK, PAYLOAD_TYPE, body),
    }
}

async fn poll_post<B>(
    shared: &Arc<EngineShared>,
    tx: SessionTx,
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
    // engine.io 6.6.13's bounds on the body, each answered as it answers them: the guard then
    // reports the abort, which closes the session with `transport error`, as its `onError` does.
    let limits = &shared.config.http;
    let max = shared.config.max_payload();
    // Under `serve_with`, Node's `requestTimeout` too: whichever is shorter.
    let timeout = req
        .extensions()
        .get::<BodyReadTimeout>()
        .map_or(limits.http_request_body_timeout, |t| {
            t.0.min(limits.http_request_body_timeout)
        });
    let deadline = tokio::time::Instant::now() + timeout;
    let mut body = Box::pin(req.into_body());
    let mut buf: Vec<u8> = Vec::new();
    let mut chunks: usize = 0;
    loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
            return closing(StatusCode::REQUEST_TIMEOUT);
        };
        match frame {
            Some(Ok(frame)) => {
                let Ok(mut data) = frame.into_data() else {
                    continue; // trailers
                };
                use bytes::Buf;
                if !data.has_remaining() {
                    continue;
                }
                // The size first, then the count, as the reference checks them.
                if data.remaining() > max.saturating_sub(buf.len()) {
                    return closing(StatusCode::PAYLOAD_TOO_LARGE);
                }
                chunks += 1;
                if chunks > limits.max_buffered_chunks {
                    return closing(StatusCode::PAYLOAD_TOO_LARGE);
                }
                while data.has_remaining() {
                    let chunk = data.chunk();
                    buf.extend_from_slice(chunk);
                    let n = chunk.len();
                    data.advance(n);
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

/// An empty answer that closes the connection: a POST refused mid-body, whose rest is not read
/// (the reference destroys the request).
fn closing(status: StatusCode) -> Response<ResponseBody> {
    let mut res = empty(status);
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// A WebSocket for an existing session: the upgrade probe.
async fn probe<B>(
    shared: &Arc<EngineShared>,
    tx: SessionTx,
    mut req: Request<B>,
) -> Response<ResponseBody> {
    let Some((res, deflate)) = accept_ws(shared, &req) else {
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
    let shared = shared.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let ws = ws_stream(&shared, upgraded, deflate);
                if keep {
                    let attach = SessionMsg::WsAttach {
                        id,
                        ws: Box::new(ws),
                    };
                    if let Err(SendError(SessionMsg::WsAttach { ws, .. })) = tx.send(attach) {
                        ws.close(None, WS_CLOSE_TIMEOUT).await;
                    }
                } else {
                    ws.close(None, WS_CLOSE_TIMEOUT).await;
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
