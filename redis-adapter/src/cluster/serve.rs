//! What a cluster adapter does with the other nodes' messages: broadcasts, commands on its
//! sockets, and requests it answers.

use std::time::Instant;

use sockeye_server::Value;
use sockeye_server::adapter::{Adapter as _, BroadcastOptions, BroadcastPacket};
use sockeye_server::value::Map;

use super::streams::entry_id;
use super::{ClusterAdapter, DEFAULT_TIMEOUT, Transport, message};
use crate::inbox::Incoming;
use crate::msgpack;
use crate::requests::{self, Answer};
use crate::wire::{self, obj};

impl ClusterAdapter {
    /// Delivers a broadcast here; `offset` (a stream entry id) is appended for recovery.
    pub(super) fn deliver(
        &self,
        packet: &BroadcastPacket,
        opts: &BroadcastOptions,
        offset: Option<&str>,
    ) {
        if matches!(self.transport, Transport::Sharded { .. }) {
            let mut opts = opts.clone();
            opts.flags.local = true;
            if let Err(e) = self.inner.broadcast(packet.clone(), opts) {
                self.malformed.refuse(
                    self.local.name(),
                    &format_args!("broadcast not delivered: {e}"),
                );
            }
            return;
        }
        let offset = offset.filter(|_| self.recovery() && !opts.flags.volatile);
        let ids = match offset.and_then(|o| Some((o, entry_id(o)?))) {
            Some((offset, id)) => {
                // Selected under the lock a restored socket joins under (`join_restored`): this
                // packet either reaches it live or is kept for it.
                let mut restoring = self.restoring();
                let ids = requests::select(&self.inner, opts);
                if !restoring.pending.is_empty() {
                    let mut args = packet.args.clone();
                    args.push_str(offset);
                    restoring
                        .delivered
                        .push_back((id, opts.clone(), args, Instant::now()));
                    restoring.prune(Instant::now());
                }
                ids
            }
            None => requests::select(&self.inner, opts),
        };
        if let Err(e) = self.local.deliver(&ids, packet, &opts.flags, offset) {
            self.malformed.refuse(
                self.local.name(),
                &format_args!("broadcast not delivered: {e}"),
            );
        }
    }

    pub(super) fn on_incoming(&self, msg: Incoming) {
        let parsed = match self.transport {
            Transport::Sharded { .. } => wire::parse(&msg.payload),
            Transport::Streams { .. } => {
                msgpack::decode(&msg.payload).map_err(|e| format!("invalid msgpack: {e}"))
            }
        };
        match parsed {
            Ok(m @ Value::Object(_)) => self.on_message(&m, None),
            Ok(_) => self
                .malformed
                .refuse(self.local.name(), &"malformed message"),
            Err(e) => self
                .malformed
                .refuse(self.local.name(), &format_args!("malformed message: {e}")),
        }
    }

    pub(super) fn on_message(&self, msg: &Value, offset: Option<&str>) {
        let uid = msg.get("uid").and_then(Value::as_str).unwrap_or_default();
        if uid == self.uid {
            return;
        }
        if msg.get("nsp").and_then(Value::as_str) != Some(self.local.name()) {
            return;
        }
        let kind = match msg.get("type") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let Some(kind) = kind else {
            self.malformed
                .refuse(self.local.name(), &"message without a type");
            return;
        };
        let empty = Value::Object(Map::new());
        let data = msg.get("data").unwrap_or(&empty);
        let opts = || {
            let mut o = wire::decode_opts(data.get("opts"));
            o.flags.local = true;
            o
        };
        let request_id = data
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        match kind {
            message::BROADCAST => {
                let Some(packet) = wire::decode_packet(data.get("packet")) else {
                    self.malformed
                        .refuse(self.local.name(), &"malformed broadcast");
                    return;
                };
                match request_id {
                    None => self.deliver(&packet, &opts(), offset),
                    Some(id) => {
                        // Taken before any work: past the bound the request costs nothing more.
                        let Some(slot) = self.answering.take(self.local.name()) else {
                            return;
                        };
                        let opts = self.limits.remote_ack_opts(opts());
                        let acks = match self.inner.broadcast_with_ack(packet, opts) {
                            Ok(a) => a,
                            Err(e) => {
                                self.malformed.refuse(
                                    self.local.name(),
                                    &format_args!("broadcast with ack not delivered: {e}"),
                                );
                                return;
                            }
                        };
                        let Some(this) = self.me() else { return };
                        let requester = uid.to_owned();
                        requests::forward_acks(acks, id, slot, move |answer, data| {
                            let kind = match answer {
                                Answer::ClientCount => message::BROADCAST_CLIENT_COUNT,
                                Answer::Ack | Answer::Result => message::BROADCAST_ACK,
                            };
                            this.publish_response(
                                &requester,
                                kind,
                                Value::Object(data.into_iter().collect()),
                            );
                        });
                    }
                }
            }
            message::SOCKETS_JOIN => self
                .inner
                .add_sockets(opts(), wire::room_list(data.get("rooms"))),
            message::SOCKETS_LEAVE => self
                .inner
                .del_sockets(opts(), wire::room_list(data.get("rooms"))),
            message::DISCONNECT_SOCKETS => self
                .inner
                .disconnect_sockets(opts(), matches!(data.get("close"), Some(Value::Bool(true)))),
            message::FETCH_SOCKETS => {
                let Some(id) = request_id else { return };
                let encoded_len = match self.transport {
                    Transport::Sharded { .. } => |v: &Value| wire::json(v).len(),
                    Transport::Streams { .. } => |v: &Value| msgpack::encode(v).len(),
                };
                let sockets = requests::fetch_answer(
                    &self.inner,
                    &self.local,
                    &opts(),
                    &self.limits,
                    &self.cut,
                    encoded_len,
                );
                self.publish_response(
                    uid,
                    message::FETCH_SOCKETS_RESPONSE,
                    obj([("requestId", Value::String(id)), ("sockets", sockets)]),
                );
            }
            message::SERVER_SIDE_EMIT => {
                let Some(Ok(packet)) = data.get("packet").and_then(Value::as_array).map(wire::args)
                else {
                    self.malformed
                        .refuse(self.local.name(), &"malformed serverSideEmit");
                    return;
                };
                let Some(this) = self.me() else { return };
                let requester = uid.to_owned();
                let answer = move |id, arg: Option<Value>| {
                    let mut d = Map::with_capacity(2);
                    d.insert("requestId", Value::String(id));
                    if let Some(arg) = arg {
                        d.insert("packet", arg);
                    }
                    this.publish_response(
                        &requester,
                        message::SERVER_SIDE_EMIT_RESPONSE,
                        Value::Object(d),
                    );
                };
                let request = match request_id {
                    Some(id) => match self.answering.take(self.local.name()) {
                        Some(slot) => Some((id, slot)),
                        None => return,
                    },
                    None => None,
                };
                requests::server_side_event(&self.local, packet, request, DEFAULT_TIMEOUT, answer);
            }
            message::FETCH_SOCKETS_RESPONSE | message::SERVER_SIDE_EMIT_RESPONSE => {
                self.requests.on_response(Answer::Result, data, "packet");
            }
            message::BROADCAST_CLIENT_COUNT => {
                self.requests
                    .on_response(Answer::ClientCount, data, "packet");
            }
            message::BROADCAST_ACK => self.requests.on_response(Answer::Ack, data, "packet"),
            // Heartbeats and closes (1, 2, 13) and unknown types.
            _ => {}
        }
    }
}
