//! The typed Rust API (feature `rust-api`): for Yew and other Rust front ends, with no JS value
//! in sight; and natively on tokio (feature `native`), the same types and methods. Payloads are
//! serde types, acknowledgements are futures, and a socket's lifecycle is a [`Stream`] of
//! [`SocketEvent`]s.
//!
//! In the browser, handles are `Rc`-based and handlers need not be `Send`. Natively they are
//! `Arc`-based, `Send + Sync` (they move into `tokio::spawn`), handlers must be `Send`
//! ([`MaybeSend`]), and [`Manager::new`] must be called inside a tokio runtime: the connection's
//! transports and its timer run on a task of their own, and handlers run on whichever thread
//! delivers an event (that task's, or the caller of a command), one at a time.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sockeye_client::Error> {
//! use sockeye_client::{Options, Socket};
//!
//! let socket = Socket::connect("https://chat.example.com/", Options::default())?;
//! let _messages = socket.on("message", |text: String| web_sys_log(&text));
//! socket.emit("message", &"hello")?;
//! let count: u32 = socket.emit_with_ack("count", &()).await?;
//! # let _ = count; Ok(()) }
//! # fn web_sys_log(_: &str) {}
//! ```
//!
//! # Handlers
//!
//! [`Socket::on`], [`Socket::once`] (removed before its first call), [`Socket::on_event`] (the
//! event whole, to acknowledge it) and [`Socket::on_any`] (every event, after the named
//! handlers) return a [`Subscription`]: the handler stays while it is kept, and goes when it is
//! dropped (a Yew component keeps its subscriptions, and loses its handlers when it unmounts).
//! [`Subscription::forget`] keeps a handler for the socket's life; [`Socket::off`] removes one by
//! its [`HandlerId`]. An event whose arguments do not read as a typed handler's type does not call
//! it: the socket's streams get a [`SocketEvent::InvalidPayload`] saying why.
//!
//! A handler that captures its own [`Socket`] keeps the connection open for as long as it is
//! registered, after the application dropped its handles too: capture a [`WeakSocket`]
//! ([`Socket::downgrade`]) and upgrade it in the handler instead.
//!
//! ```no_run
//! # fn demo(socket: &sockeye_client::Socket) {
//! let weak = socket.downgrade();
//! let ping = socket.on("ping", move |n: u32| {
//!     if let Some(socket) = weak.upgrade() {
//!         let _ = socket.emit("pong", &n);
//!     }
//! });
//! // ... later: dropping `ping` removes the handler.
//! # drop(ping); }
//! ```
//!
//! # Auth
//!
//! [`Options::with_auth`] sets a fixed CONNECT payload; [`Options::auth_with`] a closure called
//! on each connection and reconnection, for a token that is refreshed (socket.io-client's `auth:
//! (cb) => cb({ token })`).
//!
//! # Streams
//!
//! [`Socket::events`] and [`Manager::events`] hold at most [`DEFAULT_EVENTS_CAPACITY`] (1,024)
//! unread events each, then drop the oldest; [`Socket::events_with`] and [`Manager::events_with`]
//! take another capacity and [`Overflow`] policy (drop the oldest, or the newest), and
//! [`Events::dropped`] counts what a stream dropped.
//!
//! # Arguments
//!
//! Arguments map to Rust values by one rule, the same when sending and receiving: `()` is no
//! argument, a tuple several, any other value one (the crate docs' [Arguments](crate#arguments)).
//! With connection state recovery on, the server appends an offset to its events; this API
//! strips it, so handlers see only the event's own arguments.
//!
//! The [`Manager`] has socket.io-client's option accessors (`reconnection`,
//! `reconnection_attempts`, `reconnection_delay`, `reconnection_delay_max`,
//! `randomization_factor`, `timeout`, each with a `set_` twin that takes effect from the next
//! reconnection on), and [`Manager::events`] streams its and its engine's events (`open`, `ping`,
//! `close` with the reference's description, `reconnect_attempt` ..., `upgrade`). In the browser it
//! listens for the page's `offline` event itself, as the reference does.

mod error;
mod event;
mod handlers;
mod manager;
mod options;
mod payload;
mod shared;
mod sink;
mod socket;
mod stream;
mod typed;

/// The driver the API sits on: the browser's, or tokio's (feature `native`).
#[cfg(not(feature = "native"))]
use crate::driver;
#[cfg(feature = "native")]
use crate::native::driver;

pub use error::Error;
pub use event::{ConnectError, ConnectionState, Disconnection, ManagerEvent, SocketEvent};
pub use handlers::{HandlerId, Subscription};
pub use manager::Manager;
pub use options::Options;
pub use payload::{Args, Binary, IntoPayload, Payload};
pub use shared::MaybeSend;
pub use sink::Event;
pub use socket::{Socket, WeakSocket};
pub use stream::{AckFuture, DEFAULT_EVENTS_CAPACITY, Events, ManagerEvents, Overflow};

pub use futures_core::Stream;
pub use proto::client::CloseDescription;
pub use proto::engine::client::{ProbeError, TransportError};
pub use proto::engine::{CloseReason as EngineCloseReason, Transport};
pub use proto::socket::args::de::Error as DeserializeError;
pub use proto::socket::args::ser::Error as SerializeError;
pub use proto::socket::client::{AckError, ConnectionError, DisconnectReason};
