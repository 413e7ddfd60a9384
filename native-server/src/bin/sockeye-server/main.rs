//! The `sockeye-server` binary: a Socket.IO server running the chat demo on `/` (the event
//! contract of `www/PROTOCOL.md`, in [`demo`]), serving the demo page (`--www`) and the npm client
//! package (`--client-dir`, at `/sockeye/`) and its classic-script build (`--serve-client`, at
//! `/socket.io/socket.io.js`, as the reference's `serveClient`).

mod demo;
mod files;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use files::ServeDir;
use sockeye_server::{Cors, PerMessageDeflate, ServeConfig, SocketIo};

/// jemalloc, with the `jemalloc` feature `npm start` builds with: it gives freed memory back to the
/// system (see the feature's note in Cargo.toml), where glibc's malloc keeps it resident.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str = "\
sockeye-server: a Socket.IO server with a chat demo

USAGE: sockeye-server [OPTIONS]

OPTIONS:
  --host HOST              address to bind (default 127.0.0.1)
  --port PORT              port to bind, 0 for any (default 3000)
  --www DIR                static files served at / (default www/)
  --client-dir DIR         the npm client package, served at /sockeye/ (default pkg/)
  --serve-client DIR       the classic-script client (socket.io.js, its map and socket.io.wasm),
                           served at /socket.io/ (default: classic/ in --client-dir)
  --no-serve-client        do not serve it (/socket.io/socket.io.js is then Engine.IO's: 400)
  --ping-interval MS       Engine.IO pingInterval (default 25000)
  --ping-timeout MS        Engine.IO pingTimeout (default 20000)
  --no-http-compression    never compress polling responses (by default one of 1 KB or more
                           is gzip- or deflate-encoded for a client that accepts it)
  --parser json|msgpack    how Socket.IO packets travel (socket.io's `parser`): JSON (default)
                           or MessagePack as socket.io-msgpack-parser writes them
  --cors ORIGIN            allow cross-origin requests from ORIGIN (* for any); handshakes
                           from other origins (but this server's own) are refused
  --per-message-deflate    WebSocket compression (permessage-deflate) for clients that offer
                           it, messages from 1,024 bytes up (default off, as the reference)
  --tls-cert FILE          serve https and wss with this PEM certificate chain (with --tls-key;
                           needs the `tls` feature, on by default)
  --tls-key FILE           the certificate's PEM private key (PKCS#8, PKCS#1 or SEC1)
  --shutdown-timeout MS    on SIGTERM or Ctrl-C, how long to let handlers answer pending acks
                           (at most half of it) and connections close (default 10000)
  --test-hooks             accept the tests' `test:close-transport` and `test:slow-ack` events
  --exit-with-stdin        exit when standard input closes (so a test's server dies with it)
  -h, --help               this help

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=sockeye_server=debug), or DEBUG as for the
reference (DEBUG=socket.io*, DEBUG=engine*; RUST_LOG wins when both are set).";

struct Options {
    host: String,
    port: u16,
    www: PathBuf,
    client_dir: PathBuf,
    /// `--serve-client`: `None` for the default, `Some(None)` for `--no-serve-client`.
    serve_client: Option<Option<PathBuf>>,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    http_compression: bool,
    cors: Option<String>,
    per_message_deflate: bool,
    parser: sockeye_server::Parser,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    shutdown_timeout: Duration,
    test_hooks: bool,
    exit_with_stdin: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        host: "127.0.0.1".into(),
        port: 3000,
        www: "www".into(),
        client_dir: "pkg".into(),
        serve_client: None,
        ping_interval: None,
        ping_timeout: None,
        http_compression: true,
        cors: None,
        per_message_deflate: false,
        parser: sockeye_server::Parser::Json,
        tls_cert: None,
        tls_key: None,
        shutdown_timeout: Duration::from_secs(10),
        test_hooks: false,
        exit_with_stdin: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--host" => opts.host = value("--host")?,
            "--port" => {
                let v = value("--port")?;
                opts.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
            }
            "--www" => opts.www = value("--www")?.into(),
            "--client-dir" => opts.client_dir = value("--client-dir")?.into(),
            "--serve-client" => opts.serve_client = Some(Some(value("--serve-client")?.into())),
            "--no-serve-client" => opts.serve_client = Some(None),
            "--ping-interval" => {
                opts.ping_interval = Some(number("--ping-interval", value("--ping-interval")?)?)
            }
            "--ping-timeout" => {
                opts.ping_timeout = Some(number("--ping-timeout", value("--ping-timeout")?)?)
            }
            "--no-http-compression" => opts.http_compression = false,
            "--cors" => opts.cors = Some(value("--cors")?),
            "--per-message-deflate" => opts.per_message_deflate = true,
            "--parser" => {
                let v = value("--parser")?;
                opts.parser = sockeye_server::Parser::from_name(&v)
                    .ok_or(format!("--parser: {v}: expected json or msgpack"))?;
            }
            "--tls-cert" => opts.tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => opts.tls_key = Some(value("--tls-key")?.into()),
            "--shutdown-timeout" => {
                let ms = number("--shutdown-timeout", value("--shutdown-timeout")?)?;
                opts.shutdown_timeout = Duration::from_millis(ms);
            }
            "--test-hooks" => opts.test_hooks = true,
            "--exit-with-stdin" => opts.exit_with_stdin = true,
            other => return Err(format!("unknown option: {other}")),
        }
    }
    if opts.tls_cert.is_some() != opts.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    if opts.tls_cert.is_some() && !cfg!(feature = "tls") {
        return Err("--tls-cert: this binary was built without the `tls` feature".into());
    }
    Ok(opts)
}

/// The rustls config for `--tls-cert` and `--tls-key`, offering HTTP/1.1 by ALPN.
#[cfg(feature = "tls")]
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<std::sync::Arc<sockeye_server::rustls::ServerConfig>, String> {
    use sockeye_server::rustls::pki_types::pem::PemObject;
    use sockeye_server::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use sockeye_server::rustls::{ServerConfig, crypto};

    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in it",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let mut config =
        ServerConfig::builder_with_provider(std::sync::Arc::new(crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("TLS: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(log_filter())
        .with_writer(std::io::stderr)
        .init();
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    if opts.exit_with_stdin {
        std::thread::spawn(|| {
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(std::io::Read::read(&mut stdin, &mut buf), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
    }

    let mut builder = demo::settings(SocketIo::builder()).parser(opts.parser);
    if let Some(ms) = opts.ping_interval {
        builder = builder.ping_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = opts.ping_timeout {
        builder = builder.ping_timeout(Duration::from_millis(ms));
    }
    builder = builder.http_compression(opts.http_compression);
    if let Some(origin) = &opts.cors {
        builder = builder.cors(Cors::from_origin(origin));
    }
    if opts.per_message_deflate {
        builder = builder.per_message_deflate(PerMessageDeflate::default());
    }

    if !opts.www.is_dir() {
        tracing::warn!(
            "static folder {} not found: serving the Socket.IO API only",
            opts.www.display()
        );
    }
    if !opts.client_dir.is_dir() {
        tracing::info!(
            "client package folder {} not found: /sockeye/ is not served",
            opts.client_dir.display()
        );
    }
    let serve_client = match opts.serve_client {
        Some(dir) => dir,
        None => Some(opts.client_dir.join("classic")),
    };
    if let Some(dir) = serve_client {
        // Said once, here: each request for a missing file is a 404 without a word.
        if !dir.join("socket.io.js").is_file() {
            tracing::warn!(
                "{} not found (bash scripts/build-client.sh builds it): /socket.io/socket.io.js answers 404",
                dir.join("socket.io.js").display()
            );
        }
        builder = builder.serve_client(dir);
    }
    let files = ServeDir::new(&opts.client_dir)
        .at("/sockeye/")
        .fallback(ServeDir::new(&opts.www));
    let (layer, io) = builder.build_layer();
    let svc = tower_layer::Layer::layer(&layer, files);
    demo::install(&io, opts.test_hooks);

    #[cfg(feature = "tls")]
    let tls = match (&opts.tls_cert, &opts.tls_key) {
        (Some(cert), Some(key)) => match tls_config(cert, key) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };

    let addr = format!("{}:{}", opts.host, opts.port);
    let listener = match sockeye_server::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(a) => {
            let scheme = if opts.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            tracing::info!("listening on {scheme}://{a}");
            println!("listening on {scheme}://{a}");
        }
        Err(e) => tracing::warn!("no local address: {e}"),
    }
    #[allow(unused_mut, reason = "set only with the tls feature")]
    let mut config = ServeConfig::default();
    #[cfg(feature = "tls")]
    {
        config.tls = tls;
    }
    // On the signal the listener closes first (new connections are refused, so clients reconnect
    // to another node), the acknowledgements owed are answered, then every socket is disconnected
    // with `server shutting down` and its connection closed once what is queued for it has been
    // sent, within the deadline.
    if let Err(e) = sockeye_server::serve_with(listener, svc, stop_signal(), config).await {
        eprintln!("server error: {e}");
        return ExitCode::FAILURE;
    }
    tracing::info!("shutting down");
    // Half the deadline for the handlers to answer what their clients wait for, the rest for
    // the connections to close.
    if tokio::time::timeout(
        opts.shutdown_timeout,
        io.close_gracefully(opts.shutdown_timeout / 2),
    )
    .await
    .is_err()
    {
        tracing::warn!(
            "connections still open after the {} ms shutdown timeout: exiting anyway",
            opts.shutdown_timeout.as_millis()
        );
    }
    ExitCode::SUCCESS
}

/// The log's filter: RUST_LOG when set, else DEBUG's namespaces as the reference's users write
/// them (`DEBUG=socket.io*`), over `info`.
fn log_filter() -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    if std::env::var_os("RUST_LOG").is_some() {
        return EnvFilter::try_from_default_env().unwrap_or_else(|e| {
            eprintln!("RUST_LOG: {e}");
            EnvFilter::new("info")
        });
    }
    let debug = std::env::var("DEBUG").ok();
    match debug.as_deref().and_then(sockeye_server::debug::directives) {
        Some(directives) => EnvFilter::new(format!("info,{directives}")),
        None => EnvFilter::new("info"),
    }
}

/// Resolves on Ctrl-C, or on SIGTERM (what service managers and test harnesses send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => tracing::warn!("no SIGTERM handler: {e}"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
