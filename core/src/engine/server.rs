//! The Engine.IO v4 server session: one client's handshake, heartbeat, polling rules, upgrade and
//! close, as a sans-IO state machine. Behaviour follows engine.io 6.6 (`Socket` with its `Polling` and
//! `WebSocket` transports); the driver (the tokio server) owns sockets, HTTP, timers and the session
//! table.
//!
//! # Call order
//!
//! ```text
//! Session::new(now, sid, transport, config)   after the driver checked EIO=4, the transport name
//!                                             (against config.transports) and that there is no sid
//!   polling:   the handshake GET is the first poll: handle_poll_get(now) -> Respond("0{...}")
//!   websocket: poll_transmit() -> WsSend(Text("0{...,\"upgrades\":[],...}")), the first frame
//!
//! then, for every input, one call:
//!   GET  ?sid=..            handle_poll_get(now)             Respond(body) now, or Wait (parked)
//!   GET  client went away   handle_poll_get_aborted(now)     (closes the session, as the reference)
//!   POST ?sid=.. headers    handle_poll_post_start(now, octet_stream)
//!   POST body complete      handle_poll_post(now, body)      Ok => 200 "ok"
//!   POST client went away   handle_poll_post_aborted(now)
//!   WebSocket ?sid=..       handle_ws_upgrade(now)           Ok => accept; it is the upgrade probe
//!   WebSocket frame/closed  handle_ws_frame(now, frame) / handle_ws_close(now)
//!   WebSocket failed        handle_ws_error(now)             (a protocol error, a message too big)
//!   timer fired             handle_timeout(now)
//!   application             send(msg) / close(now)
//!
//! after every call: drain poll_transmit() and poll_event() until both return None, then arm one
//! timer for poll_timeout(). When is_closed(), drop the session and forget its sid.
//! ```
//!
//! [`Transmit::PollResponse`] answers the parked GET (the one that got [`GetOutcome::Wait`]). There
//! is at most one WebSocket per session (the probe, which becomes the transport on upgrade, or the
//! one the session was opened on), so [`Transmit::WsSend`] and [`Transmit::WsClose`] need no name.
//!
//! # Errors and their HTTP answers
//!
//! Handlers return a [`RequestError`] where the reference refuses the request; the driver answers it
//! as the reference does. `{"code":N,"message":"..."}` bodies are `application/json`.
//!
//! | error | reference answer | the session |
//! |---|---|---|
//! | [`RequestError::Closed`] | 400 `{"code":1,"message":"Session ID unknown"}` (the reference forgets a closed sid); a WebSocket is refused | closed |
//! | [`RequestError::TransportMismatch`] | 400 `{"code":3,"message":"Bad request"}` | unchanged |
//! | [`RequestError::GetOverlap`] | 400, empty body | closed; the first GET got `1` |
//! | [`RequestError::PostOverlap`] | 400, empty body | closed |
//! | [`RequestError::BinaryContent`] | 400, empty body | closed |
//! | [`RequestError::PayloadTooLarge`] | 413, empty body | unchanged |
//! | [`RequestError::UpgradeInProgress`], [`RequestError::AlreadyUpgraded`] | the WebSocket is closed (the reference accepts it, then `close()`s it) | unchanged |
//! | [`RequestError::UpgradeNotAllowed`] | 400 `{"code":3,"message":"Bad request"}` instead of upgrading | unchanged |
//!
//! Errors found before a session is looked up are the driver's alone: a missing or unknown `EIO`
//! (400 `{"code":5,"message":"Unsupported protocol version"}`), a transport not in
//! `config.transports` (400 `{"code":0,"message":"Transport unknown"}`), an unknown sid (400
//! `{"code":1,"message":"Session ID unknown"}`), a handshake that is not a GET (400
//! `{"code":2,"message":"Bad handshake method"}`).
//!
//! # Bounds
//!
//! Everything the peer controls is bounded: one parked GET and one POST in flight; a POST body is at
//! most `max_payload` bytes (a driver may stop reading at `max_payload + 1` bytes and pass what it
//! has: anything longer is refused whole); a WebSocket frame over `max_payload` closes the session
//! (the driver should also cap its WebSocket messages there, as the reference's `ws` does); one
//! input yields at most one event per packet it carries and a few transmits, drained before the
//! next input. The outgoing buffer grows only with [`Session::send`] while a polling client is not
//! polling: heartbeats close a silent client after `ping_interval + ping_timeout`, but a client that
//! polls slower than the application sends is the driver's policy to judge, with
//! [`Session::buffered_len`] and [`Session::buffered_bytes`].

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::payload::{self, PayloadError};
use super::{CloseReason, Frame, Handshake, Message, Packet, Sid, Transport};
use crate::time::{Instant, TimerKey, Timers};

/// How long a polling session that was asked to close waits for the next GET to carry its `1`
/// (the reference's fixed `closeTimeout` of the polling transport).
pub const POLLING_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's Engine.IO options; the defaults are engine.io 6.6's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How often the server pings (`pingInterval`, 25 s).
    pub ping_interval: Duration,
    /// How long the server waits for the pong after queueing a ping (`pingTimeout`, 20 s).
    pub ping_timeout: Duration,
    /// The most bytes in one POST body or WebSocket message (`maxHttpBufferSize`, 1 000 000),
    /// announced as `maxPayload`.
    pub max_payload: u64,
    /// How long a probing WebSocket may take to send `5` (`upgradeTimeout`, 10 s).
    pub upgrade_timeout: Duration,
    /// Whether polling sessions may upgrade to WebSocket (`allowUpgrades`, true).
    pub allow_upgrades: bool,
    /// The transports the server accepts (`transports`, polling and websocket).
    pub transports: Vec<Transport>,
    /// The most bytes of packets that may wait for the client (10 000 000): a client that reads
    /// more slowly than the server writes to it, or a polling client that stops polling, is
    /// closed with `transport error` once more than this waits, instead of growing the server's
    /// memory until its heartbeat runs out. The reference has no such bound. Drivers apply the
    /// same bound to what waits in their WebSocket writers.
    pub max_buffered_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_millis(10_000),
            allow_upgrades: true,
            transports: vec![Transport::Polling, Transport::WebSocket],
            max_buffered_bytes: 10_000_000,
        }
    }
}

impl Config {
    /// Whether a session on `from` may upgrade to WebSocket: only polling, only when upgrades are
    /// allowed and WebSocket is an accepted transport.
    fn may_upgrade(&self, from: Transport) -> bool {
        from == Transport::Polling
            && self.allow_upgrades
            && self.transports.contains(&Transport::WebSocket)
    }
}

/// Where a session is in its life (the reference's `readyState`, without `opening`: a session is
/// open as soon as it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadyState {
    /// Packets flow both ways.
    Open,
    /// [`Session::close`] was called on a polling session with no GET parked: the next GET carries
    /// the buffered packets and `1`. Nothing new is sent and received packets are ignored.
    Closing,
    /// Over; [`Event::Close`] was emitted. Every request gets [`RequestError::Closed`].
    Closed,
}

