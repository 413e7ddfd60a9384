//! The options of the Engine.IO endpoint as HTTP serves it (engine.io's `ServerOptions`): its path,
//! CORS, the cookie, `allowRequest`, the handshake rate, the HTTP bounds and the WebSocket Origin
//! check, with the core's session options beside them; defaults are engine.io 6.6's.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::{BoxFuture, RequestInfo};

/// Which origins may make cross-origin requests (the `cors` package's `origin` option).
#[derive(Clone)]
#[non_exhaustive]
pub enum CorsOrigin {
    /// Any origin: `Access-Control-Allow-Origin: *` (the `cors` package's default).
    Any,
    /// Exactly this origin, always announced, whatever the request's `Origin`.
    Exact(String),
    /// The request's origin, echoed back when it is one of these.
    List(Vec<String>),
    /// The request's origin, echoed back when it matches.
    Regex(regex::Regex),
    /// The request's origin, echoed back when the predicate allows it (`origin: true` is
    /// `Predicate(|_| true)`).
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

impl fmt::Debug for CorsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorsOrigin::Any => f.write_str("Any"),
            CorsOrigin::Exact(o) => f.debug_tuple("Exact").field(o).finish(),
            CorsOrigin::List(l) => f.debug_tuple("List").field(l).finish(),
            CorsOrigin::Regex(r) => f.debug_tuple("Regex").field(&r.as_str()).finish(),
            CorsOrigin::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

impl CorsOrigin {
    /// Whether `origin` (a request's `Origin`) is one these allow.
    pub(crate) fn allows(&self, origin: &str) -> bool {
        match self {
            CorsOrigin::Any => true,
            CorsOrigin::Exact(o) => o == origin,
            CorsOrigin::List(list) => list.iter().any(|l| l == origin),
            CorsOrigin::Regex(re) => re.is_match(origin),
            CorsOrigin::Predicate(p) => p(origin),
        }
    }
}

/// Cross-origin resource sharing, as the `cors` package the reference uses answers it. Without a
/// `Cors` the server sends no CORS headers (the reference's default).
///
/// Unlike the reference, a handshake from an origin the allowlist does not allow is refused (see
/// [`Cors::refuse_other_origins`]): CORS headers only keep a browser from reading polling
/// answers, and do not apply to WebSockets at all.
///
/// # WebSockets and cookies
///
/// Browsers open a WebSocket to any site from any page, with that site's cookies, and no CORS
/// rule keeps the page from reading its messages: an app that authenticates its sockets with
/// cookies is open to cross-site WebSocket hijacking unless it checks the `Origin`. With an
/// allowlist here, [`Cors::refuse_other_origins`] refuses other origins' handshakes; the
/// builders' `websocket_origins` checks every WebSocket, the upgrade of a polling session
/// included, with or without CORS (off by default, as in the reference). A refused WebSocket
/// gets `400 Bad Request` with `Forbidden`.
#[derive(Clone, Debug)]
pub struct Cors {
    pub(crate) origin: CorsOrigin,
    pub(crate) refuse_other_origins: bool,
    pub(crate) credentials: bool,
    pub(crate) methods: String,
    pub(crate) allowed_headers: Option<String>,
    pub(crate) exposed_headers: Option<String>,
    pub(crate) max_age: Option<u64>,
}

impl Cors {
    /// CORS for `origin`: methods `GET,HEAD,PUT,PATCH,POST,DELETE`, request headers reflected,
    /// no credentials (the `cors` package's defaults).
    pub fn new(origin: CorsOrigin) -> Self {
        Cors {
            origin,
            refuse_other_origins: true,
            credentials: false,
            methods: "GET,HEAD,PUT,PATCH,POST,DELETE".into(),
            allowed_headers: None,
            exposed_headers: None,
            max_age: None,
        }
    }

    /// `origin: "*"`.
    pub fn any() -> Self {
        Cors::new(CorsOrigin::Any)
    }

    /// From a command-line style value: `*` is any origin, anything else one exact origin.
    pub fn from_origin(origin: &str) -> Self {
        if origin == "*" {
            Cors::any()
        } else {
            Cors::new(CorsOrigin::Exact(origin.to_owned()))
        }
    }

