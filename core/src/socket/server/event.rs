//! What the connection asks of the engine and tells the server: engine commands, events and
//! disconnect reasons.

use alloc::string::String;
use core::fmt;

use super::AckError;
use crate::engine::{CloseReason, Message};
use crate::socket::args::Args;
use crate::socket::codec::DecodeError;
use crate::socket::packet::{AckId, Nsp};
use crate::socket::reason::EngineCloseReasons;

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

/// Names one awaited acknowledgement; unique within a [`Connection`](super::Connection), never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckHandle(pub(super) u64);

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
    /// The client asks to join `nsp`. Answer with [`Connection::accept`](super::Connection::accept) or
    /// [`Connection::reject`](super::Connection::reject) (an unknown namespace:
    /// `reject(nsp, "Invalid namespace", None)`).
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
        /// Set when the client wants an acknowledgement: answer with
        /// [`Connection::ack`](super::Connection::ack).
        id: Option<AckId>,
    },
    /// The acknowledgement of an [`Connection::emit`](super::Connection::emit) that asked for one, or why
    /// it will not come.
    Ack {
        /// The namespace.
        nsp: Nsp,
        /// What [`Connection::emit`](super::Connection::emit) returned.
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
