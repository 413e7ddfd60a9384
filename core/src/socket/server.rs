//! The server side of one Engine.IO connection at the Socket.IO layer: the reference server's
//! `Client` (one per engine connection, owning that connection's namespace sockets).
//!
//! [`Client`] sits over an abstract Engine.IO session: engine messages and the engine's close come
//! in, engine sends and an engine close go out. It decides what the protocol decides (which packets
//! are legal in which state, the connect timeout, ack ids and deadlines, the CONNECT / CONNECT_ERROR /
//! DISCONNECT packets, the disconnect reasons). What is the application's or the server's to decide
//! (whether a namespace exists, middlewares, rooms, broadcast) stays outside: a CONNECT surfaces as
//! [`Event::Connect`] and waits for [`Client::accept`] or [`Client::reject`].
//!
//! # Call order
//!
//! ```text
//! let mut client = Client::new(now, Config::default());     // arms the connect timeout
//! loop {
//!     // one input or command:
//!     client.handle_engine_message(now, msg);                 // each engine message, in order
//!     client.handle_engine_close(now, reason);                // once, when the engine session closed
//!     client.handle_timeout(now);                             // when poll_timeout() is reached
//!     client.accept(now, &nsp, sid, pid) / reject(..)         // answers to Event::Connect
//!     client.emit(..) / ack(..) / send_encoded(..) / disconnect(..) / close(now) / shutdown(now)
//!     // then drain, until each returns None:
//!     while let Some(cmd) = client.poll_engine() { .. }      // Send(Message) in order, then Close
//!     while let Some(ev) = client.poll_event() { .. }        // Connect, Event, Ack, Error, Disconnect
//!     // and arm one timer:
//!     client.poll_timeout();
//! }
//! ```
//!
//! Engine messages are Socket.IO packets without the Engine.IO `4` prefix: the wire's `40/admin,`
//! is the message `0/admin,` here, and this module's `4/admin,{..}` goes out as `44/admin,{..}`.
//!
//! # What follows the reference (socket.io 4.8 `client.ts`, `socket.ts`, `namespace.ts`)
//!
//! - A packet that is legal only for a joined namespace (EVENT, ACK, DISCONNECT) on a namespace that
//!   is not joined, a CONNECT on a namespace already joined, or any CONNECT_ERROR from the client is
//!   an "invalid state": the engine is closed and every socket disconnects with `forced server close`.
//! - A packet the codec refuses closes the engine: every socket first gets [`Event::Error`] (the
//!   reference's socket `error` event), then disconnects with `forced close`, the reason the
//!   reference reports because it closes the engine itself.
//! - The connect timeout (45 s) closes the engine if no namespace has been joined; the first join
//!   disarms it for good (leaving every namespace later does not re-arm it).
//! - Ack ids count from 0 per socket. The reference counts per namespace across all its sockets;
//!   the ids are opaque to the client, so only their values differ on the wire.
//!
//! # Where it differs, and why
//!
//! - A second CONNECT for a namespace whose first CONNECT is still pending is ignored (the reference
//!   would run the middlewares twice and keep the second socket).
//! - Bounds the reference does not have: at most [`Config::max_namespaces`] namespaces joined or
//!   pending per connection (64; a CONNECT over it is refused with
//!   `{"message":"Too many namespaces"}`, the connection stays up), and at most
//!   [`Config::max_pending_acks`] acks awaited per socket (1024; [`Client::emit`] with an ack then
//!   fails with [`UsageError::TooManyPendingAcks`] and sends nothing).
//! - When a socket disconnects, each ack it still awaits ends at once with
//!   [`AckError::Disconnected`] (the reference keeps waiting: forever without a timeout, until the
//!   deadline with one). The driver can drop a closed `Client` without leaking waiters.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::args::Args;
use super::codec::{self, DecodeError, Decoder, Limits, Status};
use super::packet::{AckId, Nsp, Packet, PacketData, RESERVED_EVENTS};
use super::reason::EngineCloseReasons;
use crate::engine::{CloseReason, Message};
use crate::json::{self, JsonError, JsonErrorKind};
use crate::time::{Instant, TimerKey, Timers};

/// How deep the JSON this end sends may nest. Only caller-built JSON is checked against it; the
/// bound keeps the check's cost and stack use fixed.
const OUTGOING_MAX_DEPTH: usize = 128;

/// The server's per-connection settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Close the engine if no namespace is joined by then (the reference's `connectTimeout`, 45000 ms).
    pub connect_timeout: Duration,
    /// Bounds for decoding the client's packets (attachments per packet, JSON depth).
    pub limits: Limits,
    /// Namespaces one connection may have joined or be joining at once (64). A CONNECT over the bound
    /// is answered with CONNECT_ERROR `{"message":"Too many namespaces"}`; the connection stays up.
    pub max_namespaces: usize,
    /// Acks one socket may await at once (1024). [`Client::emit`] with an ack over the bound fails with
    /// [`UsageError::TooManyPendingAcks`] and sends nothing.
    pub max_pending_acks: usize,
    /// How long a binary packet may wait for its attachments, counted from its header (60 s; not in
    /// the reference, which waits as long as the connection lives). Past it the connection closes as
    /// on a packet the codec refuses, with [`DecodeError::AttachmentsTimeout`].
    pub attachments_timeout: Duration,
    /// Refused CONNECTs (by [`Client::reject`] or over `max_namespaces`) one connection may have in
    /// a burst (10); one more is allowed every `refused_connect_interval`. A CONNECT arriving while
    /// the budget is spent closes the connection (`forced server close`) without asking the server:
    /// a client cannot try an auth middleware at wire speed on one connection. Not in the reference.
    pub max_refused_connects: u32,
    /// How often one refused CONNECT is forgiven (1 s); see `max_refused_connects`.
    pub refused_connect_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_millis(45_000),
            limits: Limits::default(),
            max_namespaces: 64,
            max_pending_acks: 1024,
            attachments_timeout: Duration::from_secs(60),
            max_refused_connects: 10,
            refused_connect_interval: Duration::from_secs(1),
        }
    }
}

/// What the client asks the Engine.IO session to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineCommand {
    /// Send this message. A binary packet's attachments follow its header as the next commands.
    Send(Message),
    /// Close the session, after sending every message queued before this command (the reference
    /// closes after the write buffer drains). Nothing follows it.
    Close,
}

/// The connection state recovery fields of a CONNECT's auth object (`pid` and `offset`, both strings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// The private session id the server gave in its earlier CONNECT answer.
    pub pid: String,
    /// The offset of the last event the client received.
    pub offset: String,
}

/// Names one awaited acknowledgement; unique within a [`Client`], never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckHandle(u64);

/// Why an awaited acknowledgement will not come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckError {
    /// The deadline passed first (the reference's "operation has timed out").
    Timeout,
    /// The socket disconnected first.
    Disconnected,
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AckError::Timeout => "operation has timed out",
            AckError::Disconnected => "socket has been disconnected",
        })
    }
}

impl core::error::Error for AckError {}

/// Why a socket left its namespace: the reference's `disconnect` reasons, word for word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server called `socket.disconnect()`.
    ServerNamespaceDisconnect,
    /// The client sent DISCONNECT for the namespace.
    ClientNamespaceDisconnect,
    /// The server is shutting down.
    ServerShuttingDown,
    /// The Socket.IO layer closed the connection (an invalid state, `disconnect(true)`).
    ForcedServerClose,
    /// The engine session was closed by this end (also after a Socket.IO parse error).
    ForcedClose,
    /// The client went away: it closed the engine session or its transport closed.
    TransportClose,
    /// The transport failed.
    TransportError,
    /// The client stopped answering pings.
    PingTimeout,
    /// The client sent something that is not Engine.IO.
    ParseError,
}

impl DisconnectReason {
    /// The reference's reason string.
    pub const fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
        }
    }

    /// Whether connection state recovery keeps the session for a later reconnection (the
    /// reference's `RECOVERABLE_DISCONNECT_REASONS`): every reason but a deliberate namespace
    /// disconnect by either side and a parse error.
    pub const fn is_recoverable(self) -> bool {
        !matches!(
            self,
            DisconnectReason::ServerNamespaceDisconnect
                | DisconnectReason::ClientNamespaceDisconnect
                | DisconnectReason::ParseError
        )
    }

    /// The reason sockets see when the engine session closed for `reason`.
    pub fn from_engine(reason: &CloseReason) -> Self {
        DisconnectReason::from_engine_close(reason)
    }
}

