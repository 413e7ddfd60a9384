//! One run: ramp the clients up, warm up, measure a window, drain what is in flight, close.
//!
//! Every client runs in the one thread of a current-thread runtime (a task per client, or per
//! G5 connect slot), so the generator uses one core, which the benchmark script pins it to, and
//! its counters need no synchronisation.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use proto::client::Config;
use proto::engine::Transport;
use proto::socket::client::Auth;
use proto::socket::packet::Nsp;
use proto::url::{EngineUrl, ServerUrl};
use tokio::sync::watch;

use crate::cli::{Options, TransportChoice, Workload};
use crate::driver::{Driver, now};
use crate::proc;
use crate::stats::{Counters, Latency, SATURATED, Summary, bump};
use crate::workload::{Behaviour, Role};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The URL does not parse.
    #[error("bad url: {0}")]
    Url(String),
    /// The server's host does not resolve.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// The runtime or a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What every client task shares.
struct Ctx {
    opts: Options,
    config: Config,
    addr: SocketAddr,
    counters: Counters,
}

/// Runs the workload of `opts` and returns its summary.
pub fn run(opts: Options) -> Result<Summary, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, run_local(opts))
}

fn client_config(opts: &Options) -> Result<Config, RunError> {
    let server = ServerUrl::parse(&opts.url).map_err(|e| RunError::Url(e.to_string()))?;
    if server.secure {
        return Err(RunError::Url(
            "TLS is not supported: use http:// or ws://".into(),
        ));
    }
    let mut config = Config::new(EngineUrl {
        server,
        path: "/socket.io/".into(),
        query: Vec::new(),
    });
    let engine = &mut config.engine;
    match opts.transport {
        TransportChoice::Websocket => engine.transports = vec![Transport::WebSocket],
        TransportChoice::Polling => {
            engine.transports = vec![Transport::Polling];
            engine.upgrade = false;
        }
        TransportChoice::Upgrade => {}
    }
    // A lost connection is an error to count, not something to hide by reconnecting.
    config.manager.reconnection = false;
    Ok(config)
}

