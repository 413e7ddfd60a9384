//! A write deadline for a peer that has stopped reading: a write that makes no progress for the
//! timeout fails with `TimedOut`, which closes the connection.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

/// Armed when a write stalls (the socket takes nothing), disarmed when it makes progress. A
/// peer that reads slowly but reads keeps its connection; one that stopped does not.
#[derive(Debug)]
pub struct StallTimer {
    timeout: Duration,
    /// Allocated when a write first stalls: most connections never fill their socket buffer.
    sleep: Option<Pin<Box<Sleep>>>,
    stalled: bool,
}

impl StallTimer {
    /// A timer that fails a write once it has stalled for `timeout`.
    pub fn new(timeout: Duration) -> Self {
        StallTimer {
            timeout,
            sleep: None,
            stalled: false,
        }
    }

    /// Some bytes were written: the peer reads, if slowly.
    pub fn progressed(&mut self) {
        self.stalled = false;
    }

    /// Passes a write's outcome through: a `Pending` one arms the timer (and registers `cx` with
    /// it), and becomes `TimedOut` once the write has stalled for the whole timeout.
    pub fn check<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if poll.is_ready() {
            self.stalled = false;
            return poll;
        }
        if !self.stalled {
            self.stalled = true;
            let deadline = tokio::time::Instant::now() + self.timeout;
            match &mut self.sleep {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        let fired = self
            .sleep
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
        if fired {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the peer stopped reading: write timeout",
            )));
        }
        Poll::Pending
    }
}
