//! A Socket.IO socket (one client on one namespace) as handlers see it: [`SocketRef`], its
//! handlers, its rooms, its data. What it emits is in [`emitter`](crate::emitter).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use proto::engine::Transport;
use proto::socket::args::Args;
use proto::socket::packet::{AckId, Nsp};
use proto::socket::server::DisconnectReason;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Namespace;
use crate::engine::BoxFuture;
use crate::engine::conn::Conn;
use crate::engine::runner::run_inline;
use crate::socketio::adapter::IntoRooms;
use crate::socketio::adapter::Room;
use crate::socketio::cmd::{AppCmd, CmdTx};
use crate::socketio::error::{EventError, JoinError, SerializeError};
use crate::socketio::event::{AckSender, Event};
use crate::socketio::handshake::Handshake;
use crate::socketio::io::extract::{DisconnectParts, EventParts, Rejection};
use crate::socketio::io::handler::{
    self, BoxedDisconnectHandler, BoxedEventHandler, DisconnectHandler, EventHandler, Started,
};
use crate::socketio::log_budget::LogBudget;
use crate::socketio::value::Value;

/// Names a registered handler, to remove it with [`SocketRef::off_handler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandlerId(u64);

static NEXT_HANDLER: AtomicU64 = AtomicU64::new(1);

fn next_handler() -> HandlerId {
    HandlerId(NEXT_HANDLER.fetch_add(1, Ordering::Relaxed))
}

/// Something wrong on a socket, for its [`SocketRef::on_error`] handlers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SocketError {
    /// A `socket.use` middleware refused a packet.
    #[error(transparent)]
    Middleware(#[from] EventError),
    /// The client sent a packet the codec refuses; the connection is closed next.
    #[error("invalid packet: {0}")]
    Parse(String),
    /// An event handler was not called: one of its extractors could not give its value (the
    /// arguments do not read as its `Data<T>`, say).
    #[error("a handler of \"{event}\" was not called: {rejection}")]
    Rejected {
        /// The event.
        event: String,
        /// Why.
        rejection: Rejection,
    },
}

/// A handler of every incoming or outgoing event (`onAny`, `onAnyOutgoing`).
type AnyHandler = Arc<dyn Fn(&SocketRef, &Event) + Send + Sync>;
type EventMiddleware =
    Arc<dyn Fn(SocketRef, Event) -> BoxFuture<'static, Result<Event, EventError>> + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(&SocketRef, &SocketError) + Send + Sync>;

#[derive(Clone)]
struct Registered<H> {
    id: HandlerId,
    handler: H,
    once: bool,
}

/// An event's handlers, shared by every dispatch that reads them: registering copies the list,
/// dispatching only counts a reference.
type HandlerList = Arc<Vec<Registered<BoxedEventHandler>>>;

#[derive(Default)]
struct Handlers {
    events: HashMap<String, HandlerList>,
    any: Vec<Registered<AnyHandler>>,
    any_outgoing: Vec<Registered<AnyHandler>>,
    middlewares: Vec<EventMiddleware>,
    disconnecting: Vec<BoxedDisconnectHandler>,
    disconnect: Vec<BoxedDisconnectHandler>,
    error: Vec<ErrorHandler>,
}

pub(crate) struct SocketInner {
    id: String,
    pid: Option<String>,
    nsp: Nsp,
    /// The namespace its middlewares ran on.
    ns: Namespace,
    /// The namespace it was admitted to when that is another: a dynamic namespace's child is
    /// only created once a client is admitted, so its middlewares ran on a stand-in.
    admitted: OnceLock<Namespace>,
    handshake: Handshake,
    conn: Conn,
    tx: CmdTx,
    connected: AtomicBool,
    recovered: bool,
    handlers: RwLock<Handlers>,
    data: Mutex<Value>,
    extensions: Mutex<http::Extensions>,
    /// The socket's errors logged when no `error` handler takes them: a peer repeating a bad
    /// packet gets one line per period.
    error_log: LogBudget,
}

