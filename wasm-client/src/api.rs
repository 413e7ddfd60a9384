//! The typed Rust API (feature `rust-api`): for Yew and other Rust front ends, with no JS value
//! in sight. Payloads are serde types, acknowledgements are futures, and a socket's lifecycle is a
//! [`Stream`] of [`SocketEvent`]s.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sockeye_client::Error> {
//! use sockeye_client::{Options, Socket};
//!
//! let socket = Socket::connect("https://chat.example.com/", Options::default())?;
//! socket.on("message", |text: String| web_sys_log(&text));
//! socket.emit("message", &"hello")?;
//! let count: u32 = socket.emit_with_ack("count", &()).await?;
//! # let _ = count; Ok(()) }
//! # fn web_sys_log(_: &str) {}
//! ```
//!
//! Arguments map to Rust values by one rule, the same when sending and receiving: `()` is no
//! argument, a tuple several, any other value one (the crate docs' [Arguments](crate#arguments)).
//! With connection state recovery on, the server appends an offset to its events; this API
//! strips it, so handlers see only the event's own arguments.
//!
//! The [`Manager`] has socket.io-client's option accessors (`reconnection`,
//! `reconnection_attempts`, `reconnection_delay`, `reconnection_delay_max`,
//! `randomization_factor`, `timeout`, each with a `set_` twin that takes effect from the next
//! reconnection on), and [`Manager::events`] streams its and its engine's events (`open`, `ping`,
//! `close` with the reference's description, `reconnect_attempt` ..., `upgrade`). It listens for
//! the page's `offline` event itself, as the reference does.

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use proto::client::{Config, Event as CoreEvent};
use proto::socket::client::{self as socket_client, Auth, Emit, SocketId, SocketOptions};
use proto::socket::packet::{AckId, Nsp};
use proto::url::{EngineUrl, ServerUrl};
use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned};
use serde_json::Value;

use wasm_bindgen::prelude::*;

use crate::driver::{Driver, Sink, WeakDriver};
use crate::transport::polling::PollOptions;

mod payload;

pub use payload::{Args, Binary, IntoPayload, Payload};

pub use futures_core::Stream;
pub use proto::client::CloseDescription;
pub use proto::engine::client::{ProbeError, TransportError};
pub use proto::engine::{CloseReason as EngineCloseReason, Transport};
pub use proto::socket::args::de::Error as DeserializeError;
pub use proto::socket::args::ser::Error as SerializeError;
pub use proto::socket::client::{AckError, ConnectionError, DisconnectReason};

#[wasm_bindgen]
extern "C" {
    /// `globalThis.addEventListener(type, listener)`; fails where there is none (Node.js).
    #[wasm_bindgen(js_namespace = globalThis, js_name = addEventListener, catch)]
    fn add_event_listener(kind: &str, listener: &js_sys::Function) -> Result<(), JsValue>;
    /// `globalThis.removeEventListener(type, listener)`.
    #[wasm_bindgen(js_namespace = globalThis, js_name = removeEventListener, catch)]
    fn remove_event_listener(kind: &str, listener: &js_sys::Function) -> Result<(), JsValue>;
}

