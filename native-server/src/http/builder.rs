//! The builders of the two servers, [`SocketIoBuilder`] and [`EngineIoBuilder`]: each gathers
//! the options of every layer it serves (the endpoint's HTTP options, the core's session options,
//! and for Socket.IO its own), then builds the server and the tower service in front of it.

use std::sync::Arc;
use std::time::Duration;

use super::config::{EngineConfig, engine_builder_methods};
use super::{EngineLayer, EngineService, EngineShared, NotFound};
use crate::engine::{EngineIo, SessionTable};
use crate::socketio::adapter::Adapter;
use crate::socketio::config::ConnectionStateRecovery;
use crate::socketio::io::local::LocalNamespace;
use crate::socketio::io::{SocketIo, SocketIoConfig};
#[cfg(doc)]
use crate::socketio::{io::socket::SocketRef, memory_adapter::MemoryAdapter};

/// The shared state of an endpoint built with `engine`'s options.
fn endpoint(engine: EngineConfig) -> Arc<EngineShared> {
    Arc::new(EngineShared {
        table: SessionTable::new(engine.engine.clone()),
        config: engine,
    })
}

/// Builds a [`SocketIo`]; every option defaults to the reference's.
pub struct SocketIoBuilder {
    engine: EngineConfig,
    sio: SocketIoConfig,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("path", &self.engine.path)
            .finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A builder with the reference's defaults, at `/socket.io/`.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder {
            engine: EngineConfig::new("/socket.io/"),
            sio: SocketIoConfig::default(),
        }
    }
}

impl SocketIoBuilder {
    engine_builder_methods!();