/// A socket: one client on one namespace. Cheap to clone; every clone is the same socket.
#[derive(Clone)]
pub struct SocketRef(pub(crate) Arc<SocketInner>);

impl std::fmt::Debug for SocketRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketRef")
            .field("id", &self.0.id)
            .field("nsp", &self.0.nsp.as_str())
            .field("connected", &self.connected())
            .finish()
    }
}

impl PartialEq for SocketRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// What a new socket starts with.
pub(crate) struct SocketInit {
    pub(crate) id: String,
    pub(crate) pid: Option<String>,
    pub(crate) recovered: bool,
    pub(crate) data: Value,
}

impl SocketRef {
    pub(crate) fn new(
        ns: Namespace,
        conn: Conn,
        tx: CmdTx,
        handshake: Handshake,
        init: SocketInit,
    ) -> Self {
        let nsp = ns.nsp().clone();
        // What an axum or tower layer put in the request reaches the handlers (`Extension<T>`).
        let extensions = conn.request().extensions.clone();
        SocketRef(Arc::new(SocketInner {
            id: init.id,
            pid: init.pid,
            nsp,
            ns,
            admitted: OnceLock::new(),
            handshake,
            conn,
            tx,
            connected: AtomicBool::new(false),
            recovered: init.recovered,
            handlers: RwLock::new(Handlers::default()),
            data: Mutex::new(init.data),
            extensions: Mutex::new(extensions),
            error_log: LogBudget::default(),
        }))
    }

    // ---- who ----

    /// The socket id (random, not the Engine.IO session id).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The private session id used by connection state recovery, when it is on.
    pub fn pid(&self) -> Option<&str> {
        self.0.pid.as_deref()
    }

    /// The namespace's name.
    pub fn nsp(&self) -> &str {
        self.0.nsp.as_str()
    }

    pub(crate) fn nsp_core(&self) -> &Nsp {
        &self.0.nsp
    }

    /// The namespace. While the middlewares of a dynamic namespace's child that does not exist
    /// yet run, a stand-in named as the child (see [`ParentNamespace::use_middleware`](
    /// crate::ParentNamespace::use_middleware)); the child once the socket is admitted.
    pub fn namespace(&self) -> &Namespace {
        self.0.admitted.get().unwrap_or(&self.0.ns)
    }

    /// Moves a socket being admitted to `ns`, the namespace created or found for its name
    /// (see `SocketInner::admitted`).
    pub(crate) fn admitted_to(&self, ns: Namespace) {
        let _ = self.0.admitted.set(ns);
    }

    /// The handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// The Engine.IO connection (`socket.conn`).
    pub fn conn(&self) -> &Conn {
        &self.0.conn
    }

    /// The transport the socket's connection runs on now.
    pub fn transport(&self) -> Transport {
        self.0.conn.transport()
    }

