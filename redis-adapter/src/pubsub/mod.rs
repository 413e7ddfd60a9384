//! The Redis pub/sub adapter, wire-compatible with `@socket.io/redis-adapter` 8.3's
//! `createAdapter` (see the [crate docs](crate) for the format).

mod serve;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use sockeye_server::adapter::{
    Adapter, BroadcastAcks, BroadcastOptions, BroadcastPacket, LocalNamespace, MemoryAdapter,
    PersistedSession, RemoteSocketData, RestoredSession, Room, SocketId,
};
use sockeye_server::config::BoxFuture;
use sockeye_server::{AdapterError, Args, EmitError, JoinError, Value};

use crate::inbox::inbox;
use crate::limits::{Limits, Refusals};
use crate::link::{Link, Sub};
use crate::requests::{self, Pending, Requests, Slots};
use crate::wire::{self, num, obj};
use crate::{RedisAdapterError, msgpack};

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

/// The options of [`RedisAdapter`] (the Node `createAdapter`'s `opts`), every default the
/// Node adapter's.
#[derive(Clone, Debug)]
pub struct RedisAdapterConfig {
    client: redis::Client,
    key: String,
    requests_timeout: Duration,
    publish_on_specific_response_channel: bool,
    limits: Limits,
}

impl RedisAdapterConfig {
    /// The adapter for the Redis server at `url` (`redis://host:port/db`; RESP3 is asked for,
    /// Redis 6 or later).
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        Ok(RedisAdapterConfig {
            client: crate::link::client(url)?,
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
            limits: Limits::default(),
        })
    }

    /// The channels' prefix (`key`, `socket.io`).
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// How long to wait for the other nodes' answers (`requestsTimeout`, 5 s).
    #[must_use]
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// Answers requests on the requester's own channel rather than the shared response channel
    /// (`publishOnSpecificResponseChannel`, false).
    #[must_use]
    pub fn publish_on_specific_response_channel(mut self, on: bool) -> Self {
        self.publish_on_specific_response_channel = on;
        self
    }

    /// What other nodes, or anyone who can publish on the channels, may make this node do
    /// ([`Limits::default`] unless set).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The factory to hand to [`SocketIoBuilder::adapter`](sockeye_server::SocketIoBuilder::adapter).
    /// Each namespace gets its own connection to Redis. Build the server inside the tokio
    /// runtime: the adapter starts its connection task when its namespace is created.
    pub fn factory(self) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
        move |local| RedisAdapter::new(self.clone(), local) as Arc<dyn Adapter>
    }
}

/// A Redis pub/sub adapter for one namespace: rooms are kept locally (a [`MemoryAdapter`]
/// inside, which also does connection state recovery for this node's sockets) and everything
/// that concerns other nodes goes through Redis in the Node adapter's format.
pub struct RedisAdapter {
    inner: MemoryAdapter,
    local: LocalNamespace,
    config: RedisAdapterConfig,
    link: Link,
    uid: String,
    channel: String,
    request_channel: String,
    response_channel: String,
    requests: Requests,
    /// Messages from the channels that could not be read.
    malformed: Refusals,
    /// Sockets left out of answers to other nodes' `fetchSockets`.
    cut: Refusals,
    /// The requests from other nodes being answered.
    answering: Slots,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("nsp", &self.local.name())
            .field("uid", &self.uid)
            .finish_non_exhaustive()
    }
}

impl RedisAdapter {
    /// The adapter of the namespace `local`; starts its Redis connection task (call inside the
    /// tokio runtime).
    pub fn new(config: RedisAdapterConfig, local: LocalNamespace) -> Arc<Self> {
        let nsp = local.name().to_owned();
        let channel = format!("{}#{nsp}#", config.key);
        let request_channel = format!("{}-request#{nsp}#", config.key);
        let response_channel = format!("{}-response#{nsp}#", config.key);
        let uid = wire::uid(6);
        let specific_response_channel = format!("{response_channel}{uid}#");
        let (tx, rx) = inbox(&config.limits, &nsp);
        let link = Link::spawn(
            config.client.clone(),
            vec![
                Sub::Pattern(format!("{channel}*")),
                Sub::Channel(request_channel.clone()),
                Sub::Channel(response_channel.clone()),
                Sub::Channel(specific_response_channel),
            ],
            Some(tx),
        );
        let answering = Slots::new(&config.limits);
        let adapter = Arc::new(RedisAdapter {
            inner: MemoryAdapter::new(local.clone()),
            local,
            config,
            link,
            uid,
            channel,
            request_channel,
            response_channel,
            requests: Requests::default(),
            malformed: Refusals::new("message (malformed or undeliverable)"),
            cut: Refusals::new("part of a fetchSockets answer"),
            answering,
        });
        crate::link::spawn(requests::receive(
            Arc::downgrade(&adapter),
            rx,
            RedisAdapter::on_incoming,
        ));
        adapter
    }