/// Why an operation of the Rust API failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server URL cannot be used.
    #[error("invalid url: {0}")]
    Url(#[from] proto::url::UrlError),
    /// The namespace name is too long or has a comma.
    #[error("{0}")]
    Namespace(#[from] proto::socket::packet::InvalidNsp),
    /// The auth payload could not be serialized.
    #[error("auth: {0}")]
    Json(#[from] serde_json::Error),
    /// A payload could not be serialized (its `Serialize` failed), or what it serialized to is
    /// not arguments the core can carry.
    #[error("payload: {0}")]
    Serialize(#[from] SerializeError),
    /// Received arguments do not read as the type asked for.
    #[error("payload: {0}")]
    Deserialize(#[from] DeserializeError),
    /// The core refused the emit (a reserved event name, say).
    #[error("{0}")]
    Emit(#[from] socket_client::EmitError),
    /// The auth payload is not a JSON object.
    #[error("{0}")]
    Auth(#[from] socket_client::AuthError),
    /// The acknowledgement will not come.
    #[error("{0}")]
    Ack(#[from] AckError),
    /// The acknowledgement has no argument to read.
    #[error("the acknowledgement has no argument {0}")]
    MissingArgument(usize),
    /// The browser lacks what the transports need (a global `WebSocket` or `fetch`).
    #[error("no global {0} in this environment")]
    MissingGlobal(&'static str),
}

/// The connection's options: socket.io-client's, with the same defaults.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The Engine.IO path (default `/socket.io/`).
    pub path: String,
    /// Query parameters sent with every request.
    pub query: Vec<(String, String)>,
    /// Transports in order of preference (default long-polling, then WebSocket).
    pub transports: Vec<Transport>,
    /// Upgrade from long-polling to WebSocket (default true).
    pub upgrade: bool,
    /// Open on WebSocket directly when the last WebSocket worked (default false).
    pub remember_upgrade: bool,
    /// Try the next transport when the first fails to connect (default false).
    pub try_all_transports: bool,
    /// Cache-busting `t` parameter: `None` on polling only (the default), or on every request or none.
    pub timestamp_requests: Option<bool>,
    /// Reconnect automatically (default true).
    pub reconnection: bool,
    /// Attempts before giving up (default unlimited).
    pub reconnection_attempts: Option<u32>,
    /// First reconnection delay (default 1 s).
    pub reconnection_delay: Duration,
    /// Largest reconnection delay (default 5 s).
    pub reconnection_delay_max: Duration,
    /// Jitter of the reconnection delay, 0 to 1 (default 0.5).
    pub randomization_factor: f64,
    /// Connection timeout (default 20 s; `None` waits forever).
    pub timeout: Option<Duration>,
    /// Connect at once (default true).
    pub auto_connect: bool,
    /// Default acknowledgement timeout (default none).
    pub ack_timeout: Option<Duration>,
    /// Resend unacknowledged emits up to this many times (default 0).
    pub retries: u32,
    /// Send cookies with cross-origin long-polling requests (default false).
    pub with_credentials: bool,
    /// Headers added to long-polling requests.
    pub extra_headers: Vec<(String, String)>,
    /// The CONNECT payload: a JSON object.
    pub auth: Option<Value>,
}

impl Default for Options {
    fn default() -> Self {
        let config = socket_client::Config::default();
        Options {
            path: String::from("/socket.io/"),
            query: Vec::new(),
            transports: vec![Transport::Polling, Transport::WebSocket],
            upgrade: true,
            remember_upgrade: false,
            try_all_transports: false,
            timestamp_requests: None,
            reconnection: config.reconnection,
            reconnection_attempts: config.reconnection_attempts,
            reconnection_delay: config.reconnection_delay,
            reconnection_delay_max: config.reconnection_delay_max,
            randomization_factor: config.randomization_factor,
            timeout: config.timeout,
            auto_connect: config.auto_connect,
            ack_timeout: config.ack_timeout,
            retries: config.retries,
            with_credentials: false,
            extra_headers: Vec::new(),
            auth: None,
        }
    }
}

impl Options {
    /// Sets the CONNECT payload (a value serializing to a JSON object).
    pub fn with_auth<T: Serialize + ?Sized>(mut self, auth: &T) -> Result<Self, Error> {
        self.auth = Some(serde_json::to_value(auth)?);
        Ok(self)
    }

    /// Sets the transports.
    pub fn with_transports(mut self, transports: impl Into<Vec<Transport>>) -> Self {
        self.transports = transports.into();
        self
    }

    fn config(&self, server: ServerUrl) -> (Config, PollOptions) {
        let query = if server.query.is_empty() {
            self.query.clone()
        } else {
            server.query.clone()
        };
        let mut config = Config::new(EngineUrl {
            server,
            path: self.path.clone(),
            query,
        });
        let engine = &mut config.engine;
        engine.transports = self.transports.clone();
        engine.upgrade = self.upgrade;
        engine.remember_upgrade = self.remember_upgrade;
        engine.try_all_transports = self.try_all_transports;
        engine.timestamp_requests = self.timestamp_requests;
        let manager = &mut config.manager;
        manager.reconnection = self.reconnection;
        manager.reconnection_attempts = self.reconnection_attempts;
        manager.reconnection_delay = self.reconnection_delay;
        manager.reconnection_delay_max = self.reconnection_delay_max;
        manager.randomization_factor = self.randomization_factor;
        manager.timeout = self.timeout;
        manager.auto_connect = self.auto_connect;
        manager.ack_timeout = self.ack_timeout;
        manager.retries = self.retries;
        let poll = PollOptions {
            with_credentials: self.with_credentials,
            extra_headers: self.extra_headers.clone(),
        };
        (config, poll)
    }

    fn socket_options(&self) -> Result<SocketOptions, Error> {
        let auth = match &self.auth {
            Some(auth) => Auth::object(serde_json::to_string(auth)?)?,
            None => Auth::NONE,
        };
        let mut options = SocketOptions::new(auth);
        options.retries = self.retries;
        options.ack_timeout = self.ack_timeout;
        Ok(options)
    }
}

/// An event the server emitted.
#[derive(Debug)]
pub struct Event {
    name: String,
    args: Args,
    ack: Option<AckSender>,
}

impl Event {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its arguments (without the name, nor the recovery offset).
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// Whether the server waits for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Its arguments as `T`, by the [rule](crate#arguments) (a tuple takes several, `()` none,
    /// any other type the first).
    pub fn data<'de, T: Deserialize<'de>>(&'de self) -> Result<T, Error> {
        self.args.data()
    }

    /// Acknowledges the event with `payload` (`&()` for no argument, a tuple for several). Only
    /// the first call sends; it does nothing for an event the server did not ask an
    /// acknowledgement for.
    pub fn ack(&self, payload: impl IntoPayload) -> Result<(), Error> {
        let Some(sender) = &self.ack else {
            return Ok(());
        };
        if sender.sent.replace(true) {
            return Ok(());
        }
        let Some(driver) = sender.driver.upgrade() else {
            return Ok(());
        };
        let args = payload.into_payload()?.into_args(None)?;
        driver.with(|c, now| c.ack(now, sender.socket, sender.id, args))?;
        Ok(())
    }
}

struct AckSender {
    driver: WeakDriver<RustSink>,
    socket: SocketId,
    id: AckId,
    sent: Cell<bool>,
}

impl core::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AckSender").field("id", &self.id).finish()
    }
}

/// Why the server refused the namespace (`connect_error`).
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// The error's message.
    pub message: String,
    /// The `data` a server middleware attached, if any.
    pub data: Option<Value>,
}

/// A socket's lifecycle and its events, as [`Socket::events`] streams them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// Connected to the namespace.
    Connect,
    /// The connection attempt failed, or the server refused the namespace.
    ConnectError(ConnectError),
    /// Disconnected; unless the reason is deliberate, the manager reconnects.
    Disconnect(Disconnection),
    /// An event from the server.
    Event {
        /// Its name.
        name: String,
        /// Its arguments.
        args: Args,
    },
}

/// Why a socket disconnected: the reference's `disconnect` event arguments `(reason,
/// description)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Disconnection {
    /// Why.
    pub reason: DisconnectReason,
    /// What closed the connection, when the reference says: a lost transport's detail (none for a
    /// deliberate disconnection, a ping timeout or a parse error).
    pub description: Option<CloseDescription>,
}

impl Disconnection {
    /// A disconnection for `reason`, with no description.
    pub fn new(reason: DisconnectReason) -> Self {
        Disconnection {
            reason,
            description: None,
        }
    }
}

impl From<DisconnectReason> for Disconnection {
    fn from(reason: DisconnectReason) -> Self {
        Disconnection::new(reason)
    }
}

/// The manager's and its engine's events, as [`Manager::events`] streams them (the reference's
/// `socket.io.on(...)` and `socket.io.engine.on(...)`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ManagerEvent {
    /// The engine opened (`open`).
    Open,
    /// The engine could not open (`error`).
    Error(ConnectionError),
    /// The server pinged (`ping`).
    Ping,
    /// The engine closed (`close`): the reason, and what closed it when the reference says.
    Close {
        /// Why, in Engine.IO's words (`"transport close"` ...).
        reason: EngineCloseReason,
        /// The lost transport's detail (`"network connection lost"` after the browser's
        /// `offline` event ...).
        description: Option<CloseDescription>,
    },
    /// A reconnection attempt starts, numbered from 1 (`reconnect_attempt`).
    ReconnectAttempt(u32),
    /// Reconnected after this many attempts (`reconnect`).
    Reconnect(u32),
    /// A reconnection attempt failed (`reconnect_error`).
    ReconnectError(ConnectionError),
    /// Every attempt failed; no more (`reconnect_failed`).
    ReconnectFailed,
    /// The engine's upgrade probe succeeded and it is switching (the engine's `upgrading`).
    Upgrading,
    /// The engine now runs on this transport (the engine's `upgrade`).
    Upgrade(Transport),
    /// The upgrade probe failed; the engine stays on long-polling (the engine's `upgradeError`).
    UpgradeError(ProbeError),
    /// A transport failed, just before the engine closes (the engine's `error`).
    TransportError(TransportError),
}

/// A socket's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Connected to its namespace.
    Connected,
    /// Not connected, and will (re)connect when the manager does.
    Connecting,
    /// Not connected, and will not reconnect without [`Socket::connect`].
    Disconnected,
}

