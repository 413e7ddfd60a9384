//! The Engine.IO server: the session table, and the bare Engine.IO API ([`EngineIo`]), usable on
//! its own like the reference's `engine.io` package.
//!
//! ```no_run
//! use sockeye_server::engine::EngineIo;
//!
//! # async fn run() -> std::io::Result<()> {
//! let (svc, engine) = EngineIo::builder().build_svc();
//! engine.on_connection(|socket| async move {
//!     // An echo server.
//!     socket.on_message(|socket, msg| async move {
//!         let _ = socket.send(msg);
//!     });
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! sockeye_server::serve(listener, svc, std::future::pending()).await
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use proto::Instant;
use proto::engine::server::Session;
use proto::engine::{CloseReason, Message, Sid, Transport};
use tokio::sync::Notify;

use crate::config::{BoxFuture, EngineConfig, engine_builder_methods};
use crate::error::SendError;
use crate::http::{ConnectionError, EngineLayer, EngineService, NotFound, RequestInfo};
use crate::session::{
    App, Link, Runner, SessionMsg, SessionRx, SessionTx, WsStream, session_channel, spawn_contained,
};
use crate::sio_session::AppCmd;

/// Fills `buf` with random bytes from the operating system (session ids must not be guessable).
pub(crate) fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        // Without an OS random source no id is safe to hand out; this is not recoverable.
        panic!("the operating system's random source failed: {e}");
    }
}

/// A random id in the reference's `base64id` shape (15 bytes, 20 base64url characters).
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 15];
    fill_random(&mut bytes);
    Sid::from_random(bytes).as_str().to_owned()
}

type ConnectionErrorHandler = Arc<dyn Fn(&ConnectionError) + Send + Sync>;

/// What a new session starts with.
pub(crate) struct NewSession {
    pub(crate) sid: Sid,
    pub(crate) transport: Transport,
    pub(crate) req: RequestInfo,
    pub(crate) tx: SessionTx,
    pub(crate) rx: SessionRx,
    pub(crate) ws: Option<Box<WsStream>>,
}

/// Starts the protocol stack of a new session (Socket.IO, or bare Engine.IO).
pub(crate) trait SessionStarter: Send + Sync + 'static {
    fn start(&self, shared: Arc<EngineShared>, new: NewSession);
}

/// What every session and request of one server shares.
pub(crate) struct EngineShared {
    pub(crate) config: EngineConfig,
    pub(crate) epoch: tokio::time::Instant,
    sessions: Mutex<HashMap<String, SessionTx>>,
    starter: RwLock<Option<Arc<dyn SessionStarter>>>,
    connection_error_handlers: RwLock<Vec<ConnectionErrorHandler>>,
    closed: AtomicBool,
    /// Woken whenever a session ends (`close()` waits for the table to empty).
    session_ended: Notify,
}

impl EngineShared {
    pub(crate) fn new(config: EngineConfig) -> Arc<Self> {
        Arc::new(EngineShared {
            config,
            epoch: tokio::time::Instant::now(),
            sessions: Mutex::new(HashMap::new()),
            starter: RwLock::new(None),
            connection_error_handlers: RwLock::new(Vec::new()),
            closed: AtomicBool::new(false),
            session_ended: Notify::new(),
        })
    }

    pub(crate) fn set_starter(&self, starter: Arc<dyn SessionStarter>) {
        *self.starter.write().unwrap_or_else(|e| e.into_inner()) = Some(starter);
    }

    /// The core's clock: milliseconds since this server started.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn session(&self, sid: &str) -> Option<SessionTx> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sid)
            .cloned()
    }

    pub(crate) fn sessions(&self) -> Vec<SessionTx> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn clients_count(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub(crate) fn remove_session(&self, sid: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(sid);
        self.session_ended.notify_waiters();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Refuses new handshakes from now on.
    pub(crate) fn mark_closed(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Waits until every session has ended.
    pub(crate) async fn wait_empty(&self) {
        loop {
            let ended = self.session_ended.notified();
            if self.clients_count() == 0 {
                return;
            }
            ended.await;
        }
    }

    pub(crate) fn connection_error(&self, err: ConnectionError) {
        tracing::debug!(code = ?err.code, message = %err.message, uri = %err.req.uri, "connection error");
        let handlers = self
            .connection_error_handlers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for h in handlers {
            h(&err);
        }
    }

    pub(crate) fn on_connection_error(&self, handler: ConnectionErrorHandler) {
        self.connection_error_handlers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(handler);
    }

    /// Registers a new session and starts its task; returns its channel.
    pub(crate) fn start_session(
        self: &Arc<Self>,
        sid: Sid,
        transport: Transport,
        req: RequestInfo,
        ws: Option<WsStream>,
    ) -> SessionTx {
        let (tx, rx) = session_channel();
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid.as_str().to_owned(), tx.clone());
        let starter = self
            .starter
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match starter {
            Some(starter) => starter.start(
                self.clone(),
                NewSession {
                    sid,
                    transport,
                    req,
                    tx: tx.clone(),
                    rx,
                    ws: ws.map(Box::new),
                },
            ),
            None => tracing::error!("no session starter: the server was not built"),
        }
        tx
    }
}

/// `io.engine`: the Engine.IO server under a Socket.IO server (or on its own).
#[derive(Clone)]
pub struct EngineHandle {
    pub(crate) shared: Arc<EngineShared>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle")
            .field("clients_count", &self.clients_count())
            .finish()
    }
}