    /// This node's id on the channels (`uid`).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    fn publish(&self, channel: &str, payload: Vec<u8>) {
        self.link.publish(channel.to_owned(), payload, false);
    }

    /// Where to answer the node `requester` (`publishOnSpecificResponseChannel`).
    fn response_channel_of(&self, requester: Option<&str>) -> String {
        match requester {
            Some(uid) if self.config.publish_on_specific_response_channel => {
                format!("{}{uid}#", self.response_channel)
            }
            _ => self.response_channel.clone(),
        }
    }

    /// How many nodes subscribe to the request channel (`PUBSUB NUMSUB`).
    async fn count_servers(&self) -> usize {
        self.link
            .server_count(
                &self.request_channel,
                false,
                self.config.requests_timeout,
                self.local.name(),
            )
            .await
    }

    /// Sends the other nodes a command on the sockets `opts` selects, unless it is local.
    fn remote_op(&self, kind: u64, opts: &BroadcastOptions, extra: (&str, Value)) {
        if opts.flags.local {
            return;
        }
        let body = obj([
            ("uid", Value::String(self.uid.clone())),
            ("type", num(kind)),
            ("opts", wire::encode_opts(opts, false)),
            extra,
        ]);
        self.publish(&self.request_channel, wire::json(&body));
    }
}

