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
//!
//! The npm build turns off the default `std` feature: the crate is then `no_std`, with the panic
//! handler and the allocator below, because std's panic machinery (hooks, message formatting)
//! and its allocator cost the module 8 KB (3 KB gzipped) for messages no one can read on wasm32
//! anyway. The Rust API and the tests keep `std`.
//!
//! # Arguments
//!
//! In the Rust API, one rule maps a Rust value to an event's or an acknowledgement's arguments,
//! the same on both ends: **`()` is no argument, a tuple is one argument per element, any other
//! value is one argument** (a newtype struct is its content; serde sees a fixed-size array
//! `[T; N]` as a tuple, a `Vec` or a slice as one sequence). Sending `&(1, "a")` sends two
//! arguments, as `socket.emit("ev", 1, "a")` does in JavaScript; `&()` sends none, so that a
//! Node.js handler `(ack) => ack(...)` gets its callback first. Reading, a tuple `(u8, String)`
//! takes two arguments (missing trailing ones read as `null`, extra ones are ignored, as a
//! JavaScript function ignores them) and any other type the first (`null` when there is none):
//! `Socket::on::<T>`, `Socket::emit_with_ack::<R>`, `Args::data::<T>`.
//!
//! Binary: a value that serializes with `serialize_bytes` (the crate's `Binary`,
//! `serde_bytes::ByteBuf`, `bytes::Bytes`) travels as a binary attachment wherever it stands,
//! nested in a struct or a list too; it arrives as a `Buffer` in Node.js and an `ArrayBuffer` in a
//! browser, and binary received reads back as bytes. (A `Vec<u8>` is an array of numbers, as
//! serde writes it everywhere.) Which received objects are binary is decided once, by the core's
//! placeholder rule when the packet is decoded (`sockeye_core::json`'s module docs): in a packet
//! without attachments, an object `{"_placeholder":true,"num":0}` is ordinary data.
//!
//! Serde reads and writes straight from and to the arguments' JSON text (the core's
//! `socket::args::{de, ser}`), with no JSON tree in between.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use wasm_bindgen::prelude::*;

/// A panic traps, as std's panic handler does on wasm32 with `panic = "abort"` (the JS caller gets
/// a `RuntimeError`), without formatting a message first. Panics mean a broken invariant: the code
/// never panics on input from the network or from JS.
#[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(not(feature = "std"), not(target_arch = "wasm32")))]
compile_error!("sockeye-client without its `std` feature is the npm build, for wasm32 only");

/// TLSF (constant-time allocation and free) rather than std's dlmalloc: a ready-made static, no
/// unsafe code here, and a fifth of the size in the module.
#[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: rlsf::GlobalTlsf = rlsf::GlobalTlsf::new();

mod callback;
mod cell;
mod convert;
mod counters;
// Natively the typed API sits on `native::driver`; the JS surface still uses this one.
#[cfg_attr(feature = "native", allow(dead_code))]
mod driver;
mod js;
mod options;
mod socket;
mod timer;
mod transport;

#[cfg(feature = "rust-api")]
mod api;
#[cfg(feature = "native")]
mod native;

/// The README's Rust examples (the native quick start), compiled by `cargo test --doc`.
#[cfg(all(doctest, feature = "native"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use socket::{JsManager, JsSocket};

#[cfg(feature = "debug-counters")]
pub use counters::debug_counters;

/// The rustls the native transports use, for [`Options::tls_config`].
#[cfg(feature = "native")]
pub use rustls;

/// The native transports of one core client, for a driver of its own (the load generator's).
#[cfg(feature = "native")]
pub use native::transports;

/// Event schemas shared with a Rust server: `schema!` declares the events once, and the typed
/// `Socket` methods (`emit_typed`, `emit_typed_with_ack`, `on_typed`) take its declarations.
#[cfg(feature = "rust-api")]
pub use proto::schema;

/// How packets travel, for [`Options::parser`]: the core's, as sockeye-server's `parser` takes it.
#[cfg(feature = "rust-api")]
pub use proto::socket::Parser;

#[cfg(feature = "rust-api")]
pub use api::{
    AckError, AckFuture, Args, Binary, CloseDescription, ConnectError, ConnectionError,
    ConnectionState, DEFAULT_EVENTS_CAPACITY, DeserializeError, DisconnectReason, Disconnection,
    EngineCloseReason, Error, Event, Events, HandlerId, IntoPayload, Manager, ManagerEvent,
    ManagerEvents, MaybeSend, Options, Overflow, Payload, ProbeError, SerializeError, Socket,
    SocketEvent, Stream, Subscription, Transport, TransportError, WeakSocket,
};

#[wasm_bindgen]
extern "C" {
    /// `globalThis.hasOwnProperty(name)`: constructors and functions such as `WebSocket` and
    /// `fetch` are own properties of the global object (window, worker, Node.js), and this
    /// binding spares the module js-sys's search for that object.
    #[wasm_bindgen(js_namespace = globalThis, js_name = hasOwnProperty)]
    fn has_global(name: &str) -> bool;
}

/// The first global among `WebSocket` and `fetch` that `transports` need and the environment
/// lacks (Node.js before 22 has `fetch` but no global `WebSocket`).
fn missing_global(transports: &[proto::engine::Transport]) -> Option<&'static str> {
    transports
        .iter()
        .map(|t| match t {
            proto::engine::Transport::WebSocket => "WebSocket",
            _ => "fetch",
        })
        .find(|name| !has_global(name))
}
