//! What the streams carry: a socket's lifecycle and events ([`SocketEvent`]), the manager's and
//! its engine's ([`ManagerEvent`]), and a socket's state ([`ConnectionState`]).

use serde_json::Value;

use super::{
    Args, CloseDescription, ConnectionError, DeserializeError, DisconnectReason, EngineCloseReason,
    ProbeError, Transport, TransportError,
};

/// Why the server refused the namespace (`connect_error`).
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// The error's message.
    pub message: String,
    /// The `data` a server middleware attached, if any.
    pub data: Option<Value>,
}

/// A socket's lifecycle and its events, as [`Socket::events`](super::Socket::events) streams them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// Connected to the namespace.
    Connect,
    /// The connection attempt failed, or the server refused the namespace.
    ConnectError(ConnectError),
    /// Disconnected; unless the reason is deliberate, the manager reconnects.
    Disconnect(Disconnection),
    /// An event from the server.
    Event {
        /// Its name.
        name: String,
        /// Its arguments.
        args: Args,
    },
    /// An event whose arguments do not read as the type a typed handler asked for
    /// ([`Socket::on`](super::Socket::on), [`Socket::once`](super::Socket::once),
    /// [`Socket::on_typed`](super::Socket::on_typed)): that handler was not called. One for each
    /// such handler, after the event's [`SocketEvent::Event`].
    InvalidPayload {
        /// The event's name.
        event: String,
        /// Its arguments.
        args: Args,
        /// Why they do not read as the handler's type.
        error: DeserializeError,
    },
}

/// Why a socket disconnected: the reference's `disconnect` event arguments `(reason,
/// description)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Disconnection {
    /// Why.
    pub reason: DisconnectReason,
    /// What closed the connection, when the reference says: a lost transport's detail (none for a
    /// deliberate disconnection, a ping timeout or a parse error).
    pub description: Option<CloseDescription>,
}

impl Disconnection {
    /// A disconnection for `reason`, with no description.
    pub fn new(reason: DisconnectReason) -> Self {
        Disconnection {
            reason,
            description: None,
        }
    }
}

impl From<DisconnectReason> for Disconnection {
    fn from(reason: DisconnectReason) -> Self {
        Disconnection::new(reason)
    }
}

/// The manager's and its engine's events, as [`Manager::events`](super::Manager::events) streams them (the reference's
/// `socket.io.on(...)` and `socket.io.engine.on(...)`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ManagerEvent {
    /// The engine opened (`open`).
    Open,
    /// The engine could not open (`error`).
    Error(ConnectionError),
    /// The server pinged (`ping`).
    Ping,
    /// The engine closed (`close`): the reason, and what closed it when the reference says.
    Close {
        /// Why, in Engine.IO's words (`"transport close"` ...).
        reason: EngineCloseReason,
        /// The lost transport's detail (`"network connection lost"` after the browser's
        /// `offline` event ...).
        description: Option<CloseDescription>,
    },
    /// A reconnection attempt starts, numbered from 1 (`reconnect_attempt`).
    ReconnectAttempt(u32),
    /// Reconnected after this many attempts (`reconnect`).
    Reconnect(u32),
    /// A reconnection attempt failed (`reconnect_error`).
    ReconnectError(ConnectionError),
    /// Every attempt failed; no more (`reconnect_failed`).
    ReconnectFailed,
    /// The engine's upgrade probe succeeded and it is switching (the engine's `upgrading`).
    Upgrading,
    /// The engine now runs on this transport (the engine's `upgrade`).
    Upgrade(Transport),
    /// The upgrade probe failed; the engine stays on long-polling (the engine's `upgradeError`).
    UpgradeError(ProbeError),
    /// A transport failed, just before the engine closes (the engine's `error`).
    TransportError(TransportError),
}

/// A socket's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Connected to its namespace.
    Connected,
    /// Not connected, and will (re)connect when the manager does.
    Connecting,
    /// Not connected, and will not reconnect without [`Socket::connect`](super::Socket::connect).
    Disconnected,
}
