//! One server-side connection: an Engine.IO [`Session`] with the
//! Socket.IO [`Connection`](crate::socket::server::Connection) on top, glued so that the tokio driver has
//! one state machine per connection.
//!
//! # Call order
//!
//! ```text
//! let mut conn = Connection::new(now, sid, transport, engine_config, socket_config);
//! loop {
//!     // one input: an HTTP request or WebSocket event (the engine::server::Session handlers), a
//!     // timer (handle_timeout), or a command (accept / reject / emit / ack / disconnect / close ...)
//!     // then drain until each returns None:
//!     while let Some(t) = conn.poll_transmit() { .. }   // answer the parked GET, send a frame, close the ws
//!     while let Some(e) = conn.poll_event() { .. }      // Socket.IO events, and engine upgrade/close
//!     // and arm one timer for conn.poll_timeout()
//! }
//! ```
//!
//! Messages flow between the two layers inside every call, so nothing waits for the driver.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::engine::server::{self as engine_server, GetOutcome, RequestError, Session, Transmit};
use crate::engine::{CloseReason, Frame, Message, Sid, Transport};
use crate::socket::args::Args;
use crate::socket::packet::{AckId, Nsp};
use crate::socket::server::{
    self as socket_server, AckHandle, Emit, Encoded, EngineCommand, UsageError,
};
use crate::time::Instant;

/// What a [`Connection`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A Socket.IO event: a CONNECT to answer, an EVENT, an ack's result, a socket's disconnect.
    Socket(socket_server::Event),
    /// The probe WebSocket answered `3probe` (the engine's `upgrading`).
    Upgrading,
    /// The session moved to this transport (the engine's `upgrade`).
    Upgrade(Transport),
    /// The client answered a ping.
    Heartbeat,
    /// The Engine.IO session is over; the driver drops the connection after draining.
    Close(CloseReason),
}

/// An Engine.IO session with its Socket.IO layer. See the module docs for the call order.
#[derive(Debug)]
pub struct Connection {
    engine: Session,
    client: socket_server::Connection,
    events: VecDeque<Event>,
    /// Messages on their way to the engine, kept to reuse its allocation.
    batch: Vec<Message>,
}

impl Connection {
    /// A new connection for a handshake on `transport` with the session id `sid` (random bytes from
    /// the driver, see [`Sid::from_random`]).
    pub fn new(
        now: Instant,
        sid: Sid,
        transport: Transport,
        engine: engine_server::Config,
        socket: socket_server::Config,
    ) -> Self {
        let mut conn = Connection {
            engine: Session::new(now, sid, transport, engine),
            client: socket_server::Connection::new(now, socket),
            // Room for one (see `socket::server::Connection::new`).
            events: VecDeque::with_capacity(1),
            batch: Vec::with_capacity(1),
        };
        conn.pump(now);
        conn
    }

    /// The Engine.IO session (getters: sid, transport, buffered bytes ...).
    pub fn engine(&self) -> &Session {
        &self.engine
    }

    /// The Socket.IO layer (getters: joined namespaces, socket ids, pending acks ...).
    pub fn socket(&self) -> &socket_server::Connection {
        &self.client
    }

    /// Whether the connection is over (the engine closed); drop it after draining.
    pub fn is_closed(&self) -> bool {
        self.engine.is_closed()
    }

    /// A polling GET; see [`Session::handle_poll_get`].
    pub fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError> {
        let r = self.engine.handle_poll_get(now);
        self.pump(now);
        r
    }

    /// The parked GET's client went away; see [`Session::handle_poll_get_aborted`].
    pub fn handle_poll_get_aborted(&mut self, now: Instant) {
        self.engine.handle_poll_get_aborted(now);
        self.pump(now);
    }

    /// A POST's headers arrived; see [`Session::handle_poll_post_start`].
    pub fn handle_poll_post_start(
        &mut self,
        now: Instant,
        octet_stream: bool,
    ) -> Result<(), RequestError> {
        let r = self.engine.handle_poll_post_start(now, octet_stream);
        self.pump(now);
        r
    }

    /// A POST's body arrived; see [`Session::handle_poll_post`].
    pub fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError> {
        let r = self.engine.handle_poll_post(now, body);
        self.pump(now);
        r
    }

    /// A POST's client went away; see [`Session::handle_poll_post_aborted`].
    pub fn handle_poll_post_aborted(&mut self, now: Instant) {
        self.engine.handle_poll_post_aborted(now);
        self.pump(now);
    }

