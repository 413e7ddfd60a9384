//! How a cluster adapter reads the other nodes' messages and delivers broadcasts here: commands
//! on its sockets, and requests (answered as every adapter answers them, see `crate::node`).

use std::time::Instant;

use sockeye_server::Value;
use sockeye_server::adapter::{Adapter as _, BroadcastOptions, BroadcastPacket};
use sockeye_server::value::Map;

use super::entry::entry_id;
use super::{ClusterAdapter, Kind, message};
use crate::inbox::Incoming;
use crate::msgpack;
use crate::node::requests::Answer;
use crate::wire;

impl ClusterAdapter {
    /// Delivers a broadcast here; `offset` (a stream entry id) is appended for recovery.
    pub(super) fn deliver(
        &self,
        packet: &BroadcastPacket,
        opts: &BroadcastOptions,
        offset: Option<&str>,
    ) {
        if matches!(self.transport.kind, Kind::Sharded { .. }) {
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
                let ids = self.select(opts);
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
            None => self.select(opts),
        };
        if let Err(e) = self.local.deliver(&ids, packet, &opts.flags, offset) {
            self.malformed.refuse(
                self.local.name(),
                &format_args!("broadcast not delivered: {e}"),
            );
        }
    }

    pub(super) fn on_incoming(&self, msg: Incoming) {
        let parsed = match self.transport.kind {
            Kind::Sharded { .. } => wire::parse(&msg.payload),
            Kind::Streams { .. } => {
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
                    Some(id) => self.answer_broadcast_with_ack(uid, id, packet, opts()),
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
                self.answer_fetch(uid, id, &opts());
            }
            message::SERVER_SIDE_EMIT => {
                self.answer_server_side_emit(uid, request_id, data.get("packet"));
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
