//! The Engine.IO layer: one task per session that owns the core's state machine and its
//! WebSocket (the `runner`), the session table, and the bare Engine.IO API ([`EngineIo`]), usable
//! on its own like the reference's `engine.io` package. It knows neither HTTP (the `http` layer
//! hands it requests and upgraded WebSockets) nor Socket.IO (which plugs in as the runner's
//! `App`, through a `SessionStarter`).
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

mod bare;
pub(crate) mod channel;
pub mod conn;
pub(crate) mod inbox;
mod request;
pub(crate) mod runner;
pub(crate) mod websocket;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use proto::Instant;
use proto::engine::{Sid, Transport};
use tokio::sync::Notify;

pub use bare::{EngineIo, EngineSocket};
pub use request::{ConnectionError, ErrorCode, RequestInfo};

use inbox::{AppTx, SessionRx, SessionTx, WsStream, session_channel};
use runner::{App, Runner};

/// A boxed, sendable future (the shape of the hooks, the handlers and of the
/// [`Adapter`](crate::adapter::Adapter)'s methods).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// Why a message could not be handed to a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The connection (or socket) is closed.
    #[error("the connection is closed")]
    Closed,
    /// This acknowledgement was already sent (the reference ignores a second call; here it is an
    /// error the caller can ignore).
    #[error("the acknowledgement was already sent")]
    AlreadySent,
    /// The arguments could not be serialized.
    #[error("cannot serialize the arguments: {0}")]
    Serialize(proto::socket::args::ser::Error),
}

type ConnectionErrorHandler = Arc<dyn Fn(&ConnectionError) + Send + Sync>;

/// What a new session starts with.
pub(crate) struct NewSession {
    pub(crate) sid: Sid,
    pub(crate) transport: Transport,
    pub(crate) req: RequestInfo,
    pub(crate) ws: Option<Box<WsStream>>,
}

/// Starts the protocol stack of a new session (Socket.IO, or bare Engine.IO): builds its core
/// and its [`App`], then [`SessionTable::spawn`]s it. `None` when nothing can serve it.
pub(crate) trait SessionStarter: Send + Sync + 'static {
    fn start(&self, table: &Arc<SessionTable>, new: NewSession) -> Option<SessionTx>;
}

/// A WebSocket still writing its last frames ([`SessionTable::flushing`]).
pub(crate) struct Flushing(Arc<SessionTable>);

impl Drop for Flushing {
    fn drop(&mut self) {
        self.0.flushing.fetch_sub(1, Ordering::AcqRel);
        self.0.session_ended.notify_waiters();
    }
}

/// The sessions of one server, and what every one of them shares.
pub(crate) struct SessionTable {
    /// The core's options for every session.
    pub(crate) config: proto::engine::server::Config,
    pub(crate) epoch: tokio::time::Instant,
    sessions: Mutex<HashMap<String, SessionTx>>,
    starter: RwLock<Option<Arc<dyn SessionStarter>>>,
    connection_error_handlers: RwLock<Vec<ConnectionErrorHandler>>,
    closed: AtomicBool,
    /// WebSockets still writing what their session queued last, after it let go of them.
    flushing: AtomicUsize,
    /// Woken whenever a session ends or a WebSocket has written its last frames (`close()` waits
    /// for both).
    session_ended: Notify,
}

impl SessionTable {
    pub(crate) fn new(config: proto::engine::server::Config) -> Arc<Self> {
        Arc::new(SessionTable {
            config,
            epoch: tokio::time::Instant::now(),
            sessions: Mutex::new(HashMap::new()),
            starter: RwLock::new(None),
            connection_error_handlers: RwLock::new(Vec::new()),
            closed: AtomicBool::new(false),
            flushing: AtomicUsize::new(0),
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

    /// Waits until every session has ended and every WebSocket has written what its session
    /// queued last: a process that exits after the server's close loses none of it. (The wait for
    /// the peer's close frame goes on in its task; the server does not wait for it.)
    pub(crate) async fn wait_empty(&self) {
        loop {
            let ended = self.session_ended.notified();
            if self.clients_count() == 0 && self.flushing.load(Ordering::Acquire) == 0 {
                return;
            }
            ended.await;
        }
    }

    /// Counts a WebSocket its session let go of until the returned guard is dropped: once its
    /// last frames are written (or could not be).
    pub(crate) fn flushing(self: &Arc<Self>) -> Flushing {
        self.flushing.fetch_add(1, Ordering::AcqRel);
        Flushing(self.clone())
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

    /// Starts a new session's task; returns its channel (closed already when nothing could
    /// serve the session).
    pub(crate) fn start_session(
        self: &Arc<Self>,
        sid: Sid,
        transport: Transport,
        req: RequestInfo,
        ws: Option<WsStream>,
    ) -> SessionTx {
        let starter = self
            .starter
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let new = NewSession {
            sid,
            transport,
            req,
            ws: ws.map(Box::new),
        };
        let started = match starter {
            Some(starter) => starter.start(self, new),
            None => {
                tracing::error!("no session starter: the server was not built");
                None
            }
        };
        started.unwrap_or_else(|| {
            // A channel whose receiver is gone: every request on it answers that the session
            // is over.
            let (tx, _) = session_channel::<()>();
            tx.session()
        })
    }

    /// Registers a session, then spawns its task (so that the table holds it before the task
    /// can end and remove it); returns its sender for the table's users.
    pub(crate) fn spawn<A: App>(
        self: &Arc<Self>,
        sid: &Sid,
        core: A::Core,
        app: A,
        (tx, rx): (&AppTx<A::Cmd>, SessionRx<A::Cmd>),
        ws: Option<Box<WsStream>>,
    ) -> SessionTx {
        let session = tx.session();
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid.as_str().to_owned(), session.clone());
        let runner = Runner::new(core, app, self.clone(), sid.as_str().to_owned(), rx, ws);
        tokio::spawn(Box::new(runner).run());
        session
    }

    /// Closes every session with `msg` (`Close` or `Shutdown`) and refuses new ones; resolves
    /// once all are over.
    pub(crate) async fn close_all(&self, msg: fn() -> inbox::SessionMsg) {
        self.mark_closed();
        for tx in self.sessions() {
            let _ = tx.send(msg());
        }
        self.wait_empty().await;
    }
}

/// `io.engine`: the Engine.IO server under a Socket.IO server (or on its own).
#[derive(Clone)]
pub struct EngineHandle {
    pub(crate) table: Arc<SessionTable>,
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
        self.table.clients_count()
    }

    /// Calls `handler` for every refused request (the reference's `connection_error` event).
    pub fn on_connection_error<F>(&self, handler: F)
    where
        F: Fn(&ConnectionError) + Send + Sync + 'static,
    {
        self.table.on_connection_error(Arc::new(handler));
    }
}
