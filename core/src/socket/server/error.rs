//! Why an acknowledgement will not come, and what the caller got wrong.

use core::fmt;

use crate::json::JsonError;
use crate::socket::codec::Parser;
use crate::socket::packet::Nsp;

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
    /// The socket already awaits [`Config::max_pending_acks`](super::Config::max_pending_acks)
    /// acknowledgements.
    TooManyPendingAcks(Nsp),
    /// An [`Encoded`](super::Encoded) packet was written by another parser than the connection's.
    OtherParser(Parser),
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
            UsageError::OtherParser(parser) => write!(
                f,
                "a packet encoded for the {} parser cannot go to a connection using another",
                parser.name()
            ),
        }
    }
}

impl core::error::Error for UsageError {}
