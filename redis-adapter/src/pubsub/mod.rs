//! The Redis pub/sub adapter, wire-compatible with `@socket.io/redis-adapter` 8.3's
//! `createAdapter` (see the [crate docs](crate) for the format): its channels, and how it writes
//! requests, answers and broadcasts (how it reads them is in `serve`).

mod config;
mod serve;

use std::sync::Arc;

use sockeye_server::adapter::{
    Adapter as _, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
};
use sockeye_server::{EmitError, Value};

pub use config::RedisAdapterConfig;

use crate::inbox::Incoming;
use crate::link::Sub;
use crate::msgpack;
use crate::node::{Node, Parts, Reply, Request, Transport};
use crate::wire::{self, num, obj};

/// The request types of `@socket.io/redis-adapter` (its `RequestType`).
mod request {
    pub(super) const SOCKETS: u64 = 0;
    pub(super) const ALL_ROOMS: u64 = 1;
    pub(super) const REMOTE_JOIN: u64 = 2;
    pub(super) const REMOTE_LEAVE: u64 = 3;
    pub(super) const REMOTE_DISCONNECT: u64 = 4;
    pub(super) const REMOTE_FETCH: u64 = 5;
    pub(super) const SERVER_SIDE_EMIT: u64 = 6;
    pub(super) const BROADCAST: u64 = 7;
    pub(super) const BROADCAST_CLIENT_COUNT: u64 = 8;
    pub(super) const BROADCAST_ACK: u64 = 9;
}

/// A Redis pub/sub adapter for one namespace: rooms are kept locally (a [`MemoryAdapter`]
/// inside, which also does connection state recovery for this node's sockets) and everything
/// that concerns other nodes goes through Redis in the Node adapter's format.
pub type RedisAdapter = Node<PubSub>;

/// The channels of `@socket.io/redis-adapter` for one namespace `nsp` and key `key`.
#[derive(Debug)]
pub struct PubSub {
    /// `key#nsp#`, followed by `room#` for a broadcast to one room.
    channel: String,
    /// `key-request#nsp#`.
    request_channel: String,
    /// `key-response#nsp#`, followed by `uid#` for the requester's own.
    response_channel: String,
    publish_on_specific_response_channel: bool,
}

impl RedisAdapter {
    /// The adapter of the namespace `local`; starts its Redis connection task (call inside the
    /// tokio runtime).
    pub fn new(config: RedisAdapterConfig, local: LocalNamespace) -> Arc<Self> {
        let key = &config.key;
        let nsp = local.name();
        let transport = PubSub {
            channel: format!("{key}#{nsp}#"),
            request_channel: format!("{key}-request#{nsp}#"),
            response_channel: format!("{key}-response#{nsp}#"),
            publish_on_specific_response_channel: config.publish_on_specific_response_channel,
        };
        let parts = Parts {
            client: config.client,
            inner: MemoryAdapter::new(local.clone()),
            local,
            requests_timeout: config.requests_timeout,
            limits: config.limits,
        };
        Node::start(parts, transport)
    }
}

impl PubSub {
    /// Where to answer the node `requester` (`publishOnSpecificResponseChannel`).
    fn response_channel_of(&self, requester: &str) -> String {
        if self.publish_on_specific_response_channel && !requester.is_empty() {
            format!("{}{requester}#", self.response_channel)
        } else {
            self.response_channel.clone()
        }
    }
}

impl Transport for PubSub {
    const NAME: &'static str = "RedisAdapter";
    const ROOMS_REQUEST: bool = true;

    fn random_id() -> String {
        wire::uid(6)
    }

    fn subscriptions(&self, uid: &str) -> Vec<Sub> {
        vec![
            Sub::Pattern(format!("{}*", self.channel)),
            Sub::Channel(self.request_channel.clone()),
            Sub::Channel(self.response_channel.clone()),
            Sub::Channel(format!("{}{uid}#", self.response_channel)),
        ]
    }

    fn nodes_channel(&self) -> (&str, bool) {
        (&self.request_channel, false)
    }

    fn encoded_len(&self, value: &Value) -> usize {
        wire::json(value).len()
    }

