//! How packets leave a session: the buffer, flushed on WebSocket at once and on polling into a
//! parked GET; and the close.

use alloc::string::String;

use super::payload;
use super::{
    CloseReason, Event, Packet, PollPayload, ReadyState, Session, Transmit, Transport, Ws,
};

/// A packet waiting for the transport, with its `compress` flag.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) packet: Packet,
    pub(super) compress: bool,
}

impl Session {
    /// Buffers a packet for the client (with the `compress` flag, as the reference's
    /// `sendPacket` defaults it) and sends what the transport can carry now.
    pub(super) fn queue(&mut self, packet: Packet) {
        if self.state != ReadyState::Open {
            return;
        }
        self.push(packet, true);
        self.flush();
        self.check_buffer();
    }

    /// Closes the session when more than `max_buffered_bytes` wait for the client.
    pub(super) fn check_buffer(&mut self) {
        if u64::try_from(self.buffered_bytes).map_or(true, |n| n > self.config.max_buffered_bytes) {
            self.finish(CloseReason::TransportError);
        }
    }

    /// Appends to the buffer without flushing it.
    pub(super) fn push(&mut self, packet: Packet, compress: bool) {
        self.buffered_bytes += packet.encoded_len() + usize::from(!self.buffer.is_empty());
        self.buffer.push_back(Queued { packet, compress });
    }

    /// Sends the buffer if the transport is writable: WebSocket always, polling with a GET parked.
    pub(super) fn flush(&mut self) {
        if self.state == ReadyState::Closed || self.buffer.is_empty() {
            return;
        }
        if self.transport == Transport::WebSocket {
            self.buffered_bytes = 0;
            while let Some(Queued { packet, compress }) = self.buffer.pop_front() {
                self.transmits.push_back(Transmit::WsSend {
                    frame: packet.into_frame(),
                    compress,
                });
            }
        } else if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(None);
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }

    /// The buffer as one polling payload, with `last` after it (or alone), emptying the buffer.
    /// `last` (a close or a noop) carries no `compress` flag, as in the reference.
    pub(super) fn take_payload(&mut self, last: Option<Packet>) -> PollPayload {
        let mut body = String::with_capacity(self.buffered_bytes + 2);
        let compress = self.buffer.iter().any(|q| q.compress);
        let packets = self.buffer.iter().map(|q| &q.packet);
        payload::encode(packets.chain(last.as_ref()), &mut body);
        self.buffer.clear();
        self.buffered_bytes = 0;
        PollPayload { body, compress }
    }

    /// The session is over (the reference's `onClose`): a parked GET gets `1`, the WebSocket is
    /// closed, timers and buffers are dropped, and `Close` is emitted once.
    pub(super) fn finish(&mut self, reason: CloseReason) {
        if self.state == ReadyState::Closed {
            return;
        }
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Close));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
        if self.ws != Ws::None {
            self.ws = Ws::None;
            self.transmits.push_back(Transmit::WsClose);
        }
        self.state = ReadyState::Closed;
        self.timers.clear();
        self.buffer.clear();
        self.buffered_bytes = 0;
        self.post_in_flight = false;
        self.events.push_back(Event::Close(reason));
    }
}