    /// Whether a handshake (polling or WebSocket) with an `Origin` these origins do not allow is
    /// refused: 403 `{"code":4,"message":"Forbidden"}`, or a refused WebSocket upgrade (default
    /// true; `false` is the reference's behaviour: the handshake goes through, without CORS
    /// headers). A request without `Origin` (not from a browser) or from the server's own origin
    /// (`Origin` naming the request's `Host`) is never refused, nor is any with [`Cors::any`].
    #[must_use]
    pub fn refuse_other_origins(mut self, refuse: bool) -> Self {
        self.refuse_other_origins = refuse;
        self
    }

    /// Whether a handshake with these headers is let through (see
    /// [`Cors::refuse_other_origins`]).
    pub(crate) fn admits(&self, headers: &::http::HeaderMap) -> bool {
        let Some(origin) = headers.get(::http::header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return !self.refuse_other_origins;
        };
        !self.refuse_other_origins || is_same_origin(headers, origin) || self.origin.allows(origin)
    }

    /// `credentials: true`: `Access-Control-Allow-Credentials: true` (browsers then refuse `*`:
    /// pair it with an origin list, a regex or a predicate).
    #[must_use]
    pub fn credentials(mut self, credentials: bool) -> Self {
        self.credentials = credentials;
        self
    }

    /// The methods a preflight allows.
    #[must_use]
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.methods = methods.join(",");
        self
    }

    /// The request headers a preflight allows (default: those the preflight asks for).
    #[must_use]
    pub fn allowed_headers(mut self, headers: &[&str]) -> Self {
        self.allowed_headers = Some(headers.join(","));
        self
    }

    /// Response headers the browser may read.
    #[must_use]
    pub fn exposed_headers(mut self, headers: &[&str]) -> Self {
        self.exposed_headers = Some(headers.join(","));
        self
    }

    /// How long a preflight's answer may be cached, in seconds.
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }
}

/// The sticky-session cookie set on the handshake (the reference's `cookie` option); its value is
/// the session id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name (`io`).
    pub name: String,
    /// `Path` (`/`); `None` leaves it out.
    pub path: Option<String>,
    /// `HttpOnly` (true).
    pub http_only: bool,
    /// `SameSite` (`Lax`); `None` leaves it out.
    pub same_site: Option<String>,
    /// `Secure` (false).
    pub secure: bool,
    /// `Max-Age` in seconds (none: a session cookie).
    pub max_age: Option<u64>,
    /// `Domain` (none).
    pub domain: Option<String>,
}

impl Default for Cookie {
    /// The reference's `cookie: true`: `io=<sid>; Path=/; HttpOnly; SameSite=Lax`.
    fn default() -> Self {
        Cookie {
            name: "io".into(),
            path: Some("/".into()),
            http_only: true,
            same_site: Some("Lax".into()),
            secure: false,
            max_age: None,
            domain: None,
        }
    }
}

impl Cookie {
    /// The `Set-Cookie` value for session `sid`.
    pub(crate) fn header(&self, sid: &str) -> String {
        let mut out = format!("{}={}", self.name, sid);
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some(path) = &self.path {
            out.push_str("; Path=");
            out.push_str(path);
        }
        if let Some(max_age) = self.max_age {
            out.push_str(&format!("; Max-Age={max_age}"));
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if let Some(same_site) = &self.same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site);
        }
        out
    }
}

/// The `allowRequest` hook: decides on each handshake; `Err(message)` answers 403
/// `{"code":4,"message":message}`.
pub type AllowRequest =
    Arc<dyn Fn(RequestInfo) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// The Engine.IO options (engine.io's `ServerOptions`).
