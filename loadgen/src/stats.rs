//! What the clients count, and the summary made of it.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Counters shared by every client of the process (one thread: plain cells).
#[derive(Debug)]
pub(crate) struct Counters {
    /// Every client is connected (or failed): the load starts.
    pub(crate) go: Cell<bool>,
    /// Inside the measured window: throughput and latencies are recorded.
    pub(crate) measuring: Cell<bool>,
    /// The window is over: clients stop emitting and wait for what is in flight.
    pub(crate) stopping: Cell<bool>,
    /// Sockets connected now.
    pub(crate) connected: Cell<u64>,
    /// Sockets that connected at least once.
    pub(crate) ever_connected: Cell<u64>,
    /// G3 receivers whose `join` was acknowledged.
    pub(crate) joined: Cell<u64>,
    /// G3: receivers in the room when the load started (0: not started); the emitter waits for
    /// it, and expects every broadcast to reach that many.
    pub(crate) receivers: Cell<u64>,
    /// Connections refused or failed before CONNECT was answered.
    pub(crate) connect_errors: Cell<u64>,
    /// Sockets disconnected before the run ended.
    pub(crate) disconnects: Cell<u64>,
    /// Acks that failed (timeout, or the socket disconnected first).
    pub(crate) ack_errors: Cell<u64>,
    /// Emits with an ack, over the whole run.
    pub(crate) emitted: Cell<u64>,
    /// Acks received, over the whole run.
    pub(crate) acked: Cell<u64>,
    /// Acks received in the window.
    pub(crate) window_acks: Cell<u64>,
    /// G3: broadcasts sent by the emitter, over the whole run.
    pub(crate) broadcasts: Cell<u64>,
    /// G3: broadcast events received by the receivers, over the whole run.
    pub(crate) delivered: Cell<u64>,
    /// G3: deliveries in the window.
    pub(crate) window_deliveries: Cell<u64>,
    /// G3: times the emitter waited over 2 s for deliveries and went on without them.
    pub(crate) stalls: Cell<u64>,
    /// G5: connect cycles completed in the window.
    pub(crate) window_handshakes: Cell<u64>,
    /// G5: connect cycles completed over the whole run.
    pub(crate) handshakes: Cell<u64>,
    /// Events that do not belong to the workload (a malformed broadcast, say).
    pub(crate) unexpected: Cell<u64>,
    /// Client tasks still running.
    pub(crate) live: Cell<u64>,
    /// Round trip (G1, G2, G6, `mixed`), delivery (G3) or connect (G5) latency in microseconds.
    pub(crate) latency: RefCell<Histogram<u64>>,
    /// `mixed`: delivery latency of the broadcasts, in microseconds.
    pub(crate) delivery_latency: RefCell<Histogram<u64>>,
    /// G3: rung at every delivery, for the emitter waiting on its window.
    pub(crate) progress: tokio::sync::Notify,
    /// G5, `cycle`: cycles started (with `--cycles`, no more than that many start).
    pub(crate) cycles_started: Cell<u64>,
    /// Storm: connections lost (a socket's `disconnect` while the run goes on).
    pub(crate) lost: Cell<u64>,
    /// Storm: when the first connection was lost (Unix time, ms).
    pub(crate) first_lost_unix_ms: Cell<Option<u64>>,
    /// Storm: reconnection attempts started (the manager's `reconnect_attempt`).
    pub(crate) reconnect_attempts: Cell<u64>,
    /// Storm: reconnection attempts that failed (the manager's `reconnect_error`).
    pub(crate) reconnect_errors: Cell<u64>,
    /// Storm: when each lost socket was connected again (its `connect` after a loss; Unix ms).
    pub(crate) reconnected_unix_ms: RefCell<Vec<u64>>,
    /// Storm: when each reconnection attempt started (Unix ms).
    pub(crate) attempt_unix_ms: RefCell<Vec<u64>>,
    /// WebSocket connections that failed to open, by cause.
    pub(crate) open_errors: RefCell<OpenErrors>,
    /// The acks the clients still waited for when told to close: empty unless the run lost some.
    pub(crate) unanswered: RefCell<Vec<Unanswered>>,
}

