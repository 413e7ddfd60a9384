//! The socket side (the reference's `Socket`): packets for a namespace, the CONNECT handshake and
//! its payloads (auth, connection state recovery), events delivered or held until CONNECT.

use alloc::borrow::Cow;

use super::config::AuthKind;
use super::*;
use crate::json;

impl Manager {
    pub(super) fn on_packet(&mut self, now: Instant, packet: Packet) {
        let mut subscriber = None;
        for &i in &self.subscribers {
            if self.sockets.get(i).is_some_and(|s| s.nsp == packet.nsp) {
                subscriber = Some(i);
                break;
            }
        }
        let Some(i) = subscriber else {
            return;
        };
        match packet.data {
            PacketData::Connect(data) => match data.as_deref().and_then(connect_reply) {
                Some((sid, pid)) => self.on_connect(now, i, sid, pid),
                None => {
                    let data = String::from(
                        "{\"message\":\"the server answered CONNECT without a sid: it speaks \
                         Socket.IO v2, which a v3+ client cannot talk to\"}",
                    );
                    self.events.push_back(Event::ConnectError {
                        socket: SocketId(i),
                        data,
                    });
                }
            },
            PacketData::Event { args, id } => {
                let Some(sock) = self.sockets.get_mut(i) else {
                    return;
                };
                let received = Received { args, id };
                if sock.connected {
                    self.deliver_event(i, received);
                } else if sock.receive_buffer.len() < MAX_RECEIVE_BUFFER {
                    sock.receive_buffer.push_back(received);
                }
            }
            PacketData::Ack { args, id } => {
                self.on_ack(now, i, id, Ok(args));
            }
            PacketData::Disconnect => {
                if let Some(sock) = self.sockets.get_mut(i) {
                    sock.pid = None;
                    sock.offset = None;
                }
                self.destroy(now, i);
                self.socket_on_close(now, i, DisconnectReason::IoServerDisconnect);
            }
            PacketData::ConnectError(data) => {
                self.destroy(now, i);
                let data = connect_error_data(data);
                self.events.push_back(Event::ConnectError {
                    socket: SocketId(i),
                    data,
                });
            }
        }
    }

    /// Engine open: send the CONNECT, or ask the driver for the auth first.
    pub(super) fn socket_on_open(&mut self, i: usize) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        match &sock.auth.0 {
            AuthKind::Callback => {
                sock.auth_pending = true;
                self.events.push_back(Event::AuthRequest {
                    socket: SocketId(i),
                });
            }
            AuthKind::Static(auth) => {
                let auth = auth.clone();
                self.send_connect(i, Some(&auth));
            }
            AuthKind::None => self.send_connect(i, None),
        }
    }

    pub(super) fn send_connect(&mut self, i: usize, auth: Option<&str>) {
        let Some(sock) = self.sockets.get(i) else {
            return;
        };
        let payload = connect_payload(sock.pid.as_deref(), sock.offset.as_deref(), auth);
        let packet = Packet::connect(sock.nsp.clone(), payload);
        self.send(packet);
    }

    /// The reference's `onconnect`: buffered events are delivered and buffered emits flushed, the
    /// retry queue is resent, then `connect` (socket.io-client 4.8.2's order).
    pub(super) fn on_connect(&mut self, now: Instant, i: usize, sid: String, pid: Option<String>) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        sock.sid = Some(sid);
        sock.recovered = pid.is_some() && sock.pid == pid;
        sock.pid = pid;
        sock.connected = true;
        // Popped one at a time (delivering and sending add to neither buffer): no `Vec` of each
        // element type to collect them into and iterate in the browser client's module.
        while let Some(event) = self
            .sockets
            .get_mut(i)
            .and_then(|s| s.receive_buffer.pop_front())
        {
            self.deliver_event(i, event);
        }
        while let Some(packet) = self
            .sockets
            .get_mut(i)
            .and_then(|s| s.send_buffer.pop_front())
        {
            self.send(packet);
        }
        self.drain_queue(now, i, true);
        self.events.push_back(Event::Connect {
            socket: SocketId(i),
        });
    }

    /// The reference's `emitEvent`: delivers, and records the recovery offset.
    pub(super) fn deliver_event(&mut self, i: usize, event: Received) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        // With an ack id the reference's last argument is the ack function, never the offset.
        if sock.pid.is_some()
            && event.id.is_none()
            && let Some(offset) = event.args.last_str()
        {
            sock.offset = Some(offset.into_owned());
        }
        self.events.push_back(Event::Event {
            socket: SocketId(i),
            args: event.args,
            id: event.id,
        });
    }

    /// The reference's `onclose` of a socket.
    pub(super) fn socket_on_close(&mut self, now: Instant, i: usize, reason: DisconnectReason) {
        let Some(sock) = self.sockets.get_mut(i) else {
            return;
        };
        sock.connected = false;
        sock.sid = None;
        sock.auth_pending = false;
        self.events.push_back(Event::Disconnect {
            socket: SocketId(i),
            reason,
        });
        self.clear_acks(now, i);
    }
}

/// `sid` and `pid` of a CONNECT reply (`{"sid":..,"pid":..}`); `None` without a string `sid`.
pub(super) fn connect_reply(data: &str) -> Option<(String, Option<String>)> {
    let string = |key| {
        let raw = json::object_get(data, key)?;
        json::parse_string(raw).ok().map(Cow::into_owned)
    };
    let sid = string("sid").filter(|s| !s.is_empty())?;
    Some((sid, string("pid")))
}

/// The CONNECT_ERROR payload as `{"message":..,"data":..}`: objects pass through, a bare string (from
/// older servers) becomes the message.
pub(super) fn connect_error_data(data: String) -> String {
    // The decoder accepted it as JSON: only JSON whitespace can surround it.
    let trimmed = json::trim(&data);
    if trimmed.starts_with('"')
        && let Ok(message) = json::parse_string(trimmed)
    {
        let mut out = String::from("{\"message\":");
        json::write_string(&mut out, &message);
        out.push('}');
        return out;
    }
    data
}

/// The CONNECT payload: the auth object, with `pid` and `offset` first when recovering, as
/// `Object.assign({ pid, offset }, auth)` (an unknown offset is left out, as `JSON.stringify`
/// leaves out `undefined`; keys of the auth override).
pub(super) fn connect_payload(
    pid: Option<&str>,
    offset: Option<&str>,
    auth: Option<&str>,
) -> Option<String> {
    let Some(pid) = pid else {
        return auth.map(String::from);
    };
    let (mut auth_pid, mut auth_offset, mut rest) = (None, None, Vec::new());
    if let Some(auth) = auth {
        for (key, value) in json::object_entries(auth) {
            match &*key {
                "pid" => auth_pid = Some(value),
                "offset" => auth_offset = Some(value),
                _ => rest.push((key, value)),
            }
        }
    }
    let mut out = String::from("{\"pid\":");
    match auth_pid {
        Some(raw) => out.push_str(raw),
        None => json::write_string(&mut out, pid),
    }
    match (auth_offset, offset) {
        (Some(raw), _) => {
            out.push_str(",\"offset\":");
            out.push_str(raw);
        }
        (None, Some(offset)) => {
            out.push_str(",\"offset\":");
            json::write_string(&mut out, offset);
        }
        (None, None) => {}
    }
    for (key, value) in &rest {
        out.push(',');
        json::write_string(&mut out, key);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    Some(out)
}
