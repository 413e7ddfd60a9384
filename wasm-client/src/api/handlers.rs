//! A socket's handlers: [`Socket::on`], [`Socket::once`], [`Socket::on_event`],
//! [`Socket::on_any`] and [`Socket::off`], and the [`Subscription`] guard each registration
//! returns, which removes its handler when dropped.

use proto::socket::client::SocketId;
use serde::de::DeserializeOwned;

use super::Socket;
use super::driver::WeakDriver;
use super::event::SocketEvent;
use super::shared::{Lock, MaybeSend, Shared};
use super::sink::{Event, Registered, RustSink};

impl Socket {
    /// Calls `handler` with each `event`'s arguments read as `T` by the [rule](crate#arguments): a
    /// tuple takes one argument per element, `()` none, any other type the first (`Option` for
    /// events that may have none). An event whose arguments do not deserialize as `T` does not
    /// call it: the socket's event streams get a [`SocketEvent::InvalidPayload`] instead.
    ///
    /// The handler stays until the returned [`Subscription`] is dropped (or for the socket's
    /// life after [`Subscription::forget`]).
    pub fn on<T: DeserializeOwned + 'static>(
        &self,
        event: &str,
        mut handler: impl FnMut(T) + MaybeSend + 'static,
    ) -> Subscription {
        let reporter = self.reporter();
        self.register(Some(event), false, move |e: &Event| {
            if let Some(payload) = reporter.decode::<T>(e) {
                handler(payload);
            }
        })
    }

    /// As [`Socket::on`], for the next `event` only: the handler is removed before it runs (also
    /// when that event's arguments do not read as `T`, reported as
    /// [`SocketEvent::InvalidPayload`]).
    pub fn once<T: DeserializeOwned + 'static>(
        &self,
        event: &str,
        handler: impl FnOnce(T) + MaybeSend + 'static,
    ) -> Subscription {
        let mut handler = Some(handler);
        let reporter = self.reporter();
        self.register(Some(event), true, move |e: &Event| {
            if let Some(handler) = handler.take()
                && let Some(payload) = reporter.decode::<T>(e)
            {
                handler(payload);
            }
        })
    }

    /// Calls `handler` with each `event` whole: every argument, binary ones, and its
    /// acknowledgement.
    pub fn on_event(
        &self,
        event: &str,
        handler: impl FnMut(&Event) + MaybeSend + 'static,
    ) -> Subscription {
        self.register(Some(event), false, handler)
    }

    /// Calls `handler` with every event the server emits to this socket, whatever its name
    /// ([`Event::name`]), after the handlers of that name (the reference's `onAny`).
    pub fn on_any(&self, handler: impl FnMut(&Event) + MaybeSend + 'static) -> Subscription {
        self.register(None, false, handler)
    }

    /// Removes a handler (as dropping its [`Subscription`] does); nothing if it is gone already.
    pub fn off(&self, handler: HandlerId) {
        remove(self.driver().sink(), handler);
    }

    /// Reports this socket's undecodable events.
    pub(super) fn reporter(&self) -> Reporter {
        Reporter {
            driver: self.driver().downgrade(),
            socket: self.id,
        }
    }

    fn register(
        &self,
        name: Option<&str>,
        once: bool,
        handler: impl FnMut(&Event) + MaybeSend + 'static,
    ) -> Subscription {
        let driver = self.driver();
        let sink = driver.sink();
        let id = {
            let mut next = sink.next_handler.borrow_mut();
            *next += 1;
            *next
        };
        let registered = Registered {
            id,
            socket: self.id,
            name: name.map(String::from),
            once,
            handler: Shared::new(Lock::new(handler)),
        };
        let mut handlers = sink.handlers.borrow_mut();
        // `on_any` handlers run after the named ones, as the reference's do.
        match name {
            Some(_) => {
                let at = handlers.iter().position(|h| h.name.is_none());
                let at = at.unwrap_or(handlers.len());
                handlers.insert(at, registered);
            }
            None => handlers.push(registered),
        }
        Subscription {
            id: HandlerId(id),
            driver: Some(driver.downgrade()),
        }
    }
}

/// What a typed handler reports an undecodable event to: its socket's streams. Weak, as a
/// handler must not keep its connection open.
pub(super) struct Reporter {
    driver: WeakDriver<RustSink>,
    socket: SocketId,
}

impl Reporter {
    /// `event`'s arguments as `T`; `None`, reported as [`SocketEvent::InvalidPayload`], when
    /// they do not read as `T`.
    pub(super) fn decode<T: DeserializeOwned>(&self, event: &Event) -> Option<T> {
        match event.decode() {
            Ok(payload) => Some(payload),
            Err(error) => {
                if let Some(driver) = self.driver.upgrade() {
                    driver.sink().publish(
                        self.socket,
                        SocketEvent::InvalidPayload {
                            event: event.name().to_owned(),
                            args: event.args().clone(),
                            error,
                        },
                    );
                }
                None
            }
        }
    }
}

fn remove(sink: &RustSink, handler: HandlerId) {
    sink.handlers.borrow_mut().retain(|h| h.id != handler.0);
}

/// A handler registered with [`Socket::on`], [`Socket::once`], [`Socket::on_event`],
/// [`Socket::on_any`] or [`Socket::on_typed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandlerId(u64);

/// Keeps a handler registered: dropping it removes the handler (so a Yew component that keeps its
/// subscriptions loses its handlers when it unmounts). It does not keep the connection open.
/// [`Subscription::forget`] keeps the handler for the socket's life instead.
#[must_use = "dropping a Subscription removes its handler at once: keep it, or call forget()"]
pub struct Subscription {
    id: HandlerId,
    /// `None` once forgotten.
    driver: Option<WeakDriver<RustSink>>,
}

impl Subscription {
    /// The handler's id, for [`Socket::off`].
    pub fn id(&self) -> HandlerId {
        self.id
    }

    /// Keeps the handler for the socket's life (or until [`Socket::off`] with the id returned).
    pub fn forget(mut self) -> HandlerId {
        self.driver = None;
        self.id
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(driver) = self.driver.take().and_then(|d| d.upgrade()) {
            remove(driver.sink(), self.id);
        }
    }
}

impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("forgotten", &self.driver.is_none())
            .finish()
    }
}
