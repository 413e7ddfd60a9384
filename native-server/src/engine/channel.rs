//! An unbounded many-to-one channel that costs little while empty: every session has one, and
//! most sessions are idle.
//!
//! tokio's unbounded channel allocates its first block of 32 slots and a cache-padded shared
//! part with the channel: about 1 KiB per session whether anything is ever sent. Here the shared
//! part is a queue under a mutex and a waker (about 100 bytes) and the queue grows with what is
//! in flight. The mutex is held only to push or pop one message; the senders are the session's
//! sockets, its HTTP requests and the broadcasts that reach it, seldom at the same instant.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::mpsc::error::SendError;

struct Shared<T> {
    queue: Mutex<VecDeque<T>>,
    /// The receiver's task, woken by every send and by the last sender's drop.
    waker: AtomicWaker,
    /// Senders alive; the receiver sees the end once it is 0 and the queue is empty.
    senders: AtomicUsize,
    /// The receiver is gone: sends fail and give their message back. Set and read under the
    /// queue's lock.
    closed: AtomicBool,
}

/// The sending side; cheap to clone.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

/// The receiving side.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

/// A new channel.
pub(crate) fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        queue: Mutex::new(VecDeque::new()),
        waker: AtomicWaker::new(),
        senders: AtomicUsize::new(1),
        closed: AtomicBool::new(false),
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Shared<T> {
    /// The queue; a panic while it was held (only in a push or a pop) leaves it whole.
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Sender<T> {
    /// Queues `msg` and wakes the receiver; gives `msg` back when the receiver is gone.
    pub(crate) fn send(&self, msg: T) -> Result<(), SendError<T>> {
        {
            // Looked at under the lock the receiver closes under: no message is queued after
            // the receiver let go of the queue.
            let mut queue = self.0.queue();
            if self.0.closed.load(Ordering::Relaxed) {
                return Err(SendError(msg));
            }
            queue.push_back(msg);
        }
        self.0.waker.wake();
        Ok(())
    }
}

impl<T> Sender<T> {
    /// Another sender of this channel that sends `M`s, whatever `T` is (the session table's,
    /// which holds sessions of every application).
    pub(crate) fn erased<M>(&self) -> ErasedSender<M>
    where
        T: From<M> + Send + 'static,
        M: 'static,
    {
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        ErasedSender(self.0.clone())
    }
}

/// What an [`ErasedSender`] calls, through the channel's vtable.
trait Inbox<M>: Send + Sync {
    fn send(&self, msg: M) -> Result<(), SendError<M>>;
    fn add_sender(&self);
    fn drop_sender(&self);
}

impl<T: From<M> + Send, M> Inbox<M> for Shared<T> {
    fn send(&self, msg: M) -> Result<(), SendError<M>> {
        {
            let mut queue = self.queue();
            if self.closed.load(Ordering::Relaxed) {
                return Err(SendError(msg));
            }
            queue.push_back(T::from(msg));
        }
        self.waker.wake();
        Ok(())
    }

    fn add_sender(&self) {
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    fn drop_sender(&self) {
        if self.senders.fetch_sub(1, Ordering::Release) == 1 {
            self.waker.wake();
        }
    }
}

/// A sender of `M`s into a channel of some other type that `M` converts into: one allocation
/// with the channel's own senders, one dynamic call per send. For the messages of the layer
/// below the channel's owner (HTTP requests to a session), never for the owner's own.
pub(crate) struct ErasedSender<M>(Arc<dyn Inbox<M>>);

impl<M> ErasedSender<M> {
    /// As [`Sender::send`].
    pub(crate) fn send(&self, msg: M) -> Result<(), SendError<M>> {
        self.0.send(msg)
    }
}

impl<M> Clone for ErasedSender<M> {
    fn clone(&self) -> Self {
        self.0.add_sender();
        ErasedSender(self.0.clone())
    }
}

impl<M> Drop for ErasedSender<M> {
    fn drop(&mut self) {
        self.0.drop_sender();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.senders.fetch_add(1, Ordering::Relaxed);
        Sender(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Release: the receiver that reads 0 sees every message this sender queued.
        if self.0.senders.fetch_sub(1, Ordering::Release) == 1 {
            self.0.waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The next message; `None` once every sender is gone and the queue is empty.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Poll::Ready(next) = self.try_recv() {
            return Poll::Ready(next);
        }
        self.0.waker.register(cx.waker());
        // Again after registering: a send between the first look and the registration woke
        // nobody.
        self.try_recv()
    }

    fn try_recv(&self) -> Poll<Option<T>> {
        // The count first: when it reads 0, every message sent is already in the queue.
        let ended = self.0.senders.load(Ordering::Acquire) == 0;
        if let Some(msg) = self.0.queue().pop_front() {
            return Poll::Ready(Some(msg));
        }
        if ended {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let queued = {
            let mut queue = self.0.queue();
            self.0.closed.store(true, Ordering::Relaxed);
            std::mem::take(&mut *queue)
        };
        // What was queued goes now, not with the last sender, and outside the lock (a message's
        // drop may send on this channel).
        drop(queued);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn poll<T>(rx: &mut Receiver<T>) -> Poll<Option<T>> {
        let waker = futures_util::task::noop_waker();
        rx.poll_recv(&mut Context::from_waker(&waker))
    }

    #[test]
    fn messages_come_in_order_then_the_end_once_every_sender_is_gone() {
        let (tx, mut rx) = unbounded();
        let tx2 = tx.clone();
        assert_eq!(poll(&mut rx), Poll::Pending);
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        drop(tx);
        assert_eq!(poll(&mut rx), Poll::Ready(Some(1)));
        drop(tx2);
        // Queued before the last sender left: still delivered, then the end.
        assert_eq!(poll(&mut rx), Poll::Ready(Some(2)));
        assert_eq!(poll(&mut rx), Poll::Ready(None));
    }

    #[test]
    fn a_send_after_the_receiver_is_gone_gives_the_message_back() {
        let (tx, rx) = unbounded();
        tx.send(String::from("kept")).unwrap();
        drop(rx);
        let SendError(back) = tx.send(String::from("back")).unwrap_err();
        assert_eq!(back, "back");
    }

    #[test]
    fn an_erased_sender_counts_as_a_sender_and_converts_its_messages() {
        let (tx, mut rx) = unbounded::<u64>();
        let erased = tx.erased::<u32>();
        drop(tx);
        erased.send(7).unwrap();
        let again = erased.clone();
        drop(erased);
        assert_eq!(poll(&mut rx), Poll::Ready(Some(7)));
        assert_eq!(poll(&mut rx), Poll::Pending);
        drop(again);
        assert_eq!(poll(&mut rx), Poll::Ready(None));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_senders_on_other_threads_lose_nothing() {
        let (tx, mut rx) = unbounded::<u64>();
        let mut tasks = Vec::new();
        for t in 0..4u64 {
            let tx = tx.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10_000u64 {
                    tx.send(t * 1_000_000 + i).unwrap();
                    if i % 100 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            }));
        }
        drop(tx);
        let mut last = [None::<u64>; 4];
        let mut count = 0;
        while let Some(v) = std::future::poll_fn(|cx| rx.poll_recv(cx)).await {
            let (t, i) = ((v / 1_000_000) as usize, v % 1_000_000);
            // Each sender's messages in its order.
            assert!(last[t].is_none_or(|l| l < i));
            last[t] = Some(i);
            count += 1;
        }
        assert_eq!(count, 40_000);
        for t in tasks {
            t.await.unwrap();
        }
    }
}
