//! [`Transports`]: the WebSocket and the long-polling requests of one core client, natively. The
//! native client's IO task drives one per connection; the load generator drives ten thousand
//! in a process, on one thread, with its own [`Connect`] (which counts the bytes on the wire).
//!
//! The owner feeds it the client's transmits ([`Transports::transmit`], then
//! [`Transports::flush`]), waits for the next transport input ([`Transports::next`]) and hands
//! that to the client ([`Input::apply`]). The timer stays the owner's: exactly one per client.

use std::io;
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::{SinkExt, StreamExt};
use proto::Instant;
use proto::client::{Client, EngineId};
use proto::engine::Frame;
use proto::engine::client::{Transmit, TransportError};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::http;

pub use super::conn::{BoxFuture, Connect};

/// Why a WebSocket did not open, and when the attempt started. (The core only learns that it
/// closed, as a browser tells a page.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsOpenError {
    /// The cause: the TCP connection's error (`ConnectionRefused` ...), `UnexpectedEof` when the
    /// server closed the connection before answering the upgrade, `Other` otherwise (an HTTP
    /// error answer to the upgrade, say).
    pub kind: io::ErrorKind,
    /// When the connection was started: before its `connect` was polled.
    pub started: SystemTime,
}

type Ws<S> = WebSocketStream<S>;
/// A WebSocket being opened (boxed once open: it is large).
type Opening<S> = BoxFuture<Result<Box<Ws<S>>, WsOpenError>>;
type WsResult = Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>;

/// A transport input, for [`Input::apply`].
#[derive(Debug)]
pub enum Input {
    /// A frame arrived on the WebSocket of this engine (`None`: a ping or a close frame, which
    /// the WebSocket answers itself).
    WsFrame(EngineId, Option<Frame>),
    /// The WebSocket of this engine closed or failed.
    WsClosed(EngineId),
    /// The WebSocket of this engine opened.
    WsOpened(EngineId),
    /// The WebSocket of this engine did not open.
    WsOpenFailed(EngineId, WsOpenError),
    /// A long-polling GET of this engine finished.
    Get(EngineId, Result<String, TransportError>),
    /// A long-polling POST of this engine finished.
    Post(EngineId, Result<(), TransportError>),
}

impl Input {
    /// Hands the input to `client`, at `now`.
    pub fn apply(self, client: &mut Client, now: Instant) {
        match self {
            Input::WsFrame(id, Some(frame)) => client.handle_ws_frame(now, id, frame),
            Input::WsFrame(_, None) => {}
            Input::WsClosed(id) | Input::WsOpenFailed(id, _) => client.handle_ws_close(now, id),
            Input::WsOpened(id) => client.handle_ws_open(now, id),
            Input::Get(id, result) => client.handle_poll_response(now, id, result),
            Input::Post(id, result) => client.handle_post_response(now, id, result),
        }
    }
}

/// The WebSocket and the polling requests of one client.
pub struct Transports<C: Connect> {
    connector: Arc<C>,
    /// The `Host` header and the extra headers of every request and WebSocket handshake.
    headers: Arc<http::Headers>,
    ws: Option<(EngineId, Ws<C::Stream>)>,
    ws_opening: Option<(EngineId, Opening<C::Stream>)>,
    get: Option<(EngineId, BoxFuture<http::Outcome>)>,
    post: Option<(EngineId, BoxFuture<http::Outcome>)>,
    get_conn: Option<http::Conn>,
    post_conn: Option<http::Conn>,
    /// Frames to write on the WebSocket at the next [`Transports::flush`].
    outgoing: Vec<(EngineId, Frame)>,
    /// Set when the client asked for its WebSocket to be closed after the frames above.
    close_ws: Option<EngineId>,
}

/// Engine.IO frames are small, and ten thousand clients may share a process: tungstenite's
/// defaults reserve 128 KiB per connection for reading. (Larger messages still arrive whole.)
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

