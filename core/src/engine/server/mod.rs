//! The Engine.IO v4 server session: one client's handshake, heartbeat, polling rules, upgrade and
//! close, as a sans-IO state machine. Behaviour follows engine.io 6.6 (`Socket` with its `Polling` and
//! `WebSocket` transports); the driver (the tokio server) owns sockets, HTTP, timers and the session
//! table.
//!
//! # Call order
//!
//! ```text
//! Session::new(now, sid, transport, config)   when the endpoint routed a handshake
//!                                             (endpoint::Route::Handshake, accepted)
//!   polling:   the handshake GET is the first poll: handle_poll_get(now) -> Respond("0{...}")
//!   websocket: poll_transmit() -> WsSend { frame: Text("0{...,\"upgrades\":[],...}"), .. }, the first frame
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
//! Errors found before a session is looked up are the [endpoint](super::endpoint)'s: an unknown
//! transport, sid or protocol version, a handshake that is not a GET, a transport that is not the
//! session's. [`RequestError::code`] and [`RequestError::http_status`] give the answers above.
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

mod config;
mod error;
mod inbound;
mod outbound;
mod output;

use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;

use super::payload::{self, PayloadError};
use super::{CloseReason, Frame, Handshake, Message, Packet, Sid, Transport};
use crate::time::{Instant, TimerKey, Timers};

pub use config::{Config, POLLING_CLOSE_TIMEOUT};
pub use error::RequestError;
pub use output::{Event, GetOutcome, PollPayload, Transmit};

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
    buffer: VecDeque<outbound::Queued>,
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
            // Room for one (see `socket::server::Connection::new`).
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
    /// next one. Dropped once the session is closing or closed, as the reference does. It goes
    /// with the `compress` flag (the reference's default); see [`Session::send_all`] for without.
    pub fn send(&mut self, msg: Message) {
        self.queue(Packet::from(msg));
    }

    /// Queues several messages and sends them together: a parked GET is answered with all of
    /// them in one payload, so a packet and its binary attachments are never split over two
    /// polling responses.
    ///
    /// `compress` is the messages' `compress` flag (the reference's `socket.send(data, {
    /// compress })`): without it a WebSocket sends them uncompressed
    /// ([`Transmit::WsSend`]) and a polling payload of only such packets is not compressed
    /// ([`PollPayload::compress`]).
    pub fn send_all(&mut self, msgs: impl IntoIterator<Item = Message>, compress: bool) {
        if self.state != ReadyState::Open {
            return;
        }
        for msg in msgs {
            self.push(Packet::from(msg), compress);
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
            self.transmits.push_back(Transmit::WsSend {
                frame: Packet::Close.into_frame(),
                compress: false,
            });
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
}

#[cfg(test)]
mod tests;
