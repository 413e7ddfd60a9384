//! What the manager asks of the engine and tells the application.

use alloc::string::String;
use core::fmt;

use super::{AckError, AckHandle, ConnectionError, SocketId};
use crate::engine::{CloseReason, Message};
use crate::socket::args::Args;
use crate::socket::packet::AckId;
use crate::socket::reason::EngineCloseReasons;

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
    /// The application called [`Manager::disconnect`](super::Manager::disconnect); no reconnection.
    IoClientDisconnect,
    /// The engine heard no ping in time; the manager reconnects.
    PingTimeout,
    /// The engine's connection closed; the manager reconnects.
    TransportClose,
    /// The engine's connection failed; the manager reconnects.
    TransportError,
    /// The server sent something that is not Socket.IO; the manager reconnects.
    ParseError,
    /// The application closed the manager ([`Manager::close`](super::Manager::close)); no
    /// reconnection. The reference emits this too, although its typings omit it.
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

impl EngineCloseReasons for DisconnectReason {
    const FORCED_CLOSE: Self = DisconnectReason::ForcedClose;
    const TRANSPORT_CLOSE: Self = DisconnectReason::TransportClose;
    const TRANSPORT_ERROR: Self = DisconnectReason::TransportError;
    const PING_TIMEOUT: Self = DisconnectReason::PingTimeout;
    const PARSE_ERROR: Self = DisconnectReason::ParseError;
}

impl From<&CloseReason> for DisconnectReason {
    fn from(reason: &CloseReason) -> Self {
        DisconnectReason::from_engine_close(reason)
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// A packet arrived (manager `packet`); only after [`Manager::set_packet_events`](super::Manager::set_packet_events).
    Packet(crate::socket::packet::Packet),
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
        /// Set when the server waits for an acknowledgement: answer with
        /// [`Manager::ack`](super::Manager::ack).
        id: Option<AckId>,
    },
    /// The server acknowledged an emit, or the acknowledgement will not come.
    Ack {
        /// The socket.
        socket: SocketId,
        /// The handle [`Manager::emit`](super::Manager::emit) returned.
        handle: AckHandle,
        /// The ACK's arguments.
        result: Result<Args, AckError>,
    },
    /// The socket's auth is a callback: answer with
    /// [`Manager::connect_with_auth`](super::Manager::connect_with_auth).
    AuthRequest {
        /// The socket.
        socket: SocketId,
    },
}
