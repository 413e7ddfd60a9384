//! A Socket.IO socket (one client on one namespace) as handlers see it: [`SocketRef`], the
//! [`Event`]s it receives with their [`AckSender`], its [`Handshake`] and its connection
//! ([`Conn`], the reference's `socket.conn`).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use proto::engine::{CloseReason, Transport};
use proto::socket::packet::{AckId, Nsp, RESERVED_EVENTS};
use proto::socket::server::DisconnectReason;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::adapter::{BroadcastFlags, BroadcastOptions, BroadcastPacket, Room};
use crate::config::BoxFuture;
use crate::engine::run_inline;
use crate::error::{AckError, EmitError, EventError, JoinError, SendError};
use crate::http::RequestInfo;
use crate::io::Namespace;
use crate::operators::BroadcastOperator;
use crate::session::{SessionMsg, SessionTx};
use crate::sio_session::{AckReply, AppCmd};
use crate::value::{self, Value, from_args, to_args};

/// The handshake of a socket (the reference's `socket.handshake`).
#[derive(Clone, Debug)]
pub struct Handshake {
    /// The headers of the request that opened the Engine.IO session.
    pub headers: HeaderMap,
    /// When the socket was created.
    pub time: SystemTime,
    /// The same, in milliseconds since the Unix epoch (`issued`).
    pub issued: u64,
    /// The peer's address, when known.
    pub address: Option<SocketAddr>,
    /// Whether the request was cross-origin (it had an `Origin` header).
    pub xdomain: bool,
    /// Whether the connection is TLS (false: this server speaks plain HTTP; put TLS in front).
    pub secure: bool,
    /// The request's URL (path and query).
    pub url: String,
    /// The request's query, percent-decoded.
    pub query: Vec<(String, String)>,
    /// The CONNECT packet's payload (the client's `auth`), `{}` without one.
    pub auth: Value,
}

impl Handshake {
    pub(crate) fn new(req: &RequestInfo, auth: Value) -> Self {
        let time = SystemTime::now();
        Handshake {
            headers: req.headers.clone(),
            time,
            issued: u64::try_from(
                time.duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis(),
            )
            .unwrap_or(0),
            address: req.remote_addr,
            xdomain: req.headers.contains_key(http::header::ORIGIN),
            secure: false,
            url: req.uri.to_string(),
            query: req.query(),
            auth,
        }
    }

    /// A query parameter.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

// ---- socket.conn ----

type TransportHandler = Arc<dyn Fn(Transport) + Send + Sync>;
type EngineCloseHandler = Arc<dyn Fn(&CloseReason) + Send + Sync>;

pub(crate) struct ConnInner {
    sid: String,
    tx: SessionTx,
    request: RequestInfo,
    transport: Mutex<Transport>,
    closed: AtomicBool,
    on_upgrade: RwLock<Vec<TransportHandler>>,
    on_close: RwLock<Vec<EngineCloseHandler>>,
}

/// The Engine.IO connection under a socket (the reference's `socket.conn`); shared by the sockets
/// of one client on every namespace.
#[derive(Clone)]
pub struct Conn(pub(crate) Arc<ConnInner>);

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("id", &self.0.sid)
            .field("transport", &self.transport())
            .finish()
    }
}

impl Conn {
    pub(crate) fn new(
        sid: String,
        tx: SessionTx,
        request: RequestInfo,
        transport: Transport,
    ) -> Self {
        Conn(Arc::new(ConnInner {
            sid,
            tx,
            request,
            transport: Mutex::new(transport),
            closed: AtomicBool::new(false),
            on_upgrade: RwLock::new(Vec::new()),
            on_close: RwLock::new(Vec::new()),
        }))
    }

    /// The Engine.IO session id.
    pub fn id(&self) -> &str {
        &self.0.sid
    }

    /// The request that opened the session.
    pub fn request(&self) -> &RequestInfo {
        &self.0.request
    }

