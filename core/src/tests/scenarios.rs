//! Protocol scenarios on the simulator: each reads as the protocol's sequence of events and checks
//! exact virtual times where the protocol defines them (5 ms one-way latency unless said).
//! The helpers below are shared; the scenarios are grouped by concern in `scenarios/`.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::sim::{RawEvent, Sim, SimConfig, args_of, ms, nth_u64};
use crate::client::Event as C;
use crate::engine::client::{ProbeError, TransportError};
use crate::engine::{CloseReason, Frame, Transport};
use crate::rng::Rng;
use crate::server::Event as S;
use crate::socket::args::Args;
use crate::socket::client::{
    AckError, ConnectionError, DisconnectReason, Emit, Event as M, SocketId, SocketOptions,
};
use crate::socket::packet::{AckId, Nsp};
use crate::socket::server::{
    AckError as ServerAckError, DisconnectReason as ServerReason, Event as SocketEvent,
};
fn connect_of(socket: SocketId) -> impl Fn(&C) -> bool {
    move |e| matches!(e, C::Manager(M::Connect { socket: s }) if *s == socket)
}

fn disconnect_of(socket: SocketId) -> impl Fn(&C) -> bool {
    move |e| matches!(e, C::Manager(M::Disconnect { socket: s, .. }) if *s == socket)
}

fn is_upgrade(e: &C) -> bool {
    matches!(e, C::Upgrade(_))
}

fn is_upgrading(e: &C) -> bool {
    matches!(e, C::Upgrading)
}

/// The disconnect reasons the client's socket saw, with their times.
fn disconnects(sim: &Sim, socket: SocketId) -> Vec<(crate::Instant, DisconnectReason)> {
    sim.manager_events()
        .filter_map(|(at, e)| match e {
            M::Disconnect { socket: s, reason } if *s == socket => Some((at, *reason)),
            _ => None,
        })
        .collect()
}

/// The server's socket disconnects, with their times and reasons.
fn server_disconnects(sim: &Sim) -> Vec<(crate::Instant, Nsp, ServerReason)> {
    sim.server_log
        .iter()
        .filter_map(|(at, _, e)| match e {
            S::Socket(SocketEvent::Disconnect { nsp, reason }) => Some((*at, nsp.clone(), *reason)),
            _ => None,
        })
        .collect()
}

/// The numbers (second argument) of the events named `name` the server received, in order.
fn server_numbers(sim: &Sim, name: &str) -> Vec<u64> {
    sim.server_received(name)
        .iter()
        .map(|(_, _, _, args, _)| nth_u64(args, 1).expect("a numbered event"))
        .collect()
}

fn websocket_only(seed: u64) -> SimConfig {
    let mut config = SimConfig::new(seed);
    config.client.engine.transports = alloc::vec![Transport::WebSocket];
    config
}

/// The reference's backoff (socket.io-client's `Backoff.duration()`), computed here independently:
/// `ms = 1000 * 2^attempt`, `deviation = floor(rand * 0.5 * ms)`, minus when `floor(rand * 10)` is
/// even, then capped at 5000. The random numbers are the manager's, whose generator the client
/// seeds with the first draw of its own.
fn expected_delays(seed: u64, attempts: u32) -> Vec<u64> {
    let mut rng = Rng::new(Rng::new(seed).next_u64());
    (0..attempts)
        .map(|attempt| {
            let ms = 1000.0 * (1u64 << attempt) as f64;
            let rand = rng.next_f64();
            let deviation = ((rand * 0.5 * ms) as u64) as f64;
            let ms = if ((rand * 10.0) as u64).is_multiple_of(2) {
                ms - deviation
            } else {
                ms + deviation
            };
            ms.min(5000.0) as u64
        })
        .collect()
}

mod delivery;
mod heartbeat;
mod lifecycle;
mod parser;
mod transports;
