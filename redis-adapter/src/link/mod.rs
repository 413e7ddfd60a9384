//! One connection to Redis that survives Redis: a task owns it, reconnects with exponential
//! backoff, subscribes again to everything it was subscribed to, and keeps what was published
//! while Redis was away (up to [`MAX_QUEUED`] messages) to publish it once Redis is back.
//!
//! The connection speaks RESP3, so one connection both subscribes (messages arrive as push
//! frames) and publishes; `SSUBSCRIBE` works the same way as `SUBSCRIBE`. Push frames go from
//! the connection's reader straight into the adapter's bounded [`Inbox`], which never waits:
//! nothing unbounded stands between Redis and the adapter.
mod task;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use redis::RedisError;
use sockeye_server::AdapterError;
use tokio::sync::{mpsc, oneshot};

use crate::inbox::Inbox;
use crate::limits::Refusals;
use task::Task;

/// How many messages wait for Redis at most while it is away; more are dropped with a log line.
pub(crate) const MAX_QUEUED: usize = 10_000;
/// How many bytes of publishes wait at most (while Redis is away, or slower than this node
/// publishes): 64 MiB. More are dropped, counted and logged once per interval: answers to a
/// flood of requests from the channels cannot pile up here.
pub(crate) const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// The first reconnection delay; it doubles up to [`MAX_BACKOFF`].
pub(super) const MIN_BACKOFF: Duration = Duration::from_millis(100);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How many queued publishes go to Redis in one pipeline.
pub(super) const BATCH: usize = 256;

/// A subscription.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Sub {
    /// `SUBSCRIBE`.
    Channel(String),
    /// `PSUBSCRIBE`.
    Pattern(String),
    /// `SSUBSCRIBE` (Redis 7 sharded pub/sub).
    Shard(String),
}

impl Sub {
    fn command(&self, subscribe: bool) -> redis::Cmd {
        let (name, channel) = match (self, subscribe) {
            (Sub::Channel(c), true) => ("SUBSCRIBE", c),
            (Sub::Channel(c), false) => ("UNSUBSCRIBE", c),
            (Sub::Pattern(c), true) => ("PSUBSCRIBE", c),
            (Sub::Pattern(c), false) => ("PUNSUBSCRIBE", c),
            (Sub::Shard(c), true) => ("SSUBSCRIBE", c),
            (Sub::Shard(c), false) => ("SUNSUBSCRIBE", c),
        };
        let mut cmd = redis::cmd(name);
        cmd.arg(channel);
        cmd
    }
}

/// What the task is asked to do, in order.
enum Op {
    Publish {
        channel: String,
        payload: Vec<u8>,
        sharded: bool,
    },
    Query {
        cmd: redis::Cmd,
        reply: oneshot::Sender<Result<redis::Value, RedisError>>,
        /// Run even when the caller stopped waiting (counted in `queued`, like a command).
        keep: bool,
    },
    /// A command whose answer nobody waits for; kept and run in order like publishes.
    Command(redis::Cmd),
    Subscribe(Sub, bool),
}

/// A handle on the connection task; the task ends when every handle is gone.
#[derive(Clone)]
pub(crate) struct Link {
    tx: mpsc::UnboundedSender<Op>,
    queued: Arc<AtomicUsize>,
    queued_bytes: Arc<AtomicUsize>,
    dropped: Arc<Refusals>,
    connected: Arc<AtomicBool>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").finish_non_exhaustive()
    }
}

impl Link {
    /// Starts the connection task; messages on `subs` (and later subscriptions) go to
    /// `incoming`.
    pub(crate) fn spawn(client: redis::Client, subs: Vec<Sub>, incoming: Option<Inbox>) -> Link {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let connected = Arc::new(AtomicBool::new(false));
        let task = Task {
            client,
            rx,
            subs: subs.into_iter().collect(),
            incoming,
            queued: queued.clone(),
            queued_bytes: queued_bytes.clone(),
            connected: connected.clone(),
            retry: VecDeque::new(),
        };
        spawn(task.run());
        Link {
            tx,
            queued,
            queued_bytes,
            dropped: Arc::new(Refusals::new("publish or command (outgoing queue full)")),
            connected,
        }
    }

