//! One tokio task per Engine.IO session: it OWNS the core state machine and its WebSocket, and is
//! the only place that calls either.
//!
//! The task waits on its channel (HTTP requests with oneshot replies, application commands), its
//! WebSocket (read in the task itself) and one timer, armed for the core's `poll_timeout()`. After
//! every input it drains the core (transmits, then events) until both are idle, as the core's call
//! order asks. Frames the core sends wait in the session's queue and are fed to the WebSocket when
//! no input is ready (or after a batch of inputs), then flushed once: the packets of a batch leave
//! in one write. A client that does not read stops the writes, not the task: the queue is bounded
//! by `max_buffered_bytes` while the session goes on with its other inputs.
//!
//! The same loop runs two protocol stacks: [`proto::server::Connection`] (Socket.IO) and
//! [`proto::engine::server::Session`] (bare Engine.IO), behind the core's [`ServerSession`]; what
//! to do with their events and with the application's commands is the [`App`]'s. The loop is
//! generic over the [`App`], so each stack gets its own, with no dynamic call per packet.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use proto::Instant;
use proto::engine::server::{GetOutcome, PollPayload, RequestError, Transmit};
use proto::engine::{Frame, Transport};
use proto::server_session::ServerSession;
use tokio::sync::oneshot;
use tokio::time::Sleep;

use super::BoxFuture;
use super::SessionTable;
use super::inbox::{CloseOnPanic, Received, SessionMsg, SessionRx, WsStream};
use super::websocket::{Error as WsError, Message as WsMessage};

/// What a session's application layer does with the core's events and its commands.
pub(crate) trait App: Send + 'static {
    /// The core state machine the session owns.
    type Core: ServerSession + Send + 'static;
    /// The commands the application sends its sessions.
    type Cmd: Send + 'static;
    /// Runs once, before the first input (the bare Engine.IO `connection` handler).
    fn on_start(&mut self, core: &mut Self::Core, link: &Link);
    /// Handles every pending core event; returns whether there was any.
    fn drain_events(&mut self, core: &mut Self::Core, link: &Link) -> bool;
    /// The WebSocket frames `cmd` stands for, built once for many sessions, when the core lets
    /// them be written as they are: the loop writes them straight to the session's WebSocket
    /// instead of calling [`App::on_cmd`].
    fn prebuilt_frames<'c>(&self, core: &Self::Core, cmd: &'c Self::Cmd) -> Option<Prebuilt<'c>>;
    /// Handles an application command.
    fn on_cmd(&mut self, core: &mut Self::Core, link: &Link, cmd: Self::Cmd);
    /// The session is over and forgotten, however its task ended: lets go of what the
    /// application holds for it without calling a handler (it may run while unwinding).
    fn on_end(&mut self);
}

/// WebSocket frames built once for many sessions ([`App::prebuilt_frames`]).
pub(crate) struct Prebuilt<'c> {
    pub(crate) frames: &'c Bytes,
    /// Written only when nothing else is being written (the reference's `writable`).
    pub(crate) volatile: bool,
    /// The packet's `compress` flag: without it permessage-deflate leaves the frames as they are.
    pub(crate) compress: bool,
}

/// What the application layer may ask of the loop while it handles an event.
pub(crate) struct Link {
    pub(crate) now: Instant,
    /// A WebSocket transport is attached and no write to it is under way.
    ws_idle: bool,
}

impl Link {
    /// The reference's `transport.writable`: whether a packet sent now leaves at once (volatile
    /// packets are dropped otherwise).
    pub(crate) fn writable(&self, core: &impl ServerSession) -> bool {
        match core.engine().transport() {
            Transport::Polling => core.engine().has_parked_get(),
            _ => self.ws_idle,
        }
    }
}

/// Inputs a session handles in a row before it lets the other tasks of its thread run (tokio's
/// own budget per task poll is 128 operations).
const INPUT_BUDGET: u32 = 128;

