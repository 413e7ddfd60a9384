//! The `ClusterAdapter` protocol of `socket.io-adapter` 2.5 (messages `{uid, nsp, type, data}`)
//! over two transports: Redis 7 sharded pub/sub (`@socket.io/redis-adapter`'s
//! `createShardedAdapter`) and Redis streams (`@socket.io/redis-streams-adapter` 0.3).
//!
//! Here: the channels and how messages are written; `serve`: how they are read and broadcasts
//! delivered here; `sharded`: the rooms' own channels; `streams`, `entry` and `recovery`: the
//! stream, its entries, and sessions kept in Redis.

mod config;
mod entry;
mod recovery;
mod serve;
mod sharded;
mod streams;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sockeye_server::adapter::{
    Adapter as _, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
    PersistedSession, RestoredSession, Room,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::value::Map;
use sockeye_server::{AdapterError, Args, EmitError, Value};
use tokio::sync::mpsc;

pub use config::{ShardedAdapterConfig, StreamsAdapterConfig};
pub(crate) use entry::decode_entry;
use entry::stream_entry;
use recovery::Restoring;
pub use sharded::SubscriptionMode;
use sharded::{sharded_channel, sharded_encode};
use streams::{Outgoing, read_stream, send_broadcasts};

use crate::inbox::Incoming;
use crate::limits::Limits;
use crate::link::{Link, Sub};
use crate::msgpack;
use crate::node::{Node, Parts, Reply, Request, Transport};
use crate::wire::{self, num, obj};

/// `socket.io-adapter`'s `MessageType`.
mod message {
    pub(super) const BROADCAST: u64 = 3;
    pub(super) const SOCKETS_JOIN: u64 = 4;
    pub(super) const SOCKETS_LEAVE: u64 = 5;
    pub(super) const DISCONNECT_SOCKETS: u64 = 6;
    pub(super) const FETCH_SOCKETS: u64 = 7;
    pub(super) const FETCH_SOCKETS_RESPONSE: u64 = 8;
    pub(super) const SERVER_SIDE_EMIT: u64 = 9;
    pub(super) const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
    pub(super) const BROADCAST_CLIENT_COUNT: u64 = 11;
    pub(super) const BROADCAST_ACK: u64 = 12;
}

/// The ClusterAdapter's default request timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// An adapter speaking the `ClusterAdapter` protocol over sharded pub/sub or streams; made by
/// [`ShardedAdapterConfig::factory`] or [`StreamsAdapterConfig::factory`].
pub type ClusterAdapter = Node<Cluster>;

/// Which of the two transports carries the `ClusterAdapter`'s messages.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Redis 7 sharded pub/sub.
    Sharded { mode: SubscriptionMode },
    /// A Redis stream for broadcasts and commands, pub/sub for requests and answers.
    Streams {
        stream: String,
        max_len: u64,
        session_prefix: String,
    },
}

/// The channels and state of the `ClusterAdapter` protocol for one namespace.
#[derive(Debug)]
pub struct Cluster {
    kind: Kind,
    /// `prefix#nsp#`, followed by `uid#` for a node's own channel, or `room#` for a room's.
    channel: String,
    /// The rooms with a channel of their own this node subscribes to (sharded, dynamic modes).
    dynamic: Mutex<HashSet<Room>>,
    /// This node's stream entries, in order (streams).
    outgoing: Option<mpsc::UnboundedSender<Outgoing>>,
    /// Sessions being restored, and what this node delivered meanwhile (streams, recovery).
    restoring: Mutex<Restoring>,
}

impl ClusterAdapter {
    fn new(
        client: &redis::Client,
        prefix: &str,
        kind: &Kind,
        limits: &Limits,
        local: LocalNamespace,
    ) -> Arc<Self> {
        // The streams adapter keeps sessions and packets in Redis; the local adapter keeps rooms.
        let inner = match kind {
            Kind::Streams { .. } => MemoryAdapter::new(local.without_recovery()),
            Kind::Sharded { .. } => MemoryAdapter::new(local.clone()),
        };
        let (outgoing, outgoing_rx) = match kind {
            Kind::Streams { .. } => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            Kind::Sharded { .. } => (None, None),
        };
        let transport = Cluster {
            kind: kind.clone(),
            channel: format!("{prefix}#{}#", local.name()),
            dynamic: Mutex::new(HashSet::new()),
            outgoing,
            restoring: Mutex::new(Restoring::default()),
        };
        let parts = Parts {
            client: client.clone(),
            local,
            inner,
            requests_timeout: DEFAULT_TIMEOUT,
            limits: limits.clone(),
        };
        let node = Node::start(parts, transport);
        if let (Kind::Streams { stream, .. }, Some(rx)) = (kind, outgoing_rx) {
            // A connection of its own: `XREAD BLOCK` holds the connection it runs on.
            let reader = Link::spawn(client.clone(), Vec::new(), None);
            crate::link::spawn(read_stream(Arc::downgrade(&node), reader, stream.clone()));
            crate::link::spawn(send_broadcasts(Arc::downgrade(&node), rx));
        }
        node
    }

