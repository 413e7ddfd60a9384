//! What a client session asks of its driver, and what it tells the layer above.

use alloc::string::String;

use super::{ProbeError, TransportError};
use crate::engine::{CloseReason, Frame, Handshake, Message, Packet, Transport};

/// What the session asks the driver to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Open the WebSocket at `url`; report [`Session::handle_ws_open`](super::Session::handle_ws_open), then frames and the close.
    WsOpen {
        /// `ws(s)://…?EIO=4&transport=websocket[&sid=…]`.
        url: String,
    },
    /// Send one frame on the open WebSocket.
    WsSend(Frame),
    /// Close the WebSocket; the driver reports nothing more from it.
    WsClose,
    /// Start a long-polling GET; report its body with [`Session::handle_poll_response`](super::Session::handle_poll_response).
    PollGet {
        /// `http(s)://…?EIO=4&transport=polling[&t=…][&sid=…]`.
        url: String,
    },
    /// Start a POST with this text body (`Content-Type: text/plain;charset=UTF-8`); report with
    /// [`Session::handle_post_response`](super::Session::handle_post_response).
    PollPost {
        /// Same form as a GET's URL.
        url: String,
        /// An encoded payload: text records joined by `\x1e`, binary as `b` + base64.
        body: String,
    },
    /// Abort the GET and the POST in flight, if any; the driver reports nothing more from them.
    PollAbort,
}

/// What happened, for the layer above (the Socket.IO Manager).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake arrived: the session is open.
    Open(Handshake),
    /// A message from the server.
    Message(Message),
    /// The server pinged (the pong is already on its way); the Manager re-emits it as `ping`.
    Ping,
    /// The probe succeeded (`3probe`); the session pauses long-polling to switch.
    Upgrading(Transport),
    /// The session now runs on this transport.
    Upgrade(Transport),
    /// The probe failed; the session stays on long-polling.
    UpgradeError(ProbeError),
    /// The detail of a transport failure, emitted just before `Close(TransportError)` (the
    /// reference's `error` event, which the Manager reports as `connect_error` while connecting).
    Error(TransportError),
    /// The session is over. Always the last event.
    Close(CloseReason),
    /// A packet arrived on the session's transport (the reference's `packet` event), before it
    /// is acted on. Only with [`Session::set_packet_events`](super::Session::set_packet_events) on: it copies every message.
    Packet(Packet),
}
