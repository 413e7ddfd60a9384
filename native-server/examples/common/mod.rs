//! What the test servers among the examples start and answer alike: logging, `--exit-with-stdin`,
//! binding 127.0.0.1, and (in `peer`) the handlers their test suites share.
#![allow(dead_code, reason = "each example uses the part it needs")]

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::net::TcpListener;

/// Logs to standard error at `warn`, or as `RUST_LOG` says; standard output is for the
/// address lines the test runners read.
pub(crate) fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Starts an example called `name`: logging, then its options from `parse`, whose error ends
/// it with exit code 2.
pub(crate) fn start<T>(
    name: &str,
    parse: impl FnOnce() -> Result<T, String>,
) -> Result<T, ExitCode> {
    init_tracing();
    parse().map_err(|e| {
        eprintln!("{name}: {e}");
        ExitCode::from(2)
    })
}

/// The value of `--parser`: `json` (the default) or `msgpack`.
pub(crate) fn parser_arg(value: Option<String>) -> Result<sockeye_server::Parser, String> {
    let value = value.ok_or("--parser needs a value (json or msgpack)")?;
    sockeye_server::Parser::from_name(&value)
        .ok_or_else(|| format!("--parser: {value}: expected json or msgpack"))
}

/// Exits once standard input closes, so that a test runner's child cannot outlive it however
/// the runner ends.
pub(crate) fn exit_with_stdin() {
    std::thread::spawn(|| {
        let mut buf = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}

/// Binds 127.0.0.1:`port` (0: a free port); on failure says why on standard error, prefixed
/// with the example's `name`.
pub(crate) async fn bind(name: &str, port: u16) -> Result<(TcpListener, SocketAddr), ExitCode> {
    let listener = match sockeye_server::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot bind 127.0.0.1:{port}: {e}");
            return Err(ExitCode::FAILURE);
        }
    };
    match listener.local_addr() {
        Ok(addr) => Ok((listener, addr)),
        Err(e) => {
            eprintln!("{name}: no local address: {e}");
            Err(ExitCode::FAILURE)
        }
    }
}

/// Serves `app` on 127.0.0.1:`port` until the process ends, after printing
/// `listening on http://ADDR` on standard output once bound.
pub(crate) async fn serve(name: &str, port: u16, app: axum::Router) -> ExitCode {
    let (listener, addr) = match bind(name, port).await {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    println!("listening on http://{addr}");
    if let Err(e) = sockeye_server::serve(listener, app, std::future::pending()).await {
        eprintln!("{name}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The browser and native clients' test fixture (`wasm-peer`), and the handlers other examples share
/// with it.
pub(crate) mod peer;
