//! The whole client: the Socket.IO [`Manager`] with the Engine.IO [`Session`]s it asks for, glued so
//! that every driver (the browser, the load generator, the test simulator) runs one state machine.
//!
//! # Call order
//!
//! ```text
//! let mut client = Client::new(now, Config::new(url), seed);
//! let s = client.socket(now, Nsp::root(), Auth::NONE);
//! loop {
//!     // one input: a transport event of engine `id` (handle_ws_open / handle_ws_frame /
//!     // handle_ws_close / handle_poll_response / handle_post_response), a timer (handle_timeout),
//!     // or a command (emit / ack / connect / disconnect / open / close ...)
//!     // then drain until each returns None:
//!     while let Some((id, t)) = client.poll_transmit() { .. }  // open a ws, send a frame, GET, POST ...
//!     while let Some(e) = client.poll_event() { .. }           // manager, socket and engine events
//!     // and arm one timer for client.poll_timeout()
//! }
//! ```
//!
//! Every Engine.IO session the manager opens gets a fresh [`EngineId`]. Transmits carry it, and the
//! driver passes it back with each transport event, so a late answer to an old session's request
//! (a POST that completes after a reconnection, say) cannot reach the new one.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::engine::client::{self as engine_client, Session, Transmit, TransportError};
use crate::engine::{CloseReason, Frame, Message};
use crate::fifo::Fifo;
use crate::rng::Rng;
use crate::socket::args::Args;
use crate::socket::client::{
    self as socket_client, AckHandle, Auth, Emit, EmitError, EngineCommand, Manager, SocketId,
};
use crate::socket::packet::{AckId, Nsp};
use crate::time::{Instant, earliest};

/// The client's options: the engine's (URL, transports, upgrade) and the manager's (reconnection,
/// timeouts, retries). Defaults equal socket.io-client 4.8's.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// How each Engine.IO session connects.
    pub engine: engine_client::Config,
    /// Reconnection, timeouts, acks.
    pub manager: socket_client::Config,
}

impl Config {
    /// The reference's defaults for a server URL.
    pub fn new(url: crate::url::EngineUrl) -> Self {
        Config {
            engine: engine_client::Config::new(url),
            manager: socket_client::Config::default(),
        }
    }
}

/// Which Engine.IO session a transmit belongs to; hand it back with that session's transport events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EngineId(u32);

impl fmt::Display for EngineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "engine#{}", self.0)
    }
}

/// What closed the engine when this end did not: the reference's `description`, the second
/// argument of the manager's `close` and of the socket's `disconnect` events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseDescription {
    /// The WebSocket closed (the reference: `{ description: "websocket connection closed" }`).
    WebSocketClosed,
    /// The server ended the long-polling session with a close packet (`"transport closed by the
    /// server"`).
    ClosedByServer,
    /// The browser went offline ([`Client::handle_offline`]; `"network connection lost"`).
    NetworkLost,
    /// The transport failed (the reference's `TransportError`).
    TransportError(TransportError),
}

impl CloseDescription {
    /// The reference's `description` text (for a transport error, the error's text).
    pub fn text(&self) -> alloc::borrow::Cow<'static, str> {
        use crate::text::ErrorText;
        alloc::borrow::Cow::Borrowed(match self {
            CloseDescription::WebSocketClosed => "websocket connection closed",
            CloseDescription::ClosedByServer => "transport closed by the server",
            CloseDescription::NetworkLost => "network connection lost",
            CloseDescription::TransportError(e) => return e.text().into(),
        })
    }
}

/// What the client reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The manager's and the sockets' events (open, connect, event, ack, disconnect, reconnect ...).
    Manager(socket_client::Event),
    /// What closed the engine, just before the manager's `Close` and the sockets' `Disconnect`
    /// events it explains; none when this end closed it, on a ping timeout or a parse error (the
    /// reference gives no description then either, or only its parser's error).
    CloseDescription(CloseDescription),
    /// The server pinged (the manager's `ping`).
    Ping,
    /// The upgrade probe succeeded and the session is switching (the engine's `upgrading`).
    Upgrading,
    /// The session now runs on this transport (the engine's `upgrade`).
    Upgrade(crate::engine::Transport),
    /// The upgrade probe failed; the session stays on long-polling (the engine's `upgradeError`).
    UpgradeError(engine_client::ProbeError),
    /// A transport failure's detail, just before the session closes (the engine's `error`).
    TransportError(TransportError),
    /// A packet arrived on the engine's transport (the engine's `packet`); only after
    /// [`Client::set_packet_events`].
    Packet(crate::engine::Packet),
    /// The manager wants a new engine, after the events that led to it (`reconnect_attempt`);
    /// only with [`Client::set_deferred_open`]. The driver calls [`Client::open_engine`], with
    /// the configuration read now ([`Client::set_engine_config`]).
    EngineOpening,
}

