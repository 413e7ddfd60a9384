//! The `ClusterAdapter` protocol of `socket.io-adapter` 2.5 (messages `{uid, nsp, type, data}`)
//! over two transports: Redis 7 sharded pub/sub (`@socket.io/redis-adapter`'s
//! `createShardedAdapter`) and Redis streams (`@socket.io/redis-streams-adapter` 0.3).

mod config;
mod recovery;
mod serve;
mod streams;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use sockeye_server::adapter::{
    Adapter, BroadcastAcks, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
    PersistedSession, RemoteSocketData, RestoredSession, Room, SocketId,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::value::Map;
use sockeye_server::{AdapterError, Args, EmitError, JoinError, Value};
use tokio::sync::mpsc;

use config::Transport;
pub use config::{ShardedAdapterConfig, StreamsAdapterConfig, SubscriptionMode};
use recovery::Restoring;
pub(crate) use streams::decode_entry;
use streams::{Outgoing, read_stream, send_broadcasts, stream_entry};

use crate::inbox::inbox;
use crate::limits::{Limits, Refusals};
use crate::link::{Link, Sub};
use crate::msgpack;
use crate::requests::{self, Pending, Requests, Slots};
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
pub struct ClusterAdapter {
    this: Weak<ClusterAdapter>,
    inner: MemoryAdapter,
    local: LocalNamespace,
    transport: Transport,
    link: Link,
    uid: String,
    channel: String,
    requests: Requests,
    dynamic: Mutex<HashSet<Room>>,
    outgoing: Option<mpsc::UnboundedSender<Outgoing>>,
    restoring: Mutex<Restoring>,
    limits: Limits,
    /// Messages and stream entries that could not be read.
    malformed: Refusals,
    /// Sockets left out of answers to other nodes' `fetchSockets`.
    cut: Refusals,
    /// The requests from other nodes being answered.
    answering: Slots,
}

impl std::fmt::Debug for ClusterAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterAdapter")
            .field("nsp", &self.local.name())
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

/// Whether a room name looks like a socket id (the sharded adapter's `looksLikeASocketId`).
fn looks_like_a_socket_id(room: &str) -> bool {
    room.chars().count() == 20
}

impl ClusterAdapter {
    fn new(
        client: redis::Client,
        prefix: String,
        transport: Transport,
        limits: Limits,
        local: LocalNamespace,
    ) -> Arc<Self> {
        let nsp = local.name().to_owned();
        let uid = wire::hex_uid();
        let channel = format!("{prefix}#{nsp}#");
        let private = format!("{channel}{uid}#");
        let subs = match &transport {
            Transport::Sharded { .. } => vec![Sub::Shard(channel.clone()), Sub::Shard(private)],
            Transport::Streams { .. } => vec![Sub::Channel(channel.clone()), Sub::Channel(private)],
        };
        let (tx, rx) = inbox(&limits, &nsp);
        let link = Link::spawn(client.clone(), subs, Some(tx));
        // The streams adapter keeps sessions and packets in Redis; the local adapter keeps rooms.
        let inner = match &transport {
            Transport::Streams { .. } => MemoryAdapter::new(local.without_recovery()),
            Transport::Sharded { .. } => MemoryAdapter::new(local.clone()),
        };
        let (outgoing, outgoing_rx) = match &transport {
            Transport::Streams { .. } => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            Transport::Sharded { .. } => (None, None),
        };
        let answering = Slots::new(&limits);
        let adapter = Arc::new_cyclic(|this| ClusterAdapter {
            this: this.clone(),
            inner,
            local,
            transport: transport.clone(),
            link,
            uid,
            channel,
            requests: Requests::default(),
            dynamic: Mutex::new(HashSet::new()),
            outgoing,
            restoring: Mutex::new(Restoring::default()),
            limits,
            malformed: Refusals::new("message (malformed or undeliverable)"),
            cut: Refusals::new("part of a fetchSockets answer"),
            answering,
        });
        crate::link::spawn(requests::receive(
            Arc::downgrade(&adapter),
            rx,
            ClusterAdapter::on_incoming,
        ));
        if let (Transport::Streams { stream, .. }, Some(rx)) = (&transport, outgoing_rx) {
            // A connection of its own: `XREAD BLOCK` holds the connection it runs on.
            let reader = Link::spawn(client, Vec::new(), None);
            crate::link::spawn(read_stream(
                Arc::downgrade(&adapter),
                reader,
                stream.clone(),
            ));
            crate::link::spawn(send_broadcasts(Arc::downgrade(&adapter), rx));
        }
        adapter
    }

