//! The ack table: ack ids per socket, deadlines, and who waits for each answer.

use super::*;

impl Manager {
    /// Fails every ack whose packet already left: it will not be answered. Acks of packets still
    /// in the send buffer wait for the next connection.
    pub(super) fn clear_acks(&mut self, now: Instant, i: usize) {
        let Some(sock) = self.sockets.get(i) else {
            return;
        };
        // Plain loops rather than iterator adapters: less code in the browser client's module.
        let mut sent = Vec::new();
        for &id in sock.acks.keys() {
            let mut buffered = false;
            let mut k = 0;
            while let Some(packet) = sock.send_buffer.get(k) {
                buffered |= packet.ack_id() == Some(AckId(id));
                k += 1;
            }
            if !buffered {
                sent.push(id);
            }
        }
        for &id in &sent {
            let Some(sock) = self.sockets.get_mut(i) else {
                return;
            };
            let Some(pending) = sock.acks.remove(&id) else {
                continue;
            };
            if let Some(key) = pending.deadline {
                self.ack_deadlines.remove(&key);
            }
            match pending.target {
                AckTarget::App(handle) => self.events.push_back(Event::Ack {
                    socket: SocketId(i),
                    handle,
                    result: Err(AckError::Disconnected),
                }),
                // The reference's queue callback hears of the disconnection only through a timed ack.
                AckTarget::Queue(seq) if pending.deadline.is_some() => {
                    self.queue_result(now, i, seq, Err(AckError::Disconnected));
                }
                AckTarget::Queue(_) => {}
            }
        }
    }

    /// The reference's `emit` past the queue: assigns the ack id, then sends, buffers or drops.
    #[allow(
        clippy::too_many_arguments,
        reason = "the reference's packet fields and flags"
    )]
    pub(super) fn emit_packet(
        &mut self,
        now: Instant,
        i: usize,
        args: Args,
        target: Option<AckTarget>,
        timeout: Option<Duration>,
        volatile: bool,
    ) {
        // The reference drops a volatile packet when the transport is not writable; over an
        // abstract engine, writable means open.
        let writable = self.state == ReadyState::Open;
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let id = target.map(|target| {
            let id = sock.ids;
            sock.ids += 1;
            let deadline = timeout.or(sock.ack_timeout).map(|t| {
                let key = (now + t, self.deadline_seq);
                self.deadline_seq += 1;
                self.ack_deadlines.insert(key, (i, id));
                key
            });
            sock.acks.insert(id, PendingAck { target, deadline });
            AckId(id)
        });
        let packet = Packet::event(sock.nsp.clone(), args, id);
        if volatile && !writable {
            // dropped, as the reference does; a timed ack still times out
        } else if sock.connected {
            self.send(packet);
        } else {
            sock.send_buffer.push_back(packet);
        }
    }

    pub(super) fn on_ack(
        &mut self,
        now: Instant,
        i: usize,
        id: AckId,
        result: Result<Args, AckError>,
    ) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        // An ACK for an id nobody waits for (answered, timed out, or never sent) is ignored.
        let Some(pending) = sock.acks.remove(&id.0) else {
            return;
        };
        if let Some(key) = pending.deadline {
            self.ack_deadlines.remove(&key);
        }
        self.resolve(now, i, pending.target, result);
    }

    /// Hands an ack's outcome to whoever waits for it: the application, or the retry queue.
    pub(super) fn resolve(
        &mut self,
        now: Instant,
        i: usize,
        target: AckTarget,
        result: Result<Args, AckError>,
    ) {
        match target {
            AckTarget::App(handle) => self.events.push_back(Event::Ack {
                socket: SocketId(i),
                handle,
                result,
            }),
            AckTarget::Queue(seq) => self.queue_result(now, i, seq, result),
        }
    }

    pub(super) fn on_ack_timeout(&mut self, now: Instant, key: (Instant, u64), i: usize, id: u64) {
        self.ack_deadlines.remove(&key);
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let Some(pending) = sock.acks.remove(&id) else {
            return;
        };
        // A timed-out packet still in the offline buffer is not sent any more.
        sock.send_buffer.retain(|p| p.ack_id() != Some(AckId(id)));
        self.resolve(now, i, pending.target, Err(AckError::Timeout));
    }
}
