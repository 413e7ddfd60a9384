//! The server side of one Engine.IO connection at the Socket.IO layer: [`Connection`] (the
//! reference server's `Client`: one per engine connection, owning that connection's namespace
//! sockets; named for what it is, since a server-side `Client` reads as the peer).
//!
//! [`Connection`] sits over an abstract Engine.IO session: engine messages and the engine's close come
//! in, engine sends and an engine close go out. It decides what the protocol decides (which packets
//! are legal in which state, the connect timeout, ack ids and deadlines, the CONNECT / CONNECT_ERROR /
//! DISCONNECT packets, the disconnect reasons). What is the application's or the server's to decide
//! (whether a namespace exists, middlewares, rooms, broadcast) stays outside: a CONNECT surfaces as
//! [`Event::Connect`] and waits for [`Connection::accept`] or [`Connection::reject`].
//!
//! # Call order
//!
//! ```text
//! let mut client = Connection::new(now, Config::default());     // arms the connect timeout
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
//!   [`Config::max_pending_acks`] acks awaited per socket (1024; [`Connection::emit`] with an ack then
//!   fails with [`UsageError::TooManyPendingAcks`] and sends nothing).
//! - When a socket disconnects, each ack it still awaits ends at once with
//!   [`AckError::Disconnected`] (the reference keeps waiting: forever without a timeout, until the//!
//! # Where things are
//!
//! `config.rs` ([`Config`]); `event.rs` and `error.rs`: what the server hears ([`Event`],
//! [`DisconnectReason`]) and why things fail; `emit.rs`: what it sends ([`Emit`], [`Encoded`]);
//! this file: the [`Connection`]'s state, getters and outputs; `inputs.rs`: the client's packets and
//! the timers; `commands.rs`: the server's answers and commands.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use super::args::Args;
use super::codec::{DecodeError, Decoder, Status};
use super::packet::{AckId, Nsp, Packet, PacketData};
use crate::engine::{CloseReason, Message};
use crate::time::{Instant, TimerKey, Timers};

mod commands;
mod config;
mod emit;
mod error;
mod event;
mod inputs;

pub use config::Config;
pub use emit::{Emit, Encoded};
pub use error::{AckError, UsageError};
pub use event::{AckHandle, DisconnectReason, EngineCommand, Event, Recovery};

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
pub struct Connection {
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

impl Connection {
    /// A connection whose engine session just opened; arms the connect timeout.
    pub fn new(now: Instant, config: Config) -> Connection {
        let mut timers = Timers::default();
        timers.set(Timer::ConnectTimeout, now + config.connect_timeout);
        Connection {
            config,
            decoder: Decoder::with_parser(config.limits, config.parser),
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

    /// The namespaces whose CONNECT awaits [`Connection::accept`] or [`Connection::reject`].
    pub fn pending_connects(&self) -> impl Iterator<Item = &Nsp> + '_ {
        self.pending.iter()
    }

    /// How many acks the socket on `nsp` awaits (0 if not joined).
    pub fn pending_acks(&self, nsp: &Nsp) -> usize {
        self.socket(nsp).map_or(0, |s| s.acks.len())
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

    /// When [`Connection::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ack = self.deadlines.first_key_value().map(|((at, _), _)| *at);
        match (self.timers.next(), ack) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- shared by the inputs and the commands ----

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

    /// Queues the messages of a packet: with the JSON parser its text, then its attachments right
    /// behind it; with MessagePack one binary message.
    fn send(&mut self, packet: Packet) {
        let engine_out = &mut self.engine_out;
        self.config
            .parser
            .encode(packet, |m| engine_out.push_back(EngineCommand::Send(m)));
    }
}

#[cfg(test)]
mod tests;
