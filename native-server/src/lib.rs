//! # sockeye-server
//!
//! A Socket.IO v5 / Engine.IO v4 server for tokio, interoperable with the reference
//! `socket.io-client` 4.x. It is a thin driver around [`sockeye-core`](proto): every protocol
//! decision (handshake, heartbeat, upgrade, the polling rules, packet validation, acks, the
//! connect timeout) is the core's; this crate owns the sockets, HTTP, timers and tasks.
//!
//! ```text
//! HTTP request / WebSocket frame / timer / app command
//!     -> the session's task (one per Engine.IO session) calls the core's handle_* or a command
//!     -> drains poll_transmit (answer the parked GET, send a frame) and poll_event (handlers)
//!     -> arms one timer for poll_timeout()
//! ```
//!
//! # Serving
//!
//! [`SocketIo::builder`] gives a tower service ([`build_svc`](SocketIoBuilder::build_svc)) or
//! layer ([`build_layer`](SocketIoBuilder::build_layer)) to mount in axum or any tower/hyper
//! server, and the [`SocketIo`] handle to register namespaces and emit:
//!
//! ```no_run
//! use std::time::Duration;
//! use serde::Deserialize;
//! use sockeye_server::{AckSender, ConnectError, Data, DisconnectReason, SocketIo, SocketRef};
//!
//! #[derive(Deserialize)]
//! struct Auth {
//!     token: Option<String>,
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let (layer, io) = SocketIo::builder()
//!     .ping_interval(Duration::from_secs(25))
//!     .build_layer();
//!
//! // `Data<T>` in a middleware or a connection handler is the client's `auth` object.
//! io.use_middleware(|Data(auth): Data<Auth>| match auth.token {
//!     Some(_) => Ok(()),
//!     None => Err(ConnectError::new("unauthorized").with_data(&"a token is needed")),
//! });
//!
//! io.ns("/", |socket: SocketRef| {
//!     // Fails only past `max_rooms_per_socket` (10,000 rooms).
//!     let _ = socket.join("lobby");
//!     // In an event handler, `Data<T>` is the event's arguments, read straight from the wire.
//!     socket.on(
//!         "chat",
//!         |socket: SocketRef, Data(text): Data<String>, ack: AckSender| {
//!             let _ = socket.to("lobby").emit("chat", &(socket.id(), text));
//!             let _ = ack.send(&"delivered");
//!         },
//!     );
//!     socket.on_disconnect(|socket: SocketRef, reason: DisconnectReason| {
//!         tracing::info!("{} left: {reason}", socket.id());
//!     });
//! });
//!
//! let app = axum::Router::new().layer(layer);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // With the connection's address, for `handshake.address` and the per-address bounds.
//! let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Without axum, [`serve`] runs the service on a listener (HTTP/1.1 with upgrades).
//!
//! # Data
//!
//! An event's arguments travel as the JSON text the client sent, its binary attachments and
//! where their placeholders stand ([`Args`]); nothing builds a tree of them unless a handler asks
//! for one. Handlers read them straight into their own types with serde ([`extract::Data`]), and
//! emits take any `Serialize`: a tuple is several arguments, `()` none, anything else one;
//! `bytes::Bytes` anywhere becomes a binary attachment. [`Value`] is there for data of no fixed
//! shape.
//!
//! # Typed events
//!
//! An application can declare its events once, in a crate its server and its Rust clients share
//! ([`schema!`], from `sockeye-core`): names, arguments, acknowledgements and direction. The
//! server then takes the declaration ([`typed`]): a handler gets exactly the event's arguments
//! and returns its acknowledgement, an emit takes exactly its arguments, so a payload of the
//! wrong type or a forgotten acknowledgement does not compile. The same declaration renders
//! the TypeScript `ServerToClientEvents` / `ClientToServerEvents` for JavaScript clients
//! ([`schema::typescript`](fn@schema::typescript)).
//!
//! ```no_run
//! sockeye_server::schema! {
//!     pub struct Events;
//!     client_to_server { Count = "count" (step: u32) -> (total: u64); }
//!     server_to_client { Tick = "tick" (total: u64); }
//! }
//!
//! # fn run(io: sockeye_server::SocketIo) {
//! io.ns("/", |socket: sockeye_server::SocketRef| {
//!     socket.on_typed(Count, |socket, step| {
//!         let _ = socket.emit_typed(Tick, &u64::from(step));
//!         u64::from(step)
//!     });
//! });
//! # }
//! ```
//!
//! # Layers
//!
//! The crate is a house of layers, each in its own folder and importing only the ones below it:
//!
//! ```text
//! the binary   src/bin/sockeye-server/  the demo server: CLI, tracing, the chat demo, static files
//! http         the tower service and layer, the builders, CORS, polling bodies, the WebSocket
//!              upgrade, serve / bind: routes each request into the engine's session table
//! socketio     namespaces, sockets, handlers and extractors, broadcasting, the Adapter trait and
//!              the in-memory adapter; each connection is an App of the engine's session task
//! engine       Engine.IO sessions: one task per session OWNS the core's state machine and its
//!              WebSocket; the session table; the bare Engine.IO API (EngineIo)
//! ```
//!
//! The engine knows neither HTTP nor Socket.IO: the HTTP layer hands it requests and upgraded
//! WebSockets through the session table, and Socket.IO plugs into the session task through a
//! trait the engine calls (generic, so the per-packet path makes no dynamic call).
//!
//! # Modules
//!
//! - [`io`]: the server, namespaces (static and dynamic), middlewares.
//! - [`socket`]: sockets, their handlers and rooms; [`emitter`]: what a socket emits.
//! - [`extract`] and [`handler`]: what handlers take, and the shapes they may have.
//! - [`event`]: an event as a whole, and its acknowledgement.
//! - [`handshake`] and [`conn`]: a socket's handshake, and the Engine.IO connection under it.
//! - [`typed`] and [`schema`](mod@schema): typed events from a shared declaration.
//! - [`operators`]: broadcasting (`to`, `except`, `local`, `volatile`, `timeout`), `fetch_sockets`.
//! - [`adapter`]: the multi-node-ready [`Adapter`](adapter::Adapter) trait and the in-memory one.
//! - [`engine`]: the Engine.IO layer, and the bare Engine.IO server ([`EngineIo`]).
//! - [`http`]: the tower service and layer, the builders, the reference's HTTP answers, CORS.
//! - [`config`]: the options' types.
//! - [`debug`]: `DEBUG=socket.io*` as filter directives for `tracing`.

