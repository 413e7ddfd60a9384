//! The server of the at-least-once soak (`scripts/bench-soak.sh`, driven by `sockeye-soak`):
//! one node, alone or one of a cluster sharing rooms and recovery through the Redis Streams
//! adapter, with connection state recovery on (its default options).
//!
//! ```text
//! cargo run -p sockeye-server --example soak -- --port P [--redis URL [--max-len N]] [--emitter]
//!     [--clients N] [--emit-interval-ms MS] [--close-interval-ms MS] [--ping-interval-ms MS]
//!     [--ping-timeout-ms MS] [--seed S] [--exit-with-stdin]
//! ```
//!
//! `--max-len` is the Redis stream's `maxLen` (10,000 by default): recovery needs the client's
//! offset to be still in the stream, so it bounds how long a disconnection can be recovered from
//! at a given broadcast rate. Prints `listening on http://ADDR` on stdout once bound. Each client connects to `/` with the
//! query `client=ID` and is put in the room `c:ID`.
//!
//! - Client to server: `c2s(client, seq, ack)` records `(client, seq)` (every delivery, so that
//!   duplicates are counted) and acks `seq`.
//! - Server to client (`--emitter`, one node of a cluster): every `--emit-interval-ms`, each
//!   client's room gets `s2c(seq)` with the client's next seq, a broadcast (so it is stored for
//!   recovery and, with Redis, reaches the client on whichever node it is).
//! - Faults: every `--close-interval-ms` (0: never) a random local socket's transport is closed
//!   (`socket.conn.close()`), which the client sees as a lost connection and recovers from.
//! - `GET /soak/quiet`: stops the faults and the emitter, answers the emitter's last seq of each
//!   client (`{"s2c": [..]}`, index = client).
//! - `GET /soak/record`: what this node received and did (JSON, see [`Record`]).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::header;
use serde_json::json;
use sockeye_redis::StreamsAdapterConfig;
use sockeye_server::{
    AckSender, ConnectionStateRecovery, Data, DisconnectReason, SocketIo, SocketRef,
};

struct Options {
    port: u16,
    redis: Option<String>,
    max_len: Option<u64>,
    emitter: bool,
    clients: u32,
    emit_interval: Duration,
    close_interval: Duration,
    ping_interval: Option<Duration>,
    ping_timeout: Option<Duration>,
    seed: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        port: 0,
        redis: None,
        max_len: None,
        emitter: false,
        clients: 0,
        emit_interval: Duration::from_millis(1000),
        close_interval: Duration::ZERO,
        ping_interval: None,
        ping_timeout: None,
        seed: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let mut number = |name: &str| -> Result<u64, String> {
            let v = value(name)?;
            v.parse().map_err(|_| format!("{name}: not a number: {v}"))
        };
        match arg.as_str() {
            "--port" => {
                opts.port = u16::try_from(number("--port")?).map_err(|_| "--port: too large")?;
            }
            "--redis" => opts.redis = Some(value("--redis")?),
            "--max-len" => opts.max_len = Some(number("--max-len")?),
            "--emitter" => opts.emitter = true,
            "--clients" => {
                opts.clients =
                    u32::try_from(number("--clients")?).map_err(|_| "--clients: too large")?;
            }
            "--emit-interval-ms" => {
                opts.emit_interval = Duration::from_millis(number("--emit-interval-ms")?.max(1));
            }
            "--close-interval-ms" => {
                opts.close_interval = Duration::from_millis(number("--close-interval-ms")?);
            }
            "--ping-interval-ms" => {
                opts.ping_interval = Some(Duration::from_millis(number("--ping-interval-ms")?));
            }
            "--ping-timeout-ms" => {
                opts.ping_timeout = Some(Duration::from_millis(number("--ping-timeout-ms")?));
            }
            "--seed" => opts.seed = number("--seed")?,
            "--exit-with-stdin" => common::exit_with_stdin(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(opts)
}

/// What one client's `c2s` deliveries were on this node.
#[derive(Default)]
struct Received {
    /// Every delivery, duplicates included.
    raw: u64,
    /// The distinct seqs.
    seqs: BTreeSet<u64>,
}

/// What this node saw, served by `GET /soak/record`.
#[derive(Default)]
struct Record {
    c2s: Mutex<HashMap<u64, Received>>,
    /// The emitter's last seq per client (0: none sent yet).
    s2c: Mutex<Vec<u64>>,
    /// Socket.IO connections, and how many of them were recovered.
    connections: AtomicU64,
    recovered: AtomicU64,
    /// Transports this node closed on purpose.
    closes: AtomicU64,
    /// Faults and emits stop (`GET /soak/quiet`).
    quiet: AtomicBool,
}

impl Record {
    fn to_json(&self) -> String {
        let c2s = self.c2s.lock().unwrap_or_else(|e| e.into_inner());
        let mut clients = serde_json::Map::new();
        for (client, received) in c2s.iter() {
            clients.insert(
                client.to_string(),
                json!({ "raw": received.raw, "ranges": ranges(&received.seqs) }),
            );
        }
        drop(c2s);
        let s2c = self.s2c.lock().unwrap_or_else(|e| e.into_inner()).clone();
        json!({
            "c2s": clients,
            "s2c": s2c,
            "connections": self.connections.load(Ordering::Relaxed),
            "recovered": self.recovered.load(Ordering::Relaxed),
            "closes": self.closes.load(Ordering::Relaxed),
        })
        .to_string()
    }
}

/// `seqs` as inclusive `[first, last]` runs: one run per client when nothing is missing.
fn ranges(seqs: &BTreeSet<u64>) -> Vec<[u64; 2]> {
    let mut out: Vec<[u64; 2]> = Vec::new();
    for &s in seqs {
        match out.last_mut() {
            Some(run) if run[1] + 1 == s => run[1] = s,
            _ => out.push([s, s]),
        }
    }
    out
}

/// A xorshift64* generator: the fault schedule needs spread, not secrecy.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        usize::try_from(x % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }
}

fn client_id(socket: &SocketRef) -> Option<u64> {
    socket
        .handshake()
        .query
        .iter()
        .find(|(k, _)| k == "client")
        .and_then(|(_, v)| v.parse().ok())
}

fn handlers(record: &Arc<Record>, socket: &SocketRef) {
    record.connections.fetch_add(1, Ordering::Relaxed);
    if socket.recovered() {
        record.recovered.fetch_add(1, Ordering::Relaxed);
    }
    let id = client_id(socket);
    // With RUST_LOG=soak=info, the story a loss is explained from.
    tracing::info!(
        "client {id:?} connected: sid {}, recovered {}",
        socket.id(),
        socket.recovered()
    );
    let client = id;
    socket.on_disconnect(move |s: SocketRef, reason: DisconnectReason| {
        tracing::info!("client {client:?} sid {} disconnected: {reason:?}", s.id());
    });
    // A recovered socket has its rooms back; a new one joins its client's room.
    if let Some(id) = id
        && let Err(e) = socket.join(format!("c:{id}"))
    {
        tracing::warn!("client {id} cannot join its room: {e}");
    }
    let record = Arc::clone(record);
    socket.on(
        "c2s",
        move |Data((client, seq)): Data<(u64, u64)>, ack: AckSender| {
            {
                let mut c2s = record.c2s.lock().unwrap_or_else(|e| e.into_inner());
                let received = c2s.entry(client).or_default();
                received.raw += 1;
                received.seqs.insert(seq);
            }
            let _ = ack.send(&seq);
        },
    );
}

/// Emits `s2c(seq)` to every client's room, one round per `interval`, until quiet.
async fn emit_loop(io: SocketIo, record: Arc<Record>, clients: u32, interval: Duration) {
    *record.s2c.lock().unwrap_or_else(|e| e.into_inner()) = vec![0; clients as usize];
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if record.quiet.load(Ordering::Relaxed) {
            return;
        }
        let mut s2c = record.s2c.lock().unwrap_or_else(|e| e.into_inner());
        for (client, seq) in s2c.iter_mut().enumerate() {
            *seq += 1;
            if let Err(e) = io.to(format!("c:{client}")).emit("s2c", &*seq) {
                tracing::warn!("s2c emit failed: {e}");
            }
        }
    }
}