    /// The transport packets flow on now (`conn.transport.name`).
    pub fn transport(&self) -> Transport {
        *self.0.transport.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The Engine.IO protocol revision (4).
    pub fn protocol(&self) -> u8 {
        proto::engine::PROTOCOL
    }

    /// Whether the session is over.
    pub fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::Acquire)
    }

    /// Calls `handler` when the session upgrades (the `upgrade` event).
    pub fn on_upgrade<F: Fn(Transport) + Send + Sync + 'static>(&self, handler: F) {
        self.0
            .on_upgrade
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(handler));
    }

    /// Calls `handler` when the session closes (the `close` event).
    pub fn on_close<F: Fn(&CloseReason) + Send + Sync + 'static>(&self, handler: F) {
        self.0
            .on_close
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(handler));
    }

    /// Drops the transport without Socket.IO goodbyes (`socket.conn.close()`): the client sees
    /// a transport close, reconnects, and may recover its state.
    pub fn close(&self) {
        let _ = self.0.tx.send(SessionMsg::CloseTransport);
    }

    pub(crate) fn upgraded(&self, transport: Transport) {
        *self.0.transport.lock().unwrap_or_else(|e| e.into_inner()) = transport;
        let handlers = self
            .0
            .on_upgrade
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in handlers {
            h(transport);
        }
    }

    pub(crate) fn closed(&self, reason: &CloseReason) {
        self.0.closed.store(true, Ordering::Release);
        let handlers = self
            .0
            .on_close
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in handlers {
            h(reason);
        }
    }
}

// ---- events and acks ----

/// The acknowledgements the server's handlers owe their clients (asked for, neither sent nor
/// dropped): a graceful shutdown ([`SocketIo::close_gracefully`](crate::SocketIo)) waits for them.
#[derive(Debug, Default)]
pub(crate) struct OwedAcks {
    count: AtomicUsize,
    settled: tokio::sync::Notify,
}

impl OwedAcks {
    fn owe(self: &Arc<Self>) -> Arc<Self> {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.clone()
    }

    fn paid(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.settled.notify_waiters();
        }
    }

    /// Resolves once no acknowledgement is owed.
    pub(crate) async fn settled(&self) {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            settled.await;
        }
    }
}

/// Whether an [`AckSender`] (and its clones) sent; the debt is paid on sending or when the last
/// clone goes unsent.
#[derive(Debug)]
struct AckState {
    sent: AtomicBool,
    owed: Arc<OwedAcks>,
}

impl Drop for AckState {
    fn drop(&mut self) {
        if !*self.sent.get_mut() {
            self.owed.paid();
        }
    }
}

/// Answers a client's event once (the reference's ack callback).
#[derive(Clone)]
pub struct AckSender {
    tx: SessionTx,
    nsp: Nsp,
    id: AckId,
    state: Arc<AckState>,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender")
            .field("id", &self.id.0)
            .field("sent", &self.state.sent.load(Ordering::Relaxed))
            .finish()
    }
}

impl AckSender {
    /// Sends the acknowledgement; `data` becomes its arguments (a tuple for several, `()` for
    /// none). Only the first call sends.
    pub fn send<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), SendError> {
        let args = to_args(data).map_err(|_| SendError::Serialize)?;
        if self.state.sent.swap(true, Ordering::AcqRel) {
            return Err(SendError::AlreadySent);
        }
        let (args, attachments) = value::encode_array(&args);
        let sent = self
            .tx
            .send(SessionMsg::App(AppCmd::Ack {
                nsp: self.nsp.clone(),
                id: self.id,
                args,
                attachments,
            }))
            .map_err(|_| SendError::Closed);
        // Queued before the shutdown a graceful close sends next on the same channel.
        self.state.owed.paid();
        sent
    }
}

/// An event from the client: its name, its arguments and, when the client asked for one, an
/// [`AckSender`].
#[derive(Clone, Debug)]
pub struct Event {
    name: String,
    args: Vec<Value>,
    ack: Option<AckSender>,
}

impl Event {
    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments.
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// The arguments, for a middleware to change.
    pub fn args_mut(&mut self) -> &mut Vec<Value> {
        &mut self.args
    }

