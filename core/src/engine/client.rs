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

use crate::text::{ErrorText, display_by_text, push_decimal};
use alloc::string::String;
use alloc::vec::Vec;

use super::payload;
use super::{CloseReason, Frame, Handshake, Message, Packet, Sid, Transport};
use crate::Instant;
use crate::fifo::Fifo;
use crate::rng::Rng;
use crate::time::{TimerKey, Timers};
use crate::url::{EngineUrl, yeast};

/// The largest polling response body the client decodes, in bytes (100 MiB).
///
/// The handshake's `maxPayload` limits what the *server* accepts, not what it sends: the reference
/// server answers a GET with every packet it has buffered, however large, and its client accepts
/// it. The body is already in the driver's memory when it arrives, so this is only a backstop; it
/// equals the default `maxPayload` of the `ws` package's client, the reference's Node.js WebSocket.
pub const MAX_POLL_RESPONSE: usize = 100 * 1024 * 1024;

/// How a client session connects: engine.io-client's options that change what goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The server and the Engine.IO path; every request URL is built from it.
    pub url: EngineUrl,
    /// Transports to use, in order of preference; the session opens on the first one. Default
    /// `[Polling, WebSocket]`.
    pub transports: Vec<Transport>,
    /// Whether to probe and upgrade to WebSocket once open on long-polling. Default `true`.
    pub upgrade: bool,
    /// Whether to open on WebSocket directly when the previous session's WebSocket worked
    /// ([`Config::prior_websocket_success`]). Default `false`.
    pub remember_upgrade: bool,
    /// The reference's static `priorWebsocketSuccess`, carried by the Manager from one session to
    /// the next: set it from the previous session's [`Session::prior_websocket_success`]. Only read
    /// when `remember_upgrade` is on. Default `false`.
    pub prior_websocket_success: bool,
    /// Cache-busting `t` query parameter. `None` (the reference's default): on every polling
    /// request, never on the WebSocket. `Some(true)`: on both. `Some(false)`: never.
    pub timestamp_requests: Option<bool>,
    /// When the first transport fails before the handshake, try the next one in `transports`
    /// instead of closing. Default `false`.
    pub try_all_transports: bool,
}

impl Config {
    /// The reference client's defaults for `url`.
    pub fn new(url: EngineUrl) -> Self {
        Config {
            url,
            transports: alloc::vec![Transport::Polling, Transport::WebSocket],
            upgrade: true,
            remember_upgrade: false,
            prior_websocket_success: false,
            timestamp_requests: None,
            try_all_transports: false,
        }
    }
}

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

/// What the session asks the driver to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Open the WebSocket at `url`; report [`Session::handle_ws_open`], then frames and the close.
    WsOpen {
        /// `ws(s)://…?EIO=4&transport=websocket[&sid=…]`.
        url: String,
    },
    /// Send one frame on the open WebSocket.
    WsSend(Frame),
    /// Close the WebSocket; the driver reports nothing more from it.
    WsClose,
    /// Start a long-polling GET; report its body with [`Session::handle_poll_response`].
    PollGet {
        /// `http(s)://…?EIO=4&transport=polling[&t=…][&sid=…]`.
        url: String,
    },
    /// Start a POST with this text body (`Content-Type: text/plain;charset=UTF-8`); report with
    /// [`Session::handle_post_response`].
    PollPost {
        /// Same form as a GET's URL.
        url: String,
        /// An encoded payload: text records joined by `\x1e`, binary as `b` + base64.
        body: String,
    },
    /// Abort the GET and the POST in flight, if any; the driver reports nothing more from them.
    PollAbort,
}

/// What happened, for the layer above (the Socket.IO Manager).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake arrived: the session is open.
    Open(Handshake),
    /// A message from the server.
    Message(Message),
    /// The server pinged (the pong is already on its way); the Manager re-emits it as `ping`.
    Ping,
    /// The probe succeeded (`3probe`); the session pauses long-polling to switch.
    Upgrading(Transport),
    /// The session now runs on this transport.
    Upgrade(Transport),
    /// The probe failed; the session stays on long-polling.
    UpgradeError(ProbeError),
    /// The detail of a transport failure, emitted just before `Close(TransportError)` (the
    /// reference's `error` event, which the Manager reports as `connect_error` while connecting).
    Error(TransportError),
    /// The session is over. Always the last event.
    Close(CloseReason),
    /// A packet arrived on the session's transport (the reference's `packet` event), before it
    /// is acted on. Only with [`Session::set_packet_events`] on: it copies every message.
    Packet(Packet),
}

/// Why a failed HTTP request or WebSocket broke the session; the driver reports the first two.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The server answered with a status other than 200 (400 for an unknown sid, for example).
    HttpStatus(u16),
    /// The request failed without an HTTP answer (network down, DNS, CORS, a timeout).
    Network(String),
    /// The WebSocket closed or failed before the handshake.
    WebSocketClosed,
    /// The configuration lists no transport.
    NoTransports,
}