/// What to do with a polling GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GetOutcome {
    /// Answer it now with this payload (200, `text/plain; charset=UTF-8`).
    Respond(String),
    /// Keep it open: a later [`Transmit::PollResponse`] answers it.
    Wait,
}

/// What the driver must do on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Answer the parked GET with this payload (200, `text/plain; charset=UTF-8`).
    PollResponse(String),
    /// Send this frame on the session's WebSocket.
    WsSend(Frame),
    /// Close the session's WebSocket (after sending the frames before it).
    WsClose,
}

/// What the session tells the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client sent a message.
    Message(Message),
    /// The client answered a ping (`3`).
    Heartbeat,
    /// The probe WebSocket answered `2probe` with `3probe`: the upgrade is under way
    /// (the reference's `upgrading`).
    Upgrading,
    /// The client sent `5`: the session now runs on this transport (the reference's `upgrade`).
    Upgrade(Transport),
    /// The session is over; emitted once.
    Close(CloseReason),
}

/// Why the session refused a request. Each variant says what the reference answers; see the module
/// docs for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The session is closed (or closing, for a WebSocket). HTTP 400
    /// `{"code":1,"message":"Session ID unknown"}`, as for a sid the server never had.
    Closed,
    /// A polling request on a session that runs on WebSocket (upgraded, or opened on it). HTTP 400
    /// `{"code":3,"message":"Bad request"}` (the reference's `TRANSPORT_MISMATCH`).
    TransportMismatch,
    /// A second GET while one is parked ("overlap from client"). HTTP 400, empty body. The session
    /// is closed and the parked GET was answered with `1`.
    GetOverlap,
    /// A second POST while one is in flight ("data request overlap from client"). HTTP 400, empty
    /// body. The session is closed.
    PostOverlap,
    /// A POST with `Content-Type: application/octet-stream`: v4 sends binary as base64 text
    /// ("invalid content"). HTTP 400, empty body. The session is closed.
    BinaryContent,
    /// A POST body over `max_payload` bytes. HTTP 413, empty body. The session stays open here;
    /// engine.io 6.6.13 closes it, so a driver that reads the body itself reports such a POST
    /// with [`Session::handle_poll_post_aborted`] instead (sockeye-server does).
    PayloadTooLarge,
    /// A WebSocket while another is probing ("transport has already been trying to upgrade"). The
    /// driver closes the new WebSocket.
    UpgradeInProgress,
    /// A WebSocket on a session that already runs on WebSocket ("transport had already been
    /// upgraded"). The driver closes the new WebSocket.
    AlreadyUpgraded,
    /// A WebSocket for a polling session while upgrades are off (`allow_upgrades` false or WebSocket
    /// not in `transports`). HTTP 400 `{"code":3,"message":"Bad request"}` instead of upgrading.
    UpgradeNotAllowed,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestError::Closed => "session closed",
            RequestError::TransportMismatch => "polling request on a websocket session",
            RequestError::GetOverlap => "overlap from client",
            RequestError::PostOverlap => "data request overlap from client",
            RequestError::BinaryContent => "invalid content: binary polling body",
            RequestError::PayloadTooLarge => "polling body exceeds maxPayload",
            RequestError::UpgradeInProgress => "an upgrade is already in progress",
            RequestError::AlreadyUpgraded => "session already runs on websocket",
            RequestError::UpgradeNotAllowed => "upgrades are not allowed",
        })
    }
}

impl core::error::Error for RequestError {}

/// The session's deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// Queue the next ping.
    Ping,
    /// The pong to the last ping is late: close with `ping timeout`.
    PongDeadline,
    /// The probe WebSocket did not send `5` in time: close it.
    Upgrade,
    /// A closing polling session got no GET to carry its `1`.
    Close,
}

impl TimerKey for Timer {
    const ALL: &'static [Self] = &[
        Timer::Ping,
        Timer::PongDeadline,
        Timer::Upgrade,
        Timer::Close,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// The session's WebSocket, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ws {
    /// None open.
    None,
    /// Accepted for an upgrade; waiting for `2probe`.
    Probing,
    /// `3probe` sent: every GET is answered at once (`6` if nothing is buffered); waiting for `5`.
    Probed,
    /// The session's transport.
    Active,
}