    /// The arguments as a `T`: a tuple takes one argument per element, anything else the first
    /// (see [`value::from_args`]).
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, value::ValueError> {
        from_args(self.args.clone())
    }

    /// Whether the client asked for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// The acknowledgement, if the client asked for one.
    pub fn ack(&self) -> Option<&AckSender> {
        self.ack.as_ref()
    }

    /// Sends the acknowledgement, if the client asked for one (does nothing otherwise).
    pub fn ack_with<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), SendError> {
        match &self.ack {
            Some(ack) => ack.send(data),
            None => Ok(()),
        }
    }
}

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
}

type EventHandler = Arc<dyn Fn(SocketRef, Event) -> BoxFuture<'static, ()> + Send + Sync>;
type AnyHandler = Arc<dyn Fn(&SocketRef, &str, &[Value]) + Send + Sync>;
type EventMiddleware =
    Arc<dyn Fn(SocketRef, Event) -> BoxFuture<'static, Result<Event, EventError>> + Send + Sync>;
type DisconnectHandler =
    Arc<dyn Fn(SocketRef, DisconnectReason) -> BoxFuture<'static, ()> + Send + Sync>;
type ErrorHandler = Arc<dyn Fn(&SocketRef, &SocketError) + Send + Sync>;

struct Registered<H> {
    id: HandlerId,
    handler: H,
    once: bool,
}

impl<H: Clone> Clone for Registered<H> {
    fn clone(&self) -> Self {
        Registered {
            id: self.id,
            handler: self.handler.clone(),
            once: self.once,
        }
    }
}

#[derive(Default)]
struct Handlers {
    events: HashMap<String, Vec<Registered<EventHandler>>>,
    any: Vec<Registered<AnyHandler>>,
    any_outgoing: Vec<Registered<AnyHandler>>,
    middlewares: Vec<EventMiddleware>,
    disconnecting: Vec<DisconnectHandler>,
    disconnect: Vec<DisconnectHandler>,
    error: Vec<ErrorHandler>,
}

pub(crate) struct SocketInner {
    id: String,
    pid: Option<String>,
    nsp: Nsp,
    ns: Namespace,
    handshake: Handshake,
    conn: Conn,
    tx: SessionTx,
    connected: AtomicBool,
    recovered: bool,
    handlers: RwLock<Handlers>,
    data: Mutex<Value>,
    extensions: Mutex<http::Extensions>,
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

/// Rooms as the room methods take them: a name, or several.
pub trait IntoRooms {
    /// The room names.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.to_owned()]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.clone()]
    }
}

impl IntoRooms for Vec<String> {
    fn into_rooms(self) -> Vec<Room> {
        self
    }
}

impl IntoRooms for Vec<&str> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(str::to_owned).collect()
    }
}

