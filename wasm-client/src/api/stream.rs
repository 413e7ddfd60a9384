//! The streams of events ([`Events`], [`ManagerEvents`]) and the acknowledgement future
//! ([`AckFuture`]): each reads a queue that the driver's sink fills and wakes. A stream's queue is
//! bounded ([`DEFAULT_EVENTS_CAPACITY`] events unless given another capacity): when it is full, its
//! [`Overflow`] policy drops an event and the stream counts it ([`Events::dropped`]).

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;

use super::event::{ManagerEvent, SocketEvent};
use super::shared::{Lock, Shared};
use super::{AckError, Args, Error, Stream};

/// How many unread events a stream holds ([`Socket::events`](super::Socket::events),
/// [`Manager::events`](super::Manager::events)) before its [`Overflow`] policy drops one.
pub const DEFAULT_EVENTS_CAPACITY: usize = 1024;

/// What a full event stream does with one more event. Either way the stream counts what it
/// dropped ([`Events::dropped`], [`ManagerEvents::dropped`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Drops the oldest unread event to make room (the default): a slow reader sees the latest
    /// events.
    #[default]
    DropOldest,
    /// Drops the new event: a slow reader sees the first events, and misses the latest.
    DropNewest,
}

/// Events published and not yet read, and the task waiting for the next.
pub(super) struct EventQueue<T> {
    events: VecDeque<T>,
    capacity: usize,
    overflow: Overflow,
    dropped: u64,
    waker: Option<Waker>,
    closed: bool,
}

impl<T> EventQueue<T> {
    /// A queue of at most `capacity` events (1 at least).
    pub(super) fn new(capacity: usize, overflow: Overflow) -> Self {
        EventQueue {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            overflow,
            dropped: 0,
            waker: None,
            closed: false,
        }
    }

    pub(super) fn push(&mut self, event: T) {
        if self.events.len() >= self.capacity {
            self.dropped += 1;
            match self.overflow {
                Overflow::DropOldest => drop(self.events.pop_front()),
                // The reader was woken by the events already queued.
                Overflow::DropNewest => return,
            }
        }
        self.events.push_back(event);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    pub(super) fn close(&mut self) {
        self.closed = true;
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.events.pop_front() {
            Some(event) => Poll::Ready(Some(event)),
            None if self.closed => Poll::Ready(None),
            None => {
                self.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[derive(Default)]
/// Where an acknowledgement's arguments land, and the task waiting for them.
pub(super) struct AckSlot {
    pub(super) result: Option<Result<Args, AckError>>,
    pub(super) waker: Option<Waker>,
}

/// A stream of [`SocketEvent`]s.
pub struct Events {
    pub(super) queue: Shared<Lock<EventQueue<SocketEvent>>>,
}

impl Stream for Events {
    type Item = SocketEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        self.queue.borrow_mut().poll(cx)
    }
}

/// A stream of [`ManagerEvent`]s.
pub struct ManagerEvents {
    pub(super) queue: Shared<Lock<EventQueue<ManagerEvent>>>,
}

impl Stream for ManagerEvents {
    type Item = ManagerEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ManagerEvent>> {
        self.queue.borrow_mut().poll(cx)
    }
}

impl ManagerEvents {
    /// The next event (`None` once the connection is dropped).
    pub async fn next(&mut self) -> Option<ManagerEvent> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// How many events this stream dropped so far because it was full (see [`Overflow`]).
    pub fn dropped(&self) -> u64 {
        self.queue.borrow().dropped
    }
}

impl Events {
    /// The next event (`None` once the connection is dropped).
    pub async fn next(&mut self) -> Option<SocketEvent> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// How many events this stream dropped so far because it was full (see [`Overflow`]).
    pub fn dropped(&self) -> u64 {
        self.queue.borrow().dropped
    }
}

/// The arguments of an acknowledgement to come.
pub struct AckFuture {
    pub(super) slot: Shared<Lock<AckSlot>>,
    pub(super) error: Option<Error>,
}

impl core::future::Future for AckFuture {
    type Output = Result<Args, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        let mut slot = self.slot.borrow_mut();
        match slot.result.take() {
            Some(result) => Poll::Ready(result.map_err(Error::Ack)),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EventQueue, Overflow};

    fn queue_of(overflow: Overflow) -> EventQueue<u32> {
        let mut queue = EventQueue::new(3, overflow);
        for n in 1..=5 {
            queue.push(n);
        }
        queue
    }

    #[test]
    fn a_full_queue_drops_by_its_policy_and_counts() {
        let oldest = queue_of(Overflow::DropOldest);
        assert_eq!(Vec::from(oldest.events), [3, 4, 5]);
        assert_eq!(oldest.dropped, 2);
        let newest = queue_of(Overflow::DropNewest);
        assert_eq!(Vec::from(newest.events), [1, 2, 3]);
        assert_eq!(newest.dropped, 2);
    }

    #[test]
    fn a_zero_capacity_holds_one() {
        let mut queue = EventQueue::new(0, Overflow::DropOldest);
        queue.push(1);
        queue.push(2);
        assert_eq!(Vec::from(queue.events), [2]);
        assert_eq!(queue.dropped, 1);
    }
}
