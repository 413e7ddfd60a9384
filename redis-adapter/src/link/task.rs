//! The connection task: connects (again, with backoff), subscribes, then runs what the
//! handles ask in order, keeping what a broken connection interrupted for the next one.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use redis::{AsyncConnectionConfig, RedisError};
use tokio::sync::{Notify, mpsc};

use super::{BATCH, MAX_BACKOFF, MIN_BACKOFF, Op, Sub};
use crate::inbox::Inbox;

/// The one owner of a Redis connection.
pub(super) struct Task {
    pub(super) client: redis::Client,
    pub(super) rx: mpsc::UnboundedReceiver<Op>,
    pub(super) subs: BTreeSet<Sub>,
    pub(super) incoming: Option<Inbox>,
    pub(super) queued: Arc<AtomicUsize>,
    pub(super) queued_bytes: Arc<AtomicUsize>,
    pub(super) connected: Arc<AtomicBool>,
    /// Operations a broken connection interrupted, run first on the next one.
    pub(super) retry: VecDeque<Op>,
}

/// Whether an error means the connection is gone (retry on a new one) rather than a refusal.
fn connection_lost(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_unrecoverable_error()
}

impl Task {
    /// Serves the link until every handle is gone.
    pub(super) async fn run(mut self) {
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
