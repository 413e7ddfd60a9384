//! The options of the sharded and streams adapters, every default the Node adapter's.

use std::sync::Arc;

use sockeye_server::adapter::{Adapter, LocalNamespace};

use super::sharded::SubscriptionMode;
use super::{ClusterAdapter, Kind};
use crate::error::RedisAdapterError;
use crate::limits::Limits;

/// The options of the sharded pub/sub adapter (the Node `createShardedAdapter`'s), defaults
/// the Node adapter's. Needs Redis 7 (`SPUBLISH`).
#[derive(Clone, Debug)]
pub struct ShardedAdapterConfig {
    client: redis::Client,
    channel_prefix: String,
    mode: SubscriptionMode,
    limits: Limits,
}

impl ShardedAdapterConfig {
    /// The adapter for the Redis server at `url`.
    pub fn new(url: &str) -> Result<Self, RedisAdapterError> {
        Ok(ShardedAdapterConfig {
            client: crate::link::client(url)?,
            channel_prefix: "socket.io".to_owned(),
            mode: SubscriptionMode::Dynamic,
            limits: Limits::default(),
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

    /// What other nodes, or anyone who can write to Redis, may make this node do
    /// ([`Limits::default`] unless set).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The factory for [`SocketIoBuilder::adapter`](sockeye_server::SocketIoBuilder::adapter)
    /// (call inside the tokio runtime).
    pub fn factory(self) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
        let kind = Kind::Sharded { mode: self.mode };
        factory(self.client, self.channel_prefix, kind, self.limits)
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
    limits: Limits,
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
            limits: Limits::default(),
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

    /// What other nodes, or anyone who can write to Redis, may make this node do
    /// ([`Limits::default`] unless set).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The factory for [`SocketIoBuilder::adapter`](sockeye_server::SocketIoBuilder::adapter)
    /// (call inside the tokio runtime).
    pub fn factory(self) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
        let kind = Kind::Streams {
            stream: self.stream_name,
            max_len: self.max_len,
            session_prefix: self.session_key_prefix,
        };
        factory(self.client, self.channel_prefix, kind, self.limits)
    }
}

/// Makes each namespace's node of a cluster transport.
fn factory(
    client: redis::Client,
    prefix: String,
    kind: Kind,
    limits: Limits,
) -> impl Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static {
    move |local| ClusterAdapter::new(&client, &prefix, &kind, &limits, local) as Arc<dyn Adapter>
}
