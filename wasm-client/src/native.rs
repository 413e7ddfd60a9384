//! The native driver (feature `native`): the same core [`Client`](proto::client::Client) and the
//! same typed API as in the browser, on tokio. [`driver`] keeps the client behind a mutex and
//! pumps it after every input; an IO task of its own ([`io`]) owns the transports
//! (sockeye-websocket WebSockets, HTTP/1.1 long-polling over hyper, rustls for `https`/`wss`)
//! and the one timer.

mod conn;
pub(crate) mod driver;
mod http;
mod io;
pub mod transports;

use std::sync::Arc;

use proto::url::ServerUrl;
use rustls::pki_types::ServerName;

/// How the transports reach the server: where, with which TLS, which extra headers, and the
/// permessage-deflate offered.
pub(crate) struct TransportOptions {
    connector: conn::Connector,
    /// The `Host` header: `host:port` as the URL spells it.
    authority: String,
    /// Headers added to the polling requests and to the WebSocket's handshake.
    extra_headers: Vec<(String, String)>,
    per_message_deflate: Option<transports::DeflateOffer>,
}

impl TransportOptions {
    /// The options for `server`, with `tls` (or the default roots) when it is secure.
    pub(crate) fn new(
        server: &ServerUrl,
        extra_headers: &[(String, String)],
        tls: Option<Arc<rustls::ClientConfig>>,
        per_message_deflate: Option<transports::DeflateOffer>,
    ) -> Result<Self, String> {
        let host = server
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&server.host)
            .to_owned();
        let tls = if server.secure {
            let config = match tls {
                Some(config) => config,
                None => default_tls()?,
            };
            let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
            Some((tokio_rustls::TlsConnector::from(config), name))
        } else {
            None
        };
        Ok(TransportOptions {
            authority: format!("{}:{}", server.host, server.port),
            connector: conn::Connector {
                host,
                port: server.port,
                tls,
            },
            extra_headers: extra_headers.to_vec(),
            per_message_deflate,
        })
    }
}

/// TLS with the Mozilla roots (`webpki-roots`) on the `ring` provider, made once.
fn default_tls() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>> =
        std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
}
