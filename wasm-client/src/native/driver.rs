//! The native driver: owns one core [`Client`] behind a mutex and feeds it every input, as the
//! browser's driver does (ARCHITECTURE.md's one rule):
//!
//! ```text
//! input (a transport's event or the timer, on the IO task; a command, on the caller's thread)
//!   -> lock; Client::handle_* / command
//!   -> drain poll_transmit (sent to the IO task, in order, under the lock)
//!   -> drain poll_event (queued), tell the IO task the one deadline (poll_timeout) if it moved
//!   -> unlock; deliver the queued events, one at a time, with no lock held
//! ```
//!
//! One caller at a time delivers (the `dispatching` flag): events queued by a handler's emit, or
//! by another thread meanwhile, are delivered by it after the current one, so handlers see events
//! in the order the core produced them and never re-enter each other.
//!
//! Ownership: the IO task holds the driver. When the last handle goes, the client is told to close
//! and the task to finish that close ([`Driver::release`]): it performs the close, feeding the
//! client what its transports answer meanwhile, and ends once nothing is in flight (or after a
//! short grace), dropping the driver.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use proto::Instant;
use proto::client::{Client, Config, Event};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::TransportOptions;
use super::io::{self, Feed, ToIo};

/// There is no tokio runtime to spawn the IO task on.
#[derive(Debug)]
pub(crate) struct NoRuntime;

/// Where the driver's events go (the typed API's sink).
pub(crate) trait Sink: Sized + Send + Sync + 'static {
    /// Delivers one event. No lock of the driver is held: the sink may call back into it.
    fn deliver(driver: &Driver<Self>, event: Event);
}

/// A shared handle on one driver.
pub(crate) struct Driver<S: Sink>(Arc<Inner<S>>);

impl<S: Sink> Clone for Driver<S> {
    fn clone(&self) -> Self {
        Driver(Arc::clone(&self.0))
    }
}

/// A handle that does not keep the driver alive.
pub(crate) struct WeakDriver<S: Sink>(Weak<Inner<S>>);

impl<S: Sink> WeakDriver<S> {
    /// The driver, unless it is gone.
    pub(crate) fn upgrade(&self) -> Option<Driver<S>> {
        self.0.upgrade().map(Driver)
    }
}

struct Inner<S> {
    state: Mutex<State>,
    sink: S,
}

struct State {
    client: Client,
    /// To the IO task: transmits, in the order the client produced them, and deadlines.
    io: UnboundedSender<ToIo>,
    /// Events drained from the client and not yet delivered.
    events: VecDeque<Event>,
    /// Whether a caller is delivering events now.
    dispatching: bool,
    /// The deadline the IO task was last told.
    deadline: Option<Instant>,
    /// The latest clock the client was given: the clock never goes back.
    latest: Instant,
}

impl<S: Sink> Driver<S> {
    /// A driver for `config` (connecting at once with `auto_connect`), reporting to `sink`, with
    /// its IO task spawned on the current tokio runtime.
    pub(crate) fn new(
        config: Config,
        options: TransportOptions,
        sink: S,
    ) -> Result<Self, NoRuntime> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NoRuntime)?;
        let (tx, rx) = unbounded_channel();
        let now = io::now();
        let driver = Driver(Arc::new(Inner {
            state: Mutex::new(State {
                client: Client::new(now, config, seed()),
                io: tx,
                events: VecDeque::new(),
                dispatching: false,
                deadline: None,
                latest: now,
            }),
            sink,
        }));
        runtime.spawn(io::run(driver.clone(), options, rx));
        driver.pump();
        Ok(driver)
    }

    /// A handle that does not keep the driver alive.
    pub(crate) fn downgrade(&self) -> WeakDriver<S> {
        WeakDriver(Arc::downgrade(&self.0))
    }

    /// The sink.
    pub(crate) fn sink(&self) -> &S {
        &self.0.sink
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it but the core, which never does on input.
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the client's state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        f(&self.lock().client)
    }

    /// Runs one input or command against the client, then pumps.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        self.input(false, f)
    }

    fn input<R>(&self, timer_spent: bool, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        let r = {
            let mut state = self.lock();
            let now = io::now().max(state.latest);
            state.latest = now;
            let r = f(&mut state.client, now);
            drain(&mut state, timer_spent);
            r
        };
        self.deliver();
        r
    }

    /// Every handle is gone and the client was told to close: the IO task finishes the close,
    /// then ends (and with it the driver).
    pub(crate) fn release(&self) {
        let _ = self.lock().io.send(ToIo::Released);
    }

    /// The timer fired: the client's deadline passed. The IO task's timer is spent, so the next
    /// deadline is sent to it even if the client's has not moved.
    pub(crate) fn timeout(&self) {
        self.input(true, |c, now| c.handle_timeout(now));
    }

    /// Drains the client and delivers its events (after a command that did not).
    pub(crate) fn pump(&self) {
        self.with(|_, _| ());
    }

    /// Delivers the queued events one at a time, unless a caller further up (or on another
    /// thread) is doing so: it delivers these after its current one.
    fn deliver(&self) {
        {
            let mut state = self.lock();
            if state.dispatching {
                return;
            }
            state.dispatching = true;
        }
        // Clears the flag even if a handler panics, so that later events are still delivered.
        struct Dispatching<'a, S: Sink>(&'a Driver<S>);
        impl<S: Sink> Drop for Dispatching<'_, S> {
            fn drop(&mut self) {
                self.0.lock().dispatching = false;
            }
        }
        let guard = Dispatching(self);
        loop {
            // Taken and found empty under one lock: an event queued meanwhile is never stranded.
            let event = {
                let mut state = self.lock();
                match state.events.pop_front() {
                    Some(event) => event,
                    None => {
                        state.dispatching = false;
                        drop(state);
                        std::mem::forget(guard);
                        return;
                    }
                }
            };
            S::deliver(self, event);
        }
    }
}

impl<S: Sink> Feed for Driver<S> {
    fn with(&self, f: impl FnOnce(&mut Client, Instant)) {
        Driver::with(self, f);
    }

    fn timeout(&self) {
        Driver::timeout(self);
    }
}

/// Drains every transmit (to the IO task, in order) and event (queued), and tells the IO task
/// the client's next deadline if it moved (or if its timer is spent).
fn drain(state: &mut State, timer_spent: bool) {
    let State {
        client, io, events, ..
    } = state;
    while let Some((engine, transmit)) = client.poll_transmit() {
        // A send fails only once the IO task is gone (the runtime shut down): nothing can be
        // performed then anyway.
        let _ = io.send(ToIo::Transmit(engine, transmit));
    }
    while let Some(e) = client.poll_event() {
        events.push_back(e);
    }
    let deadline = client.poll_timeout();
    if deadline != state.deadline || timer_spent {
        state.deadline = deadline;
        let _ = state.io.send(ToIo::Deadline(deadline));
    }
}

/// A seed for the client's randomness (reconnection jitter, cache-busting tokens): std's
/// per-process random hash keys.
fn seed() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(io::now().as_millis())
}