impl EngineHandle {
    /// How many Engine.IO sessions are open (`clientsCount`).
    pub fn clients_count(&self) -> usize {
        self.shared.clients_count()
    }

    /// Calls `handler` for every refused request (the reference's `connection_error` event).
    pub fn on_connection_error<F>(&self, handler: F)
    where
        F: Fn(&ConnectionError) + Send + Sync + 'static,
    {
        self.shared.on_connection_error(Arc::new(handler));
    }
}

// ---- the bare Engine.IO API ----

type MessageHandler = Arc<dyn Fn(EngineSocket, Message) -> BoxFuture<'static, ()> + Send + Sync>;
type CloseHandler = Arc<dyn Fn(EngineSocket, CloseReason) -> BoxFuture<'static, ()> + Send + Sync>;
type EngineConnectionHandler = Arc<dyn Fn(EngineSocket) -> BoxFuture<'static, ()> + Send + Sync>;

/// Runs a handler's future: its synchronous part right here (so handlers of one session start in
/// the order their packets came, as the reference calls them), the rest as a task. A panic in the
/// first part unwinds into the session loop, which contains it (`Runner::contained`); one in the
/// task closes the session through `tx` with `close`.
pub(crate) fn run_inline(fut: BoxFuture<'static, ()>, tx: &SessionTx, close: AppCmd) {
    let mut fut = fut;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    if fut.as_mut().poll(&mut cx).is_pending() {
        // The task polls it again at once, with a real waker.
        spawn_contained(fut, Some((tx.clone(), close)));
    }
}

struct EngineSocketInner {
    sid: String,
    tx: SessionTx,
    request: RequestInfo,
    transport: Mutex<Transport>,
    on_message: RwLock<Vec<MessageHandler>>,
    on_close: RwLock<Vec<CloseHandler>>,
}

/// One Engine.IO session, as the bare Engine.IO server's handlers see it (the reference's engine
/// `Socket`).
#[derive(Clone)]
pub struct EngineSocket(Arc<EngineSocketInner>);

impl std::fmt::Debug for EngineSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSocket")
            .field("id", &self.0.sid)
            .finish_non_exhaustive()
    }
}

impl EngineSocket {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.0.sid
    }

    /// The handshake request.
    pub fn request(&self) -> &RequestInfo {
        &self.0.request
    }

    /// The transport packets flow on now.
    pub fn transport(&self) -> Transport {
        *self.0.transport.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends a message (text or binary).
    pub fn send(&self, msg: Message) -> Result<(), SendError> {
        self.0
            .tx
            .send(SessionMsg::App(AppCmd::EngineSend(msg)))
            .map_err(|_| SendError::Closed)
    }

    /// Closes the session (reason `forced close`).
    pub fn close(&self) {
        let _ = self.0.tx.send(SessionMsg::App(AppCmd::EngineClose));
    }

    /// Calls `handler` for each message.
    pub fn on_message<F, Fut>(&self, handler: F)
    where
        F: Fn(EngineSocket, Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.0
            .on_message
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(move |s, m| Box::pin(handler(s, m))));
    }

    /// Calls `handler` once the session is over, with the reason.
    pub fn on_close<F, Fut>(&self, handler: F)
    where
        F: Fn(EngineSocket, CloseReason) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.0
            .on_close
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::new(move |s, r| Box::pin(handler(s, r))));
    }
}

struct EngineApp {
    socket: EngineSocket,
    on_connection: Option<EngineConnectionHandler>,
}

impl App for EngineApp {
    type Core = Session;

    fn on_start(&mut self, _core: &mut Session, _link: &Link) {
        if let Some(h) = self.on_connection.take() {
            run_inline(
                h(self.socket.clone()),
                &self.socket.0.tx,
                AppCmd::EngineClose,
            );
        }
    }

