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
//!
//! # Where things are
//!
//! - `config.rs`: the options ([`Config`], [`SocketOptions`], [`Auth`]); [`defaults`]: the
//!   reference client's defaults they start from;
//! - `emit.rs`, `event.rs`, `error.rs`: what the application holds ([`SocketId`], [`AckHandle`],
//!   [`Emit`]), what it hears ([`Event`], [`DisconnectReason`]) and why things fail;
//! - this file: the [`Manager`]'s state, its getters and outputs; `commands.rs`: what the
//!   application asks for; `lifecycle.rs`: the engine's inputs, opening and closing it;
//!   `reconnect.rs`: the reconnection loop and its backoff; `socket.rs`: a socket's packets, its
//!   CONNECT and connection state recovery; `acks.rs`: the ack table; `retry.rs`: the retry queue.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::args::Args;
use super::codec::{Decoder, Status};
use super::packet::{AckId, Nsp, Packet, PacketData};
use crate::engine::{CloseReason, Message};
use crate::fifo::Fifo;
use crate::rng::Rng;
use crate::sorted::SortedMap;
use crate::time::{Instant, TimerKey, Timers};

mod acks;
mod commands;
mod config;
pub mod defaults;
mod emit;
mod error;
mod event;
mod lifecycle;
mod reconnect;
mod retry;
mod socket;

pub use config::{Auth, Config, MAX_RECEIVE_BUFFER, SocketOptions};
pub use emit::{AckHandle, Emit, SocketId};
pub use error::{AckError, AuthError, ConnectionError, EmitError};
pub use event::{DisconnectReason, EngineCommand, Event, ReadyState};

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
    /// [`Manager::set_packet_events`].
    packet_events: bool,
}

impl Manager {
    /// A manager; with `auto_connect` it asks for an engine right away. `seed` drives the
    /// reconnection jitter.
    pub fn new(now: Instant, config: Config, seed: u64) -> Manager {
        let mut manager = Manager {
            decoder: Decoder::with_parser(config.limits, config.parser),
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
            packet_events: false,
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

    /// Reports every packet decoded from the server as [`Event::Packet`] (the reference
    /// manager's `packet` event), before what it causes. Off by default: it copies every packet.
    pub fn set_packet_events(&mut self, on: bool) {
        self.packet_events = on;
    }

    /// The packets in the socket's offline send buffer, oldest first (the reference's
    /// `socket.sendBuffer`).
    pub fn send_buffer(&self, socket: SocketId) -> impl Iterator<Item = &Packet> {
        self.sockets
            .get(socket.0)
            .into_iter()
            .flat_map(|s| s.send_buffer.iter())
    }

    /// Drops what the socket's offline send buffer holds (the reference's `socket.sendBuffer =
    /// []`). Their acknowledgements stay awaited, as the reference's do: a deadline still fails them.
    pub fn clear_send_buffer(&mut self, socket: SocketId) {
        if let Some(s) = self.sockets.get_mut(socket.0) {
            s.send_buffer.clear();
        }
    }

    /// The events received before the socket's CONNECT completed, oldest first, with the ack id
    /// each asks for (the reference's `socket.receiveBuffer`).
    pub fn receive_buffer(&self, socket: SocketId) -> impl Iterator<Item = (&Args, Option<AckId>)> {
        self.sockets
            .get(socket.0)
            .into_iter()
            .flat_map(|s| s.receive_buffer.iter().map(|r| (&r.args, r.id)))
    }

    /// Drops the events received before the socket's CONNECT completed (`socket.receiveBuffer = []`).
    pub fn clear_receive_buffer(&mut self, socket: SocketId) {
        if let Some(s) = self.sockets.get_mut(socket.0) {
            s.receive_buffer.clear();
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
        crate::time::earliest(self.timers.next(), acks)
    }
}

#[cfg(test)]
mod tests;
