//! [`Options`]: the connection's options, socket.io-client's, with the defaults the core's
//! configuration holds (`proto::client::Config::new`, `proto::socket::client::Config::default`).

use core::time::Duration;

use proto::client::Config;
use proto::socket::Parser;
use proto::socket::client::{Auth, SocketOptions};
use proto::url::{EngineUrl, ServerUrl};
use serde::Serialize;
use serde_json::Value;

use super::shared::{AuthFnDyn, Lock, MaybeSend, Shared};
use super::{Error, Transport};
#[cfg(feature = "native")]
use crate::native::TransportOptions;
#[cfg(not(feature = "native"))]
use crate::transport::polling::PollOptions;

/// The connection's options: socket.io-client's, with the same defaults.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The Engine.IO path (default `/socket.io/`).
    pub path: String,
    /// Query parameters sent with every request.
    pub query: Vec<(String, String)>,
    /// Transports in order of preference (default long-polling, then WebSocket).
    pub transports: Vec<Transport>,
    /// Upgrade from long-polling to WebSocket (default true).
    pub upgrade: bool,
    /// Open on WebSocket directly when the last WebSocket worked (default false).
    pub remember_upgrade: bool,
    /// Try the next transport when the first fails to connect (default false).
    pub try_all_transports: bool,
    /// Cache-busting `t` parameter: `None` on polling only (the default), or on every request or none.
    pub timestamp_requests: Option<bool>,
    /// Reconnect automatically (default true).
    pub reconnection: bool,
    /// Attempts before giving up (default unlimited).
    pub reconnection_attempts: Option<u32>,
    /// First reconnection delay (default 1 s).
    pub reconnection_delay: Duration,
    /// Largest reconnection delay (default 5 s).
    pub reconnection_delay_max: Duration,
    /// Jitter of the reconnection delay, 0 to 1 (default 0.5).
    pub randomization_factor: f64,
    /// Connection timeout (default 20 s; `None` waits forever).
    pub timeout: Option<Duration>,
    /// Connect at once (default true).
    pub auto_connect: bool,
    /// Default acknowledgement timeout (default none).
    pub ack_timeout: Option<Duration>,
    /// Resend unacknowledged emits up to this many times (default 0).
    pub retries: u32,
    /// Send cookies with cross-origin long-polling requests (default false).
    pub with_credentials: bool,
    /// Headers added to long-polling requests.
    pub extra_headers: Vec<(String, String)>,
    /// The CONNECT payload: a JSON object (unless [`Options::auth_with`] gave a closure, which
    /// takes precedence).
    pub auth: Option<Value>,
    /// How packets travel (socket.io-client's `parser`): `Parser::Json`, the default, or
    /// `Parser::MessagePack`, socket.io-msgpack-parser's wire. The server must use the same.
    /// MessagePack is always there natively; in the browser it needs this crate's `msgpack`
    /// feature: without it the variant is not there, unless another crate turned the core's
    /// `msgpack` on, and then [`Manager::new`](super::Manager::new) refuses it
    /// ([`Error::ParserUnavailable`]).
    pub parser: Parser,
    /// The closure [`Options::auth_with`] gave.
    auth_fn: Option<AuthFn>,
    /// The TLS configuration for `https://` and `wss://` (natively; default: the Mozilla root
    /// certificates of `webpki-roots`, no client certificate). Pass your own to trust a private
    /// certificate authority.
    #[cfg(feature = "native")]
    pub tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// WebSocket compression, permessage-deflate (RFC 7692), natively: offered in every
    /// WebSocket handshake by default, as socket.io-client does under Node (`perMessageDeflate:
    /// { threshold: 1024 }`). When the server agrees (its `perMessageDeflate` is off by
    /// default), messages from the threshold up leave compressed, and compressed ones are
    /// inflated up to 64 MiB. `None` offers nothing. (In the browser, the browser decides.)
    #[cfg(feature = "native")]
    pub per_message_deflate: Option<crate::transports::DeflateOffer>,
}

