//! One tokio task per Engine.IO session: it OWNS the core state machine and is the only place that
//! calls it.
//!
//! The task waits on one channel (HTTP requests with oneshot replies, WebSocket frames from the
//! reader task, application commands) and one timer, armed for the core's `poll_timeout()`. After
//! every input it drains the core (transmits, then events) until both are idle, as the core's call
//! order asks. A WebSocket is split in two helper tasks: a reader that forwards frames into the
//! channel (tagged with the id of the request that brought it, so a late frame from a WebSocket
//! the session already let go of is ignored) and a writer fed by an unbounded queue.
//!
//! The same loop runs two protocol stacks: [`proto::server::Connection`] (Socket.IO) and
//! [`proto::engine::server::Session`] (bare Engine.IO), behind [`Core`]; what to do with their
//! events is the [`App`]'s.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use proto::Instant;
use proto::engine::server::{GetOutcome, RequestError, Session, Transmit};
use proto::engine::{Frame, Transport};
use proto::server::Connection;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::engine::EngineShared;

/// The WebSocket type sessions run on.
pub(crate) type WsStream = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// The sending side of a session's channel.
pub(crate) type SessionTx = mpsc::UnboundedSender<SessionMsg>;

/// Everything a session task hears.
pub(crate) enum SessionMsg {
    /// A polling GET; the reply is its body or the error to answer.
    PollGet {
        id: u64,
        reply: oneshot::Sender<Result<String, RequestError>>,
    },
    /// The GET `id`'s client went away.
    PollGetAborted { id: u64 },
    /// A POST's headers.
    PollPostStart {
        octet_stream: bool,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// A POST's body.
    PollPost {
        body: String,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// The POST's client went away before its body was read.
    PollPostAborted,
    /// A WebSocket request for this session (the upgrade probe); `Ok` answers 101.
    WsProbe {
        id: u64,
        reply: oneshot::Sender<Result<(), RequestError>>,
    },
    /// The probe's WebSocket, once upgraded.
    WsAttach { id: u64, ws: Box<WsStream> },
    /// The probe's upgrade failed after the 101.
    WsAttachFailed { id: u64 },
    /// A frame from the WebSocket `id`, or `None` when it closed.
    WsFrame { id: u64, frame: Option<Frame> },
    /// The WebSocket `id` failed; `code` is the close status to answer with.
    WsFailed { id: u64, code: u16 },
    /// `socket.conn.close()`: drop the transport.
    CloseTransport,
    /// An application command.
    App(crate::sio_session::AppCmd),
}

/// The core calls the loop makes: implemented by the Socket.IO connection and the bare Engine.IO
/// session alike.
pub(crate) trait Core: Send + 'static {
    fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError>;
    fn handle_poll_get_aborted(&mut self, now: Instant);
    fn handle_poll_post_start(&mut self, now: Instant, octet: bool) -> Result<(), RequestError>;
    fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError>;
    fn handle_poll_post_aborted(&mut self, now: Instant);
    fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError>;
    fn handle_ws_frame(&mut self, now: Instant, frame: Frame);
    fn handle_ws_close(&mut self, now: Instant);
    fn handle_ws_error(&mut self, now: Instant);
    fn handle_timeout(&mut self, now: Instant);
    fn close_transport(&mut self, now: Instant);
    fn poll_transmit(&mut self) -> Option<Transmit>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn is_closed(&self) -> bool;
    fn engine(&self) -> &Session;
}

macro_rules! core_impl {
    ($t:ty, $close:ident, $engine:expr) => {
        impl Core for $t {
            fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError> {
                <$t>::handle_poll_get(self, now)
            }
            fn handle_poll_get_aborted(&mut self, now: Instant) {
                <$t>::handle_poll_get_aborted(self, now)
            }
            fn handle_poll_post_start(
                &mut self,
                now: Instant,
                octet: bool,
            ) -> Result<(), RequestError> {
                <$t>::handle_poll_post_start(self, now, octet)
            }
            fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError> {
                <$t>::handle_poll_post(self, now, body)
            }
            fn handle_poll_post_aborted(&mut self, now: Instant) {
                <$t>::handle_poll_post_aborted(self, now)
            }
            fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
                <$t>::handle_ws_upgrade(self, now)
            }
            fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
                <$t>::handle_ws_frame(self, now, frame)
            }
            fn handle_ws_close(&mut self, now: Instant) {
                <$t>::handle_ws_close(self, now)
            }
            fn handle_ws_error(&mut self, now: Instant) {
                <$t>::handle_ws_error(self, now)
            }
            fn handle_timeout(&mut self, now: Instant) {
                <$t>::handle_timeout(self, now)
            }
            fn close_transport(&mut self, now: Instant) {
                <$t>::$close(self, now)
            }
            fn poll_transmit(&mut self) -> Option<Transmit> {
                <$t>::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                <$t>::poll_timeout(self)
            }
            fn is_closed(&self) -> bool {
                <$t>::is_closed(self)
            }
            fn engine(&self) -> &Session {
                let f: fn(&$t) -> &Session = $engine;
                f(self)
            }
        }
    };
}
core_impl!(Connection, close_transport, |c| c.engine());
core_impl!(Session, close, |s| s);

