//! The Socket.IO server ([`SocketIo`]), its builder and its namespaces ([`Namespace`], static or
//! dynamic).

mod dynamic;
pub mod extract;
pub mod handler;
pub(crate) mod local;
pub mod socket;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use proto::socket::Parser;
use proto::socket::args::{Args, ser::ToArgs};
use proto::socket::packet::Nsp;
use proto::socket::server::Encoded;
use tokio::sync::{mpsc, watch};

use crate::engine::BoxFuture;
use crate::engine::{EngineHandle, SessionTable};
use crate::socketio::adapter::{
    AckEvent, Adapter, BroadcastFlags, BroadcastPacket, RemoteSocketData, Room, RoomEvent,
    ServerSideAck, SocketId,
};
use crate::socketio::cmd::{AckReply, AppCmd, SharedPacket};
use crate::socketio::config::ConnectionStateRecovery;
use crate::socketio::error::{AdapterError, EmitError};
use crate::socketio::event::OwedAcks;
use crate::socketio::event::check_event_name;
use crate::socketio::id_hash::IdMap;
use crate::socketio::io::handler::{
    BoxedConnectHandler, BoxedConnectMiddleware, ConnectHandler, ConnectMiddleware,
};
use crate::socketio::io::socket::SocketRef;
use local::{AdapterFactory, LocalNamespace};

pub(crate) use dynamic::Child;
pub use dynamic::{NsMatcher, NsPredicate, ParentNamespace};

type RoomListener = Arc<dyn Fn(&RoomEvent) + Send + Sync>;
type ServerSideHandler =
    Arc<dyn Fn(Args, Option<ServerSideAck>) -> BoxFuture<'static, ()> + Send + Sync>;

/// A namespace's connection handlers and middlewares; a dynamic namespace's children share their
/// parent's.
#[derive(Default)]
pub(crate) struct NsHandlers {
    connection: RwLock<Vec<BoxedConnectHandler>>,
    middlewares: RwLock<Vec<BoxedConnectMiddleware>>,
}

