//! The reference's HTTP answers (status codes and error bodies) and the CORS headers.

use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use proto::engine::server::RequestError;

use super::config::Cors;
use super::{ErrorCode, ResponseBody, empty};

pub(super) fn with_body(
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
pub(super) fn error_response(code: ErrorCode, message: &str) -> Response<ResponseBody> {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = format!("{{\"code\":{},\"message\":", code.code());
    proto::json::write_string(&mut body, message);
    body.push('}');
    with_body(status, "application/json", body)
}

/// The reference's `abortUpgrade`: `400 Bad Request` with the message as text/html.
pub(super) fn upgrade_error_response(message: &str) -> Response<ResponseBody> {
    let mut res = with_body(StatusCode::BAD_REQUEST, "text/html", message.to_owned());
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

pub(super) const TOO_MANY_HANDSHAKES: &str = "Too many handshakes";

/// A handshake past `handshake_rate_per_ip`: 429 with the reference's error body (code 4, as an
/// `allowRequest` refusal), or the message as text for a WebSocket, and when to try again.
pub(super) fn too_many_handshakes(upgrade: bool, retry_after: Duration) -> Response<ResponseBody> {
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

pub(super) const TOO_MANY_CLIENTS: &str = "Too many clients";
pub(super) const TOO_MANY_CONNECTIONS: &str = "Too many connections";

/// A request past a capacity bound: 503 with the reference's error body (code 4, as an
/// `allowRequest` refusal, which is where a Node app would bound it), the message as text for a
/// WebSocket, or plain text for a request that is not Engine.IO's.
pub(super) fn over_capacity(
    upgrade: bool,
    engine_io: bool,
    message: &str,
) -> Response<ResponseBody> {
    let mut res = if upgrade {
        upgrade_error_response(message)
    } else if engine_io {
        error_response(ErrorCode::Forbidden, message)
    } else {
        with_body(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            message.to_owned(),
        )
    };
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res
}

pub(super) const HEADERS_TOO_LARGE: &str = "Request Header Fields Too Large";

/// A handshake past `max_handshake_header_bytes`: 431, as Node answers a head past its
/// `maxHeaderSize` (empty, the connection closed), or the message as text for a WebSocket.
pub(super) fn headers_too_large(upgrade: bool) -> Response<ResponseBody> {
    let mut res = if upgrade {
        upgrade_error_response(HEADERS_TOO_LARGE)
    } else {
        let mut res = empty(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    };
    *res.status_mut() = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    res
}

/// What the reference answers for a [`RequestError`] on a polling request.
pub(super) fn request_error_response(error: RequestError) -> Response<ResponseBody> {
    match error.code() {
        Some(code) => error_response(code, code.message()),
        None => empty(StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST)),
    }
}

pub(super) fn is_ws_upgrade<B>(req: &Request<B>) -> bool {
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
pub(super) fn apply_cors(
    cors: &Cors,
    req_headers: &HeaderMap,
    res_headers: &mut HeaderMap,
    preflight: bool,
) {
    use crate::http::config::CorsOrigin;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_the_references() {
        let res = error_response(ErrorCode::UnknownSid, ErrorCode::UnknownSid.message());
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = error_response(ErrorCode::Forbidden, "nope");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}
