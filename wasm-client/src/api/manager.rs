//! [`Manager`]: one connection to a server, its socket.io-client option accessors and its event
//! stream. Its sockets are made by [`Manager::socket`], beside [`Socket`](super::Socket) in
//! `socket.rs` (the layer above this one).

use core::time::Duration;

use proto::url::ServerUrl;
#[cfg(not(feature = "native"))]
use wasm_bindgen::prelude::*;

use super::driver::Driver;
use super::shared::{Lock, Shared, WeakShared};
use super::sink::RustSink;
use super::stream::{DEFAULT_EVENTS_CAPACITY, EventQueue, ManagerEvents, Overflow};
use super::{Error, Options, Transport};

#[cfg(not(feature = "native"))]
#[wasm_bindgen]
extern "C" {
    /// `globalThis.addEventListener(type, listener)`; fails where there is none (Node.js).
    #[wasm_bindgen(js_namespace = globalThis, js_name = addEventListener, catch)]
    fn add_event_listener(kind: &str, listener: &js_sys::Function) -> Result<(), JsValue>;
    /// `globalThis.removeEventListener(type, listener)`.
    #[wasm_bindgen(js_namespace = globalThis, js_name = removeEventListener, catch)]
    fn remove_event_listener(kind: &str, listener: &js_sys::Function) -> Result<(), JsValue>;
}

/// Closes the connection when the last handle on it goes.
struct Owner {
    driver: Driver<RustSink>,
    /// The page's `offline` listener, while registered.
    #[cfg(not(feature = "native"))]
    offline: Option<Closure<dyn FnMut()>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        #[cfg(not(feature = "native"))]
        if let Some(listener) = self.offline.take() {
            let _ = remove_event_listener("offline", listener.as_ref().unchecked_ref());
        }
        self.driver.with(|c, now| c.close(now));
        #[cfg(feature = "native")]
        self.driver.release();
    }
}

/// One connection to a server, shared by the sockets of its namespaces.
#[derive(Clone)]
pub struct Manager {
    owner: Shared<Owner>,
    /// The sockets' auth, retries and ack timeout, unless given their own.
    pub(super) options: Options,
}

impl Manager {
    /// A manager for `url` (`http(s)://` or `ws(s)://`; its path is ignored). With
    /// `auto_connect` it connects at once.
    ///
    /// Natively (feature `native`) it must be called from inside a tokio runtime: the connection's
    /// transports run on a task of their own, spawned here.
    #[cfg(feature = "native")]
    pub fn new(url: &str, options: Options) -> Result<Manager, Error> {
        let server = ServerUrl::parse(url)?;
        let (config, transport) = options.config(server)?;
        let driver =
            Driver::new(config, transport, RustSink::default()).map_err(|_| Error::NoRuntime)?;
        Ok(Manager {
            owner: Shared::new(Owner { driver }),
            options,
        })
    }

    /// A manager for `url` (`http(s)://` or `ws(s)://`; its path is ignored). With
    /// `auto_connect` it connects at once.
    #[cfg(not(feature = "native"))]
    pub fn new(url: &str, options: Options) -> Result<Manager, Error> {
        let server = ServerUrl::parse(url)?;
        let (config, poll) = options.config(server)?;
        if let Some(name) = crate::missing_global(&config.engine.transports) {
            return Err(Error::MissingGlobal(name));
        }
        let driver = Driver::new(config, poll, RustSink::default());
        // As the reference, the transport closes as soon as the browser goes offline rather than
        // at the next ping timeout. The listener does not keep the connection alive.
        let weak = driver.downgrade();
        let listener = Closure::<dyn FnMut()>::new(move || {
            if let Some(driver) = weak.upgrade() {
                driver.with(|c, now| c.handle_offline(now));
            }
        });
        let offline = add_event_listener("offline", listener.as_ref().unchecked_ref())
            .is_ok()
            .then_some(listener);
        Ok(Manager {
            owner: Shared::new(Owner { driver, offline }),
            options,
        })
    }

    pub(super) fn driver(&self) -> &Driver<RustSink> {
        &self.owner.driver
    }

    /// A handle that does not keep the connection open.
    pub(super) fn downgrade(&self) -> WeakManager {
        WeakManager {
            owner: Shared::downgrade(&self.owner),
            options: self.options.clone(),
        }
    }

    /// The manager's and its engine's events from now on. Each call gives a stream of its own;
    /// it ends when the connection is dropped. It holds at most [`DEFAULT_EVENTS_CAPACITY`] unread
    /// events, then drops the oldest ([`Overflow::DropOldest`]; see [`Manager::events_with`]).
    pub fn events(&self) -> ManagerEvents {
        self.events_with(DEFAULT_EVENTS_CAPACITY, Overflow::default())
    }

