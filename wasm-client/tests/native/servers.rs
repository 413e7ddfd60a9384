//! The servers the native client's tests run against, with the browser client's fixture handlers
//! (`native-server/examples/common/peer.rs`, `tests/support/server.mjs`): sockeye-server in this
//! process, and the official `socket.io` server (`server.mjs`) in a Node.js process that exits with
//! the test. Each serves two ports, the second with connection state recovery, over plain HTTP or
//! TLS with a certificate made for the test ([`TestCa`]).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use sockeye_client::rustls;
use sockeye_server::{
    ConnectionStateRecovery, Cors, DisconnectReason, Parser, PerMessageDeflate, ServeConfig,
    SocketIo, SocketRef,
};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Each test twice: in a module `sockeye_server` against the servers `$sockeye().await` makes, and
/// in `node_reference` against `$node().await`'s, each test binding them to `$s` and awaiting
/// `$body`.
#[allow(
    unused_macros,
    reason = "the test files with other servers do not use it"
)]
macro_rules! against_both {
    ($sockeye:path, $node:path; $($name:ident: |$s:ident| $body:expr;)*) => {
        mod sockeye_server {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $s = $sockeye().await;
                    $body.await;
                }
            )*
        }
        mod node_reference {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $s = $node().await;
                    $body.await;
                }
            )*
        }
    };
}

#[allow(dead_code, reason = "the fixture's helpers other examples use")]
#[path = "../../../native-server/examples/common/peer.rs"]
mod peer;

/// A server's two URLs, and what keeps it running.
pub(crate) struct Servers {
    pub(crate) url: String,
    pub(crate) recovery_url: String,
    /// In process: the reason of every disconnection from namespace `/watch`, as the server saw it.
    pub(crate) watch: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
    _running: Running,
}

enum Running {
    InProcess(
        #[allow(dead_code, reason = "kept alive")] Vec<SocketIo>,
        Vec<tokio::task::JoinHandle<()>>,
    ),
    Node(#[allow(dead_code, reason = "killed on drop")] tokio::process::Child),
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Running::InProcess(_, tasks) = &self._running {
            for task in tasks {
                task.abort();
            }
        }
    }
}

/// A certificate authority made for the test, and a certificate for 127.0.0.1 it signed (with
/// openssl, as tests/interop/tls.test.mjs makes its certificate; webpki refuses a self-signed CA
/// certificate as a server's own, so the two are distinct).
pub(crate) struct TestCa {
    dir: PathBuf,
    ca: PathBuf,
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
}

impl TestCa {
    pub(crate) fn new() -> TestCa {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("sockeye-native-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let run = |args: &[&str]| {
            let status = std::process::Command::new("openssl")
                .args(args)
                .stderr(Stdio::null())
                .status()
                .expect("openssl");
            assert!(status.success(), "openssl {args:?} failed");
        };
        run(&[
            &["req", "-x509"][..],
            &ec,
            &["-days", "1", "-subj", "/CN=sockeye test CA"],
        ]
        .concat()
        .into_iter()
        .chain(["-keyout", &path("ca.key"), "-out", &path("ca.pem")])
        .collect::<Vec<_>>());
        run(&[&["req"][..], &ec, &["-subj", "/CN=127.0.0.1"]]
            .concat()
            .into_iter()
            .chain(["-keyout", &path("key.pem"), "-out", &path("leaf.csr")])
            .collect::<Vec<_>>());
        run(&[
            "x509",
            "-req",
            "-days",
            "1",
            "-in",
            &path("leaf.csr"),
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-extfile",
            &path("leaf.ext"),
            "-out",
            &path("cert.pem"),
        ]);
        TestCa {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            dir,
        }
    }

