//! [`serve`] and [`serve_with`]: HTTP/1.1 connections (with upgrades, optionally over TLS) with
//! the bounds of Node.js's HTTP server, which the reference runs on.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::Body;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower_service::Service;

use super::limits::{ConnLimits, ConnPermit};
use super::{BodyReadTimeout, BoxError, ClientAddr, SecureConnection};
use crate::engine::websocket::stall::StallTimer;

/// Node's `requestTimeout`, [`ServeConfig::body_read_timeout`]'s default.
const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// How [`serve_with`] runs connections. The defaults are Node.js's HTTP server's, which the
/// reference runs on.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServeConfig {
    /// How long a client has to send a request's head, counted from the first byte the server
    /// waits for (Node's `headersTimeout`, 60 s): a client that trickles its headers, or opens a
    /// connection and sends nothing, is cut off then.
    pub header_read_timeout: Duration,
    /// The most bytes in a request's head (Node's `maxHeaderSize`, 16 KiB); a larger one gets
    /// `431 Request Header Fields Too Large`.
    pub max_header_size: usize,
    /// How long a request's body may take to arrive, counted from when its head was read (Node's
    /// `requestTimeout`, 300 s, which counts the head too): an Engine.IO POST whose body trickles
    /// in more slowly gets `408 Request Timeout` and the connection is closed. The Engine.IO
    /// endpoint's own `http_request_body_timeout` (30 s) applies wherever it is mounted; the
    /// shorter of the two wins. Bodies the inner service reads are its own to bound.
    pub body_read_timeout: Duration,
    /// How long an idle connection stays open between requests (Node's `keepAliveTimeout`, 5 s):
    /// counted from the end of a response, until the first byte of the next request. Before the
    /// first request, `header_read_timeout` applies; an upgraded connection (WebSocket) has its
    /// own heartbeat instead.
    pub keep_alive_timeout: Duration,
    /// The most connections open at once (100,000; Node's `maxConnections`, unbounded there):
    /// past it, a new connection's first request gets `503 Service Unavailable` with
    /// `{"code":4,"message":"Too many connections"}` (an Engine.IO request's; the message as
    /// text otherwise, and for a WebSocket) and the connection is closed; over TLS it is closed
    /// at once, as Node closes it. Refused connections are answered within a second, at most 256
    /// at a time (the rest are closed at once). Upgraded WebSockets count until they close.
    /// Keep it under the process's file descriptor limit.
    pub max_connections: usize,
    /// The most connections open at once from one client address (an IPv6 address by its /64);
    /// past it, as past `max_connections`. Unbounded by default (`usize::MAX`), as in the
    /// reference: behind a proxy or a load balancer every connection comes from its address, and
    /// any default would cap the whole server there. Set it when clients connect directly.
    pub max_connections_per_ip: usize,
    /// How long a write to a client that has stopped reading may stall before the connection is
    /// closed (30 s, the reference's `ws` `closeTimeout`; Node has none): a polling response
    /// whose client does not take it. An upgraded WebSocket has the Engine.IO endpoint's own
    /// `write_timeout` instead, which closes its session with `transport error`.
    pub write_timeout: Duration,
    /// TLS (https and wss), with this rustls config; its ALPN protocols, if any, should offer
    /// `http/1.1`. Each connection's TLS handshake runs in its own task, within
    /// `header_read_timeout`.
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(60),
            max_header_size: 16 * 1024,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            keep_alive_timeout: Duration::from_secs(5),
            max_connections: 100_000,
            max_connections_per_ip: usize::MAX,
            write_timeout: Duration::from_secs(30),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// The listen backlog [`bind`] asks for (the kernel caps it at `net.core.somaxconn`).
///
/// When a server restarts, every client reconnects within the reference's 1 to 5 s backoff: a
/// backlog of tokio's 1,024 (Node's `listen` uses 511) overflows under a storm of thousands, and
/// the kernel then drops SYNs that clients resend only 1 s, then 3 s, later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Binds a TCP listener as `TcpListener::bind` does (the first address that works, and
/// `SO_REUSEADDR` on Unix, so a restarted server can take its port back at once), with a listen
/// backlog of [`LISTEN_BACKLOG`].
pub async fn bind(addr: impl tokio::net::ToSocketAddrs) -> std::io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