    /// A WebSocket arrived for this session; see [`Session::handle_ws_upgrade`].
    pub fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
        let r = self.engine.handle_ws_upgrade(now);
        self.pump(now);
        r
    }

    /// A WebSocket frame arrived.
    pub fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        self.engine.handle_ws_frame(now, frame);
        self.pump(now);
    }

    /// The WebSocket closed.
    pub fn handle_ws_close(&mut self, now: Instant) {
        self.engine.handle_ws_close(now);
        self.pump(now);
    }

    /// The WebSocket failed; see [`Session::handle_ws_error`].
    pub fn handle_ws_error(&mut self, now: Instant) {
        self.engine.handle_ws_error(now);
        self.pump(now);
    }

    /// The timer armed for [`Connection::poll_timeout`] fired.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.engine.handle_timeout(now);
        self.client.handle_timeout(now);
        self.pump(now);
    }

    /// Admits the socket whose CONNECT surfaced as an event; see [`socket_server::Connection::accept`].
    pub fn accept(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        sid: String,
        pid: Option<String>,
    ) -> Result<(), UsageError> {
        let r = self.client.accept(now, nsp, sid, pid);
        self.pump(now);
        r
    }

    /// Refuses a CONNECT; see [`socket_server::Connection::reject`].
    pub fn reject(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        message: &str,
        data: Option<String>,
    ) -> Result<(), UsageError> {
        let r = self.client.reject(now, nsp, message, data);
        self.pump(now);
        r
    }

    /// Emits an event to the socket on `nsp`; see [`socket_server::Connection::emit`]. Its
    /// messages go to the engine with the emit's [`compress`](Emit::with_compress) flag.
    pub fn emit(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        emit: Emit,
    ) -> Result<Option<AckHandle>, UsageError> {
        let compress = emit.compress();
        let r = self.client.emit(now, nsp, emit);
        self.pump_with(now, compress);
        r
    }

    /// Answers the client's event `id`; see [`socket_server::Connection::ack`].
    pub fn ack(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        id: AckId,
        args: Args,
    ) -> Result<(), UsageError> {
        let r = self.client.ack(now, nsp, id, args);
        self.pump(now);
        r
    }

    /// Whether a packet encoded once for many receivers can go on this connection as the frames
    /// the driver built once for all of them (each of [`Encoded::messages`] as a frame: `4` and
    /// the text as a text frame, each binary message as a binary frame), written by the driver
    /// itself, now: the packet was encoded by this connection's parser, the socket on the
    /// packet's namespace is connected and the session is open on a WebSocket, which sends every
    /// packet at once and in order (nothing waits in the engine's buffer, and the driver has
    /// drained every transmit before it asks). Otherwise [`Connection::send_encoded`] queues
    /// copies (polling, an upgrade in progress).
    pub fn can_send_encoded_frames(&self, encoded: &Encoded) -> bool {
        self.batch.is_empty()
            && encoded.parser() == self.client.config().parser
            && self.client.is_connected(encoded.nsp())
            && self.engine.ready_state() == engine_server::ReadyState::Open
            && self.engine.transport() == Transport::WebSocket
            && self.engine.buffered_len() == 0
    }

    /// Sends a packet encoded once for many receivers; see [`socket_server::Connection::send_encoded`].
    /// Its messages go to the engine with its [`compress`](Encoded::with_compress) flag.
    pub fn send_encoded(&mut self, now: Instant, encoded: &Encoded) -> Result<(), UsageError> {
        let r = self.client.send_encoded(encoded);
        self.pump_with(now, encoded.compress());
        r
    }

    /// Disconnects the socket on `nsp` (`socket.disconnect()`).
    pub fn disconnect(&mut self, now: Instant, nsp: &Nsp) -> Result<(), UsageError> {
        let r = self.client.disconnect(now, nsp);
        self.pump(now);
        r
    }

    /// Disconnects every socket and closes the engine (`socket.disconnect(true)`).
    pub fn close(&mut self, now: Instant) {
        self.client.close(now);
        self.pump(now);
    }

    /// Drops the transport without Socket.IO goodbyes (`socket.conn.close()`): the client sees a
    /// transport close, reconnects, and may recover its state.
    pub fn close_transport(&mut self, now: Instant) {
        self.engine.close(now);
        self.pump(now);
    }

    /// The server is shutting down (`io.close()`).
    pub fn shutdown(&mut self, now: Instant) {
        self.client.shutdown(now);
        self.pump(now);
        // A shutting-down server does not wait for an idle polling client's next GET.
        self.engine.discard(now);
        self.pump(now);
    }

    /// What the driver must send next.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.engine.poll_transmit()
    }

    /// What happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.engine.poll_timeout(), self.client.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Moves messages between the layers until both are idle.
    fn pump(&mut self, now: Instant) {
        self.pump_with(now, true);
    }

    /// [`Connection::pump`], the Socket.IO layer's messages going to the engine with this
    /// `compress` flag. Every call pumps, so the layer's queue is empty before a command and
    /// holds only what that command queued: an emit's messages, all with the emit's flag (what
    /// the engine's own events make the layer send, a CONNECT's answer say, goes with the
    /// default on the next turn of the loop).
    fn pump_with(&mut self, now: Instant, compress: bool) {
        let mut compress = compress;
        loop {
            let mut moved = false;
            // Consecutive messages go to the engine together, so that one polling response
            // carries a packet with all its attachments.
            while let Some(cmd) = self.client.poll_engine() {
                moved = true;
                match cmd {
                    EngineCommand::Send(msg) => self.batch.push(msg),
                    EngineCommand::Close => {
                        self.engine.send_all(self.batch.drain(..), compress);
                        self.engine.close(now);
                    }
                }
            }
            if !self.batch.is_empty() {
                self.engine.send_all(self.batch.drain(..), compress);
            }
            compress = true;
            while let Some(ev) = self.engine.poll_event() {
                moved = true;
                match ev {
                    engine_server::Event::Message(msg) => {
                        self.client.handle_engine_message(now, msg)
                    }
                    engine_server::Event::Close(reason) => {
                        self.client.handle_engine_close(now, reason.clone());
                        self.drain_socket_events();
                        self.events.push_back(Event::Close(reason));
                    }
                    engine_server::Event::Heartbeat => self.events.push_back(Event::Heartbeat),
                    engine_server::Event::Upgrading => self.events.push_back(Event::Upgrading),
                    engine_server::Event::Upgrade(t) => self.events.push_back(Event::Upgrade(t)),
                    #[allow(unreachable_patterns, reason = "the engine's Event is non_exhaustive")]
                    _ => {}
                }
            }
            moved |= self.drain_socket_events();
            if !moved {
                break;
            }
        }
    }

    fn drain_socket_events(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.client.poll_event() {
            any = true;
            self.events.push_back(Event::Socket(ev));
        }
        any
    }
}

#[cfg(test)]
mod tests;
