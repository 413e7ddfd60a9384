//! What the server's packets do to a client session: the handshake, heartbeats, and the upgrade
//! probe.

use super::{
    CloseReason, Event, Frame, Handshake, Message, Packet, Probe, ProbeError, Session, State,
    Timer, Transmit, Transport, Ws,
};
use crate::Instant;

impl Session {
    /// A packet from the session's transport.
    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        if self.packet_events {
            self.events.push_back(Event::Packet(packet.clone()));
        }
        match packet {
            Packet::Open(handshake) if self.state == State::Opening => {
                self.on_handshake(now, handshake)
            }
            _ if self.state == State::Opening => self.fail(
                CloseReason::ProtocolViolation("the first packet is not an open packet"),
                None,
            ),
            Packet::Open(_) => {
                self.fail(CloseReason::ProtocolViolation("a second open packet"), None)
            }
            Packet::Close => self.fail(CloseReason::TransportClose, None),
            Packet::Ping => {
                self.events.push_back(Event::Ping);
                self.send_packet(Packet::Pong);
                self.reset_ping_timeout(now);
            }
            Packet::Message(text) => self.events.push_back(Event::Message(Message::Text(text))),
            Packet::Binary(bytes) => self
                .events
                .push_back(Event::Message(Message::Binary(bytes))),
            // `6` completes a GET during an upgrade; the rest is never sent by a server and the
            // reference ignores it.
            Packet::Noop
            | Packet::Pong
            | Packet::PingProbe
            | Packet::PongProbe
            | Packet::Upgrade => {}
        }
    }

    pub(super) fn on_handshake(&mut self, now: Instant, handshake: Handshake) {
        let upgrade = self.config.upgrade
            && self.transport == Some(Transport::Polling)
            && handshake.upgrades.contains(&Transport::WebSocket)
            && self.candidates.contains(&Transport::WebSocket);
        self.state = State::Open;
        self.prior_websocket_success = self.transport == Some(Transport::WebSocket);
        self.handshake = Some(handshake.clone());
        self.events.push_back(Event::Open(handshake));
        self.reset_ping_timeout(now);
        self.flush();
        if upgrade {
            self.prior_websocket_success = false;
            self.probe = Some(Probe::Probing);
            self.open_ws();
        }
    }

    pub(super) fn reset_ping_timeout(&mut self, now: Instant) {
        if let Some(h) = &self.handshake {
            let deadline = now + h.ping_interval + h.ping_timeout;
            self.timers.set(Timer::PingTimeout, deadline);
        }
    }

    pub(super) fn on_probe_frame(&mut self, probe: Probe, frame: Frame) {
        match probe {
            Probe::Probing => {
                if matches!(Packet::decode_frame(frame), Ok(Packet::PongProbe)) {
                    self.probe = Some(Probe::Pausing);
                    self.prior_websocket_success = true;
                    self.events
                        .push_back(Event::Upgrading(Transport::WebSocket));
                    self.try_finish_upgrade();
                } else {
                    self.probe = None;
                    self.ws = Ws::None;
                    self.transmits.push_back(Transmit::WsClose);
                    self.events
                        .push_back(Event::UpgradeError(ProbeError::UnexpectedPacket));
                }
            }
            // The server sends nothing on the new transport before our `5`.
            Probe::Pausing => {}
        }
    }

    /// Switches to the WebSocket once long-polling is paused: no GET and no POST in flight.
    pub(super) fn try_finish_upgrade(&mut self) {
        if self.probe != Some(Probe::Pausing) || self.get_in_flight || self.post_in_flight {
            return;
        }
        if self.state == State::Closed {
            return;
        }
        self.probe = None;
        self.transport = Some(Transport::WebSocket);
        self.push_frame(&Packet::Upgrade);
        self.events.push_back(Event::Upgrade(Transport::WebSocket));
        self.flush();
        self.try_finish_close();
    }

    /// After a failed probe: long-polling goes on where it paused.
    pub(super) fn resume_polling(&mut self) {
        if self.state == State::Closed || self.transport != Some(Transport::Polling) {
            return;
        }
        self.poll();
        self.flush();
        self.try_finish_close();
    }
}