    fn recovery(&self) -> bool {
        self.local.connection_state_recovery().is_some()
    }

    fn restoring(&self) -> MutexGuard<'_, Restoring> {
        self.restoring.lock().unwrap_or_else(|e| e.into_inner())
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
        match &self.transport {
            Transport::Sharded { mode } => {
                let channel = match (kind, data.get("requestId"), data.get("opts")) {
                    (message::BROADCAST, None, Some(opts)) => {
                        let rooms = wire::room_list(opts.get("rooms"));
                        match rooms.as_slice() {
                            [room]
                                if (*mode == SubscriptionMode::Dynamic
                                    && !looks_like_a_socket_id(room))
                                    || *mode == SubscriptionMode::DynamicPrivate =>
                            {
                                format!("{}{room}#", self.channel)
                            }
                            _ => self.channel.clone(),
                        }
                    }
                    _ => self.channel.clone(),
                };
                self.link.publish(channel, sharded_encode(kind, &msg), true);
            }
            Transport::Streams { .. } => {
                let ephemeral = matches!(kind, message::SERVER_SIDE_EMIT | message::FETCH_SOCKETS)
                    || (kind == message::BROADCAST && data.get("requestId").is_some());
                if ephemeral {
                    self.link
                        .publish(self.channel.clone(), msgpack::encode(&msg), false);
                } else if let Some(outgoing) = &self.outgoing {
                    let entry = stream_entry(&self.uid, self.local.name(), kind, &data);
                    let _ = outgoing.send(Outgoing {
                        entry,
                        deliver: None,
                    });
                }
            }
        }
    }

    /// Sends the other nodes a command on the sockets `opts` selects, unless it is local.
    fn publish_op(&self, kind: u64, opts: &BroadcastOptions, extra: (&str, Value)) {
        if opts.flags.local {
            return;
        }
        self.publish(kind, obj([("opts", wire::encode_opts(opts, true)), extra]));
    }

    /// Answers the node `requester` (`doPublishResponse`).
    fn publish_response(&self, requester: &str, kind: u64, data: Value) {
        let msg = self.message(kind, Some(data));
        let channel = format!("{}{requester}#", self.channel);
        match &self.transport {
            Transport::Sharded { .. } => {
                self.link.publish(channel, sharded_encode(kind, &msg), true);
            }
            Transport::Streams { .. } => {
                self.link.publish(channel, msgpack::encode(&msg), false);
            }
        }
    }

    async fn count_servers(&self) -> usize {
        let sharded = matches!(self.transport, Transport::Sharded { .. });
        self.link
            .server_count(&self.channel, sharded, DEFAULT_TIMEOUT, self.local.name())
            .await
    }

    fn me(&self) -> Option<Arc<ClusterAdapter>> {
        self.this.upgrade()
    }

    /// Subscribes to a room's own channel when the sharded adapter's mode wants one.
    fn room_created(&self, id: &str, room: &str) {
        let Transport::Sharded { mode } = self.transport else {
            return;
        };
        let public = room != id && !self.local.has_socket(room);
        let wanted = match mode {
            SubscriptionMode::Static => false,
            SubscriptionMode::Dynamic => public,
            SubscriptionMode::DynamicPrivate => true,
        };
        if wanted
            && self
                .dynamic
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(room.to_owned())
        {
            self.link
                .subscribe(Sub::Shard(format!("{}{room}#", self.channel)), true);
        }
    }

