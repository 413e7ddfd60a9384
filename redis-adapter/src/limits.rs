//! The bounds on what whoever can write to Redis may make a node do. Redis is shared
//! infrastructure, not a trusted peer: anything that can `PUBLISH` on the adapter's channels or
//! `XADD` to its stream must not be able to stall a node, grow its memory without bound, or
//! make it hand out its clients' handshakes beyond what the application chose.
//!
//! Every bound has a default here, and [`Limits`] changes it for an adapter
//! ([`RedisAdapterConfig::limits`](crate::RedisAdapterConfig::limits),
//! [`ShardedAdapterConfig::limits`](crate::ShardedAdapterConfig::limits),
//! [`StreamsAdapterConfig::limits`](crate::StreamsAdapterConfig::limits)).
//! What goes past a bound is dropped and counted, with at most one log line per
//! [`REFUSAL_LOG_INTERVAL`] (a flood does not become a flood of log lines).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The largest message (a pub/sub payload, or a stream entry's fields together, or a persisted
/// session) a node reads: 8 MiB. Larger ones are dropped before they are decoded. The Node
/// adapters have no such bound; socket.io's own `maxHttpBufferSize` is 1 MB, and a broadcast
/// carries what a server emitted, which may be larger than what a client may send.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 8 * 1024 * 1024;
/// How many received messages wait for the adapter at most: 1,024. More are dropped (the
/// connection's reader never waits for the adapter, so Redis commands keep being answered).
pub const DEFAULT_INCOMING_QUEUE: usize = 1024;
/// How many bytes of received messages wait for the adapter at most: 64 MiB (see
/// [`DEFAULT_INCOMING_QUEUE`]).
pub const DEFAULT_INCOMING_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// How many sockets one answer to another node's `fetchSockets` describes at most: 10,000.
/// An answer is also kept under the message size bound; past either, it is cut short.
pub const DEFAULT_MAX_FETCH_SOCKETS: usize = 10_000;
/// How many stream entries one connection state recovery reads at most (streams adapter):
/// 10,000, the Node adapter's 100 `XRANGE` calls of 100 entries. A client chooses the offset
/// it recovers from; past the bound the session is not recovered (a fresh one starts) rather
/// than recovered with packets silently missing.
pub const DEFAULT_MAX_RECOVERY_ENTRIES: usize = 10_000;
/// The longest another node's broadcast with acknowledgements may make this node wait for its
/// clients' answers: 60 s. The request names its timeout; a longer one is cut to this, so that
/// whoever can publish a request cannot make this node hold acknowledgement state for long.
/// (Without a timeout, the server's own acknowledgement timeout applies.)
pub const DEFAULT_MAX_REMOTE_ACK_TIMEOUT: Duration = Duration::from_secs(60);
/// How many requests from other nodes this node answers at once at most (server-side emits
/// with acknowledgement, broadcasts with acknowledgements): 1,024. Each holds a task and its
/// state until its answers are in or its timeout ends; past the bound a request is dropped, so a
/// flood of requests cannot pile them up.
pub const DEFAULT_MAX_REMOTE_REQUESTS: usize = 1024;
/// At most one log line per refusal kind and adapter in this interval: 10 s.
pub const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Which parts of a socket a node sends in its answer to another node's `fetchSockets`.
/// The Node adapters send all of them (the whole handshake, headers and cookies included), and
/// so does [`FetchFields::default`]; whoever can publish on the adapter's channels can ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchFields {
    headers: bool,
    query: bool,
    auth: bool,
    data: bool,
}

impl Default for FetchFields {
    fn default() -> Self {
        FetchFields {
            headers: true,
            query: true,
            auth: true,
            data: true,
        }
    }
}

impl FetchFields {
    /// Every field (the default, as the Node adapters).
    pub fn all() -> Self {
        FetchFields::default()
    }

    /// No header, query, `auth` or `data`: ids, rooms and the handshake's other fields only.
    pub fn none() -> Self {
        FetchFields {
            headers: false,
            query: false,
            auth: false,
            data: false,
        }
    }

    /// The handshake's HTTP headers (cookies included).
    #[must_use]
    pub fn headers(mut self, on: bool) -> Self {
        self.headers = on;
        self
    }

    /// The handshake's query string.
    #[must_use]
    pub fn query(mut self, on: bool) -> Self {
        self.query = on;
        self
    }

    /// The handshake's `auth` (the client's credentials).
    #[must_use]
    pub fn auth(mut self, on: bool) -> Self {
        self.auth = on;
        self
    }

    /// The socket's `data`.
    #[must_use]
    pub fn data(mut self, on: bool) -> Self {
        self.data = on;
        self
    }

    pub(crate) fn sends_headers(&self) -> bool {
        self.headers
    }

    pub(crate) fn sends_query(&self) -> bool {
        self.query
    }

    pub(crate) fn sends_auth(&self) -> bool {
        self.auth
    }

    pub(crate) fn sends_data(&self) -> bool {
        self.data
    }
}

