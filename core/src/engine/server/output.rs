//! What a session asks of its driver: answers to polling GETs, transmits and events.

use alloc::string::String;

use crate::engine::{CloseReason, Frame, Message, Transport};

/// A polling GET's answer: the payload (200, `text/plain; charset=UTF-8`) and whether HTTP
/// compression may apply to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollPayload {
    /// The encoded payload.
    pub body: String,
    /// Whether some packet in it was sent with the `compress` flag (the reference's
    /// `packets.some(p => p.options.compress)`): a payload of only `compress: false` packets
    /// (and of the close and noop packets, which carry no flag) goes uncompressed whatever its
    /// size.
    pub compress: bool,
}

/// What to do with a polling GET.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GetOutcome {
    /// Answer it now with this payload.
    Respond(PollPayload),
    /// Keep it open: a later [`Transmit::PollResponse`] answers it.
    Wait,
}

/// What the driver must do on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Answer the parked GET with this payload.
    PollResponse(PollPayload),
    /// Send this frame on the session's WebSocket; with permessage-deflate negotiated, `compress`
    /// false sends it uncompressed whatever its size (`ws.send(data, { compress })`).
    WsSend {
        /// The frame.
        frame: Frame,
        /// The `compress` flag of the packet it carries.
        compress: bool,
    },
    /// Close the session's WebSocket (after sending the frames before it).
    WsClose,
}

/// What the session tells the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client sent a message.
    Message(Message),
    /// The client answered a ping (`3`).
    Heartbeat,
    /// The probe WebSocket answered `2probe` with `3probe`: the upgrade is under way
    /// (the reference's `upgrading`).
    Upgrading,
    /// The client sent `5`: the session now runs on this transport (the reference's `upgrade`).
    Upgrade(Transport),
    /// The session is over; emitted once.
    Close(CloseReason),
}