/// How long a closed WebSocket waits for the peer's close frame (the `closeTimeout` of the
/// reference's `ws`); it also bounds the writes that go before the close.
pub(crate) const WS_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Inputs handled in a row before the queued frames are written, when inputs keep coming.
const WRITE_BATCH: u32 = 16;

/// The session's WebSocket, read by the session's loop, with the frames waiting to be written.
struct WsConn {
    stream: Box<WsStream>,
    /// Reading failed; the WebSocket waits for the core to close it.
    read_failed: bool,
    /// Set when the WebSocket may have something to read.
    readable: Arc<ReadWake>,
    /// The waker reads register: it sets `readable`, then wakes the task.
    read_waker: Waker,
}

/// Tells the session that its WebSocket woke it, so that it only reads then: every read attempt
/// costs (tungstenite zeroes its read buffer before each), and the task also wakes for its
/// channel, its timer and writes.
struct ReadWake {
    ready: AtomicBool,
    task: AtomicWaker,
}

impl Wake for ReadWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// What the loop waits for.
enum Input<C> {
    Msg(Received<C>),
    /// The channel closed (every sender is gone).
    Closed,
    /// A message from the WebSocket, its error, or its end.
    Ws(Option<Result<WsMessage, WsError>>),
    /// Writing to the WebSocket failed; `true` when it stalled past the write timeout.
    WsWriteFailed(bool),
    Timeout,
}

impl WsConn {
    fn new(stream: Box<WsStream>) -> WsConn {
        let readable = Arc::new(ReadWake {
            // Read once first: the upgrade may have brought bytes along.
            ready: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        WsConn {
            stream,
            read_failed: false,
            read_waker: Waker::from(readable.clone()),
            readable,
        }
    }

    /// The next message, when the WebSocket woke the task since it last had none.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<WsMessage, WsError>>> {
        if self.read_failed || !self.readable.ready.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        self.readable.task.register(cx.waker());
        let mut read_cx = Context::from_waker(&self.read_waker);
        let item = self.stream.poll_next(&mut read_cx);
        if item.is_ready() {
            // More may be buffered already.
            self.readable.ready.store(true, Ordering::Release);
        }
        item
    }

    /// Queues a frame (compressed, under permessage-deflate, only with `compress`), or refuses
    /// it (`false`) when more than `max_bytes` would then wait: the client does not read as fast
    /// as the server writes.
    fn send(&mut self, frame: Frame, compress: bool, max_bytes: u64) -> bool {
        let len = match &frame {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        };
        let waiting = self.stream.queued_bytes() + len;
        if u64::try_from(waiting).map_or(true, |n| n > max_bytes) {
            return false;
        }
        match frame {
            Frame::Text(text) => self.stream.send_text(text, compress),
            Frame::Binary(bytes) => self.stream.send_binary(bytes, compress),
        }
        true
    }

    /// Queues frames built for many receivers, or refuses them as [`WsConn::send`] does.
    fn send_framed(&mut self, frames: &bytes::Bytes, compress: bool, max_bytes: u64) -> bool {
        let waiting = self.stream.queued_bytes() + frames.len();
        if u64::try_from(waiting).map_or(true, |n| n > max_bytes) {
            return false;
        }
        self.stream.send_framed(frames, compress);
        true
    }

    /// Writes the queued frames, in as few writes as the socket takes; `Pending` while the
    /// client does not read.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.stream.poll_write(cx)
    }

    /// Whether a write is under way (queued frames the client has not taken yet).
    fn is_writing(&self) -> bool {
        !self.stream.is_idle()
    }