/// The client. See the module docs for the call order.
#[derive(Debug)]
pub struct Client {
    manager: Manager,
    engine_config: engine_client::Config,
    engine: Option<(EngineId, Session)>,
    /// Sessions the manager closed that still owe the server their goodbye (on long-polling the `1`
    /// waits for the POST in flight): they keep receiving their transport events until `Closed`, and
    /// the manager hears nothing more of them.
    closing: Vec<(EngineId, Session)>,
    next_engine: u32,
    /// Transmits of sessions already dropped (their aborts), sent before anything of the next
    /// session's.
    leftovers: Fifo<(EngineId, Transmit)>,
    events: Fifo<Event>,
    rng: Rng,
    packet_events: bool,
    /// Messages on their way to the engine, kept to reuse its allocation.
    batch: Vec<Message>,
    /// [`Client::handle_offline`] is closing the engine.
    offline: bool,
    /// [`Client::set_deferred_open`].
    defer_open: bool,
    /// The manager asked for an engine that [`Client::open_engine`] has not opened yet; whether
    /// [`Event::EngineOpening`] was reported.
    open_pending: Option<bool>,
}

impl Client {
    /// A client for `config`; with `auto_connect` (the default) it starts connecting at once.
    /// `seed` drives reconnection jitter and cache-busting tokens.
    pub fn new(now: Instant, config: Config, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let manager = Manager::new(now, config.manager, rng.next_u64());
        let mut client = Client {
            manager,
            engine_config: config.engine,
            engine: None,
            closing: Vec::new(),
            next_engine: 0,
            leftovers: Fifo::default(),
            events: Fifo::default(),
            rng,
            packet_events: false,
            batch: Vec::new(),
            offline: false,
            defer_open: false,
            open_pending: None,
        };
        client.pump(now);
        client
    }

    /// The manager: socket states, ids, recovery bookkeeping, reconnection state.
    pub fn manager(&self) -> &Manager {
        &self.manager
    }

    /// The current Engine.IO session, if any (transport, sid, handshake ...).
    pub fn engine(&self) -> Option<(EngineId, &Session)> {
        self.engine.as_ref().map(|(id, s)| (*id, s))
    }

    /// A socket for `nsp` on this client (`io.socket(nsp)`); it connects at once with `auto_connect`.
    pub fn socket(&mut self, now: Instant, nsp: Nsp, auth: Auth) -> SocketId {
        let id = self.manager.socket(now, nsp, auth);
        self.pump(now);
        id
    }

    /// A socket with per-socket options (auth, retries, ack timeout).
    pub fn socket_with(
        &mut self,
        now: Instant,
        nsp: Nsp,
        options: socket_client::SocketOptions,
    ) -> SocketId {
        let id = self.manager.socket_with(now, nsp, options);
        self.pump(now);
        id
    }

    /// Reports every packet the engine receives as [`Event::Packet`], on this session and the
    /// next ones (off by default: it copies every message).
    pub fn set_packet_events(&mut self, on: bool) {
        self.packet_events = on;
        if let Some((_, engine)) = &mut self.engine {
            engine.set_packet_events(on);
        }
    }

    /// Defers each engine the manager asks for until [`Client::open_engine`]: the client reports
    /// [`Event::EngineOpening`] after the events that led to it, so that the application can
    /// change the options the next engine reads (the reference's `io.opts`, read on each open)
    /// before it opens. Off by default. Set it before the first open (`auto_connect` off, or
    /// it takes effect from the next engine on).
    pub fn set_deferred_open(&mut self, on: bool) {
        self.defer_open = on;
    }

    /// How the engines opened from now on connect (URL, transports, upgrade ...); the
    /// WebSocket success the client remembers is kept.
    pub fn set_engine_config(&mut self, config: engine_client::Config) {
        let prior = self.engine_config.prior_websocket_success;
        self.engine_config = config;
        self.engine_config.prior_websocket_success = prior;
    }