/// One Engine.IO session on the server.
///
/// The call order is in the [module docs](self): `new`, then one `handle_*` or command per input,
/// then drain [`poll_transmit`](Session::poll_transmit) and [`poll_event`](Session::poll_event) and
/// arm a timer for [`poll_timeout`](Session::poll_timeout).
#[derive(Debug)]
pub struct Session {
    sid: Sid,
    config: Config,
    transport: Transport,
    state: ReadyState,
    ws: Ws,
    /// A GET is parked. Invariant: then the buffer is empty (a queued packet answers it at once).
    get_parked: bool,
    post_in_flight: bool,
    /// Packets waiting for a GET (polling only: WebSocket sends at once).
    buffer: VecDeque<Packet>,
    /// The buffer's payload length, separators included.
    buffered_bytes: usize,
    timers: Timers<Timer>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Session {
    /// A new session on `transport`, with its open packet queued: a polling session answers its
    /// handshake GET with it (call [`handle_poll_get`](Session::handle_poll_get) for that GET), a
    /// WebSocket session sends it as its first frame. The first ping is due `ping_interval` later.
    pub fn new(now: Instant, sid: Sid, transport: Transport, config: Config) -> Session {
        let upgrades = if config.may_upgrade(transport) {
            vec![Transport::WebSocket]
        } else {
            Vec::new()
        };
        let handshake = Handshake {
            sid: sid.clone(),
            upgrades,
            ping_interval: config.ping_interval,
            ping_timeout: config.ping_timeout,
            max_payload: config.max_payload,
        };
        let mut timers = Timers::default();
        timers.set(Timer::Ping, now + config.ping_interval);
        let mut session = Session {
            sid,
            config,
            transport,
            state: ReadyState::Open,
            ws: if transport == Transport::WebSocket {
                Ws::Active
            } else {
                Ws::None
            },
            get_parked: false,
            post_in_flight: false,
            // Room for one (see `socket::server::Client::new`).
            buffer: VecDeque::with_capacity(1),
            buffered_bytes: 0,
            timers,
            transmits: VecDeque::with_capacity(1),
            events: VecDeque::with_capacity(1),
        };
        session.queue(Packet::Open(handshake));
        session
    }

    // ---- getters ----

    /// The session id.
    pub fn sid(&self) -> &Sid {
        &self.sid
    }

    /// The options the session runs with (the driver reads `max_payload` to bound request bodies).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The transport packets flow on now: polling until an upgrade completes.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Open, closing or closed.
    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// Whether the session is over: the driver drops it and forgets its sid.
    pub fn is_closed(&self) -> bool {
        self.state == ReadyState::Closed
    }

    /// Whether a WebSocket is probing for an upgrade.
    pub fn is_upgrading(&self) -> bool {
        matches!(self.ws, Ws::Probing | Ws::Probed)
    }

    /// Whether a polling GET is parked, so that a packet sent now leaves at once: the reference's
    /// polling `writable`, which decides whether a volatile packet is sent or dropped.
    pub fn has_parked_get(&self) -> bool {
        self.get_parked
    }

    /// How many packets wait for the client's next GET.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// How many bytes the next GET's payload would have (the driver's slow-consumer measure).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    // ---- polling ----

    /// A GET for this session (the handshake GET included). Packets waiting are answered at once,
    /// all in one payload; otherwise the GET is parked until there is something to send. During an
    /// upgrade every GET is answered at once, with `6` if nothing is waiting. A second GET while one
    /// is parked closes the session.
    pub fn handle_poll_get(&mut self, now: Instant) -> Result<GetOutcome, RequestError> {
        let _ = now; // a GET starts no timer
        self.check_polling()?;
        if self.get_parked {
            self.finish(CloseReason::ProtocolViolation("overlap from client"));
            return Err(RequestError::GetOverlap);
        }
        if self.state == ReadyState::Closing {
            if !self.buffer.is_empty() {
                // The packets first, `1` in the next GET, as the reference does (its close waits
                // for the buffer to drain). Its client dispatches Socket.IO packets a tick after
                // the payload is read but closes at once on `1`: a DISCONNECT sharing a payload
                // with `1` would reach a socket already closed by `transport close`.
                return Ok(GetOutcome::Respond(self.take_payload(None)));
            }
            let body = self.take_payload(Some(Packet::Close));
            self.finish(CloseReason::ForcedClose);
            return Ok(GetOutcome::Respond(body));
        }
        if !self.buffer.is_empty() {
            return Ok(GetOutcome::Respond(self.take_payload(None)));
        }
        if self.ws == Ws::Probed {
            return Ok(GetOutcome::Respond(self.take_payload(Some(Packet::Noop))));
        }
        self.get_parked = true;
        Ok(GetOutcome::Wait)
    }

    /// The parked GET's client went away before it was answered: the reference closes the session
    /// ("poll connection closed prematurely", reason `transport error`). Ignored when no GET is
    /// parked (it was answered already).
    pub fn handle_poll_get_aborted(&mut self, now: Instant) {
        let _ = now;
        if self.get_parked {
            self.get_parked = false;
            self.finish(CloseReason::TransportError);
        }
    }

    /// A POST's headers arrived; `octet_stream` is whether its `Content-Type` is
    /// `application/octet-stream`, which v4 refuses. One POST at a time: a second closes the session.
    /// Then read the body (at most `config().max_payload + 1` bytes) and call
    /// [`handle_poll_post`](Session::handle_poll_post).
    pub fn handle_poll_post_start(
        &mut self,
        now: Instant,
        octet_stream: bool,
    ) -> Result<(), RequestError> {
        let _ = now;
        self.check_polling()?;
        if self.post_in_flight {
            self.finish(CloseReason::ProtocolViolation(
                "data request overlap from client",
            ));
            return Err(RequestError::PostOverlap);
        }
        if octet_stream {
            self.finish(CloseReason::ProtocolViolation("invalid content"));
            return Err(RequestError::BinaryContent);
        }
        self.post_in_flight = true;
        Ok(())
    }

    /// A POST's whole body (the driver decodes it as UTF-8, lossily as the reference does): a
    /// payload of `\x1e`-separated packets, `b` + base64 for binary messages. `Ok` is answered 200
    /// `ok`, also when bad packet data closed the session (as the reference does). Ends the POST
    /// begun by [`handle_poll_post_start`](Session::handle_poll_post_start); without one, this call
    /// is the whole POST (and a concurrent POST cannot be detected).
    pub fn handle_poll_post(&mut self, now: Instant, body: &str) -> Result<(), RequestError> {
        if self.post_in_flight {
            // Begun before an upgrade completed: its packets were sent on polling and still count.
            self.post_in_flight = false;
        } else {
            self.check_polling()?;
        }
        let max = usize::try_from(self.config.max_payload).unwrap_or(usize::MAX);
        let packets = match payload::decode(body, max) {
            Ok(packets) => packets,
            Err(PayloadError::TooLarge { .. }) => return Err(RequestError::PayloadTooLarge),
            Err(_) => {
                self.finish(CloseReason::ParseError);
                return Ok(());
            }
        };
        for packet in packets {
            if self.state == ReadyState::Closed {
                break;
            }
            self.on_packet(now, packet);
        }
        Ok(())
    }

    /// The POST's client went away before its body was read: the reference closes the session
    /// ("data request connection closed prematurely", reason `transport error`).
    pub fn handle_poll_post_aborted(&mut self, now: Instant) {
        let _ = now;
        if self.post_in_flight {
            self.post_in_flight = false;
            self.finish(CloseReason::TransportError);
        }
    }

    // ---- websocket ----

    /// A WebSocket arrived for this sid: the upgrade probe. On `Ok` the driver keeps it and feeds its
    /// frames to [`handle_ws_frame`](Session::handle_ws_frame); the client must send `2probe`, then
    /// `5` within `upgrade_timeout`.
    pub fn handle_ws_upgrade(&mut self, now: Instant) -> Result<(), RequestError> {
        if self.state != ReadyState::Open {
            return Err(RequestError::Closed);
        }
        if self.transport == Transport::WebSocket {
            return Err(RequestError::AlreadyUpgraded);
        }
        if self.ws != Ws::None {
            return Err(RequestError::UpgradeInProgress);
        }
        if !self.config.may_upgrade(self.transport) {
            return Err(RequestError::UpgradeNotAllowed);
        }
        self.ws = Ws::Probing;
        self.timers
            .set(Timer::Upgrade, now + self.config.upgrade_timeout);
        Ok(())
    }

    /// A frame from the session's WebSocket (the probe, or the transport).
    pub fn handle_ws_frame(&mut self, now: Instant, frame: Frame) {
        if self.state == ReadyState::Closed {
            return;
        }
        match self.ws {
            Ws::None => {}
            Ws::Probing | Ws::Probed => match Packet::decode_frame(frame) {
                Ok(Packet::PingProbe) => self.answer_probe(),
                Ok(Packet::Upgrade) => self.complete_upgrade(),
                // Anything else on a probe, as in the reference: the probe failed, polling goes on.
                _ => self.abort_probe(),
            },
            Ws::Active if self.exceeds_max_payload(&frame) => {
                self.finish(CloseReason::TransportError)
            }
            Ws::Active => match Packet::decode_frame(frame) {
                Ok(packet) => self.on_packet(now, packet),
                Err(_) => self.finish(CloseReason::ParseError),
            },
        }
    }

    /// The session's WebSocket closed (by the peer or on an error). A probe's close ends the upgrade
    /// attempt; the transport's closes the session (`transport close`).
    pub fn handle_ws_close(&mut self, now: Instant) {
        let _ = now;
        match self.ws {
            Ws::None => {}
            Ws::Probing | Ws::Probed => {
                self.ws = Ws::None;
                self.timers.stop(Timer::Upgrade);
            }
            Ws::Active => {
                self.ws = Ws::None;
                self.finish(CloseReason::TransportClose);
            }
        }
    }

    /// The session's WebSocket failed while open: a WebSocket protocol error, or a message over
    /// the driver's cap at `max_payload` (the reference's `ws` emits `error` for both, then
    /// closes). A probe's failure ends the upgrade attempt; the transport's closes the session
    /// (`transport error`). Either way [`Transmit::WsClose`] asks the driver to close it.
    pub fn handle_ws_error(&mut self, now: Instant) {
        let _ = now;
        match self.ws {
            Ws::None => {}
            Ws::Probing | Ws::Probed => self.abort_probe(),
            Ws::Active => self.finish(CloseReason::TransportError),
        }
    }

    // ---- timers ----

    /// A deadline from [`poll_timeout`](Session::poll_timeout) passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in self.timers.expired(now) {
            if self.state == ReadyState::Closed {
                break;
            }
            match timer {
                Timer::Ping => {
                    // The pong deadline runs from the moment the ping is queued, carried or not.
                    self.queue(Packet::Ping);
                    self.timers
                        .set(Timer::PongDeadline, now + self.config.ping_timeout);
                }
                Timer::PongDeadline => self.finish(CloseReason::PingTimeout),
                Timer::Upgrade => self.abort_probe(),
                Timer::Close => self.finish(CloseReason::ForcedClose),
            }
        }
    }

    /// The earliest deadline: arm one timer for it and call [`handle_timeout`](Session::handle_timeout).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    // ---- commands ----

    /// Sends a message to the client: over WebSocket at once, over polling in the parked GET or the
    /// next one. Dropped once the session is closing or closed, as the reference does.
    pub fn send(&mut self, msg: Message) {
        self.queue(Packet::from(msg));
    }

    /// Queues several messages and sends them together: a parked GET is answered with all of
    /// them in one payload, so a packet and its binary attachments are never split over two
    /// polling responses.
    pub fn send_all(&mut self, msgs: impl IntoIterator<Item = Message>) {
        if self.state != ReadyState::Open {
            return;
        }
        for msg in msgs {
            self.push(Packet::from(msg));
        }
        self.flush();
        self.check_buffer();
    }

    /// Closes the session (reason `forced close`) after the packets already queued: a WebSocket
    /// session sends `1` and closes the WebSocket; a polling session answers the parked GET with `1`
    /// or, with none parked, waits up to [`POLLING_CLOSE_TIMEOUT`] for the next GETs to carry the
    /// buffered packets, then `1` (in a GET of its own, as the reference sends it).
    pub fn close(&mut self, now: Instant) {
        if self.state != ReadyState::Open {
            return;
        }
        if self.transport == Transport::WebSocket {
            self.flush();
            self.transmits
                .push_back(Transmit::WsSend(Packet::Close.into_frame()));
            self.finish(CloseReason::ForcedClose);
        } else if self.get_parked {
            self.finish(CloseReason::ForcedClose);
        } else {
            self.state = ReadyState::Closing;
            self.timers.stop(Timer::Ping);
            self.timers.stop(Timer::PongDeadline);
            self.timers.set(Timer::Close, now + POLLING_CLOSE_TIMEOUT);
        }
    }

    /// Closes now, without waiting for a GET to carry the close packet: the reference's
    /// `close(discard = true)`, which its server uses when it shuts down. A parked GET or a
    /// WebSocket still gets `1`; a polling client that is not polling learns of it from its next
    /// request (unknown session).
    pub fn discard(&mut self, now: Instant) {
        self.close(now);
        if self.state == ReadyState::Closing {
            self.finish(CloseReason::ForcedClose);
        }
    }

    // ---- outputs ----

    /// The next thing to do on the wire.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing to tell the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ---- internals ----

    /// The checks every polling request passes first.
    fn check_polling(&self) -> Result<(), RequestError> {
        if self.state == ReadyState::Closed {
            return Err(RequestError::Closed);
        }
        if self.transport != Transport::Polling {
            return Err(RequestError::TransportMismatch);
        }
        Ok(())
    }

    /// Whether a frame is over `max_payload` (the reference's `ws` refuses it as an error).
    fn exceeds_max_payload(&self, frame: &Frame) -> bool {
        let len = match frame {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        };
        u64::try_from(len).map_or(true, |len| len > self.config.max_payload)
    }

    /// A packet from the client on the session's transport.
    fn on_packet(&mut self, now: Instant, packet: Packet) {
        if packet == Packet::Close {
            // A polling client's goodbye completes its parked GET with a noop.
            if self.get_parked {
                self.get_parked = false;
                let body = self.take_payload(Some(Packet::Noop));
                self.transmits.push_back(Transmit::PollResponse(body));
            }
            self.finish(CloseReason::TransportClose);
            return;
        }
        if self.state != ReadyState::Open {
            return;
        }
        match packet {
            // In v4 only the server pings; `2probe` belongs on a probe WebSocket.
            Packet::Ping | Packet::PingProbe => {
                self.finish(CloseReason::ProtocolViolation(
                    "invalid heartbeat direction",
                ));
            }
            Packet::Pong | Packet::PongProbe => {
                self.timers.stop(Timer::PongDeadline);
                self.timers
                    .set(Timer::Ping, now + self.config.ping_interval);
                self.events.push_back(Event::Heartbeat);
            }
            Packet::Message(text) => self.events.push_back(Event::Message(Message::Text(text))),
            Packet::Binary(bytes) => self
                .events
                .push_back(Event::Message(Message::Binary(bytes))),
            // Server-to-client packets, and `5` outside a probe: the reference ignores them.
            Packet::Open(_) | Packet::Close | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// `2probe` on the probe WebSocket: answer `3probe`, and from now on answer every GET at once so
    /// the client's polling can pause.
    fn answer_probe(&mut self) {
        self.transmits
            .push_back(Transmit::WsSend(Packet::PongProbe.into_frame()));
        self.ws = Ws::Probed;
        self.events.push_back(Event::Upgrading);
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Noop));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }

    /// `5` on the probe WebSocket: it becomes the transport and gets everything buffered.
    fn complete_upgrade(&mut self) {
        self.timers.stop(Timer::Upgrade);
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Noop));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
        self.ws = Ws::Active;
        self.transport = Transport::WebSocket;
        self.events.push_back(Event::Upgrade(Transport::WebSocket));
        self.flush();
        if self.state == ReadyState::Closing {
            self.transmits
                .push_back(Transmit::WsSend(Packet::Close.into_frame()));
            self.finish(CloseReason::ForcedClose);
        }
    }

    /// The probe failed or timed out: close it; the session stays on polling.
    fn abort_probe(&mut self) {
        if matches!(self.ws, Ws::Probing | Ws::Probed) {
            self.ws = Ws::None;
            self.timers.stop(Timer::Upgrade);
            self.transmits.push_back(Transmit::WsClose);
        }
    }

    /// Buffers a packet for the client and sends what the transport can carry now.
    fn queue(&mut self, packet: Packet) {
        if self.state != ReadyState::Open {
            return;
        }
        self.push(packet);
        self.flush();
        self.check_buffer();
    }

    /// Closes the session when more than `max_buffered_bytes` wait for the client.
    fn check_buffer(&mut self) {
        if u64::try_from(self.buffered_bytes).map_or(true, |n| n > self.config.max_buffered_bytes) {
            self.finish(CloseReason::TransportError);
        }
    }

    /// Appends to the buffer without flushing it.
    fn push(&mut self, packet: Packet) {
        self.buffered_bytes += packet.encoded_len() + usize::from(!self.buffer.is_empty());
        self.buffer.push_back(packet);
    }

    /// Sends the buffer if the transport is writable: WebSocket always, polling with a GET parked.
    fn flush(&mut self) {
        if self.state == ReadyState::Closed || self.buffer.is_empty() {
            return;
        }
        if self.transport == Transport::WebSocket {
            self.buffered_bytes = 0;
            while let Some(packet) = self.buffer.pop_front() {
                self.transmits
                    .push_back(Transmit::WsSend(packet.into_frame()));
            }
        } else if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(None);
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }

    /// The buffer as one polling payload, with `last` after it (or alone), emptying the buffer.
    fn take_payload(&mut self, last: Option<Packet>) -> String {
        let mut out = String::with_capacity(self.buffered_bytes + 2);
        payload::encode(self.buffer.iter().chain(last.as_ref()), &mut out);
        self.buffer.clear();
        self.buffered_bytes = 0;
        out
    }

    /// The session is over (the reference's `onClose`): a parked GET gets `1`, the WebSocket is
    /// closed, timers and buffers are dropped, and `Close` is emitted once.
    fn finish(&mut self, reason: CloseReason) {
        if self.state == ReadyState::Closed {
            return;
        }
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Close));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
        if self.ws != Ws::None {
            self.ws = Ws::None;
            self.transmits.push_back(Transmit::WsClose);
        }
        self.state = ReadyState::Closed;
        self.timers.clear();
        self.buffer.clear();
        self.buffered_bytes = 0;
        self.post_in_flight = false;
        self.events.push_back(Event::Close(reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const OPEN: &str = r#"0{"sid":"sid1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    const OPEN_WS: &str = r#"0{"sid":"sid1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn sid() -> Sid {
        Sid::new("sid1").unwrap()
    }

    fn text(s: &str) -> Frame {
        Frame::Text(s.to_string())
    }

    fn respond(body: &str) -> Result<GetOutcome, RequestError> {
        Ok(GetOutcome::Respond(body.to_string()))
    }

    fn poll_response(body: &str) -> Transmit {
        Transmit::PollResponse(body.to_string())
    }

    fn ws_send(s: &str) -> Transmit {
        Transmit::WsSend(text(s))
    }

    fn message(s: &str) -> Event {
        Event::Message(Message::Text(s.to_string()))
    }

    fn transmits(s: &mut Session) -> Vec<Transmit> {
        core::iter::from_fn(|| s.poll_transmit()).collect()
    }

    fn events(s: &mut Session) -> Vec<Event> {
        core::iter::from_fn(|| s.poll_event()).collect()
    }

    fn post(s: &mut Session, now: u64, body: &str) -> Result<(), RequestError> {
        s.handle_poll_post_start(at(now), false)?;
        s.handle_poll_post(at(now), body)
    }

    /// A polling session whose handshake GET was answered at 0 ms.
    fn polling_with(config: Config) -> Session {
        let mut s = Session::new(at(0), sid(), Transport::Polling, config);
        let Ok(GetOutcome::Respond(open)) = s.handle_poll_get(at(0)) else {
            panic!("no open packet")
        };
        assert!(open.starts_with(r#"0{"sid":"sid1","#), "{open}");
        s
    }

    fn polling() -> Session {
        polling_with(Config::default())
    }

    /// A WebSocket session whose open frame was sent at 0 ms.
    fn websocket() -> Session {
        let mut s = Session::new(at(0), sid(), Transport::WebSocket, Config::default());
        assert_eq!(transmits(&mut s), [ws_send(OPEN_WS)]);
        s
    }

    #[test]
    fn the_handshake_get_is_answered_with_the_open_packet() {
        let mut s = Session::new(at(0), sid(), Transport::Polling, Config::default());
        assert_eq!(
            transmits(&mut s),
            [],
            "the open packet waits for the handshake GET"
        );
        assert_eq!(s.handle_poll_get(at(0)), respond(OPEN));
        assert_eq!(s.transport(), Transport::Polling);
        assert_eq!(s.ready_state(), ReadyState::Open);
        assert_eq!(s.sid().as_str(), "sid1");
        assert_eq!(s.poll_timeout(), Some(at(25_000)));
        assert_eq!(transmits(&mut s), []);
        assert_eq!(events(&mut s), []);
        assert_eq!(s.handle_poll_get(at(10)), Ok(GetOutcome::Wait));
    }

    #[test]
    fn a_websocket_session_sends_open_first_and_offers_no_upgrades() {
        let mut s = websocket();
        assert_eq!(s.transport(), Transport::WebSocket);
        assert_eq!(s.buffered_len(), 0);
        assert_eq!(
            s.handle_poll_get(at(1)),
            Err(RequestError::TransportMismatch)
        );
        assert_eq!(
            s.handle_ws_upgrade(at(1)),
            Err(RequestError::AlreadyUpgraded)
        );
        assert_eq!(s.poll_timeout(), Some(at(25_000)));
    }

    #[test]
    fn upgrades_are_offered_only_when_allowed() {
        let open_without_upgrades = OPEN.replace(r#"["websocket"]"#, "[]");
        for config in [
            Config {
                allow_upgrades: false,
                ..Config::default()
            },
            Config {
                transports: vec![Transport::Polling],
                ..Config::default()
            },
        ] {
            let mut s = Session::new(at(0), sid(), Transport::Polling, config);
            assert_eq!(s.handle_poll_get(at(0)), respond(&open_without_upgrades));
            assert_eq!(
                s.handle_ws_upgrade(at(1)),
                Err(RequestError::UpgradeNotAllowed)
            );
            assert!(!s.is_upgrading());
        }
        let custom = Config {
            ping_interval: Duration::from_millis(300),
            max_payload: 10,
            ..Config::default()
        };
        let mut s = Session::new(at(0), sid(), Transport::Polling, custom);
        assert_eq!(
            s.handle_poll_get(at(0)),
            respond(
                r#"0{"sid":"sid1","upgrades":["websocket"],"pingInterval":300,"pingTimeout":20000,"maxPayload":10}"#
            )
        );
    }

    #[test]
    fn pings_every_interval_and_a_pong_schedules_the_next() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(1_000)), Ok(GetOutcome::Wait));
        s.handle_timeout(at(25_000));
        assert_eq!(transmits(&mut s), [poll_response("2")]);
        assert_eq!(s.poll_timeout(), Some(at(45_000)), "the pong deadline");
        assert_eq!(post(&mut s, 26_000, "3"), Ok(()));
        assert_eq!(events(&mut s), [Event::Heartbeat]);
        assert_eq!(
            s.poll_timeout(),
            Some(at(51_000)),
            "the next ping, pingInterval after the pong"
        );
        assert_eq!(s.handle_poll_get(at(26_001)), Ok(GetOutcome::Wait));
        s.handle_timeout(at(51_000));
        assert_eq!(transmits(&mut s), [poll_response("2")]);
        assert_eq!(s.poll_timeout(), Some(at(71_000)));
        assert!(!s.is_closed());
    }

    #[test]
    fn a_client_that_never_polls_is_closed_after_interval_plus_timeout() {
        let mut s = polling();
        s.handle_timeout(at(25_000));
        assert_eq!(transmits(&mut s), [], "no GET is parked to carry the ping");
        assert_eq!(s.buffered_len(), 1);
        assert_eq!(
            s.poll_timeout(),
            Some(at(45_000)),
            "yet the deadline runs from the queueing"
        );
        s.handle_timeout(at(44_999));
        assert!(!s.is_closed());
        s.handle_timeout(at(45_000));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
        assert_eq!(transmits(&mut s), []);
        assert!(s.is_closed());
        assert_eq!(s.buffered_len(), 0);
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.handle_poll_get(at(45_001)), Err(RequestError::Closed));
        assert_eq!(post(&mut s, 45_001, "3"), Err(RequestError::Closed));
    }

    #[test]
    fn a_ping_timeout_answers_the_parked_get_with_close() {
        let mut s = polling();
        s.handle_timeout(at(25_000));
        assert_eq!(s.handle_poll_get(at(30_000)), respond("2"));
        assert_eq!(s.handle_poll_get(at(30_001)), Ok(GetOutcome::Wait));
        s.handle_timeout(at(45_000));
        assert_eq!(transmits(&mut s), [poll_response("1")]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
    }

    #[test]
    fn websocket_heartbeat() {
        let mut s = websocket();
        s.handle_timeout(at(25_000));
        assert_eq!(transmits(&mut s), [ws_send("2")]);
        s.handle_ws_frame(at(25_010), text("3"));
        assert_eq!(events(&mut s), [Event::Heartbeat]);
        assert_eq!(s.poll_timeout(), Some(at(50_010)));
        s.handle_timeout(at(50_010));
        assert_eq!(transmits(&mut s), [ws_send("2")]);
        s.handle_timeout(at(70_010));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
    }

    #[test]
    fn a_second_concurrent_get_closes_the_session() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
        assert_eq!(s.handle_poll_get(at(2)), Err(RequestError::GetOverlap));
        assert_eq!(
            transmits(&mut s),
            [poll_response("1")],
            "the first GET gets close"
        );
        let close = events(&mut s);
        assert_eq!(
            close,
            [Event::Close(CloseReason::ProtocolViolation(
                "overlap from client"
            ))]
        );
        assert_eq!(
            CloseReason::ProtocolViolation("overlap from client").as_str(),
            "transport error"
        );
        assert_eq!(s.handle_poll_get(at(3)), Err(RequestError::Closed));
    }

    #[test]
    fn a_parked_get_is_what_makes_polling_writable() {
        let mut s = polling();
        assert!(!s.has_parked_get());
        assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
        assert!(s.has_parked_get());
        s.send(Message::Text("x".into()));
        assert_eq!(transmits(&mut s), [poll_response("4x")]);
        assert!(!s.has_parked_get(), "the packet used the parked GET");
    }

    #[test]
    fn an_aborted_get_closes_the_session() {
        let mut s = polling();
        s.handle_poll_get_aborted(at(1));
        assert!(!s.is_closed(), "no GET was parked: nothing to abort");
        assert_eq!(s.handle_poll_get(at(2)), Ok(GetOutcome::Wait));
        s.handle_poll_get_aborted(at(3));
        assert_eq!(transmits(&mut s), []);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    }

    #[test]
    fn post_bodies_are_payloads_answered_ok() {
        let mut s = polling();
        assert_eq!(post(&mut s, 1, "4hello\u{1e}bAQID\u{1e}4€"), Ok(()));
        assert_eq!(
            events(&mut s),
            [
                message("hello"),
                Event::Message(Message::Binary(vec![1, 2, 3])),
                message("€")
            ]
        );
        // Without a start call the POST is whole in one call.
        assert_eq!(s.handle_poll_post(at(2), "4again"), Ok(()));
        assert_eq!(events(&mut s), [message("again")]);
    }

    #[test]
    fn a_post_over_max_payload_is_refused_and_the_session_stays_open() {
        let mut s = polling_with(Config {
            max_payload: 10,
            ..Config::default()
        });
        assert_eq!(
            post(&mut s, 1, "4123456789x"),
            Err(RequestError::PayloadTooLarge)
        );
        assert_eq!(events(&mut s), []);
        assert!(!s.is_closed());
        assert_eq!(
            post(&mut s, 2, "4123456789"),
            Ok(()),
            "exactly max_payload bytes is fine"
        );
        assert_eq!(events(&mut s), [message("123456789")]);
    }

    #[test]
    fn a_client_that_stops_reading_is_closed_past_max_buffered_bytes() {
        // Above the open packet's size, which waits for the handshake GET too.
        let config = || Config {
            max_buffered_bytes: 141,
            ..Config::default()
        };
        let text = || Message::Text("a".repeat(69));
        let mut s = polling_with(config());
        // Two packets of 70 bytes and a separator: exactly 141 bytes wait.
        s.send(text());
        s.send(text());
        assert_eq!(s.buffered_bytes(), 141);
        assert!(!s.is_closed(), "at the bound is fine");
        s.send(Message::Text("x".into()));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
        assert!(s.is_closed());
        assert_eq!(s.buffered_bytes(), 0, "what waited is dropped");
        // A client that reads keeps its session however much passes through.
        let mut s = polling_with(config());
        for i in 0..100 {
            assert!(s.handle_poll_get(at(i)).is_ok());
            s.send(text());
            s.send(text());
            let _ = transmits(&mut s);
            assert!(s.buffered_bytes() <= 141);
        }
        assert!(!s.is_closed());
        assert_eq!(events(&mut s), []);
    }

    #[test]
    fn one_post_at_a_time() {
        let mut s = polling();
        assert_eq!(s.handle_poll_post_start(at(1), false), Ok(()));
        assert_eq!(
            s.handle_poll_post_start(at(2), false),
            Err(RequestError::PostOverlap)
        );
        assert_eq!(
            events(&mut s),
            [Event::Close(CloseReason::ProtocolViolation(
                "data request overlap from client"
            ))]
        );
        assert_eq!(
            s.handle_poll_post(at(3), "4late"),
            Err(RequestError::Closed)
        );
    }

    #[test]
    fn a_binary_post_is_refused_and_closes() {
        let mut s = polling();
        assert_eq!(
            s.handle_poll_post_start(at(1), true),
            Err(RequestError::BinaryContent)
        );
        assert_eq!(
            events(&mut s),
            [Event::Close(CloseReason::ProtocolViolation(
                "invalid content"
            ))]
        );
    }

    #[test]
    fn an_aborted_post_closes_the_session() {
        let mut s = polling();
        assert_eq!(s.handle_poll_post_start(at(1), false), Ok(()));
        s.handle_poll_post_aborted(at(2));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    }

    #[test]
    fn a_posted_close_answers_the_parked_get_with_noop() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
        assert_eq!(post(&mut s, 2, "1\u{1e}4after"), Ok(()));
        assert_eq!(transmits(&mut s), [poll_response("6")]);
        assert_eq!(
            events(&mut s),
            [Event::Close(CloseReason::TransportClose)],
            "nothing after the close"
        );
    }

    #[test]
    fn buffered_packets_are_flushed_in_one_get() {
        let mut s = polling();
        s.send(Message::Text("a".into()));
        s.send(Message::Binary(vec![1, 2, 3]));
        s.send(Message::Text("b".into()));
        assert_eq!(transmits(&mut s), []);
        assert_eq!(s.buffered_len(), 3);
        assert_eq!(s.buffered_bytes(), "4a\u{1e}bAQID\u{1e}4b".len());
        assert_eq!(s.handle_poll_get(at(1)), respond("4a\u{1e}bAQID\u{1e}4b"));
        assert_eq!((s.buffered_len(), s.buffered_bytes()), (0, 0));
        assert_eq!(s.handle_poll_get(at(2)), Ok(GetOutcome::Wait));
        s.send(Message::Text("c".into()));
        assert_eq!(
            transmits(&mut s),
            [poll_response("4c")],
            "a parked GET is answered at once"
        );
        assert_eq!(s.handle_poll_get(at(3)), Ok(GetOutcome::Wait));
    }

    #[test]
    fn a_client_ping_is_the_wrong_direction() {
        let violation = Event::Close(CloseReason::ProtocolViolation(
            "invalid heartbeat direction",
        ));
        for body in ["2", "2probe"] {
            let mut s = polling();
            assert_eq!(post(&mut s, 1, body), Ok(()));
            assert_eq!(
                events(&mut s),
                core::slice::from_ref(&violation),
                "{body:?}"
            );
        }
        let mut s = websocket();
        s.handle_ws_frame(at(1), text("2"));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), [violation]);
    }

    #[test]
    fn invalid_packet_data_closes_with_parse_error() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
        assert_eq!(
            post(&mut s, 2, "4a\u{1e}7"),
            Ok(()),
            "answered ok, as the reference does"
        );
        assert_eq!(transmits(&mut s), [poll_response("1")]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);

        let mut s = websocket();
        s.handle_ws_frame(at(1), text("x"));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
    }

    #[test]
    fn discard_closes_a_polling_session_without_waiting_for_a_get() {
        let mut s = polling();
        s.discard(at(1));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
        assert!(s.is_closed());
        assert_eq!(s.poll_timeout(), None, "no close timer left");
        assert_eq!(s.handle_poll_get(at(2)), Err(RequestError::Closed));
    }

    #[test]
    fn a_websocket_error_is_a_transport_error() {
        let mut s = websocket();
        s.handle_ws_error(at(1));
        assert_eq!(
            transmits(&mut s),
            [Transmit::WsClose],
            "the driver closes the failed WebSocket"
        );
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
        s.handle_ws_error(at(2));
        s.handle_ws_close(at(3));
        assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));

        // A failed probe is dropped; polling goes on.
        let mut s = polling();
        assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
        s.handle_ws_error(at(2));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), []);
        assert!(!s.is_upgrading() && !s.is_closed());
    }

    #[test]
    fn an_oversized_websocket_frame_closes() {
        let mut s = Session::new(
            at(0),
            sid(),
            Transport::WebSocket,
            Config {
                max_payload: 10,
                ..Config::default()
            },
        );
        let _ = transmits(&mut s);
        s.handle_ws_frame(at(1), Frame::Binary(vec![0; 10]));
        assert_eq!(
            events(&mut s),
            [Event::Message(Message::Binary(vec![0; 10]))]
        );
        s.handle_ws_frame(at(2), text("4123456789x"));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    }

    #[test]
    fn upgrade_from_polling_to_websocket() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(100)), Ok(GetOutcome::Wait));
        assert_eq!(s.handle_ws_upgrade(at(200)), Ok(()));
        assert!(s.is_upgrading());
        assert_eq!(
            s.handle_ws_upgrade(at(201)),
            Err(RequestError::UpgradeInProgress)
        );
        assert_eq!(transmits(&mut s), []);

        s.handle_ws_frame(at(210), text("2probe"));
        assert_eq!(transmits(&mut s), [ws_send("3probe"), poll_response("6")]);
        assert_eq!(events(&mut s), [Event::Upgrading]);
        // Every GET during the upgrade is answered at once, not just the first.
        assert_eq!(s.handle_poll_get(at(220)), respond("6"));
        assert_eq!(s.handle_poll_get(at(230)), respond("6"));
        s.send(Message::Text("x".into()));
        assert_eq!(s.handle_poll_get(at(240)), respond("4x"));
        assert_eq!(post(&mut s, 241, "4still polling"), Ok(()));
        assert_eq!(events(&mut s), [message("still polling")]);
        s.send(Message::Text("y".into()));

        s.handle_ws_frame(at(250), text("5"));
        assert_eq!(
            transmits(&mut s),
            [ws_send("4y")],
            "the buffer goes out on the WebSocket"
        );
        assert_eq!(events(&mut s), [Event::Upgrade(Transport::WebSocket)]);
        assert_eq!(s.transport(), Transport::WebSocket);
        assert!(!s.is_upgrading());

        assert_eq!(
            s.handle_poll_get(at(260)),
            Err(RequestError::TransportMismatch)
        );
        assert_eq!(
            s.handle_poll_post_start(at(260), false),
            Err(RequestError::TransportMismatch)
        );
        assert_eq!(
            s.handle_ws_upgrade(at(260)),
            Err(RequestError::AlreadyUpgraded)
        );
        assert!(!s.is_closed());

        s.send(Message::Binary(vec![1, 2, 3]));
        assert_eq!(
            transmits(&mut s),
            [Transmit::WsSend(Frame::Binary(vec![1, 2, 3]))]
        );
        s.handle_ws_frame(at(270), text("4over ws"));
        assert_eq!(events(&mut s), [message("over ws")]);
        s.handle_timeout(at(25_000));
        assert_eq!(transmits(&mut s), [ws_send("2")]);
    }

    #[test]
    fn a_post_begun_before_the_upgrade_still_counts() {
        let mut s = polling();
        assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
        s.handle_ws_frame(at(2), text("2probe"));
        assert_eq!(s.handle_poll_post_start(at(3), false), Ok(()));
        s.handle_ws_frame(at(4), text("5"));
        assert_eq!(s.handle_poll_post(at(5), "4sent on polling"), Ok(()));
        assert_eq!(
            events(&mut s),
            [
                Event::Upgrading,
                Event::Upgrade(Transport::WebSocket),
                message("sent on polling")
            ]
        );
    }

    #[test]
    fn without_5_in_time_the_probe_is_closed_and_polling_goes_on() {
        let mut s = polling();
        assert_eq!(s.handle_ws_upgrade(at(100)), Ok(()));
        s.handle_ws_frame(at(110), text("2probe"));
        let _ = (transmits(&mut s), events(&mut s));
        assert_eq!(s.poll_timeout(), Some(at(10_100)));
        s.handle_timeout(at(10_100));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), []);
        assert!(!s.is_upgrading() && !s.is_closed());
        assert_eq!(s.transport(), Transport::Polling);
        assert_eq!(
            s.handle_poll_get(at(10_200)),
            Ok(GetOutcome::Wait),
            "GETs park again"
        );
        s.handle_ws_frame(at(10_300), text("5"));
        assert_eq!(events(&mut s), [], "a late 5 has no WebSocket to arrive on");
        assert_eq!(
            s.handle_ws_upgrade(at(10_400)),
            Ok(()),
            "a new attempt is allowed"
        );
    }

    #[test]
    fn a_probe_that_sends_anything_else_fails() {
        let mut s = polling();
        assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
        s.handle_ws_frame(at(2), text("4hi"));
        assert_eq!(transmits(&mut s), [Transmit::WsClose]);
        assert_eq!(events(&mut s), []);
        assert_eq!(
            s.poll_timeout(),
            Some(at(25_000)),
            "the upgrade timer is gone"
        );

        assert_eq!(s.handle_ws_upgrade(at(3)), Ok(()));
        s.handle_ws_close(at(4));
        assert_eq!(transmits(&mut s), []);
        assert!(!s.is_upgrading() && !s.is_closed());
    }

    #[test]
    fn close_answers_the_parked_get_with_close() {
        let mut s = polling();
        assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
        s.close(at(2));
        assert_eq!(transmits(&mut s), [poll_response("1")]);
        s.close(at(3));
        assert_eq!(
            events(&mut s),
            [Event::Close(CloseReason::ForcedClose)],
            "once"
        );
        s.send(Message::Text("dropped".into()));
        assert_eq!(s.buffered_len(), 0);
        assert_eq!(s.handle_poll_get(at(4)), Err(RequestError::Closed));
        assert_eq!(s.handle_ws_upgrade(at(4)), Err(RequestError::Closed));
    }

    #[test]
    fn close_without_a_get_flushes_in_the_next_one() {
        let mut s = polling();
        s.send(Message::Text("a".into()));
        s.close(at(1_000));
        assert_eq!(s.ready_state(), ReadyState::Closing);
        assert_eq!(events(&mut s), []);
        s.send(Message::Text("dropped".into()));
        assert_eq!(post(&mut s, 1_500, "4ignored\u{1e}3"), Ok(()));
        assert_eq!(events(&mut s), []);
        assert_eq!(
            s.poll_timeout(),
            Some(at(31_000)),
            "no more pings, only the close timeout"
        );
        assert_eq!(
            s.handle_poll_get(at(2_000)),
            respond("4a"),
            "the buffered packets alone: the reference's client would lose them next to a `1`"
        );
        assert_eq!(events(&mut s), []);
        assert_eq!(s.ready_state(), ReadyState::Closing);
        assert_eq!(s.handle_poll_get(at(2_100)), respond("1"));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
        assert!(s.is_closed());

        // Nothing buffered: the next GET gets `1` at once.
        let mut s = polling();
        s.close(at(1_000));
        assert_eq!(s.handle_poll_get(at(2_000)), respond("1"));
        assert!(s.is_closed());

        let mut s = polling();
        s.close(at(1_000));
        s.handle_timeout(at(31_000));
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    }

    #[test]
    fn close_on_websocket_sends_close_then_closes() {
        let mut s = websocket();
        s.send(Message::Text("a".into()));
        s.close(at(1));
        s.close(at(2));
        assert_eq!(
            transmits(&mut s),
            [ws_send("4a"), ws_send("1"), Transmit::WsClose]
        );
        assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
        s.handle_ws_frame(at(3), text("4late"));
        s.handle_ws_close(at(4));
        assert_eq!(events(&mut s), []);
    }

    #[test]
    fn the_peer_closing_the_websocket_closes_the_session() {
        let mut s = websocket();
        s.handle_ws_close(at(1));
        assert_eq!(transmits(&mut s), []);
        assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
    }

    #[test]
    fn close_during_an_upgrade_finishes_on_the_new_transport() {
        let mut s = polling();
        assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
        s.handle_ws_frame(at(2), text("2probe"));
        let _ = (transmits(&mut s), events(&mut s));
        s.send(Message::Text("a".into()));
        s.close(at(3));
        s.handle_ws_frame(at(4), text("5"));
        assert_eq!(
            transmits(&mut s),
            [ws_send("4a"), ws_send("1"), Transmit::WsClose]
        );
        assert_eq!(
            events(&mut s),
            [
                Event::Upgrade(Transport::WebSocket),
                Event::Close(CloseReason::ForcedClose)
            ]
        );
    }

    #[test]
    fn request_errors_read_lowercase() {
        assert_eq!(RequestError::GetOverlap.to_string(), "overlap from client");
        assert_eq!(
            RequestError::PayloadTooLarge.to_string(),
            "polling body exceeds maxPayload"
        );
    }
}
