//! The `disconnect` reason a socket inherits when its Engine.IO session closes: the same five
//! reasons, in the same words, on both ends. The client's and the server's `DisconnectReason`
//! differ in the reasons of their own layer, so each names its five here and shares one mapping.

use crate::engine::CloseReason;

/// A `DisconnectReason` that has the five reasons an engine's close gives its sockets.
pub(crate) trait EngineCloseReasons: Sized {
    /// This end closed the engine session (`forced close`).
    const FORCED_CLOSE: Self;
    /// The peer went away or the transport closed (`transport close`).
    const TRANSPORT_CLOSE: Self;
    /// The transport failed (`transport error`).
    const TRANSPORT_ERROR: Self;
    /// The peer stopped answering pings (`ping timeout`).
    const PING_TIMEOUT: Self;
    /// The peer sent something that is not Engine.IO or Socket.IO (`parse error`).
    const PARSE_ERROR: Self;

    /// The reason sockets see when their engine session closed for `reason`. A protocol violation
    /// reads as a transport error: the reference has no reason of its own for it.
    fn from_engine_close(reason: &CloseReason) -> Self {
        match reason {
            CloseReason::ForcedClose => Self::FORCED_CLOSE,
            CloseReason::TransportClose => Self::TRANSPORT_CLOSE,
            CloseReason::TransportError | CloseReason::ProtocolViolation(_) => {
                Self::TRANSPORT_ERROR
            }
            CloseReason::PingTimeout => Self::PING_TIMEOUT,
            CloseReason::ParseError => Self::PARSE_ERROR,
        }
    }
}