/// Serves `service` on `listener` (HTTP/1.1 with upgrades) with the default [`ServeConfig`]; see
/// [`serve_with`].
pub async fn serve<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    serve_with(listener, service, shutdown, ServeConfig::default()).await
}

/// Serves `service` on `listener` (HTTP/1.1 with upgrades, over TLS when `config.tls` is set),
/// each request carrying its peer's [`ClientAddr`], until `shutdown` resolves; then stops
/// accepting (connections already open run to their end).
pub async fn serve_with<S, B>(
    listener: TcpListener,
    service: S,
    shutdown: impl Future<Output = ()> + Send,
    config: ServeConfig,
) -> std::io::Result<()>
where
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_header_size(config.max_header_size);
    #[cfg(feature = "tls")]
    let tls = config.tls.map(tokio_rustls::TlsAcceptor::from);
    let handshake_timeout = config.header_read_timeout;
    let seconds = config.keep_alive_timeout.as_secs();
    let limits = ConnLimits::new(config.max_connections, config.max_connections_per_ip);
    let timeouts = ConnTimeouts {
        body_read: config.body_read_timeout,
        keep_alive: config.keep_alive_timeout,
        write: config.write_timeout,
        // As Node.js says it: how long the connection stays open idle, in whole seconds.
        keep_alive_header: (seconds > 0)
            .then(|| HeaderValue::from_str(&format!("timeout={seconds}")).ok())
            .flatten(),
    };
    accept_loop(listener, shutdown, move |stream, peer| {
        let Some(permit) = limits.admit(peer) else {
            // Over TLS, closed unanswered (as Node's `maxConnections` closes every refused
            // connection): an answer would cost the TLS handshake the cap is there to spare.
            #[cfg(feature = "tls")]
            if tls.is_some() {
                tracing::debug!("connection from {peer} closed: over the connection caps");
                return;
            }
            limits.refuse(stream, peer);
            return;
        };
        let (service, http, timeouts) = (service.clone(), http.clone(), timeouts.clone());
        #[cfg(feature = "tls")]
        if let Some(acceptor) = tls.clone() {
            tokio::spawn(async move {
                match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let conn = Conn {
                            peer,
                            secure: true,
                            permit,
                        };
                        serve_connection(&http, stream, conn, service, timeouts).await
                    }
                    Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                }
            });
            return;
        }
        let _ = handshake_timeout;
        let conn = Conn {
            peer,
            secure: false,
            permit,
        };
        tokio::spawn(async move { serve_connection(&http, stream, conn, service, timeouts).await });
    })
    .await
}

/// Accepts connections until `shutdown` resolves, handing each to `on_connection`.
async fn accept_loop(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
    mut on_connection: impl FnMut(tokio::net::TcpStream, SocketAddr),
) -> std::io::Result<()> {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Running out of file descriptors and the like: log, breathe, go on.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        on_connection(stream, peer);
    }
}

/// The timeouts [`serve_connection`] applies beside hyper's own.
#[derive(Clone, Debug)]
struct ConnTimeouts {
    body_read: Duration,
    keep_alive: Duration,
    write: Duration,
    /// `Keep-Alive: timeout=N`, made once; none under a second.
    keep_alive_header: Option<HeaderValue>,
}

/// What [`serve_connection`] knows of its connection.
struct Conn {
    peer: SocketAddr,
    /// Over TLS: its requests carry [`SecureConnection`].
    secure: bool,
    /// Counted under the caps until the connection ends (kept by its stream, which an upgrade
    /// hands on to the WebSocket).
    permit: ConnPermit,
}