impl NsHandlers {
    pub(crate) fn connection(&self) -> Vec<BoxedConnectHandler> {
        self.connection
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn middlewares(&self) -> Vec<BoxedConnectMiddleware> {
        self.middlewares
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn add_connection(&self, handler: BoxedConnectHandler) {
        self.connection
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(handler);
    }

    fn add_middleware(&self, middleware: BoxedConnectMiddleware) {
        self.middlewares
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(middleware);
    }
}

pub(crate) struct NsInner {
    nsp: Nsp,
    adapter: Arc<dyn Adapter>,
    sockets: RwLock<IdMap<SocketRef>>,
    pub(crate) handlers: Arc<NsHandlers>,
    room_listeners: RwLock<Vec<RoomListener>>,
    server_side: RwLock<HashMap<String, Vec<ServerSideHandler>>>,
    recovery: bool,
    max_rooms_per_socket: usize,
    /// The server's `parser`: a broadcast is encoded once, by it, for every receiver.
    parser: Parser,
    /// Set on a dynamic namespace's children.
    child: Option<Child>,
    /// The server's, shared by its namespaces.
    pub(crate) owed_acks: Arc<OwedAcks>,
    /// The state given to the builder (`State<T>`), shared by the namespaces.
    state: Arc<http::Extensions>,
}

impl NsInner {
    /// The local sockets among `ids`, looked up under one lock.
    fn sockets_of(&self, ids: &[SocketId]) -> Vec<SocketRef> {
        self.sockets_where(|each| ids.iter().for_each(|id| each(id)))
    }

    /// The local sockets among the ids `select` hands over, looked up under one lock (taken
    /// before any lock `select` takes: the adapter's rooms are never held while taking it).
    pub(crate) fn sockets_where(
        &self,
        select: impl FnOnce(&mut dyn FnMut(&str)),
    ) -> Vec<SocketRef> {
        let sockets = self.sockets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        select(&mut |id| {
            if let Some(socket) = sockets.get(id) {
                out.push(socket.clone());
            }
        });
        out
    }

    pub(crate) fn socket(&self, id: &str) -> Option<SocketRef> {
        self.sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    pub(crate) fn room_event(&self, event: &RoomEvent) {
        // A session task unwinding lets go of its sockets (`SocketRef::abandon`): no listener
        // runs then, as a second panic would abort the process.
        if std::thread::panicking() {
            return;
        }
        let listeners = self
            .room_listeners
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for l in listeners {
            l(event);
        }
    }

    /// An event from another node (`serverSideEmit`): `data` is the name and the arguments.
    pub(crate) fn server_side_event(&self, data: Args, ack: Option<ServerSideAck>) {
        let Some(event) = data.event_name() else {
            tracing::debug!("server-side event without a name ignored");
            return;
        };
        let handlers = self
            .server_side
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&*event)
            .cloned()
            .unwrap_or_default();
        let args = data.without_first();
        let mut ack = ack;
        for handler in handlers {
            crate::engine::runner::spawn_contained(
                handler(args.clone(), ack.take()),
                None::<crate::engine::inbox::SessionTx>,
            );
        }
    }

    pub(crate) fn deliver(
        &self,
        ids: &[SocketId],
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        offset: Option<&str>,
    ) -> Result<(), EmitError> {
        self.deliver_to(self.sockets_of(ids), packet, flags, offset)
    }

    /// [`NsInner::deliver`] to sockets already looked up.
    pub(crate) fn deliver_to(
        &self,
        sockets: Vec<SocketRef>,
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        offset: Option<&str>,
    ) -> Result<(), EmitError> {
        let encoded = Encoded::event(self.parser, &self.nsp, packet.args.clone(), offset)
            .map_err(usage_error)?
            .with_compress(flags.compress != Some(false));
        let shared = Arc::new(SharedPacket::new(encoded));
        for socket in sockets {
            socket.notify_outgoing(&packet.args);
            socket.send_cmd(AppCmd::SendEncoded {
                packet: shared.clone(),
                volatile: flags.volatile,
            });
        }
        Ok(())
    }

    pub(crate) fn deliver_with_ack(
        &self,
        ids: &[SocketId],
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        acks: &mpsc::UnboundedSender<AckEvent>,
    ) -> Result<usize, EmitError> {
        // Checked once here, so that a bad packet fails the call rather than every socket.
        let name = packet
            .args
            .event_name()
            .ok_or(EmitError::Adapter(AdapterError::Other(String::from(
                "a broadcast's arguments must start with the event's name",
            ))))?;
        check_event_name(&name)?;
        let mut count = 0;
        for id in ids {
            if let Some(socket) = self.socket(id) {
                socket.notify_outgoing(&packet.args);
                if socket.send_cmd(AppCmd::EmitWithAck {
                    nsp: self.nsp.clone(),
                    args: packet.args.clone(),
                    timeout: flags.timeout,
                    compress: flags.compress != Some(false),
                    reply: AckReply::Many(acks.clone()),
                }) {
                    count += 1;
                }
            }
        }
        Ok(count)
    }
}

fn usage_error(e: proto::socket::server::UsageError) -> EmitError {
    use proto::socket::server::UsageError;
    match e {
        UsageError::ReservedEventName => EmitError::ReservedEventName(String::new()),
        UsageError::TooManyPendingAcks(_) => EmitError::TooManyPendingAcks,
        other => EmitError::Adapter(AdapterError::Other(other.to_string())),
    }
}

/// A namespace: its sockets, rooms, handlers and middlewares. Cheap to clone.
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NsInner>);

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl Namespace {
    fn new(
        io: &Arc<IoInner>,
        name: Nsp,
        handlers: Arc<NsHandlers>,
        child: Option<Child>,
    ) -> Namespace {
        let factory = io.adapter_factory.clone();
        let ns = Namespace::with_adapter(io, name, handlers, child, |local| factory(local));
        let adapter = ns.0.adapter.clone();
        let init = async move {
            if let Err(e) = adapter.init().await {
                tracing::error!("adapter init failed: {e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(init);
            }
            // Built before the runtime started (the in-memory adapter needs no init).
            Err(_) => tracing::debug!("no runtime: adapter init skipped for {}", ns.name()),
        }
        ns
    }

    fn with_adapter(
        io: &Arc<IoInner>,
        name: Nsp,
        handlers: Arc<NsHandlers>,
        child: Option<Child>,
        adapter: impl FnOnce(LocalNamespace) -> Arc<dyn Adapter>,
    ) -> Namespace {
        let recovery = io.recovery;
        Namespace(Arc::new_cyclic(|weak: &Weak<NsInner>| NsInner {
            adapter: adapter(LocalNamespace {
                ns: weak.clone(),
                name: name.as_str().to_owned(),
                recovery,
            }),
            nsp: name,
            sockets: RwLock::new(IdMap::default()),
            handlers,
            room_listeners: RwLock::new(Vec::new()),
            server_side: RwLock::new(HashMap::new()),
            recovery: recovery.is_some(),
            max_rooms_per_socket: io.max_rooms_per_socket,
            parser: io.socket_config.parser,
            child,
            owed_acks: io.owed_acks.clone(),
            state: io.state.clone(),
        }))
    }

    pub(crate) fn same(&self, other: &Namespace) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The name (`/`, `/admin` ...).
    pub fn name(&self) -> &str {
        self.0.nsp.as_str()
    }

    pub(crate) fn nsp(&self) -> &Nsp {
        &self.0.nsp
    }

    /// The namespace's adapter.
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.0.adapter
    }

    /// The state of type `T` given to the builder ([`SocketIoBuilder::with_state`](crate::SocketIoBuilder::with_state)).
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.state.get::<T>().cloned()
    }

