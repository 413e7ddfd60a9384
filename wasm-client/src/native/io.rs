//! The IO task of one native driver: it owns the client's WebSocket, its long-polling requests
//! and its one timer. It performs the transmits the driver sends it, in order, and hands every
//! transport event and the timer's expiry to the driver (a [`Feed`]: the driver's `with`, which
//! pumps).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use proto::Instant;
use proto::client::EngineId;
use proto::engine::Frame;
use proto::engine::client::Transmit;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Sleep;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::TransportOptions;
use super::conn::{self, Stream};
use super::http;

/// What the IO task feeds its inputs to: the driver.
pub(crate) trait Feed {
    /// Runs one input against the client, then pumps.
    fn with(&self, f: impl FnOnce(&mut proto::client::Client, Instant));
    /// The timer fired.
    fn timeout(&self);
}

/// What the driver tells its IO task.
pub(crate) enum ToIo {
    /// Perform this.
    Transmit(EngineId, Transmit),
    /// The client's next deadline (`poll_timeout`): the one timer is armed for it.
    Deadline(Option<Instant>),
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Ws = WebSocketStream<Stream>;
type WsResult = Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>;

/// The instant the core's clock counts from.
fn epoch() -> std::time::Instant {
    static EPOCH: OnceLock<std::time::Instant> = OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Now, on the core's clock (milliseconds).
pub(crate) fn now() -> Instant {
    Instant::from_millis(u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// The core's `at` as a tokio instant.
fn deadline(at: Instant) -> tokio::time::Instant {
    tokio::time::Instant::from_std(epoch() + Duration::from_millis(at.as_millis()))
}

/// How long a POST in flight when the last handle went (the close packet, on polling) may take.
const LINGER: Duration = Duration::from_secs(2);

/// The transports of one client.
struct Io {
    options: Arc<TransportOptions>,
    ws: Option<(EngineId, Ws)>,
    ws_opening: Option<(EngineId, BoxFuture<Option<Box<Ws>>>)>,
    get: Option<(EngineId, BoxFuture<http::Outcome>)>,
    post: Option<(EngineId, BoxFuture<http::Outcome>)>,
    get_conn: Option<http::Conn>,
    post_conn: Option<http::Conn>,
    /// Frames to write on the WebSocket once the transmits at hand are performed.
    outgoing: Vec<(EngineId, Frame)>,
    /// Set when the client asked for its WebSocket to be closed after the frames above.
    close_ws: Option<EngineId>,
    timer: Pin<Box<Sleep>>,
    armed: bool,
}

/// What woke the task.
enum Input {
    Io(Option<ToIo>),
    Ws(EngineId, WsResult),
    /// The WebSocket opened (boxed: it is large), or did not.
    WsOpened(EngineId, Option<Box<Ws>>),
    Get(EngineId, http::Outcome),
    Post(EngineId, http::Outcome),
    Timer,
}

/// Runs the IO of a driver until its last handle is gone (`driver` gives it, while it lives).
pub(crate) async fn run<D: Feed>(
    driver: impl Fn() -> Option<D>,
    options: TransportOptions,
    mut rx: UnboundedReceiver<ToIo>,
) {
    let mut io = Io {
        options: Arc::new(options),
        ws: None,
        ws_opening: None,
        get: None,
        post: None,
        get_conn: None,
        post_conn: None,
        outgoing: Vec::new(),
        close_ws: None,
        timer: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
        armed: false,
    };
    loop {
        let armed = io.armed;
        let input = tokio::select! {
            // Transmits first: a frame the client wrote goes out before the next input is read.
            biased;
            msg = rx.recv() => Input::Io(msg),
            (id, msg) = ws_next(&mut io.ws) => Input::Ws(id, msg),
            (id, ws) = finish(&mut io.ws_opening) => Input::WsOpened(id, ws),
            (id, r) = finish(&mut io.get) => Input::Get(id, r),
            (id, r) = finish(&mut io.post) => Input::Post(id, r),
            () = io.timer.as_mut(), if armed => Input::Timer,
        };
        let input = match input {
            Input::Io(Some(msg)) => {
                io.perform(msg);
                while let Ok(msg) = rx.try_recv() {
                    io.perform(msg);
                }
                if let Some(engine) = io.flush_ws().await {
                    feed(&driver, |d| d.with(|c, now| c.handle_ws_close(now, engine)));
                }
                continue;
            }
            Input::Io(None) => break,
            input => input,
        };
        let alive = feed(&driver, |d| match input {
            Input::Ws(id, Some(Ok(msg))) => {
                let frame = match msg {
                    WsMessage::Text(text) => Frame::Text(text.as_str().to_owned()),
                    WsMessage::Binary(bytes) => Frame::Binary(bytes.to_vec()),
                    // tungstenite answers pings itself; a close frame is followed by the end.
                    _ => return,
                };
                d.with(|c, now| c.handle_ws_frame(now, id, frame));
            }
            Input::Ws(id, _) => {
                io.ws = None;
                d.with(|c, now| c.handle_ws_close(now, id));
            }
            Input::WsOpened(id, Some(ws)) => {
                io.ws = Some((id, *ws));
                d.with(|c, now| c.handle_ws_open(now, id));
            }
            // The core learns only that it closed, as a browser tells a page.
            Input::WsOpened(id, None) => d.with(|c, now| c.handle_ws_close(now, id)),
            Input::Get(id, (conn, result)) => {
                io.get_conn = conn;
                d.with(|c, now| c.handle_poll_response(now, id, result));
            }
            Input::Post(id, (conn, result)) => {
                io.post_conn = conn;
                d.with(|c, now| c.handle_post_response(now, id, result.map(drop)));
            }
            Input::Timer => {
                io.armed = false;
                d.timeout();
            }
            Input::Io(_) => {}
        });
        if !alive {
            break;
        }
    }
    // Every handle is gone: what the last command queued (the close) is performed above; a close
    // packet POSTed on polling gets a moment to arrive.
    while let Ok(msg) = rx.try_recv() {
        io.perform(msg);
    }
    let _ = io.flush_ws().await;
    if let Some((_, post)) = io.post.take() {
        let _ = tokio::time::timeout(LINGER, post).await;
    }
}

/// Runs `f` on the driver unless it is gone; whether it was there.
fn feed<D: Feed>(driver: &impl Fn() -> Option<D>, f: impl FnOnce(&D)) -> bool {
    match driver() {
        Some(d) => {
            f(&d);
            true
        }
        None => false,
    }
}

impl Io {
    fn perform(&mut self, msg: ToIo) {
        match msg {
            ToIo::Deadline(at) => {
                self.armed = at.is_some();
                if let Some(at) = at {
                    self.timer.as_mut().reset(deadline(at));
                }
            }
            ToIo::Transmit(id, transmit) => self.transmit(id, transmit),
        }
    }

    fn transmit(&mut self, id: EngineId, transmit: Transmit) {
        match transmit {
            Transmit::WsOpen { url } => {
                // A new session's WebSocket replaces whatever an old one left.
                self.ws = None;
                let options = Arc::clone(&self.options);
                self.ws_opening = Some((id, Box::pin(open_ws(options, url))));
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
                let options = Arc::clone(&self.options);
                self.get = Some((id, Box::pin(http::request(options, conn, url, None))));
            }
            Transmit::PollPost { url, body } => {
                let conn = self.post_conn.take();
                let options = Arc::clone(&self.options);
                self.post = Some((id, Box::pin(http::request(options, conn, url, Some(body)))));
            }
            Transmit::PollAbort => {
                // Dropping a request drops its connection: the server sees the abort.
                if self.get.as_ref().is_some_and(|(e, _)| *e == id) {
                    self.get = None;
                    self.get_conn = None;
                }
                if self.post.as_ref().is_some_and(|(e, _)| *e == id) {
                    self.post = None;
                    self.post_conn = None;
                }
            }
        }
    }

    /// Writes the queued frames in one flush, then closes the WebSocket if asked to. A failed
    /// write drops the WebSocket; its engine is returned, for the client to hear it closed.
    async fn flush_ws(&mut self) -> Option<EngineId> {
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
            Some(ws_id)
        } else {
            None
        }
    }
}

/// Opens a WebSocket to `url` (`None` if it does not open: the client only learns that it
/// closed, as in a browser).
async fn open_ws(options: Arc<TransportOptions>, url: String) -> Option<Box<Ws>> {
    let mut request = url.into_client_request().ok()?;
    for (name, value) in &options.extra_headers {
        let name = http_name(name)?;
        let value = value.parse().ok()?;
        request.headers_mut().append(name, value);
    }
    let stream = conn::connect(&options).await.ok()?;
    let (ws, _) = tokio_tungstenite::client_async(request, stream)
        .await
        .ok()?;
    Some(Box::new(ws))
}

fn http_name(name: &str) -> Option<::http::HeaderName> {
    ::http::HeaderName::from_bytes(name.as_bytes()).ok()
}

async fn ws_next(ws: &mut Option<(EngineId, Ws)>) -> (EngineId, WsResult) {
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