/// Chained setters, one per field: `Options::default().reconnection(false).timeout(None)`.
/// (`Options` is `#[non_exhaustive]`: a struct literal does not compile outside this crate.)
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        impl Options {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`Options::path`].
    path: String;
    /// Sets [`Options::query`].
    query: Vec<(String, String)>;
    /// Sets [`Options::transports`].
    transports: Vec<Transport>;
    /// Sets [`Options::upgrade`].
    upgrade: bool;
    /// Sets [`Options::remember_upgrade`].
    remember_upgrade: bool;
    /// Sets [`Options::try_all_transports`].
    try_all_transports: bool;
    /// Sets [`Options::timestamp_requests`].
    timestamp_requests: Option<bool>;
    /// Sets [`Options::reconnection`].
    reconnection: bool;
    /// Sets [`Options::reconnection_attempts`].
    reconnection_attempts: Option<u32>;
    /// Sets [`Options::reconnection_delay`].
    reconnection_delay: Duration;
    /// Sets [`Options::reconnection_delay_max`].
    reconnection_delay_max: Duration;
    /// Sets [`Options::randomization_factor`].
    randomization_factor: f64;
    /// Sets [`Options::timeout`].
    timeout: Option<Duration>;
    /// Sets [`Options::auto_connect`].
    auto_connect: bool;
    /// Sets [`Options::ack_timeout`].
    ack_timeout: Option<Duration>;
    /// Sets [`Options::retries`].
    retries: u32;
    /// Sets [`Options::with_credentials`].
    with_credentials: bool;
    /// Sets [`Options::extra_headers`].
    extra_headers: Vec<(String, String)>;
    /// Sets [`Options::parser`].
    parser: Parser;
}

#[cfg(feature = "native")]
impl Options {
    /// Sets [`Options::tls_config`]: the rustls configuration of `https://` and `wss://`
    /// connections (a test CA's roots, a client certificate ...).
    #[must_use]
    pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls_config = Some(config);
        self
    }

    /// Sets [`Options::per_message_deflate`]: `None` offers no compression,
    /// `Some(DeflateOffer { threshold, .. })` another threshold or level.
    #[must_use]
    pub fn per_message_deflate(mut self, offer: Option<crate::transports::DeflateOffer>) -> Self {
        self.per_message_deflate = offer;
        self
    }
}

impl Default for Options {
    /// The core's defaults, which are socket.io-client's.
    fn default() -> Self {
        let config = Config::new(EngineUrl {
            // The core configures a session for a URL; only its defaults are read back here.
            server: ServerUrl {
                secure: false,
                host: String::new(),
                port: 0,
                pathname: String::new(),
                query: Vec::new(),
            },
            // With the trailing slash that the reference's `addTrailingSlash` adds by default.
            path: [crate::options::DEFAULT_PATH, "/"].concat(),
            query: Vec::new(),
        });
        let (engine, manager) = (config.engine, config.manager);
        Options {
            path: engine.url.path,
            query: engine.url.query,
            transports: engine.transports,
            upgrade: engine.upgrade,
            remember_upgrade: engine.remember_upgrade,
            try_all_transports: engine.try_all_transports,
            timestamp_requests: engine.timestamp_requests,
            reconnection: manager.reconnection,
            reconnection_attempts: manager.reconnection_attempts,
            reconnection_delay: manager.reconnection_delay,
            reconnection_delay_max: manager.reconnection_delay_max,
            randomization_factor: manager.randomization_factor,
            timeout: manager.timeout,
            auto_connect: manager.auto_connect,
            ack_timeout: manager.ack_timeout,
            retries: manager.retries,
            with_credentials: false,
            extra_headers: Vec::new(),
            auth: None,
            parser: manager.parser,
            auth_fn: None,
            #[cfg(feature = "native")]
            tls_config: None,
            #[cfg(feature = "native")]
            per_message_deflate: Some(crate::transports::DeflateOffer::default()),
        }
    }
}

impl Options {
    /// Sets the CONNECT payload (a value serializing to a JSON object), in place of a closure
    /// [`Options::auth_with`] gave.
    pub fn with_auth<T: Serialize + ?Sized>(mut self, auth: &T) -> Result<Self, Error> {
        self.auth = Some(serde_json::to_value(auth)?);
        self.auth_fn = None;
        Ok(self)
    }

    /// Sets the CONNECT payload to what `auth` returns, called again on each connection and
    /// reconnection of each socket made with these options: the reference's `auth: (cb) =>
    /// cb({ token })`, for a token that is refreshed. It returns a value serializing to a JSON
    /// object, or to `null` (`()`, `None`) for no payload. Should it return anything else (or fail
    /// to serialize), the socket reports a [`SocketEvent::ConnectError`](super::SocketEvent::ConnectError)
    /// saying why and disconnects. Takes precedence over [`Options::auth`].
    ///
    /// ```
    /// # use sockeye_client::Options;
    /// # fn current_token() -> String { String::new() }
    /// let options = Options::default().auth_with(|| serde_json::json!({ "token": current_token() }));
    /// # let _ = options;
    /// ```
    #[must_use]
    pub fn auth_with<T: Serialize>(
        mut self,
        mut auth: impl FnMut() -> T + MaybeSend + 'static,
    ) -> Self {
        self.auth_fn = Some(AuthFn(Shared::new(Lock::new(move || {
            serde_json::to_value(auth())
        }))));
        self
    }

