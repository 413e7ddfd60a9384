//! The fault proxy between the soak's clients and the server nodes: a TCP relay that sends each
//! new connection to the next node in turn (WebSocket-only clients need no sticky sessions), and
//! on a random schedule stalls a connection (forwards nothing, either way, for a few seconds, so
//! that heartbeats time out), resets one (RST, by closing with a zero linger) or closes one
//! (FIN). It runs on its own thread and runtime, so the clients' load does not delay it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::Rng;

/// What the schedule does to a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    /// Forward nothing until then.
    Stall(Instant),
    /// Close both sides with RST.
    Reset,
    /// Close both sides with FIN.
    Close,
}

/// The fault schedule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    /// One fault per `interval` (zero: none).
    pub(crate) interval: Duration,
    /// Stalls last from `stall_min` to `stall_max`.
    pub(crate) stall_min: Duration,
    pub(crate) stall_max: Duration,
    pub(crate) seed: u64,
}

/// What the proxy did, for the summary.
#[derive(Debug, Default, Serialize)]
pub struct ProxyStats {
    /// Connections accepted, per node.
    pub connections: Vec<u64>,
    /// Stalls, and how many of them lasted past the heartbeat (`stalls_long`).
    pub stalls: u64,
    /// Stalls of at least the heartbeat's `pingInterval + pingTimeout`.
    pub stalls_long: u64,
    /// Connections reset (RST).
    pub resets: u64,
    /// Connections closed (FIN).
    pub closes: u64,
}

#[derive(Default)]
struct Shared {
    connections: Vec<AtomicU64>,
    stalls: AtomicU64,
    stalls_long: AtomicU64,
    resets: AtomicU64,
    closes: AtomicU64,
    /// Faults stop (the soak's quiet phase): stalls end, none start.
    quiet: AtomicBool,
    /// The live connections' fault channels.
    live: Mutex<HashMap<u64, watch::Sender<Fault>>>,
}

/// A running proxy.
pub(crate) struct Proxy {
    /// Where clients connect.
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    /// Starts the proxy on 127.0.0.1 (a free port) in front of `upstreams`, on its own thread.
    /// `heartbeat` is the server's `pingInterval + pingTimeout` (to count the stalls that outlast it).
    pub(crate) fn start(
        upstreams: Vec<SocketAddr>,
        schedule: Schedule,
        heartbeat: Duration,
    ) -> std::io::Result<Proxy> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            connections: upstreams.iter().map(|_| AtomicU64::new(0)).collect(),
            ..Shared::default()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let s = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("soak-proxy".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("sockeye-soak: proxy: {e}");
                            return;
                        }
                    };
                    if !schedule.interval.is_zero() {
                        tokio::spawn(faults(Arc::clone(&s), schedule, heartbeat));
                    }
                    accept(listener, upstreams, s).await;
                });
            })?;
        Ok(Proxy { addr, shared })
    }

    /// Stops the faults: stalls in progress end now, no new fault starts.
    pub(crate) fn quiet(&self) {
        self.shared.quiet.store(true, Ordering::SeqCst);
        let live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        for tx in live.values() {
            tx.send_if_modified(|f| {
                let stalled = matches!(f, Fault::Stall(_));
                if stalled {
                    *f = Fault::None;
                }
                stalled
            });
        }
    }

    /// What the proxy did so far.
    pub(crate) fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        ProxyStats {
            connections: s
                .connections
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            stalls: s.stalls.load(Ordering::Relaxed),
            stalls_long: s.stalls_long.load(Ordering::Relaxed),
            resets: s.resets.load(Ordering::Relaxed),
            closes: s.closes.load(Ordering::Relaxed),
        }
    }
}