impl IntoRooms for &[&str] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl<const N: usize> IntoRooms for [&str; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

/// Refuses the names the protocol reserves.
pub(crate) fn check_event_name(event: &str) -> Result<(), EmitError> {
    if RESERVED_EVENTS.contains(&event) {
        return Err(EmitError::ReservedEventName(event.to_owned()));
    }
    Ok(())
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
        tx: SessionTx,
        handshake: Handshake,
        init: SocketInit,
    ) -> Self {
        let nsp = ns.nsp().clone();
        SocketRef(Arc::new(SocketInner {
            id: init.id,
            pid: init.pid,
            nsp,
            ns,
            handshake,
            conn,
            tx,
            connected: AtomicBool::new(false),
            recovered: init.recovered,
            handlers: RwLock::new(Handlers::default()),
            data: Mutex::new(init.data),
            extensions: Mutex::new(http::Extensions::new()),
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

    /// The namespace.
    pub fn namespace(&self) -> &Namespace {
        &self.0.ns
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
    pub fn set_data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), value::ValueError> {
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

    /// Typed values for this process only (not recovered, not seen by other nodes).
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

    fn add_handler<F, Fut>(&self, event: &str, handler: F, once: bool) -> HandlerId
    where
        F: Fn(SocketRef, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let id = next_handler();
        self.handlers_mut()
            .events
            .entry(event.to_owned())
            .or_default()
            .push(Registered {
                id,
                handler: Arc::new(move |s, e| Box::pin(handler(s, e))),
                once,
            });
        id
    }

    /// Calls `handler` for each `event` from the client. Handlers of one socket start in the
    /// order their events arrived (their synchronous part runs in that order).
    pub fn on<F, Fut>(&self, event: &str, handler: F) -> HandlerId
    where
        F: Fn(SocketRef, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_handler(event, handler, false)
    }

    /// Calls `handler` for the next `event` only.
    pub fn once<F, Fut>(&self, event: &str, handler: F) -> HandlerId
    where
        F: Fn(SocketRef, Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.add_handler(event, handler, true)
    }

    /// Removes every handler of `event`.
    pub fn off(&self, event: &str) {
        self.handlers_mut().events.remove(event);
    }

    /// Removes one handler (of an event, `on_any` or `on_any_outgoing`).
    pub fn off_handler(&self, id: HandlerId) {
        let mut h = self.handlers_mut();
        for list in h.events.values_mut() {
            list.retain(|r| r.id != id);
        }
        h.any.retain(|r| r.id != id);
        h.any_outgoing.retain(|r| r.id != id);
    }

    /// Calls `handler` with every incoming event's name and arguments (`onAny`), before the
    /// middlewares and the event's handlers.
    pub fn on_any<F>(&self, handler: F) -> HandlerId
    where
        F: Fn(&SocketRef, &str, &[Value]) + Send + Sync + 'static,
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

    /// Calls `handler` with every outgoing event's name and arguments (`onAnyOutgoing`).
    pub fn on_any_outgoing<F>(&self, handler: F) -> HandlerId
    where
        F: Fn(&SocketRef, &str, &[Value]) + Send + Sync + 'static,
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
    /// there.
    pub fn on_disconnecting<F, Fut>(&self, handler: F)
    where
        F: Fn(SocketRef, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handlers_mut()
            .disconnecting
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Calls `handler` once the socket has left (`disconnect`), with the reference's reason.
    pub fn on_disconnect<F, Fut>(&self, handler: F)
    where
        F: Fn(SocketRef, DisconnectReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handlers_mut()
            .disconnect
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }

    /// Calls `handler` on a socket error (a middleware's refusal, an invalid packet).
    pub fn on_error<F>(&self, handler: F)
    where
        F: Fn(&SocketRef, &SocketError) + Send + Sync + 'static,
    {
        self.handlers_mut().error.push(Arc::new(handler));
    }

    // ---- emitting ----

    /// Emits `event` to this client; `data` becomes its arguments (a tuple for several, `()` for
    /// none; see [`value::to_args`]). Binary (`bytes::Bytes`) may appear anywhere.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emitter().emit(event, data)
    }

    /// Emits `event` and waits for the client's acknowledgement, read as `R` (a tuple for several
    /// arguments). Without a [`timeout`](SocketRef::timeout) it waits as long as the socket is
    /// connected.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.emitter().emit_with_ack(event, data).await
    }

    fn emitter(&self) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            timeout: None,
            volatile: false,
        }
    }

    /// Emits with an acknowledgement deadline (`socket.timeout(ms)`).
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter {
        SocketEmitter {
            timeout: Some(timeout),
            ..self.emitter()
        }
    }

    /// Emits volatile events: dropped if the transport cannot send right now, never stored for
    /// recovery.
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter {
            volatile: true,
            ..self.emitter()
        }
    }

    /// The `compress` flag; accepted for compatibility (this server does not compress).
    pub fn compress(&self, _compress: bool) -> SocketEmitter {
        self.emitter()
    }

    // ---- broadcasting from this socket ----

    fn operator(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.0.ns.clone()).except(self.id())
    }

    /// Broadcasts to `rooms`, leaving this socket out (`socket.to(room)`).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().to(rooms)
    }

    /// Same as [`SocketRef::to`] (`socket.in(room)`).
    pub fn in_(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Broadcasts to every socket but those in `rooms` and this one.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.operator().except(rooms)
    }

    /// Broadcasts to every other socket of the namespace (`socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        self.operator()
    }

    /// Broadcasts to this node's other sockets only (`socket.local`).
    pub fn local(&self) -> BroadcastOperator {
        self.operator().local()
    }

    // ---- rooms ----

    /// Joins rooms: all of them, or none when the socket would then be in more rooms than the
    /// builder's [`max_rooms_per_socket`](crate::SocketIoBuilder::max_rooms_per_socket) (10,000,
    /// its own id's room among them; the reference has no bound).
    pub fn join(&self, rooms: impl IntoRooms) -> Result<(), JoinError> {
        let max = self.0.ns.max_rooms_per_socket();
        self.0
            .ns
            .adapter()
            .add_all_bounded(self.id(), &rooms.into_rooms(), max)
    }

    /// Leaves a room.
    pub fn leave(&self, room: &str) {
        self.0.ns.adapter().del(self.id(), room);
    }

    /// Leaves every room.
    pub fn leave_all(&self) {
        self.0.ns.adapter().del_all(self.id());
    }

    /// The rooms the socket is in (its own id among them).
    pub fn rooms(&self) -> Vec<Room> {
        self.0.ns.adapter().socket_rooms(self.id())
    }

    // ---- leaving ----

    /// Disconnects the socket from its namespace (`socket.disconnect()`): the client gets
    /// DISCONNECT and does not reconnect; the connection stays for its other namespaces.
    pub fn disconnect(&self) {
        let _ = self.0.tx.send(SessionMsg::App(AppCmd::Disconnect {
            nsp: self.0.nsp.clone(),
        }));
    }

    /// Disconnects every socket of the connection and closes it (`socket.disconnect(true)`).
    pub fn disconnect_and_close(&self) {
        let _ = self.0.tx.send(SessionMsg::App(AppCmd::Close));
    }

    // ---- driver side ----

    pub(crate) fn send_cmd(&self, cmd: AppCmd) -> bool {
        self.0.tx.send(SessionMsg::App(cmd)).is_ok()
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.0.connected.store(connected, Ordering::Release);
    }

    pub(crate) fn notify_outgoing(&self, data: &[Value]) {
        let handlers: Vec<_> = self.handlers().any_outgoing.clone();
        if handlers.is_empty() {
            return;
        }
        let name = data.first().and_then(Value::as_str).unwrap_or("");
        let args = data.get(1..).unwrap_or_default();
        for h in handlers {
            (h.handler)(self, name, args);
        }
    }

    pub(crate) fn emit_error(&self, error: &SocketError) {
        let handlers = self.handlers().error.clone();
        if handlers.is_empty() {
            tracing::debug!(socket = %self.id(), "socket error: {error}");
        }
        for h in handlers {
            h(self, error);
        }
    }

    /// An EVENT from the client: `on_any` handlers, then the middlewares, then the event's handlers.
    pub(crate) fn dispatch(&self, mut args: Vec<Value>, id: Option<AckId>) {
        let name = match args.first() {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return,
        };
        args.remove(0);
        let event = Event {
            name,
            args,
            ack: id.map(|id| AckSender {
                tx: self.0.tx.clone(),
                nsp: self.0.nsp.clone(),
                id,
                state: Arc::new(AckState {
                    sent: AtomicBool::new(false),
                    owed: self.namespace().0.owed_acks.owe(),
                }),
            }),
        };
        let (any, middlewares) = {
            let h = self.handlers();
            (h.any.clone(), h.middlewares.clone())
        };
        for h in any {
            (h.handler)(self, &event.name, &event.args);
        }
        if middlewares.is_empty() {
            self.run_handlers(event);
            return;
        }
        let socket = self.clone();
        run_inline(Box::pin(async move {
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
            socket.run_handlers(event);
        }));
    }

    fn run_handlers(&self, event: Event) {
        if !self.connected() {
            return;
        }
        let list: Vec<Registered<EventHandler>> = {
            let mut h = self.handlers_mut();
            let Some(list) = h.events.get_mut(&event.name) else {
                return;
            };
            let out = list.clone();
            list.retain(|r| !r.once);
            out
        };
        for r in list {
            run_inline((r.handler)(self.clone(), event.clone()));
        }
    }

    /// The socket left its namespace: `disconnecting`, recovery bookkeeping, rooms, `disconnect`.
    pub(crate) fn closed(&self, reason: DisconnectReason, recovery: bool) {
        if !self.0.connected.swap(false, Ordering::AcqRel) {
            return;
        }
        let disconnecting = self.handlers().disconnecting.clone();
        for h in disconnecting {
            run_inline(h(self.clone(), reason));
        }
        let adapter = self.0.ns.adapter();
        if recovery && reason.is_recoverable() {
            if let Some(pid) = &self.0.pid {
                adapter.persist_session(crate::adapter::PersistedSession {
                    sid: self.0.id.clone(),
                    pid: pid.clone(),
                    rooms: adapter.socket_rooms(self.id()),
                    data: self.data_value(),
                });
            }
        }
        adapter.del_all(self.id());
        self.0.ns.remove_socket(self.id());
        let disconnect = self.handlers().disconnect.clone();
        for h in disconnect {
            run_inline(h(self.clone(), reason));
        }
    }
}