#[derive(Clone)]
pub(crate) struct EngineConfig {
    /// Where the server answers, with a trailing slash (`/socket.io/`, `/engine.io/`).
    pub(crate) path: String,
    pub(crate) engine: proto::engine::server::Config,
    pub(crate) cors: Option<Cors>,
    pub(crate) cookie: Option<Cookie>,
    pub(crate) allow_request: Option<AllowRequest>,
    pub(crate) handshake_limiter: Option<Arc<HandshakeLimiter>>,
    /// The HTTP bounds and the WebSocket Origin check ([`HttpLimits`]).
    pub(crate) http: HttpLimits,
    /// The classic-script client served under the path (`serveClient`), if on.
    pub(crate) client_files: Option<Arc<super::client_files::ClientFiles>>,
    /// `httpCompression` of polling responses.
    pub(crate) http_compression: super::compression::HttpCompression,
    /// WebSocket compression (`perMessageDeflate`), if on.
    pub(crate) per_message_deflate: Option<super::per_message_deflate::PerMessageDeflate>,
}

impl EngineConfig {
    pub(crate) fn new(path: &str) -> Self {
        EngineConfig {
            path: normalize_path(path),
            engine: proto::engine::server::Config::default(),
            cors: None,
            cookie: None,
            allow_request: None,
            handshake_limiter: None,
            http: HttpLimits::default(),
            client_files: None,
            http_compression: super::compression::HttpCompression::default(),
            per_message_deflate: None,
        }
    }

    pub(crate) fn max_payload(&self) -> usize {
        usize::try_from(self.engine.max_payload).unwrap_or(usize::MAX)
    }
}

/// `/socket.io` and `/socket.io/` both serve `/socket.io/...` (the reference's `addTrailingSlash`).
pub(crate) fn normalize_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(trimmed.len() + 2);
    if !trimmed.starts_with('/') {
        out.push('/');
    }
    out.push_str(trimmed);
    out.push('/');
    out
}

/// The most addresses [`HandshakeLimiter`] tracks at once; past it, handshakes from addresses it
/// does not track are refused until old entries expire. About 64 bytes each: 6 MB at most.
const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// The per-address token buckets of `handshake_rate_per_ip`: each address (an IPv6 address's /64,
/// which one host usually holds whole) may start `burst` handshakes at once and `per_second` more
/// each second after.
#[derive(Debug)]
pub(crate) struct HandshakeLimiter {
    per_second: f64,
    burst: f64,
    buckets: std::sync::Mutex<Buckets>,
}

#[derive(Debug, Default)]
struct Buckets {
    map: std::collections::HashMap<std::net::IpAddr, Bucket>,
    /// The size at which full buckets (which say nothing an absent one would not) are dropped.
    prune_at: usize,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: tokio::time::Instant,
}

impl HandshakeLimiter {
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        HandshakeLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst),
            buckets: std::sync::Mutex::new(Buckets {
                map: std::collections::HashMap::new(),
                prune_at: 1024,
            }),
        }
    }

    /// Takes one handshake from `ip`'s bucket, or says how long until it holds one.
    pub(crate) fn check(&self, ip: std::net::IpAddr) -> Result<(), Duration> {
        let key = rate_key(ip);
        let now = tokio::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let refill = |b: &Bucket| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            (b.tokens + elapsed * self.per_second).min(self.burst)
        };
        if buckets.map.len() >= buckets.prune_at {
            let burst = self.burst;
            buckets.map.retain(|_, b| refill(b) < burst);
            buckets.prune_at = (buckets.map.len() * 2).clamp(1024, MAX_TRACKED_ADDRESSES);
        }
        let tracked = buckets.map.len();
        let bucket = match buckets.map.get_mut(&key) {
            Some(bucket) => bucket,
            None if tracked >= MAX_TRACKED_ADDRESSES => return Err(Duration::from_secs(1)),
            None => buckets.map.entry(key).or_insert(Bucket {
                tokens: self.burst,
                at: now,
            }),
        };
        bucket.tokens = refill(bucket);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else if self.per_second > 0.0 {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        } else {
            Err(Duration::MAX)
        }
    }
}

/// The address a bucket belongs to: IPv4 as is (also when mapped into IPv6), IPv6 by its /64.
pub(crate) fn rate_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None => std::net::IpAddr::V6(std::net::Ipv6Addr::from(
                v6.to_bits() & !u128::from(u64::MAX),
            )),
        },
        v4 => v4,
    }
}

