//! # sockeye-client
//!
//! The browser client of Sockeye: a thin WebAssembly driver around [`sockeye_core::client::Client`]
//! (the Socket.IO manager and its Engine.IO sessions), over the browser's `WebSocket` and `fetch`
//! and one `setTimeout`.
//!
//! Two surfaces sit on the same driver:
//!
//! - **JavaScript** (the `sockeye` npm package): `RawManager` / `RawSocket`, exported here, and the
//!   ESM wrapper `js/index.js` that gives them socket.io-client's API (`io()`, `socket.on`,
//!   variadic `emit` with an ack callback, `timeout()`, `volatile`, `onAny` ...).
//! - **Rust** (feature `rust-api`, for Yew and other Rust front ends): typed payloads with serde,
//!   `async` acknowledgements and a stream of events, with no JS value in sight.
//!
//! ```text
//! input (WebSocket event, fetch result, timer, command)
//!   -> Client::handle_* / command
//!   -> drain poll_transmit (perform: open/send/close a WebSocket, GET/POST/abort with fetch)
//!   -> drain poll_event (queued), re-arm the one timer for poll_timeout()
//!   -> deliver the queued events with no borrow held (handlers may call back in)
//! ```
//!
//! [`sockeye_core::client::Client`]: proto::client::Client

use wasm_bindgen::prelude::*;

mod convert;
mod driver;
mod js;
mod options;
mod socket;
mod timer;
mod transport;

#[cfg(feature = "rust-api")]
mod api;

pub use socket::{JsManager, JsSocket};

#[cfg(feature = "rust-api")]
pub use api::{
    AckError, AckFuture, Args, ConnectError, ConnectionState, DisconnectReason, Error, Event,
    Events, HandlerId, IntoPayload, Manager, Options, Payload, Socket, SocketEvent, Stream,
    Transport,
};

/// The first global among `WebSocket` and `fetch` that `transports` need and the environment
/// lacks (Node.js before 22 has `fetch` but no global `WebSocket`).
fn missing_global(transports: &[proto::engine::Transport]) -> Option<&'static str> {
    let global = js_sys::global();
    transports
        .iter()
        .map(|t| match t {
            proto::engine::Transport::WebSocket => "WebSocket",
            _ => "fetch",
        })
        .find(|name| !js_sys::Reflect::has(&global, &JsValue::from_str(name)).unwrap_or(false))
}
