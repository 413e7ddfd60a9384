//! Long-polling requests: HTTP/1.1 over hyper's connection-level client, one keep-alive
//! connection for the GETs and one for the POSTs of each client (a browser gets the same from its
//! connection pool: a GET parked on the server must not hold up a POST), over TLS for `https`.
//!
//! Every request says `Accept-Encoding: gzip, deflate`, as browsers do, and a response in either
//! coding is decoded, so that polling runs as it does for the reference's browser client when the
//! server compresses (engine.io's `httpCompression`, on by default).

use std::io::Read;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use proto::engine::client::TransportError;

use super::conn::Connect;

/// What every request says besides its URL: `Host`, and the application's extra headers.
pub(crate) struct Headers {
    /// `host:port`, as the URL spells it.
    pub(crate) authority: String,
    /// Added to every request and WebSocket handshake.
    pub(crate) extra: Vec<(String, String)>,
}

/// A keep-alive connection to the server.
pub(crate) type Conn = SendRequest<Full<Bytes>>;

/// What a request gives back: the connection, when it can be used again, and the body or error.
pub(crate) type Outcome = (Option<Conn>, Result<String, TransportError>);

/// Runs one request of `url` (a GET without body, a POST with one) on `conn`, or on a new
/// connection to the server.
pub(crate) async fn request<C: Connect>(
    connector: std::sync::Arc<C>,
    headers: std::sync::Arc<Headers>,
    conn: Option<Conn>,
    url: String,
    body: Option<String>,
) -> Outcome {
    let mut conn = match conn {
        Some(c) if !c.is_closed() => c,
        _ => match connect(&*connector).await {
            Ok(c) => c,
            Err(e) => return (None, Err(e)),
        },
    };
    if let Err(e) = conn.ready().await {
        return (None, Err(network(e)));
    }
    let request = match build(&headers, &url, body) {
        Ok(r) => r,
        Err(e) => return (Some(conn), Err(e)),
    };
    let response = match conn.send_request(request).await {
        Ok(r) => r,
        Err(e) => return (None, Err(network(e))),
    };
    let status = response.status();
    let coding = response
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .map(|v| v.as_bytes().to_ascii_lowercase());
    let body = match read_body(response.into_body(), MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => return (None, Err(e)),
    };
    if status != hyper::StatusCode::OK {
        return (Some(conn), Err(TransportError::HttpStatus(status.as_u16())));
    }
    let body = match decode(coding.as_deref(), body) {
        Ok(body) => body,
        Err(e) => return (Some(conn), Err(e)),
    };
    match String::from_utf8(body) {
        Ok(text) => (Some(conn), Ok(text)),
        Err(_) => (
            Some(conn),
            Err(TransportError::Network("response body is not UTF-8".into())),
        ),
    }
}

/// A response's body, read up to `max` bytes and never further: an endless or oversized one is
/// an error, not memory.
async fn read_body<B>(body: B, max: usize) -> Result<Bytes, TransportError>
where
    B: hyper::body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, max).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e) => Err(network(format_args!("response body: {e}"))),
    }
}

/// The most bytes a response body may take on the wire: as [`MAX_DECODED_BYTES`], far more than
/// a payload any server's `maxHttpBufferSize` lets through.
const MAX_BODY_BYTES: usize = 64 << 20;

/// The most bytes a compressed response may decode to: far more than any server's
/// `maxHttpBufferSize` lets a payload hold, and a bound on what a compression bomb costs.
const MAX_DECODED_BYTES: u64 = 64 << 20;

/// A response body as sent, whatever its `Content-Encoding` (`None`, `identity`, `gzip` or
/// `deflate`; zlib-wrapped, as HTTP means it, or raw, as some servers send it).
fn decode(coding: Option<&[u8]>, body: Bytes) -> Result<Vec<u8>, TransportError> {
    decode_at_most(coding, body, MAX_DECODED_BYTES)
}

/// [`decode`], refusing a body that decodes to more than `max` bytes.
fn decode_at_most(coding: Option<&[u8]>, body: Bytes, max: u64) -> Result<Vec<u8>, TransportError> {
    let read_all = |reader: &mut dyn Read| {
        let mut out = Vec::with_capacity(body.len() * 4);
        reader
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| network(format!("cannot decode the response: {e}")))?;
        if out.len() as u64 > max {
            return Err(network(format!(
                "the response decodes to more than {max} bytes"
            )));
        }
        Ok(out)
    };
    match coding {
        None | Some(b"identity") => Ok(body.into()),
        Some(b"gzip" | b"x-gzip") => read_all(&mut flate2::read::GzDecoder::new(&body[..])),
        Some(b"deflate") => read_all(&mut flate2::read::ZlibDecoder::new(&body[..]))
            .or_else(|_| read_all(&mut flate2::read::DeflateDecoder::new(&body[..]))),
        Some(other) => Err(network(format!(
            "unknown Content-Encoding {}",
            String::from_utf8_lossy(other)
        ))),
    }
}

async fn connect<C: Connect>(connector: &C) -> Result<Conn, TransportError> {
    let stream = connector.connect().await.map_err(network)?;
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
    headers: &Headers,
    url: &str,
    body: Option<String>,
) -> Result<http::Request<Full<Bytes>>, TransportError> {
    let mut builder = http::Request::builder()
        .uri(path_and_query(url))
        .header(http::header::HOST, headers.authority.as_str())
        .header(http::header::ACCEPT_ENCODING, "gzip, deflate");
    for (name, value) in &headers.extra {
        builder = builder.header(name.as_str(), value.as_str());
    }
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
    use std::io::Write;

    use super::*;

    #[tokio::test]
    async fn a_body_is_read_up_to_its_bound() {
        let body = |n: usize| Full::new(Bytes::from(vec![b'4'; n]));
        assert_eq!(read_body(body(1000), 1000).await.unwrap().len(), 1000);
        let refused = read_body(body(1001), 1000).await.unwrap_err();
        assert!(refused.to_string().contains("response body"), "{refused}");
    }

    #[test]
    fn responses_are_decoded_as_their_content_encoding_says() {
        let payload = "42[\"tick\",1]\u{1e}".repeat(200);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(payload.as_bytes()).unwrap();
        let gz = Bytes::from(gz.finish().unwrap());
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(payload.as_bytes()).unwrap();
        let zlib = Bytes::from(zlib.finish().unwrap());
        let plain = Bytes::from(payload.clone());
        assert_eq!(decode(None, plain.clone()).unwrap(), payload.as_bytes());
        assert_eq!(
            decode(Some(b"identity"), plain.clone()).unwrap(),
            payload.as_bytes()
        );
        assert_eq!(
            decode(Some(b"gzip"), gz.clone()).unwrap(),
            payload.as_bytes()
        );
        assert_eq!(decode(Some(b"deflate"), zlib).unwrap(), payload.as_bytes());
        assert!(decode(Some(b"br"), plain.clone()).is_err());
        assert!(decode(Some(b"gzip"), plain).is_err());
        // A truncated stream is an error, not a short payload.
        assert!(decode(Some(b"gzip"), gz.slice(..gz.len() / 2)).is_err());
    }

    #[test]
    fn a_compression_bomb_is_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&[b'0'; 100_001]).unwrap();
        let gz = Bytes::from(gz.finish().unwrap());
        assert!(gz.len() < 1000);
        assert!(decode_at_most(Some(b"gzip"), gz.clone(), 100_000).is_err());
        assert_eq!(
            decode_at_most(Some(b"gzip"), gz, 100_001).unwrap().len(),
            100_001
        );
    }

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
