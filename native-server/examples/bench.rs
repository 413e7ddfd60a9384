//! The server `scripts/bench-load-compare.sh` measures against the Node.js reference and
//! socketioxide (`bench/peers/`), all three with the same handlers on `/` and the reference's
//! default options:
//!
//! - `echo-ack(...args)`: acknowledges with its arguments;
//! - `join(room)`: joins the room, acknowledges with nothing;
//! - `to-room(room, event, ...args)`: emits `event` with `args` to the room's other sockets,
//!   acknowledges with `true`.
//!
//! ```text
//! cargo run --release -p sockeye-server --example bench -- [--port 0] [--exit-with-stdin]
//!     [--recovery] [--hostile] [--no-http-compression] [--per-message-deflate]
//!     [--parser msgpack]
//! ```
//!
//! Prints `listening on http://ADDR` on stdout once bound; `--exit-with-stdin` exits when standard
//! input closes. Two options for `scripts/bench-abuse.sh`, off by default (the other benchmarks
//! run it without them):
//!
//! - `--recovery`: connection state recovery on, with its default bounds;
//! - `--parser msgpack`: the MessagePack parser (socket.io-msgpack-parser's wire) instead of JSON;
//! - `--hostile`: what the hostile inputs of `bench-abuse` aim at, each guarded by the same
//!   token ([`TOKEN`]): the namespace `/auth` behind an auth middleware, dynamic namespaces
//!   `/dyn-<n>` behind the same middleware (with `cleanup_empty_child_namespaces`), and on `/` an
//!   event `n(number)` whose handler takes an `f64`, so that `n(1e400)` is an event no handler
//!   can read.
//!
//! `SOCKEYE_BENCH_ACK_LOG` set in the environment, it says on stderr as each socket leaves how
//! many `echo-ack`s it answered (see `log_acks`).
//!
//! And two for `scripts/bench-compression.sh`: `--no-http-compression` turns off the HTTP
//! compression of polling responses (on by default, as in the reference), and
//! `--per-message-deflate` turns WebSocket compression on (threshold 1,024 bytes), for the
//! bytes-on-the-wire and CPU figures with and without it.

use std::io::Read;

use serde::Deserialize;
use sockeye_server::{
    AckSender, Args, ConnectError, ConnectionStateRecovery, Data, PerMessageDeflate, SocketIo,
    SocketRef,
};

/// The token `--hostile`'s auth middleware admits (`{"token": TOKEN}`); everything else is
/// refused with CONNECT_ERROR `unauthorized`.
const TOKEN: &str = "sockeye-bench-token";

/// The CONNECT's auth object, as the middleware reads it.
#[derive(Deserialize)]
struct Auth {
    token: Option<String>,
}

/// `--hostile`'s auth middleware.
fn authorize(socket: &SocketRef) -> Result<(), ConnectError> {
    match socket.handshake().auth::<Auth>() {
        Ok(Auth { token: Some(t) }) if t == TOKEN => Ok(()),
        _ => Err(ConnectError::new("unauthorized")),
    }
}

/// `SOCKEYE_BENCH_ACK_LOG` set: `echo-ack` as usual, counted per socket, and on stderr, as each
/// socket leaves, how many it answered and the highest `n` (the load generator's sequence number,
/// its ack id too in G1): set against the generator's report of a lost ack, it tells which side
/// dropped it.
fn log_acks(socket: &SocketRef) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    // The count, and the highest `n` plus one (0: none yet).
    let answered = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let counted = Arc::clone(&answered);
    socket.on("echo-ack", move |args: Args, ack: AckSender| {
        let n = echo_n(args.text());
        if ack.send(&args).is_ok() {
            counted.0.fetch_add(1, Ordering::Relaxed);
            if let Some(n) = n {
                counted.1.fetch_max(n.saturating_add(1), Ordering::Relaxed);
            }
        }
    });
    socket.on_disconnect(move |socket: SocketRef| {
        let count = answered.0.load(Ordering::Relaxed);
        let last = match answered.1.load(Ordering::Relaxed) {
            0 => "-".to_owned(),
            n => (n - 1).to_string(),
        };
        eprintln!(
            "bench: socket {} answered {count} echo-ack, the last n={last}",
            socket.id()
        );
    });
}

