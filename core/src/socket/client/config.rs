//! The manager's and the sockets' options.

use alloc::string::String;
use core::time::Duration;

use super::defaults;
use super::error::{AuthError, validate_object};
use crate::json;
use crate::socket::codec::Limits;
use crate::socket::codec::Parser;

/// Events received for a socket that is subscribed but not yet connected are held until its
/// CONNECT reply, as the reference's `receiveBuffer`; past this many the peer is flooding and
/// further ones are dropped (the reference has no bound).
pub const MAX_RECEIVE_BUFFER: usize = 1024;

/// The manager's options; defaults equal socket.io-client 4.8's ([`defaults`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Reconnect after a connection lost by accident (`reconnection`, default `true`).
    pub reconnection: bool,
    /// Give up after this many failed attempts (`reconnectionAttempts`); `None` is unlimited, the
    /// default. (The JS options layer maps the reference's falsy `0` to `None`, as it does.)
    pub reconnection_attempts: Option<u32>,
    /// The first backoff delay (`reconnectionDelay`, default 1000 ms).
    pub reconnection_delay: Duration,
    /// The largest backoff delay (`reconnectionDelayMax`, default 5000 ms).
    pub reconnection_delay_max: Duration,
    /// The backoff jitter (`randomizationFactor`, default 0.5); outside `(0, 1]` means none.
    pub randomization_factor: f64,
    /// How long an engine may take to open before the attempt counts as failed (`timeout`, default
    /// 20000 ms); `None` waits forever (the reference's `timeout: false`).
    pub timeout: Option<Duration>,
    /// Open the engine in [`Manager::new`](super::Manager::new) and connect sockets in
    /// [`Manager::socket`](super::Manager::socket) (`autoConnect`, default `true`).
    pub auto_connect: bool,
    /// The default ack timeout of new sockets (`ackTimeout`, default none).
    pub ack_timeout: Option<Duration>,
    /// The default `retries` of new sockets (default 0: no retry queue).
    pub retries: u32,
    /// Bounds for the decoder and for the JSON this manager validates.
    pub limits: Limits,
    /// How packets travel (`parser`, default JSON); the server must use the same.
    pub parser: Parser,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            reconnection: defaults::RECONNECTION,
            reconnection_attempts: defaults::RECONNECTION_ATTEMPTS,
            reconnection_delay: defaults::RECONNECTION_DELAY,
            reconnection_delay_max: defaults::RECONNECTION_DELAY_MAX,
            randomization_factor: defaults::RANDOMIZATION_FACTOR,
            timeout: defaults::TIMEOUT,
            auto_connect: defaults::AUTO_CONNECT,
            ack_timeout: defaults::ACK_TIMEOUT,
            retries: defaults::RETRIES,
            limits: Limits::default(),
            parser: Parser::Json,
        }
    }
}

/// What a socket sends in its CONNECT packet (the reference's `auth` option).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Auth(pub(super) AuthKind);

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(super) enum AuthKind {
    #[default]
    None,
    Static(String),
    Callback,
}

impl Auth {
    /// No auth payload: the CONNECT carries nothing (or only `pid`/`offset`).
    pub const NONE: Auth = Auth(AuthKind::None);

    /// Ask the driver each time: the manager emits
    /// [`Event::AuthRequest`](super::Event::AuthRequest) and the driver answers with
    /// [`Manager::connect_with_auth`](super::Manager::connect_with_auth) (the reference's
    /// `auth: (cb) => ...`).
    pub const CALLBACK: Auth = Auth(AuthKind::Callback);

    /// A fixed auth object, as JSON object text (`{"token":"x"}`).
    pub fn object(json: impl Into<String>) -> Result<Auth, AuthError> {
        let json = json.into();
        validate_object(&json, json::DEFAULT_MAX_DEPTH)?;
        Ok(Auth(AuthKind::Static(json)))
    }

    /// The fixed auth object's JSON text, if this is one.
    pub fn as_object(&self) -> Option<&str> {
        match &self.0 {
            AuthKind::Static(json) => Some(json),
            _ => None,
        }
    }

    /// Whether the driver is asked for the payload at each CONNECT.
    pub fn is_callback(&self) -> bool {
        self.0 == AuthKind::Callback
    }
}

/// Per-socket options (the reference's `SocketOptions`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SocketOptions {
    /// The CONNECT payload.
    pub auth: Auth,
    /// With `retries > 0`, emits go through a queue: one in flight, each resent with a new ack id
    /// when its ack times out, up to `retries` times (at-least-once delivery).
    pub retries: u32,
    /// The default timeout of acks (`ackTimeout`).
    pub ack_timeout: Option<Duration>,
}

impl SocketOptions {
    /// Options with this auth and no retries or ack timeout.
    pub fn new(auth: Auth) -> Self {
        SocketOptions {
            auth,
            retries: defaults::RETRIES,
            ack_timeout: defaults::ACK_TIMEOUT,
        }
    }
}