/// Runs HTTP/1.1 (with upgrades) on one connection until it ends.
async fn serve_connection<I, S, B>(
    http: &hyper::server::conn::http1::Builder,
    stream: I,
    conn: Conn,
    service: S,
    timeouts: ConnTimeouts,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<hyper::body::Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let Conn {
        peer,
        secure,
        permit,
    } = conn;
    let activity = Arc::new(ConnActivity::default());
    let io = KeepAliveIo::new(stream, activity.clone(), &timeouts, permit);
    let svc = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ClientAddr(peer));
        if secure {
            req.extensions_mut().insert(SecureConnection);
        }
        req.extensions_mut()
            .insert(BodyReadTimeout(timeouts.body_read));
        let mut service = service.clone();
        let in_flight = InFlight::start(activity.clone());
        let closes = |headers: &HeaderMap| {
            headers
                .get_all(header::CONNECTION)
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.eq_ignore_ascii_case("close")))
        };
        let keep_alive = req.version() == hyper::Version::HTTP_11 && !closes(req.headers());
        let keep_alive_header = timeouts.keep_alive_header.clone();
        async move {
            std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
            let mut res = service.call(req).await?;
            if res.status() == StatusCode::SWITCHING_PROTOCOLS {
                in_flight.upgraded();
            } else if let Some(value) =
                keep_alive_header.filter(|_| keep_alive && !closes(res.headers()))
            {
                res.headers_mut()
                    .entry(HeaderName::from_static("keep-alive"))
                    .or_insert(value);
            }
            Ok::<_, S::Error>(res.map(|body| InFlightBody {
                body: Box::pin(body),
                _in_flight: in_flight,
            }))
        }
    });
    let conn = http.serve_connection(TokioIo::new(io), svc).with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!("connection from {peer}: {e}");
    }
}

/// What a connection is doing, as its requests and its [`KeepAliveIo`] share it.
#[derive(Debug, Default)]
struct ConnActivity {
    /// Requests whose response is not yet fully written.
    in_flight: AtomicUsize,
    /// Bumped each time the connection goes idle after a response: a new keep-alive period.
    idle_periods: AtomicU64,
    /// Upgraded (WebSocket): no more HTTP, no keep-alive timeout.
    upgraded: AtomicBool,
}

/// One request in flight, from its head until its response's body is written (or dropped).
#[derive(Debug)]
struct InFlight(Arc<ConnActivity>);

impl InFlight {
    fn start(activity: Arc<ConnActivity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(activity)
    }

    fn upgraded(&self) {
        self.0.upgraded.store(true, Ordering::Release);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle_periods.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// A response body that holds its request's [`InFlight`] until hyper has written it: a long
/// streamed response keeps its connection busy.
struct InFlightBody<B> {
    body: Pin<Box<B>>,
    _in_flight: InFlight,
}

impl<B: Body> Body for InFlightBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        self.body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection's stream that ends (reads EOF, which hyper takes for the client closing an idle
/// connection) once it has been idle for `timeout` after a response: Node's `keepAliveTimeout`,
/// which hyper lacks (its header timeout, 60 s, also counts idle time). Its writes fail once they
/// have stalled for the write timeout (until an upgrade: the WebSocket then has its own), and it
/// keeps the connection counted under the caps until it is dropped.
struct KeepAliveIo<I> {
    inner: I,
    activity: Arc<ConnActivity>,
    timeout: Duration,
    /// The idle period the timer was armed for; a byte read disarms it until the next one.
    armed_for: u64,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    stall: StallTimer,
    _permit: ConnPermit,
}

impl<I> KeepAliveIo<I> {
    fn new(
        inner: I,
        activity: Arc<ConnActivity>,
        timeouts: &ConnTimeouts,
        permit: ConnPermit,
    ) -> Self {
        KeepAliveIo {
            inner,
            activity,
            timeout: timeouts.keep_alive,
            armed_for: 0,
            timer: None,
            stall: StallTimer::new(timeouts.write),
            _permit: permit,
        }
    }

    /// A write's outcome, failed past the write timeout while the connection speaks HTTP.
    fn check_stall<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if self.activity.upgraded.load(Ordering::Acquire) {
            return poll;
        }
        self.stall.check(cx, poll)
    }
}

impl<I: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for KeepAliveIo<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.activity.upgraded.load(Ordering::Acquire) {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                // The next request has begun: the head timeout takes over.
                this.timer = None;
                this.armed_for = this.activity.idle_periods.load(Ordering::Acquire);
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        let period = this.activity.idle_periods.load(Ordering::Acquire);
        // Busy, or not yet answered a request (the head timeout applies then).
        if this.activity.in_flight.load(Ordering::Acquire) > 0 || period == 0 {
            return Poll::Pending;
        }
        if period != this.armed_for {
            this.armed_for = period;
            let deadline = tokio::time::Instant::now() + this.timeout;
            match &mut this.timer {
                Some(timer) => timer.as_mut().reset(deadline),
                None => this.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        if let Some(timer) = &mut this.timer
            && timer.as_mut().poll(cx).is_ready()
        {
            this.timer = None;
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }
}

impl<I: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for KeepAliveIo<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check_stall(cx, poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check_stall(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.check_stall(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