/// The `n` of the load generator's `echo-ack` arguments (`[{"n":7,...}]`).
fn echo_n(args: &str) -> Option<u64> {
    let rest = args.strip_prefix(r#"[{"n":"#)?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest.get(..end)?.parse().ok()
}

/// jemalloc with the `jemalloc` feature, as the binary `npm start` runs has it (the benchmark
/// script builds it so).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut port = 3000_u16;
    let mut exit_with_stdin = false;
    let mut recovery = false;
    let mut hostile = false;
    let mut http_compression = true;
    let mut per_message_deflate = false;
    let mut parser = sockeye_server::Parser::Json;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("bench: --port needs a number");
                    return std::process::ExitCode::from(2);
                }
            },
            "--exit-with-stdin" => exit_with_stdin = true,
            "--recovery" => recovery = true,
            "--hostile" => hostile = true,
            "--no-http-compression" => http_compression = false,
            "--per-message-deflate" => per_message_deflate = true,
            "--parser" => match args
                .next()
                .and_then(|p| sockeye_server::Parser::from_name(&p))
            {
                Some(p) => parser = p,
                None => {
                    eprintln!("bench: --parser needs json or msgpack");
                    return std::process::ExitCode::from(2);
                }
            },
            other => {
                eprintln!("bench: unknown option: {other}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    if exit_with_stdin {
        std::thread::spawn(|| {
            let mut buf = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
    }

    let mut builder = SocketIo::builder()
        .http_compression(http_compression)
        .parser(parser);
    if recovery {
        builder = builder.connection_state_recovery(ConnectionStateRecovery::default());
    }
    if hostile {
        builder = builder.cleanup_empty_child_namespaces(true);
    }
    if per_message_deflate {
        builder = builder.per_message_deflate(PerMessageDeflate::default());
    }
    let (svc, io) = builder.build_svc();
    let ack_log = std::env::var_os("SOCKEYE_BENCH_ACK_LOG").is_some();
    io.ns("/", move |socket: SocketRef| {
        if ack_log {
            log_acks(&socket);
        } else {
            // The arguments go back as they came: no tree is built (see `Args`).
            socket.on("echo-ack", |args: Args, ack: AckSender| {
                let _ = ack.send(&args);
            });
        }
        socket.on(
            "join",
            |socket: SocketRef, Data(room): Data<String>, ack: AckSender| {
                let _ = socket.join(room);
                let _ = ack.send(&());
            },
        );
        socket.on(
            "to-room",
            |socket: SocketRef,
             Data((room, event)): Data<(String, String)>,
             args: Args,
             ack: AckSender| {
                // `to-room(room, event, ...rest)`: the rest goes on as it came.
                let sent = socket.to(room).emit(&event, &args.tail(2));
                let _ = ack.send(&sent.is_ok());
            },
        );
        if hostile {
            // `n(1e400)` does not read as an f64: the handler is never called.
            socket.on("n", |Data(n): Data<f64>, ack: AckSender| {
                let _ = ack.send(&n);
            });
        }
    });
    if hostile {
        let echo = |socket: SocketRef| {
            socket.on("echo-ack", |args: Args, ack: AckSender| {
                let _ = ack.send(&args);
            });
        };
        let auth = io.of("/auth");
        auth.use_middleware(|socket: SocketRef| async move { authorize(&socket) });
        auth.on_connection(echo);
        #[allow(clippy::expect_used, reason = "a constant pattern")]
        let dynamic = io.dynamic_ns(regex::Regex::new(r"^/dyn-\d+$").expect("a valid regex"));
        dynamic.use_middleware(|socket: SocketRef| async move { authorize(&socket) });
        dynamic.on_connection(echo);
    }

    let listener = match sockeye_server::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench: cannot bind 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("bench: no local address: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    if let Err(e) = sockeye_server::serve(listener, svc, std::future::pending()).await {
        eprintln!("bench: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