/// Generates the Engine.IO options' builder methods on a builder holding `engine: EngineConfig`.
macro_rules! engine_builder_methods {
    () => {
        crate::http::config::http_builder_methods!();
        crate::http::compression::compression_builder_methods!();

        /// The path the server answers at (`/socket.io/`; the bare Engine.IO server's is
        /// `/engine.io/`).
        #[must_use]
        pub fn path(mut self, path: &str) -> Self {
            self.engine.path = crate::http::config::normalize_path(path);
            self
        }

        /// How often the server pings (`pingInterval`, 25 s).
        #[must_use]
        pub fn ping_interval(mut self, interval: std::time::Duration) -> Self {
            self.engine.engine.ping_interval = interval;
            self
        }

        /// How long the server waits for a pong (`pingTimeout`, 20 s).
        #[must_use]
        pub fn ping_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.engine.engine.ping_timeout = timeout;
            self
        }

        /// How long an upgrade may take (`upgradeTimeout`, 10 s).
        #[must_use]
        pub fn upgrade_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.engine.engine.upgrade_timeout = timeout;
            self
        }

        /// The most bytes in one polling body or WebSocket message (`maxHttpBufferSize`, 1e6).
        #[must_use]
        pub fn max_http_buffer_size(mut self, bytes: u64) -> Self {
            self.engine.engine.max_payload = bytes;
            self
        }

        /// The most bytes that may wait to be written to one client (10 MB): a client that
        /// reads more slowly than the server writes to it, or a polling client that stops
        /// polling, is disconnected with `transport error` past it, so that it cannot grow the
        /// server's memory. Not in the reference, whose buffers grow without bound.
        #[must_use]
        pub fn max_buffered_bytes(mut self, bytes: u64) -> Self {
            self.engine.engine.max_buffered_bytes = bytes;
            self
        }

        /// Whether polling sessions may upgrade to WebSocket (`allowUpgrades`, true).
        #[must_use]
        pub fn allow_upgrades(mut self, allow: bool) -> Self {
            self.engine.engine.allow_upgrades = allow;
            self
        }

        /// The transports accepted (`transports`, polling and websocket).
        #[must_use]
        pub fn transports(mut self, transports: &[proto::engine::Transport]) -> Self {
            self.engine.engine.transports = transports.to_vec();
            self
        }

        /// CORS headers (`cors`; none by default).
        #[must_use]
        pub fn cors(mut self, cors: crate::http::config::Cors) -> Self {
            self.engine.cors = Some(cors);
            self
        }

        /// The sticky-session cookie (`cookie`; none by default).
        #[must_use]
        pub fn cookie(mut self, cookie: crate::http::config::Cookie) -> Self {
            self.engine.cookie = Some(cookie);
            self
        }

        /// The `allowRequest` hook, asked on each handshake. `Err(message)` refuses it with 403
        /// `{"code":4,"message":message}`.
        #[must_use]
        pub fn allow_request<F, Fut>(mut self, hook: F) -> Self
        where
            F: Fn(crate::http::RequestInfo) -> Fut + Send + Sync + 'static,
            Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
        {
            self.engine.allow_request = Some(std::sync::Arc::new(move |req| Box::pin(hook(req))));
            self
        }

        /// Limits the handshakes (new sessions) each client address may start: `burst` at once,
        /// then `per_second` more each second (a token bucket; IPv6 addresses count by their /64).
        /// Off by default, as in the reference, which leaves this to `allowRequest`. Past it, a
        /// handshake gets `429 Too Many Requests` with `Retry-After` and the reference's error
        /// body `{"code":4,"message":"Too many handshakes"}` (code 4 is what an `allowRequest`
        /// refusal carries; 429 tells proxies and people that it is a rate and not a
        /// permission); a WebSocket handshake gets 429 with the message as text. Requests of
        /// existing sessions are not counted. The address is the peer's ([`ClientAddr`](
        /// crate::ClientAddr)): behind a proxy every client shares one, so limit there or in
        /// `allow_request` from the forwarded address instead. At most 100,000 addresses are
        /// tracked; past that, handshakes from new ones are refused until old ones expire.
        #[must_use]
        pub fn handshake_rate_per_ip(mut self, per_second: u32, burst: u32) -> Self {
            self.engine.handshake_limiter = Some(std::sync::Arc::new(
                crate::http::config::HandshakeLimiter::new(per_second, burst),
            ));
            self
        }

        /// WebSocket compression, permessage-deflate (`perMessageDeflate`; off by default, as in
        /// the reference): messages of at least the options' threshold (1,024 bytes) go
        /// compressed to clients that offer it. See [`PerMessageDeflate`](
        /// crate::config::PerMessageDeflate) for what it negotiates and what it costs.
        #[must_use]
        pub fn per_message_deflate(
            mut self,
            options: crate::http::per_message_deflate::PerMessageDeflate,
        ) -> Self {
            self.engine.per_message_deflate = Some(options);
            self
        }
    };
}
pub(crate) use engine_builder_methods;

