//! The reference client's defaults (socket.io-client 4.8), written once:
//! [`Config::default`](super::Config::default) and
//! [`SocketOptions::new`](super::SocketOptions::new) start from them, and every driver's options
//! layer (the browser's JS options object, the typed Rust `Options`) falls back to them rather than
//! restating them.
//!
//! The Engine.IO session's defaults (transports, upgrade, ...) are the engine's:
//! [`engine::client::Config::new`](crate::engine::client::Config::new).

use core::time::Duration;

/// The Engine.IO path a Socket.IO client and server use (`path`); bare Engine.IO uses `/engine.io/`.
pub const PATH: &str = "/socket.io/";

/// Reconnect after a connection lost by accident (`reconnection`).
pub const RECONNECTION: bool = true;

/// Failed attempts before giving up (`reconnectionAttempts`): unlimited, the reference's `Infinity`.
pub const RECONNECTION_ATTEMPTS: Option<u32> = None;

/// The first backoff delay (`reconnectionDelay`): 1000 ms.
pub const RECONNECTION_DELAY: Duration = Duration::from_millis(1000);

/// The largest backoff delay (`reconnectionDelayMax`): 5000 ms.
pub const RECONNECTION_DELAY_MAX: Duration = Duration::from_millis(5000);

/// The backoff's jitter (`randomizationFactor`): 0.5.
pub const RANDOMIZATION_FACTOR: f64 = 0.5;

/// How long an engine may take to open (`timeout`): 20000 ms; `None` would wait forever.
pub const TIMEOUT: Option<Duration> = Some(Duration::from_millis(20_000));

/// Open the engine and connect sockets at once (`autoConnect`).
pub const AUTO_CONNECT: bool = true;

/// The sockets' default ack timeout (`ackTimeout`): none.
pub const ACK_TIMEOUT: Option<Duration> = None;

/// The sockets' default `retries`: 0, no retry queue.
pub const RETRIES: u32 = 0;