/// The bounds of one adapter; see the `DEFAULT_*` constants for each default and what happens
/// past it.
#[derive(Clone, Debug)]
pub struct Limits {
    pub(crate) max_message_size: usize,
    pub(crate) incoming_queue: usize,
    pub(crate) incoming_queue_bytes: usize,
    pub(crate) max_fetch_sockets: usize,
    pub(crate) max_recovery_entries: usize,
    pub(crate) max_remote_ack_timeout: Duration,
    pub(crate) max_remote_requests: usize,
    pub(crate) fetch_fields: FetchFields,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            incoming_queue: DEFAULT_INCOMING_QUEUE,
            incoming_queue_bytes: DEFAULT_INCOMING_QUEUE_BYTES,
            max_fetch_sockets: DEFAULT_MAX_FETCH_SOCKETS,
            max_recovery_entries: DEFAULT_MAX_RECOVERY_ENTRIES,
            max_remote_ack_timeout: DEFAULT_MAX_REMOTE_ACK_TIMEOUT,
            max_remote_requests: DEFAULT_MAX_REMOTE_REQUESTS,
            fetch_fields: FetchFields::default(),
        }
    }
}

impl Limits {
    /// [`DEFAULT_MAX_MESSAGE_SIZE`].
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// [`DEFAULT_INCOMING_QUEUE`] (at least 1).
    #[must_use]
    pub fn incoming_queue(mut self, messages: usize) -> Self {
        self.incoming_queue = messages.max(1);
        self
    }

    /// [`DEFAULT_INCOMING_QUEUE_BYTES`].
    #[must_use]
    pub fn incoming_queue_bytes(mut self, bytes: usize) -> Self {
        self.incoming_queue_bytes = bytes;
        self
    }

    /// [`DEFAULT_MAX_FETCH_SOCKETS`].
    #[must_use]
    pub fn max_fetch_sockets(mut self, sockets: usize) -> Self {
        self.max_fetch_sockets = sockets;
        self
    }

    /// [`DEFAULT_MAX_RECOVERY_ENTRIES`].
    #[must_use]
    pub fn max_recovery_entries(mut self, entries: usize) -> Self {
        self.max_recovery_entries = entries;
        self
    }

    /// [`DEFAULT_MAX_REMOTE_ACK_TIMEOUT`].
    #[must_use]
    pub fn max_remote_ack_timeout(mut self, timeout: Duration) -> Self {
        self.max_remote_ack_timeout = timeout;
        self
    }

    /// [`DEFAULT_MAX_REMOTE_REQUESTS`].
    #[must_use]
    pub fn max_remote_requests(mut self, requests: usize) -> Self {
        self.max_remote_requests = requests;
        self
    }

    /// The broadcast options of another node's request, with its acknowledgement timeout cut
    /// to [`Limits::max_remote_ack_timeout`].
    pub(crate) fn remote_ack_opts(
        &self,
        mut opts: sockeye_server::adapter::BroadcastOptions,
    ) -> sockeye_server::adapter::BroadcastOptions {
        if let Some(timeout) = &mut opts.flags.timeout {
            *timeout = (*timeout).min(self.max_remote_ack_timeout);
        }
        opts
    }

    /// What this node tells other nodes about its sockets ([`FetchFields`]).
    #[must_use]
    pub fn fetch_fields(mut self, fields: FetchFields) -> Self {
        self.fetch_fields = fields;
        self
    }
}

/// Counts what an adapter refused (one kind of refusal) and logs it at most once per
/// [`REFUSAL_LOG_INTERVAL`], with how many were refused since the last line.
#[derive(Debug)]
pub(crate) struct Refusals {
    what: &'static str,
    total: AtomicU64,
    /// Refused since the last line, and when that line was written.
    state: Mutex<(u64, Option<Instant>)>,
}

impl Refusals {
    pub(crate) const fn new(what: &'static str) -> Self {
        Refusals {
            what,
            total: AtomicU64::new(0),
            state: Mutex::new((0, None)),
        }
    }

    /// Counts one refusal of `nsp`'s adapter, and logs `why` when a line is due. Cheap: called
    /// from the Redis connection's reader.
    pub(crate) fn refuse(&self, nsp: &str, why: &dyn std::fmt::Display) {
        if let Some(count) = self.count(Instant::now()) {
            tracing::warn!(
                nsp,
                "redis: {} dropped ({why}); {count} since the last such line",
                self.what
            );
        }
    }

    /// [`Refusals::refuse`] for what belongs to no one namespace.
    pub(crate) fn note(&self, why: &dyn std::fmt::Display) {
        if let Some(count) = self.count(Instant::now()) {
            tracing::warn!(
                "redis: {} dropped ({why}); {count} since the last such line",
                self.what
            );
        }
    }

    /// Counts one refusal at `now`: how many to report when a line is due.
    pub(crate) fn count(&self, now: Instant) -> Option<u64> {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
        let due = state
            .1
            .is_none_or(|last| now.duration_since(last) >= REFUSAL_LOG_INTERVAL);
        if !due {
            return None;
        }
        let count = state.0;
        *state = (0, Some(now));
        Some(count)
    }

    /// Every refusal so far (tests).
    #[cfg(test)]
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