    /// The most rooms one socket may be in (the builder's `max_rooms_per_socket`).
    pub(crate) fn max_rooms_per_socket(&self) -> usize {
        self.0.max_rooms_per_socket
    }

    pub(crate) fn recovery_enabled(&self) -> bool {
        self.0.recovery
    }

    pub(crate) fn deliver(
        &self,
        ids: &[SocketId],
        packet: &BroadcastPacket,
        flags: &BroadcastFlags,
        offset: Option<&str>,
    ) -> Result<(), EmitError> {
        self.0.deliver(ids, packet, flags, offset)
    }

    pub(crate) fn insert_socket(&self, socket: SocketRef) {
        self.0
            .sockets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(socket.id().to_owned(), socket);
    }

    pub(crate) fn remove_socket(&self, id: &str) {
        let empty = {
            let mut sockets = self.0.sockets.write().unwrap_or_else(|e| e.into_inner());
            sockets.remove(id);
            sockets.is_empty()
        };
        if let Some(child) = self.0.child.as_ref().filter(|_| empty) {
            child.emptied(self);
        }
    }

    /// Calls `handler` for each socket that connects (after the middlewares passed). It takes
    /// the connect [extractors](crate::extract) (`SocketRef`, `Data<T>` for the auth object,
    /// `State<T>`, ...), plain or `async`.
    pub fn on_connection<H: ConnectHandler<M>, M: 'static>(&self, handler: H) {
        self.0
            .handlers
            .add_connection(handler::connect_handler(handler));
    }

    /// Adds a middleware run for each socket before it connects (`namespace.use`): it takes the
    /// connect [extractors](crate::extract) and returns `Result<(), ConnectError>`, plain or
    /// `async`; an error refuses the socket with CONNECT_ERROR `{"message":..,"data":..}`.
    pub fn use_middleware<H: ConnectMiddleware<M>, M: 'static>(&self, middleware: H) {
        self.0
            .handlers
            .add_middleware(handler::connect_middleware(middleware));
    }

    /// Calls `listener` on room events (`create-room`, `delete-room`, `join-room`, `leave-room`).
    pub fn on_room_event<F: Fn(&RoomEvent) + Send + Sync + 'static>(&self, listener: F) {
        self.0
            .room_listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(listener));
    }

    /// Calls `handler` for each `event` another node sends with `serverSideEmit` (the
    /// reference's `namespace.on(event, ..)`), with its arguments and, when the sender waits for
    /// an answer, where to send it (the first handler of the event gets it).
    pub fn on_server_side<F, Fut>(&self, event: &str, handler: F)
    where
        F: Fn(Args, Option<ServerSideAck>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.0
            .server_side
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(event.to_owned())
            .or_default()
            .push(Arc::new(move |args, ack| Box::pin(handler(args, ack))));
    }

    /// This node's sockets.
    pub fn sockets(&self) -> Vec<SocketRef> {
        self.0
            .sockets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// A socket of this node by id.
    pub fn get_socket(&self, id: &str) -> Option<SocketRef> {
        self.0.socket(id)
    }

    /// This node's rooms.
    pub fn rooms(&self) -> Vec<Room> {
        self.0.adapter.rooms()
    }

    /// Emits to the other server nodes (`serverSideEmit`); `data` as for an emit. With the
    /// in-memory adapter there is no other node.
    pub async fn server_side_emit<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        let args = data.to_event_args(event)?;
        self.0.adapter.server_side_emit(args, None).await?;
        Ok(())
    }

    /// Emits to the other server nodes and collects one answer per node within `timeout`.
    pub async fn server_side_emit_with_ack<T: ToArgs + ?Sized>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<Vec<Args>, EmitError> {
        let args = data.to_event_args(event)?;
        Ok(self.0.adapter.server_side_emit(args, Some(timeout)).await?)
    }

    /// Describes the sockets of this node selected by `to`/`except` (for adapters and tests).
    pub fn local_socket_data(&self) -> Vec<RemoteSocketData> {
        self.sockets()
            .into_iter()
            .map(|s| RemoteSocketData {
                id: s.id().to_owned(),
                handshake: s.handshake().clone(),
                rooms: s.rooms(),
                data: s.data_value(),
            })
            .collect()
    }
}