/// Emits to one socket with flags (`socket.timeout(ms)`, `socket.volatile`).
#[derive(Clone, Debug)]
pub struct SocketEmitter {
    socket: SocketRef,
    timeout: Option<Duration>,
    volatile: bool,
}

impl SocketEmitter {
    /// Sets the acknowledgement deadline.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Makes the emit volatile.
    #[must_use]
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Emits `event` with `data` as its arguments.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        check_event_name(event)?;
        let socket = &self.socket;
        if !socket.connected() {
            return Err(EmitError::Disconnected);
        }
        let mut packet_data = vec![Value::String(event.to_owned())];
        packet_data.extend(to_args(data)?);
        let packet = BroadcastPacket {
            nsp: socket.nsp().to_owned(),
            data: packet_data,
        };
        let flags = BroadcastFlags {
            volatile: self.volatile,
            ..BroadcastFlags::default()
        };
        let adapter = socket.0.ns.adapter();
        if socket.0.ns.recovery_enabled() && !self.volatile {
            // Through the adapter, as the reference does, so that the packet gets an offset and
            // is kept for a later recovery.
            adapter.broadcast(
                packet,
                BroadcastOptions {
                    rooms: std::iter::once(socket.id().to_owned()).collect(),
                    except: Default::default(),
                    flags,
                },
            )
        } else {
            socket
                .0
                .ns
                .deliver(&[socket.id().to_owned()], &packet, &flags, None)
        }
    }

    /// Emits `event` and waits for the acknowledgement, read as `R`.
    pub async fn emit_with_ack<T, R>(&self, event: &str, data: &T) -> Result<R, AckError>
    where
        T: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        check_event_name(event)?;
        let socket = &self.socket;
        if !socket.connected() {
            return Err(AckError::Disconnected);
        }
        let mut items = vec![Value::String(event.to_owned())];
        items.extend(to_args(data).map_err(EmitError::from)?);
        socket.notify_outgoing(&items);
        let (args, attachments) = value::encode_array(&items);
        let (reply, answer) = oneshot::channel();
        if !socket.send_cmd(AppCmd::EmitWithAck {
            nsp: socket.0.nsp.clone(),
            args,
            attachments,
            timeout: self.timeout,
            reply: AckReply::One(reply),
        }) {
            return Err(AckError::Disconnected);
        }
        let args = answer.await.map_err(|_| AckError::Disconnected)??;
        from_args(args).map_err(AckError::Deserialize)
    }
}