    fn recovery(&self) -> bool {
        self.local.connection_state_recovery().is_some()
    }

    fn restoring(&self) -> MutexGuard<'_, Restoring> {
        self.transport
            .restoring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn message(&self, kind: u64, data: Option<Value>) -> Value {
        let mut out = Map::with_capacity(4);
        out.insert("type", num(kind));
        if let Some(data) = data {
            out.insert("data", data);
        }
        out.insert("uid", Value::String(self.uid.clone()));
        out.insert("nsp", Value::String(self.local.name().to_owned()));
        Value::Object(out)
    }

    /// Sends a message to every node (`doPublish`).
    fn publish(&self, kind: u64, data: Value) {
        let msg = self.message(kind, Some(data.clone()));
        let channel = &self.transport.channel;
        match &self.transport.kind {
            Kind::Sharded { mode } => {
                let channel = sharded_channel(channel, *mode, kind, &data);
                self.link.publish(channel, sharded_encode(kind, &msg), true);
            }
            Kind::Streams { .. } => {
                let ephemeral = matches!(kind, message::SERVER_SIDE_EMIT | message::FETCH_SOCKETS)
                    || (kind == message::BROADCAST && data.get("requestId").is_some());
                if ephemeral {
                    self.link
                        .publish(channel.clone(), msgpack::encode(&msg), false);
                } else if let Some(outgoing) = &self.transport.outgoing {
                    let entry = stream_entry(&self.uid, self.local.name(), kind, &data);
                    let _ = outgoing.send(Outgoing {
                        entry,
                        deliver: None,
                    });
                }
            }
        }
    }

    /// Answers the node `requester` (`doPublishResponse`).
    fn publish_response(&self, requester: &str, kind: u64, data: Value) {
        let msg = self.message(kind, Some(data));
        let channel = format!("{}{requester}#", self.transport.channel);
        match &self.transport.kind {
            Kind::Sharded { .. } => {
                self.link.publish(channel, sharded_encode(kind, &msg), true);
            }
            Kind::Streams { .. } => {
                self.link.publish(channel, msgpack::encode(&msg), false);
            }
        }
    }
}

impl Transport for Cluster {
    const NAME: &'static str = "ClusterAdapter";
    const ROOMS_REQUEST: bool = false;

    /// 16 hex digits, as `randomBytes(8)`.
    fn random_id() -> String {
        wire::hex_uid()
    }

    fn subscriptions(&self, uid: &str) -> Vec<Sub> {
        let private = format!("{}{uid}#", self.channel);
        match self.kind {
            Kind::Sharded { .. } => vec![Sub::Shard(self.channel.clone()), Sub::Shard(private)],
            Kind::Streams { .. } => vec![Sub::Channel(self.channel.clone()), Sub::Channel(private)],
        }
    }

    fn nodes_channel(&self) -> (&str, bool) {
        (&self.channel, matches!(self.kind, Kind::Sharded { .. }))
    }

    fn encoded_len(&self, value: &Value) -> usize {
        match self.kind {
            Kind::Sharded { .. } => wire::json(value).len(),
            Kind::Streams { .. } => msgpack::encode(value).len(),
        }
    }

