//! The `ClusterAdapter` protocol of `socket.io-adapter` 2.5 (messages `{uid, nsp, type, data}`)
//! over two transports: Redis 7 sharded pub/sub (`@socket.io/redis-adapter`'s
//! `createShardedAdapter`) and Redis streams (`@socket.io/redis-streams-adapter` 0.3).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sockeye_server::adapter::{
    Adapter, BroadcastAcks, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
    PersistedSession, RemoteSocketData, RestoredSession, Room, SocketId,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::value::Map;
use sockeye_server::{AdapterError, Args, EmitError, JoinError, Value};
use tokio::sync::mpsc;

use crate::link::{Incoming, Link, Sub};
use crate::requests::{self, Answer, Pending, Requests};
use crate::wire::{self, num, obj};
use crate::{RedisAdapterError, msgpack};

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
/// How long a broadcast waits here for its stream offset before this node delivers it without one:
/// a Redis that just went away is noticed only when its commands time out, and this node's own
/// clients must not wait for that (its XADD still goes out when Redis answers).
const OFFSET_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a session restore may take between its `XRANGE` and its join (the namespace's
/// middlewares run in between) and still get what this node delivered meanwhile.
const RESTORE_WINDOW: Duration = Duration::from_secs(60);

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

#[derive(Clone, Debug)]
enum Transport {
    Sharded {
        mode: SubscriptionMode,
    },
    Streams {
        stream: String,
        max_len: u64,
        session_prefix: String,
    },
}

/// The options of the sharded pub/sub adapter (the Node `createShardedAdapter`'s), defaults
/// the Node adapter's. Needs Redis 7 (`SPUBLISH`).
#[derive(Clone, Debug)]
pub struct ShardedAdapterConfig {
    client: redis::Client,
    channel_prefix: String,
    mode: SubscriptionMode,
}

impl ShardedAdapterConfig {
    /// The adapter for the Redis server at `url`.
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        Ok(ShardedAdapterConfig {
            client: crate::link::client(url)?,
            channel_prefix: "socket.io".to_owned(),
            mode: SubscriptionMode::Dynamic,
        })
    }

    /// The channels' prefix (`channelPrefix`, `socket.io`).
    #[must_use]
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// How rooms map to channels (`subscriptionMode`, dynamic).
    #[must_use]
    pub fn subscription_mode(mut self, mode: SubscriptionMode) -> Self {
        self.mode = mode;
        self
    }

    /// The factory for [`SocketIoBuilder::adapter`](sockeye_server::SocketIoBuilder::adapter)
    /// (call inside the tokio runtime).
    pub fn factory(self) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
        move |local| {
            ClusterAdapter::new(
                self.client.clone(),
                self.channel_prefix.clone(),
                Transport::Sharded { mode: self.mode },
                local,
            ) as Arc<dyn Adapter>
        }
    }
}

/// The options of the Redis streams adapter (the Node `@socket.io/redis-streams-adapter`'s),
/// defaults the Node adapter's.
#[derive(Clone, Debug)]
pub struct StreamsAdapterConfig {
    client: redis::Client,
    stream_name: String,
    max_len: u64,
    channel_prefix: String,
    session_key_prefix: String,
}

impl StreamsAdapterConfig {
    /// The adapter for the Redis server at `url`.
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        Ok(StreamsAdapterConfig {
            client: crate::link::client(url)?,
            stream_name: "socket.io".to_owned(),
            max_len: 10_000,
            channel_prefix: "socket.io".to_owned(),
            session_key_prefix: "sio:session:".to_owned(),
        })
    }

    /// The stream's key (`streamName`, `socket.io`).
    #[must_use]
    pub fn stream_name(mut self, name: impl Into<String>) -> Self {
        self.stream_name = name.into();
        self
    }

    /// About how many entries the stream keeps (`maxLen`, 10,000; `MAXLEN ~`).
    #[must_use]
    pub fn max_len(mut self, max_len: u64) -> Self {
        self.max_len = max_len;
        self
    }

    /// The pub/sub channels' prefix (`channelPrefix`, `socket.io`).
    #[must_use]
    pub fn channel_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.channel_prefix = prefix.into();
        self
    }

    /// The prefix of the keys of persisted sessions (`sessionKeyPrefix`, `sio:session:`).
    #[must_use]
    pub fn session_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.session_key_prefix = prefix.into();
        self
    }

    /// The factory for [`SocketIoBuilder::adapter`](sockeye_server::SocketIoBuilder::adapter)
    /// (call inside the tokio runtime).
    pub fn factory(self) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
        move |local| {
            ClusterAdapter::new(
                self.client.clone(),
                self.channel_prefix.clone(),
                Transport::Streams {
                    stream: self.stream_name.clone(),
                    max_len: self.max_len,
                    session_prefix: self.session_key_prefix.clone(),
                },
                local,
            ) as Arc<dyn Adapter>
        }
    }
}