// ---- HTTP bounds and the WebSocket Origin check ----
//
// The Engine.IO endpoint's own bounds on what HTTP clients send, which hold wherever it is mounted
// (`serve_with`'s connection-level bounds are `ServeConfig`'s), and the Origin check of WebSockets.

/// How long a polling POST's body may take to arrive (engine.io's `httpRequestBodyTimeout`).
pub(crate) const DEFAULT_HTTP_REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The most chunks a polling POST's body may arrive in (engine.io's `maxBufferedChunks`).
pub(crate) const DEFAULT_MAX_BUFFERED_CHUNKS: usize = 10_000;

/// The most Engine.IO sessions open at once (not in the reference).
pub(crate) const DEFAULT_MAX_CLIENTS: usize = 100_000;

/// The most bytes of URL and headers a handshake may bring, which its session keeps (Node's
/// `maxHeaderSize`).
pub(crate) const DEFAULT_MAX_HANDSHAKE_HEADER_BYTES: usize = 16 * 1024;

/// How long a write to a WebSocket whose client stopped reading may stall (not in the reference).
pub(crate) const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Engine.IO endpoint's HTTP bounds and checks; see the builder methods of the same names.
#[derive(Clone, Debug)]
pub(crate) struct HttpLimits {
    pub(crate) http_request_body_timeout: Duration,
    pub(crate) max_buffered_chunks: usize,
    pub(crate) max_clients: usize,
    pub(crate) websocket_origins: Option<CorsOrigin>,
    pub(crate) write_timeout: Duration,
    pub(crate) max_handshake_header_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            http_request_body_timeout: DEFAULT_HTTP_REQUEST_BODY_TIMEOUT,
            max_buffered_chunks: DEFAULT_MAX_BUFFERED_CHUNKS,
            max_clients: DEFAULT_MAX_CLIENTS,
            websocket_origins: None,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_handshake_header_bytes: DEFAULT_MAX_HANDSHAKE_HEADER_BYTES,
        }
    }
}

/// Whether `headers` (a request's) carry an `Origin` naming the request's own `Host`: the page
/// is the server's own.
pub(crate) fn is_same_origin(headers: &::http::HeaderMap, origin: &str) -> bool {
    origin
        .split_once("://")
        .zip(
            headers
                .get(::http::header::HOST)
                .and_then(|h| h.to_str().ok()),
        )
        .is_some_and(|((_, authority), host)| authority.eq_ignore_ascii_case(host))
}