impl<C: Connect> Transports<C> {
    /// Transports whose connections `connector` opens; every request and WebSocket handshake
    /// says `Host: authority` and carries `extra_headers`.
    pub fn new(connector: C, authority: &str, extra_headers: &[(String, String)]) -> Self {
        Transports {
            connector: Arc::new(connector),
            headers: Arc::new(http::Headers {
                authority: authority.to_owned(),
                extra: extra_headers.to_vec(),
            }),
            ws: None,
            ws_opening: None,
            get: None,
            post: None,
            get_conn: None,
            post_conn: None,
            outgoing: Vec::new(),
            close_ws: None,
        }
    }

    /// Nothing in flight: no WebSocket, none opening, no request.
    pub fn is_idle(&self) -> bool {
        self.ws.is_none() && self.ws_opening.is_none() && self.get.is_none() && self.post.is_none()
    }

    /// Starts what the client asked for. WebSocket frames are written at the next
    /// [`Transports::flush`].
    pub fn transmit(&mut self, id: EngineId, transmit: Transmit) {
        match transmit {
            Transmit::WsOpen { url } => {
                // A new session's WebSocket replaces whatever an old one left.
                self.ws = None;
                let connector = Arc::clone(&self.connector);
                let headers = Arc::clone(&self.headers);
                self.ws_opening = Some((id, Box::pin(open_ws(connector, headers, url))));
            }
            Transmit::WsSend(frame) => self.outgoing.push((id, frame)),
            Transmit::WsClose => {
                if self.ws_opening.as_ref().is_some_and(|(e, _)| *e == id) {
                    self.ws_opening = None;
                }
                self.close_ws = Some(id);
            }
            Transmit::PollGet { url } => {
                let conn = self.get_conn.take();
                let request = http::request(self.connector(), self.headers(), conn, url, None);
                self.get = Some((id, Box::pin(request)));
            }
            Transmit::PollPost { url, body } => {
                let conn = self.post_conn.take();
                let request =
                    http::request(self.connector(), self.headers(), conn, url, Some(body));
                self.post = Some((id, Box::pin(request)));
            }
            Transmit::PollAbort => {
                // Dropping a request drops its connection: the server sees the abort.
                if self.get.as_ref().is_some_and(|(e, _)| *e == id) {
                    self.get = None;
                }
                if self.post.as_ref().is_some_and(|(e, _)| *e == id) {
                    self.post = None;
                }
            }
        }
    }

    fn connector(&self) -> Arc<C> {
        Arc::clone(&self.connector)
    }

    fn headers(&self) -> Arc<http::Headers> {
        Arc::clone(&self.headers)
    }

    /// Whether [`Transports::flush`] has anything to do.
    pub fn has_outgoing(&self) -> bool {
        !self.outgoing.is_empty() || self.close_ws.is_some()
    }

    /// Writes the queued frames in one flush, then closes the WebSocket if asked to. A failed
    /// write drops the WebSocket: the input returned tells the client.
    pub async fn flush(&mut self) -> Option<Input> {
        let frames = std::mem::take(&mut self.outgoing);
        let close = self.close_ws.take();
        let (ws_id, ws) = self.ws.as_mut()?;
        let ws_id = *ws_id;
        let mut failed = false;
        let mut any = false;
        for (id, frame) in frames {
            // Frames for an engine whose WebSocket is gone go nowhere, as in a browser.
            if id != ws_id {
                continue;
            }
            any = true;
            let msg = match frame {
                Frame::Text(text) => WsMessage::text(text),
                Frame::Binary(bytes) => WsMessage::binary(bytes),
            };
            if ws.feed(msg).await.is_err() {
                failed = true;
                break;
            }
        }
        if any && !failed && ws.flush().await.is_err() {
            failed = true;
        }
        if close == Some(ws_id) {
            // The close frame goes out; the server's answer is not waited for.
            let _ = ws.close(None).await;
            self.ws = None;
            None
        } else if failed {
            self.ws = None;
            Some(Input::WsClosed(ws_id))
        } else {
            None
        }
    }

