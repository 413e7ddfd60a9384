//! # sockeye-core
//!
//! The protocol core of Sockeye: Engine.IO v4 and Socket.IO v5 as pure codecs and sans-IO state
//! machines, `no_std` + `alloc`, shared byte for byte by the browser client and the tokio server.
//!
//! The core never touches a socket, a clock, a random source, a task or a lock. Everything that
//! happens arrives as an argument; everything it wants done leaves as a value.
//!
//! ```text
//! handle_*(&mut self, now, input)   bytes, a frame, a poll response, transport opened/closed, a timeout
//! commands: emit / connect / ...    what the application asks for
//! poll_*(&mut self) -> Option<..>   transmits, events, the next deadline (all #[must_use])
//! ```
//!
//! A driver calls a handler or a command, then drains every `poll_*` until each returns `None`, then
//! arms one real timer for `poll_timeout()` and calls `handle_timeout(now)` when it fires.
#![no_std]
#![forbid(unsafe_code)]
// no_std hygiene: what core or alloc has comes from there (the wasm32v1-none build proves the rest).
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod base64;
pub mod client;
pub mod engine;
mod fifo;
pub mod json;
pub mod rng;
pub mod schema;
pub mod server;
pub mod server_session;
pub mod socket;
mod sorted;
pub mod text;
pub mod time;
pub mod url;

#[cfg(test)]
mod tests;

pub use time::Instant;