/// An ack a client still waited for when the run told it to close (a lost ack): what one failure
/// needs to tell which side dropped it. Times are on the run's clock (`since_epoch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unanswered {
    /// The client task's index.
    pub(crate) client: u64,
    /// The socket's id, as the server gave it (and `SOCKEYE_BENCH_ACK_LOG` prints it).
    pub(crate) sid: Option<String>,
    /// Whether the socket was still connected.
    pub(crate) connected: bool,
    /// The `n` of the `echo-ack` emit; `None` for a `join`.
    pub(crate) n: Option<u64>,
    /// When it was emitted.
    pub(crate) emitted: Option<std::time::Duration>,
    /// The highest `n` acknowledged on that client, and when.
    pub(crate) last_acked: Option<(u64, std::time::Duration)>,
}

impl Unanswered {
    /// One line of the report, with times as seconds before `at` (when the lost acks were
    /// counted).
    pub(crate) fn line(&self, at: std::time::Duration) -> String {
        let before = |t: std::time::Duration| at.saturating_sub(t).as_secs_f64();
        let mut s = format!(
            "client {} (socket {}, {}): ",
            self.client,
            self.sid.as_deref().unwrap_or("-"),
            if self.connected {
                "connected"
            } else {
                "not connected"
            },
        );
        match (self.n, self.emitted) {
            (Some(n), Some(t)) => {
                let _ = write!(
                    s,
                    "echo-ack n={n} emitted {:.3} s before the count",
                    before(t)
                );
            }
            _ => s.push_str("join"),
        }
        match self.last_acked {
            Some((n, t)) => {
                let _ = write!(s, "; last ack n={n}, {:.3} s before", before(t));
            }
            None => s.push_str("; no ack before"),
        }
        s
    }
}

/// WebSocket connections that failed to open, by cause: a refused TCP connection is what a full
/// listen backlog (or no listener) gives, a reset is a connection the server dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpenErrors {
    /// `ECONNREFUSED`.
    pub refused: u64,
    /// `ECONNRESET`, or the connection closed during the WebSocket handshake.
    pub reset: u64,
    /// `ETIMEDOUT`.
    pub timed_out: u64,
    /// Anything else (an HTTP error answer to the upgrade, say).
    pub other: u64,
    /// When each refused connection was started (Unix ms): a storm tells those started before the
    /// restarted server listened (nothing there yet) from those after (a refusing server).
    #[serde(skip)]
    pub refused_unix_ms: Vec<u64>,
}

impl OpenErrors {
    /// Counts one failure of cause `kind`, of a connection started at `at` (Unix ms).
    pub(crate) fn count(&mut self, kind: std::io::ErrorKind, at: u64) {
        use std::io::ErrorKind as K;
        match kind {
            K::ConnectionRefused => {
                self.refused += 1;
                self.refused_unix_ms.push(at);
            }
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                self.reset += 1
            }
            K::TimedOut => self.timed_out += 1,
            _ => self.other += 1,
        }
    }

    /// Adds `other`'s counts.
    pub(crate) fn add(&mut self, other: &OpenErrors) {
        self.refused += other.refused;
        self.reset += other.reset;
        self.timed_out += other.timed_out;
        self.other += other.other;
        self.refused_unix_ms
            .extend_from_slice(&other.refused_unix_ms);
    }

    /// Every failure.
    pub fn total(&self) -> u64 {
        self.refused + self.reset + self.timed_out + self.other
    }
}

/// What a reconnect storm measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Storm {
    /// What reconnection times count from: `restart` (the time in `--restart-file`) or
    /// `first-loss` (the first connection this process lost).
    pub since: String,
    /// That instant, Unix time in milliseconds.
    pub since_unix_ms: Option<u64>,
    /// Connections lost.
    pub lost: u64,
    /// Lost connections back (`connect` again).
    pub reconnected: u64,
    /// Clients not connected at the end.
    pub not_back: u64,
    /// Reconnection attempts started.
    pub reconnect_attempts: u64,
    /// Reconnection attempts that failed.
    pub reconnect_errors: u64,
    /// Refused connections started before `since` (the new server did not listen yet).
    pub refused_before: u64,
    /// Refused connections started from `since` on.
    pub refused_after: u64,
    /// Time to 50% of the lost clients back, in ms from `since`.
    pub p50_ms: Option<f64>,
    /// Time to 99% back.
    pub p99_ms: Option<f64>,
    /// Time to 100% back (the last one).
    pub p100_ms: Option<f64>,
    /// Each reconnection, in ms from `since`, sorted (for a script merging several processes).
    pub reconnect_ms: Vec<i64>,
    /// When each reconnection attempt started, in ms from `since`, sorted: the backoff and its
    /// jitter, as opposed to the time the server took to answer.
    pub attempt_ms: Vec<i64>,
}

