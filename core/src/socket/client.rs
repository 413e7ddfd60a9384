//! The Socket.IO v5 client: a [`Manager`] multiplexing namespace sockets over one Engine.IO session.
//!
//! This is socket.io-client 4.8's `Manager` + `Socket` pair as a sans-IO state machine, sitting
//! over an *abstract* Engine.IO session: it never creates one itself. It asks for one with
//! [`EngineCommand::Open`], writes through [`EngineCommand::Send`], closes it with
//! [`EngineCommand::Close`], and hears about it through the `handle_engine_*` inputs. The glue that
//! pairs it with `engine::client::Session` lives elsewhere.
//!
//! What it keeps, as the reference does:
//! - namespaces multiplexed on one engine: every active socket sends CONNECT when the engine opens;
//! - per socket: the ack ids (`ids`, from 0), the ack table with per-ack deadlines, the offline send
//!   buffer (flushed on CONNECT), the `retries` queue (one packet in flight), and the connection
//!   state recovery bookkeeping (`pid`, last `offset`);
//! - per manager: the reconnection loop with the reference's exponential backoff and jitter, and
//!   the engine open `timeout`.
//!
//! # Call order
//!
//! ```text
//! let mut m = Manager::new(now, config, seed);             // auto_connect: asks for an engine
//! let s = m.socket(now, Nsp::root(), Auth::NONE);          // auto_connect: connects it
//! loop {
//!     // 1. one input, whichever happened:
//!     m.handle_engine_open(now)                            // the engine handshake completed
//!     m.handle_engine_message(now, msg)                    // one Engine.IO message, in order
//!     m.handle_engine_close(now, reason)                   // the engine closed or failed to open
//!     m.handle_timeout(now)                                // poll_timeout() was reached
//!     m.emit(now, s, emit) / m.ack(..) / m.connect(..) / m.connect_with_auth(..)
//!         / m.disconnect(..) / m.open(now) / m.close(now)  // what the application asks for
//!     // 2. drain, engine commands first, until both are empty:
//!     while let Some(cmd) = m.poll_engine() { .. }         // Open | Send(Message) | Close
//!     while let Some(ev) = m.poll_event() { .. }           // lifecycle, events, acks
//!     // 3. arm one timer for m.poll_timeout()
//! }
//! ```
//!
//! Sends of one packet are queued together (the header, then one binary message per attachment),
//! so they stay adjacent as long as the driver forwards them in order. After
//! [`EngineCommand::Close`] the driver must drop that engine and report nothing more about it;
//! the next [`EngineCommand::Open`] asks for a fresh one.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::args::Args;
use super::codec::{self, Decoder, Limits, Status};
use super::packet::{AckId, Nsp, Packet, PacketData, RESERVED_EVENTS};
use crate::engine::{CloseReason, Message};
use crate::fifo::Fifo;
use crate::json::{self, JsonError, Kind};
use crate::rng::Rng;
use crate::sorted::SortedMap;
use crate::text::{ErrorText, display_by_text};
use crate::time::{Instant, TimerKey, Timers, duration_millis};

/// Events received for a socket that is subscribed but not yet connected are held until its
/// CONNECT reply, as the reference's `receiveBuffer`; past this many the peer is flooding and
/// further ones are dropped (the reference has no bound).
pub const MAX_RECEIVE_BUFFER: usize = 1024;

/// The manager's options; defaults equal socket.io-client 4.8's.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Reconnect after a connection lost by accident (`reconnection`, default `true`).
    pub reconnection: bool,
    /// Give up after this many failed attempts (`reconnectionAttempts`); `None` is unlimited, the
    /// default. (The JS options layer maps the reference's falsy `0` to `None`, as it does.)
    pub reconnection_attempts: Option<u32>,
    /// The first backoff delay (`reconnectionDelay`, default 1000 ms).
    pub reconnection_delay: Duration,
    /// The largest backoff delay (`reconnectionDelayMax`, default 5000 ms).
    pub reconnection_delay_max: Duration,
    /// The backoff jitter (`randomizationFactor`, default 0.5); outside `(0, 1]` means none.
    pub randomization_factor: f64,
    /// How long an engine may take to open before the attempt counts as failed (`timeout`, default
    /// 20000 ms); `None` waits forever (the reference's `timeout: false`).
    pub timeout: Option<Duration>,
    /// Open the engine in [`Manager::new`] and connect sockets in [`Manager::socket`]
    /// (`autoConnect`, default `true`).
    pub auto_connect: bool,
    /// The default ack timeout of new sockets (`ackTimeout`, default none).
    pub ack_timeout: Option<Duration>,
    /// The default `retries` of new sockets (default 0: no retry queue).
    pub retries: u32,
    /// Bounds for the decoder and for the JSON this manager validates.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            reconnection: true,
            reconnection_attempts: None,
            reconnection_delay: Duration::from_millis(1000),
            reconnection_delay_max: Duration::from_millis(5000),
            randomization_factor: 0.5,
            timeout: Some(Duration::from_millis(20_000)),
            auto_connect: true,
            ack_timeout: None,
            retries: 0,
            limits: Limits::default(),
        }
    }
}

/// What a socket sends in its CONNECT packet (the reference's `auth` option).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Auth(AuthKind);

#[derive(Clone, Debug, PartialEq, Eq, Default)]
enum AuthKind {
    #[default]
    None,
    Static(String),
    Callback,
}

impl Auth {
    /// No auth payload: the CONNECT carries nothing (or only `pid`/`offset`).
    pub const NONE: Auth = Auth(AuthKind::None);

    /// Ask the driver each time: the manager emits [`Event::AuthRequest`] and the driver answers
    /// with [`Manager::connect_with_auth`] (the reference's `auth: (cb) => ...`).
    pub const CALLBACK: Auth = Auth(AuthKind::Callback);

    /// A fixed auth object, as JSON object text (`{"token":"x"}`).
    pub fn object(json: impl Into<String>) -> Result<Auth, AuthError> {
        let json = json.into();
        validate_object(&json, json::DEFAULT_MAX_DEPTH)?;
        Ok(Auth(AuthKind::Static(json)))
    }

    /// The fixed auth object's JSON text, if this is one.
    pub fn as_object(&self) -> Option<&str> {
        match &self.0 {
            AuthKind::Static(json) => Some(json),
            _ => None,
        }
    }

    /// Whether the driver is asked for the payload at each CONNECT.
    pub fn is_callback(&self) -> bool {
        self.0 == AuthKind::Callback
    }
}

/// Per-socket options (the reference's `SocketOptions`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SocketOptions {
    /// The CONNECT payload.
    pub auth: Auth,
    /// With `retries > 0`, emits go through a queue: one in flight, each resent with a new ack id
    /// when its ack times out, up to `retries` times (at-least-once delivery).
    pub retries: u32,
    /// The default timeout of acks (`ackTimeout`).
    pub ack_timeout: Option<Duration>,
}

impl SocketOptions {
    /// Options with this auth and no retries or ack timeout.
    pub fn new(auth: Auth) -> Self {
        SocketOptions {
            auth,
            retries: 0,
            ack_timeout: None,
        }
    }
}

/// A namespace socket of one [`Manager`]: one per namespace, as the reference's `nsps` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(usize);

/// The application's handle on one acknowledgement it waits for. Stable across the retries of a
/// queued packet, whose ack ids change; each handle is answered by exactly one [`Event::Ack`],
/// unless its socket stays disconnected with the packet still buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckHandle(u64);

impl AckHandle {
    /// The handle as a number (unique per manager), for drivers keying their callbacks.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// One `socket.emit(...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emit {
    /// `["name", arg1, ...]` and the attachments its placeholders point at.
    pub args: Args,
    /// Ask the server for an acknowledgement; the answer is an [`Event::Ack`].
    pub ack: bool,
    /// Fail the ack with [`AckError::Timeout`] after this long (`socket.timeout(ms)`); overrides the
    /// socket's `ack_timeout`.
    pub timeout: Option<Duration>,
    /// Drop the packet rather than buffer it when the engine is not open (`socket.volatile`).
    pub volatile: bool,
}

impl Emit {
    /// An emit of `args` (event name first) with no ack.
    pub fn new(args: Args) -> Self {
        Emit {
            args,
            ack: false,
            timeout: None,
            volatile: false,
        }
    }

    /// Asks for an acknowledgement.
    pub fn with_ack(mut self) -> Self {
        self.ack = true;
        self
    }

    /// Asks for an acknowledgement within `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.ack = true;
        self.timeout = Some(timeout);
        self
    }

    /// Marks the emit volatile.
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }
}

/// What the manager wants done with the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineCommand {
    /// Open a new Engine.IO session; answer with `handle_engine_open` or `handle_engine_close`.
    Open,
    /// Write one Engine.IO message (a packet's header, or one of its attachments right after it).
    Send(Message),
    /// Close the engine; report nothing more about it.
    Close,
}

/// The manager's `readyState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadyState {
    /// No engine.
    Closed,
    /// An engine was asked for and has not opened yet.
    Opening,
    /// The engine is open.
    Open,
}

/// Why a socket disconnected: the reference's `disconnect` reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server sent DISCONNECT (`socket.disconnect()` on the server); no reconnection.
    IoServerDisconnect,
    /// The application called [`Manager::disconnect`]; no reconnection.
    IoClientDisconnect,
    /// The engine heard no ping in time; the manager reconnects.
    PingTimeout,
    /// The engine's connection closed; the manager reconnects.
    TransportClose,
    /// The engine's connection failed; the manager reconnects.
    TransportError,
    /// The server sent something that is not Socket.IO; the manager reconnects.
    ParseError,
    /// The application closed the manager ([`Manager::close`]); no reconnection. The reference
    /// emits this too, although its typings omit it.
    ForcedClose,
}

impl DisconnectReason {
    /// The reference's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
        }
    }

    /// Whether either side meant it; otherwise the socket stays active and reconnects.
    pub fn is_deliberate(self) -> bool {
        matches!(
            self,
            DisconnectReason::IoServerDisconnect
                | DisconnectReason::IoClientDisconnect
                | DisconnectReason::ForcedClose
        )
    }
}

impl From<&CloseReason> for DisconnectReason {
    fn from(reason: &CloseReason) -> Self {
        match reason {
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError | CloseReason::ProtocolViolation(_) => {
                DisconnectReason::TransportError
            }
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::ParseError => DisconnectReason::ParseError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the manager could not open an engine (its `error` and `reconnect_error` events).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The engine did not open within [`Config::timeout`].
    Timeout,
    /// The engine failed or closed.
    Engine(CloseReason),
}

impl ErrorText for ConnectionError {
    fn write_text(&self, out: &mut String) {
        match self {
            ConnectionError::Timeout => out.push_str("timeout"),
            ConnectionError::Engine(reason) => reason.write_text(out),
        }
    }
}

display_by_text!(ConnectionError);

impl core::error::Error for ConnectionError {}

/// Why an acknowledgement will not come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AckError {
    /// The ack timeout passed (after the last retry, for a queued packet).
    Timeout,
    /// The socket disconnected with the packet already sent. (The reference reports this only to
    /// `emitWithAck` and timed acks and silently drops plain callbacks; a JS driver does the same.)
    Disconnected,
}

impl ErrorText for AckError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            AckError::Timeout => "operation has timed out",
            AckError::Disconnected => "socket has been disconnected",
        });
    }
}