type Handler = Rc<RefCell<dyn FnMut(&Event)>>;

struct Subscriber {
    socket: SocketId,
    queue: Weak<RefCell<EventQueue<SocketEvent>>>,
}

struct EventQueue<T> {
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
    fn push(&mut self, event: T) {
        self.events.push_back(event);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    fn close(&mut self) {
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
struct AckSlot {
    result: Option<Result<Args, AckError>>,
    waker: Option<Waker>,
}

/// The Rust side of one driver: handlers, streams and pending acknowledgements.
#[derive(Default)]
pub(crate) struct RustSink {
    handlers: RefCell<Vec<(u64, SocketId, String, Handler)>>,
    next_handler: Cell<u64>,
    subscribers: RefCell<Vec<Subscriber>>,
    acks: RefCell<Vec<(u64, Rc<RefCell<AckSlot>>)>>,
    manager_subscribers: RefCell<Vec<Weak<RefCell<EventQueue<ManagerEvent>>>>>,
    /// The description reported for the engine closing now, until the manager's `close`.
    pending_description: RefCell<Option<CloseDescription>>,
    /// The description of the last `close`, for the sockets' `disconnect` events after it.
    description: RefCell<Option<CloseDescription>>,
}

impl RustSink {
    fn publish(&self, socket: SocketId, event: SocketEvent) {
        self.subscribers.borrow_mut().retain(|s| {
            let Some(queue) = s.queue.upgrade() else {
                return false;
            };
            if s.socket == socket {
                queue.borrow_mut().push(event.clone());
            }
            true
        });
    }

    fn publish_manager(&self, event: ManagerEvent) {
        self.manager_subscribers.borrow_mut().retain(|queue| {
            let Some(queue) = queue.upgrade() else {
                return false;
            };
            queue.borrow_mut().push(event.clone());
            true
        });
    }
}

impl Drop for RustSink {
    fn drop(&mut self) {
        for s in self.subscribers.get_mut().drain(..) {
            if let Some(queue) = s.queue.upgrade() {
                queue.borrow_mut().close();
            }
        }
        for queue in self.manager_subscribers.get_mut().drain(..) {
            if let Some(queue) = queue.upgrade() {
                queue.borrow_mut().close();
            }
        }
    }
}

impl Sink for RustSink {
    fn deliver(driver: &Driver<Self>, event: CoreEvent) {
        use socket_client::Event as E;
        let sink = driver.sink();
        let event = match event {
            CoreEvent::Manager(event) => event,
            CoreEvent::CloseDescription(d) => {
                *sink.pending_description.borrow_mut() = Some(d);
                return;
            }
            CoreEvent::Ping => return sink.publish_manager(ManagerEvent::Ping),
            CoreEvent::Upgrading => return sink.publish_manager(ManagerEvent::Upgrading),
            CoreEvent::Upgrade(t) => return sink.publish_manager(ManagerEvent::Upgrade(t)),
            CoreEvent::UpgradeError(e) => {
                return sink.publish_manager(ManagerEvent::UpgradeError(e));
            }
            CoreEvent::TransportError(e) => {
                return sink.publish_manager(ManagerEvent::TransportError(e));
            }
            _ => return,
        };
        match event {
            E::Open => sink.publish_manager(ManagerEvent::Open),
            E::Error(e) => sink.publish_manager(ManagerEvent::Error(e)),
            E::Close(reason) => {
                let description = sink.pending_description.borrow_mut().take();
                sink.description.replace(description.clone());
                sink.publish_manager(ManagerEvent::Close {
                    reason,
                    description,
                });
            }
            E::ReconnectAttempt(n) => sink.publish_manager(ManagerEvent::ReconnectAttempt(n)),
            E::Reconnect(n) => sink.publish_manager(ManagerEvent::Reconnect(n)),
            E::ReconnectError(e) => sink.publish_manager(ManagerEvent::ReconnectError(e)),
            E::ReconnectFailed => sink.publish_manager(ManagerEvent::ReconnectFailed),
            E::Connect { socket } => sink.publish(socket, SocketEvent::Connect),
            E::ConnectError { socket, data } => {
                let data: Value = serde_json::from_str(&data).unwrap_or_default();
                let error = ConnectError {
                    message: data
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    data: data.get("data").cloned(),
                };
                sink.publish(socket, SocketEvent::ConnectError(error));
            }
            E::Disconnect { socket, reason } => {
                let description = if reason.is_deliberate() {
                    None
                } else {
                    sink.description.borrow().clone()
                };
                sink.publish(
                    socket,
                    SocketEvent::Disconnect(Disconnection {
                        reason,
                        description,
                    }),
                );
            }
            E::Event { socket, args, id } => {
                // The recovery offset: the core records it from events with no ack id whose
                // last argument is a string, when the session has a pid.
                let recovering = id.is_none() && driver.read(|c| c.manager().pid(socket).is_some());
                let Some((name, args)) = payload::split_event(args, recovering) else {
                    return;
                };
                sink.publish(
                    socket,
                    SocketEvent::Event {
                        name: name.clone(),
                        args: args.clone(),
                    },
                );
                let event = Event {
                    name,
                    args,
                    ack: id.map(|id| AckSender {
                        driver: driver.downgrade(),
                        socket,
                        id,
                        sent: Cell::new(false),
                    }),
                };
                let handlers: Vec<Handler> = sink
                    .handlers
                    .borrow()
                    .iter()
                    .filter(|(_, s, name, _)| *s == socket && *name == event.name)
                    .map(|(_, _, _, h)| Rc::clone(h))
                    .collect();
                for handler in handlers {
                    // Never re-entered: events are delivered one at a time.
                    if let Ok(mut handler) = handler.try_borrow_mut() {
                        handler(&event);
                    }
                }
            }
            E::Ack { handle, result, .. } => {
                let slot = {
                    let mut acks = sink.acks.borrow_mut();
                    let i = acks.iter().position(|(h, _)| *h == handle.get());
                    i.map(|i| acks.swap_remove(i).1)
                };
                if let Some(slot) = slot {
                    let mut slot = slot.borrow_mut();
                    slot.result = Some(result.map(Args));
                    if let Some(w) = slot.waker.take() {
                        w.wake();
                    }
                }
            }
            // The typed API has no per-socket auth callback: its auth is static.
            _ => {}
        }
    }
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
    options: Options,
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

    fn driver(&self) -> &Driver<RustSink> {
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

    /// The socket of namespace `nsp` (`/`, `/admin` ...), with this manager's auth, retries and
    /// ack timeout.
    pub fn socket(&self, nsp: &str) -> Result<Socket, Error> {
        self.socket_with(nsp, &self.options)
    }

    /// The socket of namespace `nsp` with its own auth, retries and ack timeout.
    pub fn socket_with(&self, nsp: &str, options: &Options) -> Result<Socket, Error> {
        let nsp = Nsp::new(nsp)?;
        let options = options.socket_options()?;
        let id = self
            .driver()
            .with(|c, now| c.socket_with(now, nsp, options));
        Ok(Socket {
            manager: self.clone(),
            id,
        })
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

/// A socket on one namespace.
#[derive(Clone)]
pub struct Socket {
    manager: Manager,
    id: SocketId,
}

impl Socket {
    /// A socket for `url` on a manager of its own; the URL's path is the namespace (`/` when
    /// empty).
    pub fn connect(url: &str, options: Options) -> Result<Socket, Error> {
        let nsp = ServerUrl::parse(url)?.pathname;
        Manager::new(url, options)?.socket(&nsp)
    }

    fn driver(&self) -> &Driver<RustSink> {
        self.manager.driver()
    }

    /// The socket's manager.
    pub fn manager(&self) -> &Manager {
        &self.manager
    }

    /// The session id while connected.
    pub fn id(&self) -> Option<String> {
        self.driver()
            .read(|c| c.manager().sid(self.id).map(String::from))
    }

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.driver().read(|c| c.manager().is_connected(self.id))
    }

    /// Whether the last connection recovered the previous session.
    pub fn recovered(&self) -> bool {
        self.driver().read(|c| c.manager().is_recovered(self.id))
    }

    /// The socket's state.
    pub fn state(&self) -> ConnectionState {
        self.driver().read(|c| {
            let m = c.manager();
            if m.is_connected(self.id) {
                ConnectionState::Connected
            } else if m.is_active(self.id) {
                ConnectionState::Connecting
            } else {
                ConnectionState::Disconnected
            }
        })
    }

    /// Connects (again): after `auto_connect: false`, a refusal or a [`Socket::disconnect`]
    /// (the reference's `socket.connect()` / `socket.open()`).
    pub fn open(&self) {
        self.driver().with(|c, now| c.connect(now, self.id));
    }

    /// Disconnects; no reconnection.
    pub fn disconnect(&self) {
        self.driver().with(|c, now| c.disconnect(now, self.id));
    }

    /// Emits `event` with `payload`'s arguments (`&()` for none, a tuple for several, any other
    /// value for one: the [rule](crate#arguments)); sent at once when connected, buffered until
    /// then otherwise.
    pub fn emit(&self, event: &str, payload: impl IntoPayload) -> Result<(), Error> {
        self.send(event, payload.into_payload()?, None, false)
            .map(drop)
    }

    /// Emits `event` unless it cannot leave now (dropped rather than buffered).
    pub fn emit_volatile(&self, event: &str, payload: impl IntoPayload) -> Result<(), Error> {
        self.send(event, payload.into_payload()?, None, true)
            .map(drop)
    }

    /// Emits `event` and resolves with the server's acknowledgement read as `R` by the
    /// [rule](crate#arguments): a tuple takes one argument per element, `()` none, any other type
    /// the first (the socket's `ack_timeout`, if any, applies).
    pub async fn emit_with_ack<R: DeserializeOwned>(
        &self,
        event: &str,
        payload: impl IntoPayload,
    ) -> Result<R, Error> {
        self.emit_with_ack_args(event, payload, None).await?.data()
    }

    /// As [`Socket::emit_with_ack`], failing with [`AckError::Timeout`] after `timeout`.
    pub async fn emit_with_ack_timeout<R: DeserializeOwned>(
        &self,
        event: &str,
        payload: impl IntoPayload,
        timeout: Duration,
    ) -> Result<R, Error> {
        self.emit_with_ack_args(event, payload, Some(timeout))
            .await?
            .data()
    }

    /// Emits `event` and resolves with every argument of the acknowledgement.
    pub fn emit_with_ack_args(
        &self,
        event: &str,
        payload: impl IntoPayload,
        timeout: Option<Duration>,
    ) -> AckFuture {
        let slot = Rc::new(RefCell::new(AckSlot::default()));
        match payload
            .into_payload()
            .and_then(|p| self.send(event, p, Some((timeout, Rc::clone(&slot))), false))
        {
            Ok(_) => AckFuture { slot, error: None },
            Err(e) => AckFuture {
                slot,
                error: Some(e),
            },
        }
    }

    fn send(
        &self,
        event: &str,
        payload: Payload,
        ack: Option<(Option<Duration>, Rc<RefCell<AckSlot>>)>,
        volatile: bool,
    ) -> Result<(), Error> {
        let mut emit = Emit::new(payload.into_args(Some(event))?);
        emit.volatile = volatile;
        if let Some((timeout, _)) = &ack {
            emit.ack = true;
            emit.timeout = *timeout;
        }
        let driver = self.driver();
        let handle = driver.command(|c, now| c.emit(now, self.id, emit));
        if let (Ok(Some(handle)), Some((_, slot))) = (&handle, ack) {
            driver.sink().acks.borrow_mut().push((handle.get(), slot));
        }
        driver.pump();
        handle?;
        Ok(())
    }

    /// Calls `handler` with each `event`'s arguments read as `T` by the [rule](crate#arguments): a
    /// tuple takes one argument per element, `()` none, any other type the first (`Option` for
    /// events that may have none). An event whose arguments do not deserialize as `T` is skipped.
    pub fn on<T: DeserializeOwned + 'static>(
        &self,
        event: &str,
        mut handler: impl FnMut(T) + 'static,
    ) -> HandlerId {
        self.on_event(event, move |e| {
            if let Ok(payload) = e.data::<T>() {
                handler(payload);
            }
        })
    }

    /// Calls `handler` with each `event` whole: every argument, binary ones, and its
    /// acknowledgement.
    pub fn on_event(&self, event: &str, handler: impl FnMut(&Event) + 'static) -> HandlerId {
        let sink = self.driver().sink();
        let id = sink.next_handler.get();
        sink.next_handler.set(id + 1);
        sink.handlers.borrow_mut().push((
            id,
            self.id,
            String::from(event),
            Rc::new(RefCell::new(handler)),
        ));
        HandlerId(id)
    }

    /// Removes a handler.
    pub fn off(&self, handler: HandlerId) {
        self.driver()
            .sink()
            .handlers
            .borrow_mut()
            .retain(|(id, ..)| *id != handler.0);
    }

    /// The socket's lifecycle and events from now on. Each call gives a stream of its own; it ends
    /// when the connection is dropped.
    pub fn events(&self) -> Events {
        let queue = Rc::new(RefCell::new(EventQueue::default()));
        self.driver()
            .sink()
            .subscribers
            .borrow_mut()
            .push(Subscriber {
                socket: self.id,
                queue: Rc::downgrade(&queue),
            });
        Events { queue }
    }
}

/// A handler registered with [`Socket::on`] or [`Socket::on_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerId(u64);

/// A stream of [`SocketEvent`]s.
pub struct Events {
    queue: Rc<RefCell<EventQueue<SocketEvent>>>,
}

impl Stream for Events {
    type Item = SocketEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<SocketEvent>> {
        self.queue.borrow_mut().poll(cx)
    }
}

/// A stream of [`ManagerEvent`]s.
pub struct ManagerEvents {
    queue: Rc<RefCell<EventQueue<ManagerEvent>>>,
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
    slot: Rc<RefCell<AckSlot>>,
    error: Option<Error>,
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