pub(crate) struct IoInner {
    pub(crate) engine: Arc<SessionTable>,
    pub(crate) socket_config: proto::socket::server::Config,
    pub(crate) recovery: Option<ConnectionStateRecovery>,
    max_rooms_per_socket: usize,
    cleanup_empty_child_namespaces: bool,
    adapter_factory: AdapterFactory,
    /// The in-memory adapter's factory: for the stand-ins of dynamic namespaces' children.
    memory_adapter: AdapterFactory,
    nsps: RwLock<HashMap<String, Namespace>>,
    parents: RwLock<Vec<ParentNamespace>>,
    closed: watch::Sender<bool>,
    owed_acks: Arc<OwedAcks>,
    state: Arc<http::Extensions>,
}

impl IoInner {
    /// A server with `config`'s options; its namespaces' adapters are `config`'s, or made by
    /// `memory_adapter` (the in-memory adapter's factory, handed down from above it).
    pub(crate) fn new(
        engine: Arc<SessionTable>,
        config: SocketIoConfig,
        memory_adapter: AdapterFactory,
    ) -> Arc<IoInner> {
        let adapter_factory = config.adapter.unwrap_or_else(|| memory_adapter.clone());
        Arc::new(IoInner {
            engine,
            socket_config: config.socket,
            recovery: config.recovery,
            max_rooms_per_socket: config.max_rooms_per_socket,
            cleanup_empty_child_namespaces: config.cleanup_empty_child_namespaces,
            adapter_factory,
            memory_adapter,
            nsps: RwLock::new(HashMap::new()),
            parents: RwLock::new(Vec::new()),
            closed: watch::channel(false).0,
            owed_acks: Arc::default(),
            state: Arc::new(config.state),
        })
    }

    fn get_or_create(self: &Arc<Self>, name: Nsp) -> Namespace {
        let mut nsps = self.nsps.write().unwrap_or_else(|e| e.into_inner());
        nsps.entry(name.as_str().to_owned())
            .or_insert_with(|| Namespace::new(self, name, Arc::new(NsHandlers::default()), None))
            .clone()
    }
}

/// The Socket.IO server. Cheap to clone; every clone is the same server.
///
/// ```no_run
/// use sockeye_server::{AckSender, Data, SocketIo, SocketRef};
///
/// # async fn run() -> std::io::Result<()> {
/// let (layer, io) = SocketIo::builder().build_layer();
/// io.ns("/", |socket: SocketRef| {
///     socket.on(
///         "chat",
///         |socket: SocketRef, Data(msg): Data<String>, ack: AckSender| {
///             let _ = socket.broadcast().emit("chat", &msg);
///             let _ = ack.send(&"ok");
///         },
///     );
/// });
/// let app = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .layer(layer);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
#[derive(Clone)]
pub struct SocketIo(pub(crate) Arc<IoInner>);

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo")
            .field("clients_count", &self.0.engine.clients_count())
            .finish_non_exhaustive()
    }
}

