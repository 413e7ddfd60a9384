//! The Socket.IO layer's options that have a type of their own; the builder's other Socket.IO
//! options are the core's (`proto::socket::server::Config`). Defaults are socket.io 4.8's.

use std::time::Duration;

/// Connection state recovery (the reference's `connectionStateRecovery` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionStateRecovery {
    /// How long a disconnected session is kept (`maxDisconnectionDuration`, 2 minutes).
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the namespace middlewares (`skipMiddlewares`, true).
    pub skip_middlewares: bool,
    /// The most packets the in-memory adapter keeps for recovery, per namespace (100,000; the
    /// reference keeps every packet for `maxDisconnectionDuration`). Past it the oldest packet
    /// is dropped first; a client whose last offset was dropped is not `recovered`, exactly as
    /// when the duration has passed: it connects as a new socket.
    pub max_stored_packets: usize,
    /// The most bytes of packets the in-memory adapter keeps for recovery, per namespace
    /// (64 MiB; not in the reference): each packet counts its JSON text, its binary attachments,
    /// its offset and its room names. Past it the oldest packets are dropped first, with the
    /// same effect as [`max_stored_packets`](Self::max_stored_packets); a packet larger than the
    /// whole bound is not kept at all, and then no earlier offset can be recovered either.
    pub max_stored_bytes: usize,
}

impl Default for ConnectionStateRecovery {
    fn default() -> Self {
        ConnectionStateRecovery {
            max_disconnection_duration: Duration::from_millis(120_000),
            skip_middlewares: true,
            max_stored_packets: 100_000,
            max_stored_bytes: 64 << 20,
        }
    }
}