    fn certs(path: &std::path::Path) -> Vec<rustls::pki_types::CertificateDer<'static>> {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::pem_file_iter(path)
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The client's TLS: this certificate as its only root.
    pub(crate) fn client(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in Self::certs(&self.ca) {
            roots.add(cert).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    fn server(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&self.key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(Self::certs(&self.cert), key)
            .unwrap();
        Arc::new(config)
    }
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// sockeye-server in this process, on the test's runtime.
pub(crate) async fn sockeye(tls: Option<&TestCa>) -> Servers {
    sockeye_with_parser(tls, Parser::Json).await
}

/// sockeye-server in this process, with this parser.
pub(crate) async fn sockeye_with_parser(tls: Option<&TestCa>, parser: Parser) -> Servers {
    sockeye_with(tls, parser, false).await
}

/// sockeye-server in this process, with this parser, and `per_message_deflate` (its defaults)
/// when `deflate`.
pub(crate) async fn sockeye_with(tls: Option<&TestCa>, parser: Parser, deflate: bool) -> Servers {
    let mut urls = Vec::new();
    let mut ios = Vec::new();
    let mut tasks = Vec::new();
    let (watch, watched) = tokio::sync::mpsc::unbounded_channel();
    for recovery in [false, true] {
        let mut builder = SocketIo::builder()
            .cors(Cors::any())
            .ping_interval(Duration::from_millis(2000))
            .ping_timeout(Duration::from_millis(2000))
            .parser(parser);
        if recovery {
            builder = builder.connection_state_recovery(ConnectionStateRecovery::default());
        }
        if deflate {
            builder = builder.per_message_deflate(PerMessageDeflate::default());
        }
        let (svc, io) = builder.build_svc();
        peer::configure(&io, &Arc::new(peer::State::default()));
        let watch = watch.clone();
        io.ns("/watch", move |socket: SocketRef| {
            let watch = watch.clone();
            socket.on_disconnect(move |reason: DisconnectReason| {
                let _ = watch.send(format!("{reason:?}"));
            });
        });
        let listener = sockeye_server::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        urls.push(format!("{scheme}://127.0.0.1:{port}/"));
        let mut config = ServeConfig::default();
        config.tls = tls.map(TestCa::server);
        tasks.push(tokio::spawn(async move {
            let _ = sockeye_server::serve_with(listener, svc, std::future::pending(), config).await;
        }));
        ios.push(io);
    }
    let recovery_url = urls.pop().unwrap();
    Servers {
        url: urls.pop().unwrap(),
        recovery_url,
        watch: Some(watched),
        _running: Running::InProcess(ios, tasks),
    }
}

/// The official `socket.io` server, in a Node.js process that exits when this test does (its
/// standard input closes; it is also killed when dropped).
pub(crate) async fn node(tls: Option<&TestCa>) -> Servers {
    node_with_parser(tls, Parser::Json).await
}

/// The official `socket.io` server with this parser (MessagePack: `socket.io-msgpack-parser`).
pub(crate) async fn node_with_parser(tls: Option<&TestCa>, parser: Parser) -> Servers {
    node_with(tls, parser, false).await
}

/// The official `socket.io` server with this parser, and `perMessageDeflate: true` when
/// `deflate`.
pub(crate) async fn node_with(tls: Option<&TestCa>, parser: Parser, deflate: bool) -> Servers {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/server.mjs");
    let mut command = tokio::process::Command::new("node");
    command.arg(script).arg("--parser").arg(parser.name());
    if deflate {
        command.arg("--per-message-deflate");
    }
    if let Some(ca) = tls {
        command.arg("--tls").arg(&ca.cert).arg(&ca.key);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut port, mut recovery) = (None, None);
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(p) = line.strip_prefix("PORT ") {
                port = Some(p.to_owned());
            } else if let Some(p) = line.strip_prefix("RECOVERY_PORT ") {
                recovery = Some(p.to_owned());
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the reference server's ports");
    let scheme = if tls.is_some() { "https" } else { "http" };
    Servers {
        url: format!("{scheme}://127.0.0.1:{}/", port.unwrap()),
        recovery_url: format!("{scheme}://127.0.0.1:{}/", recovery.unwrap()),
        watch: None,
        _running: Running::Node(child),
    }
}
