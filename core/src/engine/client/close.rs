//! How a client session ends: the close handshake, failures, and the fallback to the next
//! transport.

use alloc::string::String;

use super::{
    CloseReason, Event, Packet, Probe, Session, State, Transmit, Transport, TransportError, Ws,
    payload,
};
use crate::Instant;

impl Session {
    /// Sends the close packet once everything buffered has left and no switch is under way.
    pub(super) fn try_finish_close(&mut self) {
        if self.state != State::Closing
            || !self.write_buffer.is_empty()
            || self.post_in_flight
            || self.probe == Some(Probe::Pausing)
        {
            return;
        }
        match self.transport {
            Some(Transport::WebSocket) => {
                self.push_frame(&Packet::Close);
                self.transmits.push_back(Transmit::WsClose);
                self.ws = Ws::None;
            }
            _ => {
                let mut body = String::new();
                payload::encode([&Packet::Close], &mut body);
                self.post(body);
                if self.ws != Ws::None {
                    // A probe still opening or probing.
                    self.transmits.push_back(Transmit::WsClose);
                    self.ws = Ws::None;
                }
            }
        }
        self.probe = None;
        self.get_in_flight = false;
        self.post_in_flight = false;
        self.finish(CloseReason::ForcedClose);
    }

    /// A transport failed. Before the handshake, with `try_all_transports`, the next transport is
    /// tried; otherwise the session closes with a transport error.
    pub(super) fn connect_failed(
        &mut self,
        now: Instant,
        failed: Transport,
        error: TransportError,
    ) {
        let _ = now;
        self.prior_websocket_success = false;
        if self.state == State::Opening
            && self.config.try_all_transports
            && self.candidates.len() > 1
        {
            self.candidates.retain(|&t| t != failed);
            if let Some(&next) = self.candidates.first() {
                // The failed transport's request or socket is finished; nothing is left in flight.
                self.abort_all();
                return self.open_transport(next);
            }
        }
        self.fail(CloseReason::TransportError, Some(error));
    }

    /// Asks the driver to drop whatever is still in flight.
    pub(super) fn abort_all(&mut self) {
        if self.get_in_flight || self.post_in_flight {
            self.transmits.push_back(Transmit::PollAbort);
            self.get_in_flight = false;
            self.post_in_flight = false;
        }
        if self.ws != Ws::None {
            self.transmits.push_back(Transmit::WsClose);
            self.ws = Ws::None;
        }
        self.probe = None;
    }

    /// Ends the session at once: everything in flight is aborted.
    pub(super) fn fail(&mut self, reason: CloseReason, error: Option<TransportError>) {
        if self.state == State::Closed {
            return;
        }
        self.abort_all();
        if let Some(error) = error {
            self.events.push_back(Event::Error(error));
        }
        self.finish(reason);
    }

    pub(super) fn finish(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.timers.clear();
        self.write_buffer.clear();
        self.events.push_back(Event::Close(reason));
    }
}
