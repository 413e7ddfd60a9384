//! The Engine.IO v4 client session: handshake, heartbeat watchdog, long-polling with one GET and one
//! POST in flight, the upgrade to WebSocket, and close, as engine.io-client 6.6 does them.
//!
//! A [`Session`] is sans-IO: it never opens a connection or reads a clock. It asks for HTTP requests
//! and WebSocket operations through [`Transmit`]s, reports what happened through [`Event`]s, and
//! names its next deadline through [`Session::poll_timeout`]. The driver performs the IO and feeds
//! the results back through the `handle_*` methods.
//!
//! # Call order
//!
//! 1. [`Session::new`] starts connecting: its first transmit is a polling GET (the handshake) or, for
//!    a WebSocket-first session, a WebSocket open.
//! 2. After `new`, after every `handle_*` call and after every command ([`Session::send`],
//!    [`Session::close`]), drain [`Session::poll_transmit`] and [`Session::poll_event`] until both
//!    return `None`, then (re)arm one timer for [`Session::poll_timeout`].
//! 3. When that timer fires, call [`Session::handle_timeout`]; when IO completes, call the matching
//!    `handle_*` method. Then go back to 2.
//! 4. After [`Event::Close`] the session is over: every later input is ignored and nothing more is
//!    transmitted. A new connection is a new `Session`.
//!
//! The driver holds at most one WebSocket, one GET and one POST for a session at a time, so inputs
//! carry no request ids. Once the session asks to close the WebSocket ([`Transmit::WsClose`]) or to
//! abort the requests ([`Transmit::PollAbort`]), the driver delivers no more events from them.
//!
//! # Run loop
//!
//! A driver against canned responses; a real one waits on its sockets and on `poll_timeout()`.
//!
//! ```
//! use sockeye_core::Instant;
//! use sockeye_core::engine::Message;
//! use sockeye_core::engine::client::{Config, Event, Session, Transmit};
//! use sockeye_core::url::{EngineUrl, ServerUrl};
//!
//! let url = EngineUrl {
//!     server: ServerUrl::parse("http://localhost:3000").unwrap(),
//!     path: "/engine.io/".into(),
//!     query: Vec::new(),
//! };
//! let mut config = Config::new(url);
//! config.upgrade = false; // stay on long-polling
//! let now = Instant::ZERO;
//! let mut session = Session::new(now, config, 7);
//! // What the server answers to successive GETs.
//! let mut bodies = vec![
//!     r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
//!     "4hello\x1e2",
//! ]
//! .into_iter();
//! let mut received = Vec::new();
//! loop {
//!     // Drain every output after each input.
//!     let mut get = None;
//!     while let Some(transmit) = session.poll_transmit() {
//!         match transmit {
//!             Transmit::PollGet { url } => get = Some(url),
//!             Transmit::PollPost { body, .. } => assert_eq!(body, "3"), // the pong
//!             other => unreachable!("{other:?}"),
//!         }
//!     }
//!     while let Some(event) = session.poll_event() {
//!         if let Event::Message(Message::Text(text)) = event {
//!             received.push(text);
//!         }
//!     }
//!     // Here a driver (re)arms its one timer for `session.poll_timeout()` (the ping deadline once
//!     // open), waits for IO or the timer, and feeds what happened back in.
//!     match (get, bodies.next()) {
//!         (Some(_url), Some(body)) => session.handle_poll_response(now, Ok(body.into())),
//!         _ => break,
//!     }
//! }
//! assert_eq!(received, ["hello"]);
//! ```
//!
//! # Differences from the reference, on purpose
//!
//! - A probe WebSocket that fails after `3probe` but before the switch resumes long-polling (the
//!   reference stays paused until its ping timeout).
//! - With `try_all_transports`, the transport that failed is dropped from the list (the reference
//!   drops the first one, which retries a remembered WebSocket that just failed).
//! - Sends made before the handshake wait for it on WebSocket too (the reference may write them
//!   to an open WebSocket before the open packet).
//! - A server packet that is not Engine.IO closes with `parse error` rather than `transport error`.
mod close;
mod config;
mod error;
mod inbound;
mod outbound;
mod output;

