//! The server's answers and commands: accept or reject a CONNECT, emit, ack, disconnect, close.

use super::emit::{OUTGOING_MAX_DEPTH, check_depth, event_args};
use super::*;
use crate::json;

impl Connection {
    /// Accepts the pending CONNECT on `nsp`: sends `0{"sid":..}` (`0/nsp,{"sid":..,"pid":..}` with a
    /// recovery `pid`). `sid` is the socket id (random, from the driver; not the engine's sid).
    pub fn accept(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        sid: String,
        pid: Option<String>,
    ) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        self.take_pending(nsp)?;
        let mut payload = String::from("{\"sid\":");
        json::write_string(&mut payload, &sid);
        if let Some(pid) = &pid {
            payload.push_str(",\"pid\":");
            json::write_string(&mut payload, pid);
        }
        payload.push('}');
        self.send(Packet::connect(nsp.clone(), Some(payload)));
        self.sockets.push(Socket {
            nsp: nsp.clone(),
            sid,
            next_ack_id: 0,
            acks: BTreeMap::new(),
        });
        // The reference disarms the timeout on the first join and never re-arms it.
        self.timers.stop(Timer::ConnectTimeout);
        Ok(())
    }

    /// Refuses the pending CONNECT on `nsp`: sends `4/nsp,{"message":..,"data":..}` (`data`, JSON
    /// text, only when given). The client may CONNECT again.
    pub fn reject(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        message: &str,
        data: Option<String>,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        if let Some(data) = &data {
            json::scan(data, OUTGOING_MAX_DEPTH).map_err(UsageError::InvalidJson)?;
        }
        self.take_pending(nsp)?;
        self.send(connect_error(nsp, message, data.as_deref()));
        self.count_refusal(now);
        Ok(())
    }

    /// Emits an event to the socket on `nsp`. With an ack asked for, returns the handle its
    /// [`Event::Ack`] will carry.
    pub fn emit(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        emit: Emit,
    ) -> Result<Option<AckHandle>, UsageError> {
        self.check_open()?;
        let max_pending_acks = self.config.max_pending_acks;
        let socket = self
            .socket(nsp)
            .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
        if emit.ack.is_some() && socket.acks.len() >= max_pending_acks {
            return Err(UsageError::TooManyPendingAcks(nsp.clone()));
        }
        let Emit {
            args, ack, offset, ..
        } = emit;
        // The offset never goes with an ack: it would land where the client's callback reads its
        // arguments (the reference's adapter only stores events without an ack id).
        let offset = if ack.is_some() { None } else { offset };
        let args = event_args(args, offset.as_deref())?;

        let mut registered = None;
        if let Some(timeout) = ack {
            let handle = AckHandle(self.next_handle);
            self.next_handle = self.next_handle.wrapping_add(1);
            let deadline = timeout.map(|t| now + t);
            let socket = self
                .socket_mut(nsp)
                .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
            let id = AckId(socket.next_ack_id);
            socket.next_ack_id = socket.next_ack_id.wrapping_add(1);
            socket.acks.insert(id, PendingAck { handle, deadline });
            if let Some(at) = deadline {
                self.deadlines.insert((at, handle), (nsp.clone(), id));
            }
            registered = Some((id, handle));
        }
        let id = registered.map(|(id, _)| id);
        self.send(Packet::event(nsp.clone(), args, id));
        Ok(registered.map(|(_, handle)| handle))
    }

    /// Acknowledges the client's EVENT `id` on `nsp`: `3/nsp,<id>[...]` (BINARY_ACK with
    /// attachments). Each id should be answered once (the reference's callback ignores a second
    /// call); the core does not track the client's ids.
    pub fn ack(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        id: AckId,
        args: Args,
    ) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        if !self.is_connected(nsp) {
            return Err(UsageError::NotConnected(nsp.clone()));
        }
        check_depth(&args)?;
        self.send(Packet::ack(nsp.clone(), args, id));
        Ok(())
    }

    /// Sends an event encoded once for many connections (see [`Encoded`]) to the socket on its
    /// namespace.
    pub fn send_encoded(&mut self, encoded: &Encoded) -> Result<(), UsageError> {
        self.check_open()?;
        if !self.is_connected(&encoded.nsp) {
            return Err(UsageError::NotConnected(encoded.nsp.clone()));
        }
        if encoded.parser != self.config.parser {
            return Err(UsageError::OtherParser(encoded.parser));
        }
        for message in &encoded.messages {
            self.engine_out
                .push_back(EngineCommand::Send(message.clone()));
        }
        Ok(())
    }

    /// The server's `socket.disconnect()`: sends `1/nsp,` and the socket disconnects with
    /// `server namespace disconnect`; the engine session stays open.
    pub fn disconnect(&mut self, now: Instant, nsp: &Nsp) -> Result<(), UsageError> {
        let _ = now;
        self.check_open()?;
        let index = self
            .sockets
            .iter()
            .position(|s| &s.nsp == nsp)
            .ok_or_else(|| UsageError::NotConnected(nsp.clone()))?;
        self.send(Packet::disconnect(nsp.clone()));
        self.leave(index, DisconnectReason::ServerNamespaceDisconnect);
        Ok(())
    }

    /// The server's `socket.disconnect(true)`: every socket is disconnected as by
    /// [`Connection::disconnect`], then the engine session is closed. Does nothing once closed.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
        if self.closed {
            return;
        }
        while let Some(socket) = self.sockets.first() {
            let nsp = socket.nsp.clone();
            self.send(Packet::disconnect(nsp));
            self.leave(0, DisconnectReason::ServerNamespaceDisconnect);
        }
        self.shut(DisconnectReason::ForcedServerClose, true);
    }

    /// The server shuts down (the reference's `io.close()`): every socket disconnects with
    /// `server shutting down`, without DISCONNECT packets, then the engine session is closed.
    pub fn shutdown(&mut self, now: Instant) {
        let _ = now;
        if self.closed {
            return;
        }
        self.shut(DisconnectReason::ServerShuttingDown, true);
    }

    /// Closes the connection: every socket disconnects with `reason`, in join order; with
    /// `close_engine`, the engine is told to close.
    pub(super) fn shut(&mut self, reason: DisconnectReason, close_engine: bool) {
        self.closed = true;
        self.timers.clear();
        self.pending.clear();
        self.decoder = Decoder::with_parser(self.config.limits, self.config.parser);
        while !self.sockets.is_empty() {
            self.leave(0, reason);
        }
        if close_engine {
            self.engine_out.push_back(EngineCommand::Close);
        }
    }

    /// Removes the socket at `index`: its awaited acks fail, then it disconnects.
    pub(super) fn leave(&mut self, index: usize, reason: DisconnectReason) {
        if index >= self.sockets.len() {
            return;
        }
        let socket = self.sockets.remove(index);
        for pending in socket.acks.values() {
            if let Some(at) = pending.deadline {
                self.deadlines.remove(&(at, pending.handle));
            }
            self.events.push_back(Event::Ack {
                nsp: socket.nsp.clone(),
                handle: pending.handle,
                result: Err(AckError::Disconnected),
            });
        }
        self.events.push_back(Event::Disconnect {
            nsp: socket.nsp,
            reason,
        });
    }

    pub(super) fn take_pending(&mut self, nsp: &Nsp) -> Result<(), UsageError> {
        let index = self
            .pending
            .iter()
            .position(|p| p == nsp)
            .ok_or_else(|| UsageError::NoPendingConnect(nsp.clone()))?;
        self.pending.remove(index);
        Ok(())
    }
}

/// CONNECT_ERROR `{"message":..,"data":..}`, without `data` when there is none (as `JSON.stringify`
/// drops an undefined field).
pub(super) fn connect_error(nsp: &Nsp, message: &str, data: Option<&str>) -> Packet {
    let mut payload = String::from("{\"message\":");
    json::write_string(&mut payload, message);
    if let Some(data) = data {
        payload.push_str(",\"data\":");
        payload.push_str(data.trim());
    }
    payload.push('}');
    Packet::connect_error(nsp.clone(), payload)
}