display_by_text!(AckError);

impl core::error::Error for AckError {}

/// Why [`Manager::emit`] or [`Manager::ack`] refused its arguments (caller misuse, not a peer fault).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The socket id is not one of this manager's.
    UnknownSocket,
    /// The arguments are not valid JSON.
    InvalidJson(JsonError),
    /// The arguments are not a JSON array.
    NotAnArray,
    /// An event needs a name: the array's first element, a string or a number.
    MissingEventName,
    /// The name is one the reference reserves (`connect`, `disconnect`, ...).
    ReservedEventName,
    /// The placeholders in the arguments do not match the attachments.
    AttachmentMismatch,
}

impl ErrorText for EmitError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            EmitError::UnknownSocket => "unknown socket",
            EmitError::InvalidJson(e) => {
                out.push_str("invalid arguments: ");
                return e.write_text(out);
            }
            EmitError::NotAnArray => "arguments are not a json array",
            EmitError::MissingEventName => {
                "the first argument must be the event name (a string or a number)"
            }
            EmitError::ReservedEventName => "reserved event name",
            EmitError::AttachmentMismatch => "placeholders do not match the attachments",
        });
    }
}

display_by_text!(EmitError);

impl core::error::Error for EmitError {}

/// An auth payload that is not a JSON object.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Not valid JSON.
    InvalidJson(JsonError),
    /// Valid JSON, but not an object.
    NotAnObject,
}

impl ErrorText for AuthError {
    fn write_text(&self, out: &mut String) {
        match self {
            AuthError::InvalidJson(e) => {
                out.push_str("invalid auth: ");
                e.write_text(out);
            }
            AuthError::NotAnObject => out.push_str("auth is not a json object"),
        }
    }
}

display_by_text!(AuthError);

impl core::error::Error for AuthError {}