async fn accept(listener: TcpListener, upstreams: Vec<SocketAddr>, shared: Arc<Shared>) {
    let mut next = 0_usize;
    let mut id = 0_u64;
    loop {
        let Ok((down, _)) = listener.accept().await else {
            // Out of descriptors, most likely: try again shortly.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let node = next % upstreams.len().max(1);
        next = next.wrapping_add(1);
        let Some(&upstream) = upstreams.get(node) else {
            return;
        };
        if let Some(c) = shared.connections.get(node) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        id += 1;
        let (tx, rx) = watch::channel(Fault::None);
        shared
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            if let Ok(up) = TcpStream::connect(upstream).await {
                relay(down, up, rx).await;
            }
            shared
                .live
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        });
    }
}

/// Picks a random live connection every `interval` and stalls, resets or closes it.
async fn faults(shared: Arc<Shared>, schedule: Schedule, heartbeat: Duration) {
    let mut rng = Rng::new(schedule.seed);
    let mut tick = tokio::time::interval(schedule.interval);
    tick.tick().await;
    loop {
        tick.tick().await;
        if shared.quiet.load(Ordering::SeqCst) {
            return;
        }
        let live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.is_empty() {
            continue;
        }
        let pick = rng.below(live.len() as u64) as usize;
        let Some(tx) = live.values().nth(pick) else {
            continue;
        };
        let fault = match rng.below(4) {
            0 | 1 => {
                let span = schedule.stall_max.saturating_sub(schedule.stall_min);
                let ms = u64::try_from(span.as_millis()).unwrap_or(0);
                let stall = schedule.stall_min + Duration::from_millis(rng.below(ms + 1));
                shared.stalls.fetch_add(1, Ordering::Relaxed);
                if stall >= heartbeat {
                    shared.stalls_long.fetch_add(1, Ordering::Relaxed);
                }
                Fault::Stall(Instant::now() + stall)
            }
            2 => {
                shared.resets.fetch_add(1, Ordering::Relaxed);
                Fault::Reset
            }
            _ => {
                shared.closes.fetch_add(1, Ordering::Relaxed);
                Fault::Close
            }
        };
        let _ = tx.send(fault);
    }
}

/// Relays between `down` (the client) and `up` (the node) until either side ends or a fault
/// closes them.
async fn relay(down: TcpStream, up: TcpStream, mut faults: watch::Receiver<Fault>) {
    let _ = down.set_nodelay(true);
    let _ = up.set_nodelay(true);
    let mut to_up = vec![0_u8; 16 * 1024];
    let mut to_down = vec![0_u8; 16 * 1024];
    let mut stalled_until: Option<Instant> = None;
    loop {
        let stalled = stalled_until.is_some();
        let until = stalled_until.unwrap_or_else(Instant::now);
        tokio::select! {
            changed = faults.changed() => {
                if changed.is_err() {
                    return;
                }
                let fault = *faults.borrow_and_update();
                match fault {
                    Fault::None => stalled_until = None,
                    Fault::Stall(until) => stalled_until = Some(until),
                    Fault::Reset => {
                        let _ = down.set_zero_linger();
                        let _ = up.set_zero_linger();
                        return;
                    }
                    Fault::Close => return,
                }
            }
            () = tokio::time::sleep_until(until), if stalled => stalled_until = None,
            r = down.readable(), if !stalled => {
                if r.is_err() || !forward(&down, &up, &mut to_up).await {
                    return;
                }
            }
            r = up.readable(), if !stalled => {
                if r.is_err() || !forward(&up, &down, &mut to_down).await {
                    return;
                }
            }
        }
    }
}

/// Moves what `from` has to `to`; false when the connection is over.
async fn forward(from: &TcpStream, to: &TcpStream, buf: &mut [u8]) -> bool {
    let n = match from.try_read(buf) {
        Ok(0) => return false,
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
        Err(_) => return false,
    };
    let mut rest = buf.get(..n).unwrap_or_default();
    while !rest.is_empty() {
        if to.writable().await.is_err() {
            return false;
        }
        match to.try_write(rest) {
            Ok(w) => rest = rest.get(w..).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return false,
        }
    }
    true
}
