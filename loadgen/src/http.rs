//! Long-polling requests: HTTP/1.1 over hyper's connection-level client, one keep-alive
//! connection for the GETs and one for the POSTs of each client (the reference's browser client
//! gets the same from the browser's connection pool: a GET parked on the server must not hold up
//! a POST).

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use proto::engine::client::TransportError;

/// A keep-alive connection to the server.
pub(crate) type Conn = SendRequest<Full<Bytes>>;

/// What a request gives back: the connection, when it can be used again, and the body or error.
pub(crate) type Outcome = (Option<Conn>, Result<String, TransportError>);

/// Runs one request of `url` (a GET without body, a POST with one) on `conn`, or on a new
/// connection to `addr`.
pub(crate) async fn request(
    addr: SocketAddr,
    conn: Option<Conn>,
    url: String,
    body: Option<String>,
) -> Outcome {
    let mut conn = match conn {
        Some(c) if !c.is_closed() => c,
        _ => match connect(addr).await {
            Ok(c) => c,
            Err(e) => return (None, Err(e)),
        },
    };
    if let Err(e) = conn.ready().await {
        return (None, Err(network(e)));
    }
    let request = match build(addr, &url, body) {
        Ok(r) => r,
        Err(e) => return (Some(conn), Err(e)),
    };
    let response = match conn.send_request(request).await {
        Ok(r) => r,
        Err(e) => return (None, Err(network(e))),
    };
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return (None, Err(network(e))),
    };
    if status != hyper::StatusCode::OK {
        return (Some(conn), Err(TransportError::HttpStatus(status.as_u16())));
    }
    match String::from_utf8(body.into()) {
        Ok(text) => (Some(conn), Ok(text)),
        Err(_) => (
            Some(conn),
            Err(TransportError::Network("response body is not UTF-8".into())),
        ),
    }
}

async fn connect(addr: SocketAddr) -> Result<Conn, TransportError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(network)?;
    let _ = stream.set_nodelay(true);
    let (send, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(network)?;
    // The connection's I/O runs beside the client; it ends when `send` is dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(send)
}

fn build(
    addr: SocketAddr,
    url: &str,
    body: Option<String>,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let builder = http::Request::builder()
        .uri(path_and_query(url))
        .header(http::header::HOST, addr.to_string());
    let request = match body {
        None => builder.method(http::Method::GET).body(Full::default()),
        Some(body) => builder
            .method(http::Method::POST)
            .header(http::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(Full::new(Bytes::from(body))),
    };
    request.map_err(network)
}

/// The request target of an absolute URL: from the first `/` after the authority.
pub(crate) fn path_and_query(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url.get(after_scheme..).and_then(|rest| rest.find('/')) {
        Some(i) => url.get(after_scheme + i..).unwrap_or("/"),
        None => "/",
    }
}

fn network(e: impl std::fmt::Display) -> TransportError {
    TransportError::Network(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_target_is_the_path_and_query() {
        assert_eq!(
            path_and_query("http://127.0.0.1:3000/socket.io/?EIO=4&transport=polling&t=abc"),
            "/socket.io/?EIO=4&transport=polling&t=abc"
        );
        assert_eq!(path_and_query("http://host:1"), "/");
        assert_eq!(path_and_query("/x?y"), "/x?y");
    }
}
