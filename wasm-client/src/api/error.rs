//! [`Error`]: why an operation of the Rust API failed.

use proto::socket::client as socket_client;

use super::{AckError, DeserializeError, SerializeError};

/// Why an operation of the Rust API failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server URL cannot be used.
    #[error("invalid url: {0}")]
    Url(#[from] proto::url::UrlError),
    /// The namespace name is too long or has a comma.
    #[error("{0}")]
    Namespace(#[from] proto::socket::packet::InvalidNsp),
    /// The auth payload could not be serialized.
    #[error("auth: {0}")]
    Json(#[from] serde_json::Error),
    /// A payload could not be serialized (its `Serialize` failed), or what it serialized to is
    /// not arguments the core can carry.
    #[error("payload: {0}")]
    Serialize(#[from] SerializeError),
    /// Received arguments do not read as the type asked for.
    #[error("payload: {0}")]
    Deserialize(#[from] DeserializeError),
    /// The core refused the emit (a reserved event name, say).
    #[error("{0}")]
    Emit(#[from] socket_client::EmitError),
    /// The auth payload is not a JSON object.
    #[error("{0}")]
    Auth(#[from] socket_client::AuthError),
    /// The acknowledgement will not come.
    #[error("{0}")]
    Ack(#[from] AckError),
    /// The acknowledgement has no argument to read.
    #[error("the acknowledgement has no argument {0}")]
    MissingArgument(usize),
    /// The browser lacks what the transports need (a global `WebSocket` or `fetch`).
    #[error("no global {0} in this environment")]
    MissingGlobal(&'static str),
    /// The parser asked for is not in this build: in the browser, MessagePack needs this
    /// crate's `msgpack` feature.
    #[error("the {} parser is not in this build: turn on sockeye-client's `msgpack` feature", .0.name())]
    ParserUnavailable(proto::socket::Parser),
    /// Natively: the manager was made outside a tokio runtime (its transports need one).
    #[cfg(feature = "native")]
    #[error("no tokio runtime: make the manager from inside one")]
    NoRuntime,
    /// Natively: TLS cannot be set up for the server (its host is no valid TLS server name).
    #[cfg(feature = "native")]
    #[error("tls: {0}")]
    Tls(String),
}