/// What the manager tells the application: the reference's manager and socket events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The engine opened (manager `open`).
    Open,
    /// The engine failed (manager `error`); sockets not connected also get [`Event::ConnectError`].
    Error(ConnectionError),
    /// The engine closed (manager `close`).
    Close(CloseReason),
    /// A reconnection attempt starts (manager `reconnect_attempt`), numbered from 1.
    ReconnectAttempt(u32),
    /// Reconnected after this many attempts (manager `reconnect`).
    Reconnect(u32),
    /// A reconnection attempt failed (manager `reconnect_error`).
    ReconnectError(ConnectionError),
    /// `reconnection_attempts` attempts failed; the manager stops (manager `reconnect_failed`).
    ReconnectFailed,
    /// The namespace accepted the CONNECT (socket `connect`).
    Connect {
        /// The socket.
        socket: SocketId,
    },
    /// The namespace refused the CONNECT (then the socket is inactive and is not reconnected), or
    /// the engine failed while the socket was not connected (socket `connect_error`).
    ConnectError {
        /// The socket.
        socket: SocketId,
        /// JSON object text `{"message":..}`, with `"data"` when the server sent some.
        data: String,
    },
    /// The socket disconnected (socket `disconnect`).
    Disconnect {
        /// The socket.
        socket: SocketId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The server emitted an event.
    Event {
        /// The socket.
        socket: SocketId,
        /// `["name", ...]` and its attachments; with connection state recovery, its last element
        /// is the offset, passed through as the reference does.
        args: Args,
        /// Set when the server waits for an acknowledgement: answer with [`Manager::ack`].
        id: Option<AckId>,
    },
    /// The server acknowledged an emit, or the acknowledgement will not come.
    Ack {
        /// The socket.
        socket: SocketId,
        /// The handle [`Manager::emit`] returned.
        handle: AckHandle,
        /// The ACK's arguments.
        result: Result<Args, AckError>,
    },
    /// The socket's auth is a callback: answer with [`Manager::connect_with_auth`].
    AuthRequest {
        /// The socket.
        socket: SocketId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// The engine open timeout (`timeout`).
    Open,
    /// The next reconnection attempt.
    Reconnect,
}

impl TimerKey for Timer {
    const ALL: &'static [Self] = &[Timer::Open, Timer::Reconnect];
    fn index(self) -> usize {
        self as usize
    }
}

/// Who waits for an ack id.
#[derive(Clone, Copy, Debug)]
enum AckTarget {
    /// The application, through its handle.
    App(AckHandle),
    /// The retry queue's packet with this sequence number.
    Queue(u64),
}

#[derive(Clone, Copy, Debug)]
struct PendingAck {
    target: AckTarget,
    /// The key in `Manager::ack_deadlines`, when the ack has a timeout.
    deadline: Option<(Instant, u64)>,
}

/// A packet of the retry queue (the reference's `QueuedPacket`).
#[derive(Clone, Debug)]
struct Queued {
    seq: u64,
    handle: Option<AckHandle>,
    args: Args,
    timeout: Option<Duration>,
    pending: bool,
    try_count: u32,
}

#[derive(Clone, Debug)]
struct Received {
    args: Args,
    id: Option<AckId>,
}

#[derive(Clone, Debug)]
struct Sock {
    nsp: Nsp,
    auth: Auth,
    retries: u32,
    ack_timeout: Option<Duration>,
    /// Subscribed to the manager (the reference's `active`): reconnected when the manager is.
    active: bool,
    connected: bool,
    sid: Option<String>,
    pid: Option<String>,
    offset: Option<String>,
    recovered: bool,
    /// An [`Event::AuthRequest`] is waiting for its answer on the current engine.
    auth_pending: bool,
    /// The next ack id.
    ids: u64,
    acks: SortedMap<u64, PendingAck>,
    send_buffer: Fifo<Packet>,
    receive_buffer: Fifo<Received>,
    queue: Fifo<Queued>,
    queue_seq: u64,
}

/// The Socket.IO client manager: sockets, acks, buffers, retries, reconnection. See the module
/// docs for the call order.
#[derive(Clone, Debug)]
pub struct Manager {
    config: Config,
    rng: Rng,
    state: ReadyState,
    /// A reconnection is scheduled or its attempt is opening (the reference's `_reconnecting`).
    reconnecting: bool,
    skip_reconnect: bool,
    /// The backoff's attempt counter.
    attempts: u32,
    /// The engine now opening is a reconnection attempt (the reference's `open(fn)`).
    opening_for_reconnect: bool,
    timers: Timers<Timer>,
    decoder: Decoder,
    sockets: Vec<Sock>,
    /// Active sockets, in subscription order (the order the reference's listeners run in).
    subscribers: Vec<usize>,
    /// Ack deadlines: (when, creation order) -> (socket, ack id).
    ack_deadlines: SortedMap<(Instant, u64), (usize, u64)>,
    deadline_seq: u64,
    next_handle: u64,
    commands: Fifo<EngineCommand>,
    events: Fifo<Event>,
}

impl Manager {
    /// A manager; with `auto_connect` it asks for an engine right away. `seed` drives the
    /// reconnection jitter.
    pub fn new(now: Instant, config: Config, seed: u64) -> Manager {
        let mut manager = Manager {
            decoder: Decoder::new(config.limits),
            config,
            rng: Rng::new(seed),
            state: ReadyState::Closed,
            reconnecting: false,
            skip_reconnect: false,
            attempts: 0,
            opening_for_reconnect: false,
            timers: Timers::default(),
            sockets: Vec::new(),
            subscribers: Vec::new(),
            ack_deadlines: SortedMap::default(),
            deadline_seq: 0,
            next_handle: 0,
            commands: Fifo::default(),
            events: Fifo::default(),
        };
        if manager.config.auto_connect {
            manager.open(now);
        }
        manager
    }

    // ---- getters ----

    /// The options.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The manager's `readyState`.
    pub fn state(&self) -> ReadyState {
        self.state
    }

    /// Whether a reconnection is scheduled or in progress.
    pub fn is_reconnecting(&self) -> bool {
        self.reconnecting
    }

    /// The backoff's attempt counter: failed attempts of the current reconnection loop.
    pub fn reconnect_attempts(&self) -> u32 {
        self.attempts
    }

    /// The socket's namespace.
    pub fn nsp(&self, socket: SocketId) -> Option<&Nsp> {
        self.sockets.get(socket.0).map(|s| &s.nsp)
    }

    /// The socket's session id as the server gave it (the reference's `socket.id`), while connected.
    pub fn sid(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(socket.0)?.sid.as_deref()
    }

    /// Whether the socket is connected to its namespace.
    pub fn is_connected(&self, socket: SocketId) -> bool {
        self.sockets.get(socket.0).is_some_and(|s| s.connected)
    }

    /// Whether the socket will (re)connect when the manager does (the reference's `active`).
    pub fn is_active(&self, socket: SocketId) -> bool {
        self.sockets.get(socket.0).is_some_and(|s| s.active)
    }

    /// Whether the last CONNECT recovered the previous session (connection state recovery).
    pub fn is_recovered(&self, socket: SocketId) -> bool {
        self.sockets.get(socket.0).is_some_and(|s| s.recovered)
    }

    /// The recovery session id the server gave (private: never share it).
    pub fn pid(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(socket.0)?.pid.as_deref()
    }

    /// The offset of the last event received, sent back on the next CONNECT. A typed API strips it
    /// from events that carry it: events with no ack id whose last argument is this string.
    pub fn offset(&self, socket: SocketId) -> Option<&str> {
        self.sockets.get(socket.0)?.offset.as_deref()
    }

    /// Packets waiting in the socket's offline send buffer.
    pub fn buffered(&self, socket: SocketId) -> usize {
        self.sockets
            .get(socket.0)
            .map_or(0, |s| s.send_buffer.len())
    }

    // ---- settings (the reference's `manager.reconnection(v)` ...) ----
    //
    // Each takes effect from the next reconnection on: the backoff reads the options each time
    // it computes a delay, and the open timeout is armed when an engine is asked for.

    /// `manager.reconnection(on)`. Turning it off also cancels a reconnection already scheduled,
    /// as the reference's `skipReconnect` does, until the next [`Manager::open`]. (The reference
    /// leaves its `_reconnecting` set then, so that no later loss ever reconnects again; here the
    /// loop ends cleanly.)
    pub fn set_reconnection(&mut self, on: bool) {
        self.config.reconnection = on;
        if !on {
            self.skip_reconnect = true;
            if self.timers.is_armed(Timer::Reconnect) {
                self.timers.stop(Timer::Reconnect);
                self.reconnecting = false;
                self.attempts = 0;
            }
        }
    }

    /// `manager.reconnectionAttempts(n)`; `None` is unlimited.
    pub fn set_reconnection_attempts(&mut self, attempts: Option<u32>) {
        self.config.reconnection_attempts = attempts;
    }

    /// `manager.reconnectionDelay(ms)`.
    pub fn set_reconnection_delay(&mut self, delay: Duration) {
        self.config.reconnection_delay = delay;
    }

    /// `manager.reconnectionDelayMax(ms)`.
    pub fn set_reconnection_delay_max(&mut self, delay: Duration) {
        self.config.reconnection_delay_max = delay;
    }

    /// `manager.randomizationFactor(factor)`.
    pub fn set_randomization_factor(&mut self, factor: f64) {
        self.config.randomization_factor = factor;
    }

    /// `manager.timeout(ms)`; `None` waits forever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.config.timeout = timeout;
    }

    // ---- commands ----

    /// The socket of `nsp` (created with the manager's `retries` and `ack_timeout`), as
    /// `manager.socket(nsp, { auth })`. An existing socket is returned as it is (and connected again
    /// if inactive, with `auto_connect`).
    pub fn socket(&mut self, now: Instant, nsp: Nsp, auth: Auth) -> SocketId {
        let options = SocketOptions {
            auth,
            retries: self.config.retries,
            ack_timeout: self.config.ack_timeout,
        };
        self.socket_with(now, nsp, options)
    }

    /// As [`Manager::socket`], with per-socket options.
    pub fn socket_with(&mut self, now: Instant, nsp: Nsp, options: SocketOptions) -> SocketId {
        if let Some(i) = self.sockets.iter().position(|s| s.nsp == nsp) {
            let id = SocketId(i);
            if self.config.auto_connect && !self.is_active(id) {
                self.connect(now, id);
            }
            return id;
        }
        self.sockets.push(Sock {
            nsp,
            auth: options.auth,
            retries: options.retries,
            ack_timeout: options.ack_timeout,
            active: false,
            connected: false,
            sid: None,
            pid: None,
            offset: None,
            recovered: false,
            auth_pending: false,
            ids: 0,
            acks: SortedMap::default(),
            send_buffer: Fifo::default(),
            receive_buffer: Fifo::default(),
            queue: Fifo::default(),
            queue_seq: 0,
        });
        let id = SocketId(self.sockets.len() - 1);
        if self.config.auto_connect {
            self.connect(now, id);
        }
        id
    }

    /// `manager.open()`: asks for an engine unless one is opening or open. While a reconnection
    /// waits for its delay, the attempt starts now instead (the reference would open a second,
    /// untracked engine and leave its reconnection loop stuck).
    pub fn open(&mut self, now: Instant) {
        if self.state != ReadyState::Closed {
            return;
        }
        if self.reconnecting && self.timers.is_armed(Timer::Reconnect) {
            self.timers.stop(Timer::Reconnect);
            self.reconnect_attempt(now);
            return;
        }
        self.open_engine(now, false);
    }

    /// `socket.connect()`: the socket becomes active; the manager opens if needed (unless it is
    /// reconnecting), and the CONNECT goes out once the engine is open.
    pub fn connect(&mut self, now: Instant, socket: SocketId) {
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return;
        };
        if sock.connected {
            return;
        }
        if !sock.active {
            sock.active = true;
            self.subscribers.push(socket.0);
        }
        if !self.reconnecting && self.state == ReadyState::Closed {
            self.open_engine(now, false);
        }
        if self.state == ReadyState::Open {
            self.socket_on_open(socket.0);
        }
    }

    /// Answers an [`Event::AuthRequest`]: sends the CONNECT with this auth object (JSON text). An
    /// answer that comes after the engine closed, or that nothing asked for, is ignored.
    pub fn connect_with_auth(
        &mut self,
        now: Instant,
        socket: SocketId,
        auth: Option<String>,
    ) -> Result<(), AuthError> {
        let _ = now;
        if let Some(auth) = &auth {
            validate_object(auth, self.config.limits.max_depth)?;
        }
        let open = self.state == ReadyState::Open;
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return Ok(());
        };
        if !sock.auth_pending || !open {
            return Ok(());
        }
        sock.auth_pending = false;
        self.send_connect(socket.0, auth.as_deref());
        Ok(())
    }

    /// `socket.disconnect()`: sends DISCONNECT if connected, makes the socket inactive (no
    /// reconnection for it; its recovery session is forgotten), and closes the manager when no
    /// socket is active any more.
    pub fn disconnect(&mut self, now: Instant, socket: SocketId) {
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return;
        };
        let was_connected = sock.connected;
        sock.pid = None;
        sock.offset = None;
        if was_connected {
            let packet = Packet::disconnect(sock.nsp.clone());
            self.send(packet);
        }
        self.destroy(now, socket.0);
        if was_connected {
            self.socket_on_close(now, socket.0, DisconnectReason::IoClientDisconnect);
        }
    }

    /// `socket.emit(...)`: sends now if connected, buffers otherwise (volatile emits are dropped
    /// while the engine is not open). With `retries`, non-volatile emits go through the queue.
    /// Returns the handle of the ack when `emit.ack` is set.
    pub fn emit(
        &mut self,
        now: Instant,
        socket: SocketId,
        emit: Emit,
    ) -> Result<Option<AckHandle>, EmitError> {
        let max_depth = self.config.limits.max_depth;
        validate_args(&emit.args, max_depth, true)?;
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return Err(EmitError::UnknownSocket);
        };
        let handle = emit.ack.then(|| {
            self.next_handle += 1;
            AckHandle(self.next_handle - 1)
        });
        if sock.retries > 0 && !emit.volatile {
            sock.queue.push_back(Queued {
                seq: sock.queue_seq,
                handle,
                args: emit.args,
                timeout: emit.timeout,
                pending: false,
                try_count: 0,
            });
            sock.queue_seq += 1;
            self.drain_queue(now, socket.0, false);
            return Ok(handle);
        }
        let target = handle.map(AckTarget::App);
        self.emit_packet(
            now,
            socket.0,
            emit.args,
            target,
            emit.timeout,
            emit.volatile,
        );
        Ok(handle)
    }

    /// Acknowledges the server's event `id` (received in [`Event::Event`]) with `args`. Dropped
    /// when the engine is not open.
    pub fn ack(
        &mut self,
        now: Instant,
        socket: SocketId,
        id: AckId,
        args: Args,
    ) -> Result<(), EmitError> {
        let _ = now;
        validate_args(&args, self.config.limits.max_depth, false)?;
        let Some(sock) = self.sockets.get(socket.0) else {
            return Err(EmitError::UnknownSocket);
        };
        if self.state == ReadyState::Open {
            let packet = Packet::ack(sock.nsp.clone(), args, id);
            self.send(packet);
        }
        Ok(())
    }

    /// `manager.disconnect()`: closes the engine with no reconnection; active sockets get
    /// [`DisconnectReason::ForcedClose`] and stay active, to connect again on the next
    /// [`Manager::open`].
    pub fn close(&mut self, now: Instant) {
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.on_close(now, CloseReason::ForcedClose, true);
    }

    // ---- engine inputs ----

    /// The engine asked for by [`EngineCommand::Open`] completed its handshake.
    pub fn handle_engine_open(&mut self, now: Instant) {
        let _ = now;
        if self.state != ReadyState::Opening {
            return;
        }
        self.cleanup();
        self.state = ReadyState::Open;
        self.events.push_back(Event::Open);
        for i in self.subscribers.clone() {
            self.socket_on_open(i);
        }
        if self.opening_for_reconnect {
            self.opening_for_reconnect = false;
            let attempt = self.attempts;
            self.reconnecting = false;
            self.attempts = 0;
            self.events.push_back(Event::Reconnect(attempt));
        }
    }

    /// One Engine.IO message from the open engine. A message that is not Socket.IO closes the
    /// engine with `parse error` (and the manager reconnects).
    pub fn handle_engine_message(&mut self, now: Instant, msg: Message) {
        if self.state != ReadyState::Open {
            return;
        }
        let status = match msg {
            Message::Text(text) => self.decoder.decode_text(&text),
            Message::Binary(bytes) => self.decoder.decode_binary(bytes),
        };
        match status {
            Ok(Status::Complete(packet)) => self.on_packet(now, packet),
            Ok(Status::Partial { .. }) => {}
            Err(_) => self.on_close(now, CloseReason::ParseError, true),
        }
    }

    /// The engine closed, or failed to open (then the attempt failed, and the manager reconnects
    /// as the reference's `maybeReconnectOnOpen`).
    pub fn handle_engine_close(&mut self, now: Instant, reason: CloseReason) {
        match self.state {
            ReadyState::Closed => {}
            ReadyState::Opening => self.open_error(now, ConnectionError::Engine(reason)),
            ReadyState::Open => {
                // The reference's engine emits `error` before `close` when its transport fails.
                if matches!(
                    reason,
                    CloseReason::TransportError | CloseReason::ProtocolViolation(_)
                ) {
                    self.on_error(ConnectionError::Engine(reason.clone()));
                }
                self.on_close(now, reason, false);
            }
        }
    }

    /// Runs what is due at `now`: the open timeout, the reconnection delay, ack timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            let timer = Timer::ALL
                .iter()
                .filter_map(|&k| self.timers.get(k).filter(|&at| at <= now).map(|at| (at, k)))
                .min();
            let ack = self
                .ack_deadlines
                .first()
                .map(|(&key, &value)| (key, value))
                .filter(|&((at, _), _)| at <= now);
            match (timer, ack) {
                (None, None) => return,
                (Some((at, _)), Some(((ack_at, seq), (s, id)))) if ack_at < at => {
                    self.on_ack_timeout(now, (ack_at, seq), s, id)
                }
                (None, Some((key, (s, id)))) => self.on_ack_timeout(now, key, s, id),
                (Some((_, key)), _) => {
                    self.timers.stop(key);
                    match key {
                        Timer::Open => {
                            if self.state == ReadyState::Opening {
                                self.commands.push_back(EngineCommand::Close);
                                self.open_error(now, ConnectionError::Timeout);
                            }
                        }
                        Timer::Reconnect => self.reconnect_attempt(now),
                    }
                }
            }
        }
    }

    // ---- outputs ----

    /// The next thing to do with the engine.
    #[must_use]
    pub fn poll_engine(&mut self) -> Option<EngineCommand> {
        self.commands.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Manager::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let acks = self.ack_deadlines.first().map(|(&(at, _), _)| at);
        match (self.timers.next(), acks) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- manager internals (the reference's Manager) ----

    fn open_engine(&mut self, now: Instant, for_reconnect: bool) {
        self.state = ReadyState::Opening;
        self.skip_reconnect = false;
        self.opening_for_reconnect = for_reconnect;
        self.decoder = Decoder::new(self.config.limits);
        self.commands.push_back(EngineCommand::Open);
        if let Some(timeout) = self.config.timeout {
            self.timers.set(Timer::Open, now + timeout);
        }
    }

    /// The reference's `cleanup`: drops the engine's timers and any half-decoded packet.
    fn cleanup(&mut self) {
        self.timers.clear();
        self.decoder = Decoder::new(self.config.limits);
    }

    /// The engine did not open (the reference's `onError` in `open`).
    fn open_error(&mut self, now: Instant, err: ConnectionError) {
        self.cleanup();
        self.state = ReadyState::Closed;
        self.on_error(err.clone());
        if self.opening_for_reconnect {
            self.opening_for_reconnect = false;
            self.reconnecting = false;
            self.reconnect(now);
            self.events.push_back(Event::ReconnectError(err));
        } else if !self.reconnecting && self.config.reconnection && self.attempts == 0 {
            self.reconnect(now);
        }
    }

    /// Manager `error`, and `connect_error` for each active socket not connected.
    fn on_error(&mut self, err: ConnectionError) {
        let mut data = String::from("{\"message\":");
        json::write_string(&mut data, &err.text());
        data.push('}');
        self.events.push_back(Event::Error(err));
        for &i in &self.subscribers {
            if self.sockets.get(i).is_some_and(|s| !s.connected) {
                let data = data.clone();
                self.events.push_back(Event::ConnectError {
                    socket: SocketId(i),
                    data,
                });
            }
        }
    }

    /// The reference's `onclose`: the engine is gone; active sockets disconnect; reconnect unless
    /// the application closed.
    fn on_close(&mut self, now: Instant, reason: CloseReason, close_engine: bool) {
        self.cleanup();
        if close_engine && self.state != ReadyState::Closed {
            self.commands.push_back(EngineCommand::Close);
        }
        self.attempts = 0;
        self.state = ReadyState::Closed;
        self.opening_for_reconnect = false;
        let disconnect = DisconnectReason::from(&reason);
        self.events.push_back(Event::Close(reason));
        for i in self.subscribers.clone() {
            self.socket_on_close(now, i, disconnect);
        }
        if self.config.reconnection && !self.skip_reconnect {
            self.reconnect(now);
        }
    }

    /// Schedules the next attempt, or gives up.
    fn reconnect(&mut self, now: Instant) {
        if self.reconnecting || self.skip_reconnect {
            return;
        }
        if self
            .config
            .reconnection_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            self.attempts = 0;
            self.events.push_back(Event::ReconnectFailed);
            self.reconnecting = false;
            return;
        }
        let delay = backoff_delay(&self.config, self.attempts, &mut self.rng);
        self.attempts = self.attempts.saturating_add(1);
        self.reconnecting = true;
        self.timers.set(
            Timer::Reconnect,
            now.saturating_add(Duration::from_millis(delay)),
        );
    }

    fn reconnect_attempt(&mut self, now: Instant) {
        if self.skip_reconnect {
            return;
        }
        self.events
            .push_back(Event::ReconnectAttempt(self.attempts));
        if self.state != ReadyState::Closed {
            self.reconnecting = false;
            return;
        }
        self.open_engine(now, true);
    }

    /// The reference's `_destroy`: closes the manager once no socket is active.
    fn destroy(&mut self, now: Instant, i: usize) {
        if let Some(sock) = self.sockets.get_mut(i) {
            sock.active = false;
            sock.auth_pending = false;
        }
        self.subscribers.retain(|&s| s != i);
        if self.subscribers.is_empty() {
            self.close(now);
        }
    }

    /// Encodes `packet` and queues its messages: the header, then each attachment, adjacent.
    fn send(&mut self, packet: Packet) {
        let mut text = String::new();
        codec::encode(&packet, &mut text);
        self.commands
            .push_back(EngineCommand::Send(Message::Text(text)));
        if let PacketData::Event { args, .. } | PacketData::Ack { args, .. } = packet.data {
            for bytes in args.into_parts().1 {
                self.commands
                    .push_back(EngineCommand::Send(Message::Binary(bytes)));
            }
        }
    }

    // ---- socket internals (the reference's Socket) ----

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        let Some(i) = self
            .subscribers
            .iter()
            .copied()
            .find(|&i| self.sockets.get(i).is_some_and(|s| s.nsp == packet.nsp))
        else {
            return;
        };
        match packet.data {
            PacketData::Connect(data) => match data.as_deref().and_then(connect_reply) {
                Some((sid, pid)) => self.on_connect(now, i, sid, pid),
                None => {
                    let data = String::from(
                        "{\"message\":\"the server answered CONNECT without a sid: it speaks \
                         Socket.IO v2, which a v3+ client cannot talk to\"}",
                    );
                    self.events.push_back(Event::ConnectError {
                        socket: SocketId(i),
                        data,
                    });
                }
            },
            PacketData::Event { args, id } => {
                let Some(sock) = self.sockets.get_mut(i) else {
                    return;
                };
                let received = Received { args, id };
                if sock.connected {
                    self.deliver_event(i, received);
                } else if sock.receive_buffer.len() < MAX_RECEIVE_BUFFER {
                    sock.receive_buffer.push_back(received);
                }
            }
            PacketData::Ack { args, id } => {
                self.on_ack(now, i, id, Ok(args));
            }
            PacketData::Disconnect => {
                if let Some(sock) = self.sockets.get_mut(i) {
                    sock.pid = None;
                    sock.offset = None;
                }
                self.destroy(now, i);
                self.socket_on_close(now, i, DisconnectReason::IoServerDisconnect);
            }
            PacketData::ConnectError(data) => {
                self.destroy(now, i);
                let data = connect_error_data(data);
                self.events.push_back(Event::ConnectError {
                    socket: SocketId(i),
                    data,
                });
            }
        }
    }

    /// Engine open: send the CONNECT, or ask the driver for the auth first.
    fn socket_on_open(&mut self, i: usize) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        match &sock.auth.0 {
            AuthKind::Callback => {
                sock.auth_pending = true;
                self.events.push_back(Event::AuthRequest {
                    socket: SocketId(i),
                });
            }
            AuthKind::Static(auth) => {
                let auth = auth.clone();
                self.send_connect(i, Some(&auth));
            }
            AuthKind::None => self.send_connect(i, None),
        }
    }

    fn send_connect(&mut self, i: usize, auth: Option<&str>) {
        let Some(sock) = self.sockets.get(i) else {
            return;
        };
        let payload = connect_payload(sock.pid.as_deref(), sock.offset.as_deref(), auth);
        let packet = Packet::connect(sock.nsp.clone(), payload);
        self.send(packet);
    }

    /// The reference's `onconnect`: buffered events are delivered and buffered emits flushed, the
    /// retry queue is resent, then `connect` (socket.io-client 4.8.2's order).
    fn on_connect(&mut self, now: Instant, i: usize, sid: String, pid: Option<String>) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        sock.sid = Some(sid);
        sock.recovered = pid.is_some() && sock.pid == pid;
        sock.pid = pid;
        sock.connected = true;
        let received = sock.receive_buffer.take();
        let buffered = sock.send_buffer.take();
        for event in received {
            self.deliver_event(i, event);
        }
        for packet in buffered {
            self.send(packet);
        }
        self.drain_queue(now, i, true);
        self.events.push_back(Event::Connect {
            socket: SocketId(i),
        });
    }

    /// The reference's `emitEvent`: delivers, and records the recovery offset.
    fn deliver_event(&mut self, i: usize, event: Received) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        // With an ack id the reference's last argument is the ack function, never the offset.
        if sock.pid.is_some() && event.id.is_none() {
            if let Some(offset) = event.args.last_str() {
                sock.offset = Some(offset.into_owned());
            }
        }
        self.events.push_back(Event::Event {
            socket: SocketId(i),
            args: event.args,
            id: event.id,
        });
    }

    /// The reference's `onclose` of a socket.
    fn socket_on_close(&mut self, now: Instant, i: usize, reason: DisconnectReason) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        sock.connected = false;
        sock.sid = None;
        sock.auth_pending = false;
        self.events.push_back(Event::Disconnect {
            socket: SocketId(i),
            reason,
        });
        self.clear_acks(now, i);
    }

    /// Fails every ack whose packet already left: it will not be answered. Acks of packets still
    /// in the send buffer wait for the next connection.
    fn clear_acks(&mut self, now: Instant, i: usize) {
        let Some(sock) = self.sockets.get(i) else {
            return;
        };
        let sent: Vec<u64> = sock
            .acks
            .keys()
            .copied()
            .filter(|&id| {
                !sock
                    .send_buffer
                    .iter()
                    .any(|p| p.ack_id() == Some(AckId(id)))
            })
            .collect();
        for id in sent {
            let Some(sock) = self.sockets.get_mut(i) else {
                return;
            };
            let Some(pending) = sock.acks.remove(&id) else {
                continue;
            };
            if let Some(key) = pending.deadline {
                self.ack_deadlines.remove(&key);
            }
            match pending.target {
                AckTarget::App(handle) => self.events.push_back(Event::Ack {
                    socket: SocketId(i),
                    handle,
                    result: Err(AckError::Disconnected),
                }),
                // The reference's queue callback hears of the disconnection only through a timed ack.
                AckTarget::Queue(seq) if pending.deadline.is_some() => {
                    self.queue_result(now, i, seq, Err(AckError::Disconnected));
                }
                AckTarget::Queue(_) => {}
            }
        }
    }

    /// The reference's `emit` past the queue: assigns the ack id, then sends, buffers or drops.
    #[allow(
        clippy::too_many_arguments,
        reason = "the reference's packet fields and flags"
    )]
    fn emit_packet(
        &mut self,
        now: Instant,
        i: usize,
        args: Args,
        target: Option<AckTarget>,
        timeout: Option<Duration>,
        volatile: bool,
    ) {
        // The reference drops a volatile packet when the transport is not writable; over an
        // abstract engine, writable means open.
        let writable = self.state == ReadyState::Open;
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let id = target.map(|target| {
            let id = sock.ids;
            sock.ids += 1;
            let deadline = timeout.or(sock.ack_timeout).map(|t| {
                let key = (now + t, self.deadline_seq);
                self.deadline_seq += 1;
                self.ack_deadlines.insert(key, (i, id));
                key
            });
            sock.acks.insert(id, PendingAck { target, deadline });
            AckId(id)
        });
        let packet = Packet::event(sock.nsp.clone(), args, id);
        if volatile && !writable {
            // dropped, as the reference does; a timed ack still times out
        } else if sock.connected {
            self.send(packet);
        } else {
            sock.send_buffer.push_back(packet);
        }
    }

    fn on_ack(&mut self, now: Instant, i: usize, id: AckId, result: Result<Args, AckError>) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        // An ACK for an id nobody waits for (answered, timed out, or never sent) is ignored.
        let Some(pending) = sock.acks.remove(&id.0) else {
            return;
        };
        if let Some(key) = pending.deadline {
            self.ack_deadlines.remove(&key);
        }
        self.resolve(now, i, pending.target, result);
    }

    /// Hands an ack's outcome to whoever waits for it: the application, or the retry queue.
    fn resolve(
        &mut self,
        now: Instant,
        i: usize,
        target: AckTarget,
        result: Result<Args, AckError>,
    ) {
        match target {
            AckTarget::App(handle) => self.events.push_back(Event::Ack {
                socket: SocketId(i),
                handle,
                result,
            }),
            AckTarget::Queue(seq) => self.queue_result(now, i, seq, result),
        }
    }

    fn on_ack_timeout(&mut self, now: Instant, key: (Instant, u64), i: usize, id: u64) {
        self.ack_deadlines.remove(&key);
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let Some(pending) = sock.acks.remove(&id) else {
            return;
        };
        // A timed-out packet still in the offline buffer is not sent any more.
        sock.send_buffer.retain(|p| p.ack_id() != Some(AckId(id)));
        self.resolve(now, i, pending.target, Err(AckError::Timeout));
    }

    /// The callback the reference's `_addToQueue` attaches to a queued packet.
    fn queue_result(&mut self, now: Instant, i: usize, seq: u64, result: Result<Args, AckError>) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let retries = sock.retries;
        let Some(head) = sock.queue.front_mut() else {
            return;
        };
        if head.seq != seq {
            return; // already acknowledged
        }
        let done = match &result {
            Err(_) => head.try_count > retries,
            Ok(_) => true,
        };
        head.pending = false;
        if done {
            let handle = sock.queue.pop_front().and_then(|q| q.handle);
            if let Some(handle) = handle {
                self.events.push_back(Event::Ack {
                    socket: SocketId(i),
                    handle,
                    result,
                });
            }
        }
        self.drain_queue(now, i, false);
    }

    /// The reference's `_drainQueue`: sends the queue's head, one in flight.
    fn drain_queue(&mut self, now: Instant, i: usize, force: bool) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        if !sock.connected {
            return;
        }
        let Some(head) = sock.queue.front_mut() else {
            return;
        };
        if head.pending && !force {
            return;
        }
        head.pending = true;
        head.try_count = head.try_count.saturating_add(1);
        let args = head.args.clone();
        let (seq, timeout) = (head.seq, head.timeout);
        self.emit_packet(now, i, args, Some(AckTarget::Queue(seq)), timeout, false);
    }
}