/// A stream entry to add, in order; a broadcast of this node waits for its offset (with
/// recovery on) before this node delivers it.
struct Outgoing {
    entry: Vec<(String, String)>,
    deliver: Option<(BroadcastPacket, BroadcastOptions)>,
}

/// A stream entry id (`ms-seq`), ordered as Redis orders them.
type EntryId = (u64, u64);

fn entry_id(id: &str) -> Option<EntryId> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// Whether a broadcast with `opts` reaches a socket in `rooms`.
fn included(rooms: &[Room], opts: &BroadcastOptions) -> bool {
    (opts.rooms.is_empty() || rooms.iter().any(|r| opts.rooms.contains(r)))
        && !rooms.iter().any(|r| opts.except.contains(r))
}

/// Streams with recovery: a session being restored reads the stream (`XRANGE`), then its socket
/// joins its rooms once the middlewares ran; what this node delivers in between is kept here and
/// given back by `join_restored`, so that it reaches the socket one way or the other.
#[derive(Default)]
struct Restoring {
    /// The sockets being restored, with when their `XRANGE` started.
    pending: Vec<(SocketId, Instant)>,
    /// What this node delivered (with an offset) since the oldest of them started: each
    /// packet's data with its offset last, as a restored socket gets it.
    delivered: VecDeque<(EntryId, BroadcastOptions, Args, Instant)>,
}