    fn send(node: &ClusterAdapter, request: Request<'_>) {
        let (kind, data) = match request {
            Request::Join { opts, rooms } => (
                message::SOCKETS_JOIN,
                obj([
                    ("opts", wire::encode_opts(opts, true)),
                    ("rooms", wire::strings(rooms)),
                ]),
            ),
            Request::Leave { opts, rooms } => (
                message::SOCKETS_LEAVE,
                obj([
                    ("opts", wire::encode_opts(opts, true)),
                    ("rooms", wire::strings(rooms)),
                ]),
            ),
            Request::Disconnect { opts, close } => (
                message::DISCONNECT_SOCKETS,
                obj([
                    ("opts", wire::encode_opts(opts, true)),
                    ("close", Value::Bool(close)),
                ]),
            ),
            // No such request: `all_rooms` fetches sockets instead (`ROOMS_REQUEST`).
            Request::AllRooms { .. } => return,
            Request::Fetch { id, opts } => (
                message::FETCH_SOCKETS,
                obj([
                    ("opts", wire::encode_opts(opts, true)),
                    ("requestId", Value::String(id)),
                ]),
            ),
            Request::ServerSideEmit { id: None, data } => (
                message::SERVER_SIDE_EMIT,
                obj([("packet", Value::Array(data))]),
            ),
            Request::ServerSideEmit { id: Some(id), data } => (
                message::SERVER_SIDE_EMIT,
                obj([
                    ("requestId", Value::String(id)),
                    ("packet", Value::Array(data)),
                ]),
            ),
            Request::BroadcastWithAck { id, packet, opts } => (
                message::BROADCAST,
                obj([
                    ("packet", packet),
                    ("requestId", Value::String(id)),
                    ("opts", wire::encode_opts(opts, true)),
                ]),
            ),
        };
        node.publish(kind, data);
    }

    fn reply(node: &ClusterAdapter, requester: &str, reply: Reply) {
        let (kind, data) = match reply {
            Reply::Fetched { id, sockets } => (
                message::FETCH_SOCKETS_RESPONSE,
                obj([("requestId", Value::String(id)), ("sockets", sockets)]),
            ),
            Reply::ServerSideAck { id, arg } => (
                message::SERVER_SIDE_EMIT_RESPONSE,
                wire::answer(None, id, "packet", arg),
            ),
            Reply::ClientCount { id, count } => (
                message::BROADCAST_CLIENT_COUNT,
                obj([
                    ("requestId", Value::String(id)),
                    ("clientCount", num(count as u64)),
                ]),
            ),
            Reply::Ack { id, arg } => (
                message::BROADCAST_ACK,
                wire::answer(None, id, "packet", arg),
            ),
        };
        node.publish_response(requester, kind, data);
    }

    /// Published (sharded) and delivered here at once; or added to the stream, and delivered
    /// here once its offset is known (see `streams::send_broadcasts`).
    fn broadcast(
        node: &ClusterAdapter,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<(), EmitError> {
        if opts.flags.local {
            node.deliver(&packet, &opts, None);
            return Ok(());
        }
        let data = obj([
            (
                "packet",
                wire::event_packet(packet.nsp.as_str(), &packet.args)
                    .map_err(|e| wire::emit_error(&e))?,
            ),
            ("opts", wire::encode_opts(&opts, true)),
        ]);
        match (&node.transport.kind, &node.transport.outgoing) {
            (Kind::Streams { .. }, Some(outgoing)) => {
                let entry = stream_entry(&node.uid, node.local.name(), message::BROADCAST, &data);
                let _ = outgoing.send(Outgoing {
                    entry,
                    deliver: Some((packet, opts)),
                });
            }
            _ => {
                node.publish(message::BROADCAST, data);
                node.deliver(&packet, &opts, None);
            }
        }
        Ok(())
    }

    fn on_incoming(node: &ClusterAdapter, msg: Incoming) {
        node.on_incoming(msg);
    }

    fn joined(node: &ClusterAdapter, id: &str, room: &str) {
        if let Kind::Sharded { mode } = node.transport.kind {
            node.room_joined(mode, id, room);
        }
    }

    fn left(node: &ClusterAdapter, room: &str) {
        if let Kind::Sharded { .. } = node.transport.kind {
            node.room_left(room);
        }
    }

    fn closing(&self) -> Vec<Sub> {
        self.drain_room_subscriptions()
    }

    fn join_restored(node: &ClusterAdapter, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        match node.transport.kind {
            Kind::Streams { .. } => node.join_restored_from_stream(id, rooms, offset),
            Kind::Sharded { .. } => node.join_restored_here(id, rooms, offset),
        }
    }

    fn persist_session(node: &ClusterAdapter, session: PersistedSession) {
        match &node.transport.kind {
            Kind::Streams { session_prefix, .. } => node.persist_in_redis(session_prefix, session),
            Kind::Sharded { .. } => node.inner.persist_session(session),
        }
    }

    fn restore_session<'a>(
        node: &'a ClusterAdapter,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'a, Result<Option<RestoredSession>, AdapterError>> {
        let Kind::Streams {
            stream,
            session_prefix,
            ..
        } = &node.transport.kind
        else {
            return node.inner.restore_session(pid, offset);
        };
        let (pid, offset) = (pid.to_owned(), offset.to_owned());
        Box::pin(node.restore_from_redis(stream, session_prefix, pid, offset))
    }
}
