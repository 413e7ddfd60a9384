//! What a client session sends: the transports it opens, its requests' URLs, and the write
//! buffer flushed on the writable transport.

use alloc::string::String;

use super::{Packet, Probe, Session, State, Transmit, Transport, Ws, payload};
use crate::url::yeast;

impl Session {
    pub(super) fn open_transport(&mut self, transport: Transport) {
        self.transport = Some(transport);
        match transport {
            Transport::Polling => self.poll(),
            Transport::WebSocket => self.open_ws(),
        }
    }

    /// Issues the one GET (when none is in flight).
    pub(super) fn poll(&mut self) {
        if self.get_in_flight {
            return;
        }
        self.get_in_flight = true;
        let url = self.polling_url();
        self.transmits.push_back(Transmit::PollGet { url });
    }

    pub(super) fn open_ws(&mut self) {
        self.ws = Ws::Connecting;
        let timestamp =
            (self.config.timestamp_requests == Some(true)).then(|| self.next_timestamp());
        let param = &self.config.timestamp_param;
        let url = self.config.url.request_with(
            Transport::WebSocket,
            self.sid(),
            timestamp.as_deref().map(|t| (param.as_str(), t)),
        );
        self.transmits.push_back(Transmit::WsOpen { url });
    }

    pub(super) fn polling_url(&mut self) -> String {
        let timestamp =
            (self.config.timestamp_requests != Some(false)).then(|| self.next_timestamp());
        let param = &self.config.timestamp_param;
        self.config.url.request_with(
            Transport::Polling,
            self.sid(),
            timestamp.as_deref().map(|t| (param.as_str(), t)),
        )
    }

    /// A unique cache-busting token per request.
    pub(super) fn next_timestamp(&mut self) -> String {
        let token = yeast(self.timestamp);
        self.timestamp = self.timestamp.wrapping_add(1);
        token
    }

    pub(super) fn push_frame(&mut self, packet: &Packet) {
        self.transmits
            .push_back(Transmit::WsSend(packet.to_frame()));
    }

    pub(super) fn send_packet(&mut self, packet: Packet) {
        if matches!(self.state, State::Closing | State::Closed) {
            return;
        }
        self.write_buffer.push_back(packet);
        self.flush();
    }

    /// Writes buffered packets if the transport is writable (the reference's `flush`).
    pub(super) fn flush(&mut self) {
        if !matches!(self.state, State::Open | State::Closing)
            || self.probe == Some(Probe::Pausing)
            || self.write_buffer.is_empty()
        {
            return;
        }
        match self.transport {
            Some(Transport::Polling) if !self.post_in_flight => {
                let count = self.writable_count();
                // `payload::encode`'s output, one packet at a time as they leave the buffer.
                let mut body = String::new();
                for i in 0..count {
                    if let Some(packet) = self.write_buffer.pop_front() {
                        if i > 0 {
                            body.push(payload::SEPARATOR);
                        }
                        packet.encode_text(&mut body);
                    }
                }
                self.post(body);
            }
            Some(Transport::WebSocket) if self.ws == Ws::Open => {
                while let Some(packet) = self.write_buffer.pop_front() {
                    self.transmits
                        .push_back(Transmit::WsSend(packet.into_frame()));
                }
            }
            _ => {}
        }
    }

    pub(super) fn post(&mut self, body: String) {
        self.post_in_flight = true;
        let url = self.polling_url();
        self.transmits.push_back(Transmit::PollPost { url, body });
    }

    /// How many buffered packets fit in one POST: the longest prefix whose payload stays within the
    /// handshake's `maxPayload`, but at least one (a packet larger than the limit goes alone). A
    /// `maxPayload` of 0 means no limit, as in the reference.
    pub(super) fn writable_count(&self) -> usize {
        let max = self.handshake.as_ref().map_or(0, |h| h.max_payload);
        if max == 0 {
            return self.write_buffer.len();
        }
        let mut size: u64 = 0;
        let mut i = 0;
        while let Some(packet) = self.write_buffer.get(i) {
            let record = u64::try_from(packet.encoded_len()).unwrap_or(u64::MAX);
            size = size.saturating_add(record).saturating_add(u64::from(i > 0));
            if i > 0 && size > max {
                return i;
            }
            i += 1;
        }
        self.write_buffer.len()
    }
}
