//! What each client sends and how it reads what comes back: the event vocabulary every benchmark
//! server implements (`echo-ack`, `join`, `to-room`), and the per-client behaviour of each
//! workload.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

use proto::client::Event;
use proto::socket::Args;
use proto::socket::client::{AckHandle, Emit, Event as SocketEvent, SocketId};

use crate::driver::{Driver, now, since_epoch};
use crate::stats::{Counters, Unanswered, bump, unix_ms};

/// The room of G3.
pub const ROOM: &str = "bench";

/// G1, G2, G6: one argument, a small object as applications send; with `items` (a JSON array
/// from [`feed_items`]), an object holding them.
pub fn echo_args(n: u64, items: &str) -> String {
    if items.is_empty() {
        format!(r#"["echo-ack",{{"n":{n},"text":"sockeye load generator"}}]"#)
    } else {
        format!(r#"["echo-ack",{{"n":{n},"items":{items}}}]"#)
    }
}

/// `--payload-bytes`: a JSON array of generated feed records, such that [`echo_args`] with it is
/// about `bytes` long (within one record); empty for 0. The same for every run: ids, names,
/// numbers and words from a fixed pseudo-random sequence, so that it compresses about as app
/// data does (neither a repeated string nor noise).
pub fn feed_items(bytes: usize) -> String {
    const WORDS: [&str; 24] = [
        "socket", "event", "room", "message", "latency", "server", "client", "browser", "stream",
        "packet", "ack", "reply", "online", "typing", "channel", "update", "status", "queue",
        "retry", "batch", "order", "price", "ticket", "alert",
    ];
    if bytes == 0 {
        return String::new();
    }
    let overhead = echo_args(u64::MAX, "[]").len();
    let mut x: u64 = 0x5eed;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    let mut out = String::from("[");
    let mut id = 1000;
    while overhead + out.len() < bytes {
        if out.len() > 1 {
            out.push(',');
        }
        id += 1 + next(7);
        let word = |i: u64| WORDS.get(i as usize).copied().unwrap_or("x");
        let _ = write!(
            out,
            r#"{{"id":{id},"user":"user-{}","score":{}.{:02},"tags":["{}","{}"],"text":"{} {} {} {}"}}"#,
            next(5000),
            next(100),
            next(100),
            word(next(24)),
            word(next(24)),
            word(next(24)),
            word(next(24)),
            word(next(24)),
            word(next(24)),
        );
    }
    out.push(']');
    out
}

/// G3 receivers: `join(room)`.
pub fn join_args() -> String {
    format!(r#"["join","{ROOM}"]"#)
}

/// G3 emitter: `to-room(room, "tick", sent_at_us)`.
pub fn broadcast_args(sent_at_us: u64) -> String {
    let mut s = String::with_capacity(40);
    let _ = write!(s, r#"["to-room","{ROOM}","tick",{sent_at_us}]"#);
    s
}

/// The send time of a G3 broadcast event (`["tick", sent_at_us]`, or `["tick", sent_at_us,
/// offset]` with the string offset a server with connection state recovery appends), if that is
/// what `args` is.
pub fn parse_tick(args: &str) -> Option<u64> {
    let rest = args.strip_prefix(r#"["tick","#)?.trim_start();
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    let after = rest.get(end..)?.trim_start();
    let closed = after.starts_with(']')
        || after.strip_prefix(',').is_some_and(|offset| {
            // One JSON string, then the end: offsets are ids without escapes or quotes.
            let offset = offset.trim_start();
            offset.strip_prefix('"').is_some_and(|o| {
                o.find('"').is_some_and(|q| {
                    !o.get(..q).is_some_and(|s| s.contains('\\'))
                        && o.get(q + 1..).is_some_and(|t| t.trim() == "]")
                })
            })
        });
    if closed {
        rest.get(..end)?.parse().ok()
    } else {
        None
    }
}

/// What one connected client does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// One emit-with-ack in flight, always (G1, G6).
    Echo,
    /// Emits every `interval`, from `phase` after connecting (G2).
    Paced { interval: Duration, phase: Duration },
    /// Joins the room, then counts broadcasts (G3).
    Receiver,
    /// Broadcasts to the room once the load starts, `window` broadcasts ahead of the deliveries
    /// at most (G3).
    Emitter { window: u64 },
    /// Stays connected (G4).
    Idle,
    /// Stays connected, and reconnects (the core's manager does) when the connection is lost.
    Storm,
    /// Joins the room and counts broadcasts, and emits every `interval` as [`Role::Paced`]
    /// (`mixed`).
    Member { interval: Duration, phase: Duration },
    /// Broadcasts to the room every `interval` once the load starts (`mixed`).
    Broadcaster { interval: Duration },
}

/// The per-client state of a role.
pub(crate) struct Behaviour {
    pub(crate) role: Role,
    pub(crate) socket: SocketId,
    /// Emits waiting for their ack.
    pending: VecDeque<Awaited>,
    join: Option<AckHandle>,
    /// The highest `n` acknowledged, and when (on the run's clock): for the report of lost acks.
    last_acked: Option<(u64, Duration)>,
    seq: u64,
    /// When the workload's own timer fires next (G2's next emit, the emitter's next check).
    pub(crate) tick: Option<tokio::time::Instant>,
    /// The emitter waits for deliveries (it listens to [`Counters::progress`]).
    pub(crate) blocked: bool,
    blocked_since: Option<std::time::Instant>,
    /// Broadcasts the emitter stopped waiting for (see [`Counters::stalls`]).
    forgiven: u64,
    /// The socket is gone: the task ends.
    pub(crate) done: bool,
    /// `--payload-bytes`: what the `echo-ack` object holds ([`feed_items`]), or empty.
    pub(crate) items: std::rc::Rc<str>,
    connected: bool,
    /// Connected at least once.
    ever: bool,
    /// Storm: the connection was lost and is not back yet.
    lost: bool,
    /// The load started for this client.
    begun: bool,
}

/// An emit waiting for its ack.
struct Awaited {
    handle: AckHandle,
    /// The `n` of its `echo-ack` (its ack id too in G1 and G6: every emit there asks for one).
    n: u64,
    /// When its latency counts from.
    since: std::time::Instant,
    /// When it was emitted, on the run's clock.
    emitted: Duration,
}

/// How long the G3 emitter waits for missing deliveries before going on without them.
const STALL: Duration = Duration::from_secs(2);

impl Behaviour {
    pub(crate) fn new(role: Role, socket: SocketId) -> Self {
        Behaviour {
            role,
            socket,
            pending: VecDeque::new(),
            join: None,
            last_acked: None,
            seq: 0,
            tick: None,
            blocked: false,
            blocked_since: None,
            forgiven: 0,
            done: false,
            items: std::rc::Rc::from(""),
            connected: false,
            ever: false,
            lost: false,
            begun: false,
        }
    }

    /// Acts on one event of the client.
    pub(crate) fn on_event(&mut self, d: &mut Driver, c: &Counters, event: Event) {
        let Event::Manager(event) = event else {
            return;
        };
        match event {
            SocketEvent::Connect { .. } => {
                self.connected = true;
                bump(&c.connected);
                if !self.ever {
                    self.ever = true;
                    bump(&c.ever_connected);
                }
                if self.lost {
                    self.lost = false;
                    c.reconnected_unix_ms.borrow_mut().push(unix_ms());
                }
                // Joining the room is part of the set-up; the load waits for every client.
                if matches!(self.role, Role::Receiver | Role::Member { .. }) {
                    self.join = self.emit(d, c, join_args(), None);
                }
                if c.go.get() {
                    self.begin(d, c);
                }
            }
            SocketEvent::Ack { handle, result, .. } => {
                if self.join == Some(handle) {
                    self.join = None;
                    match result {
                        Ok(_) => {
                            bump(&c.acked);
                            bump(&c.joined);
                        }
                        Err(_) => bump(&c.ack_errors),
                    }
                    return;
                }
                let awaited = self
                    .pending
                    .iter()
                    .position(|a| a.handle == handle)
                    .and_then(|i| self.pending.remove(i));
                let started = awaited.as_ref().map(|a| a.since);
                match result {
                    Ok(_) => {
                        bump(&c.acked);
                        if let Some(a) = awaited
                            && self.last_acked.is_none_or(|(n, _)| n < a.n)
                        {
                            self.last_acked = Some((a.n, since_epoch()));
                        }
                        let broadcasting =
                            matches!(self.role, Role::Emitter { .. } | Role::Broadcaster { .. });
                        if c.measuring.get() && !broadcasting {
                            bump(&c.window_acks);
                            if let Some(at) = started {
                                c.record_latency(micros(at.elapsed()));
                            }
                        }
                        if self.role == Role::Echo && !c.stopping.get() {
                            self.emit_echo(d, c);
                        }
                    }
                    Err(_) => bump(&c.ack_errors),
                }
            }
            SocketEvent::Event { args, .. } => match parse_tick(args.text()) {
                Some(sent_at) if self.role == Role::Receiver => {
                    bump(&c.delivered);
                    if c.measuring.get() {
                        bump(&c.window_deliveries);
                        c.record_latency(since_epoch_us().saturating_sub(sent_at));
                    }
                    c.progress.notify_one();
                }
                Some(sent_at) if matches!(self.role, Role::Member { .. }) => {
                    bump(&c.delivered);
                    if c.measuring.get() {
                        bump(&c.window_deliveries);
                        c.record_delivery_latency(since_epoch_us().saturating_sub(sent_at));
                    }
                }
                _ => bump(&c.unexpected),
            },
            SocketEvent::Disconnect { .. } => {
                if self.connected {
                    self.connected = false;
                    c.connected.set(c.connected.get().saturating_sub(1));
                }
                if self.role == Role::Storm && !c.stopping.get() {
                    // The manager reconnects: the task goes on.
                    self.lost = true;
                    bump(&c.lost);
                    if c.first_lost_unix_ms.get().is_none() {
                        c.first_lost_unix_ms.set(Some(unix_ms()));
                    }
                    return;
                }
                if !c.stopping.get() {
                    bump(&c.disconnects);
                }
                self.done = true;
            }
            // A failed reconnection attempt: the socket's `connect_error` follows the manager's
            // `reconnect_error`, counted below, and the manager tries again.
            SocketEvent::ConnectError { .. } if self.role == Role::Storm && self.ever => {}
            SocketEvent::ConnectError { .. } => {
                bump(&c.connect_errors);
                self.done = true;
            }
            SocketEvent::ReconnectAttempt(_) => {
                bump(&c.reconnect_attempts);
                c.attempt_unix_ms.borrow_mut().push(unix_ms());
            }
            SocketEvent::ReconnectError(_) => bump(&c.reconnect_errors),
            // The socket's own event (ConnectError, Disconnect) follows the manager's.
            _ => {}
        }
    }

    /// Starts the load, once every client is connected (see [`Counters::go`]) and this one is.
    pub(crate) fn begin(&mut self, d: &mut Driver, c: &Counters) {
        if !self.connected || self.begun {
            return;
        }
        self.begun = true;
        match self.role {
            Role::Echo => self.emit_echo(d, c),
            Role::Paced { phase, .. } | Role::Member { phase, .. } => {
                self.tick = Some(tokio::time::Instant::now() + phase);
            }
            Role::Emitter { .. } | Role::Broadcaster { .. } => {
                self.tick = Some(tokio::time::Instant::now());
            }
            Role::Receiver | Role::Idle | Role::Storm => {}
        }
    }

    /// The workload's timer fired.
    pub(crate) fn on_tick(&mut self, d: &mut Driver, c: &Counters) {
        let Some(due) = self.tick.take() else {
            return;
        };
        if c.stopping.get() {
            return;
        }
        match self.role {
            Role::Paced { interval, .. } | Role::Member { interval, .. } => {
                // Latency counts from when the emit was due, not from when it went out.
                let late = tokio::time::Instant::now().saturating_duration_since(due);
                let due_std = std::time::Instant::now()
                    .checked_sub(late)
                    .unwrap_or_else(std::time::Instant::now);
                self.emit_awaited(d, c, due_std);
                self.tick = Some(due + interval);
            }
            Role::Emitter { .. } => self.broadcast(d, c),
            Role::Broadcaster { interval } => {
                // Paced: a broadcast the server answers late does not hold up the next one. An
                // emit that fails (not connected any more) leaves the timer off: the Disconnect
                // event ends the task.
                let sent = self.emit(d, c, broadcast_args(since_epoch_us()), None);
                if sent.is_some() {
                    bump(&c.broadcasts);
                    self.tick = Some(due + interval);
                }
            }
            _ => {}
        }
    }

    /// The emitter: sends while the window allows, else waits for deliveries (or the stall
    /// timer).
    pub(crate) fn broadcast(&mut self, d: &mut Driver, c: &Counters) {
        let Role::Emitter { window } = self.role else {
            return;
        };
        self.blocked = false;
        if c.stopping.get() {
            self.tick = None;
            return;
        }
        let receivers = c.receivers.get();
        if receivers == 0 {
            self.tick = Some(tokio::time::Instant::now() + Duration::from_millis(20));
            return;
        }
        loop {
            let complete = c.delivered.get() / receivers + self.forgiven;
            if c.broadcasts.get() < complete + window {
                self.blocked_since = None;
                let args = broadcast_args(since_epoch_us());
                if self.emit(d, c, args, None).is_some() {
                    bump(&c.broadcasts);
                } else {
                    // Not connected any more: the Disconnect event ends the task.
                    return;
                }
                continue;
            }
            let since = *self
                .blocked_since
                .get_or_insert_with(std::time::Instant::now);
            if since.elapsed() >= STALL {
                bump(&c.stalls);
                self.forgiven += 1;
                self.blocked_since = None;
                continue;
            }
            self.blocked = true;
            self.tick = Some(tokio::time::Instant::now() + STALL);
            return;
        }
    }

    fn emit_echo(&mut self, d: &mut Driver, c: &Counters) {
        self.emit_awaited(d, c, std::time::Instant::now());
    }

    /// Emits the next `echo-ack` and waits for its ack, its latency counted from `since`.
    fn emit_awaited(&mut self, d: &mut Driver, c: &Counters, since: std::time::Instant) {
        let n = self.seq;
        self.seq += 1;
        if let Some(handle) = self.emit(d, c, echo_args(n, &self.items), None) {
            self.pending.push_back(Awaited {
                handle,
                n,
                since,
                emitted: since_epoch(),
            });
        }
    }

    /// The acks this client still waits for (none in a run that lost none): which client, what
    /// and when it sent, what it last had answered. One report then tells whether the server
    /// answered (its `SOCKEYE_BENCH_ACK_LOG`) and which side dropped the packet.
    pub(crate) fn unanswered(&self, d: &Driver, client: u64) -> Vec<Unanswered> {
        if self.pending.is_empty() && self.join.is_none() {
            return Vec::new();
        }
        let manager = d.client.manager();
        let sid = manager.sid(self.socket).map(str::to_owned);
        let connected = manager.is_connected(self.socket);
        let join = self.join.map(|_| Unanswered {
            client,
            sid: sid.clone(),
            connected,
            n: None,
            emitted: None,
            last_acked: self.last_acked,
        });
        join.into_iter()
            .chain(self.pending.iter().map(|a| Unanswered {
                client,
                sid: sid.clone(),
                connected,
                n: Some(a.n),
                emitted: Some(a.emitted),
                last_acked: self.last_acked,
            }))
            .collect()
    }

    /// Emits `args` (a JSON array) with an ack; the handle, unless the emit failed.
    fn emit(
        &mut self,
        d: &mut Driver,
        c: &Counters,
        args: String,
        timeout: Option<Duration>,
    ) -> Option<AckHandle> {
        let Ok(args) = Args::from_json(args, Vec::new()) else {
            bump(&c.unexpected);
            return None;
        };
        let mut emit = Emit::new(args).with_ack();
        emit.timeout = timeout;
        match d.client.emit(now(), self.socket, emit) {
            Ok(Some(h)) => {
                bump(&c.emitted);
                Some(h)
            }
            _ => {
                bump(&c.unexpected);
                None
            }
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds since the process's clock epoch: the G3 emitter and receivers share the process,
/// hence the clock.
pub(crate) fn since_epoch_us() -> u64 {
    micros(crate::driver::since_epoch())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_json_arrays_named_first() {
        for args in [
            echo_args(7, ""),
            echo_args(7, &feed_items(10_000)),
            join_args(),
            broadcast_args(12),
        ] {
            let args = Args::from_json(args, Vec::new()).unwrap();
            assert!(args.event_name().is_some());
        }
        assert_eq!(
            echo_args(7, ""),
            r#"["echo-ack",{"n":7,"text":"sockeye load generator"}]"#
        );
        assert_eq!(join_args(), r#"["join","bench"]"#);
        assert_eq!(broadcast_args(12), r#"["to-room","bench","tick",12]"#);
    }

    #[test]
    fn payload_bytes_sizes_the_echo_argument() {
        assert_eq!(feed_items(0), "");
        for bytes in [300, 10_000, 100_000] {
            let args = echo_args(u64::MAX, &feed_items(bytes));
            assert!(
                args.len() >= bytes && args.len() < bytes + 200,
                "{} for {bytes}",
                args.len()
            );
            let value: serde_json::Value = serde_json::from_str(&args).unwrap();
            assert!(value[1]["items"].as_array().is_some_and(|a| !a.is_empty()));
        }
        assert_eq!(feed_items(10_000), feed_items(10_000), "the same every run");
        // As the option says: it compresses about 4 to 1, as app data does.
        let items = feed_items(10_000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, items.as_bytes()).unwrap();
        let ratio = items.len() as f64 / gz.finish().unwrap().len() as f64;
        assert!((3.0..6.0).contains(&ratio), "{ratio:.1} to 1");
    }

    // The report of a lost ack lists what a client still awaits, and only that.
    #[tokio::test(flavor = "current_thread")]
    async fn the_acks_awaited_are_reported() {
        use proto::socket::client::Auth;
        use proto::socket::packet::Nsp;
        let config = proto::client::Config::new(proto::url::EngineUrl {
            server: proto::url::ServerUrl::parse("http://127.0.0.1:9").unwrap(),
            path: "/socket.io/".into(),
            query: Vec::new(),
        });
        let addr = "127.0.0.1:9".parse().unwrap();
        let mut d = Driver::new(config, addr, 1);
        let socket = d.client.socket(now(), Nsp::root(), Auth::NONE);
        let mut b = Behaviour::new(Role::Echo, socket);
        let c = Counters::new();
        assert_eq!(b.unanswered(&d, 4), Vec::new());
        b.emit_echo(&mut d, &c);
        b.emit_echo(&mut d, &c);
        let awaited = b.unanswered(&d, 4);
        assert_eq!(awaited.len(), 2);
        assert_eq!(
            awaited.iter().map(|u| u.n).collect::<Vec<_>>(),
            [Some(0), Some(1)]
        );
        assert!(
            awaited
                .iter()
                .all(|u| u.client == 4 && !u.connected && u.sid.is_none())
        );
        assert!(
            awaited
                .iter()
                .all(|u| u.emitted.is_some() && u.last_acked.is_none())
        );
    }

    #[test]
    fn ticks_are_read_back() {
        assert_eq!(parse_tick(r#"["tick",123456]"#), Some(123_456));
        assert_eq!(parse_tick(r#"["tick", 9 ]"#), Some(9));
        assert_eq!(parse_tick(r#"["tick",12,3]"#), None);
        assert_eq!(parse_tick(r#"["tock",12]"#), None);
        assert_eq!(parse_tick(r#"["tick","12"]"#), None);
        assert_eq!(parse_tick(r#"["tick",]"#), None);
        // With the offset a server with connection state recovery appends.
        assert_eq!(parse_tick(r#"["tick",42,"1a2b-3"]"#), Some(42));
        assert_eq!(parse_tick(r#"["tick",42,"a","b"]"#), None);
        assert_eq!(parse_tick(r#"["tick",42,"a\"b"]"#), None);
        assert_eq!(parse_tick(r#"["tick",42,7]"#), None);
    }
}