    fn room_maybe_deleted(&self, room: &str) {
        if !self
            .inner
            .sockets(&HashSet::from([room.to_owned()]))
            .is_empty()
        {
            return;
        }
        if self
            .dynamic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(room)
        {
            self.link
                .subscribe(Sub::Shard(format!("{}{room}#", self.channel)), false);
        }
    }
}

/// `JSON.stringify(message)`, or notepack.io MessagePack when its data holds binary (the
/// sharded adapter's `encode`).
fn sharded_encode(kind: u64, msg: &Value) -> Vec<u8> {
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

impl Adapter for ClusterAdapter {
    /// Unsubscribes, so that the other nodes stop counting this one.
    fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        let private = format!("{}{}#", self.channel, self.uid);
        let mut subs = match self.transport {
            Transport::Sharded { .. } => {
                vec![Sub::Shard(self.channel.clone()), Sub::Shard(private)]
            }
            Transport::Streams { .. } => {
                vec![Sub::Channel(self.channel.clone()), Sub::Channel(private)]
            }
        };
        let rooms: Vec<Room> = self
            .dynamic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        subs.extend(
            rooms
                .into_iter()
                .map(|room| Sub::Shard(format!("{}{room}#", self.channel))),
        );
        for sub in subs {
            self.link.subscribe(sub, false);
        }
        Box::pin(async { Ok(()) })
    }

    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(async move { Ok(self.count_servers().await) })
    }

    fn add_all(&self, id: &str, rooms: &[Room]) {
        self.inner.add_all(id, rooms);
        for room in rooms {
            self.room_created(id, room);
        }
    }

    fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        // Checked and joined under the in-memory adapter's one lock.
        self.inner.add_all_bounded(id, rooms, max)?;
        for room in rooms {
            self.room_created(id, room);
        }
        Ok(())
    }

    fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        if matches!(self.transport, Transport::Streams { .. }) {
            return self.join_restored_from_stream(id, rooms, offset);
        }
        let late = self.inner.join_restored(id, rooms, offset);
        for room in rooms {
            self.room_created(id, room);
        }
        late
    }

    fn del(&self, id: &str, room: &str) {
        self.inner.del(id, room);
        self.room_maybe_deleted(room);
    }

    fn del_all(&self, id: &str) {
        let rooms = self.inner.socket_rooms(id);
        self.inner.del_all(id);
        for room in rooms {
            self.room_maybe_deleted(&room);
        }
    }

    fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.inner.socket_rooms(id)
    }

    fn rooms(&self) -> Vec<Room> {
        self.inner.rooms()
    }

    /// The `ClusterAdapter` has no rooms request: the rooms of every socket of every node.
    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(async move {
            let sockets = self
                .fetch_sockets(BroadcastOptions::default(), DEFAULT_TIMEOUT)
                .await?;
            let mut rooms: HashSet<Room> = self.inner.rooms().into_iter().collect();
            rooms.extend(sockets.into_iter().flat_map(|s| s.rooms));
            Ok(rooms.into_iter().collect())
        })
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId> {
        self.inner.sockets(rooms)
    }

    fn broadcast(&self, packet: BroadcastPacket, opts: BroadcastOptions) -> Result<(), EmitError> {
        if opts.flags.local {
            self.deliver(&packet, &opts, None);
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
        match (&self.transport, &self.outgoing) {
            (Transport::Streams { .. }, Some(outgoing)) => {
                let entry = stream_entry(&self.uid, self.local.name(), message::BROADCAST, &data);
                let _ = outgoing.send(Outgoing {
                    entry,
                    deliver: Some((packet, opts)),
                });
            }
            _ => {
                self.publish(message::BROADCAST, data);
                self.deliver(&packet, &opts, None);
            }
        }
        Ok(())
    }

    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> Result<BroadcastAcks, EmitError> {
        if opts.flags.local {
            return self.inner.broadcast_with_ack(packet, opts);
        }
        // Written before anything is sent, so that a failure sends nothing anywhere.
        let packet_value = wire::event_packet(packet.nsp.as_str(), &packet.args)
            .map_err(|e| wire::emit_error(&e))?;
        let local = self.inner.broadcast_with_ack(packet, opts.clone())?;
        let id = wire::hex_uid();
        let data = obj([
            ("packet", packet_value),
            ("requestId", Value::String(id.clone())),
            ("opts", wire::encode_opts(&opts, true)),
        ]);
        let (link, channel) = (self.link.clone(), self.channel.clone());
        let sharded = matches!(self.transport, Transport::Sharded { .. });
        let nsp = self.local.name().to_owned();
        let servers = async move {
            link.server_count(&channel, sharded, DEFAULT_TIMEOUT, &nsp)
                .await
        };
        let publish = || self.publish(message::BROADCAST, data);
        let timeout = opts.flags.timeout.unwrap_or(DEFAULT_TIMEOUT);
        Ok(self
            .requests
            .broadcast_with_ack(id, local, publish, servers, timeout))
    }

    fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.publish_op(
            message::SOCKETS_JOIN,
            &opts,
            ("rooms", wire::strings(&rooms)),
        );
        self.inner.add_sockets(opts, rooms);
    }

    fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.publish_op(
            message::SOCKETS_LEAVE,
            &opts,
            ("rooms", wire::strings(&rooms)),
        );
        self.inner.del_sockets(opts, rooms);
    }

    fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) {
        self.publish_op(
            message::DISCONNECT_SOCKETS,
            &opts,
            ("close", Value::Bool(close)),
        );
        self.inner.disconnect_sockets(opts, close);
    }

    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>> {
        Box::pin(async move {
            let local = requests::fetch(&self.inner, &self.local, &opts);
            if opts.flags.local {
                return Ok(local);
            }
            let others = self.count_servers().await.saturating_sub(1);
            let id = wire::hex_uid();
            let data = obj([
                ("opts", wire::encode_opts(&opts, true)),
                ("requestId", Value::String(id.clone())),
            ]);
            let publish = || self.publish(message::FETCH_SOCKETS, data);
            Ok(self
                .requests
                .request(id, others, Pending::Fetch(local), timeout, publish)
                .await?
                .into_sockets())
        })
    }

    fn server_side_emit(
        &self,
        data: Args,
        ack: Option<Duration>,
    ) -> BoxFuture<'_, Result<Vec<Args>, AdapterError>> {
        Box::pin(async move {
            let data = wire::values(&data).map_err(|e| AdapterError::Other(e.to_string()))?;
            let Some(timeout) = ack else {
                self.publish(
                    message::SERVER_SIDE_EMIT,
                    obj([("packet", Value::Array(data))]),
                );
                return Ok(Vec::new());
            };
            let others = self.count_servers().await.saturating_sub(1);
            let id = wire::hex_uid();
            let body = obj([
                ("requestId", Value::String(id.clone())),
                ("packet", Value::Array(data)),
            ]);
            let publish = || self.publish(message::SERVER_SIDE_EMIT, body);
            Ok(self
                .requests
                .request(
                    id,
                    others,
                    Pending::ServerSide(Vec::new()),
                    timeout,
                    publish,
                )
                .await?
                .into_answers())
        })
    }

    fn persist_session(&self, session: PersistedSession) {
        match &self.transport {
            Transport::Streams { session_prefix, .. } => {
                self.persist_in_redis(session_prefix, session)
            }
            Transport::Sharded { .. } => self.inner.persist_session(session),
        }
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        let pid = pid.to_owned();
        let offset = offset.to_owned();
        Box::pin(async move {
            match &self.transport {
                Transport::Streams {
                    stream,
                    session_prefix,
                    ..
                } => {
                    self.restore_from_redis(stream, session_prefix, pid, offset)
                        .await
                }
                Transport::Sharded { .. } => self.inner.restore_session(&pid, &offset).await,
            }
        })
    }
}