    /// Whether the socket is connected.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::Acquire)
    }

    /// Whether this socket's state (id, rooms, data, missed packets) was recovered from an
    /// earlier connection (connection state recovery).
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    // ---- data ----

    /// The socket's `data` as a `T` (`None` when unset or of another shape). It is kept by
    /// connection state recovery and seen by `fetch_sockets`.
    pub fn data<T: DeserializeOwned>(&self) -> Option<T> {
        let v = self.data_value();
        if v.is_null() {
            return None;
        }
        v.deserialize_into().ok()
    }

    /// Sets the socket's `data`.
    pub fn set_data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), SerializeError> {
        let v = Value::from_serialize(data)?;
        *self.0.data.lock().unwrap_or_else(|e| e.into_inner()) = v;
        Ok(())
    }

    /// The socket's `data` as a [`Value`].
    pub fn data_value(&self) -> Value {
        self.0
            .data
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Typed values for this process only (not recovered, not seen by other nodes). They start
    /// as the HTTP request's extensions, so that what an axum or tower layer put there reaches
    /// the handlers ([`Extension<T>`](crate::extract::Extension)).
    pub fn extensions(&self) -> std::sync::MutexGuard<'_, http::Extensions> {
        self.0.extensions.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- handlers ----

    fn handlers_mut(&self) -> std::sync::RwLockWriteGuard<'_, Handlers> {
        self.0.handlers.write().unwrap_or_else(|e| e.into_inner())
    }

    fn handlers(&self) -> std::sync::RwLockReadGuard<'_, Handlers> {
        self.0.handlers.read().unwrap_or_else(|e| e.into_inner())
    }

    fn add_handler(&self, event: &str, handler: BoxedEventHandler, once: bool) -> HandlerId {
        let id = next_handler();
        let mut handlers = self.handlers_mut();
        // Room for one: an event has one handler, most often, and every socket registers its
        // own (a list's first growth would be to 4).
        let list = handlers
            .events
            .entry(event.to_owned())
            .or_insert_with(|| Arc::new(Vec::with_capacity(1)));
        Arc::make_mut(list).push(Registered { id, handler, once });
        id
    }

    /// Calls `handler` for each `event` from the client. A handler takes any of the
    /// [extractors](crate::extract), plain or `async` (see [`handler`](crate::handler));
    /// handlers of one socket start in the order their events arrived (a plain handler, or the
    /// synchronous part of an `async` one, runs in that order).
    pub fn on<H: EventHandler<M>, M: 'static>(&self, event: &str, handler: H) -> HandlerId {
        self.add_handler(event, handler::event_handler(handler), false)
    }

    /// Calls `handler` for the next `event` only.
    pub fn once<H: EventHandler<M>, M: 'static>(&self, event: &str, handler: H) -> HandlerId {
        self.add_handler(event, handler::event_handler(handler), true)
    }

    /// Removes every handler of `event`.
    pub fn off(&self, event: &str) {
        self.handlers_mut().events.remove(event);
    }

    /// Removes one handler (of an event, `on_any` or `on_any_outgoing`).
    pub fn off_handler(&self, id: HandlerId) {
        let mut h = self.handlers_mut();
        for list in h.events.values_mut() {
            if list.iter().any(|r| r.id == id) {
                Arc::make_mut(list).retain(|r| r.id != id);
            }
        }
        h.any.retain(|r| r.id != id);
        h.any_outgoing.retain(|r| r.id != id);
    }

    /// Calls `handler` with every incoming event (`onAny`), before the middlewares and the
    /// event's handlers.
    pub fn on_any<F>(&self, handler: F) -> HandlerId
    where
        F: Fn(&SocketRef, &Event) + Send + Sync + 'static,
    {
        let id = next_handler();
        self.handlers_mut().any.push(Registered {
            id,
            handler: Arc::new(handler),
            once: false,
        });
        id
    }

    /// Removes every `on_any` handler.
    pub fn off_any(&self) {
        self.handlers_mut().any.clear();
    }

    /// Calls `handler` with every outgoing event (`onAnyOutgoing`).
    pub fn on_any_outgoing<F>(&self, handler: F) -> HandlerId
    where
        F: Fn(&SocketRef, &Event) + Send + Sync + 'static,
    {
        let id = next_handler();
        self.handlers_mut().any_outgoing.push(Registered {
            id,
            handler: Arc::new(handler),
            once: false,
        });
        id
    }

    /// Adds a per-packet middleware (`socket.use`): it may change the event or refuse it with an
    /// [`EventError`] (the event is dropped and the `error` handlers get it).
    pub fn use_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(SocketRef, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Event, EventError>> + Send + 'static,
    {
        self.handlers_mut()
            .middlewares
            .push(Arc::new(move |s, e| Box::pin(middleware(s, e))));
    }

    /// Calls `handler` when the socket is about to leave (`disconnecting`): its rooms are still
    /// there. It takes the disconnect [extractors](crate::extract).
    pub fn on_disconnecting<H: DisconnectHandler<M>, M: 'static>(&self, handler: H) {
        self.handlers_mut()
            .disconnecting
            .push(handler::disconnect_handler(handler));
    }

    /// Calls `handler` once the socket has left (`disconnect`), with the reference's reason. It
    /// takes the disconnect [extractors](crate::extract) (`SocketRef`, `DisconnectReason`, ...).
    pub fn on_disconnect<H: DisconnectHandler<M>, M: 'static>(&self, handler: H) {
        self.handlers_mut()
            .disconnect
            .push(handler::disconnect_handler(handler));
    }

    /// Calls `handler` on a socket error (a middleware's refusal, an invalid packet, a handler
    /// whose extractors failed).
    pub fn on_error<F>(&self, handler: F)
    where
        F: Fn(&SocketRef, &SocketError) + Send + Sync + 'static,
    {
        self.handlers_mut().error.push(Arc::new(handler));
    }

    // ---- rooms ----

    /// Joins rooms: all of them, or none when the socket would then be in more rooms than the
    /// builder's [`max_rooms_per_socket`](crate::SocketIoBuilder::max_rooms_per_socket) (10,000,
    /// its own id's room among them; the reference has no bound).
    pub fn join(&self, rooms: impl IntoRooms) -> Result<(), JoinError> {
        let max = self.namespace().max_rooms_per_socket();
        self.0
            .ns
            .adapter()
            .add_all_bounded(self.id(), &rooms.into_rooms(), max)
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        self.namespace().adapter().del(self.id(), room);
    }

    /// Leaves every room.
    pub fn leave_all(&self) {
        self.namespace().adapter().del_all(self.id());
    }

    /// The rooms the socket is in (its own id among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.namespace().adapter().socket_rooms(self.id())
    }

    // ---- leaving ----

    /// Disconnects the socket from its namespace (`socket.disconnect()`): the client gets
    /// DISCONNECT and does not reconnect; the connection stays for its other namespaces.
    pub fn disconnect(&self) {
        let _ = self.0.tx.send(AppCmd::Disconnect {
            nsp: self.0.nsp.clone(),
        });
    }

    /// Disconnects every socket of the connection and closes it (`socket.disconnect(true)`).
    pub fn disconnect_and_close(&self) {
        self.0.tx.close();
    }

    // ---- driver side ----

    pub(crate) fn send_cmd(&self, cmd: AppCmd) -> bool {
        self.0.tx.send(cmd).is_ok()
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.0.connected.store(connected, Ordering::Release);
    }

    /// Tells the `on_any_outgoing` handlers of an event about to leave: `args` with its name first.
    pub(crate) fn notify_outgoing(&self, args: &Args) {
        let handlers: Vec<_> = self.handlers().any_outgoing.clone();
        if handlers.is_empty() {
            return;
        }
        let name = args.event_name().unwrap_or_default().into_owned();
        let event = Event::new(name, args.without_first(), AckSender::default());
        for h in handlers {
            (h.handler)(self, &event);
        }
    }

    pub(crate) fn emit_error(&self, error: &SocketError) {
        let handlers = self.handlers().error.clone();
        if handlers.is_empty()
            && let Some(held) = self.0.error_log.take()
        {
            if held == 0 {
                tracing::warn!(socket = %self.id(), "socket error: {error}");
            } else {
                tracing::warn!(socket = %self.id(), "socket error: {error} ({held} more held back)");
            }
        }
        for h in handlers {
            h(self, error);
        }
    }

    /// An EVENT from the client (`args` leads with its name): `on_any` handlers, then the
    /// middlewares, then the event's handlers.
    pub(crate) fn dispatch(&self, args: Args, id: Option<AckId>) {
        let Some(name) = args.event_name() else {
            return;
        };
        let ack = match id {
            Some(id) => AckSender::new(
                self.0.tx.clone(),
                self.0.nsp.clone(),
                id,
                &self.namespace().0.owed_acks,
            ),
            None => AckSender::default(),
        };
        let (any, middlewares) = {
            let h = self.handlers();
            (h.any.clone(), h.middlewares.clone())
        };
        if any.is_empty() && middlewares.is_empty() {
            // The common case: the handlers read the packet's arguments where they are.
            self.run_handlers(&name, &args, 1, &ack);
            return;
        }
        let event = Event::new(name.into_owned(), args.without_first(), ack);
        for h in any {
            (h.handler)(self, &event);
        }
        if middlewares.is_empty() {
            self.run_event(&event);
            return;
        }
        let socket = self.clone();
        run_inline(
            Box::pin(async move {
                let mut event = event;
                for mw in middlewares {
                    match mw(socket.clone(), event).await {
                        Ok(e) => event = e,
                        Err(err) => {
                            socket.emit_error(&SocketError::Middleware(err));
                            return;
                        }
                    }
                }
                socket.run_event(&event);
            }),
            &self.0.tx,
        );
    }

    fn run_event(&self, event: &Event) {
        self.run_handlers(event.name(), event.args(), 0, event.ack());
    }

    /// Calls the handlers of `name`; `args` holds the event's arguments from index `first`.
    fn run_handlers(&self, name: &str, args: &Args, first: usize, ack: &AckSender) {
        if !self.connected() {
            return;
        }
        let Some(list) = self.handlers().events.get(name).cloned() else {
            return;
        };
        if list.iter().any(|r| r.once) {
            let mut h = self.handlers_mut();
            if let Some(current) = h.events.get_mut(name) {
                let called: Vec<HandlerId> = list.iter().filter(|r| r.once).map(|r| r.id).collect();
                Arc::make_mut(current).retain(|r| !called.contains(&r.id));
            }
        }
        let parts = EventParts {
            socket: self,
            name,
            args,
            first,
            ack,
        };
        for r in list.iter() {
            let started = r.handler.call(&parts);
            self.start(started, || name.to_owned());
        }
    }

    /// Runs what a handler call started; a rejected call goes to the `error` handlers.
    fn start(&self, started: Started, event: impl FnOnce() -> String) {
        match started {
            Ok(Some(fut)) => run_inline(fut, &self.0.tx),
            Ok(None) => {}
            Err(rejection) => self.emit_error(&SocketError::Rejected {
                event: event(),
                rejection,
            }),
        }
    }

    /// Leaves the rooms and the namespace: what [`Leave`] does on drop.
    fn leave_namespace(&self) {
        self.namespace().adapter().del_all(self.id());
        self.namespace().remove_socket(self.id());
    }

    /// Leaves the namespace and its rooms without a handler called: its session ended without
    /// closing it the usual way (see `Runner::contained`).
    pub(crate) fn abandon(&self) {
        if !self.0.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        self.leave_namespace();
    }

    /// The socket left its namespace: `disconnecting`, recovery bookkeeping, rooms, `disconnect`.
    pub(crate) fn closed(&self, reason: DisconnectReason, recovery: bool) {
        if !self.0.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        let parts = DisconnectParts {
            socket: self,
            reason,
        };
        // Out of the rooms and the namespace after the `disconnecting` handlers, or while
        // unwinding if one of them panics.
        let leave = Leave(self);
        let disconnecting = self.handlers().disconnecting.clone();
        for h in disconnecting {
            self.start(h.call(&parts), || String::from("disconnecting"));
        }
        let adapter = self.namespace().adapter();
        if recovery
            && reason.is_recoverable()
            && let Some(pid) = &self.0.pid
        {
            adapter.persist_session(crate::socketio::adapter::PersistedSession {
                sid: self.0.id.clone(),
                pid: pid.clone(),
                rooms: adapter.socket_rooms(self.id()),
                data: self.data_value(),
            });
        }
        drop(leave);
        let disconnect = self.handlers().disconnect.clone();
        for h in disconnect {
            self.start(h.call(&parts), || String::from("disconnect"));
        }
    }
}

/// Takes a closing socket out of its rooms and namespace when dropped.
struct Leave<'a>(&'a SocketRef);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.leave_namespace();
    }
}
