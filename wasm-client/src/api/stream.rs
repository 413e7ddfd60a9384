//! The streams of events ([`Events`], [`ManagerEvents`]) and the acknowledgement future
//! ([`AckFuture`]): each reads a queue that the driver's sink fills and wakes.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::VecDeque;

use super::event::{ManagerEvent, SocketEvent};
use super::shared::{Lock, Shared};
use super::{AckError, Args, Error, Stream};

/// Events published and not yet read, and the task waiting for the next.
pub(super) struct EventQueue<T> {
    events: VecDeque<T>,
    waker: Option<Waker>,
    closed: bool,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            events: VecDeque::new(),
            waker: None,
            closed: false,
        }
    }
}

impl<T> EventQueue<T> {
    pub(super) fn push(&mut self, event: T) {
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
}

impl Events {
    /// The next event (`None` once the connection is dropped).
    pub async fn next(&mut self) -> Option<SocketEvent> {
        core::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
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
