//! The bounded queue between a Redis connection's reader and its adapter.
//!
//! The reader (the `redis` crate's task that parses what Redis sends) hands each pub/sub
//! message to [`Inbox::offer`], which never waits: a message larger than the message size bound,
//! or one that finds the queue full (in messages or in bytes), is dropped and counted, with one
//! log line per interval. Dropping rather than waiting keeps the reader serving the connection
//! (answers to this node's own commands travel on it), so a flood on the channels costs the
//! node the flood's messages, never its link to Redis; Redis pub/sub is at-most-once anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use redis::PushKind;
use tokio::sync::{Notify, mpsc};

use crate::limits::{Limits, Refusals};

/// A message received on a subscription.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) channel: String,
    pub(crate) payload: Vec<u8>,
}

/// What the queue refuses, counted per adapter.
#[derive(Debug)]
pub(crate) struct InboxRefusals {
    pub(crate) oversized: Refusals,
    pub(crate) full: Refusals,
}

/// The reader's end.
#[derive(Clone, Debug)]
pub(crate) struct Inbox {
    tx: mpsc::Sender<Incoming>,
    bytes: Arc<AtomicUsize>,
    max_message_size: usize,
    max_bytes: usize,
    nsp: Arc<str>,
    refusals: Arc<InboxRefusals>,
}

/// The adapter's end.
#[derive(Debug)]
pub(crate) struct InboxReceiver {
    rx: mpsc::Receiver<Incoming>,
    bytes: Arc<AtomicUsize>,
}

/// A queue for the adapter of namespace `nsp`, bounded as `limits` says.
pub(crate) fn inbox(limits: &Limits, nsp: &str) -> (Inbox, InboxReceiver) {
    let (tx, rx) = mpsc::channel(limits.incoming_queue.max(1));
    let bytes = Arc::new(AtomicUsize::new(0));
    let inbox = Inbox {
        tx,
        bytes: bytes.clone(),
        max_message_size: limits.max_message_size,
        max_bytes: limits.incoming_queue_bytes,
        nsp: nsp.into(),
        refusals: Arc::new(InboxRefusals {
            oversized: Refusals::new("oversized message"),
            full: Refusals::new("message (incoming queue full)"),
        }),
    };
    (inbox, InboxReceiver { rx, bytes })
}

impl Inbox {
    /// Queues `payload` received on `channel`, or drops it (too large, or the queue full);
    /// never waits.
    pub(crate) fn offer(&self, channel: &[u8], payload: Vec<u8>) {
        let len = payload.len();
        if len > self.max_message_size {
            self.refusals.oversized.refuse(
                &self.nsp,
                &format_args!("{len} bytes, over {}", self.max_message_size),
            );
            return;
        }
        // Reserved before sending, released by the receiver: the bound holds under races.
        let queued = self.bytes.fetch_add(len, Ordering::Relaxed);
        if queued.saturating_add(len) > self.max_bytes {
            self.bytes.fetch_sub(len, Ordering::Relaxed);
            self.refusals.full.refuse(
                &self.nsp,
                &format_args!("{queued} bytes waiting, bound {}", self.max_bytes),
            );
            return;
        }
        let msg = Incoming {
            channel: String::from_utf8_lossy(channel).into_owned(),
            payload,
        };
        match self.tx.try_send(msg) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.bytes.fetch_sub(len, Ordering::Relaxed);
                self.refusals.full.refuse(
                    &self.nsp,
                    &format_args!("{} messages waiting", self.tx.max_capacity()),
                );
            }
            // The adapter is gone; its link ends with it.
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.bytes.fetch_sub(len, Ordering::Relaxed);
            }
        }
    }

    /// What this queue refused so far (tests).
    #[cfg(test)]
    pub(crate) fn refusals(&self) -> &InboxRefusals {
        &self.refusals
    }
}

impl InboxReceiver {
    /// Whether nothing waits (tests).
    #[cfg(test)]
    pub(crate) fn rx_is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The next message; `None` once every [`Inbox`] is gone.
    pub(crate) async fn recv(&mut self) -> Option<Incoming> {
        let msg = self.rx.recv().await?;
        self.bytes.fetch_sub(msg.payload.len(), Ordering::Relaxed);
        Some(msg)
    }
}

/// What the connection's reader does with a push frame: a message goes to `incoming` (which
/// never waits, see [`Inbox`]), the end of the connection wakes the task through `lost`, and
/// the rest (subscription confirmations) is ignored. Always `Ok`: an error would make the
/// `redis` crate stop handing us push frames.
pub(crate) fn push_sender(
    incoming: Option<Inbox>,
    lost: Arc<Notify>,
) -> impl Fn(redis::PushInfo) -> Result<(), std::convert::Infallible> + Send + Sync + 'static {
    move |push| {
        let mut data = push.data.into_iter();
        let (channel, payload) = match push.kind {
            PushKind::Disconnection => {
                // Kept as a permit when the task is busy: it sees it at its next wait.
                lost.notify_one();
                return Ok(());
            }
            PushKind::Message | PushKind::SMessage => (data.next(), data.next()),
            PushKind::PMessage => {
                let _pattern = data.next();
                (data.next(), data.next())
            }
            _ => return Ok(()),
        };
        let (Some(redis::Value::BulkString(channel)), Some(redis::Value::BulkString(payload))) =
            (channel, payload)
        else {
            tracing::debug!("redis: unexpected push frame ignored");
            return Ok(());
        };
        if let Some(incoming) = &incoming {
            incoming.offer(&channel, payload);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
