//! # sockeye-redis
//!
//! Redis adapters for [`sockeye-server`](sockeye_server), so that several server nodes share
//! rooms and broadcasts, and an [`Emitter`] that publishes to such a cluster without being a
//! server. Each speaks the exact wire format of its Node counterpart, so a cluster may mix
//! Sockeye nodes and Node `socket.io` nodes:
//!
//! | here | Node package (version checked) |
//! |---|---|
//! | [`RedisAdapterConfig`] ([`RedisAdapter`]) | `@socket.io/redis-adapter` 8.3 `createAdapter` |
//! | [`ShardedAdapterConfig`] ([`ClusterAdapter`]) | `@socket.io/redis-adapter` 8.3 `createShardedAdapter` (Redis 7) |
//! | [`StreamsAdapterConfig`] ([`ClusterAdapter`]) | `@socket.io/redis-streams-adapter` 0.3 |
//! | [`Emitter`] | `@socket.io/redis-emitter` 5.1 |
//!
//! `tests/cluster/` runs each adapter in clusters of two Sockeye nodes and of a Sockeye node
//! with a Node `socket.io` 4.8 node, against a real redis-server.
//!
//! ```no_run
//! use sockeye_server::SocketIo;
//! use sockeye_redis::RedisAdapterConfig;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = RedisAdapterConfig::new("redis://127.0.0.1:6379")?;
//! let (layer, io) = SocketIo::builder().adapter(redis.factory()).build_layer();
//! # let _ = (layer, io);
//! # Ok(()) }
//! ```
//!
//! # The pub/sub format (`@socket.io/redis-adapter`)
//!
//! For a namespace `nsp` and the key `socket.io`:
//!
//! - broadcasts go to `socket.io#<nsp>#` (or `socket.io#<nsp>#<room>#` when they target one
//!   room), as `notepack.io` MessagePack of `[uid, {type: 2, data, nsp}, {rooms, except, flags}]`;
//!   every node pattern-subscribes to `socket.io#<nsp>#*` and drops its own `uid`;
//! - requests go to `socket.io-request#<nsp>#`: JSON objects `{uid, requestId, type, ...}`, but
//!   MessagePack for a broadcast with acknowledgements (`type` 7), whose data may be binary;
//! - answers go to `socket.io-response#<nsp>#` (or `socket.io-response#<nsp>#<uid>#` with
//!   `publishOnSpecificResponseChannel`): JSON, MessagePack for client acknowledgements (9);
//! - the number of nodes is `PUBSUB NUMSUB socket.io-request#<nsp>#`.
//!
//! # The sharded and streams formats (`socket.io-adapter`'s `ClusterAdapter`)
//!
//! Messages are `{type, data, uid, nsp}` with the `ClusterAdapter`'s types (3 broadcast, 4/5
//! join/leave, 6 disconnect, 7/8 fetch, 9/10 serverSideEmit, 11/12 broadcast acks), `uid` 16 hex
//! digits.
//!
//! - Sharded pub/sub: `SPUBLISH` to `socket.io#<nsp>#` (a one-room broadcast without acks goes to
//!   `socket.io#<nsp>#<room>#` in the `dynamic` modes, whose nodes `SSUBSCRIBE` to each room's
//!   channel); answers to `socket.io#<nsp>#<uid>#`; JSON, `notepack.io` MessagePack when the data
//!   holds binary; nodes are counted with `PUBSUB SHARDNUMSUB socket.io#<nsp>#`.
//! - Streams: broadcasts, joins, leaves and disconnects are `XADD`ed to the stream `socket.io`
//!   (`MAXLEN ~ 10000`) as fields `uid`, `nsp`, `type` (text) and `data` (JSON text, or base64
//!   MessagePack when it holds binary), read with `XREAD` from `$`; requests that need answers go
//!   through pub/sub on `socket.io#<nsp>#` and `socket.io#<nsp>#<uid>#` as `@msgpack/msgpack`
//!   MessagePack. With connection state recovery, each delivered event carries its stream entry
//!   id as offset, a disconnected socket's `{sid, pid, rooms, data}` is kept (base64 MessagePack)
//!   under `sio:session:<pid>` for `maxDisconnectionDuration`, and whichever node the client comes
//!   back to restores it and replays the entries after its offset.
//!
//! # Redis failures
//!
//! Each adapter owns one RESP3 connection (subscriptions and publishes share it) run by a task
//! that reconnects with exponential backoff (100 ms doubling to 5 s) and subscribes again. What
//! this node publishes while Redis is away waits (up to 10,000 messages and 64 MiB) and goes
//! out when Redis is back, so no message is lost *inside the adapter* within those bounds; Redis pub/sub itself keeps
//! nothing, so what other nodes published while this node was cut off is lost for it, as with
//! the Node adapter. Requests that need answers (`fetch_sockets`, `all_rooms`, acks) fall back
//! to this node alone when Redis cannot say how many nodes there are. Local clients are served
//! all along.
//!
//! # Redis is not a trusted peer
//!
//! Whoever can publish on the adapter's channels or add to its stream cannot stall or grow a
//! node: received messages wait in a bounded queue that the connection's reader never waits on,
//! oversized or malformed messages are dropped, and what a request from another node can make
//! this node answer, or a client's recovery offset can make it read, is bounded. Each bound is in
//! [`limits`], with its default; what is dropped is counted and logged at most once per interval.
//!
//! # Why the `redis` crate
//!
//! `redis` (redis-rs) is the most used and actively maintained async Redis client; on tokio it
//! speaks RESP3, whose push frames let one multiplexed connection subscribe (including the
//! sharded `SSUBSCRIBE` of Redis 7) and publish at once; it has an async cluster client; and it
//! builds with few dependencies when its default features are off. `fred` is as capable but
//! brings a larger dependency tree. Reconnection is done here rather than with the crate's
//! `ConnectionManager`, so that subscriptions, queued publishes and Redis being down at start
//! are handled in one place.

mod cluster;
mod emitter;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod inbox;
pub mod limits;
mod link;
pub mod msgpack;
mod node;
mod pubsub;
#[cfg(test)]
mod redis_server;
mod wire;

pub use cluster::{ClusterAdapter, ShardedAdapterConfig, StreamsAdapterConfig, SubscriptionMode};
pub use emitter::{Emitter, EmitterOperator};
pub use error::RedisAdapterError;
pub use limits::{FetchFields, Limits};
pub use pubsub::{RedisAdapter, RedisAdapterConfig};
