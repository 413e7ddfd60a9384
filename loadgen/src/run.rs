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
use proto::socket::Args;
use proto::socket::client::{Auth, Emit};
use proto::socket::packet::Nsp;
use proto::url::{EngineUrl, ServerUrl};
use tokio::sync::watch;

use crate::cli::{Options, TransportChoice, Workload};
use crate::driver::{Driver, now};
use crate::proc;
use crate::stats::{Counters, Latency, SATURATED, Storm, Summary, Unanswered, bump};
use crate::workload::{Behaviour, Role, echo_args, feed_items};

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
    /// `--payload-bytes`'s records ([`feed_items`]), made once.
    items: Rc<str>,
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
    // A lost connection is an error to count, not something to hide by reconnecting; except in
    // the storm, which measures the reconnection (the core's manager, with the reference's
    // backoff and jitter: its defaults are left as they are).
    config.manager.reconnection = opts.workload == Workload::Storm;
    config.manager.parser = opts.parser.parser();
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
        items: Rc::from(feed_items(opts.payload_bytes)),
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

    // A fixed number of cycles is counted whole: the window starts with the first.
    let whole = cycles(opts.workload) && opts.cycles.is_some();
    c.measuring.set(whole);

    // Ramp: `ramp` tasks a second, started in 10 ms steps.
    // A room and a client broadcasting to it.
    let emitter = matches!(opts.workload, Workload::G3 | Workload::Mixed);
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
            if cycles(opts.workload) {
                tokio::task::spawn_local(cycle_task(ctx, index, rx));
            } else {
                tokio::task::spawn_local(client_task(ctx, index, role, go_rx.clone(), rx));
            }
            spawned += 1;
        }
    }

    // Every client connected (and joined), or failed, or too long.
    if !cycles(opts.workload) {
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

    if opts.workload != Workload::Storm && !whole {
        phase.set("warmup");
        tokio::time::sleep(Duration::from_secs_f64(opts.warmup.max(0.0))).await;
    }

    // The window.
    phase.set("measure");
    let connected = if cycles(opts.workload) {
        u64::from(opts.clients)
    } else {
        c.connected.get()
    };
    let gen_cpu0 = proc::cpu_time(None);
    let srv_cpu0 = opts.server_pid.and_then(|pid| proc::cpu_time(Some(pid)));
    let wire0 = crate::wire::totals();
    let t0 = if whole {
        started
    } else {
        std::time::Instant::now()
    };
    c.measuring.set(true);
    let duration = Duration::from_secs_f64(opts.duration.max(0.0));
    match (opts.workload, opts.cycles) {
        (Workload::Storm, _) => storm_window(c, duration).await,
        (Workload::G5 | Workload::Cycle, Some(_)) => {
            // Every slot ends once the last cycle started has.
            while c.live.get() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        _ => tokio::time::sleep(duration).await,
    }
    c.measuring.set(false);
    // Before the clients close: who is back is who is connected now.
    let storm = (opts.workload == Workload::Storm).then(|| storm_summary(&opts, c));
    let window = t0.elapsed();
    let gen_cpu1 = proc::cpu_time(None);
    let srv_cpu1 = opts.server_pid.and_then(|pid| proc::cpu_time(Some(pid)));
    let wire1 = crate::wire::totals();
    let rss_end = opts.server_pid.and_then(|pid| proc::rss_kib(Some(pid)));

    // Drain: no new emits; wait for the acks and deliveries in flight.
    phase.set("drain");
    c.stopping.set(true);
    c.progress.notify_one();
    let drain_started = crate::driver::since_epoch();
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
    // Taken now, before the clients close: an ack still awaited then fails as the socket
    // disconnects, and is already counted among the lost ones.
    let ack_errors = c.ack_errors.get();
    let lost_acks = c.emitted.get().saturating_sub(c.acked.get() + ack_errors);
    let counted_at = crate::driver::since_epoch();
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
    if lost_acks > 0 {
        let drained = counted_at.saturating_sub(drain_started);
        report_unanswered(lost_acks, &c.unanswered.borrow(), counted_at, drained);
    }

    let secs = window.as_secs_f64().max(1e-9);
    let count = match opts.workload {
        Workload::G1 | Workload::G2 | Workload::G6 | Workload::Mixed => c.window_acks.get(),
        Workload::G3 => c.window_deliveries.get(),
        Workload::G4 => connected,
        Workload::G5 | Workload::Cycle => c.window_handshakes.get(),
        Workload::Storm => c.reconnected_unix_ms.borrow().len() as u64,
    };
    let rate = if matches!(opts.workload, Workload::G4 | Workload::Storm) {
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
        .filter(|s| *s > 0.0 && !matches!(opts.workload, Workload::G4 | Workload::Storm))
        .map(|s| count as f64 / s);
    let rss_per_connection = match (rss_before, rss_end) {
        (Some(before), Some(end)) if connected > 0 => {
            Some(end.saturating_sub(before) as f64 / connected as f64)
        }
        _ => None,
    };
    let not_back = storm.as_ref().map_or(0, |s| s.not_back);
    let errors = c.connect_errors.get()
        + not_back
        + c.disconnects.get()
        + ack_errors
        + lost_acks
        + missing
        + c.stalls.get()
        + c.unexpected.get();
    let share = gen_cpu / secs;
    Ok(Summary {
        workload: opts.workload.as_str().into(),
        transport: opts.transport.as_str().into(),
        parser: opts.parser.parser().name().into(),
        url: opts.url.clone(),
        clients: opts.clients,
        connected,
        window_s: secs,
        unit: opts.workload.unit().into(),
        count,
        rate,
        latency: Latency::of(&c.latency.borrow()),
        deliveries: c.window_deliveries.get(),
        delivery_latency: Latency::of(&c.delivery_latency.borrow()),
        emitted: c.emitted.get(),
        acked: c.acked.get(),
        lost_acks,
        broadcasts: c.broadcasts.get(),
        missing_deliveries: missing,
        connect_errors: c.connect_errors.get(),
        disconnects: c.disconnects.get(),
        ack_errors,
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
        wire_received: wire1.0.saturating_sub(wire0.0),
        wire_sent: wire1.1.saturating_sub(wire0.1),
        open_errors: c.open_errors.borrow().clone(),
        storm,
    })
}

/// On stderr, for a run that lost acks: how long the drain lasted (5 s, unless this process was
/// stalled: then its last sleep overran), and each ack still awaited when the clients were told
/// to close (those a client reported before it closed; an ack that came after the count is not
/// among them).
fn report_unanswered(lost: u64, unanswered: &[Unanswered], at: Duration, drained: Duration) {
    eprintln!(
        "sockeye-load: {lost} ack(s) lost after a drain of {:.3} s; {} still awaited at close:",
        drained.as_secs_f64(),
        unanswered.len()
    );
    for u in unanswered {
        eprintln!("  {}", u.line(at));
    }
}

/// G5 and `cycle` run connect cycles, one task per slot.
fn cycles(workload: Workload) -> bool {
    matches!(workload, Workload::G5 | Workload::Cycle)
}

/// The storm's window: until the first connection is lost (2 minutes at most: the script kills
/// the server once every client is connected), then until every lost client is back, or
/// `limit` after the first loss.
async fn storm_window(c: &Counters, limit: Duration) {
    let waiting = tokio::time::Instant::now() + Duration::from_secs(120);
    while c.lost.get() == 0 && tokio::time::Instant::now() < waiting {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let end = tokio::time::Instant::now() + limit;
    loop {
        let back = c.reconnected_unix_ms.borrow().len() as u64;
        let all_back =
            c.lost.get() > 0 && back >= c.lost.get() && c.connected.get() >= c.ever_connected.get();
        if all_back || tokio::time::Instant::now() >= end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The storm's figures, counted from the restart (`--restart-file`) or the first loss.
fn storm_summary(opts: &Options, c: &Counters) -> Storm {
    let restart = opts
        .restart_file
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| t.trim().parse::<u64>().ok());
    let (since, since_unix_ms) = match (restart, c.first_lost_unix_ms.get()) {
        (Some(t), _) => ("restart", Some(t)),
        (None, first) => ("first-loss", first),
    };
    let at = c.reconnected_unix_ms.borrow();
    let (reconnect_ms, p50_ms, p99_ms, p100_ms) = Storm::of(&at, since_unix_ms.unwrap_or(0));
    let since_ms = since_unix_ms.unwrap_or(0);
    let attempt_ms = Storm::of(&c.attempt_unix_ms.borrow(), since_ms).0;
    let refused = &c.open_errors.borrow().refused_unix_ms;
    let refused_before = refused.iter().filter(|&&t| t < since_ms).count() as u64;
    Storm {
        since: since.into(),
        since_unix_ms,
        lost: c.lost.get(),
        reconnected: at.len() as u64,
        not_back: c.ever_connected.get().saturating_sub(c.connected.get()),
        reconnect_attempts: c.reconnect_attempts.get(),
        reconnect_errors: c.reconnect_errors.get(),
        refused_before,
        refused_after: refused.len() as u64 - refused_before,
        p50_ms,
        p99_ms,
        p100_ms,
        reconnect_ms,
        attempt_ms,
    }
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
        Workload::Mixed if index == clients => Role::Broadcaster {
            interval: Duration::from_secs_f64(1.0 / f64::from(opts.broadcast_rate.max(1))),
        },
        Workload::Mixed => {
            let interval = Duration::from_secs_f64(clients as f64 / f64::from(opts.rate.max(1)));
            let phase = interval.mul_f64(index as f64 / clients as f64);
            Role::Member { interval, phase }
        }
        Workload::G3 if index == clients => Role::Emitter {
            window: u64::from(opts.window.max(1)),
        },
        Workload::G3 => Role::Receiver,
        Workload::G4 | Workload::G5 | Workload::Cycle => Role::Idle,
        Workload::Storm => Role::Storm,
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
    let mut d = Driver::new(ctx.config.clone(), ctx.addr, seed(index))
        .per_message_deflate(ctx.opts.per_message_deflate);
    let socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
    let mut b = Behaviour::new(role, socket);
    b.items = ctx.items.clone();
    let mut events = Vec::new();
    let mut tick = Box::pin(tokio::time::sleep(Duration::ZERO));
    let mut armed = None;
    let mut closing: Option<tokio::time::Instant> = None;
    let mut started = *go.borrow();
    loop {
        d.pump(&mut events).await;
        if d.open_errors.total() > 0 {
            // At once: the storm's summary is made while the clients still run.
            c.open_errors
                .borrow_mut()
                .add(&std::mem::take(&mut d.open_errors));
        }
        if !events.is_empty() {
            for e in std::mem::take(&mut events) {
                b.on_event(&mut d, c, e);
            }
            continue;
        }
        if b.done && closing.is_none() {
            break;
        }
        if let Some(limit) = closing
            && (d.is_idle() || tokio::time::Instant::now() >= limit)
        {
            break;
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
                // Before the close fails them: the acks still awaited now are lost ones.
                c.unanswered.borrow_mut().extend(b.unanswered(&d, index));
                closing = Some(tokio::time::Instant::now() + Duration::from_secs(2));
                b.tick = None;
                d.client.close(now());
            }
        }
    }
    c.open_errors.borrow_mut().add(&d.open_errors);
    c.live.set(c.live.get().saturating_sub(1));
}

/// G5: connect, CONNECT, close, again; `cycle`: connect, CONNECT, emit with ack, disconnect,
/// again; until the run stops or `--cycles` cycles started.
async fn cycle_task(ctx: Rc<Ctx>, index: u64, mut shutdown: watch::Receiver<bool>) {
    use proto::client::Event as C;
    use proto::socket::client::Event as S;
    let c = &ctx.counters;
    let with_emit = ctx.opts.workload == Workload::Cycle;
    let mut events = Vec::new();
    let mut n = 0_u64;
    'cycles: while !c.stopping.get() && !*shutdown.borrow() {
        if ctx
            .opts
            .cycles
            .is_some_and(|max| c.cycles_started.get() >= max)
        {
            break;
        }
        bump(&c.cycles_started);
        n += 1;
        let started = std::time::Instant::now();
        let limit = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut d = Driver::new(ctx.config.clone(), ctx.addr, seed(index ^ (n << 32)))
            .per_message_deflate(ctx.opts.per_message_deflate);
        let socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
        let mut closing = false;
        let mut ack = None;
        let outcome = 'cycle: loop {
            d.pump(&mut events).await;
            let handled = !events.is_empty();
            for e in events.drain(..) {
                match e {
                    C::Manager(S::Connect { .. }) => {
                        bump(&c.handshakes);
                        if c.measuring.get() {
                            bump(&c.window_handshakes);
                            c.record_latency(
                                u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                            );
                        }
                        if with_emit {
                            let emit = Args::from_json(echo_args(n, &ctx.items), Vec::new())
                                .map(|args| Emit::new(args).with_ack());
                            let sent = emit.map(|emit| d.client.emit(now(), socket, emit));
                            match sent {
                                Ok(Ok(Some(h))) => {
                                    bump(&c.emitted);
                                    ack = Some(h);
                                }
                                _ => {
                                    bump(&c.unexpected);
                                    break 'cycles;
                                }
                            }
                        } else {
                            closing = true;
                            d.client.close(now());
                        }
                    }
                    C::Manager(S::Ack { handle, result, .. }) if ack == Some(handle) => {
                        ack = None;
                        match result {
                            Ok(_) => bump(&c.acked),
                            Err(_) => bump(&c.ack_errors),
                        }
                        // `socket.disconnect()`: DISCONNECT, then the manager, without a socket
                        // left, closes the connection.
                        closing = true;
                        d.client.disconnect(now(), socket);
                    }
                    C::Manager(S::ConnectError { .. }) => break 'cycle Some(&c.connect_errors),
                    C::Manager(S::Disconnect { .. }) if !closing => {
                        break 'cycle Some(&c.disconnects);
                    }
                    _ => {}
                }
            }
            if handled {
                // What the events made the client do (the emit, the close) is pumped first.
                continue;
            }
            if closing && d.is_idle() {
                break None;
            }
            if tokio::time::Instant::now() >= limit {
                break Some(&c.connect_errors);
            }
            tokio::select! {
                () = d.wait() => {}
                () = tokio::time::sleep_until(limit) => {}
                _ = shutdown.changed() => break None,
            }
        };
        c.open_errors.borrow_mut().add(&d.open_errors);
        if let Some(counter) = outcome {
            bump(counter);
            // A server refusing connections must not turn into a busy loop.
            tokio::time::sleep(Duration::from_millis(10)).await;
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