/// Closes a random local socket's transport every `interval`, until quiet.
async fn close_loop(io: SocketIo, record: Arc<Record>, interval: Duration, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut tick = tokio::time::interval(interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        if record.quiet.load(Ordering::Relaxed) {
            return;
        }
        let sockets = io.sockets().sockets();
        if let Some(socket) = sockets.get(rng.below(sockets.len())) {
            socket.conn().close();
            record.closes.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let opts = match common::start("soak", parse_args) {
        Ok(o) => o,
        Err(code) => return code,
    };

    let mut builder =
        SocketIo::builder().connection_state_recovery(ConnectionStateRecovery::default());
    if let Some(interval) = opts.ping_interval {
        builder = builder.ping_interval(interval);
    }
    if let Some(timeout) = opts.ping_timeout {
        builder = builder.ping_timeout(timeout);
    }
    if let Some(url) = &opts.redis {
        match StreamsAdapterConfig::new(url) {
            Ok(c) => {
                let c = match opts.max_len {
                    Some(n) => c.max_len(n),
                    None => c,
                };
                builder = builder.adapter(c.factory());
            }
            Err(e) => {
                eprintln!("soak: {e}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let (layer, io) = builder.build_layer();
    let record = Arc::new(Record::default());

    let on_connect = Arc::clone(&record);
    io.ns("/", move |socket: SocketRef| {
        let record = Arc::clone(&on_connect);
        async move { handlers(&record, &socket) }
    });
    if opts.emitter {
        tokio::spawn(emit_loop(
            io.clone(),
            Arc::clone(&record),
            opts.clients,
            opts.emit_interval,
        ));
    }
    if !opts.close_interval.is_zero() {
        tokio::spawn(close_loop(
            io.clone(),
            Arc::clone(&record),
            opts.close_interval,
            opts.seed,
        ));
    }

    let quiet = Arc::clone(&record);
    let serve_record = Arc::clone(&record);
    let app = axum::Router::new()
        .route(
            "/soak/quiet",
            axum::routing::get(move || {
                let record = Arc::clone(&quiet);
                async move {
                    record.quiet.store(true, Ordering::Relaxed);
                    // Taking the lock waits for a round of emits in progress to finish.
                    let s2c = record.s2c.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        json!({ "s2c": s2c }).to_string(),
                    )
                }
            }),
        )
        .route(
            "/soak/record",
            axum::routing::get(move || {
                let record = Arc::clone(&serve_record);
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        record.to_json(),
                    )
                }
            }),
        )
        .layer(layer);
    common::serve("soak", opts.port, app).await
}
