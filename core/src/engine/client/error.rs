//! Why a transport broke the session, and why an upgrade probe failed.

use alloc::string::String;

use crate::text::{ErrorText, display_by_text, push_decimal};

/// Why a failed HTTP request or WebSocket broke the session; the driver reports the first two.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// The server answered with a status other than 200 (400 for an unknown sid, for example).
    HttpStatus(u16),
    /// The request failed without an HTTP answer (network down, DNS, CORS, a timeout).
    Network(String),
    /// The WebSocket closed or failed before the handshake.
    WebSocketClosed,
    /// The configuration lists no transport.
    NoTransports,
}

impl ErrorText for TransportError {
    fn write_text(&self, out: &mut String) {
        match self {
            TransportError::HttpStatus(status) => {
                out.push_str("unexpected http status ");
                push_decimal(out, u64::from(*status));
            }
            TransportError::Network(why) => {
                out.push_str("network error: ");
                out.push_str(why);
            }
            TransportError::WebSocketClosed => out.push_str("websocket connection closed"),
            TransportError::NoTransports => out.push_str("no transports available"),
        }
    }
}

display_by_text!(TransportError);

impl core::error::Error for TransportError {}

/// Why an upgrade probe failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeError {
    /// The probe WebSocket closed or failed.
    TransportClosed,
    /// The server answered the probe with something other than `3probe`.
    UnexpectedPacket,
}

impl ErrorText for ProbeError {
    fn write_text(&self, out: &mut String) {
        out.push_str(match self {
            ProbeError::TransportClosed => "probe error: transport closed",
            ProbeError::UnexpectedPacket => "probe error",
        });
    }
}

display_by_text!(ProbeError);

impl core::error::Error for ProbeError {}
