//! The bare Engine.IO API (the reference's `engine.io` package): [`EngineIo`], and each
//! session as an [`EngineSocket`] whose handlers get its messages.

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};

use proto::engine::server::Session;
use proto::engine::{CloseReason, Message, Transport};

use super::inbox::{AppTx, SessionMsg, SessionTx, session_channel};
use super::runner::{App, Link, Prebuilt, run_inline};
use super::{
    BoxFuture, EngineHandle, NewSession, RequestInfo, SendError, SessionStarter, SessionTable,
};

type MessageHandler = Arc<dyn Fn(EngineSocket, Message) -> BoxFuture<'static, ()> + Send + Sync>;
type CloseHandler = Arc<dyn Fn(EngineSocket, CloseReason) -> BoxFuture<'static, ()> + Send + Sync>;
type EngineConnectionHandler = Arc<dyn Fn(EngineSocket) -> BoxFuture<'static, ()> + Send + Sync>;

struct EngineSocketInner {
    sid: String,
    tx: AppTx<Message>,
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
        self.0.tx.send(msg).map_err(|_| SendError::Closed)
    }

    /// Closes the session (reason `forced close`).
    pub fn close(&self) {
        self.0.tx.send_engine(SessionMsg::Close);
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
    /// A message to send.
    type Cmd = Message;

    fn on_start(&mut self, _core: &mut Session, _link: &Link) {
        if let Some(h) = self.on_connection.take() {
            run_inline(h(self.socket.clone()), &self.socket.0.tx);
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
                        run_inline(h(self.socket.clone(), msg.clone()), &self.socket.0.tx);
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
                        run_inline(h(self.socket.clone(), reason.clone()), &self.socket.0.tx);
                    }
                }
                _ => {}
            }
        }
        any
    }

    fn prebuilt_frames<'c>(&self, _core: &Session, _cmd: &'c Message) -> Option<Prebuilt<'c>> {
        None
    }

    fn on_cmd(&mut self, core: &mut Session, _link: &Link, msg: Message) {
        core.send(msg);
    }

    fn on_end(&mut self) {}
}

struct EngineStarter {
    on_connection: RwLock<Option<EngineConnectionHandler>>,
}

impl SessionStarter for EngineStarter {
    fn start(&self, table: &Arc<SessionTable>, new: NewSession) -> Option<SessionTx> {
        let NewSession {
            sid,
            transport,
            req,
            ws,
        } = new;
        let core = Session::new(table.now(), sid.clone(), transport, table.config.clone());
        let (tx, rx) = session_channel();
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
        Some(table.spawn(&sid, core, app, (&tx, rx), ws))
    }
}

/// A bare Engine.IO server (the reference's `engine.io` package), at `/engine.io/` by default;
/// made by [`EngineIo::builder`].
#[derive(Clone)]
pub struct EngineIo {
    table: Arc<SessionTable>,
    starter: Arc<EngineStarter>,
}

impl std::fmt::Debug for EngineIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineIo")
            .field("clients_count", &self.table.clients_count())
            .finish_non_exhaustive()
    }
}

impl EngineIo {
    /// A bare Engine.IO server whose sessions run on `table`'s options.
    pub(crate) fn new(table: Arc<SessionTable>) -> EngineIo {
        let starter = Arc::new(EngineStarter {
            on_connection: RwLock::new(None),
        });
        table.set_starter(starter.clone());
        EngineIo { table, starter }
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
            table: self.table.clone(),
        }
    }

    /// Closes every session and refuses new ones; resolves once all are over.
    pub async fn close(&self) {
        self.table.close_all(|| SessionMsg::Close).await;
    }
}