    /// Requests are JSON `{uid, requestId, type, ...}` on the request channel, but MessagePack
    /// for a broadcast with acknowledgements, whose data may be binary.
    fn send(node: &RedisAdapter, request: Request<'_>) {
        let uid = || ("uid", Value::String(node.uid.clone()));
        let body = match request {
            Request::Join { opts, rooms } => obj([
                uid(),
                ("type", num(request::REMOTE_JOIN)),
                ("opts", wire::encode_opts(opts, false)),
                ("rooms", wire::strings(rooms)),
            ]),
            Request::Leave { opts, rooms } => obj([
                uid(),
                ("type", num(request::REMOTE_LEAVE)),
                ("opts", wire::encode_opts(opts, false)),
                ("rooms", wire::strings(rooms)),
            ]),
            Request::Disconnect { opts, close } => obj([
                uid(),
                ("type", num(request::REMOTE_DISCONNECT)),
                ("opts", wire::encode_opts(opts, false)),
                ("close", Value::Bool(close)),
            ]),
            Request::AllRooms { id } => obj([
                uid(),
                ("requestId", Value::String(id)),
                ("type", num(request::ALL_ROOMS)),
            ]),
            Request::Fetch { id, opts } => obj([
                uid(),
                ("requestId", Value::String(id)),
                ("type", num(request::REMOTE_FETCH)),
                ("opts", wire::encode_opts(opts, false)),
            ]),
            Request::ServerSideEmit { id: None, data } => obj([
                uid(),
                ("type", num(request::SERVER_SIDE_EMIT)),
                ("data", Value::Array(data)),
            ]),
            Request::ServerSideEmit { id: Some(id), data } => obj([
                uid(),
                ("requestId", Value::String(id)),
                ("type", num(request::SERVER_SIDE_EMIT)),
                ("data", Value::Array(data)),
            ]),
            Request::BroadcastWithAck { id, packet, opts } => {
                let body = obj([
                    uid(),
                    ("requestId", Value::String(id)),
                    ("type", num(request::BROADCAST)),
                    ("packet", packet),
                    ("opts", wire::encode_opts(opts, true)),
                ]);
                let channel = node.transport.request_channel.clone();
                node.link.publish(channel, msgpack::encode(&body), false);
                return;
            }
        };
        let channel = node.transport.request_channel.clone();
        node.link.publish(channel, wire::json(&body), false);
    }

    /// Answers are JSON on the response channel (the requester's own with
    /// `publishOnSpecificResponseChannel`, but for a server-side emit), MessagePack for a
    /// client's acknowledgement, which may hold binary.
    fn reply(node: &RedisAdapter, requester: &str, reply: Reply) {
        let pubsub = &node.transport;
        let (channel, payload) = match reply {
            Reply::Fetched { id, sockets } => {
                let body = obj([("requestId", Value::String(id)), ("sockets", sockets)]);
                (pubsub.response_channel_of(requester), wire::json(&body))
            }
            Reply::ServerSideAck { id, arg } => {
                let body = wire::answer(Some(request::SERVER_SIDE_EMIT), id, "data", arg);
                (pubsub.response_channel.clone(), wire::json(&body))
            }
            Reply::ClientCount { id, count } => {
                let body = obj([
                    ("type", num(request::BROADCAST_CLIENT_COUNT)),
                    ("requestId", Value::String(id)),
                    ("clientCount", num(count as u64)),
                ]);
                (pubsub.response_channel_of(requester), wire::json(&body))
            }
            Reply::Ack { id, arg } => {
                let body = wire::answer(Some(request::BROADCAST_ACK), id, "packet", arg);
                (
                    pubsub.response_channel_of(requester),
                    msgpack::encode(&body),
                )
            }
        };
        node.link.publish(channel, payload, false);
    }

    /// `[uid, packet, opts]` in MessagePack on `key#nsp#`, or `key#nsp#room#` for one room.
    fn broadcast(
        node: &RedisAdapter,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<(), EmitError> {
        if !opts.flags.local {
            let msg = Value::Array(vec![
                Value::String(node.uid.clone()),
                wire::event_packet(packet.nsp.as_str(), &packet.args)
                    .map_err(|e| wire::emit_error(&e))?,
                wire::encode_opts(&opts, true),
            ]);
            let mut channel = node.transport.channel.clone();
            if opts.rooms.len() == 1
                && let Some(room) = opts.rooms.iter().next()
            {
                channel.push_str(room);
                channel.push('#');
            }
            node.link.publish(channel, msgpack::encode(&msg), false);
        }
        node.inner.broadcast(packet, opts)
    }

    fn on_incoming(node: &RedisAdapter, msg: Incoming) {
        node.on_incoming(msg);
    }
}
