//! [`Manager`]: one connection to a server, its socket.io-client option accessors and its event
//! stream. Its sockets are made by [`Manager::socket`], beside [`Socket`](super::Socket) in
//! `socket.rs` (the layer above this one).

use core::time::Duration;
use std::cell::RefCell;
use std::rc::Rc;

use proto::url::ServerUrl;
use wasm_bindgen::prelude::*;

use super::sink::RustSink;
use super::stream::{EventQueue, ManagerEvents};
use super::{Error, Options, Transport};
use crate::driver::Driver;

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
    offline: Option<Closure<dyn FnMut()>>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(listener) = self.offline.take() {
            let _ = remove_event_listener("offline", listener.as_ref().unchecked_ref());
        }
        self.driver.with(|c, now| c.close(now));
    }
}

/// One connection to a server, shared by the sockets of its namespaces.
#[derive(Clone)]
pub struct Manager {
    owner: Rc<Owner>,
    /// The sockets' auth, retries and ack timeout, unless given their own.
    pub(super) options: Options,
}

impl Manager {
    /// A manager for `url` (`http(s)://` or `ws(s)://`; its path is ignored). With
    /// `auto_connect` it connects at once.
    pub fn new(url: &str, options: Options) -> Result<Manager, Error> {
        let server = ServerUrl::parse(url)?;
        let (config, poll) = options.config(server);
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
            owner: Rc::new(Owner { driver, offline }),
            options,
        })
    }

    pub(super) fn driver(&self) -> &Driver<RustSink> {
        &self.owner.driver
    }

    /// The manager's and its engine's events from now on. Each call gives a stream of its own;
    /// it ends when the connection is dropped.
    pub fn events(&self) -> ManagerEvents {
        let queue = Rc::new(RefCell::new(EventQueue::default()));
        self.driver()
            .sink()
            .manager_subscribers
            .borrow_mut()
            .push(Rc::downgrade(&queue));
        ManagerEvents { queue }
    }

    /// Closes the transport at once, as the browser's `offline` event does (the manager listens
    /// for it itself): the manager then reconnects. Ignored for a `localhost` server, as the
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

/// Managers are equal when they are handles on the same connection.
impl PartialEq for Manager {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.owner, &other.owner)
    }
}