    /// How the next engine connects.
    pub fn engine_config(&self) -> &engine_client::Config {
        &self.engine_config
    }

    /// Opens the engine that [`Event::EngineOpening`] announced (nothing when none waits).
    pub fn open_engine(&mut self, now: Instant) {
        if self.open_pending.take().is_some() {
            self.start_engine(now);
            self.pump(now);
        }
    }

    /// Closes the current engine as the reference's `engine.close()` does: the manager hears a
    /// `forced close`, and reconnects if it would after any lost transport.
    pub fn close_engine(&mut self, now: Instant) {
        if let Some((_, engine)) = &mut self.engine {
            engine.close(now);
            self.pump(now);
        }
    }

    /// Drops what the socket's offline send buffer holds (`socket.sendBuffer = []`).
    pub fn clear_send_buffer(&mut self, socket: SocketId) {
        self.manager.clear_send_buffer(socket);
    }

    /// Drops the events received before the socket's CONNECT completed.
    pub fn clear_receive_buffer(&mut self, socket: SocketId) {
        self.manager.clear_receive_buffer(socket);
    }

    /// Reports every Socket.IO packet the manager decodes (the manager's `packet` event); see
    /// [`Manager::set_packet_events`].
    pub fn set_socket_packet_events(&mut self, on: bool) {
        self.manager.set_packet_events(on);
    }

    /// `io.reconnection(on)`; see [`Manager::set_reconnection`].
    pub fn set_reconnection(&mut self, on: bool) {
        self.manager.set_reconnection(on);
    }

    /// `io.reconnectionAttempts(n)`; `None` is unlimited.
    pub fn set_reconnection_attempts(&mut self, attempts: Option<u32>) {
        self.manager.set_reconnection_attempts(attempts);
    }

    /// `io.reconnectionDelay(ms)`.
    pub fn set_reconnection_delay(&mut self, delay: core::time::Duration) {
        self.manager.set_reconnection_delay(delay);
    }

    /// `io.reconnectionDelayMax(ms)`.
    pub fn set_reconnection_delay_max(&mut self, delay: core::time::Duration) {
        self.manager.set_reconnection_delay_max(delay);
    }

    /// `io.randomizationFactor(factor)`.
    pub fn set_randomization_factor(&mut self, factor: f64) {
        self.manager.set_randomization_factor(factor);
    }

    /// `io.timeout(ms)`; `None` waits forever.
    pub fn set_timeout(&mut self, timeout: Option<core::time::Duration>) {
        self.manager.set_timeout(timeout);
    }

    /// Opens the manager (`io.open()`).
    pub fn open(&mut self, now: Instant) {
        self.manager.open(now);
        self.pump(now);
    }

    /// `socket.connect()`.
    pub fn connect(&mut self, now: Instant, socket: SocketId) {
        self.manager.connect(now, socket);
        self.pump(now);
    }

    /// Answers [`socket_client::Event::AuthRequest`].
    pub fn connect_with_auth(&mut self, now: Instant, socket: SocketId, auth: Option<String>) {
        let _ = self.manager.connect_with_auth(now, socket, auth);
        self.pump(now);
    }

    /// `socket.disconnect()`.
    pub fn disconnect(&mut self, now: Instant, socket: SocketId) {
        self.manager.disconnect(now, socket);
        self.pump(now);
    }

    /// `socket.emit(...)`; see [`Manager::emit`].
    pub fn emit(
        &mut self,
        now: Instant,
        socket: SocketId,
        emit: Emit,
    ) -> Result<Option<AckHandle>, EmitError> {
        let r = self.manager.emit(now, socket, emit);
        self.pump(now);
        r
    }

    /// Answers a server event's ack `id`.
    pub fn ack(
        &mut self,
        now: Instant,
        socket: SocketId,
        id: AckId,
        args: Args,
    ) -> Result<(), EmitError> {
        let r = self.manager.ack(now, socket, id, args);
        self.pump(now);
        r
    }

    /// Closes everything, without reconnection (`io.close()`).
    pub fn close(&mut self, now: Instant) {
        self.manager.close(now);
        self.pump(now);
    }

    /// The WebSocket of engine `id` opened.
    pub fn handle_ws_open(&mut self, now: Instant, id: EngineId) {
        self.with_engine(now, id, |s| s.handle_ws_open(now));
    }