    /// Closes the WebSocket in a task of its own, after the frames still queued: with this
    /// status if it failed, then waits for the peer's close frame. Bounded, as the reference's
    /// `ws` bounds it, for a peer that never answers. The server's close waits until the frames
    /// queued last (an acknowledgement a graceful close let through) are written.
    fn close(self, code: Option<u16>, table: &Arc<SessionTable>) {
        let flushing = table.flushing();
        tokio::spawn(
            self.stream
                .close_then(code, WS_CLOSE_TIMEOUT, move || drop(flushing)),
        );
    }
}

/// The session task's state.
pub(crate) struct Runner<A: App> {
    core: A::Core,
    app: A,
    shared: Arc<SessionTable>,
    sid: String,
    rx: SessionRx<A::Cmd>,
    /// The core's clock, read once per input.
    now: Instant,
    /// The parked GET: its id and where its answer goes.
    parked: Option<(u64, oneshot::Sender<Result<PollPayload, RequestError>>)>,
    /// The WebSocket packets go on, once attached.
    ws: Option<WsConn>,
    /// An accepted probe whose WebSocket has not arrived yet.
    expected_ws: Option<u64>,
    /// Frames for a WebSocket accepted but not yet attached, with their `compress` flags.
    pending_frames: VecDeque<(Frame, bool)>,
    /// The close status for the WebSocket that failed, until the core asks to close it.
    ws_close_code: Option<u16>,
    /// The WebSocket queue refused a frame: more than `max_buffered_bytes` were waiting.
    overflowed: bool,
    /// The deadline the timer is armed for.
    armed: Option<tokio::time::Instant>,
    /// Inputs handled since the queued frames were last written.
    inputs_since_write: u32,
    /// Which of the channel and the WebSocket is polled first next (neither starves the other).
    ws_first: bool,
    /// A handler panicked: the connection is closing.
    panicked: bool,
    /// Inputs handled since the task last waited or yielded (see `poll_input`).
    inputs_this_turn: u32,
}

impl<A: App> Drop for Runner<A> {
    fn drop(&mut self) {
        // However the task ends: its loop finished, a step panicked twice, or the runtime
        // dropped it. Nothing here calls a handler, so it is safe while unwinding too.
        // The WebSocket's close is counted before the session leaves the table, so that the
        // server's close never sees neither.
        if let Some(ws) = self.ws.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            ws.close(self.ws_close_code.take(), &self.shared);
        }
        self.shared.remove_session(&self.sid);
        self.app.on_end();
    }
}

/// Spawns a task running application code (a handler past its first `await`, the connect
/// middlewares): a panic in it is logged and, with `close`, closes the session with that command,
/// as [`Runner::contained`] closes it for a panic on the session task.
pub(crate) fn spawn_contained(
    fut: impl Future<Output = ()> + Send + 'static,
    close: Option<impl CloseOnPanic>,
) {
    use futures_util::FutureExt;
    tokio::spawn(async move {
        if let Err(panic) = std::panic::AssertUnwindSafe(fut).catch_unwind().await {
            let what = panic_message(&*panic);
            match close {
                Some(tx) => {
                    tracing::error!("a handler panicked: {what}; the connection is closed");
                    tx.close_session();
                }
                None => tracing::error!("a handler panicked: {what}"),
            }
        }
    });
}

/// Runs a handler's future: its synchronous part right here (so handlers of one session start in
/// the order their packets came, as the reference calls them), the rest as a task. A panic in the
/// first part unwinds into the session loop, which contains it (`Runner::contained`); one in the
/// task closes the session through `tx`.
pub(crate) fn run_inline<T: CloseOnPanic + Clone>(fut: BoxFuture<'static, ()>, tx: &T) {
    let mut fut = fut;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    if fut.as_mut().poll(&mut cx).is_pending() {
        // The task polls it again at once, with a real waker.
        spawn_contained(fut, Some(tx.clone()));
    }
}

/// A panic's message, when it has one.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

