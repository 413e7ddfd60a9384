//! How the pub/sub adapter reads the other nodes' messages: broadcasts, requests (answered as
//! every adapter answers them, see `crate::node`), and answers to its own requests.

use sockeye_server::Value;
use sockeye_server::adapter::Adapter as _;

use super::{RedisAdapter, request};
use crate::inbox::Incoming;
use crate::msgpack;
use crate::node::requests::Answer;
use crate::wire::{self, obj};

impl RedisAdapter {
    pub(super) fn on_incoming(&self, msg: Incoming) {
        let pubsub = &self.transport;
        if msg.channel.starts_with(&pubsub.response_channel) {
            self.on_response(&msg.payload);
        } else if msg.channel == pubsub.request_channel {
            self.on_request(&msg.payload);
        } else if let Some(rest) = msg.channel.strip_prefix(&pubsub.channel) {
            self.on_broadcast(rest, &msg.payload);
        }
    }

    /// A broadcast from another node (or an emitter): `[uid, packet, opts]`.
    fn on_broadcast(&self, room: &str, payload: &[u8]) {
        let room = room.strip_suffix('#').unwrap_or(room);
        if !room.is_empty() && self.room_is_empty(room) {
            return;
        }
        let msg = match msgpack::decode(payload) {
            Ok(Value::Array(items)) => items,
            Ok(_) => {
                self.malformed
                    .refuse(self.local.name(), &"malformed broadcast: not an array");
                return;
            }
            Err(e) => {
                self.malformed
                    .refuse(self.local.name(), &format_args!("malformed broadcast: {e}"));
                return;
            }
        };
        if msg.first().and_then(Value::as_str) == Some(self.uid.as_str()) {
            return;
        }
        let Some(packet) = wire::decode_packet(msg.get(1)) else {
            self.malformed
                .refuse(self.local.name(), &"malformed broadcast: no event packet");
            return;
        };
        if packet.nsp.as_str() != self.local.name() {
            return;
        }
        let mut opts = wire::decode_opts(msg.get(2));
        opts.flags.local = true;
        if let Err(e) = self.inner.broadcast(packet, opts) {
            self.malformed.refuse(
                self.local.name(),
                &format_args!("remote broadcast not delivered: {e}"),
            );
        }
    }

    fn on_request(&self, payload: &[u8]) {
        let req = match wire::parse(payload) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) | Err(_) => {
                self.malformed
                    .refuse(self.local.name(), &"malformed request");
                return;
            }
        };
        let from = req.get("uid").and_then(Value::as_str).unwrap_or_default();
        let own = from == self.uid;
        let request_id = req
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let Some(kind) = req.get("type").and_then(|t| match t {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }) else {
            self.malformed
                .refuse(self.local.name(), &"request without a type");
            return;
        };
        let opts = req.get("opts").map(|o| {
            let mut opts = wire::decode_opts(Some(o));
            opts.flags.local = true;
            opts
        });
        let answer = |body: Value| {
            self.link.publish(
                self.transport.response_channel_of(from),
                wire::json(&body),
                false,
            );
        };
        match kind {
            request::SOCKETS if !own => {
                let Some(id) = request_id else { return };
                let rooms = wire::room_list(req.get("rooms")).into_iter().collect();
                let sockets = self.inner.sockets(&rooms);
                answer(obj([
                    ("requestId", Value::String(id)),
                    ("sockets", wire::strings(&sockets)),
                ]));
            }
            request::ALL_ROOMS if !own => {
                let Some(id) = request_id else { return };
                answer(obj([
                    ("requestId", Value::String(id)),
                    ("rooms", wire::strings(&self.inner.rooms())),
                ]));
            }
            request::REMOTE_JOIN | request::REMOTE_LEAVE | request::REMOTE_DISCONNECT => {
                if let Some(opts) = opts {
                    // Our own requests were applied here when sent.
                    if own {
                        return;
                    }
                    match kind {
                        request::REMOTE_JOIN => {
                            self.inner
                                .add_sockets(opts, wire::room_list(req.get("rooms")));
                        }
                        request::REMOTE_LEAVE => {
                            self.inner
                                .del_sockets(opts, wire::room_list(req.get("rooms")));
                        }
                        _ => self.inner.disconnect_sockets(
                            opts,
                            matches!(req.get("close"), Some(Value::Bool(true))),
                        ),
                    }
                    return;
                }
                // The older one-socket form: `sid` and `room`, answered when the socket is here.
                let Some(sid) = req.get("sid").and_then(Value::as_str) else {
                    return;
                };
                if !self.local.has_socket(sid) {
                    return;
                }
                let room = req.get("room").and_then(Value::as_str).unwrap_or_default();
                match kind {
                    request::REMOTE_JOIN => self.local.join(sid, vec![room.to_owned()]),
                    request::REMOTE_LEAVE => self.local.leave(sid, room),
                    _ => self
                        .local
                        .disconnect(sid, matches!(req.get("close"), Some(Value::Bool(true)))),
                }
                if let Some(id) = request_id {
                    answer(obj([("requestId", Value::String(id))]));
                }
            }
            request::REMOTE_FETCH if !own => {
                let Some(id) = request_id else { return };
                self.answer_fetch(from, id, &opts.unwrap_or_default());
            }
            request::SERVER_SIDE_EMIT if !own => {
                self.answer_server_side_emit(from, request_id, req.get("data"));
            }
            request::BROADCAST if !own => {
                let Some(id) = request_id else { return };
                let Some(packet) = wire::decode_packet(req.get("packet")) else {
                    self.malformed
                        .refuse(self.local.name(), &"malformed broadcast request");
                    return;
                };
                self.answer_broadcast_with_ack(from, id, packet, opts.unwrap_or_default());
            }
            request::SOCKETS
            | request::ALL_ROOMS
            | request::REMOTE_FETCH
            | request::SERVER_SIDE_EMIT
            | request::BROADCAST => {}
            other => tracing::debug!("unknown request type {other} ignored"),
        }
    }

    fn on_response(&self, payload: &[u8]) {
        let res = match wire::parse(payload) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                self.malformed
                    .refuse(self.local.name(), &"malformed response");
                return;
            }
        };
        let answer = match res.get("type") {
            Some(Value::Number(n)) => match n.as_u64() {
                Some(request::BROADCAST_CLIENT_COUNT) => Answer::ClientCount,
                Some(request::BROADCAST_ACK) => Answer::Ack,
                _ => Answer::Result,
            },
            _ => Answer::Result,
        };
        self.requests.on_response(answer, &res, "data");
    }
}