    /// Publishes `payload` (`SPUBLISH` when `sharded`); kept while Redis is away, up to
    /// [`MAX_QUEUED`] messages and [`MAX_QUEUED_BYTES`].
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>, sharded: bool) {
        let len = payload.len();
        let bytes = self.queued_bytes.fetch_add(len, Ordering::Relaxed);
        if bytes.saturating_add(len) > MAX_QUEUED_BYTES {
            self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            self.dropped
                .note(&format_args!("{bytes} bytes waiting for redis"));
            return;
        }
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.queued_bytes.fetch_sub(len, Ordering::Relaxed);
            self.dropped
                .note(&format_args!("{MAX_QUEUED} messages waiting for redis"));
            return;
        }
        let _ = self.tx.send(Op::Publish {
            channel,
            payload,
            sharded,
        });
    }

    /// Whether the connection is up right now.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Runs a command nobody waits for (an `XADD`, a `SET`), in order with publishes; kept while
    /// Redis is away, as publishes.
    pub(crate) fn command(&self, cmd: redis::Cmd) {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.dropped
                .note(&format_args!("{MAX_QUEUED} messages waiting for redis"));
            return;
        }
        let _ = self.tx.send(Op::Command(cmd));
    }

    /// Runs a command; fails after `timeout` (Redis away), and then the command is not run.
    pub(crate) async fn query(
        &self,
        cmd: redis::Cmd,
        timeout: Duration,
    ) -> Result<redis::Value, AdapterError> {
        self.query_op(cmd, timeout, false).await
    }

    /// Runs a command; fails after `timeout` (Redis away), but the command still runs, in
    /// order, when Redis is back (as a publish does): a broadcast's XADD must reach the stream
    /// even when this node stopped waiting for its offset.
    pub(crate) async fn query_kept(
        &self,
        cmd: redis::Cmd,
        timeout: Duration,
    ) -> Result<redis::Value, AdapterError> {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= MAX_QUEUED {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            self.dropped
                .note(&format_args!("{MAX_QUEUED} messages waiting for redis"));
            return Err(AdapterError::Other(
                "redis unreachable: command dropped".into(),
            ));
        }
        self.query_op(cmd, timeout, true).await
    }

    async fn query_op(
        &self,
        cmd: redis::Cmd,
        timeout: Duration,
        keep: bool,
    ) -> Result<redis::Value, AdapterError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Op::Query { cmd, reply, keep })
            .map_err(|_| AdapterError::Other("redis connection closed".into()))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(e))) => Err(AdapterError::Other(format!("redis: {e}"))),
            Ok(Err(_)) => Err(AdapterError::Other("redis connection closed".into())),
            Err(_) => Err(AdapterError::Other("redis did not answer in time".into())),
        }
    }

    /// How many nodes subscribe to `channel` (`PUBSUB NUMSUB`, or `SHARDNUMSUB` for a sharded
    /// channel); 1 (this node) when Redis does not answer, so that the node of namespace `nsp`
    /// keeps serving its own sockets.
    pub(crate) async fn server_count(
        &self,
        channel: &str,
        sharded: bool,
        timeout: Duration,
        nsp: &str,
    ) -> usize {
        if !self.is_connected() {
            return 1;
        }
        let mut cmd = redis::cmd("PUBSUB");
        cmd.arg(if sharded { "SHARDNUMSUB" } else { "NUMSUB" })
            .arg(channel);
        match self.query(cmd, timeout).await {
            Ok(v) => numsub(&v).unwrap_or(1).max(1),
            Err(e) => {
                tracing::warn!(nsp, "server count unknown ({e}): this node only");
                1
            }
        }
    }

    /// Adds (or with `subscribe` false, removes) a subscription, kept across reconnections.
    pub(crate) fn subscribe(&self, sub: Sub, subscribe: bool) {
        let _ = self.tx.send(Op::Subscribe(sub, subscribe));
    }
}

/// The number in a `PUBSUB NUMSUB` / `SHARDNUMSUB` answer for one channel.
fn numsub(v: &redis::Value) -> Option<usize> {
    let n = match v {
        redis::Value::Array(items) => items.get(1)?,
        redis::Value::Map(pairs) => &pairs.first()?.1,
        _ => return None,
    };
    match n {
        redis::Value::Int(n) => usize::try_from(*n).ok(),
        redis::Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

/// A Redis client for `url`, speaking RESP3 (needed to subscribe and publish on one
/// connection).
pub(crate) fn client(url: &str) -> Result<redis::Client, RedisError> {
    let url = if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else if url.trim_start_matches("redis://").contains('/') {
        format!("{url}?protocol=resp3")
    } else {
        format!("{url}/?protocol=resp3")
    };
    redis::Client::open(url)
}

/// Spawns on the current tokio runtime; without one (a server built outside the runtime) the
/// task cannot run: logged, and the adapter works for this node only.
pub(crate) fn spawn<F>(future: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(future);
        }
        Err(_) => {
            tracing::error!("sockeye-redis needs a tokio runtime: build the server inside it")
        }
    }
}

#[cfg(test)]
mod tests;