impl<A: App> Runner<A> {
    pub(crate) fn new(
        core: A::Core,
        app: A,
        shared: Arc<SessionTable>,
        sid: String,
        rx: SessionRx<A::Cmd>,
        ws: Option<Box<WsStream>>,
    ) -> Self {
        let now = shared.now();
        Runner {
            core,
            app,
            shared,
            sid,
            rx,
            now,
            parked: None,
            ws: ws.map(WsConn::new),
            expected_ws: None,
            pending_frames: VecDeque::new(),
            ws_close_code: None,
            overflowed: false,
            armed: None,
            inputs_since_write: 0,
            ws_first: false,
            panicked: false,
            inputs_this_turn: 0,
        }
    }

    fn link(&self) -> Link {
        Link {
            now: self.now,
            ws_idle: self.ws.as_ref().is_some_and(|ws| !ws.is_writing()),
        }
    }

    /// The loop: drain, wait for one input or the deadline, handle it, repeat until the core is
    /// closed. The end (the session out of the table, the application's sockets let go) is
    /// [`Runner`]'s `Drop`, so that it happens however the task ends.
    ///
    /// `self` is boxed: an `async fn` keeps its by-value arguments apart from its locals
    /// (rust-lang/rust#62958), so a `Runner` by value would be held twice in every session's
    /// task, 1.4 KB more per connection.
    pub(crate) async fn run(mut self: Box<Self>) {
        let link = self.link();
        if !self.contained(|r| {
            r.app.on_start(&mut r.core, &link);
            true
        }) {
            return;
        }
        let mut timer = std::pin::pin!(tokio::time::sleep_until(self.shared.epoch));
        loop {
            if !self.contained(|r| {
                r.drain();
                true
            }) {
                break;
            }
            if self.core.is_closed() {
                break;
            }
            let deadline = self
                .core
                .poll_timeout()
                .map(|at| self.shared.epoch + Duration::from_millis(at.as_millis()));
            if deadline != self.armed {
                if let Some(at) = deadline {
                    timer.as_mut().reset(at);
                }
                self.armed = deadline;
            }
            let input = std::future::poll_fn(|cx| self.poll_input(cx, timer.as_mut())).await;
            self.now = self.shared.now();
            if !self.contained(|r| r.on_input(input)) {
                break;
            }
        }
    }

    /// Handles one input; `false` when the loop must end.
    fn on_input(&mut self, input: Input<A::Cmd>) -> bool {
        match input {
            Input::Msg(Received::Engine(msg)) => self.on_msg(msg),
            Input::Msg(Received::App(cmd)) => self.on_cmd(cmd),
            Input::Closed => return false,
            Input::Ws(item) => self.on_ws(item),
            Input::WsWriteFailed(false) => {
                // The peer is gone: as when reading ends.
                self.ws = None;
                self.core.handle_ws_close(self.now);
            }
            Input::WsWriteFailed(true) => {
                // The peer stopped reading: as past `max_buffered_bytes` (a close frame
                // would stall as well, so the connection is dropped).
                self.ws = None;
                self.core.handle_ws_error(self.now);
            }
            Input::Timeout => {
                // Armed again (for the core's next deadline) before the next wait.
                self.armed = None;
                self.core.handle_timeout(self.now);
            }
        }
        true
    }

