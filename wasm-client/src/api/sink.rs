//! The Rust side of one driver ([`RustSink`]): the application's handlers, the streams' queues and
//! the acknowledgements awaited, and the delivery of the core's events to them, as [`Event`]s (an
//! event with the means to acknowledge it), [`SocketEvent`]s and [`ManagerEvent`]s.

use proto::client::Event as CoreEvent;
use proto::socket::client::{self as socket_client, Auth, SocketId};
use proto::socket::packet::AckId;
use serde::de::{Deserialize, DeserializeOwned};
use serde_json::Value;

use super::driver::{Driver, Sink, WeakDriver};
use super::event::{ConnectError, Disconnection, ManagerEvent, SocketEvent};
use super::options::AuthFn;
use super::shared::{HandlerFn, Lock, Shared, WeakShared};
use super::stream::{AckSlot, EventQueue};
use super::{Args, CloseDescription, DeserializeError, Error, IntoPayload, payload};

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

    /// Its arguments as `T`, for a typed handler.
    pub(super) fn decode<T: DeserializeOwned>(&self) -> Result<T, DeserializeError> {
        proto::socket::args::de::from_args(&self.args.0)
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
    sent: Lock<bool>,
}

impl core::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AckSender").field("id", &self.id).finish()
    }
}

/// An application's handler ([`Socket::on_event`](super::Socket::on_event) and the others).
pub(super) type Handler = Shared<Lock<HandlerFn>>;

/// A registered handler: which socket's events, of which name, it takes.
pub(super) struct Registered {
    pub(super) id: u64,
    pub(super) socket: SocketId,
    /// The event name; `None` for every event ([`Socket::on_any`](super::Socket::on_any)).
    pub(super) name: Option<String>,
    /// Removed before its first call ([`Socket::once`](super::Socket::once)).
    pub(super) once: bool,
    pub(super) handler: Handler,
}

/// A socket's event stream.
pub(super) struct Subscriber {
    pub(super) socket: SocketId,
    pub(super) queue: WeakShared<Lock<EventQueue<SocketEvent>>>,
}

/// The Rust side of one driver: handlers, streams and pending acknowledgements.
#[derive(Default)]
pub(crate) struct RustSink {
    pub(super) handlers: Lock<Vec<Registered>>,
    pub(super) next_handler: Lock<u64>,
    pub(super) subscribers: Lock<Vec<Subscriber>>,
    pub(super) acks: Lock<Vec<(u64, Shared<Lock<AckSlot>>)>>,
    /// The auth closures of the sockets whose options gave one.
    pub(super) auth: Lock<Vec<(SocketId, AuthFn)>>,
    pub(super) manager_subscribers: Lock<Vec<WeakShared<Lock<EventQueue<ManagerEvent>>>>>,
    /// The description reported for the engine closing now, until the manager's `close`.
    pending_description: Lock<Option<CloseDescription>>,
    /// The description of the last `close`, for the sockets' `disconnect` events after it.
    description: Lock<Option<CloseDescription>>,
}

impl RustSink {
    /// Queues `event` on the streams of `socket`.
    pub(super) fn publish(&self, socket: SocketId, event: SocketEvent) {
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
                        sent: Lock::new(false),
                    }),
                };
                // A `once` handler leaves the list before it runs, so that it runs once even if
                // its handler emits and so delivers further events.
                let mut handlers: Vec<Handler> = Vec::new();
                sink.handlers.borrow_mut().retain(|h| {
                    let takes = h.socket == socket
                        && h.name.as_deref().is_none_or(|name| name == event.name);
                    if takes {
                        handlers.push(Shared::clone(&h.handler));
                    }
                    !(takes && h.once)
                });
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
            E::AuthRequest { socket } => {
                let auth = {
                    let all = sink.auth.borrow();
                    all.iter()
                        .find(|(s, _)| *s == socket)
                        .map(|(_, f)| f.clone())
                };
                // Called with no lock held: the closure may use the socket.
                let answer = auth.map_or(Ok(None), |auth| auth.call());
                // Checked here, as the core would refuse it without a word.
                let answer = answer.and_then(|auth| match auth {
                    Some(json) => Auth::object(json.clone())
                        .map(|_| Some(json))
                        .map_err(|e| e.to_string()),
                    None => Ok(None),
                });
                match answer {
                    Ok(auth) => driver.with(|c, now| c.connect_with_auth(now, socket, auth)),
                    Err(message) => {
                        let error = ConnectError {
                            message,
                            data: None,
                        };
                        sink.publish(socket, SocketEvent::ConnectError(error));
                        driver.with(|c, now| c.disconnect(now, socket));
                    }
                }
            }
            _ => {}
        }
    }
}