    /// A frame arrived on engine `id`'s WebSocket.
    pub fn handle_ws_frame(&mut self, now: Instant, id: EngineId, frame: Frame) {
        self.with_engine(now, id, |s| s.handle_ws_frame(now, frame));
    }

    /// Engine `id`'s WebSocket closed or failed.
    pub fn handle_ws_close(&mut self, now: Instant, id: EngineId) {
        self.with_engine(now, id, |s| s.handle_ws_close(now));
    }

    /// The browser went offline: the current engine closes with a transport close (see
    /// [`Session::handle_offline`]) and the manager reconnects as it does after any lost
    /// transport.
    pub fn handle_offline(&mut self, now: Instant) {
        if let Some((_, engine)) = &mut self.engine {
            engine.handle_offline(now);
            self.offline = true;
            self.pump(now);
            self.offline = false;
        }
    }

    /// Engine `id`'s GET completed (its body) or failed.
    pub fn handle_poll_response(
        &mut self,
        now: Instant,
        id: EngineId,
        result: Result<String, TransportError>,
    ) {
        self.with_engine(now, id, |s| s.handle_poll_response(now, result));
    }

    /// Engine `id`'s POST completed or failed.
    pub fn handle_post_response(
        &mut self,
        now: Instant,
        id: EngineId,
        result: Result<(), TransportError>,
    ) {
        self.with_engine(now, id, |s| s.handle_post_response(now, result));
    }