use alloc::string::String;
use alloc::vec::Vec;

use super::payload;
use super::{CloseReason, Frame, Handshake, Message, Packet, Sid, Transport};
use crate::Instant;
use crate::fifo::Fifo;
use crate::rng::Rng;
use crate::time::{TimerKey, Timers};

pub use config::Config;
pub use error::{ProbeError, TransportError};
pub use output::{Event, Transmit};

/// The largest polling response body the client decodes, in bytes (100 MiB).
///
/// The handshake's `maxPayload` limits what the *server* accepts, not what it sends: the reference
/// server answers a GET with every packet it has buffered, however large, and its client accepts
/// it. The body is already in the driver's memory when it arrives, so this is only a backstop; it
/// equals the default `maxPayload` of the `ws` package's client, the reference's Node.js WebSocket.
pub const MAX_POLL_RESPONSE: usize = 100 * 1024 * 1024;

/// The session's life, as the reference's `readyState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Waiting for the handshake (the open packet).
    Opening,
    /// Open: messages flow.
    Open,
    /// [`Session::close`] was called; buffered packets are being flushed before the close packet.
    Closing,
    /// Over: [`Event::Close`] was emitted.
    Closed,
}

/// The session's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// No ping for pingInterval + pingTimeout: the server is gone.
    PingTimeout,
}

impl TimerKey for Timer {
    const ALL: &'static [Self] = &[Timer::PingTimeout];
    fn index(self) -> usize {
        0
    }
}

/// The one WebSocket, whichever role it has (the session's transport or the upgrade probe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ws {
    None,
    Connecting,
    Open,
}

/// How far the upgrade probe got. While a probe exists, the WebSocket is the probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// `2probe` is sent (or will be, once the WebSocket opens).
    Probing,
    /// `3probe` arrived: long-polling is pausing (the GET and the POST in flight finish, new sends
    /// wait), then `5` goes out on the WebSocket.
    Pausing,
}

/// An Engine.IO v4 client session. See the [module docs](self) for the call order.
#[derive(Debug)]
pub struct Session {
    config: Config,
    state: State,
    /// Transports still to try for the initial connection.
    candidates: Vec<Transport>,
    /// The session's transport (the one messages flow on).
    transport: Option<Transport>,
    get_in_flight: bool,
    post_in_flight: bool,
    ws: Ws,
    probe: Option<Probe>,
    handshake: Option<Handshake>,
    /// Packets waiting for a writable transport (the reference's `writeBuffer`).
    write_buffer: Fifo<Packet>,
    transmits: Fifo<Transmit>,
    events: Fifo<Event>,
    timers: Timers<Timer>,
    /// Source of the unique `t` tokens.
    timestamp: u64,
    prior_websocket_success: bool,
    packet_events: bool,
}

impl Session {
    /// Starts connecting with `config`; `seed` drives the cache-busting tokens.
    pub fn new(now: Instant, config: Config, seed: u64) -> Session {
        let _ = now;
        // 42 bits: seven base-64 digits, as long as the reference's timestamp tokens.
        let timestamp = Rng::new(seed).next_u64() >> 22;
        let mut session = Session {
            candidates: config.transports.clone(),
            prior_websocket_success: config.prior_websocket_success,
            config,
            state: State::Opening,
            transport: None,
            get_in_flight: false,
            post_in_flight: false,
            ws: Ws::None,
            probe: None,
            handshake: None,
            write_buffer: Fifo::default(),
            transmits: Fifo::default(),
            events: Fifo::default(),
            timers: Timers::default(),
            timestamp,
            packet_events: false,
        };
        let remembered = session.config.remember_upgrade
            && session.prior_websocket_success
            && session.candidates.contains(&Transport::WebSocket);
        let first = if remembered {
            Some(Transport::WebSocket)
        } else {
            session.candidates.first().copied()
        };
        match first {
            Some(transport) => session.open_transport(transport),
            None => session.fail(
                CloseReason::TransportError,
                Some(TransportError::NoTransports),
            ),
        }
        session
    }