/// The Socket.IO server's options: the builder's Socket.IO part (the builder itself is the HTTP
/// layer's, which serves the server).
pub(crate) struct SocketIoConfig {
    pub(crate) socket: proto::socket::server::Config,
    pub(crate) recovery: Option<ConnectionStateRecovery>,
    pub(crate) adapter: Option<AdapterFactory>,
    pub(crate) max_rooms_per_socket: usize,
    pub(crate) cleanup_empty_child_namespaces: bool,
    pub(crate) state: http::Extensions,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            socket: proto::socket::server::Config::default(),
            recovery: None,
            adapter: None,
            max_rooms_per_socket: 10_000,
            cleanup_empty_child_namespaces: false,
            state: http::Extensions::new(),
        }
    }
}

impl SocketIo {
    /// A namespace, created if new (`io.of(name)`). Names get a leading `/` if they lack one.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid namespace name (longer than 1024 bytes).
    pub fn of(&self, name: &str) -> Namespace {
        let name = if name.starts_with('/') {
            name.to_owned()
        } else {
            format!("/{name}")
        };
        #[allow(
            clippy::expect_used,
            reason = "a server's own namespace names are static configuration"
        )]
        let nsp = Nsp::new(&name).expect("a valid namespace name");
        self.0.get_or_create(nsp)
    }

    /// A namespace with a connection handler (`io.of(name).on("connection", handler)`).
    pub fn ns<H: ConnectHandler<M>, M: 'static>(&self, name: &str, handler: H) -> Namespace {
        let ns = self.of(name);
        ns.on_connection(handler);
        ns
    }

    /// A dynamic namespace: children are created for the names `matcher` accepts, and share its
    /// handlers (`io.of(regex)` / `io.of(fn)`).
    pub fn dynamic_ns(&self, matcher: impl Into<NsMatcher>) -> ParentNamespace {
        let parent = ParentNamespace::new(matcher.into());
        self.0
            .parents
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(parent.clone());
        parent
    }

    /// The main namespace `/`.
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// The Engine.IO server (`io.engine`).
    pub fn engine(&self) -> EngineHandle {
        EngineHandle {
            table: self.0.engine.clone(),
        }
    }

    /// Adds a middleware on `/`.
    pub fn use_middleware<H: ConnectMiddleware<M>, M: 'static>(&self, middleware: H) {
        self.sockets().use_middleware(middleware)
    }

    /// Closes the server (`io.close()`): new handshakes are refused, every socket disconnects
    /// with `server shutting down` and every connection closes; resolves once all are over (a
    /// polling client that never polls again is closed after 30 s, the reference's close
    /// timeout). [`SocketIo::closed`] resolves then.
    pub async fn close(&self) {
        self.0
            .engine
            .close_all(|| crate::engine::inbox::SessionMsg::Shutdown)
            .await;
        let nsps: Vec<Namespace> = self
            .0
            .nsps
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for ns in nsps {
            if let Err(e) = ns.adapter().close().await {
                tracing::warn!("adapter close failed: {e}");
            }
        }
        self.0.closed.send_replace(true);
    }

    /// A graceful [`SocketIo::close`]: refuses new connections at once, lets the handlers answer
    /// the acknowledgements their clients asked for (while the connections stay open, for at
    /// most `grace`), then closes as [`SocketIo::close`] does (every socket disconnected with
    /// `server shutting down`, each connection closed once what is queued for it has been sent:
    /// the acknowledgements included).
    pub async fn close_gracefully(&self, grace: Duration) {
        self.0.engine.mark_closed();
        let _ = tokio::time::timeout(grace, self.0.owed_acks.settled()).await;
        self.close().await;
    }

    /// Resolves once [`SocketIo::close`] has finished (the `shutdown` of [`serve`](crate::serve)).
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.closed.subscribe();
        async move {
            let _ = rx.wait_for(|closed| *closed).await;
        }
    }
}
