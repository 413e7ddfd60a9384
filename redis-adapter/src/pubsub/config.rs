//! The options of the pub/sub adapter, every default the Node adapter's.

use std::sync::Arc;
use std::time::Duration;

use sockeye_server::adapter::{Adapter, LocalNamespace};

use super::RedisAdapter;
use crate::error::RedisAdapterError;
use crate::limits::Limits;

/// The options of [`RedisAdapter`] (the Node `createAdapter`'s `opts`), every default the
/// Node adapter's.
#[derive(Clone, Debug)]
pub struct RedisAdapterConfig {
    pub(super) client: redis::Client,
    pub(super) key: String,
    pub(super) requests_timeout: Duration,
    pub(super) publish_on_specific_response_channel: bool,
    pub(super) limits: Limits,
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