    fn drain_events(&mut self, core: &mut Session, _link: &Link) -> bool {
        let mut any = false;
        while let Some(ev) = core.poll_event() {
            any = true;
            match ev {
                proto::engine::server::Event::Message(msg) => {
                    let handlers = self
                        .socket
                        .0
                        .on_message
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone();
                    for h in handlers {
                        run_inline(
                            h(self.socket.clone(), msg.clone()),
                            &self.socket.0.tx,
                            AppCmd::EngineClose,
                        );
                    }
                }
                proto::engine::server::Event::Upgrade(t) => {
                    *self
                        .socket
                        .0
                        .transport
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = t;
                }
                proto::engine::server::Event::Close(reason) => {
                    let handlers = self
                        .socket
                        .0
                        .on_close
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone();
                    for h in handlers {
                        run_inline(
                            h(self.socket.clone(), reason.clone()),
                            &self.socket.0.tx,
                            AppCmd::EngineClose,
                        );
                    }
                }
                _ => {}
            }
        }
        any
    }

    fn on_cmd(&mut self, core: &mut Session, link: &Link, cmd: AppCmd) {
        match cmd {
            AppCmd::EngineSend(msg) => core.send(msg),
            AppCmd::EngineClose => core.close(link.now),
            _ => {}
        }
    }

    fn on_end(&mut self) {}
}

struct EngineStarter {
    on_connection: RwLock<Option<EngineConnectionHandler>>,
}

impl SessionStarter for EngineStarter {
    fn start(&self, shared: Arc<EngineShared>, new: NewSession) {
        let NewSession {
            sid,
            transport,
            req,
            tx,
            rx,
            ws,
        } = new;
        let core = Session::new(
            shared.now(),
            sid.clone(),
            transport,
            shared.config.engine.clone(),
        );
        let socket = EngineSocket(Arc::new(EngineSocketInner {
            sid: sid.as_str().to_owned(),
            tx: tx.clone(),
            request: req,
            transport: Mutex::new(transport),
            on_message: RwLock::new(Vec::new()),
            on_close: RwLock::new(Vec::new()),
        }));
        let app = EngineApp {
            socket,
            on_connection: self
                .on_connection
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        };
        let runner = Runner::new(core, app, shared, sid.as_str().to_owned(), rx, ws);
        tokio::spawn(Box::new(runner).run());
    }
}

/// A bare Engine.IO server (the reference's `engine.io` package), at `/engine.io/` by default.
#[derive(Clone)]
pub struct EngineIo {
    shared: Arc<EngineShared>,
    starter: Arc<EngineStarter>,
}

impl std::fmt::Debug for EngineIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineIo")
            .field("path", &self.shared.config.path)
            .finish_non_exhaustive()
    }
}

/// Builds an [`EngineIo`]; every option defaults to the reference's.
pub struct EngineIoBuilder {
    engine: EngineConfig,
}

impl std::fmt::Debug for EngineIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineIoBuilder")
            .field("path", &self.engine.path)
            .finish_non_exhaustive()
    }
}

impl EngineIoBuilder {
    engine_builder_methods!();

    /// The server and a tower [`Layer`](tower_layer::Layer) for it.
    pub fn build_layer(self) -> (EngineLayer, EngineIo) {
        let io = self.build();
        (EngineLayer::new(io.shared.clone(), None), io)
    }

    /// The server and a tower service for it (404 for other paths).
    pub fn build_svc(self) -> (EngineService<NotFound>, EngineIo) {
        let io = self.build();
        (EngineService::new(io.shared.clone(), NotFound, None), io)
    }

    fn build(self) -> EngineIo {
        let shared = EngineShared::new(self.engine);
        let starter = Arc::new(EngineStarter {
            on_connection: RwLock::new(None),
        });
        shared.set_starter(starter.clone());
        EngineIo { shared, starter }
    }
}

impl EngineIo {
    /// A builder with the reference's defaults, at `/engine.io/`.
    pub fn builder() -> EngineIoBuilder {
        EngineIoBuilder {
            engine: EngineConfig::new("/engine.io/"),
        }
    }

    /// Calls `handler` for every new session (the reference's `connection` event); its
    /// synchronous part runs before the session handles any input, so handlers it registers see
    /// every message.
    pub fn on_connection<F, Fut>(&self, handler: F)
    where
        F: Fn(EngineSocket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        *self
            .starter
            .on_connection
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(move |s| Box::pin(handler(s))));
    }

    /// The session table and the `connection_error` event.
    pub fn engine(&self) -> EngineHandle {
        EngineHandle {
            shared: self.shared.clone(),
        }
    }

    /// Closes every session and refuses new ones; resolves once all are over.
    pub async fn close(&self) {
        self.shared.mark_closed();
        for tx in self.shared.sessions() {
            let _ = tx.send(SessionMsg::App(AppCmd::EngineClose));
        }
        self.shared.wait_empty().await;
    }
}