pub mod debug;
pub mod engine;
pub mod http;
mod socketio;

// The Socket.IO layer's modules, at the crate's root where they always were.
pub use engine::conn;
pub use socketio::io::socket;
pub use socketio::{
    emitter, error, event, extract, handler, handshake, io, operators, typed, value,
};

/// The multi-node-ready [`Adapter`](adapter::Adapter) trait and the in-memory adapter.
pub mod adapter {
    pub use crate::socketio::adapter::*;
    pub use crate::socketio::io::local::{AdapterFactory, LocalNamespace};
    pub use crate::socketio::memory_adapter::MemoryAdapter;
}

/// The options' types, from the layers they belong to.
pub mod config {
    pub use crate::engine::BoxFuture;
    pub use crate::http::config::{AllowRequest, Cookie, Cors, CorsOrigin};
    pub use crate::http::per_message_deflate::PerMessageDeflate;
    pub use crate::socketio::config::ConnectionStateRecovery;
}

pub use proto;
pub use proto::engine::{CloseReason, Message, Transport};
/// Event schemas (the `schema!` macro and the module of its traits), from `sockeye-core`.
pub use proto::schema;
pub use proto::socket::args::ser::ToArgs;
pub use proto::socket::server::DisconnectReason;
pub use proto::socket::{Args, Binary, Parser};

pub use config::{ConnectionStateRecovery, Cookie, Cors, CorsOrigin, PerMessageDeflate};
pub use conn::Conn;
pub use emitter::SocketEmitter;
pub use engine::{EngineHandle, EngineIo, EngineSocket};
pub use error::{
    AckError, AdapterError, BroadcastAckError, ConnectError, DataError, EmitError, EventError,
    JoinError, SendError, SerializeError,
};
pub use event::{AckSender, Event};
pub use extract::{Bin, Data, Extension, State, TryData};
pub use handshake::Handshake;
pub use http::{
    ClientAddr, EngineLayer, EngineService, LISTEN_BACKLOG, RequestInfo, SecureConnection,
    ServeConfig, bind, serve, serve_with,
};
pub use http::{EngineIoBuilder, SocketIoBuilder};
pub use io::{Namespace, NsMatcher, ParentNamespace, SocketIo};
pub use operators::{BroadcastOperator, IntoRooms, RemoteSocket};
pub use socket::SocketRef;
#[cfg(feature = "tls")]
pub use tokio_rustls::rustls;
pub use value::Value;

/// The README's Rust snippets (the server quick starts), compiled as doc tests so that they stay
/// true; its other languages' blocks and the Yew block (`rust,ignore`) are not run.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