impl Restoring {
    /// Forgets restores that never joined (refused by a middleware) past [`RESTORE_WINDOW`], and
    /// packets older than every restore still pending.
    fn prune(&mut self, now: Instant) {
        self.pending
            .retain(|(_, since)| now.duration_since(*since) < RESTORE_WINDOW);
        match self.pending.iter().map(|(_, since)| *since).min() {
            Some(oldest) => {
                while self.delivered.front().is_some_and(|d| d.3 < oldest) {
                    self.delivered.pop_front();
                }
            }
            None => self.delivered = VecDeque::new(),
        }
    }
}

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
        let (tx, rx) = mpsc::unbounded_channel();
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

    /// Delivers a broadcast here; `offset` (a stream entry id) is appended for recovery.
    fn deliver(&self, packet: &BroadcastPacket, opts: &BroadcastOptions, offset: Option<&str>) {
        if matches!(self.transport, Transport::Sharded { .. }) {
            let mut opts = opts.clone();
            opts.flags.local = true;
            if let Err(e) = self.inner.broadcast(packet.clone(), opts) {
                tracing::warn!("broadcast not delivered: {e}");
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
            tracing::warn!("broadcast not delivered: {e}");
        }
    }

    fn on_incoming(&self, msg: Incoming) {
        let parsed = match self.transport {
            Transport::Sharded { .. } => wire::parse(&msg.payload),
            Transport::Streams { .. } => {
                msgpack::decode(&msg.payload).map_err(|e| format!("invalid msgpack: {e}"))
            }
        };
        match parsed {
            Ok(m @ Value::Object(_)) => self.on_message(&m, None),
            Ok(_) => tracing::warn!(nsp = self.local.name(), "malformed message ignored"),
            Err(e) => tracing::warn!(nsp = self.local.name(), "malformed message ignored: {e}"),
        }
    }

    fn on_message(&self, msg: &Value, offset: Option<&str>) {
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
            tracing::warn!(nsp = self.local.name(), "message without a type ignored");
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
                    tracing::warn!(nsp = self.local.name(), "malformed broadcast ignored");
                    return;
                };
                match request_id {
                    None => self.deliver(&packet, &opts(), offset),
                    Some(id) => {
                        let acks = match self.inner.broadcast_with_ack(packet, opts()) {
                            Ok(a) => a,
                            Err(e) => {
                                tracing::warn!("broadcast with ack not delivered: {e}");
                                return;
                            }
                        };
                        let Some(this) = self.me() else { return };
                        let requester = uid.to_owned();
                        requests::forward_acks(acks, id, move |answer, data| {
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
                let sockets = requests::fetch(&self.inner, &self.local, &opts())
                    .iter()
                    .map(wire::encode_socket)
                    .collect();
                self.publish_response(
                    uid,
                    message::FETCH_SOCKETS_RESPONSE,
                    obj([
                        ("requestId", Value::String(id)),
                        ("sockets", Value::Array(sockets)),
                    ]),
                );
            }
            message::SERVER_SIDE_EMIT => {
                let Some(Ok(packet)) = data.get("packet").and_then(Value::as_array).map(wire::args)
                else {
                    tracing::warn!(nsp = self.local.name(), "malformed serverSideEmit ignored");
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
                requests::server_side_event(
                    &self.local,
                    packet,
                    request_id,
                    DEFAULT_TIMEOUT,
                    answer,
                );
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

/// A stream entry's fields (the streams adapter's `encode`): `data` is JSON text, or base64
/// MessagePack when it holds binary.
fn stream_entry(uid: &str, nsp: &str, kind: u64, data: &Value) -> Vec<(String, String)> {
    let data = if data.has_binary() {
        base64::engine::general_purpose::STANDARD.encode(msgpack::encode(data))
    } else {
        String::from_utf8(wire::json(data)).unwrap_or_default()
    };
    vec![
        ("uid".to_owned(), uid.to_owned()),
        ("nsp".to_owned(), nsp.to_owned()),
        ("type".to_owned(), kind.to_string()),
        ("data".to_owned(), data),
    ]
}

/// Reads a stream entry back (`decode`).
pub(crate) fn decode_entry(fields: &HashMap<String, String>) -> Result<Value, String> {
    let mut out: Map = ["uid", "nsp", "type"]
        .into_iter()
        .map(|k| (k, Value::String(fields.get(k).cloned().unwrap_or_default())))
        .collect();
    if let Some(data) = fields.get("data").filter(|d| !d.is_empty()) {
        let value = if data.starts_with('{') {
            serde_json::from_str(data).map_err(|e| format!("invalid JSON: {e}"))?
        } else {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| format!("invalid base64: {e}"))?;
            msgpack::decode(&bytes).map_err(|e| format!("invalid msgpack: {e}"))?
        };
        out.insert("data", value);
    }
    Ok(Value::Object(out))
}

/// One stream entry: its id and fields.
type Entry = (String, HashMap<String, String>);

fn entries(value: &redis::Value) -> Vec<Entry> {
    let items = match value {
        redis::Value::Array(items) => items.as_slice(),
        _ => return Vec::new(),
    };
    items
        .iter()
        .filter_map(|item| {
            let redis::Value::Array(pair) = item else {
                return None;
            };
            let id = text(pair.first()?)?;
            let mut fields = HashMap::new();
            match pair.get(1)? {
                redis::Value::Array(kv) => {
                    for chunk in kv.chunks(2) {
                        if let [k, v] = chunk {
                            if let (Some(k), Some(v)) = (text(k), text(v)) {
                                fields.insert(k, v);
                            }
                        }
                    }
                }
                redis::Value::Map(kv) => {
                    for (k, v) in kv {
                        if let (Some(k), Some(v)) = (text(k), text(v)) {
                            fields.insert(k, v);
                        }
                    }
                }
                _ => {}
            }
            Some((id, fields))
        })
        .collect()
}

fn text(v: &redis::Value) -> Option<String> {
    match v {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// The entries of an `XREAD` answer (RESP3 map or RESP2 array of `[stream, entries]`).
fn xread_entries(value: &redis::Value) -> Vec<Entry> {
    match value {
        redis::Value::Map(streams) => streams.iter().flat_map(|(_, e)| entries(e)).collect(),
        redis::Value::Array(streams) => streams
            .iter()
            .filter_map(|s| match s {
                redis::Value::Array(pair) => pair.get(1).map(entries),
                _ => None,
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

/// Follows the stream from its end (`$`), as the Node adapter, and hands each entry to the
/// adapter; after a Redis restart it carries on from the last id it saw.
async fn read_stream(adapter: Weak<ClusterAdapter>, reader: Link, stream: String) {
    let mut offset = "$".to_owned();
    loop {
        if adapter.strong_count() == 0 {
            return;
        }
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("BLOCK")
            .arg(2000)
            .arg("COUNT")
            .arg(100)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&offset);
        match reader.query(cmd, Duration::from_secs(4)).await {
            Ok(value) => {
                for (id, fields) in xread_entries(&value) {
                    let Some(adapter) = adapter.upgrade() else {
                        return;
                    };
                    if fields.contains_key("nsp") {
                        match decode_entry(&fields) {
                            Ok(msg) => adapter.on_message(&msg, Some(&id)),
                            Err(e) => tracing::warn!("malformed stream entry {id} ignored: {e}"),
                        }
                    }
                    offset = id;
                }
            }
            Err(e) => {
                tracing::debug!("XREAD: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Publishes this node's broadcasts in order and delivers each here once its stream offset is
/// known (the offset goes to clients for recovery).
async fn send_broadcasts(adapter: Weak<ClusterAdapter>, mut rx: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(out) = rx.recv().await {
        let Some(adapter) = adapter.upgrade() else {
            return;
        };
        let Transport::Streams {
            stream, max_len, ..
        } = &adapter.transport
        else {
            return;
        };
        let mut cmd = redis::cmd("XADD");
        cmd.arg(stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(*max_len)
            .arg("*");
        for (k, v) in &out.entry {
            cmd.arg(k).arg(v);
        }
        // Without recovery (or for a command) nothing waits for the offset: the entry is queued
        // (kept while Redis is away) and this node delivers at once.
        // Redis away: deliver now, without an offset, rather than wait for it.
        let (packet, opts) = match out.deliver {
            Some(broadcast) if adapter.recovery() && adapter.link.is_connected() => broadcast,
            other => {
                if let Some((packet, opts)) = &other {
                    adapter.deliver(packet, opts, None);
                }
                adapter.link.command(cmd);
                continue;
            }
        };
        let offset = match adapter.link.query_kept(cmd, OFFSET_TIMEOUT).await {
            Ok(redis::Value::BulkString(id)) => Some(String::from_utf8_lossy(&id).into_owned()),
            Ok(redis::Value::SimpleString(id)) => Some(id),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("XADD failed ({e}): delivered here without an offset");
                None
            }
        };
        adapter.deliver(&packet, &opts, offset.as_deref());
    }
}

fn next_offset(offset: &str) -> Option<String> {
    let (ms, seq) = offset.split_once('-')?;
    let seq: u64 = seq.parse().ok()?;
    Some(format!("{ms}-{}", seq.checked_add(1)?))
}

fn valid_offset(offset: &str) -> bool {
    offset.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
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
            // What the session's XRANGE read ends at `offset`; what this node delivered since is
            // kept in `restoring` (Redis cannot be read from this synchronous call).
            let mut restoring = self.restoring();
            self.add_all(id, rooms);
            let late = match entry_id(offset) {
                Some(after) => restoring
                    .delivered
                    .iter()
                    .filter(|(entry, opts, ..)| *entry > after && included(rooms, opts))
                    .map(|(_, _, data, _)| data.clone())
                    .collect(),
                None => Vec::new(),
            };
            restoring.pending.retain(|(pending, _)| pending != id);
            restoring.prune(Instant::now());
            return late;
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
        let Transport::Streams { session_prefix, .. } = &self.transport else {
            self.inner.persist_session(session);
            return;
        };
        let Some(config) = self.local.connection_state_recovery() else {
            return;
        };
        // socket.io's session object, as @msgpack/msgpack writes it, in base64.
        let value = obj([
            ("sid", Value::String(session.sid)),
            ("pid", Value::String(session.pid.clone())),
            ("rooms", wire::strings(&session.rooms)),
            ("data", session.data),
        ]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(msgpack::encode(&value));
        let mut cmd = redis::cmd("SET");
        cmd.arg(format!("{session_prefix}{}", session.pid))
            .arg(encoded)
            .arg("PX")
            .arg(u64::try_from(config.max_disconnection_duration.as_millis()).unwrap_or(u64::MAX));
        self.link.command(cmd);
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        let pid = pid.to_owned();
        let offset = offset.to_owned();
        Box::pin(async move {
            let Transport::Streams {
                stream,
                session_prefix,
                ..
            } = &self.transport
            else {
                return self.inner.restore_session(&pid, &offset).await;
            };
            if !valid_offset(&offset) {
                return Ok(None);
            }
            // GET, then DEL: only the node whose DEL removed the key restores the session.
            let mut get = redis::cmd("GET");
            get.arg(format!("{session_prefix}{pid}"));
            let raw = match self.link.query(get, DEFAULT_TIMEOUT).await? {
                redis::Value::BulkString(b) => b,
                _ => return Ok(None),
            };
            let mut del = redis::cmd("DEL");
            del.arg(format!("{session_prefix}{pid}"));
            // A second node cannot restore the same session once this DEL ran.
            match self.link.query(del, DEFAULT_TIMEOUT).await? {
                redis::Value::Int(1) => {}
                _ => return Ok(None),
            }
            let mut check = redis::cmd("XRANGE");
            check.arg(stream).arg(&offset).arg(&offset);
            if entries(&self.link.query(check, DEFAULT_TIMEOUT).await?).is_empty() {
                return Ok(None);
            }
            let session = String::from_utf8_lossy(&raw).into_owned();
            let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(session.trim()) else {
                return Ok(None);
            };
            let Ok(session) = msgpack::decode(&bytes) else {
                return Ok(None);
            };
            let rooms = wire::room_list(session.get("rooms"));
            let session = PersistedSession {
                sid: session
                    .get("sid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                pid: pid.clone(),
                rooms: rooms.clone(),
                data: session.get("data").cloned().unwrap_or(Value::Null),
            };
            // From here on, what this node delivers is kept until the socket joins.
            self.restoring()
                .pending
                .push((session.sid.clone(), Instant::now()));
            let missed_packets = self.read_missed(stream, &offset, &rooms).await;
            if missed_packets.is_err() {
                self.restoring()
                    .pending
                    .retain(|(pending, _)| *pending != session.sid);
            }
            Ok(Some(RestoredSession {
                session,
                missed_packets: missed_packets?,
            }))
        })
    }
}

impl ClusterAdapter {
    /// The broadcasts to this namespace reaching `rooms` after `offset` in the stream, each
    /// with its entry id last.
    async fn read_missed(
        &self,
        stream: &str,
        offset: &str,
        rooms: &[Room],
    ) -> Result<Vec<Args>, AdapterError> {
        let mut missed_packets = Vec::new();
        let mut from = offset.to_owned();
        // The Node adapter's bound on XRANGE calls.
        for _ in 0..100 {
            let Some(start) = next_offset(&from) else {
                break;
            };
            let mut range = redis::cmd("XRANGE");
            range.arg(stream).arg(&start).arg("+");
            let list = entries(&self.link.query(range, DEFAULT_TIMEOUT).await?);
            if list.is_empty() {
                break;
            }
            for (id, fields) in list {
                if fields.get("nsp").map(String::as_str) == Some(self.local.name())
                    && fields.get("type").map(String::as_str) == Some("3")
                {
                    if let Ok(msg) = decode_entry(&fields) {
                        let data = msg.get("data");
                        let opts = wire::decode_opts(data.and_then(|d| d.get("opts")));
                        if let Some(packet) =
                            wire::decode_packet(data.and_then(|d| d.get("packet")))
                        {
                            if included(rooms, &opts) {
                                let mut args = packet.args;
                                args.push_str(&id);
                                missed_packets.push(args);
                            }
                        }
                    }
                }
                from = id;
            }
        }
        Ok(missed_packets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_order_as_redis_orders_them() {
        assert!(entry_id("1700000000000-10") > entry_id("1700000000000-9"));
        assert!(entry_id("1700000000001-0") > entry_id("1700000000000-99"));
        assert_eq!(entry_id("12"), None);
        assert_eq!(entry_id("a-1"), None);
    }

    #[test]
    fn restoring_keeps_packets_only_while_a_restore_is_pending() {
        let start = Instant::now();
        let mut r = Restoring::default();
        let packet = |id| ((id, 0), BroadcastOptions::default(), Args::new(), start);
        r.pending.push(("a".to_owned(), start));
        r.delivered.push_back(packet(1));
        r.prune(start);
        assert_eq!(r.delivered.len(), 1);
        // A restore that never joined is forgotten after the window, and its packets with it.
        r.prune(start + RESTORE_WINDOW);
        assert!(r.pending.is_empty());
        assert!(r.delivered.is_empty());
        // Packets older than every pending restore go.
        let later = start + Duration::from_secs(1);
        r.delivered.push_back(packet(2));
        r.pending.push(("b".to_owned(), later));
        r.prune(later);
        assert!(r.delivered.is_empty());
    }
}