impl ErrorText for TransportError {
    fn write_text(&self, out: &mut String) {
        match self {
            TransportError::HttpStatus(status) => {
                out.push_str("unexpected http status ");
                push_decimal(out, u64::from(*status));
            }
            TransportError::Network(why) => {
                out.push_str("network error: ");
                out.push_str(why);
            }
            TransportError::WebSocketClosed => out.push_str("websocket connection closed"),
            TransportError::NoTransports => out.push_str("no transports available"),
        }
    }
}

display_by_text!(TransportError);

impl core::error::Error for TransportError {}

/// Why an upgrade probe failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeError {
    /// The probe WebSocket closed or failed.
    TransportClosed,
    /// The server answered the probe with something other than `3probe`.
    UnexpectedPacket,
}

impl ErrorText for ProbeError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            ProbeError::TransportClosed => "probe error: transport closed",
            ProbeError::UnexpectedPacket => "probe error",
        });
    }
}

display_by_text!(ProbeError);

impl core::error::Error for ProbeError {}

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

    // ---- internals ----

    fn open_transport(&mut self, transport: Transport) {
        self.transport = Some(transport);
        match transport {
            Transport::Polling => self.poll(),
            Transport::WebSocket => self.open_ws(),
        }
    }

    /// Issues the one GET (when none is in flight).
    fn poll(&mut self) {
        if self.get_in_flight {
            return;
        }
        self.get_in_flight = true;
        let url = self.polling_url();
        self.transmits.push_back(Transmit::PollGet { url });
    }

    fn open_ws(&mut self) {
        self.ws = Ws::Connecting;
        let timestamp =
            (self.config.timestamp_requests == Some(true)).then(|| self.next_timestamp());
        let url = self
            .config
            .url
            .request(Transport::WebSocket, self.sid(), timestamp.as_deref());
        self.transmits.push_back(Transmit::WsOpen { url });
    }

    fn polling_url(&mut self) -> String {
        let timestamp =
            (self.config.timestamp_requests != Some(false)).then(|| self.next_timestamp());
        self.config
            .url
            .request(Transport::Polling, self.sid(), timestamp.as_deref())
    }

    /// A unique cache-busting token per request.
    fn next_timestamp(&mut self) -> String {
        let token = yeast(self.timestamp);
        self.timestamp = self.timestamp.wrapping_add(1);
        token
    }

    fn push_frame(&mut self, packet: &Packet) {
        self.transmits
            .push_back(Transmit::WsSend(packet.to_frame()));
    }

    /// A packet from the session's transport.
    fn on_packet(&mut self, now: Instant, packet: Packet) {
        if self.packet_events {
            self.events.push_back(Event::Packet(packet.clone()));
        }
        match packet {
            Packet::Open(handshake) if self.state == State::Opening => {
                self.on_handshake(now, handshake)
            }
            _ if self.state == State::Opening => self.fail(
                CloseReason::ProtocolViolation("the first packet is not an open packet"),
                None,
            ),
            Packet::Open(_) => {
                self.fail(CloseReason::ProtocolViolation("a second open packet"), None)
            }
            Packet::Close => self.fail(CloseReason::TransportClose, None),
            Packet::Ping => {
                self.events.push_back(Event::Ping);
                self.send_packet(Packet::Pong);
                self.reset_ping_timeout(now);
            }
            Packet::Message(text) => self.events.push_back(Event::Message(Message::Text(text))),
            Packet::Binary(bytes) => self
                .events
                .push_back(Event::Message(Message::Binary(bytes))),
            // `6` completes a GET during an upgrade; the rest is never sent by a server and the
            // reference ignores it.
            Packet::Noop
            | Packet::Pong
            | Packet::PingProbe
            | Packet::PongProbe
            | Packet::Upgrade => {}
        }
    }

    fn on_handshake(&mut self, now: Instant, handshake: Handshake) {
        let upgrade = self.config.upgrade
            && self.transport == Some(Transport::Polling)
            && handshake.upgrades.contains(&Transport::WebSocket)
            && self.candidates.contains(&Transport::WebSocket);
        self.state = State::Open;
        self.prior_websocket_success = self.transport == Some(Transport::WebSocket);
        self.handshake = Some(handshake.clone());
        self.events.push_back(Event::Open(handshake));
        self.reset_ping_timeout(now);
        self.flush();
        if upgrade {
            self.prior_websocket_success = false;
            self.probe = Some(Probe::Probing);
            self.open_ws();
        }
    }

    fn reset_ping_timeout(&mut self, now: Instant) {
        if let Some(h) = &self.handshake {
            let deadline = now + h.ping_interval + h.ping_timeout;
            self.timers.set(Timer::PingTimeout, deadline);
        }
    }

    fn on_probe_frame(&mut self, probe: Probe, frame: Frame) {
        match probe {
            Probe::Probing => {
                if Packet::decode_frame(frame) == Ok(Packet::PongProbe) {
                    self.probe = Some(Probe::Pausing);
                    self.prior_websocket_success = true;
                    self.events
                        .push_back(Event::Upgrading(Transport::WebSocket));
                    self.try_finish_upgrade();
                } else {
                    self.probe = None;
                    self.ws = Ws::None;
                    self.transmits.push_back(Transmit::WsClose);
                    self.events
                        .push_back(Event::UpgradeError(ProbeError::UnexpectedPacket));
                }
            }
            // The server sends nothing on the new transport before our `5`.
            Probe::Pausing => {}
        }
    }

    /// Switches to the WebSocket once long-polling is paused: no GET and no POST in flight.
    fn try_finish_upgrade(&mut self) {
        if self.probe != Some(Probe::Pausing) || self.get_in_flight || self.post_in_flight {
            return;
        }
        if self.state == State::Closed {
            return;
        }
        self.probe = None;
        self.transport = Some(Transport::WebSocket);
        self.push_frame(&Packet::Upgrade);
        self.events.push_back(Event::Upgrade(Transport::WebSocket));
        self.flush();
        self.try_finish_close();
    }

    /// After a failed probe: long-polling goes on where it paused.
    fn resume_polling(&mut self) {
        if self.state == State::Closed || self.transport != Some(Transport::Polling) {
            return;
        }
        self.poll();
        self.flush();
        self.try_finish_close();
    }

    fn send_packet(&mut self, packet: Packet) {
        if matches!(self.state, State::Closing | State::Closed) {
            return;
        }
        self.write_buffer.push_back(packet);
        self.flush();
    }

    /// Writes buffered packets if the transport is writable (the reference's `flush`).
    fn flush(&mut self) {
        if !matches!(self.state, State::Open | State::Closing)
            || self.probe == Some(Probe::Pausing)
            || self.write_buffer.is_empty()
        {
            return;
        }
        match self.transport {
            Some(Transport::Polling) if !self.post_in_flight => {
                let count = self.writable_count();
                let mut body = String::new();
                payload::encode(self.write_buffer.iter().take(count), &mut body);
                for _ in 0..count {
                    let _ = self.write_buffer.pop_front();
                }
                self.post(body);
            }
            Some(Transport::WebSocket) if self.ws == Ws::Open => {
                while let Some(packet) = self.write_buffer.pop_front() {
                    self.transmits
                        .push_back(Transmit::WsSend(packet.into_frame()));
                }
            }
            _ => {}
        }
    }

    fn post(&mut self, body: String) {
        self.post_in_flight = true;
        let url = self.polling_url();
        self.transmits.push_back(Transmit::PollPost { url, body });
    }

    /// How many buffered packets fit in one POST: the longest prefix whose payload stays within the
    /// handshake's `maxPayload`, but at least one (a packet larger than the limit goes alone). A
    /// `maxPayload` of 0 means no limit, as in the reference.
    fn writable_count(&self) -> usize {
        let max = self.handshake.as_ref().map_or(0, |h| h.max_payload);
        if max == 0 {
            return self.write_buffer.len();
        }
        let mut size: u64 = 0;
        for (i, packet) in self.write_buffer.iter().enumerate() {
            let record = u64::try_from(packet.encoded_len()).unwrap_or(u64::MAX);
            size = size.saturating_add(record).saturating_add(u64::from(i > 0));
            if i > 0 && size > max {
                return i;
            }
        }
        self.write_buffer.len()
    }

    /// Sends the close packet once everything buffered has left and no switch is under way.
    fn try_finish_close(&mut self) {
        if self.state != State::Closing
            || !self.write_buffer.is_empty()
            || self.post_in_flight
            || self.probe == Some(Probe::Pausing)
        {
            return;
        }
        match self.transport {
            Some(Transport::WebSocket) => {
                self.push_frame(&Packet::Close);
                self.transmits.push_back(Transmit::WsClose);
                self.ws = Ws::None;
            }
            _ => {
                let mut body = String::new();
                payload::encode([&Packet::Close], &mut body);
                self.post(body);
                if self.ws != Ws::None {
                    // A probe still opening or probing.
                    self.transmits.push_back(Transmit::WsClose);
                    self.ws = Ws::None;
                }
            }
        }
        self.probe = None;
        self.get_in_flight = false;
        self.post_in_flight = false;
        self.finish(CloseReason::ForcedClose);
    }

    /// A transport failed. Before the handshake, with `try_all_transports`, the next transport is
    /// tried; otherwise the session closes with a transport error.
    fn connect_failed(&mut self, now: Instant, failed: Transport, error: TransportError) {
        let _ = now;
        self.prior_websocket_success = false;
        if self.state == State::Opening
            && self.config.try_all_transports
            && self.candidates.len() > 1
        {
            self.candidates.retain(|&t| t != failed);
            if let Some(&next) = self.candidates.first() {
                // The failed transport's request or socket is finished; nothing is left in flight.
                self.abort_all();
                return self.open_transport(next);
            }
        }
        self.fail(CloseReason::TransportError, Some(error));
    }

    /// Asks the driver to drop whatever is still in flight.
    fn abort_all(&mut self) {
        if self.get_in_flight || self.post_in_flight {
            self.transmits.push_back(Transmit::PollAbort);
            self.get_in_flight = false;
            self.post_in_flight = false;
        }
        if self.ws != Ws::None {
            self.transmits.push_back(Transmit::WsClose);
            self.ws = Ws::None;
        }
        self.probe = None;
    }

    /// Ends the session at once: everything in flight is aborted.
    fn fail(&mut self, reason: CloseReason, error: Option<TransportError>) {
        if self.state == State::Closed {
            return;
        }
        self.abort_all();
        if let Some(error) = error {
            self.events.push_back(Event::Error(error));
        }
        self.finish(reason);
    }

    fn finish(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.timers.clear();
        self.write_buffer.clear();
        self.events.push_back(Event::Close(reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::ServerUrl;
    use alloc::string::ToString;
    use alloc::vec;

    const SID: &str = "lv_VI97HAXpY6yYWAAAC";
    const HANDSHAKE: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    const HANDSHAKE_NO_UPGRADES: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    const POLL: &str = "http://localhost:3000/engine.io/?EIO=4&transport=polling";
    const WS: &str = "ws://localhost:3000/engine.io/?EIO=4&transport=websocket";

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    fn config() -> Config {
        Config::new(EngineUrl {
            server: ServerUrl::parse("http://localhost:3000").unwrap(),
            path: "/engine.io/".into(),
            query: vec![],
        })
    }

    /// Timestamps off, so URLs are literal.
    fn plain(upgrade: bool) -> Config {
        let mut c = config();
        c.timestamp_requests = Some(false);
        c.upgrade = upgrade;
        c
    }

    fn transmits(s: &mut Session) -> Vec<Transmit> {
        core::iter::from_fn(|| s.poll_transmit()).collect()
    }

    fn events(s: &mut Session) -> Vec<Event> {
        core::iter::from_fn(|| s.poll_event()).collect()
    }

    fn get(url: &str) -> Transmit {
        Transmit::PollGet {
            url: url.to_string(),
        }
    }

    fn sid_poll() -> String {
        alloc::format!("{POLL}&sid={SID}")
    }

    fn post(body: &str) -> Transmit {
        Transmit::PollPost {
            url: sid_poll(),
            body: body.to_string(),
        }
    }

    fn text(s: &str) -> Frame {
        Frame::Text(s.to_string())
    }

    fn msg(s: &str) -> Message {
        Message::Text(s.to_string())
    }

    /// A session open on long-polling at t=0 (upgrade as asked), outputs drained, one GET in flight.
    fn open_polling(upgrade: bool, handshake: &str) -> Session {
        let mut s = Session::new(ms(0), plain(upgrade), 1);
        assert_eq!(transmits(&mut s), [get(POLL)]);
        s.handle_poll_response(ms(0), Ok(handshake.into()));
        let _ = transmits(&mut s);
        assert!(matches!(events(&mut s).as_slice(), [Event::Open(_)]));
        s
    }

    /// A session open on long-polling whose probe WebSocket got `3probe`.
    fn probing() -> Session {
        let mut s = open_polling(true, HANDSHAKE);
        s.handle_ws_open(ms(1));
        assert_eq!(transmits(&mut s), [Transmit::WsSend(text("2probe"))]);
        s
    }

    #[test]
    fn polling_handshake_with_cache_busting_tokens() {
        let mut s = Session::new(ms(0), config(), 42);
        assert_eq!(s.state(), State::Opening);
        assert_eq!(s.transport(), Some(Transport::Polling));
        assert_eq!(
            transmits(&mut s),
            [get(&alloc::format!("{POLL}&t=lTSo9Y_"))]
        );
        assert_eq!(s.poll_timeout(), None);

        s.handle_poll_response(ms(5), Ok(HANDSHAKE.into()));
        let sid = Sid::new(SID).unwrap();
        assert_eq!(s.sid(), Some(&sid));
        assert_eq!(s.state(), State::Open);
        match events(&mut s).as_slice() {
            [Event::Open(h)] => {
                assert_eq!(h.sid, sid);
                assert_eq!(h.max_payload, 1_000_000);
            }
            other => panic!("{other:?}"),
        }
        // The next GET carries the sid and a fresh token; the probe goes to the WebSocket URL,
        // which has no token by default.
        assert_eq!(
            transmits(&mut s),
            [
                Transmit::WsOpen {
                    url: alloc::format!("{WS}&sid={SID}")
                },
                get(&alloc::format!("{POLL}&t=lTSo9Z0&sid={SID}")),
            ]
        );
        assert_eq!(s.poll_timeout(), Some(ms(45_005)));
    }

    #[test]
    fn timestamp_requests_option() {
        let mut c = config();
        c.timestamp_requests = Some(true);
        c.transports = vec![Transport::WebSocket];
        let mut s = Session::new(ms(0), c, 42);
        assert_eq!(
            transmits(&mut s),
            [Transmit::WsOpen {
                url: alloc::format!("{WS}&t=lTSo9Y_")
            }]
        );

        let mut s = Session::new(ms(0), plain(true), 42);
        assert_eq!(transmits(&mut s), [get(POLL)]);
    }

    #[test]
    fn websocket_only_handshake_ignores_upgrades() {
        let mut c = plain(true);
        c.transports = vec![Transport::WebSocket];
        let mut s = Session::new(ms(0), c, 1);
        assert_eq!(s.transport(), Some(Transport::WebSocket));
        assert_eq!(transmits(&mut s), [Transmit::WsOpen { url: WS.into() }]);
        s.send(msg("early"));
        s.handle_ws_open(ms(1));
        // Nothing is written before the open packet.
        assert_eq!(transmits(&mut s), []);
        s.handle_ws_frame(ms(2), text(HANDSHAKE));
        assert!(matches!(events(&mut s).as_slice(), [Event::Open(_)]));
        // No probe although the handshake lists "websocket"; the early message goes out.
        assert_eq!(transmits(&mut s), [Transmit::WsSend(text("4early"))]);
        assert!(s.prior_websocket_success());
        assert!(s.is_writable());

        s.send(msg("hello"));
        s.send(Message::Binary(vec![1, 2, 3]));
        assert_eq!(
            transmits(&mut s),
            [
                Transmit::WsSend(text("4hello")),
                Transmit::WsSend(Frame::Binary(vec![1, 2, 3]))
            ]
        );

        s.handle_ws_frame(ms(3), text("4world"));
        s.handle_ws_frame(ms(3), Frame::Binary(vec![4, 5]));
        assert_eq!(
            events(&mut s),
            [
                Event::Message(msg("world")),
                Event::Message(Message::Binary(vec![4, 5]))
            ]
        );
    }

    #[test]
    fn heartbeat_on_websocket_answers_at_once_and_times_out() {
        let mut c = plain(true);
        c.transports = vec![Transport::WebSocket];
        let mut s = Session::new(ms(0), c, 1);
        let _ = transmits(&mut s);
        s.handle_ws_open(ms(0));
        s.handle_ws_frame(ms(10), text(HANDSHAKE_NO_UPGRADES));
        let _ = events(&mut s);
        assert_eq!(s.poll_timeout(), Some(ms(45_010)));

        s.handle_ws_frame(ms(25_010), text("2"));
        assert_eq!(transmits(&mut s), [Transmit::WsSend(text("3"))]);
        assert_eq!(events(&mut s), [Event::Ping]);
        assert_eq!(s.poll_timeout(), Some(ms(70_010)));

        s.handle_timeout(ms(70_009));
        assert_eq!(s.state(), State::Open);
        s.handle_timeout(ms(70_010));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(s.poll_timeout(), None);
        s.send(msg("late"));
        s.handle_ws_frame(ms(70_011), text("4late"));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
    }

    #[test]
    fn packet_events_are_opt_in_and_come_before_the_packet_is_acted_on() {
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_poll_response(ms(1), Ok("4hello\x1e2".into()));
        assert_eq!(events(&mut s), [Event::Message(msg("hello")), Event::Ping]);
        let _ = transmits(&mut s);

        s.set_packet_events(true);
        s.handle_poll_response(ms(2), Ok("4hello\x1e2\x1e1".into()));
        assert_eq!(
            events(&mut s),
            [
                Event::Packet(Packet::Message("hello".into())),
                Event::Message(msg("hello")),
                Event::Packet(Packet::Ping),
                Event::Ping,
                Event::Packet(Packet::Close),
                Event::Close(CloseReason::TransportClose),
            ]
        );
    }

    #[test]
    fn heartbeat_on_polling_pongs_in_the_next_post() {
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_poll_response(ms(25_000), Ok("2".into()));
        assert_eq!(events(&mut s), [Event::Ping]);
        assert_eq!(transmits(&mut s), [post("3"), get(&sid_poll())]);
        assert_eq!(s.poll_timeout(), Some(ms(70_000)));

        // A ping while the POST is in flight waits for it.
        s.handle_poll_response(ms(50_000), Ok("2".into()));
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
        assert!(!s.is_writable());
        s.handle_post_response(ms(50_001), Ok(()));
        assert_eq!(transmits(&mut s), [post("3")]);

        // No ping: closed at pingInterval + pingTimeout, the requests in flight aborted.
        s.handle_timeout(ms(95_000));
        assert_eq!(
            events(&mut s),
            [Event::Ping, Event::Close(CloseReason::PingTimeout)]
        );
        assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
    }

    #[test]
    fn one_get_in_flight_and_messages_in_order() {
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_poll_response(ms(1), Ok("4hello\x1ebAQIDBA==\x1e6\x1e4world".into()));
        assert_eq!(
            events(&mut s),
            [
                Event::Message(msg("hello")),
                Event::Message(Message::Binary(vec![1, 2, 3, 4])),
                Event::Message(msg("world")),
            ]
        );
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
        // An empty answer is an empty payload... which is not Engine.IO: a record needs a type.
        s.handle_poll_response(ms(2), Ok(String::new()));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
    }

    #[test]
    fn posts_are_serialized_and_batched() {
        let mut s = open_polling(false, HANDSHAKE);
        s.send(msg("a"));
        assert_eq!(transmits(&mut s), [post("4a")]);
        s.send(msg("b"));
        s.send(Message::Binary(vec![1, 2, 3]));
        s.send(msg("c"));
        assert_eq!(transmits(&mut s), []);
        s.handle_post_response(ms(1), Ok(()));
        assert_eq!(transmits(&mut s), [post("4b\x1ebAQID\x1e4c")]);
        s.handle_post_response(ms(2), Ok(()));
        assert_eq!(transmits(&mut s), []);
        assert!(s.is_writable());
    }

    #[test]
    fn posts_are_split_by_max_payload() {
        let mut s = Session::new(ms(0), plain(false), 1);
        let _ = transmits(&mut s);
        // Buffered before the handshake, flushed when it arrives.
        for m in ["aaaa", "bbbb", "c", "0123456789abcdef", "d"] {
            s.send(msg(m));
        }
        let small = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":11}"#;
        s.handle_poll_response(ms(0), Ok(small.into()));
        // "4aaaa\x1e4bbbb" is exactly 11 bytes; adding "\x1e4c" would be 14.
        assert_eq!(
            transmits(&mut s),
            [post("4aaaa\x1e4bbbb"), get(&sid_poll())]
        );
        s.handle_post_response(ms(1), Ok(()));
        assert_eq!(transmits(&mut s), [post("4c")]);
        // A packet over the limit goes alone.
        s.handle_post_response(ms(2), Ok(()));
        assert_eq!(transmits(&mut s), [post("40123456789abcdef")]);
        s.handle_post_response(ms(3), Ok(()));
        assert_eq!(transmits(&mut s), [post("4d")]);
    }

    #[test]
    fn close_packet_and_noop_from_the_server() {
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_poll_response(ms(1), Ok("6".into()));
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
        assert_eq!(events(&mut s), []);
        s.send(msg("a"));
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(2), Ok("4bye\x1e1\x1e4ignored".into()));
        assert_eq!(
            events(&mut s),
            [
                Event::Message(msg("bye")),
                Event::Close(CloseReason::TransportClose)
            ]
        );
        // The POST still in flight is aborted; no new GET.
        assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
        assert_eq!(s.state(), State::Closed);
    }

    #[test]
    fn going_offline_closes_at_once_except_on_localhost() {
        // On localhost (loopback works offline) the event is ignored.
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_offline(ms(1));
        assert_eq!(events(&mut s), []);
        assert_eq!(s.state(), State::Open);

        let mut c = plain(false);
        c.url.server = ServerUrl::parse("http://127.0.0.1:3000").unwrap();
        let mut s = Session::new(ms(0), c, 1);
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(0), Ok(HANDSHAKE.into()));
        let _ = transmits(&mut s);
        let _ = events(&mut s);
        s.handle_offline(ms(1));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
        assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
        assert_eq!(s.state(), State::Closed);
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn invalid_data_is_a_parse_error() {
        let mut s = open_polling(false, HANDSHAKE);
        s.handle_poll_response(ms(1), Ok("4ok\x1e9x".into()));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
        assert_eq!(transmits(&mut s), []);

        let mut c = plain(false);
        c.transports = vec![Transport::WebSocket];
        let mut s = Session::new(ms(0), c, 1);
        let _ = transmits(&mut s);
        s.handle_ws_open(ms(0));
        s.handle_ws_frame(ms(0), text("0{}"));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    }

    #[test]
    fn the_first_packet_must_be_the_handshake() {
        let mut s = Session::new(ms(0), plain(false), 1);
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(0), Ok("4hi".into()));
        assert!(matches!(
            events(&mut s).as_slice(),
            [Event::Close(CloseReason::ProtocolViolation(_))]
        ));
        assert_eq!(transmits(&mut s), []);
    }

    #[test]
    fn upgrade_to_websocket() {
        let mut s = probing();
        assert_eq!(s.transport(), Some(Transport::Polling));
        // While probing, long-polling carries the traffic.
        s.send(msg("during"));
        assert_eq!(transmits(&mut s), [post("4during")]);

        s.handle_ws_frame(ms(2), text("3probe"));
        assert_eq!(events(&mut s), [Event::Upgrading(Transport::WebSocket)]);
        assert!(s.is_upgrading());
        assert!(s.prior_websocket_success());
        // The GET and the POST are still in flight: pausing; new sends wait.
        s.send(msg("buffered"));
        assert_eq!(transmits(&mut s), []);
        s.handle_post_response(ms(3), Ok(()));
        assert_eq!(transmits(&mut s), []);
        // The server answers the pending GET with a noop; then the switch.
        s.handle_poll_response(ms(4), Ok("6".into()));
        assert_eq!(
            transmits(&mut s),
            [
                Transmit::WsSend(text("5")),
                Transmit::WsSend(text("4buffered"))
            ]
        );
        assert_eq!(events(&mut s), [Event::Upgrade(Transport::WebSocket)]);
        assert_eq!(s.transport(), Some(Transport::WebSocket));

        // From now on: frames only, no more GETs.
        s.send(msg("after"));
        s.handle_ws_frame(ms(25_000), text("2"));
        assert_eq!(
            transmits(&mut s),
            [
                Transmit::WsSend(text("4after")),
                Transmit::WsSend(text("3"))
            ]
        );
        assert_eq!(events(&mut s), [Event::Ping]);
    }

    #[test]
    fn a_ping_during_the_pause_is_answered_after_the_switch() {
        let mut s = probing();
        s.handle_ws_frame(ms(2), text("3probe"));
        let _ = events(&mut s);
        s.handle_poll_response(ms(3), Ok("2\x1e6".into()));
        assert_eq!(
            events(&mut s),
            [Event::Ping, Event::Upgrade(Transport::WebSocket)]
        );
        assert_eq!(
            transmits(&mut s),
            [Transmit::WsSend(text("5")), Transmit::WsSend(text("3"))]
        );
    }

    #[test]
    fn probe_closed_before_3probe_keeps_polling() {
        let mut s = probing();
        s.handle_ws_close(ms(2));
        assert_eq!(
            events(&mut s),
            [Event::UpgradeError(ProbeError::TransportClosed)]
        );
        assert_eq!(transmits(&mut s), []);
        assert_eq!(s.transport(), Some(Transport::Polling));
        s.handle_poll_response(ms(3), Ok("4still".into()));
        assert_eq!(events(&mut s), [Event::Message(msg("still"))]);
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    }

    #[test]
    fn probe_answered_with_anything_else_fails_and_is_closed() {
        let mut s = probing();
        s.handle_ws_frame(ms(2), text("4nope"));
        assert_eq!(
            events(&mut s),
            [Event::UpgradeError(ProbeError::UnexpectedPacket)]
        );
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert!(!s.prior_websocket_success());
        s.send(msg("x"));
        assert_eq!(transmits(&mut s), [post("4x")]);
    }

    #[test]
    fn probe_lost_during_the_pause_resumes_polling() {
        let mut s = probing();
        s.send(msg("in flight"));
        let _ = transmits(&mut s);
        s.handle_ws_frame(ms(2), text("3probe"));
        s.send(msg("waiting"));
        s.handle_ws_close(ms(3));
        assert_eq!(
            events(&mut s),
            [
                Event::Upgrading(Transport::WebSocket),
                Event::UpgradeError(ProbeError::TransportClosed)
            ]
        );
        // The GET is still in flight; the POST too, so "waiting" goes after it.
        assert_eq!(transmits(&mut s), []);
        s.handle_post_response(ms(4), Ok(()));
        assert_eq!(transmits(&mut s), [post("4waiting")]);
    }

    #[test]
    fn upgrade_needs_websocket_in_upgrades_and_transports_and_the_option() {
        let s = open_polling(true, HANDSHAKE_NO_UPGRADES);
        assert_eq!(s.ws, Ws::None);
        let s = open_polling(false, HANDSHAKE);
        assert_eq!(s.ws, Ws::None);
        let mut c = plain(true);
        c.transports = vec![Transport::Polling];
        let mut s = Session::new(ms(0), c, 1);
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(0), Ok(HANDSHAKE.into()));
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    }

    #[test]
    fn transport_failures_close_and_abort() {
        // A failed GET: the POST in flight is aborted.
        let mut s = open_polling(false, HANDSHAKE);
        s.send(msg("a"));
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(400)));
        assert_eq!(
            events(&mut s),
            [
                Event::Error(TransportError::HttpStatus(400)),
                Event::Close(CloseReason::TransportError)
            ]
        );
        assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
        s.send(msg("b"));
        s.handle_post_response(ms(2), Ok(()));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));

        // A failed POST: the GET in flight and the probe are dropped.
        let mut s = probing();
        s.send(msg("a"));
        let _ = transmits(&mut s);
        s.handle_post_response(ms(2), Err(TransportError::Network("reset".into())));
        assert_eq!(transmits(&mut s), [Transmit::PollAbort, Transmit::WsClose]);
        assert_eq!(
            events(&mut s),
            [
                Event::Error(TransportError::Network("reset".into())),
                Event::Close(CloseReason::TransportError)
            ]
        );

        // A WebSocket that goes away: "transport close".
        let mut s = probing();
        s.handle_ws_frame(ms(2), text("3probe"));
        s.handle_poll_response(ms(3), Ok("6".into()));
        let _ = (transmits(&mut s), events(&mut s));
        s.handle_ws_close(ms(4));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
        assert_eq!(transmits(&mut s), []);
    }

    #[test]
    fn failed_connection_tries_the_next_transport_only_when_asked() {
        let mut s = Session::new(ms(0), plain(true), 1);
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(403)));
        assert_eq!(
            events(&mut s),
            [
                Event::Error(TransportError::HttpStatus(403)),
                Event::Close(CloseReason::TransportError)
            ]
        );
        assert_eq!(transmits(&mut s), []);

        let mut c = plain(true);
        c.try_all_transports = true;
        let mut s = Session::new(ms(0), c, 1);
        let _ = transmits(&mut s);
        s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(403)));
        assert_eq!(events(&mut s), []);
        assert_eq!(transmits(&mut s), [Transmit::WsOpen { url: WS.into() }]);
        assert_eq!(s.transport(), Some(Transport::WebSocket));
        // The last one failing closes.
        s.handle_ws_close(ms(2));
        assert_eq!(
            events(&mut s),
            [
                Event::Error(TransportError::WebSocketClosed),
                Event::Close(CloseReason::TransportError)
            ]
        );
    }

    #[test]
    fn close_on_polling_flushes_then_posts_1() {
        let mut s = open_polling(false, HANDSHAKE);
        s.send(msg("a"));
        s.send(msg("b"));
        assert_eq!(transmits(&mut s), [post("4a")]);
        s.close(ms(1));
        assert_eq!(s.state(), State::Closing);
        // Sends after close() are dropped, as in the reference.
        s.send(msg("dropped"));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
        // Messages still arrive while closing.
        s.handle_poll_response(ms(2), Ok("4late".into()));
        assert_eq!(events(&mut s), [Event::Message(msg("late"))]);
        assert_eq!(transmits(&mut s), [get(&sid_poll())]);
        s.handle_post_response(ms(3), Ok(()));
        assert_eq!(transmits(&mut s), [post("4b")]);
        s.handle_post_response(ms(4), Ok(()));
        assert_eq!(transmits(&mut s), [post("1")]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
        assert_eq!(s.state(), State::Closed);
        // Idempotent, and the answers to the last requests are ignored.
        s.close(ms(5));
        s.handle_post_response(ms(5), Ok(()));
        s.handle_poll_response(ms(5), Ok("1".into()));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
    }

    #[test]
    fn close_on_websocket_sends_1_and_closes() {
        let mut s = probing();
        s.handle_ws_frame(ms(2), text("3probe"));
        s.close(ms(2));
        // Waits for the switch: the GET is in flight.
        assert_eq!(transmits(&mut s), []);
        s.handle_poll_response(ms(3), Ok("6".into()));
        assert_eq!(
            transmits(&mut s),
            [
                Transmit::WsSend(text("5")),
                Transmit::WsSend(text("1")),
                Transmit::WsClose
            ]
        );
        assert_eq!(
            events(&mut s),
            [
                Event::Upgrading(Transport::WebSocket),
                Event::Upgrade(Transport::WebSocket),
                Event::Close(CloseReason::ForcedClose),
            ]
        );
        s.close(ms(4));
        s.handle_ws_close(ms(4));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
    }

    #[test]
    fn close_while_probing_closes_the_probe() {
        let mut s = probing();
        s.close(ms(2));
        assert_eq!(transmits(&mut s), [post("1"), Transmit::WsClose]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    }

    #[test]
    fn close_before_the_handshake_aborts() {
        let mut s = Session::new(ms(0), plain(true), 1);
        let _ = transmits(&mut s);
        s.send(msg("never"));
        s.close(ms(1));
        assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
        s.handle_poll_response(ms(2), Ok(HANDSHAKE.into()));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
    }

    #[test]
    fn remember_upgrade_opens_on_websocket_next_time() {
        let mut s = probing();
        s.handle_ws_frame(ms(2), text("3probe"));
        s.handle_poll_response(ms(3), Ok("6".into()));
        assert!(s.prior_websocket_success());

        let mut c = plain(true);
        c.remember_upgrade = true;
        c.prior_websocket_success = s.prior_websocket_success();
        let mut next = Session::new(ms(0), c.clone(), 1);
        assert_eq!(transmits(&mut next), [Transmit::WsOpen { url: WS.into() }]);
        // It failing resets the memory, as a transport error does in the reference.
        next.handle_ws_close(ms(1));
        assert!(!next.prior_websocket_success());

        c.remember_upgrade = false;
        let mut s = Session::new(ms(0), c, 1);
        assert_eq!(transmits(&mut s), [get(POLL)]);
    }

    #[test]
    fn no_transports_closes_at_once() {
        let mut c = plain(true);
        c.transports = vec![];
        let mut s = Session::new(ms(0), c, 1);
        assert_eq!(s.transport(), None);
        assert_eq!(transmits(&mut s), []);
        assert_eq!(
            events(&mut s),
            [
                Event::Error(TransportError::NoTransports),
                Event::Close(CloseReason::TransportError)
            ]
        );
    }
}
