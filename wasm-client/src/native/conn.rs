//! The native client's connections to the server, for a WebSocket or a polling request: what
//! makes one ([`Connect`]), and ours, TCP with TLS over it for `https`/`wss`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A boxed future that can move between threads.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Makes the connections to the server (TCP, TLS over it, a counting wrapper ...).
pub trait Connect: Send + Sync + 'static {
    /// A connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Opens one connection to the server.
    fn connect(&self) -> BoxFuture<io::Result<Self::Stream>>;
}

/// Where the server is, and the TLS to speak to it.
pub(crate) struct Connector {
    /// The host to connect to (without the brackets of an IPv6 literal) and its port.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// For `https`/`wss`: the connector and the name the certificate must carry.
    pub(crate) tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

impl Connect for Connector {
    type Stream = Stream;

    fn connect(&self) -> BoxFuture<io::Result<Stream>> {
        let host = self.host.clone();
        let port = self.port;
        let tls = self.tls.clone();
        Box::pin(async move { connect(&host, port, tls).await })
    }
}

/// A TCP connection, with TLS or without.
#[derive(Debug)]
pub(crate) enum Stream {
    /// `http` / `ws`.
    Plain(TcpStream),
    /// `https` / `wss` (boxed: rustls's state is large).
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects to `host:port`, with TLS when given.
async fn connect(
    host: &str,
    port: u16,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
) -> io::Result<Stream> {
    let tcp = TcpStream::connect((host, port)).await?;
    let _ = tcp.set_nodelay(true);
    match tls {
        None => Ok(Stream::Plain(tcp)),
        Some((connector, name)) => {
            let tls = connector.connect(name, tcp).await?;
            Ok(Stream::Tls(Box::new(tls)))
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
