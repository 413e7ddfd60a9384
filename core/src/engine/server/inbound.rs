//! What the client's requests and packets do to a session: the polling checks, the packets, the
//! upgrade probe.

use super::{
    CloseReason, Event, Frame, Message, Packet, RequestError, Session, Transmit, Transport,
};
use super::{ReadyState, Timer, Ws};
use crate::time::Instant;

impl Session {
    /// The checks every polling request passes first.
    pub(super) fn check_polling(&self) -> Result<(), RequestError> {
        if self.state == ReadyState::Closed {
            return Err(RequestError::Closed);
        }
        if self.transport != Transport::Polling {
            return Err(RequestError::TransportMismatch);
        }
        Ok(())
    }

    /// Whether a frame is over `max_payload` (the reference's `ws` refuses it as an error).
    pub(super) fn exceeds_max_payload(&self, frame: &Frame) -> bool {
        let len = match frame {
            Frame::Text(text) => text.len(),
            Frame::Binary(bytes) => bytes.len(),
        };
        u64::try_from(len).map_or(true, |len| len > self.config.max_payload)
    }

    /// A packet from the client on the session's transport.
    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        if packet == Packet::Close {
            // A polling client's goodbye completes its parked GET with a noop.
            if self.get_parked {
                self.get_parked = false;
                let body = self.take_payload(Some(Packet::Noop));
                self.transmits.push_back(Transmit::PollResponse(body));
            }
            self.finish(CloseReason::TransportClose);
            return;
        }
        if self.state != ReadyState::Open {
            return;
        }
        match packet {
            // In v4 only the server pings; `2probe` belongs on a probe WebSocket.
            Packet::Ping | Packet::PingProbe => {
                self.finish(CloseReason::ProtocolViolation(
                    "invalid heartbeat direction",
                ));
            }
            Packet::Pong | Packet::PongProbe => {
                self.timers.stop(Timer::PongDeadline);
                self.timers
                    .set(Timer::Ping, now + self.config.ping_interval);
                self.events.push_back(Event::Heartbeat);
            }
            Packet::Message(text) => self.events.push_back(Event::Message(Message::Text(text))),
            Packet::Binary(bytes) => self
                .events
                .push_back(Event::Message(Message::Binary(bytes))),
            // Server-to-client packets, and `5` outside a probe: the reference ignores them.
            Packet::Open(_) | Packet::Close | Packet::Upgrade | Packet::Noop => {}
        }
    }

    /// `2probe` on the probe WebSocket: answer `3probe`, and from now on answer every GET at once so
    /// the client's polling can pause.
    pub(super) fn answer_probe(&mut self) {
        self.transmits.push_back(Transmit::WsSend {
            frame: Packet::PongProbe.into_frame(),
            compress: false,
        });
        self.ws = Ws::Probed;
        self.events.push_back(Event::Upgrading);
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Noop));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }

    /// `5` on the probe WebSocket: it becomes the transport and gets everything buffered.
    pub(super) fn complete_upgrade(&mut self) {
        self.timers.stop(Timer::Upgrade);
        if self.get_parked {
            self.get_parked = false;
            let body = self.take_payload(Some(Packet::Noop));
            self.transmits.push_back(Transmit::PollResponse(body));
        }
        self.ws = Ws::Active;
        self.transport = Transport::WebSocket;
        self.events.push_back(Event::Upgrade(Transport::WebSocket));
        self.flush();
        if self.state == ReadyState::Closing {
            self.transmits.push_back(Transmit::WsSend {
                frame: Packet::Close.into_frame(),
                compress: false,
            });
            self.finish(CloseReason::ForcedClose);
        }
    }

    /// The probe failed or timed out: close it; the session stays on polling.
    pub(super) fn abort_probe(&mut self) {
        if matches!(self.ws, Ws::Probing | Ws::Probed) {
            self.ws = Ws::None;
            self.timers.stop(Timer::Upgrade);
            self.transmits.push_back(Transmit::WsClose);
        }
    }
}
