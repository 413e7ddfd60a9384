//! The open packet's JSON. (Stub: implementation follows.)
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::{Sid, Transport};

/// The handshake: `{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The session id.
    pub sid: Sid,
    /// Transports the client may upgrade to (unknown names are dropped when decoding).
    pub upgrades: Vec<Transport>,
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long the server waits for a pong.
    pub ping_timeout: Duration,
    /// The most bytes the server accepts in one polling payload (the client splits POSTs by it).
    pub max_payload: u64,
}

/// Why an open packet's JSON is not a handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Not a JSON object.
    NotAnObject,
    /// A required key is missing or has the wrong type.
    Missing(&'static str),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::NotAnObject => f.write_str("handshake is not a JSON object"),
            HandshakeError::Missing(k) => write!(f, "handshake key {k:?} is missing or invalid"),
        }
    }
}

impl core::error::Error for HandshakeError {}