async fn run_local(opts: Options) -> Result<Summary, RunError> {
    let config = client_config(&opts)?;
    let (host, port) = (
        config.engine.url.server.host.clone(),
        config.engine.url.server.port,
    );
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addr = tokio::net::lookup_host((host.as_str(), port))
        .await
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| RunError::Resolve(format!("{host}:{port}")))?;
    let ctx = Rc::new(Ctx {
        opts: opts.clone(),
        config,
        addr,
        counters: Counters::new(),
    });
    let c = &ctx.counters;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (go_tx, go_rx) = watch::channel(false);
    let rss_before = opts.server_pid.and_then(|pid| proc::rss_kib(Some(pid)));
    let started = std::time::Instant::now();
    let phase = Rc::new(std::cell::Cell::new("ramp"));
    if !opts.quiet {
        tokio::task::spawn_local(progress(Rc::clone(&ctx), Rc::clone(&phase), started));
    }

    // Ramp: `ramp` tasks a second, started in 10 ms steps.
    let emitter = opts.workload == Workload::G3;
    let tasks = u64::from(opts.clients) + u64::from(emitter);
    let per_step = f64::from(opts.ramp.max(1)) / 100.0;
    let mut step = tokio::time::interval(Duration::from_millis(10));
    let mut due = 0.0_f64;
    let mut spawned = 0_u64;
    while spawned < tasks {
        step.tick().await;
        due += per_step;
        while spawned < tasks && (spawned as f64) < due {
            let index = spawned;
            let role = role(&opts, index);
            let ctx = Rc::clone(&ctx);
            let rx = shutdown_rx.clone();
            bump(&c.live);
            if opts.workload == Workload::G5 {
                tokio::task::spawn_local(cycle_task(ctx, index, rx));
            } else {
                tokio::task::spawn_local(client_task(ctx, index, role, go_rx.clone(), rx));
            }
            spawned += 1;
        }
    }

    // Every client connected (and joined), or failed, or too long.
    if opts.workload != Workload::G5 {
        let limit = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let settled = c.ever_connected.get() + c.connect_errors.get();
            let joined = c.joined.get() + c.connect_errors.get() + c.ack_errors.get();
            let done = settled >= tasks && (!emitter || joined >= u64::from(opts.clients));
            if done || tokio::time::Instant::now() >= limit {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    if emitter {
        // The room as it is: a receiver that failed to connect or join is already an error.
        c.receivers.set(c.joined.get());
    }
    c.go.set(true);
    let _ = go_tx.send(true);
    if let Some(path) = &opts.ready_file {
        std::fs::write(path, format!("{}\n", c.connected.get()))?;
    }

    phase.set("warmup");
    tokio::time::sleep(Duration::from_secs_f64(opts.warmup.max(0.0))).await;

    // The window.
    phase.set("measure");
    let connected = if opts.workload == Workload::G5 {
        u64::from(opts.clients)
    } else {
        c.connected.get()
    };
    let gen_cpu0 = proc::cpu_time(None);
    let srv_cpu0 = opts.server_pid.and_then(|pid| proc::cpu_time(Some(pid)));
    let t0 = std::time::Instant::now();
    c.measuring.set(true);
    tokio::time::sleep(Duration::from_secs_f64(opts.duration.max(0.0))).await;
    c.measuring.set(false);
    let window = t0.elapsed();
    let gen_cpu1 = proc::cpu_time(None);
    let srv_cpu1 = opts.server_pid.and_then(|pid| proc::cpu_time(Some(pid)));
    let rss_end = opts.server_pid.and_then(|pid| proc::rss_kib(Some(pid)));

    // Drain: no new emits; wait for the acks and deliveries in flight.
    phase.set("drain");
    c.stopping.set(true);
    c.progress.notify_one();
    let limit = tokio::time::Instant::now() + Duration::from_secs(5);
    let receivers = c.receivers.get();
    while tokio::time::Instant::now() < limit {
        let acks_done = c.emitted.get() <= c.acked.get() + c.ack_errors.get();
        let deliveries_done =
            !emitter || c.delivered.get() >= c.broadcasts.get().saturating_mul(receivers);
        if (acks_done && deliveries_done) || c.live.get() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lost_acks = c
        .emitted
        .get()
        .saturating_sub(c.acked.get() + c.ack_errors.get());
    let missing = if emitter {
        c.broadcasts
            .get()
            .saturating_mul(receivers)
            .saturating_sub(c.delivered.get())
    } else {
        0
    };

    // Close every client; they say goodbye to the server.
    phase.set("close");
    let _ = shutdown_tx.send(true);
    let limit = tokio::time::Instant::now() + Duration::from_secs(3);
    while c.live.get() > 0 && tokio::time::Instant::now() < limit {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let secs = window.as_secs_f64().max(1e-9);
    let count = match opts.workload {
        Workload::G1 | Workload::G2 | Workload::G6 => c.window_acks.get(),
        Workload::G3 => c.window_deliveries.get(),
        Workload::G4 => connected,
        Workload::G5 => c.window_handshakes.get(),
    };
    let rate = if opts.workload == Workload::G4 {
        0.0
    } else {
        count as f64 / secs
    };
    let gen_cpu = match (gen_cpu0, gen_cpu1) {
        (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
        _ => 0.0,
    };
    let server_cpu = match (srv_cpu0, srv_cpu1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    let per_server_cpu = server_cpu
        .filter(|s| *s > 0.0 && opts.workload != Workload::G4)
        .map(|s| count as f64 / s);
    let rss_per_connection = match (rss_before, rss_end) {
        (Some(before), Some(end)) if connected > 0 => {
            Some(end.saturating_sub(before) as f64 / connected as f64)
        }
        _ => None,
    };
    let errors = c.connect_errors.get()
        + c.disconnects.get()
        + c.ack_errors.get()
        + lost_acks
        + missing
        + c.stalls.get()
        + c.unexpected.get();
    let share = gen_cpu / secs;
    Ok(Summary {
        workload: opts.workload.as_str().into(),
        transport: opts.transport.as_str().into(),
        url: opts.url.clone(),
        clients: opts.clients,
        connected,
        window_s: secs,
        unit: opts.workload.unit().into(),
        count,
        rate,
        latency: Latency::of(&c.latency.borrow()),
        emitted: c.emitted.get(),
        acked: c.acked.get(),
        lost_acks,
        broadcasts: c.broadcasts.get(),
        missing_deliveries: missing,
        connect_errors: c.connect_errors.get(),
        disconnects: c.disconnects.get(),
        ack_errors: c.ack_errors.get(),
        stalls: c.stalls.get(),
        unexpected: c.unexpected.get(),
        errors,
        generator_cpu_s: gen_cpu,
        generator_cpu_share: share,
        generator_saturated: share >= SATURATED,
        server_cpu_s: server_cpu,
        per_server_cpu_s: per_server_cpu,
        server_rss_before_kib: rss_before,
        server_rss_kib: rss_end,
        server_rss_per_connection_kib: rss_per_connection,
    })
}

/// The role of task `index`.
fn role(opts: &Options, index: u64) -> Role {
    let clients = u64::from(opts.clients.max(1));
    match opts.workload {
        Workload::G1 | Workload::G6 => Role::Echo,
        Workload::G2 => {
            // Each client's share of the total rate, the clients' phases spread over one interval.
            let interval = Duration::from_secs_f64(clients as f64 / f64::from(opts.rate.max(1)));
            let phase = interval.mul_f64(index as f64 / clients as f64);
            Role::Paced { interval, phase }
        }
        Workload::G3 if index == clients => Role::Emitter {
            window: u64::from(opts.window.max(1)),
        },
        Workload::G3 => Role::Receiver,
        Workload::G4 | Workload::G5 => Role::Idle,
    }
}

/// One client for the whole run.
async fn client_task(
    ctx: Rc<Ctx>,
    index: u64,
    role: Role,
    mut go: watch::Receiver<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let c = &ctx.counters;
    let mut d = Driver::new(ctx.config.clone(), ctx.addr, seed(index));
    let socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
    let mut b = Behaviour::new(role, socket);
    let mut events = Vec::new();
    let mut tick = Box::pin(tokio::time::sleep(Duration::ZERO));
    let mut armed = None;
    let mut closing: Option<tokio::time::Instant> = None;
    let mut started = *go.borrow();
    loop {
        d.pump(&mut events).await;
        if !events.is_empty() {
            for e in std::mem::take(&mut events) {
                b.on_event(&mut d, c, e);
            }
            continue;
        }
        if b.done && closing.is_none() {
            break;
        }
        if let Some(limit) = closing {
            if d.is_idle() || tokio::time::Instant::now() >= limit {
                break;
            }
        }
        if b.tick != armed {
            armed = b.tick;
            if let Some(at) = armed {
                tick.as_mut().reset(at);
            }
        }
        let blocked = b.blocked;
        tokio::select! {
            () = d.wait() => {}
            () = tick.as_mut(), if armed.is_some() => {
                armed = None;
                b.on_tick(&mut d, c);
            }
            () = c.progress.notified(), if blocked => b.broadcast(&mut d, c),
            r = go.changed(), if !started => {
                let _ = r;
                started = true;
                b.begin(&mut d, c);
            }
            r = shutdown.changed(), if closing.is_none() => {
                let _ = r;
                closing = Some(tokio::time::Instant::now() + Duration::from_secs(2));
                b.tick = None;
                d.client.close(now());
            }
        }
    }
    c.live.set(c.live.get().saturating_sub(1));
}

/// G5: connect, CONNECT, disconnect, again, until the run stops.
async fn cycle_task(ctx: Rc<Ctx>, index: u64, mut shutdown: watch::Receiver<bool>) {
    let c = &ctx.counters;
    let mut events = Vec::new();
    let mut n = 0_u64;
    'cycles: while !c.stopping.get() && !*shutdown.borrow() {
        n += 1;
        let started = std::time::Instant::now();
        let limit = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut d = Driver::new(ctx.config.clone(), ctx.addr, seed(index ^ (n << 32)));
        let _socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
        let mut closing = false;
        loop {
            d.pump(&mut events).await;
            let handled = !events.is_empty();
            for e in events.drain(..) {
                use proto::socket::client::Event as S;
                match e {
                    proto::client::Event::Manager(S::Connect { .. }) => {
                        bump(&c.handshakes);
                        if c.measuring.get() {
                            bump(&c.window_handshakes);
                            c.record_latency(
                                u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                            );
                        }
                        closing = true;
                        d.client.close(now());
                    }
                    proto::client::Event::Manager(S::ConnectError { .. }) => {
                        bump(&c.connect_errors);
                        // A server refusing connections must not turn into a busy loop.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue 'cycles;
                    }
                    proto::client::Event::Manager(S::Disconnect { .. }) if !closing => {
                        bump(&c.disconnects);
                        continue 'cycles;
                    }
                    _ => {}
                }
            }
            if handled {
                // What the events made the client do (the close) is pumped first.
                continue;
            }
            if closing && d.is_idle() {
                break;
            }
            if tokio::time::Instant::now() >= limit {
                bump(&c.connect_errors);
                break;
            }
            tokio::select! {
                () = d.wait() => {}
                () = tokio::time::sleep_until(limit) => {}
                _ = shutdown.changed() => break 'cycles,
            }
        }
    }
    c.live.set(c.live.get().saturating_sub(1));
}

fn seed(index: u64) -> u64 {
    index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED
}

/// A status line on stderr every second.
async fn progress(
    ctx: Rc<Ctx>,
    phase: Rc<std::cell::Cell<&'static str>>,
    started: std::time::Instant,
) {
    let c = &ctx.counters;
    let mut last = (0_u64, 0_u64, 0_u64);
    let mut cpu_last = proc::cpu_time(None);
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.tick().await;
    loop {
        interval.tick().await;
        let now = (c.acked.get(), c.delivered.get(), c.handshakes.get());
        let cpu = proc::cpu_time(None);
        let share = match (cpu_last, cpu) {
            (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64() * 100.0,
            _ => 0.0,
        };
        cpu_last = cpu;
        eprintln!(
            "[{:6.1}s] {:7} {} connected {}/{}  acks/s {}  deliveries/s {}  handshakes/s {}  \
             errors {}  generator CPU {share:.0}%",
            started.elapsed().as_secs_f64(),
            phase.get(),
            ctx.opts.workload.as_str(),
            c.connected.get(),
            ctx.opts.clients,
            now.0 - last.0,
            now.1 - last.1,
            now.2 - last.2,
            c.connect_errors.get() + c.disconnects.get() + c.ack_errors.get() + c.unexpected.get(),
        );
        last = now;
    }
}