impl Storm {
    /// The figures of reconnection instants `at` (Unix ms) counted from `since` (Unix ms).
    pub fn of(at: &[u64], since: u64) -> (Vec<i64>, Option<f64>, Option<f64>, Option<f64>) {
        let mut ms: Vec<i64> = at
            .iter()
            .map(|&t| {
                let d = i128::from(t) - i128::from(since);
                i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
            })
            .collect();
        ms.sort_unstable();
        let q = |p: f64| percentile(&ms, p).map(|v| v as f64);
        (ms.clone(), q(0.5), q(0.99), q(1.0))
    }
}

/// The nearest-rank percentile `p` (0 < p <= 1) of sorted `v`.
pub fn percentile(v: &[i64], p: f64) -> Option<i64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let rank = (p * n as f64).ceil() as usize;
    v.get(rank.clamp(1, n) - 1).copied()
}

/// Now, Unix time in milliseconds (0 before 1970).
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Latencies up to 10 minutes, 3 significant digits.
const MAX_LATENCY_US: u64 = 600_000_000;

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            go: Cell::new(false),
            measuring: Cell::new(false),
            stopping: Cell::new(false),
            connected: Cell::new(0),
            ever_connected: Cell::new(0),
            joined: Cell::new(0),
            receivers: Cell::new(0),
            connect_errors: Cell::new(0),
            disconnects: Cell::new(0),
            ack_errors: Cell::new(0),
            emitted: Cell::new(0),
            acked: Cell::new(0),
            window_acks: Cell::new(0),
            broadcasts: Cell::new(0),
            delivered: Cell::new(0),
            window_deliveries: Cell::new(0),
            stalls: Cell::new(0),
            window_handshakes: Cell::new(0),
            handshakes: Cell::new(0),
            unexpected: Cell::new(0),
            live: Cell::new(0),
            latency: RefCell::new(new_histogram()),
            delivery_latency: RefCell::new(new_histogram()),
            progress: tokio::sync::Notify::new(),
            cycles_started: Cell::new(0),
            lost: Cell::new(0),
            first_lost_unix_ms: Cell::new(None),
            reconnect_attempts: Cell::new(0),
            reconnect_errors: Cell::new(0),
            reconnected_unix_ms: RefCell::new(Vec::new()),
            attempt_unix_ms: RefCell::new(Vec::new()),
            open_errors: RefCell::new(OpenErrors::default()),
            unanswered: RefCell::new(Vec::new()),
        }
    }

    /// Records a latency when inside the window.
    pub(crate) fn record_latency(&self, micros: u64) {
        if self.measuring.get() {
            self.latency.borrow_mut().saturating_record(micros.max(1));
        }
    }

    /// Records a delivery latency (`mixed`) when inside the window.
    pub(crate) fn record_delivery_latency(&self, micros: u64) {
        if self.measuring.get() {
            self.delivery_latency
                .borrow_mut()
                .saturating_record(micros.max(1));
        }
    }
}

/// Adds one to a counter.
pub(crate) fn bump(c: &Cell<u64>) {
    c.set(c.get() + 1);
}

fn new_histogram() -> Histogram<u64> {
    // Bounds are valid constants: 1 <= 2 * 1 <= MAX, sigfig 3 <= 5.
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).unwrap_or_else(|_| {
        Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
    })
}

/// Percentiles of a histogram, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
}