    /// The timer armed for [`Client::poll_timeout`] fired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, engine)) = &mut self.engine {
            engine.handle_timeout(now);
        }
        for (_, engine) in &mut self.closing {
            engine.handle_timeout(now);
        }
        self.manager.handle_timeout(now);
        self.pump(now);
    }

    /// What the driver must do next, for which engine.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<(EngineId, Transmit)> {
        if let Some(t) = self.leftovers.pop_front() {
            return Some(t);
        }
        for (id, engine) in &mut self.closing {
            if let Some(t) = engine.poll_transmit() {
                return Some((*id, t));
            }
        }
        let (id, engine) = self.engine.as_mut()?;
        engine.poll_transmit().map(|t| (*id, t))
    }

    /// What happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.manager.poll_timeout();
        if let Some((_, session)) = &self.engine {
            next = earliest(next, session.poll_timeout());
        }
        for (_, session) in &self.closing {
            next = earliest(next, session.poll_timeout());
        }
        next
    }

    fn with_engine(&mut self, now: Instant, id: EngineId, f: impl FnOnce(&mut Session)) {
        match &mut self.engine {
            Some((current, engine)) if *current == id => f(engine),
            _ => match self.closing.iter_mut().find(|(closing, _)| *closing == id) {
                Some((_, engine)) => f(engine),
                // A late event of a session already gone: nothing listens for it.
                None => return,
            },
        }
        self.pump(now);
    }

    /// Hands the batched messages to the current engine in one write, so that a packet and its
    /// attachments share one POST.
    fn send_batch(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        match &mut self.engine {
            Some((_, engine)) => engine.send_all(self.batch.drain(..)),
            None => self.batch.clear(),
        }
    }

    /// Moves commands and events between the manager and the engine until both are idle.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some(cmd) = self.manager.poll_engine() {
                moved = true;
                if !matches!(cmd, EngineCommand::Send(_)) {
                    self.send_batch();
                }
                match cmd {
                    EngineCommand::Open => {
                        self.drop_engine();
                        if self.defer_open {
                            self.open_pending = Some(false);
                        } else {
                            self.start_engine(now);
                        }
                    }
                    // Consecutive messages go to the engine together (see `send_batch`).
                    EngineCommand::Send(msg) => self.batch.push(msg),
                    EngineCommand::Close => {
                        self.open_pending = None;
                        // The manager hears nothing more of it; it finishes its goodbye on its own.
                        if let Some((id, mut engine)) = self.engine.take() {
                            engine.close(now);
                            self.remember(&engine);
                            self.closing.push((id, engine));
                        }
                    }
                }
            }
            self.send_batch();
            let mut closed = None;
            // The detail of a transport failure comes just before the close it causes.
            let mut error = None;
            if let Some((_, engine)) = &mut self.engine {
                while let Some(ev) = engine.poll_event() {
                    moved = true;
                    match ev {
                        engine_client::Event::Open(_) => self.manager.handle_engine_open(now),
                        engine_client::Event::Message(msg) => {
                            self.manager.handle_engine_message(now, msg)
                        }
                        engine_client::Event::Ping => self.events.push_back(Event::Ping),
                        engine_client::Event::Upgrading(_) => {
                            self.events.push_back(Event::Upgrading)
                        }
                        engine_client::Event::Upgrade(t) => {
                            self.events.push_back(Event::Upgrade(t))
                        }
                        engine_client::Event::UpgradeError(e) => {
                            self.events.push_back(Event::UpgradeError(e))
                        }
                        engine_client::Event::Error(e) => {
                            error = Some(e.clone());
                            self.events.push_back(Event::TransportError(e))
                        }
                        engine_client::Event::Packet(p) => self.events.push_back(Event::Packet(p)),
                        engine_client::Event::Close(reason) => {
                            let description = match reason {
                                CloseReason::TransportClose if self.offline => {
                                    Some(CloseDescription::NetworkLost)
                                }
                                // The reference ignores a close packet on a WebSocket and
                                // reports the socket's closing that follows.
                                CloseReason::TransportClose => Some(match engine.transport() {
                                    Some(crate::engine::Transport::Polling) => {
                                        CloseDescription::ClosedByServer
                                    }
                                    _ => CloseDescription::WebSocketClosed,
                                }),
                                CloseReason::TransportError => {
                                    error.take().map(CloseDescription::TransportError)
                                }
                                _ => None,
                            };
                            if let Some(description) = description {
                                self.events.push_back(Event::CloseDescription(description));
                            }
                            closed = Some(reason);
                            break;
                        }
                        #[allow(
                            unreachable_patterns,
                            reason = "the engine's Event is non_exhaustive"
                        )]
                        _ => {}
                    }
                }
            }
            if let Some(reason) = closed {
                self.drop_engine();
                self.manager.handle_engine_close(now, reason);
            }
            // Closing sessions' events are nobody's business; drain them and forget the finished.
            for (_, engine) in &mut self.closing {
                while engine.poll_event().is_some() {}
            }
            self.reap_closing();
            while let Some(ev) = self.manager.poll_event() {
                moved = true;
                self.events.push_back(Event::Manager(ev));
            }
            if !moved {
                break;
            }
        }
        // After the events that led to it (`reconnect_attempt`), as the reference opens.
        if self.open_pending == Some(false) {
            self.open_pending = Some(true);
            self.events.push_back(Event::EngineOpening);
        }
    }

    /// Opens the engine the manager asked for, with the configuration of now.
    fn start_engine(&mut self, now: Instant) {
        let id = EngineId(self.next_engine);
        self.next_engine = self.next_engine.wrapping_add(1);
        let mut session = Session::new(now, self.engine_config.clone(), self.rng.next_u64());
        session.set_packet_events(self.packet_events);
        self.engine = Some((id, session));
    }

    /// Forgets the current session, keeping the transmits it still owes the driver.
    fn drop_engine(&mut self) {
        if let Some((id, mut engine)) = self.engine.take() {
            self.remember(&engine);
            while let Some(t) = engine.poll_transmit() {
                self.leftovers.push_back((id, t));
            }
        }
    }

    /// Carries the reference's `priorWebsocketSuccess` from a session to the next ones: set when a
    /// WebSocket opened or upgraded, cleared when a transport failed.
    fn remember(&mut self, engine: &Session) {
        self.engine_config.prior_websocket_success = engine.prior_websocket_success();
    }

    /// Drops closing sessions that have finished, once the driver has taken their transmits. A
    /// closing session whose goodbye never completes is bounded: past a few, the oldest is aborted.
    fn reap_closing(&mut self) {
        const MAX_CLOSING: usize = 4;
        let mut i = 0;
        while let Some((id, engine)) = self.closing.get_mut(i) {
            if engine.state() == engine_client::State::Closed {
                let id = *id;
                let mut engine = self.closing.remove(i);
                while let Some(t) = engine.1.poll_transmit() {
                    self.leftovers.push_back((id, t));
                }
            } else {
                i += 1;
            }
        }
        while self.closing.len() > MAX_CLOSING {
            let (id, mut engine) = self.closing.remove(0);
            while let Some(t) = engine.poll_transmit() {
                self.leftovers.push_back((id, t));
            }
            self.leftovers.push_back((id, Transmit::PollAbort));
            self.leftovers.push_back((id, Transmit::WsClose));
        }
    }
}

#[cfg(test)]
mod tests;
