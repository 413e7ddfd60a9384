//! What only the sharded transport does: its `SubscriptionMode`, JSON unless the data holds
//! binary, and in the `dynamic` modes a channel per room, subscribed while the room has members
//! here.

use std::collections::HashSet;
use std::sync::MutexGuard;

use sockeye_server::Value;
use sockeye_server::adapter::Room;

use super::{Cluster, ClusterAdapter, message};
use crate::link::Sub;
use crate::{msgpack, wire};

/// How the sharded adapter picks channels for rooms (`subscriptionMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SubscriptionMode {
    /// One channel per namespace.
    Static,
    /// Also one channel per public room (not a socket id) (the default).
    #[default]
    Dynamic,
    /// One channel per room, socket ids included.
    DynamicPrivate,
}

/// Whether a room name looks like a socket id (the sharded adapter's `looksLikeASocketId`).
fn looks_like_a_socket_id(room: &str) -> bool {
    room.chars().count() == 20
}

/// Where a message of type `kind` goes: a broadcast without acknowledgements to one room goes
/// to the room's channel when `mode` gives the room one, everything else to `channel`.
pub(super) fn sharded_channel(
    channel: &str,
    mode: SubscriptionMode,
    kind: u64,
    data: &Value,
) -> String {
    if let (message::BROADCAST, None, Some(opts)) = (kind, data.get("requestId"), data.get("opts"))
        && let [room] = wire::room_list(opts.get("rooms")).as_slice()
        && ((mode == SubscriptionMode::Dynamic && !looks_like_a_socket_id(room))
            || mode == SubscriptionMode::DynamicPrivate)
    {
        return format!("{channel}{room}#");
    }
    channel.to_owned()
}

/// `JSON.stringify(message)`, or notepack.io MessagePack when its data holds binary (the
/// sharded adapter's `encode`).
pub(super) fn sharded_encode(kind: u64, msg: &Value) -> Vec<u8> {
    let may_contain_binary = matches!(
        kind,
        message::BROADCAST
            | message::BROADCAST_ACK
            | message::FETCH_SOCKETS_RESPONSE
            | message::SERVER_SIDE_EMIT
            | message::SERVER_SIDE_EMIT_RESPONSE
    );
    if may_contain_binary && msg.get("data").is_some_and(Value::has_binary) {
        msgpack::encode(msg)
    } else {
        wire::json(msg)
    }
}

impl ClusterAdapter {
    fn dynamic(&self) -> MutexGuard<'_, HashSet<Room>> {
        self.transport
            .dynamic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to a room's own channel when `mode` wants one.
    pub(super) fn room_joined(&self, mode: SubscriptionMode, id: &str, room: &str) {
        let public = room != id && !self.local.has_socket(room);
        let wanted = match mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => public,
            SubscriptionMode::DynamicPrivate => true,
        };
        if wanted && self.dynamic().insert(room.to_owned()) {
            let channel = format!("{}{room}#", self.transport.channel);
            self.link.subscribe(Sub::Shard(channel), true);
        }
    }

    /// Unsubscribes from a room's own channel once the room is empty here.
    pub(super) fn room_left(&self, room: &str) {
        if self.room_is_empty(room) && self.dynamic().remove(room) {
            let channel = format!("{}{room}#", self.transport.channel);
            self.link.subscribe(Sub::Shard(channel), false);
        }
    }
}

impl Cluster {
    /// The rooms' own channels, forgotten: to unsubscribe from at close.
    pub(super) fn drain_room_subscriptions(&self) -> Vec<Sub> {
        let rooms: Vec<Room> = self
            .dynamic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        rooms
            .into_iter()
            .map(|room| Sub::Shard(format!("{}{room}#", self.channel)))
            .collect()
    }
}