/// What a session's application layer does with the core's events and its commands.
pub(crate) trait App: Send + 'static {
    type Core: Core;
    /// Runs once, before the first input (the bare Engine.IO `connection` handler).
    fn on_start(&mut self, core: &mut Self::Core, link: &Link);
    /// Handles every pending core event; returns whether there was any.
    fn drain_events(&mut self, core: &mut Self::Core, link: &Link) -> bool;
    /// Handles an application command.
    fn on_cmd(&mut self, core: &mut Self::Core, link: &Link, cmd: crate::sio_session::AppCmd);
    /// The session is over and forgotten.
    fn on_end(&mut self);
}

/// What the application layer may ask of the loop while it handles an event.
pub(crate) struct Link {
    pub(crate) now: Instant,
    /// A WebSocket transport is attached and its writer has nothing queued.
    ws_idle: bool,
}

impl Link {
    /// The reference's `transport.writable`: whether a packet sent now leaves at once (volatile
    /// packets are dropped otherwise).
    pub(crate) fn writable(&self, core: &impl Core) -> bool {
        match core.engine().transport() {
            Transport::Polling => core.engine().has_parked_get(),
            _ => self.ws_idle,
        }
    }
}

enum WsOut {
    Frame(WsMessage),
    /// Close, with this status if the WebSocket failed.
    Close(Option<u16>),
}

/// The close status the reference's `ws` answers a failing WebSocket with, or `None` when the
/// WebSocket just ended (an I/O error, a peer gone without a close frame): a plain close.
fn failure_code(error: &WsError) -> Option<u16> {
    match error {
        // Over maxPayload: 1009 Message Too Big.
        WsError::Capacity(_) => Some(1009),
        WsError::Utf8(_) => Some(1007),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) => Some(1002),
        _ => None,
    }
}

/// How long a closed WebSocket waits for the peer's close frame (the `closeTimeout` of the
/// reference's `ws`).
const WS_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The WebSocket the session sends on.
struct WsLink {
    id: u64,
    out: mpsc::UnboundedSender<WsOut>,
    queued: Arc<AtomicUsize>,
    /// The bytes of the frames in `queued`, bounded by `max_buffered_bytes`.
    queued_bytes: Arc<AtomicUsize>,
    /// Tells the reader to stop forwarding frames (also when dropped).
    closing: oneshot::Sender<()>,
}

