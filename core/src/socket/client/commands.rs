//! What the application asks for: sockets, open, connect, disconnect, emit, ack, close.

use alloc::string::String;

use super::error::{validate_args, validate_object};
use super::*;

impl Manager {
    /// The socket of `nsp` (created with the manager's `retries` and `ack_timeout`), as
    /// `manager.socket(nsp, { auth })`. An existing socket is returned as it is (and connected again
    /// if inactive, with `auto_connect`).
    pub fn socket(&mut self, now: Instant, nsp: Nsp, auth: Auth) -> SocketId {
        let options = SocketOptions {
            auth,
            retries: self.config.retries,
            ack_timeout: self.config.ack_timeout,
        };
        self.socket_with(now, nsp, options)
    }

    /// As [`Manager::socket`], with per-socket options.
    pub fn socket_with(&mut self, now: Instant, nsp: Nsp, options: SocketOptions) -> SocketId {
        if let Some(i) = self.sockets.iter().position(|s| s.nsp == nsp) {
            let id = SocketId(i);
            if self.config.auto_connect && !self.is_active(id) {
                self.connect(now, id);
            }
            return id;
        }
        self.sockets.push(Sock {
            nsp,
            auth: options.auth,
            retries: options.retries,
            ack_timeout: options.ack_timeout,
            active: false,
            connected: false,
            sid: None,
            pid: None,
            offset: None,
            recovered: false,
            auth_pending: false,
            ids: 0,
            acks: SortedMap::default(),
            send_buffer: Fifo::default(),
            receive_buffer: Fifo::default(),
            queue: Fifo::default(),
            queue_seq: 0,
        });
        let id = SocketId(self.sockets.len() - 1);
        if self.config.auto_connect {
            self.connect(now, id);
        }
        id
    }

    /// `manager.open()`: asks for an engine unless one is opening or open. While a reconnection
    /// waits for its delay, the attempt starts now instead (the reference would open a second,
    /// untracked engine and leave its reconnection loop stuck).
    pub fn open(&mut self, now: Instant) {
        if self.state != ReadyState::Closed {
            return;
        }
        if self.reconnecting && self.timers.is_armed(Timer::Reconnect) {
            self.timers.stop(Timer::Reconnect);
            self.reconnect_attempt(now);
            return;
        }
        self.open_engine(now, false);
    }

    /// `socket.connect()`: the socket becomes active; the manager opens if needed (unless it is
    /// reconnecting), and the CONNECT goes out once the engine is open.
    pub fn connect(&mut self, now: Instant, socket: SocketId) {
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return;
        };
        if sock.connected {
            return;
        }
        if !sock.active {
            sock.active = true;
            self.subscribers.push(socket.0);
        }
        if !self.reconnecting && self.state == ReadyState::Closed {
            self.open_engine(now, false);
        }
        if self.state == ReadyState::Open {
            self.socket_on_open(socket.0);
        }
    }

    /// Answers an [`Event::AuthRequest`]: sends the CONNECT with this auth object (JSON text). An
    /// answer that comes after the engine closed, or that nothing asked for, is ignored.
    pub fn connect_with_auth(
        &mut self,
        now: Instant,
        socket: SocketId,
        auth: Option<String>,
    ) -> Result<(), AuthError> {
        let _ = now;
        if let Some(auth) = &auth {
            validate_object(auth, self.config.limits.max_depth)?;
        }
        let open = self.state == ReadyState::Open;
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return Ok(());
        };
        if !sock.auth_pending || !open {
            return Ok(());
        }
        sock.auth_pending = false;
        self.send_connect(socket.0, auth.as_deref());
        Ok(())
    }

    /// `socket.disconnect()`: sends DISCONNECT if connected, makes the socket inactive (no
    /// reconnection for it; its recovery session is forgotten), and closes the manager when no
    /// socket is active any more.
    pub fn disconnect(&mut self, now: Instant, socket: SocketId) {
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return;
        };
        let was_connected = sock.connected;
        sock.pid = None;
        sock.offset = None;
        if was_connected {
            let packet = Packet::disconnect(sock.nsp.clone());
            self.send(packet);
        }
        self.destroy(now, socket.0);
        if was_connected {
            self.socket_on_close(now, socket.0, DisconnectReason::IoClientDisconnect);
        }
    }

    /// `socket.emit(...)`: sends now if connected, buffers otherwise (volatile emits are dropped
    /// while the engine is not open). With `retries`, non-volatile emits go through the queue.
    /// Returns the handle of the ack when `emit.ack` is set.
    pub fn emit(
        &mut self,
        now: Instant,
        socket: SocketId,
        emit: Emit,
    ) -> Result<Option<AckHandle>, EmitError> {
        let max_depth = self.config.limits.max_depth;
        validate_args(&emit.args, max_depth, true)?;
        let Some(sock) = self.sockets.get_mut(socket.0) else {
            return Err(EmitError::UnknownSocket);
        };
        let handle = emit.ack.then(|| {
            self.next_handle += 1;
            AckHandle(self.next_handle - 1)
        });
        if sock.retries > 0 && !emit.volatile {
            sock.queue.push_back(Queued {
                seq: sock.queue_seq,
                handle,
                args: emit.args,
                timeout: emit.timeout,
                pending: false,
                try_count: 0,
            });
            sock.queue_seq += 1;
            self.drain_queue(now, socket.0, false);
            return Ok(handle);
        }
        let target = handle.map(AckTarget::App);
        self.emit_packet(
            now,
            socket.0,
            emit.args,
            target,
            emit.timeout,
            emit.volatile,
        );
        Ok(handle)
    }

    /// Acknowledges the server's event `id` (received in [`Event::Event`]) with `args`. Dropped
    /// when the engine is not open.
    pub fn ack(
        &mut self,
        now: Instant,
        socket: SocketId,
        id: AckId,
        args: Args,
    ) -> Result<(), EmitError> {
        let _ = now;
        validate_args(&args, self.config.limits.max_depth, false)?;
        let Some(sock) = self.sockets.get(socket.0) else {
            return Err(EmitError::UnknownSocket);
        };
        if self.state == ReadyState::Open {
            let packet = Packet::ack(sock.nsp.clone(), args, id);
            self.send(packet);
        }
        Ok(())
    }

    /// `manager.disconnect()`: closes the engine with no reconnection; active sockets get
    /// [`DisconnectReason::ForcedClose`] and stay active, to connect again on the next
    /// [`Manager::open`].
    pub fn close(&mut self, now: Instant) {
        self.skip_reconnect = true;
        self.reconnecting = false;
        self.on_close(now, CloseReason::ForcedClose, true);
    }
}