    /// The closure [`Options::auth_with`] gave.
    pub(super) fn auth_fn(&self) -> Option<&AuthFn> {
        self.auth_fn.as_ref()
    }

    /// Sets the transports.
    pub fn with_transports(mut self, transports: impl Into<Vec<Transport>>) -> Self {
        self.transports = transports.into();
        self
    }

    /// The core's configuration for `server`, and the polling requests' options.
    #[cfg(not(feature = "native"))]
    pub(super) fn config(&self, server: ServerUrl) -> Result<(Config, PollOptions), Error> {
        let config = self.core_config(server)?;
        let poll = PollOptions {
            with_credentials: self.with_credentials,
            extra_headers: self.extra_headers.clone(),
            ..PollOptions::default()
        };
        Ok((config, poll))
    }

    /// The core's configuration for `server`, and the transports' options.
    #[cfg(feature = "native")]
    pub(super) fn config(&self, server: ServerUrl) -> Result<(Config, TransportOptions), Error> {
        let transport = TransportOptions::new(
            &server,
            &self.extra_headers,
            self.tls_config.clone(),
            self.per_message_deflate,
        )
        .map_err(Error::Tls)?;
        Ok((self.core_config(server)?, transport))
    }

    fn core_config(&self, server: ServerUrl) -> Result<Config, Error> {
        let query = if server.query.is_empty() {
            self.query.clone()
        } else {
            server.query.clone()
        };
        let mut config = Config::new(EngineUrl {
            server,
            path: self.path.clone(),
            query,
        });
        let engine = &mut config.engine;
        engine.transports = self.transports.clone();
        engine.upgrade = self.upgrade;
        engine.remember_upgrade = self.remember_upgrade;
        engine.try_all_transports = self.try_all_transports;
        engine.timestamp_requests = self.timestamp_requests;
        let manager = &mut config.manager;
        manager.reconnection = self.reconnection;
        manager.reconnection_attempts = self.reconnection_attempts;
        manager.reconnection_delay = self.reconnection_delay;
        manager.reconnection_delay_max = self.reconnection_delay_max;
        manager.randomization_factor = self.randomization_factor;
        manager.timeout = self.timeout;
        manager.auto_connect = self.auto_connect;
        manager.ack_timeout = self.ack_timeout;
        manager.retries = self.retries;
        manager.parser = self.available_parser()?;
        Ok(config)
    }

    /// [`Options::parser`], if this build has its codec: the browser's without the `msgpack`
    /// feature has JSON only (another crate turning the core's `msgpack` on does not count: the
    /// build would then work or fail by what else is in the dependency graph).
    fn available_parser(&self) -> Result<Parser, Error> {
        #[cfg(not(any(feature = "msgpack", feature = "native")))]
        if self.parser != Parser::Json {
            return Err(Error::ParserUnavailable(self.parser));
        }
        Ok(self.parser)
    }

    /// A socket's options: the auth, retries and ack timeout.
    pub(super) fn socket_options(&self) -> Result<SocketOptions, Error> {
        let auth = match (&self.auth_fn, &self.auth) {
            // The driver answers the core's request for it at each CONNECT.
            (Some(_), _) => Auth::CALLBACK,
            (None, Some(auth)) => Auth::object(serde_json::to_string(auth)?)?,
            (None, None) => Auth::NONE,
        };
        let mut options = SocketOptions::new(auth);
        options.retries = self.retries;
        options.ack_timeout = self.ack_timeout;
        Ok(options)
    }
}

/// An auth closure ([`Options::auth_with`]), shared by the clones of the options and the sockets
/// made with them.
#[derive(Clone)]
pub(super) struct AuthFn(Shared<Lock<AuthFnDyn>>);

impl AuthFn {
    /// The CONNECT payload as JSON text, `None` for none; or why there is none to send.
    pub(super) fn call(&self) -> Result<Option<String>, String> {
        // Never re-entered: the driver asks for one socket's auth at a time.
        let mut auth = self
            .0
            .try_borrow_mut()
            .map_err(|_| String::from("auth: the closure is already running"))?;
        match (*auth)() {
            Ok(Value::Null) => Ok(None),
            Ok(value) => Ok(Some(value.to_string())),
            Err(e) => Err(format!("auth: {e}")),
        }
    }
}

impl core::fmt::Debug for AuthFn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AuthFn(..)")
    }
}
