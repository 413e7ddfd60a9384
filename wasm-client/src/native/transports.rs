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

use proto::Instant;
use proto::client::{Client, EngineId};
use proto::engine::Frame;
use proto::engine::client::{Transmit, TransportError};
use sockeye_websocket::handshake::{self, ClientRequest, HandshakeError};
use sockeye_websocket::{Message as WsMessage, WebSocket};
use tokio::io::{AsyncRead, AsyncWrite};

use super::http;

pub use super::conn::{BoxFuture, Connect};
pub use sockeye_websocket::handshake::DeflateOffer;

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

type Ws<S> = WebSocket<S>;
/// A WebSocket being opened.
type Opening<S> = BoxFuture<Result<Ws<S>, WsOpenError>>;
type WsResult = Option<Result<WsMessage, sockeye_websocket::Error>>;

/// The longest message the WebSocket takes, as a polling response's body: far more than a
/// server sends (engine.io's `maxHttpBufferSize` bounds what it receives, at 1 MB by default).
const MAX_MESSAGE: usize = 64 << 20;

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
    /// permessage-deflate to offer in WebSocket handshakes.
    deflate: Option<DeflateOffer>,
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
            deflate: None,
        }
    }

    /// Offers permessage-deflate (RFC 7692) in every WebSocket handshake: messages from the
    /// offer's threshold up then leave compressed when the server agrees, and compressed ones
    /// are inflated up to 64 MiB. Without it (the default here) nothing is offered.
    #[must_use]
    pub fn per_message_deflate(mut self, offer: Option<DeflateOffer>) -> Self {
        self.deflate = offer;
        self
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
                let opening = open_ws(connector, headers, url, self.deflate);
                self.ws_opening = Some((id, Box::pin(opening)));
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

    /// Whether [`Transports::flush`] has anything to do: frames or a close to send, or the
    /// WebSocket's own answers (a pong, a close frame) to write.
    pub fn has_outgoing(&self) -> bool {
        !self.outgoing.is_empty()
            || self.close_ws.is_some()
            || self.ws.as_ref().is_some_and(|(_, ws)| !ws.is_idle())
    }

    /// Writes the queued frames in one flush, then closes the WebSocket if asked to. A failed
    /// write drops the WebSocket: the input returned tells the client.
    pub async fn flush(&mut self) -> Option<Input> {
        let frames = std::mem::take(&mut self.outgoing);
        let close = self.close_ws.take();
        let (ws_id, ws) = self.ws.as_mut()?;
        let ws_id = *ws_id;
        for (id, frame) in frames {
            // Frames for an engine whose WebSocket is gone go nowhere, as in a browser.
            if id != ws_id {
                continue;
            }
            match frame {
                Frame::Text(text) => ws.send_text(text, true),
                Frame::Binary(bytes) => ws.send_binary(bytes, true),
            }
        }
        if close == Some(ws_id) {
            // The close frame goes out; the server's answer is not waited for.
            ws.queue_close(None);
        }
        let failed = std::future::poll_fn(|cx| ws.poll_write(cx)).await.is_err();
        if close == Some(ws_id) {
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
                Some(Ok(WsMessage::Text(text))) => Input::WsFrame(id, Some(Frame::Text(text))),
                Some(Ok(WsMessage::Binary(bytes))) => Input::WsFrame(id, Some(Frame::Binary(bytes))),
                // Answered by the WebSocket (at the next flush); the end follows.
                Some(Ok(WsMessage::Close(_))) => Input::WsFrame(id, None),
                _ => {
                    self.ws = None;
                    Input::WsClosed(id)
                }
            },
            (id, opened) = finish(&mut self.ws_opening) => match opened {
                Ok(ws) => {
                    self.ws = Some((id, ws));
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

/// Opens a WebSocket to `url`, offering `deflate`.
async fn open_ws<C: Connect>(
    connector: Arc<C>,
    headers: Arc<http::Headers>,
    url: String,
    deflate: Option<DeflateOffer>,
) -> Result<Ws<C::Stream>, WsOpenError> {
    // Taken in the same poll as the `connect` call: when the SYN went out, not when this
    // (possibly busy) task got round to its answer.
    let started = SystemTime::now();
    let fail = |kind| WsOpenError { kind, started };
    let uri: ::http::Uri = url.parse().map_err(|_| fail(io::ErrorKind::InvalidInput))?;
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let stream = connector.connect().await.map_err(|e| fail(e.kind()))?;
    let request = ClientRequest {
        path_and_query,
        host: &headers.authority,
        headers: &headers.extra,
        deflate,
        max_message: MAX_MESSAGE,
    };
    handshake::client(stream, &request).await.map_err(|e| {
        fail(match e {
            HandshakeError::InvalidHeader => io::ErrorKind::InvalidInput,
            HandshakeError::Io(e) => e.kind(),
            // The server closed the connection before answering the upgrade.
            HandshakeError::Closed => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::Other,
        })
    })
}

async fn ws_next<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut Option<(EngineId, Ws<S>)>,
) -> (EngineId, WsResult) {
    match ws {
        Some((id, ws)) => (*id, std::future::poll_fn(|cx| ws.poll_next(cx)).await),
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
