//! The tokio driver of one core [`Client`]: it owns the client's WebSocket, its long-polling
//! requests and its one timer, and pumps the client as every driver does: after each input, drain
//! `poll_transmit` (and perform) and `poll_event` (and hand over) until both are empty, then arm
//! the timer for `poll_timeout`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::OnceLock;

use futures_util::{SinkExt, StreamExt};
use proto::Instant;
use proto::client::{Client, Config, EngineId, Event};
use proto::engine::Frame;
use proto::engine::client::Transmit;
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::http;
use crate::stats::OpenErrors;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;
type Ws = WebSocketStream<crate::wire::Counted<TcpStream>>;
/// An opened WebSocket (boxed: it is large), or why it did not open and when its TCP connection
/// was started (Unix ms).
type WsOpened = Result<Box<Ws>, (std::io::ErrorKind, u64)>;

/// The instant the core's clock counts from.
fn epoch() -> std::time::Instant {
    static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Time since the clock's epoch.
pub(crate) fn since_epoch() -> std::time::Duration {
    epoch().elapsed()
}

/// Now, on the core's clock (milliseconds).
pub(crate) fn now() -> Instant {
    Instant::from_millis(u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// The core's `at` as a tokio instant.
fn deadline(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(epoch() + std::time::Duration::from_millis(at.as_millis()))
}

/// tungstenite's defaults reserve 128 KiB per connection for reading; Engine.IO frames here are
/// small, and ten thousand clients share one process.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// One client and its transports.
pub(crate) struct Driver {
    /// The protocol state machine.
    pub(crate) client: Client,
    addr: SocketAddr,
    ws: Option<(EngineId, Ws)>,
    ws_opening: Option<(EngineId, BoxFuture<WsOpened>)>,
    get: Option<(EngineId, BoxFuture<http::Outcome>)>,
    post: Option<(EngineId, BoxFuture<http::Outcome>)>,
    get_conn: Option<http::Conn>,
    post_conn: Option<http::Conn>,
    /// Frames to write on the WebSocket at the end of the pump.
    outgoing: Vec<(EngineId, Frame)>,
    /// Set when the core asked for its WebSocket to be closed after the frames above.
    close_ws: Option<EngineId>,
    timer: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    /// WebSockets that failed to open, by cause (the core only learns that they closed).
    pub(crate) open_errors: OpenErrors,
}

impl Driver {
    /// A client for `config`, connecting at once to `addr` (the config's host, resolved).
    pub(crate) fn new(config: Config, addr: SocketAddr, seed: u64) -> Self {
        Driver {
            client: Client::new(now(), config, seed),
            addr,
            ws: None,
            ws_opening: None,
            get: None,
            post: None,
            get_conn: None,
            post_conn: None,
            outgoing: Vec::new(),
            close_ws: None,
            timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            armed: None,
            open_errors: OpenErrors::default(),
        }
    }

    /// Nothing in flight: no WebSocket, no request, no timer. A closed client is done.
    pub(crate) fn is_idle(&self) -> bool {
        self.ws.is_none()
            && self.ws_opening.is_none()
            && self.get.is_none()
            && self.post.is_none()
            && self.client.poll_timeout().is_none()
    }

    /// Performs what the client asks for and collects its events into `events`, until the client
    /// has nothing more to say; then re-arms the timer.
    pub(crate) async fn pump(&mut self, events: &mut Vec<Event>) {
        loop {
            let mut transmitted = false;
            while let Some((id, t)) = self.client.poll_transmit() {
                transmitted = true;
                self.transmit(id, t);
            }
            while let Some(e) = self.client.poll_event() {
                events.push(e);
            }
            if !self.outgoing.is_empty() || self.close_ws.is_some() {
                self.flush_ws().await;
                // A failed write was reported to the client: pump what it answers.
                continue;
            }
            if !transmitted {
                break;
            }
        }
        let at = self.client.poll_timeout();
        if at != self.armed {
            self.armed = at;
            if let Some(at) = at {
                self.timer.as_mut().reset(deadline(at));
            }
        }
    }

    /// Waits for the next transport event or the timer and hands it to the client (call
    /// [`Driver::pump`] next).
    pub(crate) async fn wait(&mut self) {
        enum Input {
            Ws(
                EngineId,
                Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
            ),
            WsOpened(EngineId, WsOpened),
            Get(EngineId, http::Outcome),
            Post(EngineId, http::Outcome),
            Timer,
        }
        let armed = self.armed.is_some();
        let input = tokio::select! {
            (id, msg) = ws_next(&mut self.ws) => Input::Ws(id, msg),
            (id, r) = finish(&mut self.ws_opening) => Input::WsOpened(id, r),
            (id, r) = finish(&mut self.get) => Input::Get(id, r),
            (id, r) = finish(&mut self.post) => Input::Post(id, r),
            () = self.timer.as_mut(), if armed => Input::Timer,
        };
        let now = now();
        match input {
            Input::Ws(id, Some(Ok(msg))) => {
                let frame = match msg {
                    WsMessage::Text(text) => Frame::Text(text.as_str().to_owned()),
                    WsMessage::Binary(bytes) => Frame::Binary(bytes.to_vec()),
                    // tungstenite answers pings itself; a close frame is followed by the end.
                    _ => return,
                };
                self.client.handle_ws_frame(now, id, frame);
            }
            Input::Ws(id, _) => {
                self.ws = None;
                self.client.handle_ws_close(now, id);
            }
            Input::WsOpened(id, Ok(ws)) => {
                self.ws = Some((id, *ws));
                self.client.handle_ws_open(now, id);
            }
            Input::WsOpened(id, Err((kind, at))) => {
                self.open_errors.count(kind, at);
                self.client.handle_ws_close(now, id);
            }
            Input::Get(id, (conn, result)) => {
                self.get_conn = conn;
                self.client.handle_poll_response(now, id, result);
            }
            Input::Post(id, (conn, result)) => {
                self.post_conn = conn;
                self.client.handle_post_response(now, id, result.map(drop));
            }
            Input::Timer => {
                self.armed = None;
                self.client.handle_timeout(now);
            }
        }
    }

    fn transmit(&mut self, id: EngineId, transmit: Transmit) {
        match transmit {
            Transmit::WsOpen { url } => {
                // A new session's WebSocket replaces whatever an old one left.
                self.ws = None;
                let addr = self.addr;
                self.ws_opening = Some((id, Box::pin(open_ws(addr, url))));
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
                self.get = Some((id, Box::pin(http::request(self.addr, conn, url, None))));
            }
            Transmit::PollPost { url, body } => {
                let conn = self.post_conn.take();
                self.post = Some((
                    id,
                    Box::pin(http::request(self.addr, conn, url, Some(body))),
                ));
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

    /// Writes the queued frames in one flush, then closes the WebSocket if asked to. A failure
    /// closes the WebSocket and is reported to the client.
    async fn flush_ws(&mut self) {
        let frames = std::mem::take(&mut self.outgoing);
        let close = self.close_ws.take();
        let Some((ws_id, ws)) = &mut self.ws else {
            return;
        };
        let ws_id = *ws_id;
        let mut failed = false;
        let mut any = false;
        for (id, frame) in frames {
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
        } else if failed {
            self.ws = None;
            self.client.handle_ws_close(now(), ws_id);
        }
    }
}

async fn open_ws(addr: SocketAddr, url: String) -> WsOpened {
    use tokio_tungstenite::tungstenite::Error as E;
    // Taken in the same poll as the `connect` call: when the SYN went out, not when this
    // (possibly busy) task got round to its answer.
    let started = crate::stats::unix_ms();
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| (e.kind(), started))?;
    let _ = stream.set_nodelay(true);
    let stream = crate::wire::Counted(stream);
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
        .await
        .map_err(|e| match e {
            E::Io(e) => e.kind(),
            // The server closed the connection before answering the upgrade.
            E::Protocol(_) | E::ConnectionClosed | E::AlreadyClosed => {
                std::io::ErrorKind::UnexpectedEof
            }
            _ => std::io::ErrorKind::Other,
        })
        .map_err(|kind| (kind, started))?;
    Ok(Box::new(ws))
}

async fn ws_next(
    ws: &mut Option<(EngineId, Ws)>,
) -> (
    EngineId,
    Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
) {
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
