//! [`Socket`]: a socket on one namespace (emits, acknowledgements, handlers, its event stream),
//! and the [`Manager`] methods that make one.

use core::time::Duration;

use proto::socket::client::{Emit, SocketId};
use proto::socket::packet::Nsp;
use proto::url::ServerUrl;
use serde::de::DeserializeOwned;

use super::driver::Driver;
use super::event::ConnectionState;
use super::manager::WeakManager;
use super::shared::{Lock, Shared};
use super::sink::{RustSink, Subscriber};
use super::stream::{AckFuture, AckSlot, DEFAULT_EVENTS_CAPACITY, EventQueue, Events, Overflow};
use super::{Error, IntoPayload, Manager, Options, Payload};

impl Manager {
    /// The socket of namespace `nsp` (`/`, `/admin` ...), with this manager's auth, retries and
    /// ack timeout.
    pub fn socket(&self, nsp: &str) -> Result<Socket, Error> {
        self.socket_with(nsp, &self.options)
    }

    /// The socket of namespace `nsp` with its own auth, retries and ack timeout.
    pub fn socket_with(&self, nsp: &str, options: &Options) -> Result<Socket, Error> {
        let nsp = Nsp::new(nsp)?;
        let auth = options.auth_fn().cloned();
        let options = options.socket_options()?;
        let driver = self.driver();
        // The closure is recorded before the client is pumped, under the command: connecting may
        // ask for it at once.
        let id = driver.with(|c, now| {
            let id = c.socket_with(now, nsp, options);
            if let Some(auth) = auth {
                // An existing socket keeps its auth, as the core keeps it.
                let mut all = driver.sink().auth.borrow_mut();
                if !all.iter().any(|(s, _)| *s == id) {
                    all.push((id, auth));
                }
            }
            id
        });
        Ok(Socket {
            manager: self.clone(),
            id,
        })
    }
}

/// A socket on one namespace.
#[derive(Clone)]
pub struct Socket {
    pub(super) manager: Manager,
    pub(super) id: SocketId,
}

impl Socket {
    /// A socket for `url` on a manager of its own; the URL's path is the namespace (`/` when
    /// empty).
    pub fn connect(url: &str, options: Options) -> Result<Socket, Error> {
        let nsp = ServerUrl::parse(url)?.pathname;
        Manager::new(url, options)?.socket(&nsp)
    }

    pub(super) fn driver(&self) -> &Driver<RustSink> {
        self.manager.driver()
    }

    /// A handle on this socket that does not keep its connection open: the one a handler should
    /// capture to use its own socket. A handler that captures a [`Socket`] keeps it, and so its
    /// connection, open for as long as the handler is registered: after the application dropped
    /// its handles too.
    pub fn downgrade(&self) -> WeakSocket {
        WeakSocket {
            manager: self.manager.downgrade(),
            id: self.id,
        }
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

    /// As [`Socket::emit_with_ack`], failing with [`AckError::Timeout`](super::AckError::Timeout) after `timeout`.
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
        let slot = Shared::new(Lock::new(AckSlot::default()));
        match payload
            .into_payload()
            .and_then(|p| self.send(event, p, Some((timeout, Shared::clone(&slot))), false))
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
        ack: Option<(Option<Duration>, Shared<Lock<AckSlot>>)>,
        volatile: bool,
    ) -> Result<(), Error> {
        let mut emit = Emit::new(payload.into_args(Some(event))?);
        emit.volatile = volatile;
        if let Some((timeout, _)) = &ack {
            emit.ack = true;
            emit.timeout = *timeout;
        }
        let driver = self.driver();
        // The slot is recorded before the client is pumped, under the command: natively another
        // thread may pump the client (and so deliver the acknowledgement) as soon as it is free.
        driver.with(|c, now| {
            let handle = c.emit(now, self.id, emit);
            if let (Ok(Some(handle)), Some((_, slot))) = (&handle, ack) {
                driver.sink().acks.borrow_mut().push((handle.get(), slot));
            }
            handle
        })?;
        Ok(())
    }

    /// The socket's lifecycle and events from now on. Each call gives a stream of its own; it ends
    /// when the connection is dropped. It holds at most [`DEFAULT_EVENTS_CAPACITY`] unread events,
    /// then drops the oldest ([`Overflow::DropOldest`]; see [`Socket::events_with`]).
    pub fn events(&self) -> Events {
        self.events_with(DEFAULT_EVENTS_CAPACITY, Overflow::default())
    }

    /// As [`Socket::events`], holding at most `capacity` unread events (1 at least), then
    /// dropping one by the `overflow` policy; [`Events::dropped`] counts them.
    pub fn events_with(&self, capacity: usize, overflow: Overflow) -> Events {
        let queue = Shared::new(Lock::new(EventQueue::new(capacity, overflow)));
        self.driver()
            .sink()
            .subscribers
            .borrow_mut()
            .push(Subscriber {
                socket: self.id,
                queue: Shared::downgrade(&queue),
            });
        Events { queue }
    }
}

/// Sockets are equal when they are the same socket (the same namespace of the same manager), so
/// that a `Socket` can be a Yew prop or context.
impl PartialEq for Socket {
    /// The same socket of the same connection (by identity).
    fn eq(&self, other: &Socket) -> bool {
        self.manager == other.manager && self.id == other.id
    }
}

impl Eq for Socket {}

/// A socket handle that does not keep the connection open ([`Socket::downgrade`]): what a handler
/// captures to emit on, or disconnect, its own socket.
///
/// ```no_run
/// # fn demo(socket: &sockeye_client::Socket) {
/// let weak = socket.downgrade();
/// let _ping = socket.on("ping", move |n: u32| {
///     // Gone once the application dropped its `Socket`s and `Manager`s: nothing to answer then.
///     if let Some(socket) = weak.upgrade() {
///         let _ = socket.emit("pong", &n);
///     }
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct WeakSocket {
    manager: WeakManager,
    id: SocketId,
}

impl WeakSocket {
    /// The socket, while the application keeps a [`Socket`] or [`Manager`] of its connection.
    pub fn upgrade(&self) -> Option<Socket> {
        Some(Socket {
            manager: self.manager.upgrade()?,
            id: self.id,
        })
    }
}

impl core::fmt::Debug for WeakSocket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WeakSocket")
            .field("socket", &self.id)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for Socket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Reads nothing from the client: a handler may format a socket while the client is busy.
        f.debug_struct("Socket")
            .field("socket", &self.id)
            .finish_non_exhaustive()
    }
}