    /// As [`Manager::events`], holding at most `capacity` unread events (1 at least), then
    /// dropping one by the `overflow` policy; [`ManagerEvents::dropped`] counts them.
    pub fn events_with(&self, capacity: usize, overflow: Overflow) -> ManagerEvents {
        let queue = Shared::new(Lock::new(EventQueue::new(capacity, overflow)));
        self.driver()
            .sink()
            .manager_subscribers
            .borrow_mut()
            .push(Shared::downgrade(&queue));
        ManagerEvents { queue }
    }

    /// Closes the transport at once, as the browser's `offline` event does (in the browser the
    /// manager listens for it itself): the manager then reconnects. Ignored for a `localhost` server, as the
    /// reference ignores it, since loopback stays up offline.
    pub fn offline(&self) {
        self.driver().with(|c, now| c.handle_offline(now));
    }

    /// Whether the manager reconnects after a lost connection (`reconnection()`).
    pub fn reconnection(&self) -> bool {
        self.driver().read(|c| c.manager().config().reconnection)
    }

    /// Turns reconnection on or off (`reconnection(v)`); off also cancels a reconnection
    /// already scheduled.
    pub fn set_reconnection(&self, on: bool) {
        self.driver().with(|c, _| c.set_reconnection(on));
    }

    /// Attempts before giving up, `None` for no limit (`reconnectionAttempts()`).
    pub fn reconnection_attempts(&self) -> Option<u32> {
        self.driver()
            .read(|c| c.manager().config().reconnection_attempts)
    }

    /// Sets the attempts before giving up (`reconnectionAttempts(v)`), from the next reconnection.
    pub fn set_reconnection_attempts(&self, attempts: Option<u32>) {
        self.driver()
            .with(|c, _| c.set_reconnection_attempts(attempts));
    }

    /// The first reconnection delay (`reconnectionDelay()`).
    pub fn reconnection_delay(&self) -> Duration {
        self.driver()
            .read(|c| c.manager().config().reconnection_delay)
    }

    /// Sets the first reconnection delay (`reconnectionDelay(v)`), from the next delay computed.
    pub fn set_reconnection_delay(&self, delay: Duration) {
        self.driver().with(|c, _| c.set_reconnection_delay(delay));
    }

    /// The largest reconnection delay (`reconnectionDelayMax()`).
    pub fn reconnection_delay_max(&self) -> Duration {
        self.driver()
            .read(|c| c.manager().config().reconnection_delay_max)
    }

    /// Sets the largest reconnection delay (`reconnectionDelayMax(v)`).
    pub fn set_reconnection_delay_max(&self, delay: Duration) {
        self.driver()
            .with(|c, _| c.set_reconnection_delay_max(delay));
    }

    /// The jitter of the reconnection delay (`randomizationFactor()`).
    pub fn randomization_factor(&self) -> f64 {
        self.driver()
            .read(|c| c.manager().config().randomization_factor)
    }

    /// Sets the jitter of the reconnection delay, 0 to 1 (`randomizationFactor(v)`).
    pub fn set_randomization_factor(&self, factor: f64) {
        self.driver()
            .with(|c, _| c.set_randomization_factor(factor));
    }

    /// The connection timeout, `None` for none (`timeout()`).
    pub fn timeout(&self) -> Option<Duration> {
        self.driver().read(|c| c.manager().config().timeout)
    }

    /// Sets the connection timeout (`timeout(v)`), from the next connection attempt.
    pub fn set_timeout(&self, timeout: Option<Duration>) {
        self.driver().with(|c, _| c.set_timeout(timeout));
    }

    /// Opens the connection (after `auto_connect: false`, or a [`Manager::close`]).
    pub fn open(&self) {
        self.driver().with(|c, now| c.open(now));
    }

    /// Closes the connection, with no reconnection.
    pub fn close(&self) {
        self.driver().with(|c, now| c.close(now));
    }

    /// The transport the connection runs on, while there is one.
    pub fn transport(&self) -> Option<Transport> {
        self.driver()
            .read(|c| c.engine().and_then(|(_, s)| s.transport()))
    }
}

/// A [`Manager`] handle that does not keep the connection open (a
/// [`WeakSocket`](super::WeakSocket)'s).
#[derive(Clone)]
pub(super) struct WeakManager {
    owner: WeakShared<Owner>,
    options: Options,
}

impl WeakManager {
    /// The manager, while some [`Manager`] or [`Socket`](super::Socket) keeps it.
    pub(super) fn upgrade(&self) -> Option<Manager> {
        Some(Manager {
            owner: self.owner.upgrade()?,
            options: self.options.clone(),
        })
    }
}

impl PartialEq for Manager {
    /// The same connection (handles compare by identity, not by options).
    fn eq(&self, other: &Manager) -> bool {
        Shared::ptr_eq(&self.owner, &other.owner)
    }
}

impl Eq for Manager {}

impl core::fmt::Debug for Manager {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}
