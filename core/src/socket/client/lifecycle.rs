//! The manager's lifecycle (the reference's `Manager`): the engine's inputs, the timers, opening
//! and closing the engine, and writing packets to it.

use super::*;
use crate::json;
use crate::text::ErrorText;

impl Manager {
    /// The engine asked for by [`EngineCommand::Open`] completed its handshake.
    pub fn handle_engine_open(&mut self, now: Instant) {
        let _ = now;
        if self.state != ReadyState::Opening {
            return;
        }
        self.cleanup();
        self.state = ReadyState::Open;
        self.events.push_back(Event::Open);
        for &i in &self.subscribers.clone() {
            self.socket_on_open(i);
        }
        if self.opening_for_reconnect {
            self.opening_for_reconnect = false;
            let attempt = self.attempts;
            self.reconnecting = false;
            self.attempts = 0;
            self.events.push_back(Event::Reconnect(attempt));
        }
    }

    /// One Engine.IO message from the open engine. A message that is not Socket.IO closes the
    /// engine with `parse error` (and the manager reconnects).
    pub fn handle_engine_message(&mut self, now: Instant, msg: Message) {
        if self.state != ReadyState::Open {
            return;
        }
        let status = match msg {
            Message::Text(text) => self.decoder.decode_text(&text),
            Message::Binary(bytes) => self.decoder.decode_binary(bytes),
        };
        match status {
            Ok(Status::Complete(packet)) => {
                if self.packet_events {
                    self.events.push_back(Event::Packet(packet.clone()));
                }
                self.on_packet(now, packet)
            }
            Ok(Status::Partial { .. }) => {}
            Err(_) => self.on_close(now, CloseReason::ParseError, true),
        }
    }

    /// The engine closed, or failed to open (then the attempt failed, and the manager reconnects
    /// as the reference's `maybeReconnectOnOpen`).
    pub fn handle_engine_close(&mut self, now: Instant, reason: CloseReason) {
        match self.state {
            ReadyState::Closed => {}
            ReadyState::Opening => self.open_error(now, ConnectionError::Engine(reason)),
            ReadyState::Open => {
                // The reference's engine emits `error` before `close` when its transport fails.
                if matches!(
                    reason,
                    CloseReason::TransportError | CloseReason::ProtocolViolation(_)
                ) {
                    self.on_error(ConnectionError::Engine(reason.clone()));
                }
                self.on_close(now, reason, false);
            }
        }
    }

    /// Runs what is due at `now`: the open timeout, the reconnection delay, ack timeouts.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            // The earliest due timer, the first in `ALL` on a tie.
            let mut timer = None;
            for &k in Timer::ALL {
                if let Some(at) = self.timers.get(k).filter(|&at| at <= now)
                    && timer.is_none_or(|(next, _)| at < next)
                {
                    timer = Some((at, k));
                }
            }
            let ack = self
                .ack_deadlines
                .first()
                .map(|(&key, &value)| (key, value))
                .filter(|&((at, _), _)| at <= now);
            match (timer, ack) {
                (None, None) => return,
                (Some((at, _)), Some(((ack_at, seq), (s, id)))) if ack_at < at => {
                    self.on_ack_timeout(now, (ack_at, seq), s, id)
                }
                (None, Some((key, (s, id)))) => self.on_ack_timeout(now, key, s, id),
                (Some((_, key)), _) => {
                    self.timers.stop(key);
                    match key {
                        Timer::Open => {
                            if self.state == ReadyState::Opening {
                                self.commands.push_back(EngineCommand::Close);
                                self.open_error(now, ConnectionError::Timeout);
                            }
                        }
                        Timer::Reconnect => self.reconnect_attempt(now),
                    }
                }
            }
        }
    }

    pub(super) fn open_engine(&mut self, now: Instant, for_reconnect: bool) {
        self.state = ReadyState::Opening;
        self.skip_reconnect = false;
        self.opening_for_reconnect = for_reconnect;
        self.decoder = Decoder::with_parser(self.config.limits, self.config.parser);
        self.commands.push_back(EngineCommand::Open);
        if let Some(timeout) = self.config.timeout {
            self.timers.set(Timer::Open, now + timeout);
        }
    }

    /// The reference's `cleanup`: drops the engine's timers and any half-decoded packet.
    pub(super) fn cleanup(&mut self) {
        self.timers.clear();
        self.decoder = Decoder::with_parser(self.config.limits, self.config.parser);
    }

    /// The engine did not open (the reference's `onError` in `open`).
    pub(super) fn open_error(&mut self, now: Instant, err: ConnectionError) {
        self.cleanup();
        self.state = ReadyState::Closed;
        self.on_error(err.clone());
        if self.opening_for_reconnect {
            self.opening_for_reconnect = false;
            self.reconnecting = false;
            self.reconnect(now);
            self.events.push_back(Event::ReconnectError(err));
        } else if !self.reconnecting && self.config.reconnection && self.attempts == 0 {
            self.reconnect(now);
        }
    }

    /// Manager `error`, and `connect_error` for each active socket not connected.
    pub(super) fn on_error(&mut self, err: ConnectionError) {
        let mut data = String::from("{\"message\":");
        json::write_string(&mut data, &err.text());
        data.push('}');
        self.events.push_back(Event::Error(err));
        for &i in &self.subscribers {
            if self.sockets.get(i).is_some_and(|s| !s.connected) {
                let data = data.clone();
                self.events.push_back(Event::ConnectError {
                    socket: SocketId(i),
                    data,
                });
            }
        }
    }

    /// The reference's `onclose`: the engine is gone; active sockets disconnect; reconnect unless
    /// the application closed.
    pub(super) fn on_close(&mut self, now: Instant, reason: CloseReason, close_engine: bool) {
        self.cleanup();
        if close_engine && self.state != ReadyState::Closed {
            self.commands.push_back(EngineCommand::Close);
        }
        self.attempts = 0;
        self.state = ReadyState::Closed;
        self.opening_for_reconnect = false;
        let disconnect = DisconnectReason::from(&reason);
        self.events.push_back(Event::Close(reason));
        for &i in &self.subscribers.clone() {
            self.socket_on_close(now, i, disconnect);
        }
        if self.config.reconnection && !self.skip_reconnect {
            self.reconnect(now);
        }
    }

    /// The reference's `_destroy`: closes the manager once no socket is active.
    pub(super) fn destroy(&mut self, now: Instant, i: usize) {
        if let Some(sock) = self.sockets.get_mut(i) {
            sock.active = false;
            sock.auth_pending = false;
        }
        self.subscribers.retain(|&s| s != i);
        if self.subscribers.is_empty() {
            self.close(now);
        }
    }

    /// Encodes `packet` and queues its messages: the header, then each attachment, adjacent
    /// (JSON), or one binary message (MessagePack).
    pub(super) fn send(&mut self, packet: Packet) {
        let commands = &mut self.commands;
        self.config
            .parser
            .encode(packet, |m| commands.push_back(EngineCommand::Send(m)));
    }
}
