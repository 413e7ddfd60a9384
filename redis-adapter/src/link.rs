//! One connection to Redis that survives Redis: a task owns it, reconnects with exponential
//! backoff, subscribes again to everything it was subscribed to, and keeps what was published
//! while Redis was away (up to [`MAX_QUEUED`] messages) to publish it once Redis is back.
//!
//! The connection speaks RESP3, so one connection both subscribes (messages arrive as push
//! frames) and publishes; `SSUBSCRIBE` works the same way as `SUBSCRIBE`. Push frames go from
//! the connection's reader straight into the adapter's bounded [`Inbox`], which never waits:
//! nothing unbounded stands between Redis and the adapter.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use redis::{AsyncConnectionConfig, RedisError};
use sockeye_server::AdapterError;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::inbox::Inbox;
use crate::limits::Refusals;

/// How many messages wait for Redis at most while it is away; more are dropped with a log line.
pub(crate) const MAX_QUEUED: usize = 10_000;
/// How many bytes of publishes wait at most (while Redis is away, or slower than this node
/// publishes): 64 MiB. More are dropped, counted and logged once per interval: answers to a
/// flood of requests from the channels cannot pile up here.
pub(crate) const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// The first reconnection delay; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How many queued publishes go to Redis in one pipeline.
const BATCH: usize = 256;

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
            Ok(v) => crate::wire::numsub(&v).unwrap_or(1).max(1),
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

struct Task {
    client: redis::Client,
    rx: mpsc::UnboundedReceiver<Op>,
    subs: BTreeSet<Sub>,
    incoming: Option<Inbox>,
    queued: Arc<AtomicUsize>,
    queued_bytes: Arc<AtomicUsize>,
    connected: Arc<AtomicBool>,
    /// Operations a broken connection interrupted, run first on the next one.
    retry: VecDeque<Op>,
}

/// Whether an error means the connection is gone (retry on a new one) rather than a refusal.
fn connection_lost(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_unrecoverable_error()
}

impl Task {
    async fn run(mut self) {
        let mut backoff = MIN_BACKOFF;
        loop {
            // Set by the reader when this connection ends.
            let lost = Arc::new(Notify::new());
            let config = AsyncConnectionConfig::new()
                .set_push_sender(crate::inbox::push_sender(
                    self.incoming.clone(),
                    lost.clone(),
                ))
                .set_connection_timeout(Some(Duration::from_secs(2)))
                .set_response_timeout(Some(Duration::from_secs(5)));
            let mut conn = match self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!("redis: cannot connect ({e}); retrying in {backoff:?}");
                    if !self.wait(backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            let mut ok = true;
            for sub in &self.subs {
                if let Err(e) = sub.command(true).exec_async(&mut conn).await {
                    tracing::warn!("redis: cannot subscribe to {sub:?} ({e})");
                    ok = false;
                    break;
                }
            }
            if !ok {
                if !self.wait(backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
            backoff = MIN_BACKOFF;
            self.connected.store(true, Ordering::Relaxed);
            tracing::info!("redis: connected");
            // Serve this connection until it breaks.
            loop {
                let op = match self.retry.pop_front() {
                    Some(op) => Some(op),
                    None => {
                        tokio::select! {
                            () = lost.notified() => break,
                            op = self.rx.recv() => match op {
                                Some(op) => Some(op),
                                // Every handle is gone: the adapter closed.
                                None => return,
                            },
                        }
                    }
                };
                let Some(op) = op else { continue };
                if !self.execute(op, &mut conn).await {
                    break;
                }
            }
            self.connected.store(false, Ordering::Relaxed);
            tracing::warn!("redis: connection lost; reconnecting");
        }
    }

    /// Sleeps `delay`; false when every handle is gone.
    async fn wait(&mut self, delay: Duration) -> bool {
        tokio::time::sleep(delay).await;
        // Subscriptions asked for meanwhile are recorded so that the next connection makes them.
        while let Ok(op) = self.rx.try_recv() {
            match op {
                Op::Subscribe(sub, true) => {
                    self.subs.insert(sub);
                }
                Op::Subscribe(sub, false) => {
                    self.subs.remove(&sub);
                }
                other => self.retry.push_back(other),
            }
        }
        !self.tx_closed()
    }

    fn tx_closed(&self) -> bool {
        self.rx.is_closed() && self.rx.is_empty()
    }

    /// Runs `op` (and the publishes queued behind it, in one pipeline); false when the
    /// connection broke (the interrupted operations are kept for the next one).
    async fn execute(&mut self, op: Op, conn: &mut redis::aio::MultiplexedConnection) -> bool {
        match op {
            Op::Publish { .. } => {
                let mut batch = vec![op];
                while batch.len() < BATCH {
                    match self.rx.try_recv() {
                        Ok(next @ Op::Publish { .. }) => batch.push(next),
                        Ok(other) => {
                            self.retry.push_back(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let mut pipe = redis::pipe();
                for op in &batch {
                    if let Op::Publish {
                        channel,
                        payload,
                        sharded,
                    } = op
                    {
                        pipe.cmd(if *sharded { "SPUBLISH" } else { "PUBLISH" })
                            .arg(channel)
                            .arg(payload.as_slice())
                            .ignore();
                    }
                }
                let bytes: usize = batch
                    .iter()
                    .map(|op| match op {
                        Op::Publish { payload, .. } => payload.len(),
                        _ => 0,
                    })
                    .sum();
                match pipe.exec_async(conn).await {
                    Ok(()) => {
                        self.queued.fetch_sub(batch.len(), Ordering::Relaxed);
                        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                        true
                    }
                    Err(e) if connection_lost(&e) => {
                        // Published again on the next connection: a message may reach the
                        // other nodes twice if Redis took it just before the connection broke.
                        for op in batch.into_iter().rev() {
                            self.retry.push_front(op);
                        }
                        false
                    }
                    Err(e) => {
                        self.queued.fetch_sub(batch.len(), Ordering::Relaxed);
                        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
                        tracing::warn!("redis refused a publish: {e}");
                        true
                    }
                }
            }
            Op::Query { cmd, reply, keep } => {
                if reply.is_closed() && !keep {
                    // The caller gave up (Redis was away too long).
                    return true;
                }
                match cmd.query_async::<redis::Value>(conn).await {
                    Err(e) if connection_lost(&e) => {
                        self.retry.push_front(Op::Query { cmd, reply, keep });
                        false
                    }
                    result => {
                        if keep {
                            self.queued.fetch_sub(1, Ordering::Relaxed);
                        }
                        let _ = reply.send(result);
                        true
                    }
                }
            }
            Op::Command(cmd) => match cmd.query_async::<redis::Value>(conn).await {
                Err(e) if connection_lost(&e) => {
                    self.retry.push_front(Op::Command(cmd));
                    false
                }
                result => {
                    self.queued.fetch_sub(1, Ordering::Relaxed);
                    if let Err(e) = result {
                        tracing::warn!("redis refused a command: {e}");
                    }
                    true
                }
            },
            Op::Subscribe(sub, subscribe) => {
                let result = sub.command(subscribe).exec_async(conn).await;
                if subscribe {
                    self.subs.insert(sub);
                } else {
                    self.subs.remove(&sub);
                }
                match result {
                    Err(e) if connection_lost(&e) => false,
                    Err(e) => {
                        tracing::warn!("redis refused a (un)subscription: {e}");
                        true
                    }
                    Ok(()) => true,
                }
            }
        }
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
#[path = "link_tests.rs"]
mod tests;