impl EngineCloseReasons for DisconnectReason {
    const FORCED_CLOSE: Self = DisconnectReason::ForcedClose;
    const TRANSPORT_CLOSE: Self = DisconnectReason::TransportClose;
    const TRANSPORT_ERROR: Self = DisconnectReason::TransportError;
    const PING_TIMEOUT: Self = DisconnectReason::PingTimeout;
    const PARSE_ERROR: Self = DisconnectReason::ParseError;
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened on the connection, for the server to act on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client asks to join `nsp`. Answer with [`Client::accept`] or [`Client::reject`] (an unknown
    /// namespace: `reject(nsp, "Invalid namespace", None)`).
    Connect {
        /// The namespace.
        nsp: Nsp,
        /// The CONNECT payload, a JSON object (the client's `auth`), if any.
        auth: Option<String>,
        /// The auth's `pid` and `offset`, when both are strings: a connection state recovery attempt.
        recovery: Option<Recovery>,
    },
    /// An EVENT (or BINARY_EVENT) on a joined namespace.
    Event {
        /// The namespace.
        nsp: Nsp,
        /// `["name", ...]` and its attachments.
        args: Args,
        /// Set when the client wants an acknowledgement: answer with [`Client::ack`].
        id: Option<AckId>,
    },
    /// The acknowledgement of an [`Client::emit`] that asked for one, or why it will not come.
    Ack {
        /// The namespace.
        nsp: Nsp,
        /// What [`Client::emit`] returned.
        handle: AckHandle,
        /// The ACK's arguments, or the error.
        result: Result<Args, AckError>,
    },
    /// The client sent a packet the codec refuses (the reference's socket `error` event). Comes for
    /// every joined socket, right before its [`Event::Disconnect`].
    Error {
        /// The namespace.
        nsp: Nsp,
        /// What was wrong.
        error: DecodeError,
    },
    /// The socket left `nsp`; the last event for it.
    Disconnect {
        /// The namespace.
        nsp: Nsp,
        /// Why, in the reference's words.
        reason: DisconnectReason,
    },
}

/// A misuse by the caller (the server), kept apart from the client's faults, which close the
/// connection instead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// The connection is closed; nothing more is sent.
    Closed,
    /// No socket is joined on this namespace.
    NotConnected(Nsp),
    /// No CONNECT for this namespace awaits an answer.
    NoPendingConnect(Nsp),
    /// The JSON given is malformed or nested deeper than 128.
    InvalidJson(JsonError),
    /// The JSON given is not what the packet carries: an EVENT's args must start with its name (a
    /// string or a number).
    InvalidArgs,
    /// The event name is one the reference reserves; the client would close the connection.
    ReservedEventName,
    /// A placeholder points past the attachments given.
    InvalidPlaceholder,
    /// The socket already awaits [`Config::max_pending_acks`] acknowledgements.
    TooManyPendingAcks(Nsp),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Closed => f.write_str("the connection is closed"),
            UsageError::NotConnected(nsp) => write!(f, "no socket is connected to namespace {nsp}"),
            UsageError::NoPendingConnect(nsp) => {
                write!(f, "no connect request is pending for namespace {nsp}")
            }
            UsageError::InvalidJson(e) => write!(f, "invalid JSON to send: {e}"),
            UsageError::InvalidArgs => f.write_str(
                "invalid arguments: an event needs a JSON array starting with its name, an ack a JSON array",
            ),
            UsageError::ReservedEventName => f.write_str(
                "reserved event name (connect, connect_error, disconnect, disconnecting, newListener and \
                 removeListener cannot be emitted)",
            ),
            UsageError::InvalidPlaceholder => {
                f.write_str("a binary placeholder refers to an attachment that was not given")
            }
            UsageError::TooManyPendingAcks(nsp) => {
                write!(f, "too many acknowledgements awaited on namespace {nsp}")
            }
        }
    }
}

impl core::error::Error for UsageError {}

/// An event to send to one socket: its arguments `["name", ...]` and what goes with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emit {
    args: Args,
    /// `Some(timeout)` when an ack is wanted; the inner `None` waits as long as the socket lives.
    ack: Option<Option<Duration>>,
    offset: Option<String>,
}

impl Emit {
    /// An event without ack or offset; `args` is `["name", ...]` (BINARY_EVENT when it has
    /// attachments).
    pub fn new(args: Args) -> Self {
        Emit {
            args,
            ack: None,
            offset: None,
        }
    }

    /// Asks for an acknowledgement, failing with [`AckError::Timeout`] after `timeout` (the
    /// reference's `socket.timeout(ms).emit(.., cb)`), or never timing out with `None`.
    #[must_use]
    pub fn with_ack(mut self, timeout: Option<Duration>) -> Self {
        self.ack = Some(timeout);
        self
    }

    /// The connection state recovery offset of this event, appended as a trailing string argument,
    /// unless an ack is asked for (it would shift the client's ack callback).
    #[must_use]
    pub fn with_offset(mut self, offset: impl Into<String>) -> Self {
        self.offset = Some(offset.into());
        self
    }
}

/// An EVENT encoded once for many receivers (a broadcast without acks), handed to each receiving
/// connection's [`Client::send_encoded`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    nsp: Nsp,
    text: String,
    attachments: Vec<Vec<u8>>,
}

impl Encoded {
    /// Checks and encodes an EVENT on `nsp`; `offset`, if any, is appended as the last argument.
    /// Broadcasts that want acks are sent per socket with [`Client::emit`], since ack ids are per
    /// socket.
    pub fn event(nsp: &Nsp, args: Args, offset: Option<&str>) -> Result<Encoded, UsageError> {
        let args = event_args(args, offset)?;
        let packet = Packet::event(nsp.clone(), args, None);
        let mut text = String::new();
        codec::encode(&packet, &mut text);
        let Packet { nsp, data } = packet;
        let attachments = match data {
            PacketData::Event { args, .. } => args.into_parts().1,
            _ => Vec::new(),
        };
        Ok(Encoded {
            nsp,
            text,
            attachments,
        })
    }

    /// The namespace the event is for.
    pub fn nsp(&self) -> &Nsp {
        &self.nsp
    }

    /// The packet's text, as the engine message carries it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The attachments, sent as binary messages right after the text.
    pub fn attachments(&self) -> &[Vec<u8>] {
        &self.attachments
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    ConnectTimeout,
    /// The pending binary packet's attachments are late.
    Attachments,
}

impl TimerKey for Timer {
    const ALL: &'static [Self] = &[Timer::ConnectTimeout, Timer::Attachments];
    fn index(self) -> usize {
        self as usize
    }
}

/// One joined namespace.
#[derive(Clone, Debug)]
struct Socket {
    nsp: Nsp,
    sid: String,
    next_ack_id: u64,
    acks: BTreeMap<AckId, PendingAck>,
}

#[derive(Clone, Copy, Debug)]
struct PendingAck {
    handle: AckHandle,
    deadline: Option<Instant>,
}

/// The Socket.IO server side of one Engine.IO connection. See the [module docs](self) for the call
/// order and the behaviour.
#[derive(Clone, Debug)]
pub struct Client {
    config: Config,
    decoder: Decoder,
    /// Joined namespaces, in join order (the order sockets disconnect in).
    sockets: Vec<Socket>,
    /// Namespaces whose CONNECT awaits the server's answer, in arrival order.
    pending: Vec<Nsp>,
    timers: Timers<Timer>,
    /// Ack deadlines across all sockets, earliest first.
    deadlines: BTreeMap<(Instant, AckHandle), (Nsp, AckId)>,
    next_handle: u64,
    /// When the refused CONNECTs so far are all forgiven: each refusal moves it one
    /// `refused_connect_interval` later (from now at the latest), so it runs at most
    /// `max_refused_connects` intervals ahead while refusals come no faster than they are forgiven.
    refusals_forgiven_at: Instant,
    closed: bool,
    engine_out: VecDeque<EngineCommand>,
    events: VecDeque<Event>,
}

impl Client {
    /// A connection whose engine session just opened; arms the connect timeout.
    pub fn new(now: Instant, config: Config) -> Client {
        let mut timers = Timers::default();
        timers.set(Timer::ConnectTimeout, now + config.connect_timeout);
        Client {
            config,
            decoder: Decoder::new(config.limits),
            // Room for one: a connection joins one namespace, most often, and a queue's first
            // growth would be to 4 (1.7 KB per idle connection across the core's queues).
            sockets: Vec::with_capacity(1),
            pending: Vec::with_capacity(1),
            timers,
            deadlines: BTreeMap::new(),
            next_handle: 0,
            refusals_forgiven_at: now,
            closed: false,
            engine_out: VecDeque::with_capacity(1),
            events: VecDeque::with_capacity(1),
        }
    }

