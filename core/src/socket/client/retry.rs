//! The retry queue (`retries`): one packet in flight, resent with a new ack id until acknowledged.

use super::*;

impl Manager {
    /// The callback the reference's `_addToQueue` attaches to a queued packet.
    pub(super) fn queue_result(
        &mut self,
        now: Instant,
        i: usize,
        seq: u64,
        result: Result<Args, AckError>,
    ) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        let retries = sock.retries;
        let Some(head) = sock.queue.front_mut() else {
            return;
        };
        if head.seq != seq {
            return; // already acknowledged
        }
        let done = match &result {
            Err(_) => head.try_count > retries,
            Ok(_) => true,
        };
        head.pending = false;
        if done {
            let handle = sock.queue.pop_front().and_then(|q| q.handle);
            if let Some(handle) = handle {
                self.events.push_back(Event::Ack {
                    socket: SocketId(i),
                    handle,
                    result,
                });
            }
        }
        self.drain_queue(now, i, false);
    }

    /// The reference's `_drainQueue`: sends the queue's head, one in flight.
    pub(super) fn drain_queue(&mut self, now: Instant, i: usize, force: bool) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        if !sock.connected {
            return;
        }
        let Some(head) = sock.queue.front_mut() else {
            return;
        };
        if head.pending && !force {
            return;
        }
        head.pending = true;
        head.try_count = head.try_count.saturating_add(1);
        let args = head.args.clone();
        let (seq, timeout) = (head.seq, head.timeout);
        self.emit_packet(now, i, args, Some(AckTarget::Queue(seq)), timeout, false);
    }
}