    /// The next transport input (pending forever while nothing is in flight). Cancel-safe: a
    /// `select!` may drop it and call it again.
    pub async fn next(&mut self) -> Input {
        tokio::select! {
            (id, msg) = ws_next(&mut self.ws) => match msg {
                Some(Ok(WsMessage::Text(text))) => {
                    Input::WsFrame(id, Some(Frame::Text(text.as_str().to_owned())))
                }
                Some(Ok(WsMessage::Binary(bytes))) => {
                    Input::WsFrame(id, Some(Frame::Binary(bytes.to_vec())))
                }
                // tungstenite answers pings itself; a close frame is followed by the end.
                Some(Ok(_)) => Input::WsFrame(id, None),
                _ => {
                    self.ws = None;
                    Input::WsClosed(id)
                }
            },
            (id, opened) = finish(&mut self.ws_opening) => match opened {
                Ok(ws) => {
                    self.ws = Some((id, *ws));
                    Input::WsOpened(id)
                }
                Err(e) => Input::WsOpenFailed(id, e),
            },
            (id, (conn, result)) = finish(&mut self.get) => {
                self.get_conn = conn;
                Input::Get(id, result)
            }
            (id, (conn, result)) = finish(&mut self.post) => {
                self.post_conn = conn;
                Input::Post(id, result.map(drop))
            }
        }
    }
}

/// `GET url` on a connection of `connector`'s, with `Host: authority`, and the response's body
/// (decoded as polling responses are): for a side request of the driver's owner.
pub async fn get<C: Connect>(
    connector: C,
    authority: &str,
    url: &str,
) -> Result<String, TransportError> {
    let headers = Arc::new(http::Headers {
        authority: authority.to_owned(),
        extra: Vec::new(),
    });
    http::request(Arc::new(connector), headers, None, url.to_owned(), None)
        .await
        .1
}

/// Opens a WebSocket to `url`.
async fn open_ws<C: Connect>(
    connector: Arc<C>,
    headers: Arc<http::Headers>,
    url: String,
) -> Result<Box<Ws<C::Stream>>, WsOpenError> {
    use tokio_tungstenite::tungstenite::Error as E;
    // Taken in the same poll as the `connect` call: when the SYN went out, not when this
    // (possibly busy) task got round to its answer.
    let started = SystemTime::now();
    let fail = |kind| WsOpenError { kind, started };
    let mut request = url
        .into_client_request()
        .map_err(|_| fail(io::ErrorKind::InvalidInput))?;
    for (name, value) in &headers.extra {
        let name = ::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| fail(io::ErrorKind::InvalidInput))?;
        let value = value
            .parse()
            .map_err(|_| fail(io::ErrorKind::InvalidInput))?;
        request.headers_mut().append(name, value);
    }
    let stream = connector.connect().await.map_err(|e| fail(e.kind()))?;
    let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config()))
        .await
        .map_err(|e| {
            fail(match e {
                E::Io(e) => e.kind(),
                // The server closed the connection before answering the upgrade.
                E::Protocol(_) | E::ConnectionClosed | E::AlreadyClosed => {
                    io::ErrorKind::UnexpectedEof
                }
                _ => io::ErrorKind::Other,
            })
        })?;
    Ok(Box::new(ws))
}

async fn ws_next<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut Option<(EngineId, Ws<S>)>,
) -> (EngineId, WsResult) {
    match ws {
        Some((id, ws)) => (*id, ws.next().await),
        None => std::future::pending().await,
    }
}

/// Waits for the future in `slot`, then empties the slot.
async fn finish<T>(slot: &mut Option<(EngineId, BoxFuture<T>)>) -> (EngineId, T) {
    let out = match slot {
        Some((id, fut)) => (*id, fut.await),
        None => std::future::pending().await,
    };
    *slot = None;
    out
}
