//! The sockeye-server twin of `wasm-client/tests/support/server.mjs` (the official `socket.io`
//! server the browser client's tests run against): the same handlers, options and output, so that
//! `scripts/test-wasm.sh` runs the same wasm-bindgen tests against both, and
//! `scripts/bench-browser.sh` has an echo server.
//!
//! ```text
//! cargo run -p sockeye-server --example wasm-peer -- [--exit-with-stdin]
//! ```
//!
//! Binds 127.0.0.1 on two free ports, the second with connection state recovery, and prints
//! `PORT <n>` and `RECOVERY_PORT <m>`. Both allow any origin with credentials (the tests' page is
//! served from another port), ping every 2 s with a 2 s timeout. The handlers are
//! `common/peer.rs`'s.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::peer::{self, State};
use sockeye_server::{ConnectionStateRecovery, Cors, CorsOrigin, SocketIo};

fn server(recovery: bool, state: &Arc<State>) -> (sockeye_server::EngineLayer, SocketIo) {
    let mut builder = SocketIo::builder()
        .cors(Cors::new(CorsOrigin::Predicate(Arc::new(|_| true))).credentials(true))
        .ping_interval(Duration::from_millis(2000))
        .ping_timeout(Duration::from_millis(2000));
    if recovery {
        builder = builder.connection_state_recovery(ConnectionStateRecovery::default());
    }
    let (layer, io) = builder.build_layer();
    peer::configure(&io, state);
    (layer, io)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let parse = || {
        for arg in std::env::args().skip(1) {
            match arg.as_str() {
                "--exit-with-stdin" => common::exit_with_stdin(),
                other => return Err(format!("unknown option: {other}")),
            }
        }
        Ok(())
    };
    if let Err(code) = common::start("wasm-peer", parse) {
        return code;
    }
    let state = Arc::new(State::default());
    let mut servers = Vec::new();
    let mut ios = Vec::new();
    for (label, recovery) in [("PORT", false), ("RECOVERY_PORT", true)] {
        // Kept until the end: the layer alone does not keep the server's sessions alive.
        let (layer, io) = server(recovery, &state);
        ios.push(io);
        let app = axum::Router::new().layer(layer);
        let (listener, addr) = match common::bind("wasm-peer", 0).await {
            Ok(bound) => bound,
            Err(code) => return code,
        };
        println!("{label} {}", addr.port());
        servers.push(tokio::spawn(sockeye_server::serve(
            listener,
            app,
            std::future::pending(),
        )));
    }
    for server in servers {
        if let Ok(Err(e)) = server.await {
            eprintln!("wasm-peer: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    drop(ios);
    std::process::ExitCode::SUCCESS
}