    // ---- getters ----

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the connection is closed (by either side); nothing more happens on it.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The joined namespaces with their socket ids, in join order.
    pub fn sockets(&self) -> impl Iterator<Item = (&Nsp, &str)> + '_ {
        self.sockets.iter().map(|s| (&s.nsp, s.sid.as_str()))
    }

    /// Whether a socket is joined on `nsp`.
    pub fn is_connected(&self, nsp: &Nsp) -> bool {
        self.socket(nsp).is_some()
    }

    /// The socket id on `nsp`, if joined.
    pub fn sid(&self, nsp: &Nsp) -> Option<&str> {
        self.socket(nsp).map(|s| s.sid.as_str())
    }

    /// The namespaces whose CONNECT awaits [`Client::accept`] or [`Client::reject`].
    pub fn pending_connects(&self) -> impl Iterator<Item = &Nsp> + '_ {
        self.pending.iter()
    }

    /// How many acks the socket on `nsp` awaits (0 if not joined).
    pub fn pending_acks(&self, nsp: &Nsp) -> usize {
        self.socket(nsp).map_or(0, |s| s.acks.len())
    }

    // ---- inputs ----

    /// One message from the engine session (a Socket.IO packet, or a binary attachment).
    pub fn handle_engine_message(&mut self, now: Instant, msg: Message) {
        if self.closed {
            return;
        }
        let status = match msg {
            Message::Text(text) => self.decoder.decode_text(&text),
            Message::Binary(bytes) => self.decoder.decode_binary(bytes),
        };
        match status {
            Ok(Status::Complete(packet)) => {
                self.timers.stop(Timer::Attachments);
                self.on_packet(now, packet);
            }
            Ok(Status::Partial { .. }) => {
                // Armed by the header only: the timeout counts the whole packet.
                if !self.timers.is_armed(Timer::Attachments) {
                    self.timers
                        .set(Timer::Attachments, now + self.config.attachments_timeout);
                }
            }
            Err(error) => self.on_decode_error(error),
        }
    }

    /// The engine session closed: every socket disconnects with the engine's reason.
    pub fn handle_engine_close(&mut self, now: Instant, reason: CloseReason) {
        let _ = now;
        if self.closed {
            return;
        }
        self.shut(DisconnectReason::from_engine(&reason), false);
    }

    /// Fires what is due: the connect timeout, ack deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let due: Vec<Timer> = self.timers.expired(now).collect();
        for timer in due {
            match timer {
                Timer::ConnectTimeout => {
                    if self.sockets.is_empty() {
                        self.shut(DisconnectReason::ForcedServerClose, true);
                        return;
                    }
                }
                Timer::Attachments => {
                    self.on_decode_error(DecodeError::AttachmentsTimeout);
                    return;
                }
            }
        }
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, handle), (nsp, id)) = entry.remove_entry();
            if let Some(socket) = self.socket_mut(&nsp) {
                socket.acks.remove(&id);
            }
            self.events.push_back(Event::Ack {
                nsp,
                handle,
                result: Err(AckError::Timeout),
            });
        }
    }

    // ---- the server's answers and commands ----

    /// Accepts the pending CONNECT on `nsp`: sends `0{"sid":..}` (`0/nsp,{"sid":..,"pid":..}` with a
    /// recovery `pid`). `sid` is the socket id (random, from the driver; not the engine's sid).
    pub fn accept(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        sid: String,
        pid: Option<String>,
    ) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        self.take_pending(nsp)?;
        let mut payload = String::from("{\"sid\":");
        json::write_string(&mut payload, &sid);
        if let Some(pid) = &pid {
            payload.push_str(",\"pid\":");
            json::write_string(&mut payload, pid);
        }
        payload.push('}');
        self.send(Packet::connect(nsp.clone(), Some(payload)));
        self.sockets.push(Socket {
            nsp: nsp.clone(),
            sid,
            next_ack_id: 0,
            acks: BTreeMap::new(),
        });
        // The reference disarms the timeout on the first join and never re-arms it.
        self.timers.stop(Timer::ConnectTimeout);
        Ok(())
    }

    /// Refuses the pending CONNECT on `nsp`: sends `4/nsp,{"message":..,"data":..}` (`data`, JSON
    /// text, only when given). The client may CONNECT again.
    pub fn reject(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        message: &str,
        data: Option<String>,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        if let Some(data) = &data {
            json::scan(data, OUTGOING_MAX_DEPTH).map_err(UsageError::InvalidJson)?;
        }
        self.take_pending(nsp)?;
        self.send(connect_error(nsp, message, data.as_deref()));
        self.count_refusal(now);
        Ok(())
    }

    /// Emits an event to the socket on `nsp`. With an ack asked for, returns the handle its
    /// [`Event::Ack`] will carry.
    pub fn emit(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        emit: Emit,
    ) -> Result<Option<AckHandle>, UsageError> {
        self.check_open()?;
        let max_pending_acks = self.config.max_pending_acks;
        let socket = self
            .socket(nsp)
            .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
        if emit.ack.is_some() && socket.acks.len() >= max_pending_acks {
            return Err(UsageError::TooManyPendingAcks(nsp.clone()));
        }
        let Emit { args, ack, offset } = emit;
        // The offset never goes with an ack: it would land where the client's callback reads its
        // arguments (the reference's adapter only stores events without an ack id).
        let offset = if ack.is_some() { None } else { offset };
        let args = event_args(args, offset.as_deref())?;

        let mut registered = None;
        if let Some(timeout) = ack {
            let handle = AckHandle(self.next_handle);
            self.next_handle = self.next_handle.wrapping_add(1);
            let deadline = timeout.map(|t| now + t);
            let socket = self
                .socket_mut(nsp)
                .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
            let id = AckId(socket.next_ack_id);
            socket.next_ack_id = socket.next_ack_id.wrapping_add(1);
            socket.acks.insert(id, PendingAck { handle, deadline });
            if let Some(at) = deadline {
                self.deadlines.insert((at, handle), (nsp.clone(), id));
            }
            registered = Some((id, handle));
        }
        let id = registered.map(|(id, _)| id);
        self.send(Packet::event(nsp.clone(), args, id));
        Ok(registered.map(|(_, handle)| handle))
    }

    /// Acknowledges the client's EVENT `id` on `nsp`: `3/nsp,<id>[...]` (BINARY_ACK with
    /// attachments). Each id should be answered once (the reference's callback ignores a second
    /// call); the core does not track the client's ids.
    pub fn ack(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        id: AckId,
        args: Args,
    ) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        if !self.is_connected(nsp) {
            return Err(UsageError::NotConnected(nsp.clone()));
        }
        check_depth(&args)?;
        self.send(Packet::ack(nsp.clone(), args, id));
        Ok(())
    }

    /// Sends an event encoded once for many connections (see [`Encoded`]) to the socket on its
    /// namespace.
    pub fn send_encoded(&mut self, encoded: &Encoded) -> Result<(), UsageError> {
        self.check_open()?;
        if !self.is_connected(&encoded.nsp) {
            return Err(UsageError::NotConnected(encoded.nsp.clone()));
        }
        self.engine_out
            .push_back(EngineCommand::Send(Message::Text(encoded.text.clone())));
        for attachment in &encoded.attachments {
            self.engine_out
                .push_back(EngineCommand::Send(Message::Binary(attachment.clone())));
        }
        Ok(())
    }

    /// The server's `socket.disconnect()`: sends `1/nsp,` and the socket disconnects with
    /// `server namespace disconnect`; the engine session stays open.
    pub fn disconnect(&mut self, now: Instant, nsp: &Nsp) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        let index = self
            .sockets
            .iter()
            .position(|s| &s.nsp == nsp)
            .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
        self.send(Packet::disconnect(nsp.clone()));
        self.leave(index, DisconnectReason::ServerNamespaceDisconnect);
        Ok(())
    }

    /// The server's `socket.disconnect(true)`: every socket is disconnected as by
    /// [`Client::disconnect`], then the engine session is closed. Does nothing once closed.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
        if self.closed {
            return;
        }
        while let Some(socket) = self.sockets.first() {
            let nsp = socket.nsp.clone();
            self.send(Packet::disconnect(nsp));
            self.leave(0, DisconnectReason::ServerNamespaceDisconnect);
        }
        self.shut(DisconnectReason::ForcedServerClose, true);
    }

    /// The server shuts down (the reference's `io.close()`): every socket disconnects with
    /// `server shutting down`, without DISCONNECT packets, then the engine session is closed.
    pub fn shutdown(&mut self, now: Instant) {
        let _ = now;
        if self.closed {
            return;
        }
        self.shut(DisconnectReason::ServerShuttingDown, true);
    }

    // ---- outputs ----

    /// The next thing for the engine session to do.
    #[must_use]
    pub fn poll_engine(&mut self) -> Option<EngineCommand> {
        self.engine_out.pop_front()
    }

    /// The next event for the server.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Client::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ack = self.deadlines.first_key_value().map(|((at, _), _)| *at);
        match (self.timers.next(), ack) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- internals ----

    fn on_packet(&mut self, now: Instant, packet: Packet) {
        let Packet { nsp, data } = packet;
        let joined = self.is_connected(&nsp);
        match data {
            PacketData::Connect(auth) if !joined => self.on_connect(now, nsp, auth),
            PacketData::Event { args, id } if joined => {
                self.events.push_back(Event::Event { nsp, args, id });
            }
            PacketData::Ack { args, id } if joined => self.on_ack(nsp, id, args),
            PacketData::Disconnect if joined => {
                if let Some(index) = self.sockets.iter().position(|s| s.nsp == nsp) {
                    self.leave(index, DisconnectReason::ClientNamespaceDisconnect);
                }
            }
            // CONNECT on a joined namespace, anything else on one not joined, any CONNECT_ERROR:
            // the reference's "invalid state", which closes the connection.
            _ => self.shut(DisconnectReason::ForcedServerClose, true),
        }
    }

    fn on_connect(&mut self, now: Instant, nsp: Nsp, auth: Option<String>) {
        if self.pending.contains(&nsp) {
            return;
        }
        // One more refusal must still fit in the budget: at most `max_refused_connects` intervals
        // owed after it.
        let interval = self.config.refused_connect_interval;
        let budget = interval.saturating_mul(self.config.max_refused_connects);
        let owed = self.refusals_forgiven_at.saturating_duration_since(now);
        if !owed.is_zero() && owed > budget.saturating_sub(interval) {
            self.shut(DisconnectReason::ForcedServerClose, true);
            return;
        }
        if self.sockets.len().saturating_add(self.pending.len()) >= self.config.max_namespaces {
            self.send(connect_error(&nsp, "Too many namespaces", None));
            self.count_refusal(now);
            return;
        }
        let recovery = auth.as_deref().and_then(recovery_of);
        self.pending.push(nsp.clone());
        self.events.push_back(Event::Connect {
            nsp,
            auth,
            recovery,
        });
    }

    /// One more refused CONNECT against the budget (see [`Config::max_refused_connects`]).
    fn count_refusal(&mut self, now: Instant) {
        self.refusals_forgiven_at =
            self.refusals_forgiven_at.max(now) + self.config.refused_connect_interval;
    }

    fn on_ack(&mut self, nsp: Nsp, id: AckId, args: Args) {
        let Some(socket) = self.socket_mut(&nsp) else {
            return;
        };
        // An unknown id (never sent, already answered, timed out) is ignored, as the reference does.
        let Some(pending) = socket.acks.remove(&id) else {
            return;
        };
        if let Some(at) = pending.deadline {
            self.deadlines.remove(&(at, pending.handle));
        }
        self.events.push_back(Event::Ack {
            nsp,
            handle: pending.handle,
            result: Ok(args),
        });
    }

    fn on_decode_error(&mut self, error: DecodeError) {
        for socket in &self.sockets {
            self.events.push_back(Event::Error {
                nsp: socket.nsp.clone(),
                error: error.clone(),
            });
        }
        // The reference closes the engine itself, so its sockets see the engine's "forced close".
        self.shut(DisconnectReason::ForcedClose, true);
    }

    /// Closes the connection: every socket disconnects with `reason`, in join order; with
    /// `close_engine`, the engine is told to close.
    fn shut(&mut self, reason: DisconnectReason, close_engine: bool) {
        self.closed = true;
        self.timers.clear();
        self.pending.clear();
        self.decoder = Decoder::new(self.config.limits);
        while !self.sockets.is_empty() {
            self.leave(0, reason);
        }
        if close_engine {
            self.engine_out.push_back(EngineCommand::Close);
        }
    }

    /// Removes the socket at `index`: its awaited acks fail, then it disconnects.
    fn leave(&mut self, index: usize, reason: DisconnectReason) {
        if index >= self.sockets.len() {
            return;
        }
        let socket = self.sockets.remove(index);
        for pending in socket.acks.values() {
            if let Some(at) = pending.deadline {
                self.deadlines.remove(&(at, pending.handle));
            }
            self.events.push_back(Event::Ack {
                nsp: socket.nsp.clone(),
                handle: pending.handle,
                result: Err(AckError::Disconnected),
            });
        }
        self.events.push_back(Event::Disconnect {
            nsp: socket.nsp,
            reason,
        });
    }

    fn take_pending(&mut self, nsp: &Nsp) -> Result<(), UsageError> {
        let index = self
            .pending
            .iter()
            .position(|p| p == nsp)
            .ok_or_else(|| UsageError::NoPendingConnect(nsp.clone()))?;
        self.pending.remove(index);
        Ok(())
    }

    fn check_open(&self) -> Result<(), UsageError> {
        if self.closed {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    fn socket(&self, nsp: &Nsp) -> Option<&Socket> {
        self.sockets.iter().find(|s| &s.nsp == nsp)
    }

    fn socket_mut(&mut self, nsp: &Nsp) -> Option<&mut Socket> {
        self.sockets.iter_mut().find(|s| &s.nsp == nsp)
    }

    /// Queues a packet's text, then its attachments right behind it.
    fn send(&mut self, packet: Packet) {
        let mut text = String::new();
        codec::encode(&packet, &mut text);
        self.engine_out
            .push_back(EngineCommand::Send(Message::Text(text)));
        if let PacketData::Event { args, .. } | PacketData::Ack { args, .. } = packet.data {
            for attachment in args.into_parts().1 {
                self.engine_out
                    .push_back(EngineCommand::Send(Message::Binary(attachment)));
            }
        }
    }
}

/// CONNECT_ERROR `{"message":..,"data":..}`, without `data` when there is none (as `JSON.stringify`
/// drops an undefined field).
fn connect_error(nsp: &Nsp, message: &str, data: Option<&str>) -> Packet {
    let mut payload = String::from("{\"message\":");
    json::write_string(&mut payload, message);
    if let Some(data) = data {
        payload.push_str(",\"data\":");
        payload.push_str(data.trim());
    }
    payload.push('}');
    Packet::connect_error(nsp.clone(), payload)
}

/// The auth object's `pid` and `offset`, when both are strings.
fn recovery_of(auth: &str) -> Option<Recovery> {
    let string = |key: &str| {
        let raw = json::object_get(auth, key)?;
        if !raw.starts_with('"') {
            return None;
        }
        json::parse_string(raw)
            .ok()
            .map(|s| String::from(s.as_ref()))
    };
    Some(Recovery {
        pid: string("pid")?,
        offset: string("offset")?,
    })
}

/// Checks an EVENT's args as the client's decoder will, and appends the recovery offset.
fn event_args(mut args: Args, offset: Option<&str>) -> Result<Args, UsageError> {
    check_depth(&args)?;
    let name = args.event_name().ok_or(UsageError::InvalidArgs)?;
    if RESERVED_EVENTS.contains(&name.as_ref()) {
        return Err(UsageError::ReservedEventName);
    }
    if let Some(offset) = offset {
        args.push_str(offset);
    }
    Ok(args)
}

/// Arguments this end sends nest at most [`OUTGOING_MAX_DEPTH`] deep.
fn check_depth(args: &Args) -> Result<(), UsageError> {
    if args.depth() > OUTGOING_MAX_DEPTH {
        return Err(UsageError::InvalidJson(JsonError {
            offset: 0,
            kind: JsonErrorKind::TooDeep,
        }));
    }
    Ok(())
}

#[cfg(test)]
mod bound_tests;

#[cfg(test)]
mod tests {
    //! Engine messages here are Socket.IO packets without the Engine.IO `4` prefix: the wire's
    //! `40/admin,` is `0/admin,`, and `44/random,{..}` on the wire is `4/random,{..}`.
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn nsp(name: &str) -> Nsp {
        Nsp::new(name).unwrap()
    }

    /// Arguments without attachments.
    fn args_of(text: &str) -> Args {
        Args::from_json(text, vec![]).unwrap()
    }

    /// Arguments with attachments.
    fn binary_args(text: &str, attachments: Vec<Vec<u8>>) -> Args {
        Args::from_json(text, attachments).unwrap()
    }

    fn new_client() -> Client {
        Client::new(at(0), Config::default())
    }

    fn feed(c: &mut Client, text: &str) {
        c.handle_engine_message(at(0), Message::Text(text.to_string()));
    }

    /// What the engine was told, texts as they are, binaries as `<bin:..>`, a close as `CLOSE`.
    fn sent(c: &mut Client) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(cmd) = c.poll_engine() {
            out.push(match cmd {
                EngineCommand::Send(Message::Text(t)) => t,
                EngineCommand::Send(Message::Binary(b)) => format!("<bin:{b:?}>"),
                EngineCommand::Close => "CLOSE".to_string(),
            });
        }
        out
    }

    fn events(c: &mut Client) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(ev) = c.poll_event() {
            out.push(ev);
        }
        out
    }

    fn connect_event(name: &str, auth: Option<&str>) -> Event {
        Event::Connect {
            nsp: nsp(name),
            auth: auth.map(String::from),
            recovery: None,
        }
    }

    fn disconnect_event(name: &str, reason: DisconnectReason) -> Event {
        Event::Disconnect {
            nsp: nsp(name),
            reason,
        }
    }

    /// A client with sockets joined on each of `names` (sid `s-<name>`), outputs drained.
    fn joined(names: &[&str]) -> Client {
        let mut c = new_client();
        for name in names {
            let n = nsp(name);
            let text = if n.is_root() {
                "0".to_string()
            } else {
                format!("0{name},")
            };
            feed(&mut c, &text);
            c.accept(at(0), &n, format!("s-{name}"), None).unwrap();
        }
        let _ = sent(&mut c);
        let _ = events(&mut c);
        c
    }

    // ---- CONNECT ----

    #[test]
    fn connect_root_then_accept_answers_sid_without_namespace() {
        let mut c = new_client();
        feed(&mut c, "0");
        assert_eq!(events(&mut c), [connect_event("/", None)]);
        assert_eq!(c.pending_connects().collect::<Vec<_>>(), [&nsp("/")]);
        c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
        assert_eq!(sent(&mut c), [r#"0{"sid":"s"}"#]);
        assert_eq!(c.sid(&nsp("/")), Some("s"));
        assert_eq!(c.pending_connects().count(), 0);
    }

    #[test]
    fn connect_carries_the_auth_object() {
        let mut c = new_client();
        feed(&mut c, r#"0{"token":"x"}"#);
        assert_eq!(
            events(&mut c),
            [connect_event("/", Some(r#"{"token":"x"}"#))]
        );
    }

    #[test]
    fn connect_to_a_namespace_then_accept_with_pid() {
        let mut c = new_client();
        feed(&mut c, "0/admin,");
        assert_eq!(events(&mut c), [connect_event("/admin", None)]);
        c.accept(at(0), &nsp("/admin"), "s".into(), Some("p".into()))
            .unwrap();
        assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s","pid":"p"}"#]);
        assert_eq!(c.sockets().collect::<Vec<_>>(), [(&nsp("/admin"), "s")]);
    }

    #[test]
    fn unknown_namespace_without_comma_is_rejected_with_invalid_namespace() {
        let mut c = new_client();
        feed(&mut c, "0/random");
        assert_eq!(events(&mut c), [connect_event("/random", None)]);
        c.reject(at(0), &nsp("/random"), "Invalid namespace", None)
            .unwrap();
        assert_eq!(
            sent(&mut c),
            [r#"4/random,{"message":"Invalid namespace"}"#]
        );
        assert!(!c.is_connected(&nsp("/random")));
        assert!(!c.is_closed());
    }

    #[test]
    fn reject_with_data_and_the_client_may_connect_again() {
        let mut c = new_client();
        feed(&mut c, "0/admin,");
        let _ = events(&mut c);
        c.reject(at(0), &nsp("/admin"), "m", Some(r#"{"x":1}"#.into()))
            .unwrap();
        assert_eq!(sent(&mut c), [r#"4/admin,{"message":"m","data":{"x":1}}"#]);
        feed(&mut c, "0/admin,");
        assert_eq!(events(&mut c), [connect_event("/admin", None)]);
    }

    #[test]
    fn connect_recovery_needs_both_pid_and_offset_as_strings() {
        let mut c = new_client();
        feed(&mut c, r#"0{"token":1,"pid":"p\u0031","offset":"o1"}"#);
        feed(&mut c, r#"0/a,{"pid":"p1"}"#);
        feed(&mut c, r#"0/b,{"pid":"p1","offset":5}"#);
        let evs = events(&mut c);
        assert_eq!(
            evs[0],
            Event::Connect {
                nsp: nsp("/"),
                auth: Some(r#"{"token":1,"pid":"p\u0031","offset":"o1"}"#.into()),
                recovery: Some(Recovery {
                    pid: "p1".into(),
                    offset: "o1".into()
                }),
            }
        );
        assert!(matches!(&evs[1], Event::Connect { recovery: None, .. }));
        assert!(matches!(&evs[2], Event::Connect { recovery: None, .. }));
    }

    #[test]
    fn connect_while_pending_is_ignored() {
        let mut c = new_client();
        feed(&mut c, "0/admin,");
        feed(&mut c, "0/admin,");
        assert_eq!(events(&mut c), [connect_event("/admin", None)]);
        c.accept(at(0), &nsp("/admin"), "s".into(), None).unwrap();
        assert_eq!(
            c.accept(at(0), &nsp("/admin"), "s2".into(), None),
            Err(UsageError::NoPendingConnect(nsp("/admin")))
        );
        assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s"}"#]);
    }

    #[test]
    fn connect_on_a_joined_namespace_closes_as_forced_server_close() {
        let mut c = joined(&["/", "/admin"]);
        feed(&mut c, "0/admin,");
        assert_eq!(sent(&mut c), ["CLOSE"]);
        assert_eq!(
            events(&mut c),
            [
                disconnect_event("/", DisconnectReason::ForcedServerClose),
                disconnect_event("/admin", DisconnectReason::ForcedServerClose),
            ]
        );
        assert!(c.is_closed());
    }

    #[test]
    fn connect_payload_that_is_not_an_object_closes() {
        for text in [r#"0"x""#, "0[1]", "0null", "0/admin,true"] {
            let mut c = new_client();
            feed(&mut c, text);
            assert_eq!(sent(&mut c), ["CLOSE"], "{text}");
            assert_eq!(events(&mut c), [], "{text}");
            assert!(c.is_closed(), "{text}");
        }
    }

    #[test]
    fn too_many_namespaces_are_refused_and_the_connection_stays() {
        let config = Config {
            max_namespaces: 2,
            ..Config::default()
        };
        let mut c = Client::new(at(0), config);
        feed(&mut c, "0");
        c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
        feed(&mut c, "0/a,");
        feed(&mut c, "0/b,");
        assert_eq!(
            sent(&mut c),
            [
                r#"0{"sid":"s"}"#,
                r#"4/b,{"message":"Too many namespaces"}"#
            ]
        );
        assert_eq!(
            events(&mut c),
            [connect_event("/", None), connect_event("/a", None)]
        );
        // A refused CONNECT frees its place.
        c.reject(at(0), &nsp("/a"), "no", None).unwrap();
        feed(&mut c, "0/b,");
        assert_eq!(events(&mut c), [connect_event("/b", None)]);
        assert!(!c.is_closed());
    }

    // ---- connect timeout ----

    #[test]
    fn connect_timeout_closes_when_nothing_joined() {
        let mut c = new_client();
        assert_eq!(c.poll_timeout(), Some(at(45_000)));
        c.handle_timeout(at(44_999));
        assert_eq!(sent(&mut c), Vec::<String>::new());
        // A pending CONNECT is not a join.
        feed(&mut c, "0");
        let _ = events(&mut c);
        c.handle_timeout(at(45_000));
        assert_eq!(sent(&mut c), ["CLOSE"]);
        assert!(c.is_closed());
        assert_eq!(c.poll_timeout(), None);
        assert_eq!(
            c.accept(at(45_001), &nsp("/"), "s".into(), None),
            Err(UsageError::Closed)
        );
    }

    #[test]
    fn connect_timeout_is_disarmed_by_a_join_for_good() {
        let mut c = new_client();
        feed(&mut c, "0/admin,");
        c.accept(at(10), &nsp("/admin"), "s".into(), None).unwrap();
        assert_eq!(c.poll_timeout(), None);
        feed(&mut c, "1/admin,");
        c.handle_timeout(at(45_000));
        let _ = events(&mut c);
        assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s"}"#]);
        assert!(!c.is_closed());
    }

    // ---- EVENT / ACK routing ----

    #[test]
    fn events_are_routed_per_namespace_with_their_ack_id() {
        let mut c = joined(&["/", "/admin"]);
        feed(&mut c, r#"2/admin,["hello",1]"#);
        feed(&mut c, r#"2/admin,7["q"]"#);
        feed(&mut c, r#"2["root"]"#);
        assert_eq!(
            events(&mut c),
            [
                Event::Event {
                    nsp: nsp("/admin"),
                    args: binary_args(r#"["hello",1]"#, vec![]),
                    id: None
                },
                Event::Event {
                    nsp: nsp("/admin"),
                    args: binary_args(r#"["q"]"#, vec![]),
                    id: Some(AckId(7))
                },
                Event::Event {
                    nsp: nsp("/"),
                    args: binary_args(r#"["root"]"#, vec![]),
                    id: None
                },
            ]
        );
        c.ack(
            at(0),
            &nsp("/admin"),
            AckId(7),
            binary_args(r#"["r"]"#, vec![]),
        )
        .unwrap();
        c.ack(
            at(0),
            &nsp("/admin"),
            AckId(8),
            binary_args(r#"[{"_placeholder":true,"num":0}]"#, vec![vec![1, 2]]),
        )
        .unwrap();
        c.ack(at(0), &nsp("/"), AckId(9), binary_args("[]", vec![]))
            .unwrap();
        assert_eq!(
            sent(&mut c),
            [
                r#"3/admin,7["r"]"#,
                r#"61-/admin,8[{"_placeholder":true,"num":0}]"#,
                "<bin:[1, 2]>",
                "39[]",
            ]
        );
    }

    #[test]
    fn binary_event_waits_for_its_attachments() {
        let mut c = joined(&["/"]);
        feed(&mut c, r#"51-3["up",{"_placeholder":true,"num":0}]"#);
        assert_eq!(events(&mut c), []);
        c.handle_engine_message(at(0), Message::Binary(vec![9, 8]));
        assert_eq!(
            events(&mut c),
            [Event::Event {
                nsp: nsp("/"),
                args: binary_args(r#"["up",{"_placeholder":true,"num":0}]"#, vec![vec![9, 8]]),
                id: Some(AckId(3)),
            }]
        );
    }

    #[test]
    fn packets_for_a_namespace_not_joined_close_as_forced_server_close() {
        for text in [
            r#"2/other,["x"]"#,
            "3/other,0[]",
            "1/other,",
            r#"2/pending,["x"]"#,
        ] {
            let mut c = joined(&["/"]);
            feed(&mut c, "0/pending,");
            let _ = events(&mut c);
            feed(&mut c, text);
            assert_eq!(sent(&mut c), ["CLOSE"], "{text}");
            assert_eq!(
                events(&mut c),
                [disconnect_event("/", DisconnectReason::ForcedServerClose)],
                "{text}"
            );
            assert_eq!(c.pending_connects().count(), 0);
        }
    }

    #[test]
    fn connect_error_from_the_client_closes() {
        let mut c = joined(&["/"]);
        feed(&mut c, r#"4{"message":"x"}"#);
        assert_eq!(sent(&mut c), ["CLOSE"]);
        assert_eq!(
            events(&mut c),
            [disconnect_event("/", DisconnectReason::ForcedServerClose)]
        );
    }

    // ---- server emits and acks ----

    #[test]
    fn emit_with_ack_counts_ids_per_socket_from_zero() {
        let mut c = joined(&["/", "/admin"]);
        let a = c
            .emit(
                at(0),
                &nsp("/admin"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(None),
            )
            .unwrap();
        let b = c
            .emit(
                at(0),
                &nsp("/admin"),
                Emit::new(args_of(r#"["b"]"#)).with_ack(None),
            )
            .unwrap();
        let r = c
            .emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["c"]"#)).with_ack(None),
            )
            .unwrap();
        let plain = c
            .emit(
                at(0),
                &nsp("/admin"),
                Emit::new(args_of(r#"["d",{"k":[1]}]"#)),
            )
            .unwrap();
        assert_eq!(plain, None);
        assert_eq!(
            sent(&mut c),
            [
                r#"2/admin,0["a"]"#,
                r#"2/admin,1["b"]"#,
                r#"20["c"]"#,
                r#"2/admin,["d",{"k":[1]}]"#
            ]
        );
        assert_eq!(c.poll_timeout(), None);
        assert_eq!(c.pending_acks(&nsp("/admin")), 2);

        feed(&mut c, r#"3/admin,1["ok"]"#);
        feed(&mut c, "30[]");
        assert_eq!(
            events(&mut c),
            [
                Event::Ack {
                    nsp: nsp("/admin"),
                    handle: b.unwrap(),
                    result: Ok(binary_args(r#"["ok"]"#, vec![]))
                },
                Event::Ack {
                    nsp: nsp("/"),
                    handle: r.unwrap(),
                    result: Ok(binary_args("[]", vec![]))
                },
            ]
        );
        assert_ne!(a, b);
        assert_eq!(c.pending_acks(&nsp("/admin")), 1);
    }

    #[test]
    fn binary_ack_from_the_client_reaches_the_emitter() {
        let mut c = joined(&["/"]);
        let h = c
            .emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["q"]"#)).with_ack(None),
            )
            .unwrap()
            .unwrap();
        feed(&mut c, r#"61-0[{"_placeholder":true,"num":0}]"#);
        c.handle_engine_message(at(0), Message::Binary(vec![7]));
        assert_eq!(
            events(&mut c),
            [Event::Ack {
                nsp: nsp("/"),
                handle: h,
                result: Ok(binary_args(
                    r#"[{"_placeholder":true,"num":0}]"#,
                    vec![vec![7]]
                )),
            }]
        );
    }

    #[test]
    fn emit_with_attachments_is_a_binary_event_followed_by_its_attachments() {
        let mut c = joined(&["/admin"]);
        let emit = Emit::new(binary_args(
            r#"["img",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            vec![vec![1], vec![2, 3]],
        ))
        .with_ack(None);
        c.emit(at(0), &nsp("/admin"), emit).unwrap();
        assert_eq!(
            sent(&mut c),
            [
                r#"52-/admin,0["img",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                "<bin:[1]>",
                "<bin:[2, 3]>",
            ]
        );
    }

    #[test]
    fn ack_timeout_then_a_late_ack_is_ignored() {
        let mut c = joined(&["/admin"]);
        let h = c
            .emit(
                at(100),
                &nsp("/admin"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_millis(1000))),
            )
            .unwrap()
            .unwrap();
        assert_eq!(c.poll_timeout(), Some(at(1100)));
        c.handle_timeout(at(1099));
        assert_eq!(events(&mut c), []);
        c.handle_timeout(at(1100));
        assert_eq!(
            events(&mut c),
            [Event::Ack {
                nsp: nsp("/admin"),
                handle: h,
                result: Err(AckError::Timeout)
            }]
        );
        assert_eq!(c.poll_timeout(), None);
        feed(&mut c, r#"3/admin,0["late"]"#);
        assert_eq!(events(&mut c), []);
        assert_eq!(sent(&mut c), [r#"2/admin,0["a"]"#]);
        assert!(!c.is_closed());
    }

    #[test]
    fn an_ack_in_time_disarms_its_deadline() {
        let mut c = joined(&["/"]);
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_millis(500))),
        )
        .unwrap();
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["b"]"#)).with_ack(Some(Duration::from_millis(900))),
        )
        .unwrap();
        assert_eq!(c.poll_timeout(), Some(at(500)));
        feed(&mut c, "30[]");
        assert_eq!(c.poll_timeout(), Some(at(900)));
        assert_eq!(events(&mut c).len(), 1);
    }

    #[test]
    fn an_ack_for_an_unknown_id_is_ignored() {
        let mut c = joined(&["/"]);
        feed(&mut c, r#"342["x"]"#);
        assert_eq!(events(&mut c), []);
        assert_eq!(sent(&mut c), Vec::<String>::new());
        assert!(!c.is_closed());
    }

    #[test]
    fn pending_acks_are_bounded_per_socket() {
        let config = Config {
            max_pending_acks: 2,
            ..Config::default()
        };
        let mut c = Client::new(at(0), config);
        feed(&mut c, "0");
        c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
        let _ = sent(&mut c);
        for _ in 0..2 {
            c.emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(None),
            )
            .unwrap();
        }
        assert_eq!(
            c.emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(None)
            ),
            Err(UsageError::TooManyPendingAcks(nsp("/")))
        );
        // Without an ack the socket still takes events, and an answer frees a place.
        assert_eq!(
            c.emit(at(0), &nsp("/"), Emit::new(args_of(r#"["b"]"#))),
            Ok(None)
        );
        feed(&mut c, "31[]");
        assert!(
            c.emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(None)
            )
            .unwrap()
            .is_some()
        );
        assert_eq!(
            sent(&mut c),
            [r#"20["a"]"#, r#"21["a"]"#, r#"2["b"]"#, r#"22["a"]"#]
        );
    }

    #[test]
    fn recovery_offset_is_appended_only_without_an_ack() {
        let mut c = joined(&["/"]);
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["news",1]"#)).with_offset("o1"),
        )
        .unwrap();
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["q"]"#))
                .with_offset("o2")
                .with_ack(None),
        )
        .unwrap();
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"[ "x" ] "#)).with_offset("a\"b"),
        )
        .unwrap();
        assert_eq!(
            sent(&mut c),
            [r#"2["news",1,"o1"]"#, r#"20["q"]"#, r#"2[ "x" ,"a\"b"]"#]
        );
    }

    #[test]
    fn emit_refuses_what_the_client_would_refuse() {
        let mut c = joined(&["/"]);
        let root = nsp("/");
        assert_eq!(
            c.emit(at(0), &root, Emit::new(args_of(r#"["disconnect"]"#))),
            Err(UsageError::ReservedEventName)
        );
        assert_eq!(
            c.emit(at(0), &root, Emit::new(args_of("[]"))),
            Err(UsageError::InvalidArgs)
        );
        assert_eq!(
            c.emit(at(0), &root, Emit::new(args_of("[true]"))),
            Err(UsageError::InvalidArgs)
        );
        // Malformed JSON, a placeholder past the attachments: no `Args` to send in the first place.
        assert!(Args::from_json(r#"{"a":1}"#, vec![]).is_err());
        assert!(Args::from_json(r#"["a""#, vec![]).is_err());
        assert!(Args::from_json(r#"["a",{"_placeholder":true,"num":1}]"#, vec![vec![1]]).is_err());
        let deep = "[".repeat(OUTGOING_MAX_DEPTH + 1) + &"]".repeat(OUTGOING_MAX_DEPTH + 1);
        let deep = Args::from_json_with_depth(deep, vec![], 1000).unwrap();
        assert!(matches!(
            c.ack(at(0), &root, AckId(1), deep),
            Err(UsageError::InvalidJson(_))
        ));
        assert!(matches!(
            c.reject(at(0), &root, "m", Some("{".into())),
            Err(UsageError::InvalidJson(_))
        ));
        assert_eq!(
            c.emit(at(0), &nsp("/nope"), Emit::new(args_of(r#"["a"]"#))),
            Err(UsageError::NotConnected(nsp("/nope")))
        );
        assert_eq!(
            c.reject(at(0), &root, "m", None),
            Err(UsageError::NoPendingConnect(nsp("/")))
        );
        assert_eq!(c.emit(at(0), &root, Emit::new(args_of("[42]"))), Ok(None));
        assert_eq!(sent(&mut c), ["2[42]"]);
        assert_eq!(c.pending_acks(&root), 0);
    }

    #[test]
    fn encoded_broadcast_is_sent_to_joined_sockets_only() {
        let enc = Encoded::event(
            &nsp("/admin"),
            binary_args(r#"["b",{"_placeholder":true,"num":0}]"#, vec![vec![5]]),
            Some("o9"),
        )
        .unwrap();
        assert_eq!(
            enc.text(),
            r#"51-/admin,["b",{"_placeholder":true,"num":0},"o9"]"#
        );
        let mut c = joined(&["/admin"]);
        c.send_encoded(&enc).unwrap();
        assert_eq!(sent(&mut c), [enc.text(), "<bin:[5]>"]);
        let mut other = joined(&["/"]);
        assert_eq!(
            other.send_encoded(&enc),
            Err(UsageError::NotConnected(nsp("/admin")))
        );
    }

    // ---- DISCONNECT and closing ----

    #[test]
    fn client_disconnect_leaves_the_engine_open() {
        let mut c = joined(&["/", "/admin"]);
        feed(&mut c, "1/admin,");
        assert_eq!(
            events(&mut c),
            [disconnect_event(
                "/admin",
                DisconnectReason::ClientNamespaceDisconnect
            )]
        );
        feed(&mut c, "1");
        assert_eq!(
            events(&mut c),
            [disconnect_event(
                "/",
                DisconnectReason::ClientNamespaceDisconnect
            )]
        );
        assert_eq!(sent(&mut c), Vec::<String>::new());
        assert!(!c.is_closed());
        assert_eq!(c.sockets().count(), 0);
        // The namespace can be joined again.
        feed(&mut c, "0/admin,");
        assert_eq!(events(&mut c), [connect_event("/admin", None)]);
    }

    #[test]
    fn disconnect_fails_the_acks_the_socket_awaits() {
        let mut c = joined(&["/"]);
        let h = c
            .emit(
                at(0),
                &nsp("/"),
                Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_secs(5))),
            )
            .unwrap()
            .unwrap();
        feed(&mut c, "1");
        assert_eq!(
            events(&mut c),
            [
                Event::Ack {
                    nsp: nsp("/"),
                    handle: h,
                    result: Err(AckError::Disconnected)
                },
                disconnect_event("/", DisconnectReason::ClientNamespaceDisconnect),
            ]
        );
        assert_eq!(c.poll_timeout(), None);
    }

    #[test]
    fn server_disconnect_sends_disconnect_and_keeps_the_engine() {
        let mut c = joined(&["/", "/admin"]);
        c.disconnect(at(0), &nsp("/admin")).unwrap();
        c.disconnect(at(0), &nsp("/")).unwrap();
        assert_eq!(sent(&mut c), ["1/admin,", "1"]);
        assert_eq!(
            events(&mut c),
            [
                disconnect_event("/admin", DisconnectReason::ServerNamespaceDisconnect),
                disconnect_event("/", DisconnectReason::ServerNamespaceDisconnect),
            ]
        );
        assert_eq!(
            c.disconnect(at(0), &nsp("/")),
            Err(UsageError::NotConnected(nsp("/")))
        );
        assert_eq!(
            c.emit(at(0), &nsp("/admin"), Emit::new(args_of(r#"["a"]"#))),
            Err(UsageError::NotConnected(nsp("/admin")))
        );
        assert!(!c.is_closed());
    }

    #[test]
    fn close_disconnects_every_socket_then_closes_the_engine() {
        let mut c = joined(&["/", "/admin"]);
        c.close(at(0));
        assert_eq!(sent(&mut c), ["1", "1/admin,", "CLOSE"]);
        assert_eq!(
            events(&mut c),
            [
                disconnect_event("/", DisconnectReason::ServerNamespaceDisconnect),
                disconnect_event("/admin", DisconnectReason::ServerNamespaceDisconnect),
            ]
        );
        assert!(c.is_closed());
        // The engine's own close report that follows changes nothing.
        c.handle_engine_close(at(1), CloseReason::ForcedClose);
        c.close(at(1));
        assert_eq!(events(&mut c), []);
        assert_eq!(sent(&mut c), Vec::<String>::new());
        assert_eq!(
            c.emit(at(1), &nsp("/"), Emit::new(args_of(r#"["a"]"#))),
            Err(UsageError::Closed)
        );
    }

    #[test]
    fn shutdown_disconnects_with_server_shutting_down() {
        let mut c = joined(&["/admin", "/"]);
        c.shutdown(at(0));
        assert_eq!(sent(&mut c), ["CLOSE"]);
        assert_eq!(
            events(&mut c),
            [
                disconnect_event("/admin", DisconnectReason::ServerShuttingDown),
                disconnect_event("/", DisconnectReason::ServerShuttingDown),
            ]
        );
    }

    #[test]
    fn engine_close_disconnects_every_socket_with_the_mapped_reason() {
        let cases = [
            (CloseReason::TransportClose, "transport close"),
            (CloseReason::PingTimeout, "ping timeout"),
            (CloseReason::TransportError, "transport error"),
            (
                CloseReason::ProtocolViolation("second GET"),
                "transport error",
            ),
            (CloseReason::ParseError, "parse error"),
            (CloseReason::ForcedClose, "forced close"),
        ];
        for (reason, text) in cases {
            let mut c = joined(&["/", "/admin"]);
            feed(&mut c, "0/pending,");
            let _ = events(&mut c);
            c.handle_engine_close(at(0), reason);
            let evs = events(&mut c);
            assert_eq!(evs.len(), 2);
            for (ev, name) in evs.iter().zip(["/", "/admin"]) {
                let Event::Disconnect { nsp: n, reason } = ev else {
                    panic!("{ev:?}")
                };
                assert_eq!((n.as_str(), reason.as_str()), (name, text));
            }
            // The engine is already closed: nothing to tell it.
            assert_eq!(sent(&mut c), Vec::<String>::new());
            assert!(c.is_closed());
            assert_eq!(c.pending_connects().count(), 0);
            feed(&mut c, r#"2["late"]"#);
            assert_eq!(events(&mut c), []);
        }
    }

    #[test]
    fn decode_errors_close_with_an_error_event_per_socket() {
        let bad: [Message; 5] = [
            Message::Text("9".into()),
            Message::Text(String::new()),
            Message::Text(r#"2["connect"]"#.into()),
            Message::Text(r#"2/admin,{"not":"an array"}"#.into()),
            Message::Binary(vec![1]),
        ];
        for msg in bad {
            let mut c = joined(&["/", "/admin"]);
            c.handle_engine_message(at(0), msg.clone());
            assert_eq!(sent(&mut c), ["CLOSE"], "{msg:?}");
            let evs = events(&mut c);
            assert_eq!(evs.len(), 4, "{msg:?}");
            assert!(matches!(&evs[0], Event::Error { nsp: n, .. } if n.is_root()));
            assert!(matches!(&evs[1], Event::Error { nsp: n, .. } if n.as_str() == "/admin"));
            assert_eq!(evs[2], disconnect_event("/", DisconnectReason::ForcedClose));
            assert_eq!(
                evs[3],
                disconnect_event("/admin", DisconnectReason::ForcedClose)
            );
        }
    }

    #[test]
    fn text_while_attachments_are_due_is_a_decode_error() {
        let mut c = joined(&["/"]);
        feed(&mut c, r#"51-["up",{"_placeholder":true,"num":0}]"#);
        feed(&mut c, r#"2["x"]"#);
        assert_eq!(sent(&mut c), ["CLOSE"]);
        let evs = events(&mut c);
        assert_eq!(
            evs[0],
            Event::Error {
                nsp: nsp("/"),
                error: DecodeError::UnexpectedText
            }
        );
        assert_eq!(evs[1], disconnect_event("/", DisconnectReason::ForcedClose));
    }

    #[test]
    fn decode_error_before_any_join_just_closes() {
        let mut c = new_client();
        feed(&mut c, "7");
        assert_eq!(sent(&mut c), ["CLOSE"]);
        assert_eq!(events(&mut c), []);
        assert_eq!(c.poll_timeout(), None);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn message() -> impl Strategy<Value = Message> {
            prop_oneof![
                // Mostly well-formed packets on known and unknown namespaces, binary headers
                // included, so the run reaches deep states.
                r#"[0-6]([1-3]-)?(/[a-c],)?[0-9]?(\["[a-z]+"(,1)?\]|\{\}|\[\]|"x")?"#
                    .prop_map(Message::Text),
                ".{0,12}".prop_map(Message::Text),
                proptest::collection::vec(any::<u8>(), 0..4).prop_map(Message::Binary),
            ]
        }

        proptest! {
            /// Whatever the client sends, nothing panics, every socket ends with one Disconnect,
            /// and once closed the connection stays silent.
            #[test]
            fn any_input_is_survived(msgs in proptest::collection::vec(message(), 0..32)) {
                let mut c = joined(&["/", "/a"]);
                let mut joins = 2usize;
                let mut disconnects = 0usize;
                for msg in msgs {
                    let was_closed = c.is_closed();
                    c.handle_engine_message(at(0), msg);
                    let out = sent(&mut c);
                    let evs = events(&mut c);
                    if was_closed {
                        prop_assert!(out.is_empty() && evs.is_empty());
                    }
                    for ev in &evs {
                        match ev {
                            Event::Connect { nsp, .. } => {
                                c.accept(at(0), nsp, "s".into(), None).unwrap();
                                joins += 1;
                                let _ = sent(&mut c);
                            }
                            Event::Disconnect { .. } => disconnects += 1,
                            _ => {}
                        }
                    }
                    prop_assert_eq!(joins - disconnects, c.sockets().count());
                }
            }
        }
    }

    #[test]
    fn reasons_read_as_the_reference_writes_them() {
        assert_eq!(
            DisconnectReason::ServerNamespaceDisconnect.to_string(),
            "server namespace disconnect"
        );
        assert_eq!(
            DisconnectReason::ClientNamespaceDisconnect.to_string(),
            "client namespace disconnect"
        );
        assert_eq!(
            DisconnectReason::ServerShuttingDown.to_string(),
            "server shutting down"
        );
        assert_eq!(
            DisconnectReason::ForcedServerClose.to_string(),
            "forced server close"
        );
        assert!(DisconnectReason::PingTimeout.is_recoverable());
        assert!(DisconnectReason::ForcedServerClose.is_recoverable());
        assert!(!DisconnectReason::ClientNamespaceDisconnect.is_recoverable());
        assert!(!DisconnectReason::ParseError.is_recoverable());
        assert_eq!(AckError::Timeout.to_string(), "operation has timed out");
    }
}
