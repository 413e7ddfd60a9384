//! How a client session connects: the options that change what goes on the wire.

use alloc::vec::Vec;

use crate::engine::Transport;
use crate::url::EngineUrl;

/// How a client session connects: engine.io-client's options that change what goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The server and the Engine.IO path; every request URL is built from it.
    pub url: EngineUrl,
    /// Transports to use, in order of preference; the session opens on the first one. Default
    /// `[Polling, WebSocket]`.
    pub transports: Vec<Transport>,
    /// Whether to probe and upgrade to WebSocket once open on long-polling. Default `true`.
    pub upgrade: bool,
    /// Whether to open on WebSocket directly when the previous session's WebSocket worked
    /// ([`Config::prior_websocket_success`]). Default `false`.
    pub remember_upgrade: bool,
    /// The reference's static `priorWebsocketSuccess`, carried by the Manager from one session to
    /// the next: set it from the previous session's [`Session::prior_websocket_success`](super::Session::prior_websocket_success). Only read
    /// when `remember_upgrade` is on. Default `false`.
    pub prior_websocket_success: bool,
    /// Cache-busting `t` query parameter. `None` (the reference's default): on every polling
    /// request, never on the WebSocket. `Some(true)`: on both. `Some(false)`: never.
    pub timestamp_requests: Option<bool>,
    /// When the first transport fails before the handshake, try the next one in `transports`
    /// instead of closing. Default `false`.
    pub try_all_transports: bool,
    /// The name of the cache-busting query parameter (the reference's `timestampParam`). Default
    /// `"t"`.
    pub timestamp_param: alloc::string::String,
}

impl Config {
    /// The reference client's defaults for `url`.
    pub fn new(url: EngineUrl) -> Self {
        Config {
            url,
            transports: alloc::vec![Transport::Polling, Transport::WebSocket],
            upgrade: true,
            remember_upgrade: false,
            prior_websocket_success: false,
            timestamp_requests: None,
            try_all_transports: false,
            timestamp_param: alloc::string::String::from("t"),
        }
    }
}
