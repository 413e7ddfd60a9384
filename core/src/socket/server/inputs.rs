//! What the client sends: its packets, in each state, the engine's close and the timers.

use super::commands::connect_error;
use super::*;
use crate::json;

impl Connection {
    /// One message from the engine session (a Socket.IO packet, or a binary attachment).
    pub fn handle_engine_message(&mut self, now: Instant, msg: Message) {
        if self.closed {
            return;
        }
        let status = match msg {
            Message::Text(text) => self.decoder.decode_text(&text),
            Message::Binary(bytes) => self.decoder.decode_binary(bytes),
        };
        match status {
            Ok(Status::Complete(packet)) => {
                self.timers.stop(Timer::Attachments);
                self.on_packet(now, packet);
            }
            Ok(Status::Partial { .. }) => {
                // Armed by the header only: the timeout counts the whole packet.
                if !self.timers.is_armed(Timer::Attachments) {
                    self.timers
                        .set(Timer::Attachments, now + self.config.attachments_timeout);
                }
            }
            Err(error) => self.on_decode_error(error),
        }
    }

    /// The engine session closed: every socket disconnects with the engine's reason.
    pub fn handle_engine_close(&mut self, now: Instant, reason: CloseReason) {
        let _ = now;
        if self.closed {
            return;
        }
        self.shut(DisconnectReason::from_engine(&reason), false);
    }

    /// Fires what is due: the connect timeout, ack deadlines.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let due: Vec<Timer> = self.timers.expired(now).collect();
        for timer in due {
            match timer {
                Timer::ConnectTimeout => {
                    if self.sockets.is_empty() {
                        self.shut(DisconnectReason::ForcedServerClose, true);
                        return;
                    }
                }
                Timer::Attachments => {
                    self.on_decode_error(DecodeError::AttachmentsTimeout);
                    return;
                }
            }
        }
        while let Some(entry) = self.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((_, handle), (nsp, id)) = entry.remove_entry();
            if let Some(socket) = self.socket_mut(&nsp) {
                socket.acks.remove(&id);
            }
            self.events.push_back(Event::Ack {
                nsp,
                handle,
                result: Err(AckError::Timeout),
            });
        }
    }

    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        let Packet { nsp, data } = packet;
        let joined = self.is_connected(&nsp);
        match data {
            PacketData::Connect(auth) if !joined => self.on_connect(now, nsp, auth),
            PacketData::Event { args, id } if joined => {
                self.events.push_back(Event::Event { nsp, args, id });
            }
            PacketData::Ack { args, id } if joined => self.on_ack(nsp, id, args),
            PacketData::Disconnect if joined => {
                if let Some(index) = self.sockets.iter().position(|s| s.nsp == nsp) {
                    self.leave(index, DisconnectReason::ClientNamespaceDisconnect);
                }
            }
            // CONNECT on a joined namespace, anything else on one not joined, any CONNECT_ERROR:
            // the reference's "invalid state", which closes the connection.
            _ => self.shut(DisconnectReason::ForcedServerClose, true),
        }
    }

    pub(super) fn on_connect(&mut self, now: Instant, nsp: Nsp, auth: Option<String>) {
        if self.pending.contains(&nsp) {
            return;
        }
        // One more refusal must still fit in the budget: at most `max_refused_connects` intervals
        // owed after it.
        let interval = self.config.refused_connect_interval;
        let budget = interval.saturating_mul(self.config.max_refused_connects);
        let owed = self.refusals_forgiven_at.saturating_duration_since(now);
        if !owed.is_zero() && owed > budget.saturating_sub(interval) {
            self.shut(DisconnectReason::ForcedServerClose, true);
            return;
        }
        if self.sockets.len().saturating_add(self.pending.len()) >= self.config.max_namespaces {
            self.send(connect_error(&nsp, "Too many namespaces", None));
            self.count_refusal(now);
            return;
        }
        let recovery = auth.as_deref().and_then(recovery_of);
        self.pending.push(nsp.clone());
        self.events.push_back(Event::Connect {
            nsp,
            auth,
            recovery,
        });
    }

    /// One more refused CONNECT against the budget (see [`Config::max_refused_connects`]).
    pub(super) fn count_refusal(&mut self, now: Instant) {
        self.refusals_forgiven_at =
            self.refusals_forgiven_at.max(now) + self.config.refused_connect_interval;
    }

    pub(super) fn on_ack(&mut self, nsp: Nsp, id: AckId, args: Args) {
        let Some(socket) = self.socket_mut(&nsp) else {
            return;
        };
        // An unknown id (never sent, already answered, timed out) is ignored, as the reference does.
        let Some(pending) = socket.acks.remove(&id) else {
            return;
        };
        if let Some(at) = pending.deadline {
            self.deadlines.remove(&(at, pending.handle));
        }
        self.events.push_back(Event::Ack {
            nsp,
            handle: pending.handle,
            result: Ok(args),
        });
    }

    pub(super) fn on_decode_error(&mut self, error: DecodeError) {
        for socket in &self.sockets {
            self.events.push_back(Event::Error {
                nsp: socket.nsp.clone(),
                error: error.clone(),
            });
        }
        // The reference closes the engine itself, so its sockets see the engine's "forced close".
        self.shut(DisconnectReason::ForcedClose, true);
    }
}

/// The auth object's `pid` and `offset`, when both are strings.
pub(super) fn recovery_of(auth: &str) -> Option<Recovery> {
    let string = |key: &str| {
        let raw = json::object_get(auth, key)?;
        if !raw.starts_with('"') {
            return None;
        }
        json::parse_string(raw)
            .ok()
            .map(|s| String::from(s.as_ref()))
    };
    Some(Recovery {
        pid: string("pid")?,
        offset: string("offset")?,
    })
}
