//! Deterministic simulations of client/server pairs on a virtual clock.
//!
//! - `sim`: [`sim::Sim`] wires one [`crate::client::Client`] to a simulated server (a table of
//!   [`crate::server::Connection`]s and a small application) through a simulated network with
//!   latency and faults, on a clock that jumps to the next deadline.
//! - `scenarios`: the protocol's sequences, with exact virtual times where the protocol sets them.
//! - `routing`: the simulated server's refusals, routed by the core's Engine.IO endpoint.
//! - `soak`: seeded random traffic and faults, checked against invariants.
//! - `linear`: each decoder of peer input on about 1 MB of its worst shape, in bounded time.

mod linear;
mod routing;
mod scenarios;
mod sim;
mod soak;