/// The reference's `Backoff.duration()` for attempt `attempt` (counted from 0): `delay * 2^attempt`,
/// jittered by `± floor(rand * factor * ms)` (minus when `floor(rand * 10)` is even), THEN capped.
fn backoff_delay(config: &Config, attempt: u32, rng: &mut Rng) -> u64 {
    // 2^attempt exactly, from the exponent bits; overflows to infinity, then the cap applies.
    let pow2 = if attempt < 1024 {
        f64::from_bits(u64::from(1023 + attempt) << 52)
    } else {
        f64::INFINITY
    };
    let mut ms = duration_millis(config.reconnection_delay) as f64 * pow2;
    let jitter = config.randomization_factor;
    if jitter > 0.0 && jitter <= 1.0 {
        let rand = rng.next_f64();
        // Both products are non-negative, so truncation is `Math.floor`.
        let deviation = ((rand * jitter * ms) as u64) as f64;
        ms = if ((rand * 10.0) as u64) & 1 == 0 {
            ms - deviation
        } else {
            ms + deviation
        };
    }
    // `f64::min` ignores a NaN (from infinite delays), leaving the cap.
    let ms = ms.min(duration_millis(config.reconnection_delay_max) as f64);
    if ms > 0.0 { ms as u64 } else { 0 }
}