    // ---- getters ----

    /// Where the session is in its life.
    pub fn state(&self) -> State {
        self.state
    }

    /// The transport messages flow on (the one being opened before the handshake); `None` only when
    /// the configuration listed none.
    pub fn transport(&self) -> Option<Transport> {
        self.transport
    }

    /// The session id, once the handshake arrived.
    pub fn sid(&self) -> Option<&Sid> {
        self.handshake.as_ref().map(|h| &h.sid)
    }

    /// The server's handshake, once it arrived.
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    /// Whether a packet sent now leaves at once: open, not pausing for an upgrade, and no POST in
    /// flight (the reference's `transport.writable`, which Socket.IO checks for volatile packets).
    pub fn is_writable(&self) -> bool {
        self.state == State::Open
            && self.probe != Some(Probe::Pausing)
            && match self.transport {
                Some(Transport::Polling) => !self.post_in_flight,
                Some(Transport::WebSocket) => self.ws == Ws::Open,
                None => false,
            }
    }

    /// Whether an upgrade is switching transports (between `3probe` and the switch); sends wait.
    pub fn is_upgrading(&self) -> bool {
        self.probe == Some(Probe::Pausing)
    }

    /// When the session gives up on the server unless a ping arrives first.
    pub fn ping_deadline(&self) -> Option<Instant> {
        self.timers.get(Timer::PingTimeout)
    }

    /// The reference's `priorWebsocketSuccess` as this session leaves it: true once a WebSocket
    /// opened the session or answered a probe, false after a transport error or a new probe. The
    /// Manager passes it to the next session's [`Config::prior_websocket_success`].
    pub fn prior_websocket_success(&self) -> bool {
        self.prior_websocket_success
    }

    // ---- inputs ----

    /// The WebSocket the session asked for ([`Transmit::WsOpen`]) is open.
    pub fn handle_ws_open(&mut self, now: Instant) {
        let _ = now;
        if self.state == State::Closed || self.ws != Ws::Connecting {
            return;
        }
        self.ws = Ws::Open;
        if self.probe.is_some() {
            self.push_frame(&Packet::PingProbe);
        }
        // A WebSocket-first session now waits for the open packet.
    }