    /// Runs one step of the loop (which calls the application's handlers), containing a panic:
    /// it is logged and the connection closed as `socket.disconnect(true)` closes it, its
    /// disconnect handlers run, and the rest of the node goes on. The reference's process dies
    /// of an uncaught exception in a handler (CVE-2024-38355 was one); a session task that
    /// unwound would instead leave its session, sockets and owed acknowledgements behind.
    /// A second panic, while closing, ends the task at once (the `Drop` guard cleans up).
    fn contained(&mut self, step: impl FnOnce(&mut Self) -> bool) -> bool {
        let panic = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step(self))) {
            Ok(go_on) => return go_on,
            Err(panic) => panic,
        };
        let what = panic_message(&*panic);
        if self.panicked {
            tracing::error!(sid = %self.sid, "a handler panicked again while the connection closed: {what}");
            return false;
        }
        self.panicked = true;
        tracing::error!(sid = %self.sid, "a handler panicked: {what}; the connection is closed");
        let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.core.close(self.now);
            self.drain();
        }));
        match closed {
            Ok(()) => true,
            Err(panic) => {
                let what = panic_message(&*panic);
                tracing::error!(sid = %self.sid, "a handler panicked again while the connection closed: {what}");
                false
            }
        }
    }

    /// The next input; the queued frames are written when none is ready, or after
    /// [`WRITE_BATCH`] inputs in a row, so that the frames of a batch leave together.
    ///
    /// After [`INPUT_BUDGET`] inputs in a row the task yields: a client that sends small packets
    /// faster than they are handled (one read of 4 KiB holds 200 of them, and they need no
    /// answer to write) would otherwise keep its worker thread for thousands of inputs while
    /// every other session on that thread waits (a p99 of 2.4 s for 1,000 clients next to five
    /// such floods, `scripts/bench-abuse.sh`). tokio's own budget counts reads, not the inputs
    /// a read holds. A counter, not tokio's `poll_proceed` per input: that cost 1.3% of G1.
    fn poll_input(&mut self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) -> Poll<Input<A::Cmd>> {
        if self.inputs_this_turn >= INPUT_BUDGET {
            self.inputs_this_turn = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let input = self.poll_input_within_budget(cx, timer);
        match input {
            Poll::Ready(_) => self.inputs_this_turn += 1,
            // The task sleeps until woken: its next turn starts afresh.
            Poll::Pending => self.inputs_this_turn = 0,
        }
        input
    }

    fn poll_input_within_budget(
        &mut self,
        cx: &mut Context<'_>,
        timer: Pin<&mut Sleep>,
    ) -> Poll<Input<A::Cmd>> {
        if self.inputs_since_write < WRITE_BATCH {
            if let Poll::Ready(input) = self.poll_inputs(cx, timer) {
                self.inputs_since_write += 1;
                return Poll::Ready(input);
            }
            // Every input is pending and will wake the task: write, then wait.
            self.inputs_since_write = 0;
            return match self.poll_write(cx) {
                Poll::Ready(Err(timed_out)) => Poll::Ready(Input::WsWriteFailed(timed_out)),
                _ => Poll::Pending,
            };
        }
        self.inputs_since_write = 0;
        if let Poll::Ready(Err(timed_out)) = self.poll_write(cx) {
            return Poll::Ready(Input::WsWriteFailed(timed_out));
        }
        self.poll_inputs(cx, timer)
    }

    /// Writes the queued frames; an error says whether the write timed out.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), bool>> {
        match &mut self.ws {
            Some(ws) => ws.poll_write(cx).map_err(|e| {
                tracing::debug!(sid = %self.sid, "websocket write failed: {e}");
                e.kind() == std::io::ErrorKind::TimedOut
            }),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_inputs(&mut self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) -> Poll<Input<A::Cmd>> {
        if self.armed.is_some() && timer.poll(cx).is_ready() {
            return Poll::Ready(Input::Timeout);
        }
        self.ws_first = !self.ws_first;
        if self.ws_first
            && let Poll::Ready(item) = self.poll_ws(cx)
        {
            return Poll::Ready(Input::Ws(item));
        }
        if let Poll::Ready(msg) = self.rx.poll_recv(cx) {
            return Poll::Ready(msg.map_or(Input::Closed, Input::Msg));
        }
        if !self.ws_first
            && let Poll::Ready(item) = self.poll_ws(cx)
        {
            return Poll::Ready(Input::Ws(item));
        }
        Poll::Pending
    }

    fn poll_ws(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<WsMessage, WsError>>> {
        match &mut self.ws {
            Some(ws) => ws.poll_read(cx),
            None => Poll::Pending,
        }
    }

    /// A message from the WebSocket, an error, or its end.
    fn on_ws(&mut self, item: Option<Result<WsMessage, WsError>>) {
        let now = self.now;
        let frame = match item {
            Some(Ok(WsMessage::Text(text))) => Frame::Text(text),
            Some(Ok(WsMessage::Binary(bytes))) => Frame::Binary(bytes),
            Some(Ok(WsMessage::Close(_))) => {
                // The close was answered; its own task sends what is queued and the answer.
                if let Some(ws) = self.ws.take() {
                    ws.close(None, &self.shared);
                }
                self.core.handle_ws_close(now);
                return;
            }
            Some(Err(e)) => {
                tracing::debug!(sid = %self.sid, "websocket: {e}");
                match e.close_code() {
                    Some(code) => {
                        if let Some(ws) = &mut self.ws {
                            ws.read_failed = true;
                        }
                        self.ws_close_code = Some(code);
                        self.core.handle_ws_error(now);
                    }
                    None => {
                        self.ws = None;
                        self.core.handle_ws_close(now);
                    }
                }
                return;
            }
            None => {
                self.ws = None;
                self.core.handle_ws_close(now);
                return;
            }
        };
        self.core.handle_ws_frame(now, frame);
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
                self.core.handle_ws_error(self.now);
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
            Transmit::PollResponse(payload) => match self.parked.take() {
                Some((_, reply)) => {
                    let _ = reply.send(Ok(payload));
                }
                None => tracing::warn!(sid = %self.sid, "a poll response with no GET parked"),
            },
            Transmit::WsSend { frame, compress } => match &mut self.ws {
                Some(ws) => {
                    if !ws.send(frame, compress, self.shared.config.max_buffered_bytes) {
                        self.overflowed = true;
                    }
                }
                None => self.pending_frames.push_back((frame, compress)),
            },
            Transmit::WsClose => {
                if let Some(ws) = self.ws.take() {
                    ws.close(self.ws_close_code.take(), &self.shared);
                }
                self.expected_ws = None;
                self.pending_frames.clear();
            }
        }
    }

    fn on_msg(&mut self, msg: SessionMsg) {
        let now = self.now;
        match msg {
            SessionMsg::PollGet { id, reply } => match self.core.handle_poll_get(now) {
                Ok(GetOutcome::Respond(payload)) => {
                    let _ = reply.send(Ok(payload));
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
                    let mut conn = WsConn::new(ws);
                    let max = self.shared.config.max_buffered_bytes;
                    for (frame, compress) in self.pending_frames.drain(..) {
                        self.overflowed |= !conn.send(frame, compress, max);
                    }
                    self.ws = Some(conn);
                } else {
                    // The session let go of this probe already (timeout, close).
                    tokio::spawn(ws.close(None, WS_CLOSE_TIMEOUT));
                }
            }
            SessionMsg::WsAttachFailed { id } => {
                if self.expected_ws == Some(id) {
                    self.expected_ws = None;
                    self.core.handle_ws_close(now);
                }
            }
            SessionMsg::CloseTransport => self.core.close_transport(now),
            SessionMsg::Close => self.core.close(now),
            SessionMsg::Shutdown => self.core.shutdown(now),
        }
    }

    fn on_cmd(&mut self, cmd: A::Cmd) {
        if let Some(ws) = &mut self.ws
            && let Some(prebuilt) = self.app.prebuilt_frames(&self.core, &cmd)
        {
            // Written as they were built for every receiver; a volatile packet only when
            // nothing else is being written, as the reference's `writable`.
            if prebuilt.volatile && ws.is_writing() {
                return;
            }
            let max = self.shared.config.max_buffered_bytes;
            if !ws.send_framed(prebuilt.frames, prebuilt.compress, max) {
                self.overflowed = true;
            }
            return;
        }
        let link = self.link();
        self.app.on_cmd(&mut self.core, &link, cmd);
    }
}
