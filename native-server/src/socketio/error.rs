//! Typed errors. Caller misuse (a reserved event name, data serde cannot write) is kept apart from
//! what happens on the network (a timeout, a disconnection).

use proto::socket::Args;

use crate::socketio::value::Value;

pub use crate::engine::SendError;
/// Why arguments (or an auth object, or socket data) do not read as the type asked for.
pub use proto::socket::args::de::Error as DataError;
/// Why a value cannot be written as arguments.
pub use proto::socket::args::ser::Error as SerializeError;

/// Why an emit was refused; nothing was sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The data could not be serialized.
    #[error("cannot serialize the event's arguments: {0}")]
    Serialize(#[from] SerializeError),
    /// The event name is one the protocol reserves (`connect`, `connect_error`, `disconnect`,
    /// `disconnecting`, `newListener`, `removeListener`).
    #[error("\"{0}\" is a reserved event name")]
    ReservedEventName(String),
    /// The socket is disconnected.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The socket already awaits its maximum of acknowledgements (`max_pending_acks`, 1,024):
    /// an emit with an ack is refused until one is answered or times out.
    #[error("too many acknowledgements awaited (the socket is at max_pending_acks)")]
    TooManyPendingAcks,
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// Why an acknowledgement did not come, or could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The deadline passed first (the reference's "operation has timed out").
    #[error("operation has timed out")]
    Timeout,
    /// The socket disconnected before answering.
    #[error("socket has been disconnected")]
    Disconnected,
    /// The answer could not be deserialized into the type asked for.
    #[error("cannot deserialize the acknowledgement: {0}")]
    Deserialize(DataError),
    /// The emit itself was refused.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// A broadcast with acknowledgements that did not get all of them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error} ({} responses received)", responses.len())]
pub struct BroadcastAckError {
    /// Why (usually [`AckError::Timeout`]).
    pub error: AckError,
    /// The responses that did arrive, each an ack's arguments.
    pub responses: Vec<Args>,
}

/// Why a socket did not join rooms; it joined none of those asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The socket would then be in more rooms than `max_rooms_per_socket` allows (its own id's
    /// room counts).
    #[error("too many rooms: the socket would be in {rooms}, over the bound of {max}")]
    TooManyRooms {
        /// The rooms the socket would have been in.
        rooms: usize,
        /// The bound.
        max: usize,
    },
}

/// Why an adapter operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// Other servers did not answer in time.
    #[error("timeout reached: only {received} responses received out of {expected}")]
    Timeout {
        /// Responses received.
        received: usize,
        /// Responses expected.
        expected: usize,
    },
    /// The adapter's own failure (a broken connection to a broker, ...).
    #[error("adapter error: {0}")]
    Other(String),
}

/// A namespace middleware's refusal: the client gets CONNECT_ERROR `{"message":..,"data":..}`
/// (the reference's `next(err)` with `err.data`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    /// `message`, as the client's `connect_error` reads it.
    pub message: String,
    /// `data`, if any.
    pub data: Option<Value>,
}

impl ConnectError {
    /// A refusal with this message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds `data` (any serializable value; CONNECT_ERROR carries no attachments, so binary in it
    /// is sent as a bare placeholder object).
    #[must_use]
    pub fn with_data<T: serde::Serialize + ?Sized>(mut self, data: &T) -> Self {
        self.data = Value::from_serialize(data).ok();
        self
    }
}

impl From<&str> for ConnectError {
    fn from(message: &str) -> Self {
        ConnectError::new(message)
    }
}

impl From<String> for ConnectError {
    fn from(message: String) -> Self {
        ConnectError::new(message)
    }
}

/// A per-packet middleware's refusal (`socket.use`): the packet is dropped and the socket's
/// `error` handlers get this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EventError(pub String);

impl From<&str> for EventError {
    fn from(message: &str) -> Self {
        EventError(message.to_owned())
    }
}