impl HttpLimits {
    /// Whether a WebSocket (a handshake or an upgrade) with these headers passes the
    /// `websocket_origins` check: no check, no `Origin` (not a browser), the server's own
    /// origin, or one the list allows.
    pub(crate) fn admits_websocket(&self, headers: &::http::HeaderMap) -> bool {
        let Some(allowed) = &self.websocket_origins else {
            return true;
        };
        let Some(origin) = headers.get(::http::header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        is_same_origin(headers, origin) || allowed.allows(origin)
    }
}

/// The builder methods of [`HttpLimits`], generated inside [`engine_builder_methods`].
macro_rules! http_builder_methods {
    () => {
        /// How long a polling POST's body may take to arrive, counted from when its head was
        /// read (`httpRequestBodyTimeout`, 30 s, as engine.io 6.6.13). Past it the POST gets
        /// `408 Request Timeout`, its connection is closed and its session closes with
        /// `transport error`, as the reference's. It holds wherever the server is mounted.
        #[must_use]
        pub fn http_request_body_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.engine.http.http_request_body_timeout = timeout;
            self
        }

        /// The most chunks a polling POST's body may arrive in (`maxBufferedChunks`, 10,000, as
        /// engine.io 6.6.13): a body sent a few bytes at a time costs a read per chunk. Past it the
        /// POST gets `413 Payload Too Large`, its connection is closed and its session closes with
        /// `transport error`, as the reference's. A chunk is what one read of the connection gives
        /// (or one chunk of a chunked body), as Node's `data` events.
        #[must_use]
        pub fn max_buffered_chunks(mut self, chunks: usize) -> Self {
            self.engine.http.max_buffered_chunks = chunks;
            self
        }

        /// The most Engine.IO sessions open at once (100,000; not in the reference): a handshake
        /// past it gets `503 Service Unavailable` with `{"code":4,"message":"Too many clients"}`
        /// (code 4, as an `allowRequest` refusal: what a Node app would answer from there), or
        /// the message as text for a WebSocket. Counted at each handshake, so a burst of them at
        /// once may overshoot by a few. It bounds polling sessions, which hold no connection
        /// between polls, wherever the server is mounted; [`ServeConfig`](crate::ServeConfig)
        /// bounds connections.
        #[must_use]
        pub fn max_clients(mut self, clients: usize) -> Self {
            self.engine.http.max_clients = clients;
            self
        }

        /// The most bytes of URL and headers (names and values) a handshake may bring (16 KiB,
        /// Node's `maxHeaderSize`, which bounds them under the reference): its session keeps a
        /// copy of them as `handshake.headers` for as long as it lives, 45 s at least for one
        /// that never connects a namespace. Past it the handshake gets `431 Request Header
        /// Fields Too Large`, as Node answers a larger head. It holds wherever the server is
        /// mounted (under `axum::serve`, hyper lets a head grow to about 400 KiB); with
        /// `max_clients` it bounds what handshakes can hold.
        #[must_use]
        pub fn max_handshake_header_bytes(mut self, bytes: usize) -> Self {
            self.engine.http.max_handshake_header_bytes = bytes;
            self
        }

        /// How long a write to a session's WebSocket may make no progress at all (30 s, the
        /// reference's `ws` `closeTimeout`; the reference has no such bound): a client that
        /// stopped reading, but may go on sending pongs, is closed then, with `transport error`,
        /// instead of holding up to `max_buffered_bytes` until it goes. A client that reads
        /// slowly keeps its connection. Polling responses have
        /// [`ServeConfig::write_timeout`](crate::ServeConfig::write_timeout) under
        /// [`serve_with`](crate::serve_with).
        #[must_use]
        pub fn write_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.engine.http.write_timeout = timeout;
            self
        }

        /// Refuses a WebSocket, its handshake or the upgrade of a polling session, whose `Origin`
        /// is neither this server's own (the request's `Host`) nor one of `origins`: the defence
        /// against cross-site WebSocket hijacking for an app that authenticates with cookies.
        /// Browsers send cookies with a WebSocket from any site, and no CORS rule keeps another
        /// site's page from reading its messages. Off by default, as in the reference (whose
        /// apps check `req.headers.origin` in `allowRequest`). A refused WebSocket gets `400 Bad
        /// Request` with `Forbidden` as text, as an `allowRequest` refusal (and `connection_error`
        /// reports code 4). A request without `Origin` is not from a browser page and passes.
        /// Behind a proxy that rewrites `Host`, list the public origin. [`Cors`](crate::Cors)
        /// with an allowlist refuses other origins' handshakes, WebSocket or polling, too
        /// ([`Cors::refuse_other_origins`](crate::Cors::refuse_other_origins)).
        #[must_use]
        pub fn websocket_origins(mut self, origins: crate::http::config::CorsOrigin) -> Self {
            self.engine.http.websocket_origins = Some(origins);
            self
        }
    };
}
pub(crate) use http_builder_methods;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
