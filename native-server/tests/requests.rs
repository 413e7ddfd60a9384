//! What the endpoint knows of a request and whom it lets in: the peer's address under
//! `axum::serve` (axum's `ConnectInfo`), `handshake.secure`, the WebSocket Origin check
//! (`websocket_origins`), and that a malformed `sid` never opens a session (socketioxide #815).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

mod common;

use std::net::SocketAddr;

use common::{Polling, Sio, Ws, channel, next};
use sockeye_server::{CorsOrigin, SecureConnection, SocketIo, SocketRef};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Connects `/` and reports each socket's `(address, secure)`.
fn report(io: &SocketIo) -> tokio::sync::mpsc::UnboundedReceiver<(Option<SocketAddr>, bool)> {
    let (tx, rx) = channel();
    io.ns("/", move |socket: SocketRef| {
        let handshake = socket.handshake();
        let _ = tx.send((handshake.address, handshake.secure));
        async move {}
    });
    rx
}

#[tokio::test]
async fn under_axum_serve_the_address_is_axum_s_connect_info() {
    let (layer, io) = SocketIo::builder()
        .handshake_rate_per_ip(1, 2)
        .build_layer();
    let mut rx = report(&io);
    let app = axum::Router::new()
        .route("/hello", axum::routing::get(|| async { "hello" }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, make).await });
    let c = Sio::connect(addr, "").await;
    let (address, secure) = next(&mut rx).await;
    assert_eq!(address.map(|a| a.ip()), Some([127, 0, 0, 1].into()));
    assert!(!secure);
    drop(c);
    // So the per-address handshake rate applies: two at once, then refused.
    Polling::open(addr).await;
    let res = common::get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(res.status, 429);
}

#[tokio::test]
async fn handshake_secure_follows_the_connection() {
    let (svc, io) = SocketIo::builder().build_svc();
    let mut rx = report(&io);
    // What a server terminating TLS in front of the endpoint inserts.
    let svc = MarkSecure(svc);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve(listener, svc, std::future::pending()));
    let _c = Sio::connect(addr, "").await;
    let (address, secure) = next(&mut rx).await;
    assert!(secure);
    assert!(address.is_some(), "serve inserts the address");
}

/// Marks every request as come over TLS, as a server that terminates TLS would.
#[derive(Clone)]
struct MarkSecure<S>(S);

impl<S, B> tower_service::Service<http::Request<B>> for MarkSecure<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> S::Future {
        req.extensions_mut().insert(SecureConnection);
        self.0.call(req)
    }
}

/// A WebSocket to `query` with `origin` (none when empty): its handshake's status.
async fn ws_status(addr: SocketAddr, query: &str, origin: &str) -> u16 {
    let mut req = format!("ws://{addr}/socket.io/?{query}")
        .into_client_request()
        .unwrap();
    if !origin.is_empty() {
        req.headers_mut().insert("origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res.body().as_deref().map(String::from_utf8_lossy);
            assert_eq!(body.as_deref(), Some("Forbidden"));
            res.status().as_u16()
        }
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn websocket_origins_refuses_other_sites_websockets() {
    let (addr, io) = common::start(
        common::fast().websocket_origins(CorsOrigin::List(vec!["https://app.example".into()])),
    )
    .await;
    io.ns("/", |_s: SocketRef| async move {});
    let ws = "EIO=4&transport=websocket";
    assert_eq!(ws_status(addr, ws, "https://evil.example").await, 400);
    assert_eq!(ws_status(addr, ws, "null").await, 400);
    assert_eq!(ws_status(addr, ws, "https://app.example").await, 101);
    assert_eq!(
        ws_status(addr, ws, &format!("http://{addr}")).await,
        101,
        "its own"
    );
    assert_eq!(ws_status(addr, ws, "").await, 101, "not a browser");
    // Polling is CORS's to guard; the upgrade of a polling session is a WebSocket.
    let s = Polling::open(addr).await;
    let upgrade = format!("EIO=4&transport=websocket&sid={}", s.sid);
    assert_eq!(ws_status(addr, &upgrade, "https://evil.example").await, 400);
    assert_eq!(ws_status(addr, &upgrade, "https://app.example").await, 101);
}

#[tokio::test]
async fn without_websocket_origins_any_site_may_open_a_websocket() {
    let (addr, _io) = common::start(common::fast()).await;
    let ws = "EIO=4&transport=websocket";
    assert_eq!(ws_status(addr, ws, "https://evil.example").await, 101);
}

#[tokio::test]
async fn a_malformed_sid_never_opens_a_session() {
    let (addr, io) = common::start(common::fast()).await;
    io.ns("/", |_s: SocketRef| async move {});
    let long = "a".repeat(4096);
    for sid in ["", "%00", "..%2F..", "not-a-sid", "%FF%FE", long.as_str()] {
        for method in ["GET", "POST"] {
            let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
            let res = common::send(addr, method, &path, &[], b"40")
                .await
                .response()
                .await;
            assert_eq!(res.status, 400, "{method} sid={sid}: {res:?}");
            assert_eq!(
                res.body, r#"{"code":1,"message":"Session ID unknown"}"#,
                "{method} sid={sid}"
            );
        }
        let query = format!("EIO=4&transport=websocket&sid={sid}");
        match Ws::try_connect(addr, &query).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status(), 400, "websocket sid={sid}")
            }
            other => panic!("sid={sid}: {:?}", other.map(|_| ())),
        }
        assert_eq!(io.engine().clients_count(), 0, "sid={sid}");
    }
}

/// Over `serve_with`'s TLS, `secure` is true: a real TLS connection, with a self-signed
/// certificate for 127.0.0.1 (tests/fixtures, valid until 2126).
#[cfg(feature = "tls")]
#[tokio::test]
async fn over_serve_with_s_tls_the_request_is_secure() {
    use std::sync::Arc;

    use sockeye_server::rustls::pki_types::pem::PemObject;
    use sockeye_server::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use sockeye_server::rustls::{ClientConfig, RootCertStore, ServerConfig, crypto};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cert = CertificateDer::from_pem_file(dir.join("test-cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("test-key.pem")).unwrap();
    let provider = Arc::new(crypto::ring::default_provider());
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();

    let (svc, engine) = sockeye_server::EngineIo::builder().build_svc();
    let (tx, mut rx) = channel();
    engine.on_connection(move |socket| {
        let _ = tx.send(socket.request().secure);
        async move {}
    });
    let mut config = sockeye_server::ServeConfig::default();
    config.tls = Some(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sockeye_server::serve_with(
        listener,
        svc,
        std::future::pending(),
        config,
    ));

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(addr.ip().into());
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(name, tcp)
        .await
        .unwrap();
    let req = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw).await;
    let answer = String::from_utf8_lossy(&raw);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(next(&mut rx).await, "handshake.secure over TLS");
}