/// `sid` and `pid` of a CONNECT reply (`{"sid":..,"pid":..}`); `None` without a string `sid`.
fn connect_reply(data: &str) -> Option<(String, Option<String>)> {
    let string = |key| {
        let raw = json::object_get(data, key)?;
        json::parse_string(raw).ok().map(Cow::into_owned)
    };
    let sid = string("sid").filter(|s| !s.is_empty())?;
    Some((sid, string("pid")))
}

/// The CONNECT_ERROR payload as `{"message":..,"data":..}`: objects pass through, a bare string (from
/// older servers) becomes the message.
fn connect_error_data(data: String) -> String {
    // The decoder accepted it as JSON: only JSON whitespace can surround it.
    let trimmed = json::trim(&data);
    if trimmed.starts_with('"') {
        if let Ok(message) = json::parse_string(trimmed) {
            let mut out = String::from("{\"message\":");
            json::write_string(&mut out, &message);
            out.push('}');
            return out;
        }
    }
    data
}

/// The CONNECT payload: the auth object, with `pid` and `offset` first when recovering, as
/// `Object.assign({ pid, offset }, auth)` (an unknown offset is left out, as `JSON.stringify`
/// leaves out `undefined`; keys of the auth override).
fn connect_payload(pid: Option<&str>, offset: Option<&str>, auth: Option<&str>) -> Option<String> {
    let Some(pid) = pid else {
        return auth.map(String::from);
    };
    let (mut auth_pid, mut auth_offset, mut rest) = (None, None, Vec::new());
    for (key, value) in auth.map(json::object_entries).into_iter().flatten() {
        match &*key {
            "pid" => auth_pid = Some(value),
            "offset" => auth_offset = Some(value),
            _ => rest.push((key, value)),
        }
    }
    let mut out = String::from("{\"pid\":");
    match auth_pid {
        Some(raw) => out.push_str(raw),
        None => json::write_string(&mut out, pid),
    }
    match (auth_offset, offset) {
        (Some(raw), _) => {
            out.push_str(",\"offset\":");
            out.push_str(raw);
        }
        (None, Some(offset)) => {
            out.push_str(",\"offset\":");
            json::write_string(&mut out, offset);
        }
        (None, None) => {}
    }
    for (key, value) in rest {
        out.push(',');
        json::write_string(&mut out, &key);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    Some(out)
}

fn validate_object(json: &str, max_depth: usize) -> Result<(), AuthError> {
    let scan = json::scan(json, max_depth).map_err(AuthError::InvalidJson)?;
    if scan.kind == Kind::Object {
        Ok(())
    } else {
        Err(AuthError::NotAnObject)
    }
}

/// What the server's decoder will demand of an EVENT (`event`) or ACK payload beyond what
/// [`Args`] guarantees: a name, not reserved, and a nesting the server accepts. A binary packet
/// must also have one placeholder per attachment, as the reference writes it: a placeholder-like
/// object among the data would otherwise be taken for binary by a reference peer.
fn validate_args(args: &Args, max_depth: usize, event: bool) -> Result<(), EmitError> {
    if args.depth() > max_depth {
        return Err(EmitError::InvalidJson(JsonError {
            offset: 0,
            kind: json::JsonErrorKind::TooDeep,
        }));
    }
    if !args.attachments().is_empty() && args.placeholders().len() != args.attachments().len() {
        return Err(EmitError::AttachmentMismatch);
    }
    if event {
        let name = args.event_name().ok_or(EmitError::MissingEventName)?;
        if RESERVED_EVENTS.contains(&&*name) {
            return Err(EmitError::ReservedEventName);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    const SEED: u64 = 42;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn nsp(name: &str) -> Nsp {
        Nsp::new(name).unwrap()
    }

    /// The engine side as text: `open`, `close`, each Send as its wire string (`<bin:..>` for binary).
    fn wire(m: &mut Manager) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(cmd) = m.poll_engine() {
            out.push(match cmd {
                EngineCommand::Open => "open".to_string(),
                EngineCommand::Close => "close".to_string(),
                EngineCommand::Send(Message::Text(t)) => t,
                EngineCommand::Send(Message::Binary(b)) => format!("<bin:{b:?}>"),
            });
        }
        out
    }

    fn events(m: &mut Manager) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = m.poll_event() {
            out.push(e);
        }
        out
    }

    fn recv(m: &mut Manager, now: Instant, text: &str) {
        m.handle_engine_message(now, Message::Text(text.to_string()));
    }

    fn config() -> Config {
        Config::default()
    }

    /// A manager with one socket on `/`, engine open and CONNECT answered with sid `abc`.
    fn connected(config: Config) -> (Manager, SocketId) {
        let mut m = Manager::new(at(0), config, SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        m.handle_engine_open(at(0));
        assert_eq!(wire(&mut m), ["open", "0"]);
        recv(&mut m, at(0), r#"0{"sid":"abc"}"#);
        assert_eq!(events(&mut m), [Event::Open, Event::Connect { socket: s }]);
        (m, s)
    }

    /// Arguments without attachments.
    fn args_of(text: &str) -> Args {
        Args::from_json(text, vec![]).unwrap()
    }

    /// Arguments with attachments.
    fn binary_args(text: &str, attachments: Vec<Vec<u8>>) -> Args {
        Args::from_json(text, attachments).unwrap()
    }

    fn ev(socket: SocketId, args: &str, id: Option<u64>) -> Event {
        Event::Event {
            socket,
            args: args_of(args),
            id: id.map(AckId),
        }
    }

    fn ok(socket: SocketId, handle: AckHandle, args: &str) -> Event {
        Event::Ack {
            socket,
            handle,
            result: Ok(args_of(args)),
        }
    }

    fn disconnect(socket: SocketId, reason: DisconnectReason) -> Event {
        Event::Disconnect { socket, reason }
    }

    // ---- namespaces ----

    #[test]
    fn namespaces_share_one_engine_and_each_sends_connect_when_it_opens() {
        let mut m = Manager::new(at(0), config(), SEED);
        let root = m.socket(at(0), Nsp::root(), Auth::NONE);
        let admin = m.socket(
            at(0),
            nsp("/admin"),
            Auth::object(r#"{"token":"x"}"#).unwrap(),
        );
        assert_eq!(
            wire(&mut m),
            ["open"],
            "one engine for both namespaces, nothing sent yet"
        );
        assert_eq!(m.state(), ReadyState::Opening);
        assert_eq!(
            m.socket(at(0), nsp("admin"), Auth::NONE),
            admin,
            "one socket per namespace"
        );

        m.handle_engine_open(at(5));
        assert_eq!(wire(&mut m), ["0", r#"0/admin,{"token":"x"}"#]);
        assert_eq!(events(&mut m), [Event::Open]);

        recv(&mut m, at(6), r#"0/admin,{"sid":"def"}"#);
        recv(&mut m, at(6), r#"0{"sid":"abc"}"#);
        assert_eq!(
            events(&mut m),
            [
                Event::Connect { socket: admin },
                Event::Connect { socket: root }
            ]
        );
        assert_eq!(m.sid(root), Some("abc"));
        assert_eq!(m.sid(admin), Some("def"));

        recv(&mut m, at(7), r#"2/admin,["hello",1]"#);
        recv(&mut m, at(7), r#"2["hello",2]"#);
        recv(&mut m, at(7), r#"2/other,["hello",3]"#);
        assert_eq!(
            events(&mut m),
            [
                ev(admin, r#"["hello",1]"#, None),
                ev(root, r#"["hello",2]"#, None)
            ],
            "routed by namespace; packets for a namespace with no socket are ignored"
        );
    }

    #[test]
    fn connect_error_leaves_the_socket_inactive_and_it_is_not_reconnected() {
        let (mut m, root) = connected(config());
        let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
        assert_eq!(wire(&mut m), ["0/admin,"]);
        recv(
            &mut m,
            at(1),
            r#"4/admin,{"message":"not authorized","data":{"code":7}}"#,
        );
        assert_eq!(
            events(&mut m),
            [Event::ConnectError {
                socket: admin,
                data: r#"{"message":"not authorized","data":{"code":7}}"#.to_string()
            }]
        );
        assert!(!m.is_active(admin));
        assert!(m.is_active(root), "the other namespace is untouched");

        // The engine drops: only `/` is disconnected, and only `/` connects again.
        m.handle_engine_close(at(2), CloseReason::TransportClose);
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::TransportClose),
                disconnect(root, DisconnectReason::TransportClose)
            ]
        );
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        assert_eq!(wire(&mut m), ["open", "0"]);
    }

    #[test]
    fn a_bare_string_connect_error_becomes_the_message() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        m.handle_engine_open(at(0));
        recv(&mut m, at(0), r#"4"Invalid namespace""#);
        let data = r#"{"message":"Invalid namespace"}"#.to_string();
        assert_eq!(
            events(&mut m),
            [
                Event::Open,
                Event::Close(CloseReason::ForcedClose),
                Event::ConnectError { socket: s, data }
            ],
            "destroy() runs before connect_error, as in the reference's onpacket"
        );
        // `/` was the last active socket: the manager closes, with no reconnection.
        assert_eq!(wire(&mut m), ["open", "0", "close"]);
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn io_server_disconnect_is_final_for_that_socket() {
        let (mut m, root) = connected(config());
        let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
        recv(&mut m, at(0), r#"0/admin,{"sid":"def"}"#);
        let _ = (wire(&mut m), events(&mut m));

        recv(&mut m, at(1), "1/admin,");
        assert_eq!(
            events(&mut m),
            [disconnect(admin, DisconnectReason::IoServerDisconnect)]
        );
        assert!(!m.is_active(admin) && !m.is_connected(admin));
        assert_eq!(m.state(), ReadyState::Open, "`/` still uses the engine");
        assert_eq!(wire(&mut m), Vec::<String>::new());

        recv(&mut m, at(2), "1");
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::ForcedClose),
                disconnect(root, DisconnectReason::IoServerDisconnect)
            ],
            "the last socket gone, the manager closes first, as the reference's _destroy does"
        );
        assert_eq!(wire(&mut m), ["close"]);
        assert_eq!(m.poll_timeout(), None, "no reconnection");
    }

    #[test]
    fn client_disconnect_sends_disconnect_and_closes_the_engine_without_reconnecting() {
        let (mut m, s) = connected(config());
        m.disconnect(at(10), s);
        assert_eq!(
            wire(&mut m),
            ["1", "close"],
            "DISCONNECT goes out before the engine closes"
        );
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::ForcedClose),
                disconnect(s, DisconnectReason::IoClientDisconnect)
            ]
        );
        assert!(!m.is_active(s));
        assert_eq!(m.poll_timeout(), None);
        assert_eq!(m.state(), ReadyState::Closed);

        // connect() again opens a new engine.
        m.connect(at(20), s);
        assert_eq!(wire(&mut m), ["open"]);
    }

    #[test]
    fn auth_callback_asks_the_driver_at_each_connect() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), nsp("/admin"), Auth::CALLBACK);
        m.handle_engine_open(at(0));
        assert_eq!(
            events(&mut m),
            [Event::Open, Event::AuthRequest { socket: s }]
        );
        assert_eq!(wire(&mut m), ["open"], "nothing before the answer");
        assert_eq!(
            m.connect_with_auth(at(1), s, Some("[1]".to_string())),
            Err(AuthError::NotAnObject)
        );
        m.connect_with_auth(at(1), s, Some(r#"{"token":"t1"}"#.to_string()))
            .unwrap();
        assert_eq!(wire(&mut m), [r#"0/admin,{"token":"t1"}"#]);
        m.connect_with_auth(at(1), s, Some(r#"{"token":"t2"}"#.to_string()))
            .unwrap();
        assert_eq!(
            wire(&mut m),
            Vec::<String>::new(),
            "one CONNECT per request"
        );
    }

    // ---- acks ----

    #[test]
    fn ack_ids_count_per_socket_and_unknown_acks_are_ignored() {
        let (mut m, root) = connected(config());
        let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
        recv(&mut m, at(0), r#"0/admin,{"sid":"def"}"#);
        let _ = (wire(&mut m), events(&mut m));

        let h0 = m
            .emit(at(1), root, Emit::new(args_of(r#"["hello",1]"#)).with_ack())
            .unwrap()
            .unwrap();
        let none = m
            .emit(at(1), root, Emit::new(args_of(r#"["fire"]"#)))
            .unwrap();
        let h1 = m
            .emit(at(1), root, Emit::new(args_of(r#"["hello",2]"#)).with_ack())
            .unwrap()
            .unwrap();
        let h2 = m
            .emit(at(1), admin, Emit::new(args_of(r#"["hi"]"#)).with_ack())
            .unwrap()
            .unwrap();
        assert_eq!(none, None);
        assert_eq!(
            wire(&mut m),
            [
                r#"20["hello",1]"#,
                r#"2["fire"]"#,
                r#"21["hello",2]"#,
                r#"2/admin,0["hi"]"#
            ]
        );

        recv(&mut m, at(2), r#"31["b"]"#);
        recv(&mut m, at(2), r#"30["a"]"#);
        recv(&mut m, at(2), r#"30["again"]"#);
        recv(&mut m, at(2), "35[]");
        recv(&mut m, at(2), "3/admin,0[]");
        assert_eq!(
            events(&mut m),
            [
                ok(root, h1, r#"["b"]"#),
                ok(root, h0, r#"["a"]"#),
                ok(admin, h2, "[]")
            ]
        );
        assert_eq!(m.poll_timeout(), None, "no ack timeout without a timeout");
    }

    #[test]
    fn a_server_event_with_an_ack_id_is_answered_with_ack() {
        let (mut m, s) = connected(config());
        recv(&mut m, at(1), r#"27["question"]"#);
        assert_eq!(events(&mut m), [ev(s, r#"["question"]"#, Some(7))]);
        m.ack(at(2), s, AckId(7), args_of(r#"["answer"]"#)).unwrap();
        m.ack(
            at(2),
            s,
            AckId(8),
            binary_args(r#"[{"_placeholder":true,"num":0}]"#, vec![vec![1]]),
        )
        .unwrap();
        assert_eq!(
            wire(&mut m),
            [
                r#"37["answer"]"#,
                r#"61-8[{"_placeholder":true,"num":0}]"#,
                "<bin:[1]>"
            ]
        );
        assert_eq!(
            Args::from_json("{}", vec![]),
            Err(crate::socket::args::ArgsError::NotAnArray)
        );
    }

    #[test]
    fn an_ack_timeout_fails_the_ack_and_a_late_ack_is_ignored() {
        let (mut m, s) = connected(config());
        let h = m
            .emit(
                at(100),
                s,
                Emit::new(args_of(r#"["slow"]"#)).with_timeout(Duration::from_millis(1000)),
            )
            .unwrap()
            .unwrap();
        assert_eq!(wire(&mut m), [r#"20["slow"]"#]);
        assert_eq!(m.poll_timeout(), Some(at(1100)));
        m.handle_timeout(at(1099));
        assert_eq!(events(&mut m), []);
        m.handle_timeout(at(1100));
        assert_eq!(
            events(&mut m),
            [Event::Ack {
                socket: s,
                handle: h,
                result: Err(AckError::Timeout)
            }]
        );
        recv(&mut m, at(1200), "30[]");
        assert_eq!(events(&mut m), [], "the late ACK is ignored");
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn the_sockets_ack_timeout_is_the_default_and_timeout_overrides_it() {
        let mut c = config();
        c.ack_timeout = Some(Duration::from_millis(500));
        let (mut m, s) = connected(c);
        let h0 = m
            .emit(at(0), s, Emit::new(args_of(r#"["a"]"#)).with_ack())
            .unwrap()
            .unwrap();
        let h1 = m
            .emit(
                at(0),
                s,
                Emit::new(args_of(r#"["b"]"#)).with_timeout(Duration::from_millis(200)),
            )
            .unwrap()
            .unwrap();
        m.handle_timeout(at(200));
        m.handle_timeout(at(500));
        assert_eq!(
            events(&mut m),
            [
                Event::Ack {
                    socket: s,
                    handle: h1,
                    result: Err(AckError::Timeout)
                },
                Event::Ack {
                    socket: s,
                    handle: h0,
                    result: Err(AckError::Timeout)
                }
            ]
        );
    }

    #[test]
    fn a_timed_out_packet_is_removed_from_the_offline_buffer() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        let h = m
            .emit(
                at(0),
                s,
                Emit::new(args_of(r#"["late"]"#)).with_timeout(Duration::from_millis(1000)),
            )
            .unwrap()
            .unwrap();
        m.emit(at(0), s, Emit::new(args_of(r#"["kept"]"#))).unwrap();
        assert_eq!(m.buffered(s), 2);
        m.handle_timeout(at(1000));
        assert_eq!(
            events(&mut m),
            [Event::Ack {
                socket: s,
                handle: h,
                result: Err(AckError::Timeout)
            }]
        );
        assert_eq!(m.buffered(s), 1);
        m.handle_engine_open(at(1500));
        recv(&mut m, at(1500), r#"0{"sid":"abc"}"#);
        assert_eq!(wire(&mut m), ["open", "0", r#"2["kept"]"#]);
    }

    #[test]
    fn disconnection_fails_the_acks_of_sent_packets_but_keeps_buffered_ones() {
        let (mut m, s) = connected(config());
        let sent = m
            .emit(at(0), s, Emit::new(args_of(r#"["sent"]"#)).with_ack())
            .unwrap()
            .unwrap();
        m.handle_engine_close(at(1), CloseReason::PingTimeout);
        let buffered = m
            .emit(at(2), s, Emit::new(args_of(r#"["buffered"]"#)).with_ack())
            .unwrap()
            .unwrap();
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::PingTimeout),
                disconnect(s, DisconnectReason::PingTimeout),
                Event::Ack {
                    socket: s,
                    handle: sent,
                    result: Err(AckError::Disconnected)
                }
            ]
        );
        assert_eq!(wire(&mut m), [r#"20["sent"]"#]);
        // Reconnected: the buffered packet goes out with its ack id and is answered.
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        recv(&mut m, next, r#"0{"sid":"abc2"}"#);
        assert_eq!(wire(&mut m), ["open", "0", r#"21["buffered"]"#]);
        recv(&mut m, next, "31[true]");
        assert_eq!(events(&mut m).last(), Some(&ok(s, buffered, "[true]")));
    }

    // ---- offline buffer ----

    #[test]
    fn emits_while_disconnected_are_flushed_in_order_after_connect() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        m.emit(at(0), s, Emit::new(args_of(r#"["one"]"#))).unwrap();
        m.emit(at(0), s, Emit::new(args_of(r#"["lost"]"#)).volatile())
            .unwrap();
        m.emit(at(0), s, Emit::new(args_of(r#"["two"]"#)).with_ack())
            .unwrap();
        m.handle_engine_open(at(10));
        // The engine is open but the namespace not yet joined: a volatile emit is buffered, as
        // the reference does when the transport is writable.
        m.emit(at(10), s, Emit::new(args_of(r#"["three"]"#)).volatile())
            .unwrap();
        assert_eq!(wire(&mut m), ["open", "0"]);
        assert_eq!(m.buffered(s), 3);

        recv(&mut m, at(11), r#"0{"sid":"abc"}"#);
        assert_eq!(
            wire(&mut m),
            [r#"2["one"]"#, r#"20["two"]"#, r#"2["three"]"#]
        );
        assert_eq!(events(&mut m), [Event::Open, Event::Connect { socket: s }]);
        assert_eq!(m.buffered(s), 0);

        m.emit(at(12), s, Emit::new(args_of(r#"["now"]"#)).volatile())
            .unwrap();
        assert_eq!(wire(&mut m), [r#"2["now"]"#]);
    }

    #[test]
    fn events_received_before_the_connect_reply_are_delivered_before_connect() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        m.handle_engine_open(at(0));
        recv(&mut m, at(0), r#"2["early"]"#);
        recv(&mut m, at(0), r#"0{"sid":"abc"}"#);
        assert_eq!(
            events(&mut m),
            [
                Event::Open,
                ev(s, r#"["early"]"#, None),
                Event::Connect { socket: s }
            ],
            "socket.io-client 4.8's onconnect runs emitBuffered before emitting connect"
        );
    }

    #[test]
    fn emit_refuses_what_the_server_would_refuse() {
        let (mut m, s) = connected(config());
        let refuse =
            |m: &mut Manager, args: &str| m.emit(at(0), s, Emit::new(args_of(args))).unwrap_err();
        assert_eq!(
            refuse(&mut m, r#"["connect"]"#),
            EmitError::ReservedEventName
        );
        assert_eq!(
            refuse(&mut m, r#"["disconnecting",1]"#),
            EmitError::ReservedEventName
        );
        assert_eq!(refuse(&mut m, "[]"), EmitError::MissingEventName);
        assert_eq!(refuse(&mut m, "[{}]"), EmitError::MissingEventName);
        let deep = format!(r#"["a",{}{}]"#, "[".repeat(40), "]".repeat(40));
        assert!(matches!(refuse(&mut m, &deep), EmitError::InvalidJson(_)));
        let ambiguous = Args::from_json(
            r#"["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
            vec![vec![1]],
        )
        .unwrap();
        assert_eq!(
            m.emit(at(0), s, Emit::new(ambiguous)),
            Err(EmitError::AttachmentMismatch)
        );
        assert_eq!(
            m.emit(at(0), SocketId(9), Emit::new(args_of(r#"["a"]"#))),
            Err(EmitError::UnknownSocket)
        );
        m.emit(at(0), s, Emit::new(args_of("[42]"))).unwrap();
        assert_eq!(wire(&mut m), ["2[42]"], "a numeric event name is allowed");
    }

    // ---- retries ----

    #[test]
    fn retries_resend_with_a_new_ack_id_and_fail_after_the_last_try() {
        let mut c = config();
        c.retries = 2;
        c.ack_timeout = Some(Duration::from_millis(1000));
        let (mut m, s) = connected(c);
        let h = m
            .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
            .unwrap()
            .unwrap();
        let h2 = m
            .emit(at(0), s, Emit::new(args_of(r#"["y"]"#)).with_ack())
            .unwrap()
            .unwrap();
        assert_eq!(wire(&mut m), [r#"20["x"]"#], "one packet in flight");
        m.handle_timeout(at(1000));
        assert_eq!(wire(&mut m), [r#"21["x"]"#]);
        m.handle_timeout(at(2000));
        assert_eq!(wire(&mut m), [r#"22["x"]"#]);
        assert_eq!(events(&mut m), []);
        recv(&mut m, at(2500), r#"30["too late"]"#);
        assert_eq!(events(&mut m), [], "an ack of an abandoned try is ignored");
        m.handle_timeout(at(3000));
        assert_eq!(
            events(&mut m),
            [Event::Ack {
                socket: s,
                handle: h,
                result: Err(AckError::Timeout)
            }],
            "1 + retries tries, then the app's handle fails"
        );
        assert_eq!(wire(&mut m), [r#"23["y"]"#], "the next packet goes out");
        recv(&mut m, at(3100), r#"33["done"]"#);
        assert_eq!(events(&mut m), [ok(s, h2, r#"["done"]"#)]);
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn a_queued_packet_acknowledged_on_a_retry_resolves_the_same_handle() {
        let mut c = config();
        c.retries = 3;
        c.ack_timeout = Some(Duration::from_millis(1000));
        let (mut m, s) = connected(c);
        m.emit(at(0), s, Emit::new(args_of(r#"["no-ack"]"#)))
            .unwrap();
        let h = m
            .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
            .unwrap()
            .unwrap();
        assert_eq!(
            wire(&mut m),
            [r#"20["no-ack"]"#],
            "queued emits always ask for an ack"
        );
        recv(&mut m, at(10), "30[]");
        assert_eq!(wire(&mut m), [r#"21["x"]"#]);
        m.handle_timeout(at(1010));
        assert_eq!(wire(&mut m), [r#"22["x"]"#]);
        recv(&mut m, at(1020), r#"32["ok"]"#);
        assert_eq!(events(&mut m), [ok(s, h, r#"["ok"]"#)]);
    }

    #[test]
    fn the_retry_queue_waits_for_the_connection_and_resends_after_reconnect() {
        let mut c = config();
        c.retries = 1;
        c.ack_timeout = Some(Duration::from_millis(10_000));
        let mut m = Manager::new(at(0), c, SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        let h = m
            .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
            .unwrap()
            .unwrap();
        m.handle_engine_open(at(0));
        recv(&mut m, at(0), r#"0{"sid":"a"}"#);
        assert_eq!(wire(&mut m), ["open", "0", r#"20["x"]"#]);
        // Lost before the ack: the try counts; it is resent on the next connection.
        m.handle_engine_close(at(5), CloseReason::TransportClose);
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        recv(&mut m, next, r#"0{"sid":"b"}"#);
        assert_eq!(wire(&mut m), ["open", "0", r#"21["x"]"#]);
        m.handle_engine_close(next, CloseReason::TransportClose);
        let evs = events(&mut m);
        assert!(
            evs.contains(&Event::Ack {
                socket: s,
                handle: h,
                result: Err(AckError::Disconnected)
            }),
            "two tries used: the second loss fails the handle: {evs:?}"
        );
    }

    // ---- reconnection ----

    /// The reference's Backoff.duration(), written out independently of the code under test.
    fn expected_delays(seed: u64, n: u32) -> Vec<u64> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|attempt| {
                let ms = 1000.0 * 2f64.powi(attempt as i32);
                let rand = rng.next_f64();
                let deviation = (rand * 0.5 * ms).floor();
                let ms = if ((rand * 10.0).floor() as i64) & 1 == 0 {
                    ms - deviation
                } else {
                    ms + deviation
                };
                ms.min(5000.0) as u64
            })
            .collect()
    }

    #[test]
    fn reconnection_follows_the_reference_backoff_and_caps_at_the_max() {
        let (mut m, s) = connected(config());
        m.handle_engine_close(at(1000), CloseReason::TransportError);
        assert_eq!(
            events(&mut m),
            [
                Event::Error(ConnectionError::Engine(CloseReason::TransportError)),
                Event::Close(CloseReason::TransportError),
                disconnect(s, DisconnectReason::TransportError)
            ]
        );
        assert!(m.is_active(s), "an accidental loss keeps the socket active");
        let mut now = at(1000);
        let mut delays = Vec::new();
        for attempt in 1..=10u32 {
            let next = m.poll_timeout().unwrap();
            delays.push((next - now).as_millis() as u64);
            m.handle_timeout(next);
            assert_eq!(wire(&mut m), ["open"]);
            m.handle_engine_close(next, CloseReason::TransportError);
            let err = ConnectionError::Engine(CloseReason::TransportError);
            let data = r#"{"message":"transport error"}"#.to_string();
            assert_eq!(
                events(&mut m),
                [
                    Event::ReconnectAttempt(attempt),
                    Event::Error(err.clone()),
                    Event::ConnectError { socket: s, data },
                    Event::ReconnectError(err)
                ]
            );
            now = next;
        }
        assert_eq!(delays, expected_delays(SEED, 10));
        assert!(
            delays[..4].iter().any(|&d| d != 1000 && d != 5000),
            "jitter is applied"
        );
        assert!(
            delays[4..].iter().all(|&d| d == 5000),
            "capped after jitter: {delays:?}"
        );
        assert_eq!(m.reconnect_attempts(), 11);

        // Success: `reconnect` with the attempt count, and the socket joins its namespace again.
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        assert_eq!(wire(&mut m), ["open", "0"]);
        assert_eq!(
            events(&mut m),
            [
                Event::ReconnectAttempt(11),
                Event::Open,
                Event::Reconnect(11)
            ]
        );
        assert_eq!(m.reconnect_attempts(), 0);
        assert!(!m.is_reconnecting());
    }

    #[test]
    fn the_backoff_formula_matches_for_other_seeds() {
        for seed in [0, 1, 7, 0xDEAD_BEEF] {
            let c = config();
            let mut rng = Rng::new(seed);
            let got: Vec<u64> = (0..8).map(|a| backoff_delay(&c, a, &mut rng)).collect();
            assert_eq!(got, expected_delays(seed, 8), "seed {seed}");
        }
        let mut rng = Rng::new(1);
        assert_eq!(
            backoff_delay(&config(), 5000, &mut rng),
            5000,
            "huge attempts stay capped"
        );
        let mut c = config();
        c.randomization_factor = 0.0;
        let got: Vec<u64> = (0..4).map(|a| backoff_delay(&c, a, &mut rng)).collect();
        assert_eq!(got, [1000, 2000, 4000, 5000], "no jitter");
    }

    #[test]
    fn the_open_timeout_counts_as_a_failed_attempt_and_reconnect_failed_ends_the_loop() {
        let mut c = config();
        c.reconnection_attempts = Some(2);
        let mut m = Manager::new(at(0), c, SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        assert_eq!(wire(&mut m), ["open"]);
        assert_eq!(m.poll_timeout(), Some(at(20_000)));
        m.handle_timeout(at(20_000));
        assert_eq!(wire(&mut m), ["close"], "the timed-out engine is closed");
        let data = r#"{"message":"timeout"}"#.to_string();
        assert_eq!(
            events(&mut m),
            [
                Event::Error(ConnectionError::Timeout),
                Event::ConnectError {
                    socket: s,
                    data: data.clone()
                }
            ]
        );
        let d = expected_delays(SEED, 2);
        assert_eq!(
            m.poll_timeout(),
            Some(at(20_000 + d[0])),
            "maybeReconnectOnOpen"
        );

        let t1 = 20_000 + d[0];
        m.handle_timeout(at(t1));
        assert_eq!(wire(&mut m), ["open"]);
        m.handle_timeout(at(t1 + 20_000));
        assert_eq!(wire(&mut m), ["close"]);
        let t2 = t1 + 20_000 + d[1];
        assert_eq!(m.poll_timeout(), Some(at(t2)));
        m.handle_timeout(at(t2));
        m.handle_engine_close(at(t2 + 1), CloseReason::TransportError);
        let timeout = ConnectionError::Timeout;
        let failed = ConnectionError::Engine(CloseReason::TransportError);
        let failed_data = r#"{"message":"transport error"}"#.to_string();
        assert_eq!(
            events(&mut m),
            [
                Event::ReconnectAttempt(1),
                Event::Error(timeout.clone()),
                Event::ConnectError { socket: s, data },
                Event::ReconnectError(timeout),
                Event::ReconnectAttempt(2),
                Event::Error(failed.clone()),
                Event::ConnectError {
                    socket: s,
                    data: failed_data
                },
                Event::ReconnectFailed,
                Event::ReconnectError(failed),
            ],
            "the reference gives up inside reconnect(), before emitting reconnect_error"
        );
        assert_eq!(m.poll_timeout(), None);
        assert!(!m.is_reconnecting());
    }

    #[test]
    fn no_reconnection_after_close() {
        let (mut m, s) = connected(config());
        m.close(at(5));
        assert_eq!(wire(&mut m), ["close"]);
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::ForcedClose),
                disconnect(s, DisconnectReason::ForcedClose)
            ]
        );
        assert_eq!(m.poll_timeout(), None);
        assert!(
            m.is_active(s),
            "sockets stay active, to connect on the next open"
        );
        m.open(at(10));
        m.handle_engine_open(at(11));
        assert_eq!(wire(&mut m), ["open", "0"]);
    }

    #[test]
    fn close_during_the_reconnection_delay_cancels_it() {
        let (mut m, _) = connected(config());
        m.handle_engine_close(at(0), CloseReason::TransportClose);
        assert!(m.is_reconnecting());
        m.close(at(1));
        assert!(!m.is_reconnecting());
        assert_eq!(m.poll_timeout(), None);
        assert_eq!(wire(&mut m), Vec::<String>::new(), "no engine to close");
    }

    #[test]
    fn open_during_the_reconnection_delay_attempts_now() {
        let (mut m, _) = connected(config());
        m.handle_engine_close(at(0), CloseReason::TransportClose);
        let _ = events(&mut m);
        m.open(at(1));
        assert_eq!(wire(&mut m), ["open"]);
        m.handle_engine_open(at(2));
        assert_eq!(
            events(&mut m),
            [Event::ReconnectAttempt(1), Event::Open, Event::Reconnect(1)]
        );
    }

    #[test]
    fn reconnection_disabled() {
        let mut c = config();
        c.reconnection = false;
        let (mut m, _) = connected(c);
        m.handle_engine_close(at(0), CloseReason::TransportClose);
        assert_eq!(m.poll_timeout(), None);
    }

    #[test]
    fn settings_take_effect_on_the_next_reconnection() {
        let (mut m, s) = connected(config());
        m.set_reconnection_delay(Duration::from_millis(200));
        m.set_reconnection_delay_max(Duration::from_millis(300));
        m.set_randomization_factor(0.0);
        m.set_reconnection_attempts(Some(2));
        m.set_timeout(Some(Duration::from_millis(50)));
        assert_eq!(m.config().reconnection_attempts, Some(2));
        m.handle_engine_close(at(1000), CloseReason::TransportClose);
        let _ = events(&mut m);
        // 200 ms, no jitter; then 400 ms capped at 300.
        assert_eq!(m.poll_timeout(), Some(at(1200)));
        m.handle_timeout(at(1200));
        assert_eq!(wire(&mut m), ["open"]);
        // The new open timeout.
        assert_eq!(m.poll_timeout(), Some(at(1250)));
        m.handle_timeout(at(1250));
        assert_eq!(m.poll_timeout(), Some(at(1550)));
        m.handle_timeout(at(1550));
        m.handle_timeout(at(1600));
        let seen = events(&mut m);
        assert!(seen.contains(&Event::ReconnectFailed), "{seen:?}");
        assert!(!m.is_reconnecting());

        // Turned off while a reconnection waits: the attempt does not happen.
        m.open(at(2000));
        m.handle_engine_open(at(2000));
        recv(&mut m, at(2000), r#"0{"sid":"abc"}"#);
        m.handle_engine_close(at(2100), CloseReason::TransportClose);
        let next = m.poll_timeout().unwrap();
        m.set_reconnection(false);
        assert!(!m.config().reconnection);
        assert!(!m.is_reconnecting());
        let _ = (wire(&mut m), events(&mut m));
        m.handle_timeout(next);
        assert_eq!(wire(&mut m), Vec::<String>::new());
        assert_eq!(events(&mut m), []);
        assert!(m.is_active(s), "the socket still wants to connect");
        // Back on: the next open reconnects after a loss again.
        m.set_reconnection(true);
        m.open(at(3000));
        m.handle_engine_open(at(3000));
        m.handle_engine_close(at(3100), CloseReason::TransportClose);
        assert_eq!(m.poll_timeout(), Some(at(3300)));
    }

    #[test]
    fn a_parse_error_closes_the_engine_and_reconnects() {
        let (mut m, s) = connected(config());
        recv(&mut m, at(1), "9nonsense");
        assert_eq!(wire(&mut m), ["close"]);
        assert_eq!(
            events(&mut m),
            [
                Event::Close(CloseReason::ParseError),
                disconnect(s, DisconnectReason::ParseError)
            ]
        );
        assert!(m.is_reconnecting() && m.is_active(s));
        // A stray binary message is a parse error too.
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        m.handle_engine_message(next, Message::Binary(vec![1]));
        assert_eq!(wire(&mut m), ["open", "0", "close"]);
    }

    #[test]
    fn engine_events_of_no_engine_are_ignored() {
        let mut c = config();
        c.auto_connect = false;
        let mut m = Manager::new(at(0), c, SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        assert_eq!(
            wire(&mut m),
            Vec::<String>::new(),
            "auto_connect off: nothing opens"
        );
        m.handle_engine_open(at(0));
        recv(&mut m, at(0), r#"0{"sid":"x"}"#);
        m.handle_engine_close(at(0), CloseReason::TransportClose);
        assert_eq!(events(&mut m), []);
        m.connect(at(1), s);
        assert_eq!(wire(&mut m), ["open"]);
    }

    // ---- connection state recovery ----

    #[test]
    fn recovery_sends_pid_and_last_offset_and_reports_recovered() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(
            at(0),
            Nsp::root(),
            Auth::object(r#"{"token":"x"}"#).unwrap(),
        );
        m.handle_engine_open(at(0));
        assert_eq!(wire(&mut m), ["open", r#"0{"token":"x"}"#]);
        recv(&mut m, at(0), r#"0{"sid":"s1","pid":"p"}"#);
        assert_eq!(m.pid(s), Some("p"));
        assert!(!m.is_recovered(s));
        recv(&mut m, at(1), r#"2["msg","hi","o1"]"#);
        recv(&mut m, at(1), r#"2["msg",1]"#);
        recv(&mut m, at(1), r#"23["ask","o9"]"#);
        let evs = events(&mut m);
        assert_eq!(
            evs[2..],
            [
                ev(s, r#"["msg","hi","o1"]"#, None),
                ev(s, r#"["msg",1]"#, None),
                ev(s, r#"["ask","o9"]"#, Some(3))
            ],
            "the offset is passed through, as the reference does"
        );
        assert_eq!(
            m.offset(s),
            Some("o1"),
            "not a number, not an event with an ack id"
        );
        recv(&mut m, at(2), r#"2["msg","o\"2"]"#);
        assert_eq!(m.offset(s), Some("o\"2"));

        m.handle_engine_close(at(3), CloseReason::TransportClose);
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        assert_eq!(
            wire(&mut m),
            ["open", r#"0{"pid":"p","offset":"o\"2","token":"x"}"#]
        );
        recv(&mut m, next, r#"0{"sid":"s2","pid":"p"}"#);
        assert!(m.is_recovered(s));

        // Lost again, and this time the server could not recover: a new pid.
        m.handle_engine_close(next, CloseReason::PingTimeout);
        let next = m.poll_timeout().unwrap();
        m.handle_timeout(next);
        m.handle_engine_open(next);
        assert_eq!(
            wire(&mut m),
            ["open", r#"0{"pid":"p","offset":"o\"2","token":"x"}"#]
        );
        recv(&mut m, next, r#"0{"sid":"s3","pid":"q"}"#);
        assert!(!m.is_recovered(s));
        assert_eq!(m.pid(s), Some("q"));

        // A deliberate disconnect forgets the session.
        m.disconnect(next, s);
        assert_eq!(m.pid(s), None);
        assert_eq!(m.offset(s), None);
        m.connect(next, s);
        m.handle_engine_open(next);
        assert_eq!(wire(&mut m), ["1", "close", "open", r#"0{"token":"x"}"#]);
    }

    #[test]
    fn the_connect_payload_is_object_assign_pid_offset_then_auth() {
        assert_eq!(connect_payload(None, Some("o"), None), None);
        assert_eq!(
            connect_payload(None, None, Some(r#"{"a":1}"#)).as_deref(),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(
            connect_payload(Some("p"), None, None).as_deref(),
            Some(r#"{"pid":"p"}"#)
        );
        assert_eq!(
            connect_payload(Some("p"), Some("o"), Some("{}")).as_deref(),
            Some(r#"{"pid":"p","offset":"o"}"#)
        );
        assert_eq!(
            connect_payload(
                Some("p"),
                Some("o"),
                Some(r#"{ "a" : [1, 2], "offset":"mine","b":null }"#)
            )
            .as_deref(),
            Some(r#"{"pid":"p","offset":"mine","a":[1, 2],"b":null}"#),
            "auth's keys override in place, as Object.assign"
        );
    }

    // ---- binary ----

    #[test]
    fn binary_events_arrive_whole_and_binary_emits_are_adjacent() {
        let (mut m, s) = connected(config());
        recv(
            &mut m,
            at(1),
            r#"52-["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        );
        m.handle_engine_message(at(1), Message::Binary(vec![1, 2]));
        assert_eq!(events(&mut m), [], "waiting for the second attachment");
        m.handle_engine_message(at(1), Message::Binary(vec![3]));
        assert_eq!(
            events(&mut m),
            [Event::Event {
                socket: s,
                args: binary_args(
                    r#"["file",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                    vec![vec![1, 2], vec![3]]
                ),
                id: None
            }]
        );

        let up = Emit::new(binary_args(
            r#"["up",{"_placeholder":true,"num":0}]"#,
            vec![vec![9, 9]],
        ))
        .with_ack();
        let h = m.emit(at(2), s, up).unwrap().unwrap();
        m.emit(at(2), s, Emit::new(args_of(r#"["after"]"#)))
            .unwrap();
        assert_eq!(
            wire(&mut m),
            [
                r#"51-0["up",{"_placeholder":true,"num":0}]"#,
                "<bin:[9, 9]>",
                r#"2["after"]"#
            ]
        );
        recv(&mut m, at(3), r#"61-0[{"_placeholder":true,"num":0}]"#);
        m.handle_engine_message(at(3), Message::Binary(vec![7]));
        assert_eq!(
            events(&mut m),
            [Event::Ack {
                socket: s,
                handle: h,
                result: Ok(binary_args(
                    r#"[{"_placeholder":true,"num":0}]"#,
                    vec![vec![7]]
                ))
            }]
        );
    }

    #[test]
    fn buffered_binary_emits_flush_adjacent() {
        let mut m = Manager::new(at(0), config(), SEED);
        let s = m.socket(at(0), Nsp::root(), Auth::NONE);
        let args = r#"["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        m.emit(
            at(0),
            s,
            Emit::new(binary_args(args, vec![vec![1], vec![2]])),
        )
        .unwrap();
        m.emit(at(0), s, Emit::new(args_of(r#"["b"]"#))).unwrap();
        m.handle_engine_open(at(0));
        recv(&mut m, at(0), r#"0{"sid":"x"}"#);
        assert_eq!(
            wire(&mut m),
            [
                "open",
                "0",
                &format!("52-{args}"),
                "<bin:[1]>",
                "<bin:[2]>",
                r#"2["b"]"#
            ]
        );
    }
}