impl Latency {
    /// The histogram's percentiles (recorded in microseconds).
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        if h.is_empty() {
            return Latency::default();
        }
        Latency {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// The run's result, printed as text and written as JSON.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// `g1` .. `g6`.
    pub workload: String,
    /// `websocket`, `polling` or `upgrade`.
    pub transport: String,
    /// `json` or `msgpack`.
    pub parser: String,
    /// The server's URL.
    pub url: String,
    /// Clients asked for (G3: receivers; G5: concurrent cycles).
    pub clients: u32,
    /// Clients connected when the window started (G5: cycles running).
    pub connected: u64,
    /// The measured window, in seconds.
    pub window_s: f64,
    /// What `rate` counts: acks, deliveries, connections, handshakes.
    pub unit: String,
    /// Units completed in the window.
    pub count: u64,
    /// `count` per second of window.
    pub rate: f64,
    /// Round trip (G1, G2, G6, `mixed`), delivery (G3) or connect (G5) latency.
    pub latency: Latency,
    /// G3 and `mixed`: broadcast events received in the window.
    pub deliveries: u64,
    /// `mixed`: the broadcasts' delivery latency (G3 has it as `latency`).
    pub delivery_latency: Latency,
    /// Emits with ack sent, over the whole run.
    pub emitted: u64,
    /// Acks received, over the whole run.
    pub acked: u64,
    /// Acks not received by the end of the run (emitted - acked - ack errors).
    pub lost_acks: u64,
    /// G3: broadcasts sent.
    pub broadcasts: u64,
    /// G3: deliveries missing at the end (broadcasts x receivers - delivered).
    pub missing_deliveries: u64,
    /// Failed connections.
    pub connect_errors: u64,
    /// Sockets disconnected before the end.
    pub disconnects: u64,
    /// Failed acks.
    pub ack_errors: u64,
    /// G3: times the emitter went on without all deliveries.
    pub stalls: u64,
    /// Events that do not belong to the workload.
    pub unexpected: u64,
    /// Every kind of error above, summed.
    pub errors: u64,
    /// The generator's CPU seconds in the window.
    pub generator_cpu_s: f64,
    /// The generator's CPU seconds per second of window (1.0: one core busy).
    pub generator_cpu_share: f64,
    /// The generator used 90% of a core or more: it may be the bottleneck.
    pub generator_saturated: bool,
    /// The server's CPU seconds in the window (with `--server-pid`).
    pub server_cpu_s: Option<f64>,
    /// `count` per server CPU second.
    pub per_server_cpu_s: Option<f64>,
    /// The server's RSS before the clients connected, in KiB.
    pub server_rss_before_kib: Option<u64>,
    /// The server's RSS at the end of the window, in KiB.
    pub server_rss_kib: Option<u64>,
    /// (RSS at the end - RSS before) / connected, in KiB.
    pub server_rss_per_connection_kib: Option<f64>,
    /// Bytes the clients received in the window, TCP payload ([`crate::wire`]).
    pub wire_received: u64,
    /// Bytes the clients sent in the window, TCP payload.
    pub wire_sent: u64,
    /// WebSocket connections that failed to open, by cause (reconnection attempts included).
    pub open_errors: OpenErrors,
    /// The reconnect storm's figures (`storm` only).
    pub storm: Option<Storm>,
}

/// A generator using this share of a core or more is marked saturated.
pub const SATURATED: f64 = 0.9;

impl Summary {
    /// The human-readable form.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} over {} ({} parser) against {}: {} clients, {} connected",
            self.workload, self.transport, self.parser, self.url, self.clients, self.connected
        );
        let _ = writeln!(
            s,
            "  {} {} in {:.1} s: {:.0}/s",
            self.count, self.unit, self.window_s, self.rate
        );
        if self.latency.count > 0 {
            let l = &self.latency;
            let _ = writeln!(
                s,
                "  latency p50 {:.2} ms, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2} ({} samples)",
                l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.count
            );
        }
        if self.delivery_latency.count > 0 {
            let l = &self.delivery_latency;
            let _ = writeln!(
                s,
                "  {} deliveries: {:.0}/s; latency p50 {:.2} ms, p90 {:.2}, p99 {:.2}, p99.9 {:.2}, \
                 max {:.2}",
                self.deliveries,
                self.deliveries as f64 / self.window_s.max(1e-9),
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.p999_ms,
                l.max_ms
            );
        }
        if let (Some(cpu), Some(per)) = (self.server_cpu_s, self.per_server_cpu_s) {
            let _ = writeln!(
                s,
                "  server CPU {cpu:.2} s: {per:.0} {} per server CPU second",
                self.unit
            );
        }
        if self.count > 0 && self.wire_received + self.wire_sent > 0 {
            let per = |bytes: u64| bytes as f64 / self.count as f64;
            let _ = writeln!(
                s,
                "  on the wire: {} bytes received, {} sent ({:.0} and {:.0} per {})",
                self.wire_received,
                self.wire_sent,
                per(self.wire_received),
                per(self.wire_sent),
                self.unit.trim_end_matches('s')
            );
        }
        if let Some(per) = self.server_rss_per_connection_kib {
            let _ = writeln!(
                s,
                "  server RSS {} KiB (before: {} KiB): {per:.1} KiB per connection",
                self.server_rss_kib.unwrap_or(0),
                self.server_rss_before_kib.unwrap_or(0)
            );
        }
        if let Some(st) = &self.storm {
            let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
            let _ = writeln!(
                s,
                "  storm: {} lost, {} back, {} not back; back from the {} in ms: 50% {}, 99% {}, \
                 100% {}; {} reconnection attempts, {} failed; refused {} before, {} after",
                st.lost,
                st.reconnected,
                st.not_back,
                st.since,
                ms(st.p50_ms),
                ms(st.p99_ms),
                ms(st.p100_ms),
                st.reconnect_attempts,
                st.reconnect_errors,
                st.refused_before,
                st.refused_after
            );
        }
        let o = &self.open_errors;
        if o.total() > 0 {
            let _ = writeln!(
                s,
                "  WebSocket opens failed: {} refused, {} reset, {} timed out, {} other",
                o.refused, o.reset, o.timed_out, o.other
            );
        }
        let _ = writeln!(
            s,
            "  generator CPU {:.2} s ({:.0}% of a core){}",
            self.generator_cpu_s,
            self.generator_cpu_share * 100.0,
            if self.generator_saturated {
                ": SATURATED, the generator may be the bottleneck"
            } else {
                ""
            }
        );
        let _ = writeln!(
            s,
            "  errors {}: connect {}, disconnects {}, ack errors {}, lost acks {} (of {} emitted), \
             missing deliveries {}, stalls {}, unexpected {}",
            self.errors,
            self.connect_errors,
            self.disconnects,
            self.ack_errors,
            self.lost_acks,
            self.emitted,
            self.missing_deliveries,
            self.stalls,
            self.unexpected
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unanswered_ack_says_who_what_and_when() {
        use std::time::Duration;
        let lost = Unanswered {
            client: 17,
            sid: Some("abc".into()),
            connected: true,
            n: Some(812),
            emitted: Some(Duration::from_millis(3_000)),
            last_acked: Some((811, Duration::from_millis(2_999))),
        };
        assert_eq!(
            lost.line(Duration::from_millis(9_000)),
            "client 17 (socket abc, connected): echo-ack n=812 emitted 6.000 s before the count; \
             last ack n=811, 6.001 s before"
        );
        let join = Unanswered {
            client: 3,
            sid: None,
            connected: false,
            n: None,
            emitted: None,
            last_acked: None,
        };
        assert_eq!(
            join.line(Duration::ZERO),
            "client 3 (socket -, not connected): join; no ack before"
        );
    }

    #[test]
    fn percentiles_come_from_the_histogram_not_averages() {
        let mut h = new_histogram();
        for us in 1..=1000 {
            h.record(us * 1000).unwrap();
        }
        let l = Latency::of(&h);
        assert_eq!(l.count, 1000);
        // Within the histogram's 3 significant digits.
        assert!((l.p50_ms - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99_ms - 990.0).abs() < 1.0, "{l:?}");
        assert!((l.p999_ms - 999.0).abs() < 1.0, "{l:?}");
        assert!((l.max_ms - 1000.0).abs() < 1.0, "{l:?}");
        assert_eq!(Latency::of(&new_histogram()), Latency::default());
    }

    #[test]
    fn storm_times_count_from_the_restart() {
        let (ms, p50, p99, p100) = Storm::of(&[1_500, 1_100, 1_300, 900], 1_000);
        assert_eq!(ms, vec![-100, 100, 300, 500]);
        assert_eq!((p50, p99, p100), (Some(100.0), Some(500.0), Some(500.0)));
        let at: Vec<u64> = (1..=200).collect();
        let (_, p50, p99, p100) = Storm::of(&at, 0);
        assert_eq!((p50, p99, p100), (Some(100.0), Some(198.0), Some(200.0)));
        assert_eq!(Storm::of(&[], 0).3, None);
    }

    #[test]
    fn open_errors_are_counted_by_cause() {
        use std::io::ErrorKind as K;
        let mut o = OpenErrors::default();
        for k in [
            K::ConnectionRefused,
            K::ConnectionReset,
            K::UnexpectedEof,
            K::TimedOut,
            K::Other,
        ] {
            o.count(k, 7);
        }
        assert_eq!(
            (o.refused, o.reset, o.timed_out, o.other, o.total()),
            (1, 2, 1, 1, 5)
        );
    }

    #[test]
    fn latency_is_recorded_only_in_the_window() {
        let c = Counters::new();
        c.record_latency(10);
        assert!(c.latency.borrow().is_empty());
        c.measuring.set(true);
        c.record_latency(0);
        c.record_latency(MAX_LATENCY_US * 10);
        assert_eq!(c.latency.borrow().len(), 2);
    }
}