    /// How long a connection may take to join a namespace (`connectTimeout`, 45 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.sio.socket.connect_timeout = timeout;
        self
    }

    /// How Socket.IO packets travel (socket.io's `parser` option): [`Parser::Json`] (the default,
    /// socket.io-parser: text, then one binary message per attachment) or
    /// [`Parser::MessagePack`] (socket.io-msgpack-parser: one binary message per packet). Clients
    /// must use the same parser; every packet (acks, binaries, namespaces, broadcasts, recovered
    /// packets) goes through it. The Redis adapters' own encoding between servers does not change.
    ///
    /// [`Parser::Json`]: crate::Parser::Json
    /// [`Parser::MessagePack`]: crate::Parser::MessagePack
    #[must_use]
    pub fn parser(mut self, parser: crate::Parser) -> Self {
        self.sio.socket.parser = parser;
        self
    }

    /// The most binary attachments one packet may carry (`maxAttachments` of the parser, 10).
    #[must_use]
    pub fn max_attachments(mut self, max: usize) -> Self {
        self.sio.socket.limits.max_attachments = max;
        self
    }

    /// The most bytes the attachments of one binary packet may hold in all (10,000,000: the
    /// reference's implied bound, `max_attachments` times a 1 MB `maxHttpBufferSize`). A
    /// connection holds at most one unfinished binary packet, so this bounds what it holds for
    /// one. Past it the connection closes as on any packet the parser refuses.
    #[must_use]
    pub fn max_attachment_bytes(mut self, max: usize) -> Self {
        self.sio.socket.limits.max_attachment_bytes = max;
        self
    }

    /// How long a binary packet may wait for its attachments, counted from its header (60 s; the
    /// reference waits as long as the connection lives). Past it the connection closes as on a
    /// packet the parser refuses (the sockets get `error`, then disconnect with `forced close`).
    #[must_use]
    pub fn attachments_timeout(mut self, timeout: Duration) -> Self {
        self.sio.socket.attachments_timeout = timeout;
        self
    }

    /// How many refused CONNECTs (by a middleware, an unknown namespace or `max_namespaces`) one
    /// connection may have in a burst (10; not in the reference); one more is forgiven every
    /// [`refused_connect_interval`](Self::refused_connect_interval). A CONNECT while the budget
    /// is spent closes the connection without running the middlewares, so an auth middleware
    /// cannot be tried at wire speed on one connection: a new connection is a new handshake,
    /// under [`handshake_rate_per_ip`](Self::handshake_rate_per_ip).
    #[must_use]
    pub fn max_refused_connects(mut self, max: u32) -> Self {
        self.sio.socket.max_refused_connects = max;
        self
    }

    /// How often one refused CONNECT is forgiven (1 s); see
    /// [`max_refused_connects`](Self::max_refused_connects).
    #[must_use]
    pub fn refused_connect_interval(mut self, interval: Duration) -> Self {
        self.sio.socket.refused_connect_interval = interval;
        self
    }

    /// The most namespaces one connection may have joined or be joining (64; not in the
    /// reference): a CONNECT past it is answered with CONNECT_ERROR `Too many namespaces` and the
    /// connection stays up.
    #[must_use]
    pub fn max_namespaces(mut self, max: usize) -> Self {
        self.sio.socket.max_namespaces = max;
        self
    }

    /// The most acknowledgements one socket may await from its client (1,024; not in the
    /// reference): an emit asking for one more fails with an error and sends nothing.
    #[must_use]
    pub fn max_pending_acks(mut self, max: usize) -> Self {
        self.sio.socket.max_pending_acks = max;
        self
    }

    /// How deep the JSON of a client's packet may nest (32; the reference has no bound): a deeper
    /// packet closes the connection as any packet the parser refuses does (the sockets get
    /// `error`, then disconnect with `forced close`).
    #[must_use]
    pub fn max_json_depth(mut self, depth: usize) -> Self {
        self.sio.socket.limits.max_depth = depth;
        self
    }

    /// The most rooms one socket may be in, its own id's room among them (10,000; the reference
    /// has no bound). Each room costs a socket its name twice over in the adapter's maps, so
    /// without a bound a handler that joins rooms the client names lets one client grow the
    /// server's memory at will; 10,000 is far above what applications join (tens) and bounds that
    /// to about a megabyte a socket for short names. Past it, [`SocketRef::join`] fails with
    /// [`JoinError::TooManyRooms`](crate::JoinError::TooManyRooms) and joins none of the rooms;
    /// `socketsJoin` and other nodes' joins leave that socket out, with a warning.
    #[must_use]
    pub fn max_rooms_per_socket(mut self, max: usize) -> Self {
        self.sio.max_rooms_per_socket = max;
        self
    }

    /// Removes a dynamic namespace's child once its last socket has left, and closes its
    /// adapter (`cleanupEmptyChildNamespaces`, false). Off, a child stays for the server's life
    /// once a client was admitted to it (a refused client creates none either way); on, a
    /// client that connects later gets a new child, and the sessions a removed child kept for
    /// connection state recovery go with it.
    #[must_use]
    pub fn cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.sio.cleanup_empty_child_namespaces = cleanup;
        self
    }

    /// Serves the classic-script client from `dir` under the server's path (`serveClient`; off
    /// by default here, on in the `sockeye-server` binary): `socket.io.js` (a global `io`, as
    /// the reference's), `socket.io.js.map` and `socket.io.wasm`, which `scripts/build-client.sh`
    /// writes to `pkg/classic/`. Each is read when asked for (again once it changes), with an
    /// `ETag` and `304 Not Modified` as the reference; a file missing from `dir` answers 404.
    /// The crate embeds no copy of the client: the folder is the application's to ship.
    #[must_use]
    pub fn serve_client(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.engine.client_files =
            Some(Arc::new(super::client_files::ClientFiles::new(dir.into())));
        self
    }

    /// Turns connection state recovery on (`connectionStateRecovery`).
    #[must_use]
    pub fn connection_state_recovery(mut self, options: ConnectionStateRecovery) -> Self {
        self.sio.recovery = Some(options);
        self
    }

    /// State for the handlers: a handler takes it as [`State<T>`](crate::extract::State), by
    /// type (one value per type; a second of the same type replaces the first).
    #[must_use]
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.sio.state.insert(state);
        self
    }

    /// The adapter of each namespace (the in-memory [`MemoryAdapter`] by default).
    #[must_use]
    pub fn adapter<F>(mut self, factory: F) -> Self
    where
        F: Fn(LocalNamespace) -> Arc<dyn Adapter> + Send + Sync + 'static,
    {
        self.sio.adapter = Some(Arc::new(factory));
        self
    }

    /// The server and a tower [`Layer`](tower_layer::Layer) (for `axum::Router::layer`). The
    /// layer keeps the server alive: the `SocketIo` may be dropped once handlers are set.
    pub fn build_layer(self) -> (EngineLayer, SocketIo) {
        let (shared, io) = self.build();
        (EngineLayer::new(shared, Some(io.0.clone())), io)
    }

    /// The server and a tower service for it (404 for other paths), which keeps the server
    /// alive as the layer does.
    pub fn build_svc(self) -> (EngineService<NotFound>, SocketIo) {
        let (shared, io) = self.build();
        (EngineService::new(shared, NotFound, Some(io.0.clone())), io)
    }

    fn build(self) -> (Arc<EngineShared>, SocketIo) {
        let shared = endpoint(self.engine);
        let io = SocketIo::new(shared.table.clone(), self.sio);
        (shared, io)
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

impl EngineIo {
    /// A builder with the reference's defaults, at `/engine.io/`.
    pub fn builder() -> EngineIoBuilder {
        EngineIoBuilder {
            engine: EngineConfig::new("/engine.io/"),
        }
    }
}

impl EngineIoBuilder {
    engine_builder_methods!();

    /// The server and a tower [`Layer`](tower_layer::Layer) for it.
    pub fn build_layer(self) -> (EngineLayer, EngineIo) {
        let (shared, io) = self.build();
        (EngineLayer::new(shared, None), io)
    }

    /// The server and a tower service for it (404 for other paths).
    pub fn build_svc(self) -> (EngineService<NotFound>, EngineIo) {
        let (shared, io) = self.build();
        (EngineService::new(shared, NotFound, None), io)
    }

    fn build(self) -> (Arc<EngineShared>, EngineIo) {
        let shared = endpoint(self.engine);
        let io = EngineIo::new(shared.table.clone());
        (shared, io)
    }
}
