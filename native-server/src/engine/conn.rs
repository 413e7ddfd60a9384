//! The Engine.IO connection under a socket (the reference's `socket.conn`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use proto::engine::{CloseReason, Transport};

use super::RequestInfo;
use super::inbox::{SessionMsg, SessionTx};

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