impl WsLink {
    fn spawn(id: u64, ws: WsStream, session: SessionTx) -> WsLink {
        let (mut sink, mut stream) = ws.split();
        let (closing, mut closing_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut failed = None;
            let mut closed_by_session = false;
            loop {
                let msg = tokio::select! {
                    msg = stream.next() => msg,
                    // The session closes the WebSocket (or let go of it).
                    _ = &mut closing_rx => {
                        closed_by_session = true;
                        break;
                    }
                };
                let Some(msg) = msg else { break };
                let frame = match msg {
                    Ok(WsMessage::Text(text)) => Frame::Text(text.as_str().to_owned()),
                    Ok(WsMessage::Binary(bytes)) => Frame::Binary(bytes.to_vec()),
                    Ok(WsMessage::Close(_)) => break,
                    Err(e) => {
                        failed = failure_code(&e);
                        break;
                    }
                    Ok(_) => continue, // pings and pongs are tungstenite's
                };
                if session
                    .send(SessionMsg::WsFrame {
                        id,
                        frame: Some(frame),
                    })
                    .is_err()
                {
                    break;
                }
            }
            if !closed_by_session {
                let _ = session.send(match failed {
                    Some(code) => SessionMsg::WsFailed { id, code },
                    None => SessionMsg::WsFrame { id, frame: None },
                });
            }
            // Until the peer's close frame: answering it is tungstenite's, and the bytes the peer
            // sent after ours must be read, or dropping the connection with them unread resets it
            // and the peer never sees our close. Bounded, as the reference's `ws` bounds it, for a
            // peer that never answers; stopped by an error, after which the bytes are not frames.
            let _ = tokio::time::timeout(WS_CLOSE_TIMEOUT, async {
                while let Some(Ok(_)) = stream.next().await {}
            })
            .await;
        });
        let (out, mut rx) = mpsc::unbounded_channel::<WsOut>();
        let queued = Arc::new(AtomicUsize::new(0));
        let counter = queued.clone();
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let byte_counter = queued_bytes.clone();
        tokio::spawn(async move {
            'outer: while let Some(first) = rx.recv().await {
                let mut next = Some(first);
                let mut sent = 0usize;
                let mut sent_bytes = 0usize;
                // Feed what is queued, then flush once.
                while let Some(item) = next.take() {
                    match item {
                        WsOut::Frame(msg) => {
                            sent += 1;
                            sent_bytes += msg.len();
                            if sink.feed(msg).await.is_err() {
                                break 'outer;
                            }
                        }
                        WsOut::Close(code) => {
                            if let Some(code) = code {
                                let frame = CloseFrame {
                                    code: code.into(),
                                    reason: "".into(),
                                };
                                let _ = sink.send(WsMessage::Close(Some(frame))).await;
                            }
                            let _ = sink.close().await;
                            break 'outer;
                        }
                    }
                    next = rx.try_recv().ok();
                }
                if sink.flush().await.is_err() {
                    break;
                }
                counter.fetch_sub(sent, Ordering::Relaxed);
                byte_counter.fetch_sub(sent_bytes, Ordering::Relaxed);
            }
            counter.store(0, Ordering::Relaxed);
            byte_counter.store(0, Ordering::Relaxed);
        });
        WsLink {
            id,
            out,
            queued,
            queued_bytes,
            closing,
        }
    }

    /// Queues a frame for the writer, or refuses it (`false`) when more than `max_bytes` would
    /// then wait: the client does not read as fast as the server writes.
    fn send(&self, frame: Frame, max_bytes: u64) -> bool {
        let msg = match frame {
            Frame::Text(text) => WsMessage::Text(text.into()),
            Frame::Binary(bytes) => WsMessage::Binary(bytes.into()),
        };
        let waiting = self.queued_bytes.load(Ordering::Relaxed) + msg.len();
        if u64::try_from(waiting).map_or(true, |n| n > max_bytes) {
            return false;
        }
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queued_bytes.fetch_add(msg.len(), Ordering::Relaxed);
        let _ = self.out.send(WsOut::Frame(msg));
        true
    }

    fn close(self, code: Option<u16>) {
        let _ = self.out.send(WsOut::Close(code));
        // The writer sends the close; the reader's frames are no longer wanted.
        let _ = self.closing.send(());
    }
}

/// The session task's state.
pub(crate) struct Runner<A: App> {
    core: A::Core,
    app: A,
    shared: Arc<EngineShared>,
    sid: String,
    tx: SessionTx,
    rx: mpsc::UnboundedReceiver<SessionMsg>,
    /// The parked GET: its id and where its answer goes.
    parked: Option<(u64, oneshot::Sender<Result<String, RequestError>>)>,
    /// The WebSocket packets go on, once attached.
    ws: Option<WsLink>,
    /// An accepted probe whose WebSocket has not arrived yet.
    expected_ws: Option<u64>,
    /// Frames for a WebSocket accepted but not yet attached.
    pending_frames: VecDeque<Frame>,
    /// The close status for the WebSocket that failed, until the core asks to close it.
    ws_close_code: Option<u16>,
    /// The WebSocket writer refused a frame: more than `max_buffered_bytes` were waiting.
    overflowed: bool,
}

impl<A: App> Runner<A> {
    pub(crate) fn new(
        core: A::Core,
        app: A,
        shared: Arc<EngineShared>,
        sid: String,
        tx: SessionTx,
        rx: mpsc::UnboundedReceiver<SessionMsg>,
        ws: Option<WsStream>,
    ) -> Self {
        let mut runner = Runner {
            core,
            app,
            shared,
            sid,
            tx,
            rx,
            parked: None,
            ws: None,
            expected_ws: None,
            pending_frames: VecDeque::new(),
            ws_close_code: None,
            overflowed: false,
        };
        if let Some(ws) = ws {
            runner.ws = Some(WsLink::spawn(0, ws, runner.tx.clone()));
        }
        runner
    }

    fn now(&self) -> Instant {
        self.shared.now()
    }

    fn link(&self) -> Link {
        Link {
            now: self.now(),
            ws_idle: self
                .ws
                .as_ref()
                .is_some_and(|ws| ws.queued.load(Ordering::Relaxed) == 0),
        }
    }

