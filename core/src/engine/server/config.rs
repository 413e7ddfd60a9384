//! The server's Engine.IO options.

use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use crate::engine::Transport;

/// How long a polling session that was asked to close waits for the next GET to carry its `1`
/// (the reference's fixed `closeTimeout` of the polling transport).
pub const POLLING_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's Engine.IO options; the defaults are engine.io 6.6's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How often the server pings (`pingInterval`, 25 s).
    pub ping_interval: Duration,
    /// How long the server waits for the pong after queueing a ping (`pingTimeout`, 20 s).
    pub ping_timeout: Duration,
    /// The most bytes in one POST body or WebSocket message (`maxHttpBufferSize`, 1 000 000),
    /// announced as `maxPayload`.
    pub max_payload: u64,
    /// How long a probing WebSocket may take to send `5` (`upgradeTimeout`, 10 s).
    pub upgrade_timeout: Duration,
    /// Whether polling sessions may upgrade to WebSocket (`allowUpgrades`, true).
    pub allow_upgrades: bool,
    /// The transports the server accepts (`transports`, polling and websocket).
    pub transports: Vec<Transport>,
    /// The most bytes of packets that may wait for the client (10 000 000): a client that reads
    /// more slowly than the server writes to it, or a polling client that stops polling, is
    /// closed with `transport error` once more than this waits, instead of growing the server's
    /// memory until its heartbeat runs out. The reference has no such bound. Drivers apply the
    /// same bound to what waits in their WebSocket writers.
    pub max_buffered_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_millis(10_000),
            allow_upgrades: true,
            transports: vec![Transport::Polling, Transport::WebSocket],
            max_buffered_bytes: 10_000_000,
        }
    }
}

impl Config {
    /// Whether a session on `from` may upgrade to WebSocket: only polling, only when upgrades are
    /// allowed and WebSocket is an accepted transport.
    pub(super) fn may_upgrade(&self, from: Transport) -> bool {
        from == Transport::Polling
            && self.allow_upgrades
            && self.transports.contains(&Transport::WebSocket)
    }
}