    /// A frame arrived on the WebSocket.
    pub fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        if self.state == State::Closed || self.ws == Ws::None {
            return;
        }
        if let Some(probe) = self.probe {
            return self.on_probe_frame(probe, frame);
        }
        if self.transport != Some(Transport::WebSocket) {
            return;
        }
        match Packet::decode_frame(frame) {
            Ok(packet) => self.on_packet(now, packet),
            Err(_) => self.fail(CloseReason::ParseError, None),
        }
    }

    /// The WebSocket closed or failed.
    pub fn handle_ws_close(&mut self, now: Instant) {
        if self.state == State::Closed || self.ws == Ws::None {
            return;
        }
        self.ws = Ws::None;
        if self.probe.take().is_some() {
            self.events
                .push_back(Event::UpgradeError(ProbeError::TransportClosed));
            self.resume_polling();
            return;
        }
        if self.transport != Some(Transport::WebSocket) {
            return;
        }
        if self.state == State::Opening {
            self.connect_failed(now, Transport::WebSocket, TransportError::WebSocketClosed);
        } else {
            // The reference reports a WebSocket that goes away as "transport close".
            self.fail(CloseReason::TransportClose, None);
        }
    }

    /// The browser went offline (its `offline` event). As the reference does, the session closes
    /// at once with [`CloseReason::TransportClose`] (everything in flight aborted) rather than
    /// waiting for a ping timeout, so a reconnection starts without delay; a session on a
    /// `localhost` server ignores it, as the reference's does, since loopback stays up offline.
    pub fn handle_offline(&mut self, now: Instant) {
        let _ = now;
        if self.config.url.server.host != "localhost" {
            self.fail(CloseReason::TransportClose, None);
        }
    }

    /// The GET finished: its body, or why it failed.
    pub fn handle_poll_response(&mut self, now: Instant, result: Result<String, TransportError>) {
        if self.state == State::Closed || !self.get_in_flight {
            return;
        }
        self.get_in_flight = false;
        let body = match result {
            Ok(body) => body,
            Err(error) => return self.connect_failed(now, Transport::Polling, error),
        };
        let packets = match payload::decode(&body, MAX_POLL_RESPONSE) {
            Ok(packets) => packets,
            Err(_) => return self.fail(CloseReason::ParseError, None),
        };
        for packet in packets {
            self.on_packet(now, packet);
            if self.state == State::Closed {
                return;
            }
        }
        if self.probe == Some(Probe::Pausing) {
            // Pausing: this was the last GET (the server answered it with `6`).
            self.try_finish_upgrade();
        } else if self.transport == Some(Transport::Polling) {
            self.poll();
        }
    }

    /// The POST finished (the server answered `ok`), or why it failed.
    pub fn handle_post_response(&mut self, now: Instant, result: Result<(), TransportError>) {
        if self.state == State::Closed || !self.post_in_flight {
            return;
        }
        self.post_in_flight = false;
        match result {
            Ok(()) => {
                // The reference's `drain`: the next batch goes, or a pending upgrade or close can go on.
                self.flush();
                self.try_finish_upgrade();
                self.try_finish_close();
            }
            Err(error) => self.connect_failed(now, Transport::Polling, error),
        }
    }

    /// The timer armed for [`Session::poll_timeout`] fired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        for timer in self.timers.expired(now) {
            match timer {
                Timer::PingTimeout => self.fail(CloseReason::PingTimeout, None),
            }
        }
    }

    // ---- commands ----

    /// Turns [`Event::Packet`] on or off (off by default).
    pub fn set_packet_events(&mut self, on: bool) {
        self.packet_events = on;
    }

    /// Sends a message. Before the handshake and while an upgrade switches transports it waits in
    /// a buffer; on long-polling, messages sent while a POST is in flight go together in the next
    /// one. After [`Session::close`] it is dropped, as the reference drops it.
    pub fn send(&mut self, msg: Message) {
        self.send_packet(Packet::from(msg));
    }

    /// Sends several messages as [`Session::send`] does, but writes them together: on
    /// long-polling, a packet and its binary attachments go in one POST.
    pub fn send_all(&mut self, msgs: impl IntoIterator<Item = Message>) {
        if matches!(self.state, State::Closing | State::Closed) {
            return;
        }
        for msg in msgs {
            self.write_buffer.push_back(Packet::from(msg));
        }
        self.flush();
    }

    /// Closes the session: buffered packets are flushed first, then the close packet `1` goes out
    /// (a POST on long-polling, a frame then [`Transmit::WsClose`] on WebSocket) and
    /// [`Event::Close`] with [`CloseReason::ForcedClose`] follows. During an upgrade's switch it
    /// waits for the switch to finish. Before the handshake it aborts the connection attempt.
    /// Calling it again does nothing.
    ///
    /// On long-polling the GET in flight is left to the server, which answers it when it reads the
    /// `1`, as with the reference client (aborting it would make the server see a transport error
    /// instead of a clean close); its answer is ignored.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
        match self.state {
            State::Closing | State::Closed => {}
            State::Opening => self.fail(CloseReason::ForcedClose, None),
            State::Open => {
                self.state = State::Closing;
                self.try_finish_close();
            }
        }
    }

    // ---- outputs ----

    /// The next thing the driver should do.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing that happened.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}

#[cfg(test)]
mod tests;