impl Adapter for RedisAdapter {
    /// Unsubscribes, so that the other nodes stop counting this one.
    fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        for sub in [
            Sub::Pattern(format!("{}*", self.channel)),
            Sub::Channel(self.request_channel.clone()),
            Sub::Channel(self.response_channel.clone()),
            Sub::Channel(format!("{}{}#", self.response_channel, self.uid)),
        ] {
            self.link.subscribe(sub, false);
        }
        Box::pin(async { Ok(()) })
    }

    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>> {
        Box::pin(async move { Ok(self.count_servers().await) })
    }

    fn add_all(&self, id: &str, rooms: &[Room]) {
        self.inner.add_all(id, rooms);
    }

    fn add_all_bounded(&self, id: &str, rooms: &[Room], max: usize) -> Result<(), JoinError> {
        // Checked and joined under the in-memory adapter's one lock.
        self.inner.add_all_bounded(id, rooms, max)
    }

    fn join_restored(&self, id: &str, rooms: &[Room], offset: &str) -> Vec<Args> {
        // The packets for recovery are kept here, in the in-memory adapter.
        self.inner.join_restored(id, rooms, offset)
    }

    fn del(&self, id: &str, room: &str) {
        self.inner.del(id, room);
    }

    fn del_all(&self, id: &str) {
        self.inner.del_all(id);
    }

    fn socket_rooms(&self, id: &str) -> Vec<Room> {
        self.inner.socket_rooms(id)
    }

    fn rooms(&self) -> Vec<Room> {
        self.inner.rooms()
    }

    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>> {
        Box::pin(async move {
            let local: HashSet<Room> = self.inner.rooms().into_iter().collect();
            let others = self.count_servers().await.saturating_sub(1);
            let id = wire::uid(6);
            let body = obj([
                ("uid", Value::String(self.uid.clone())),
                ("requestId", Value::String(id.clone())),
                ("type", num(request::ALL_ROOMS)),
            ]);
            let timeout = self.config.requests_timeout;
            let publish = || self.publish(&self.request_channel, wire::json(&body));
            Ok(self
                .requests
                .request(id, others, Pending::Rooms(local), timeout, publish)
                .await?
                .into_rooms())
        })
    }

    fn sockets(&self, rooms: &HashSet<Room>) -> Vec<SocketId> {
        self.inner.sockets(rooms)
    }

    fn broadcast(&self, packet: BroadcastPacket, opts: BroadcastOptions) -> Result<(), EmitError> {
        if !opts.flags.local {
            let msg = Value::Array(vec![
                Value::String(self.uid.clone()),
                wire::event_packet(packet.nsp.as_str(), &packet.args)
                    .map_err(|e| wire::emit_error(&e))?,
                wire::encode_opts(&opts, true),
            ]);
            let mut channel = self.channel.clone();
            if opts.rooms.len() == 1 {
                if let Some(room) = opts.rooms.iter().next() {
                    channel.push_str(room);
                    channel.push('#');
                }
            }
            self.publish(&channel, msgpack::encode(&msg));
        }
        self.inner.broadcast(packet, opts)
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
        let id = wire::uid(6);
        let request = obj([
            ("uid", Value::String(self.uid.clone())),
            ("requestId", Value::String(id.clone())),
            ("type", num(request::BROADCAST)),
            ("packet", packet_value),
            ("opts", wire::encode_opts(&opts, true)),
        ]);
        let timeout = opts.flags.timeout.unwrap_or(self.config.requests_timeout);
        let (link, channel) = (self.link.clone(), self.request_channel.clone());
        let nsp = self.local.name().to_owned();
        let servers = async move { link.server_count(&channel, false, timeout, &nsp).await };
        let publish = || self.publish(&self.request_channel, msgpack::encode(&request));
        Ok(self
            .requests
            .broadcast_with_ack(id, local, publish, servers, timeout))
    }

    fn add_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.remote_op(
            request::REMOTE_JOIN,
            &opts,
            ("rooms", wire::strings(&rooms)),
        );
        self.inner.add_sockets(opts, rooms);
    }

    fn del_sockets(&self, opts: BroadcastOptions, rooms: Vec<Room>) {
        self.remote_op(
            request::REMOTE_LEAVE,
            &opts,
            ("rooms", wire::strings(&rooms)),
        );
        self.inner.del_sockets(opts, rooms);
    }

    fn disconnect_sockets(&self, opts: BroadcastOptions, close: bool) {
        self.remote_op(
            request::REMOTE_DISCONNECT,
            &opts,
            ("close", Value::Bool(close)),
        );
        self.inner.disconnect_sockets(opts, close);
    }

    /// Waits `requestsTimeout` for the other nodes (as the Node adapter), or the broadcast's
    /// own `timeout` when it has one; the server's default `timeout` is not used.
    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
        _timeout: Duration,
    ) -> BoxFuture<'_, Result<Vec<RemoteSocketData>, AdapterError>> {
        let timeout = opts.flags.timeout.unwrap_or(self.config.requests_timeout);
        Box::pin(async move {
            let local = requests::fetch(&self.inner, &self.local, &opts);
            if opts.flags.local {
                return Ok(local);
            }
            let others = self.count_servers().await.saturating_sub(1);
            let id = wire::uid(6);
            let body = obj([
                ("uid", Value::String(self.uid.clone())),
                ("requestId", Value::String(id.clone())),
                ("type", num(request::REMOTE_FETCH)),
                ("opts", wire::encode_opts(&opts, false)),
            ]);
            let publish = || self.publish(&self.request_channel, wire::json(&body));
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
                let body = obj([
                    ("uid", Value::String(self.uid.clone())),
                    ("type", num(request::SERVER_SIDE_EMIT)),
                    ("data", Value::Array(data)),
                ]);
                self.publish(&self.request_channel, wire::json(&body));
                return Ok(Vec::new());
            };
            let others = self.count_servers().await.saturating_sub(1);
            let id = wire::uid(6);
            let body = obj([
                ("uid", Value::String(self.uid.clone())),
                ("requestId", Value::String(id.clone())),
                ("type", num(request::SERVER_SIDE_EMIT)),
                ("data", Value::Array(data)),
            ]);
            let publish = || self.publish(&self.request_channel, wire::json(&body));
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
        self.inner.persist_session(session);
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'_, Result<Option<RestoredSession>, AdapterError>> {
        self.inner.restore_session(pid, offset)
    }
}