    /// The loop: drain, wait for one input or the deadline, handle it, repeat until the core is
    /// closed.
    pub(crate) async fn run(mut self) {
        let link = self.link();
        self.app.on_start(&mut self.core, &link);
        loop {
            self.drain();
            if self.core.is_closed() {
                break;
            }
            let deadline = self
                .core
                .poll_timeout()
                .map(|at| self.shared.epoch + Duration::from_millis(at.as_millis()));
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(msg) => self.on_msg(msg),
                    None => break,
                },
                () = sleep => {
                    let now = self.now();
                    self.core.handle_timeout(now);
                }
            }
        }
        self.shared.remove_session(&self.sid);
        if let Some(ws) = self.ws.take() {
            ws.close(self.ws_close_code.take());
        }
        self.app.on_end();
    }

    fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.core.poll_transmit() {
                progressed = true;
                self.on_transmit(t);
            }
            if std::mem::take(&mut self.overflowed) {
                tracing::debug!(sid = %self.sid, "client too slow: over max_buffered_bytes");
                let now = self.now();
                self.core.handle_ws_error(now);
            }
            let link = self.link();
            progressed |= self.app.drain_events(&mut self.core, &link);
            if !progressed {
                break;
            }
        }
    }

    fn on_transmit(&mut self, t: Transmit) {
        match t {
            Transmit::PollResponse(body) => match self.parked.take() {
                Some((_, reply)) => {
                    let _ = reply.send(Ok(body));
                }
                None => tracing::warn!(sid = %self.sid, "a poll response with no GET parked"),
            },
            Transmit::WsSend(frame) => match &self.ws {
                Some(ws) => {
                    if !ws.send(frame, self.shared.config.engine.max_buffered_bytes) {
                        self.overflowed = true;
                    }
                }
                None => self.pending_frames.push_back(frame),
            },
            Transmit::WsClose => {
                if let Some(ws) = self.ws.take() {
                    ws.close(self.ws_close_code.take());
                }
                self.expected_ws = None;
                self.pending_frames.clear();
            }
        }
    }

    fn on_msg(&mut self, msg: SessionMsg) {
        let now = self.now();
        match msg {
            SessionMsg::PollGet { id, reply } => match self.core.handle_poll_get(now) {
                Ok(GetOutcome::Respond(body)) => {
                    let _ = reply.send(Ok(body));
                }
                Ok(GetOutcome::Wait) => self.parked = Some((id, reply)),
                Err(e) => {
                    // A second GET: the core answered the first with `1` (drained next).
                    let _ = reply.send(Err(e));
                }
            },
            SessionMsg::PollGetAborted { id } => {
                if self
                    .parked
                    .as_ref()
                    .is_some_and(|(parked, _)| *parked == id)
                {
                    self.parked = None;
                    self.core.handle_poll_get_aborted(now);
                }
            }
            SessionMsg::PollPostStart {
                octet_stream,
                reply,
            } => {
                let _ = reply.send(self.core.handle_poll_post_start(now, octet_stream));
            }
            SessionMsg::PollPost { body, reply } => {
                let _ = reply.send(self.core.handle_poll_post(now, &body));
            }
            SessionMsg::PollPostAborted => self.core.handle_poll_post_aborted(now),
            SessionMsg::WsProbe { id, reply } => {
                let result = self.core.handle_ws_upgrade(now);
                if result.is_ok() {
                    self.expected_ws = Some(id);
                    self.pending_frames.clear();
                }
                let _ = reply.send(result);
            }
            SessionMsg::WsAttach { id, ws } => {
                if self.expected_ws == Some(id) && self.ws.is_none() {
                    self.expected_ws = None;
                    let link = WsLink::spawn(id, *ws, self.tx.clone());
                    let max = self.shared.config.engine.max_buffered_bytes;
                    for frame in self.pending_frames.drain(..) {
                        self.overflowed |= !link.send(frame, max);
                    }
                    self.ws = Some(link);
                } else {
                    // The session let go of this probe already (timeout, close).
                    // Unboxed: with `futures-sink/alloc` on (tokio-util turns it on, through the
                    // redis crate), `Box<WsStream>` is a Sink and `SinkExt::close` would be picked.
                    let mut ws = *ws;
                    tokio::spawn(async move {
                        let _ = ws.close(None).await;
                    });
                }
            }
            SessionMsg::WsAttachFailed { id } => {
                if self.expected_ws == Some(id) {
                    self.expected_ws = None;
                    self.core.handle_ws_close(now);
                }
            }
            SessionMsg::WsFrame { id, frame } => {
                if self.ws.as_ref().is_some_and(|ws| ws.id == id) {
                    match frame {
                        Some(frame) => self.core.handle_ws_frame(now, frame),
                        None => {
                            self.ws = None;
                            self.core.handle_ws_close(now);
                        }
                    }
                }
            }
            SessionMsg::WsFailed { id, code } => {
                if self.ws.as_ref().is_some_and(|ws| ws.id == id) {
                    self.ws_close_code = Some(code);
                    self.core.handle_ws_error(now);
                }
            }
            SessionMsg::CloseTransport => self.core.close_transport(now),
            SessionMsg::App(cmd) => {
                let link = self.link();
                self.app.on_cmd(&mut self.core, &link, cmd);
            }
        }
    }
}
