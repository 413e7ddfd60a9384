//! The simulator: one [`Client`] wired to a simulated server through a simulated network, all on
//! one virtual clock.
//!
//! - **Network.** Every HTTP request and every WebSocket is a connection ([`ConnId`]). Everything
//!   either end sends is a delivery in one queue ordered by (time, sequence), arriving `latency`
//!   later; a connection's deliveries never overtake each other, even when the latency changes.
//! - **Server.** A table of Engine.IO sessions by sid, each a [`Connection`], routed by the core's
//!   Engine.IO endpoint as the tokio server is: a GET or WebSocket without `sid` is a handshake, a
//!   request with a `sid` goes to its session, a closed session is forgotten (its sid then gets
//!   HTTP 400), and every refusal is the reference's.
//! - **Application.** [`App`]: namespaces `/` and `/admin`, an `echo`-style handler that acks every
//!   event asking for it with its arguments, events it leaves unanswered on purpose, server emits,
//!   and a minimal connection state recovery store.
//! - **Faults.** Transport cuts, partitions, silent link outages (black holes), a muted uplink,
//!   server down/restart.
//! - **Time.** The clock jumps to the earliest of the next delivery and every state machine's
//!   `poll_timeout()`; the number of steps is bounded so a bug cannot hang a test.
//!
//! Every client event, server event and wire message is recorded with its time.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::time::Duration;

use crate::client::{self, Client, EngineId};
use crate::engine::client::{Transmit as ClientTransmit, TransportError};
use crate::engine::endpoint::{Endpoint, Found, Method, Refusal, Request, Route};
use crate::engine::server::{
    self as engine_server, GetOutcome, RequestError, Transmit as ServerTransmit,
};
use crate::engine::{Frame, Sid, Transport};
use crate::json;
use crate::rng::Rng;
use crate::server::{self, Connection};
use crate::socket::args::Args;
use crate::socket::client::{self as socket_client, AckError, AckHandle, Auth, Emit, SocketId};
use crate::socket::packet::{AckId, Nsp};
use crate::socket::server::{self as socket_server, Recovery};
use crate::time::Instant;
use crate::url::{EngineUrl, ServerUrl, parse_query};

/// `n` milliseconds after the simulation's epoch.
pub(super) fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// Steps one simulation may take; a state machine that keeps asking for the same instant trips it.
const STEP_BOUND: usize = 2_000_000;

/// One simulated network connection: an HTTP request or a WebSocket.
pub(super) type ConnId = u64;

/// What a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A long-polling GET.
    Get,
    /// A long-polling POST.
    Post,
    /// A WebSocket.
    Ws,
}

/// Who holds the client end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// The [`Client`], for one of its engines.
    Client(EngineId),
    /// A hand-driven fake client ([`Sim::raw_ws`], [`Sim::raw_get`]).
    Raw,
}

#[derive(Debug)]
struct Conn {
    kind: Kind,
    owner: Owner,
    /// The server session it was routed to.
    sid: Option<Sid>,
    /// The request (or WebSocket open) reached the server.
    reached: bool,
    /// The client end expects nothing more.
    client_done: bool,
    /// The server end expects nothing more.
    server_done: bool,
    /// The network broke it: nothing more is delivered either way.
    cut: bool,
    /// When the last delivery each way arrives (TCP order under a changing latency).
    last_c2s: Instant,
    last_s2c: Instant,
}

/// Something the network carries, or a fault due at its time.
#[derive(Clone, Debug)]
enum Delivery {
    Get {
        conn: ConnId,
        url: String,
    },
    Post {
        conn: ConnId,
        url: String,
        body: String,
    },
    WsOpen {
        conn: ConnId,
        url: String,
    },
    C2sFrame {
        conn: ConnId,
        frame: Frame,
    },
    C2sWsClose {
        conn: ConnId,
    },
    Abort {
        conn: ConnId,
    },
    GetResponse {
        conn: ConnId,
        result: Result<String, TransportError>,
    },
    PostResponse {
        conn: ConnId,
        result: Result<(), TransportError>,
    },
    WsOpened {
        conn: ConnId,
    },
    S2cFrame {
        conn: ConnId,
        frame: Frame,
    },
    S2cWsClose {
        conn: ConnId,
    },
    Fault(Fault),
}

impl Delivery {
    fn conn(&self) -> Option<ConnId> {
        match self {
            Delivery::Get { conn, .. }
            | Delivery::Post { conn, .. }
            | Delivery::WsOpen { conn, .. }
            | Delivery::C2sFrame { conn, .. }
            | Delivery::C2sWsClose { conn }
            | Delivery::Abort { conn }
            | Delivery::GetResponse { conn, .. }
            | Delivery::PostResponse { conn, .. }
            | Delivery::WsOpened { conn }
            | Delivery::S2cFrame { conn, .. }
            | Delivery::S2cWsClose { conn } => Some(*conn),
            Delivery::Fault(_) => None,
        }
    }

    /// How the wire log shows it.
    fn describe(&self) -> String {
        match self {
            Delivery::Get { url, .. } => format!("GET {url}"),
            Delivery::Post { body, .. } => format!("POST {body:?}"),
            Delivery::WsOpen { url, .. } => format!("WS open {url}"),
            Delivery::C2sFrame { frame, .. } | Delivery::S2cFrame { frame, .. } => {
                frame_text(frame)
            }
            Delivery::C2sWsClose { .. } | Delivery::S2cWsClose { .. } => String::from("WS close"),
            Delivery::Abort { .. } => String::from("abort"),
            Delivery::GetResponse { result, .. } => match result {
                Ok(body) => format!("200 {body:?}"),
                Err(e) => format!("GET failed: {e}"),
            },
            Delivery::PostResponse { result, .. } => match result {
                Ok(()) => String::from("200 ok"),
                Err(e) => format!("POST failed: {e}"),
            },
            Delivery::WsOpened { .. } => String::from("WS opened"),
            Delivery::Fault(f) => format!("fault {f:?}"),
        }
    }
}

fn frame_text(frame: &Frame) -> String {
    match frame {
        Frame::Text(t) => t.clone(),
        Frame::Binary(b) => format!("<{} bytes>", b.len()),
    }
}

/// A fault due at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Every open connection breaks; both ends notice.
    CutAll,
    /// Every open WebSocket breaks; both ends notice.
    CutWs,
    /// The server process dies: connections break, sessions are forgotten, requests are refused.
    ServerDown,
    /// The server listens again (with no sessions).
    ServerUp,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    from: Instant,
    to: Instant,
}

impl Window {
    fn contains(&self, t: Instant) -> bool {
        self.from <= t && t < self.to
    }
}

/// One message as it left an end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Wire {
    /// When it was sent.
    pub(super) at: Instant,
    /// On which connection.
    pub(super) conn: ConnId,
    /// Client to server.
    pub(super) c2s: bool,
    /// The request, frame or response, as text (`2probe`, `GET <url>`, `200 "<body>"`...).
    pub(super) what: String,
    /// The network dropped it.
    pub(super) lost: bool,
}

/// What a hand-driven fake client saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RawEvent {
    /// Its WebSocket opened.
    Opened,
    /// A frame arrived.
    Frame(Frame),
    /// Its WebSocket closed (or was refused).
    Closed,
    /// Its GET was answered (or failed).
    Response(Result<String, TransportError>),
}

/// The server side of one session, with the connections that carry it.
#[derive(Debug)]
struct Srv {
    conn: Connection,
    /// Creation order, to find the newest session joined on a namespace.
    created: u64,
    parked_get: Option<ConnId>,
    ws: Option<ConnId>,
}

/// The simulation's settings.
#[derive(Clone, Debug)]
pub(super) struct SimConfig {
    /// Seeds the client (jitter, tokens) and, derived, the server's ids.
    pub(super) seed: u64,
    /// One-way latency of every delivery.
    pub(super) latency: Duration,
    /// The client's options.
    pub(super) client: client::Config,
    /// The server's Engine.IO options.
    pub(super) engine: engine_server::Config,
    /// The server's Socket.IO options.
    pub(super) socket: socket_server::Config,
    /// Connection state recovery with this `maxDisconnectionDuration`.
    pub(super) recovery: Option<Duration>,
    /// The server starts down (see [`Sim::server_up`]).
    pub(super) start_down: bool,
}

/// The URL every simulated client connects to.
pub(super) fn engine_url() -> EngineUrl {
    EngineUrl {
        server: ServerUrl::parse("http://localhost:3000").expect("a literal valid URL"),
        path: String::from("/socket.io/"),
        query: Vec::new(),
    }
}

impl SimConfig {
    /// The reference's defaults on both ends, 5 ms one-way latency.
    pub(super) fn new(seed: u64) -> Self {
        SimConfig {
            seed,
            latency: Duration::from_millis(5),
            client: client::Config::new(engine_url()),
            engine: engine_server::Config::default(),
            socket: socket_server::Config::default(),
            recovery: None,
            start_down: false,
        }
    }
}

/// The scripted server application.
#[derive(Debug, Default)]
pub(super) struct App {
    /// Namespaces that accept a CONNECT; others are refused with `Invalid namespace`.
    pub(super) namespaces: Vec<Nsp>,
    /// Events (by name) the application leaves unanswered, this many more times (`u32::MAX`:
    /// always). Every other event that asks for an ack is acked with its arguments.
    pub(super) ignore: BTreeMap<String, u32>,
    /// Connection state recovery: how long a disconnected session may be restored.
    recovery: Option<Duration>,
    /// Recoverable sessions by pid.
    persisted: BTreeMap<String, Persisted>,
    /// The pid of each joined socket.
    live: BTreeMap<(Sid, Nsp), String>,
    /// The pid of the last socket accepted on each namespace: where the application's emits go.
    last_pid: BTreeMap<Nsp, String>,
    /// Every event emitted with an offset, oldest first (the reference adapter's packet list).
    stored: Vec<Stored>,
    next_offset: u64,
}

#[derive(Clone, Debug)]
struct Persisted {
    nsp: Nsp,
    sid: String,
    /// `None` while the socket is connected.
    disconnected_at: Option<Instant>,
}

#[derive(Clone, Debug)]
struct Stored {
    offset: String,
    pid: String,
    args: String,
}

impl App {
    /// The events the recovery session `recovery` missed, and its socket id, if it may be restored
    /// now (the reference's `restoreSession`): known, not expired, and the offset still stored.
    fn restore(
        &mut self,
        now: Instant,
        nsp: &Nsp,
        recovery: &Recovery,
    ) -> Option<(String, Vec<Stored>)> {
        let max = self.recovery?;
        let session = self.persisted.get(&recovery.pid)?;
        let disconnected_at = session.disconnected_at?;
        if &session.nsp != nsp || now > disconnected_at + max {
            return None;
        }
        let index = self
            .stored
            .iter()
            .position(|s| s.offset == recovery.offset)?;
        let missed = self
            .stored
            .iter()
            .skip(index + 1)
            .filter(|s| s.pid == recovery.pid)
            .cloned()
            .collect();
        let sid = session.sid.clone();
        if let Some(session) = self.persisted.get_mut(&recovery.pid) {
            session.disconnected_at = None;
        }
        Some((sid, missed))
    }

    /// A restart loses the in-memory recovery store.
    fn forget(&mut self) {
        self.persisted.clear();
        self.live.clear();
        self.last_pid.clear();
        self.stored.clear();
    }
}

/// What [`Sim::server_emit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Emitted {
    /// The session it was sent on, if a socket was joined.
    pub(super) sid: Option<Sid>,
    /// Its recovery offset, with connection state recovery on.
    pub(super) offset: Option<String>,
}

/// The simulation. See the module docs.
#[derive(Debug)]
pub(super) struct Sim {
    now: Instant,
    seq: u64,
    queue: BTreeMap<(Instant, u64), Delivery>,
    latency: Duration,
    /// The client under test.
    pub(super) client: Client,
    conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    client_get: BTreeMap<EngineId, ConnId>,
    client_post: BTreeMap<EngineId, ConnId>,
    client_ws: BTreeMap<EngineId, ConnId>,
    sessions: BTreeMap<Sid, Srv>,
    next_session: u64,
    server_rng: Rng,
    server_up: bool,
    engine_config: engine_server::Config,
    socket_config: socket_server::Config,
    /// The server application.
    pub(super) app: App,
    partitions: Vec<Window>,
    blackholes: Vec<Window>,
    mutes: Vec<Window>,
    /// The client application acks every server event that asks for one, with its arguments.
    pub(super) client_auto_ack: bool,
    /// The fake client answers pings.
    pub(super) raw_auto_pong: bool,
    /// Every client event, with its time.
    pub(super) client_log: Vec<(Instant, client::Event)>,
    /// Every server event, with its time and session.
    pub(super) server_log: Vec<(Instant, Sid, server::Event)>,
    /// What the fake client saw.
    pub(super) raw_log: Vec<(Instant, ConnId, RawEvent)>,
    /// Every message sent, either way.
    pub(super) wire: Vec<Wire>,
    /// Things a correct state machine never asks of its driver (a frame with no WebSocket, a second
    /// GET in flight, a response with no parked GET...).
    pub(super) anomalies: Vec<String>,
    /// Times the server restarted or went down.
    pub(super) restarts: Vec<Instant>,
    steps: usize,
}

impl Sim {
    /// A simulation at time 0; the client starts connecting at once (with `auto_connect`).
    pub(super) fn new(config: SimConfig) -> Sim {
        let now = Instant::ZERO;
        let server_up = !config.start_down;
        let client = Client::new(now, config.client, config.seed);
        let mut server_rng = Rng::new(config.seed ^ 0x5eed_5e7e_u64);
        let _ = server_rng.next_u64();
        let namespaces = alloc::vec![
            Nsp::root(),
            Nsp::new("/admin").expect("a literal namespace")
        ];
        let mut sim = Sim {
            now,
            seq: 0,
            queue: BTreeMap::new(),
            latency: config.latency,
            client,
            conns: BTreeMap::new(),
            next_conn: 0,
            client_get: BTreeMap::new(),
            client_post: BTreeMap::new(),
            client_ws: BTreeMap::new(),
            sessions: BTreeMap::new(),
            next_session: 0,
            server_rng,
            server_up,
            engine_config: config.engine,
            socket_config: config.socket,
            app: App {
                namespaces,
                recovery: config.recovery,
                ..App::default()
            },
            partitions: Vec::new(),
            blackholes: Vec::new(),
            mutes: Vec::new(),
            client_auto_ack: true,
            raw_auto_pong: false,
            client_log: Vec::new(),
            server_log: Vec::new(),
            raw_log: Vec::new(),
            wire: Vec::new(),
            anomalies: Vec::new(),
            restarts: Vec::new(),
            steps: 0,
        };
        sim.pump();
        sim
    }

    // ---- the clock ----

    /// The virtual time.
    pub(super) fn now(&self) -> Instant {
        self.now
    }

    /// Changes the one-way latency of what is sent from now on (in-flight deliveries keep theirs;
    /// a connection's order is kept).
    pub(super) fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }

    /// Runs everything due up to `at`, then sets the clock to `at`.
    pub(super) fn run_until(&mut self, at: Instant) {
        while self.step(at) {}
        if at > self.now {
            self.now = at;
        }
    }

    /// Runs for `ms` milliseconds of virtual time.
    pub(super) fn run_for(&mut self, ms: u64) {
        let at = self.now + Duration::from_millis(ms);
        self.run_until(at);
    }

    /// Runs until `done` holds (checked before the first step and after each), or until `limit`.
    /// Returns whether `done` held; the clock stays where it held.
    pub(super) fn run_until_that(&mut self, limit: Instant, done: impl Fn(&Sim) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if !self.step(limit) {
                if limit > self.now {
                    self.now = limit;
                }
                return done(self);
            }
        }
    }

    /// The earliest thing due: a delivery or a timer of either end.
    fn next_wakeup(&self) -> Option<Instant> {
        let delivery = self.queue.first_key_value().map(|(&(at, _), _)| at);
        let client = self.client.poll_timeout();
        let server = self
            .sessions
            .values()
            .filter_map(|s| s.conn.poll_timeout())
            .min();
        [delivery, client, server].into_iter().flatten().min()
    }

    /// Handles the earliest thing due, if it is due by `limit`. Deliveries go before timers at the
    /// same instant, the client's timers before the server's.
    fn step(&mut self, limit: Instant) -> bool {
        let Some(next) = self.next_wakeup().filter(|&t| t <= limit) else {
            return false;
        };
        self.steps += 1;
        assert!(
            self.steps < STEP_BOUND,
            "step bound reached at {:?}: something keeps asking for the same instant",
            self.now
        );
        let at = next.max(self.now);
        assert!(at >= self.now, "time went backwards");
        self.now = at;
        let delivery = match self.queue.first_key_value() {
            Some((&(t, seq), _)) if t <= at => self.queue.remove(&(t, seq)),
            _ => None,
        };
        if let Some(delivery) = delivery {
            self.deliver(delivery);
        } else if self.client.poll_timeout().is_some_and(|t| t <= at) {
            self.client.handle_timeout(at);
        } else {
            let due = self
                .sessions
                .iter()
                .find(|(_, s)| s.conn.poll_timeout().is_some_and(|t| t <= at))
                .map(|(sid, _)| sid.clone());
            if let Some(sid) = due {
                if let Some(srv) = self.sessions.get_mut(&sid) {
                    srv.conn.handle_timeout(at);
                }
            }
        }
        self.pump();
        true
    }

    // ---- faults ----

    fn schedule_fault(&mut self, at: Instant, fault: Fault) {
        if at <= self.now {
            self.apply_fault(fault);
            self.pump();
        } else {
            self.seq += 1;
            self.queue.insert((at, self.seq), Delivery::Fault(fault));
        }
    }

    /// At `at` (now, if past), every open connection breaks: the WebSocket drops, HTTP requests in
    /// flight fail with a network error, on both ends.
    pub(super) fn cut_transport(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::CutAll);
    }

    /// At `at` (now, if past), every open WebSocket breaks (HTTP requests are untouched).
    pub(super) fn cut_websocket(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::CutWs);
    }

    /// From `from` to `to` the hosts cannot reach each other: open connections break at `from`,
    /// what is sent in the window is lost, and new requests fail (after a round trip).
    pub(super) fn partition(&mut self, from: Instant, to: Instant) {
        self.partitions.push(Window { from, to });
        self.schedule_fault(from, Fault::CutAll);
    }

    /// From `from` to `to` the link is dead and nobody is told (a pulled cable): what either end
    /// sends is held, as TCP retransmits it, and arrives one latency after `to`. An end that gives
    /// up meanwhile (a ping timeout) closes, and what arrives later finds nobody listening.
    pub(super) fn blackhole(&mut self, from: Instant, to: Instant) {
        self.blackholes.push(Window { from, to });
    }

    /// From `from` to `to` what the client sends is silently lost; the server's sends still arrive.
    pub(super) fn mute_client(&mut self, from: Instant, to: Instant) {
        self.mutes.push(Window { from, to });
    }

    /// At `at` the server process dies: its connections break, its sessions (and the recovery store)
    /// are forgotten, and requests are refused until [`Sim::server_up`].
    pub(super) fn server_down(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerDown);
    }

    /// At `at` the server accepts connections again.
    pub(super) fn server_up(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerUp);
    }

    /// At `at` the server restarts: down and up at once.
    pub(super) fn restart_server(&mut self, at: Instant) {
        self.schedule_fault(at, Fault::ServerDown);
        self.schedule_fault(at, Fault::ServerUp);
    }

    /// The transports the server accepts for new sessions from now on (a proxy that starts
    /// refusing WebSockets, say).
    pub(super) fn set_server_transports(&mut self, transports: Vec<Transport>) {
        self.engine_config.transports = transports;
    }

    fn apply_fault(&mut self, fault: Fault) {
        self.record_wire(u64::MAX, false, format!("fault {fault:?}"), false);
        match fault {
            Fault::CutAll => self.cut(false, true),
            Fault::CutWs => self.cut(true, true),
            Fault::ServerDown => {
                self.cut(false, false);
                self.sessions.clear();
                self.app.forget();
                self.server_up = false;
                self.restarts.push(self.now);
            }
            Fault::ServerUp => self.server_up = true,
        }
    }

    /// Breaks open connections; `notify_server` is false when the server process is gone.
    fn cut(&mut self, only_ws: bool, notify_server: bool) {
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                let open = !c.client_done || !c.server_done;
                !c.cut && open && (!only_ws || c.kind == Kind::Ws)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            c.cut = true;
            let notify_client = !c.client_done;
            let notify_srv = notify_server && c.reached && !c.server_done;
            c.client_done = true;
            c.server_done = true;
            if notify_srv {
                self.server_conn_lost(id);
            }
            if notify_client {
                self.client_conn_lost(id);
            }
        }
    }

    fn server_conn_lost(&mut self, id: ConnId) {
        let Some(sid) = self.conns.get(&id).and_then(|c| c.sid.clone()) else {
            return;
        };
        let now = self.now;
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        if srv.parked_get == Some(id) {
            srv.parked_get = None;
            srv.conn.handle_poll_get_aborted(now);
        }
        if srv.ws == Some(id) {
            srv.ws = None;
            srv.conn.handle_ws_close(now);
        }
    }

    fn client_conn_lost(&mut self, id: ConnId) {
        let Some(c) = self.conns.get(&id) else {
            return;
        };
        let (kind, owner) = (c.kind, c.owner);
        let now = self.now;
        let reset = || TransportError::Network(String::from("connection reset"));
        match owner {
            Owner::Client(eid) => match kind {
                Kind::Get => {
                    forget(&mut self.client_get, eid, id);
                    self.client.handle_poll_response(now, eid, Err(reset()));
                }
                Kind::Post => {
                    forget(&mut self.client_post, eid, id);
                    self.client.handle_post_response(now, eid, Err(reset()));
                }
                Kind::Ws => {
                    forget(&mut self.client_ws, eid, id);
                    self.client.handle_ws_close(now, eid);
                }
            },
            Owner::Raw => {
                let event = match kind {
                    Kind::Ws => RawEvent::Closed,
                    Kind::Get | Kind::Post => RawEvent::Response(Err(reset())),
                };
                self.raw_log.push((now, id, event));
            }
        }
    }

    // ---- the network ----

    fn new_conn(&mut self, kind: Kind, owner: Owner) -> ConnId {
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(
            id,
            Conn {
                kind,
                owner,
                sid: None,
                reached: false,
                client_done: false,
                server_done: false,
                cut: false,
                last_c2s: Instant::ZERO,
                last_s2c: Instant::ZERO,
            },
        );
        id
    }

    fn record_wire(&mut self, conn: ConnId, c2s: bool, what: String, lost: bool) {
        self.wire.push(Wire {
            at: self.now,
            conn,
            c2s,
            what,
            lost,
        });
    }

    /// Sends from the client end: lost in a black hole or while muted, refused in a partition.
    fn send_c2s(&mut self, delivery: Delivery) {
        let Some(conn) = delivery.conn() else {
            return;
        };
        let now = self.now;
        let silent = self.mutes.iter().any(|w| w.contains(now));
        let partitioned = self.partitions.iter().any(|w| w.contains(now));
        let cut = self.conns.get(&conn).is_none_or(|c| c.cut);
        let lost = silent || partitioned || cut;
        self.record_wire(conn, true, delivery.describe(), lost);
        if silent || cut {
            return;
        }
        if partitioned {
            // A new request cannot reach the host: it fails after a round trip.
            let failure = match delivery {
                Delivery::Get { .. } => Delivery::GetResponse {
                    conn,
                    result: Err(TransportError::Network(String::from("host unreachable"))),
                },
                Delivery::Post { .. } => Delivery::PostResponse {
                    conn,
                    result: Err(TransportError::Network(String::from("host unreachable"))),
                },
                Delivery::WsOpen { .. } => Delivery::S2cWsClose { conn },
                _ => return,
            };
            if let Some(c) = self.conns.get_mut(&conn) {
                c.reached = true;
                c.server_done = true;
            }
            let at = now + self.latency + self.latency;
            self.enqueue_s2c_at(conn, at, failure);
            return;
        }
        let at = self.link_up_at() + self.latency;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let at = at.max(c.last_c2s);
        c.last_c2s = at;
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    /// Sends from the server end: lost in a black hole.
    fn send_s2c(&mut self, delivery: Delivery) {
        let Some(conn) = delivery.conn() else {
            return;
        };
        let now = self.now;
        let partitioned = self.partitions.iter().any(|w| w.contains(now));
        let cut = self.conns.get(&conn).is_none_or(|c| c.cut);
        let lost = partitioned || cut;
        self.record_wire(conn, false, delivery.describe(), lost);
        if lost {
            return;
        }
        let at = self.link_up_at() + self.latency;
        self.enqueue_s2c_at(conn, at, delivery);
    }

    /// When what is sent now starts its way: now, or the end of the black hole it falls in.
    fn link_up_at(&self) -> Instant {
        let now = self.now;
        self.blackholes
            .iter()
            .filter(|w| w.contains(now))
            .map(|w| w.to)
            .fold(now, Instant::max)
    }

    fn enqueue_s2c_at(&mut self, conn: ConnId, at: Instant, delivery: Delivery) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let at = at.max(c.last_s2c);
        c.last_s2c = at;
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    fn deliver(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Fault(fault) => self.apply_fault(fault),
            Delivery::Get { conn, url } => self.server_get(conn, &url),
            Delivery::Post { conn, url, body } => self.server_post(conn, &url, &body),
            Delivery::WsOpen { conn, url } => self.server_ws_open(conn, &url),
            Delivery::C2sFrame { conn, frame } => self.server_frame(conn, frame),
            Delivery::C2sWsClose { conn } => self.server_ws_close(conn),
            Delivery::Abort { conn } => self.server_abort(conn),
            Delivery::GetResponse { conn, result } => self.client_get_response(conn, result),
            Delivery::PostResponse { conn, result } => self.client_post_response(conn, result),
            Delivery::WsOpened { conn } => self.client_ws_opened(conn),
            Delivery::S2cFrame { conn, frame } => self.client_frame(conn, frame),
            Delivery::S2cWsClose { conn } => self.client_ws_closed(conn),
        }
    }

    // ---- the client end ----

    /// Drains the client; returns whether anything came out.
    fn drain_client(&mut self) -> bool {
        let mut moved = false;
        loop {
            if let Some((eid, transmit)) = self.client.poll_transmit() {
                moved = true;
                self.on_client_transmit(eid, transmit);
                continue;
            }
            if let Some(event) = self.client.poll_event() {
                moved = true;
                self.on_client_event(event);
                continue;
            }
            return moved;
        }
    }

    fn on_client_transmit(&mut self, eid: EngineId, transmit: ClientTransmit) {
        match transmit {
            ClientTransmit::WsOpen { url } => {
                let conn = self.new_conn(Kind::Ws, Owner::Client(eid));
                if self.client_ws.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} opened a second WebSocket", self.now));
                }
                self.send_c2s(Delivery::WsOpen { conn, url });
            }
            ClientTransmit::WsSend(frame) => match self.client_ws.get(&eid) {
                Some(&conn) => self.send_c2s(Delivery::C2sFrame { conn, frame }),
                None => self.anomalies.push(format!(
                    "{:?}: {eid} sent {} with no WebSocket",
                    self.now,
                    frame_text(&frame)
                )),
            },
            ClientTransmit::WsClose => match self.client_ws.remove(&eid) {
                Some(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.client_done = true;
                    }
                    self.send_c2s(Delivery::C2sWsClose { conn });
                }
                None => self.anomalies.push(format!(
                    "{:?}: {eid} closed a WebSocket it has not",
                    self.now
                )),
            },
            ClientTransmit::PollGet { url } => {
                let conn = self.new_conn(Kind::Get, Owner::Client(eid));
                if self.client_get.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} has two GETs in flight", self.now));
                }
                self.send_c2s(Delivery::Get { conn, url });
            }
            ClientTransmit::PollPost { url, body } => {
                let conn = self.new_conn(Kind::Post, Owner::Client(eid));
                if self.client_post.insert(eid, conn).is_some() {
                    self.anomalies
                        .push(format!("{:?}: {eid} has two POSTs in flight", self.now));
                }
                self.send_c2s(Delivery::Post { conn, url, body });
            }
            ClientTransmit::PollAbort => {
                let get = self.client_get.remove(&eid);
                let post = self.client_post.remove(&eid);
                for conn in [get, post].into_iter().flatten() {
                    let Some(c) = self.conns.get_mut(&conn) else {
                        continue;
                    };
                    if !c.client_done {
                        c.client_done = true;
                        self.send_c2s(Delivery::Abort { conn });
                    }
                }
            }
        }
    }

    fn on_client_event(&mut self, event: client::Event) {
        let now = self.now;
        self.client_log.push((now, event.clone()));
        if !self.client_auto_ack {
            return;
        }
        if let client::Event::Manager(socket_client::Event::Event {
            socket,
            args,
            id: Some(id),
        }) = event
        {
            let r = self.client.ack(now, socket, id, args.without_first());
            if let Err(e) = r {
                self.anomalies
                    .push(format!("{now:?}: the client's ack failed: {e}"));
            }
        }
    }

    /// The client end of `conn` takes a delivery, unless it is done with it.
    fn client_takes(&mut self, conn: ConnId, last: bool) -> Option<Owner> {
        let c = self.conns.get_mut(&conn)?;
        if c.cut || c.client_done {
            return None;
        }
        if last {
            c.client_done = true;
        }
        Some(c.owner)
    }

    fn client_get_response(&mut self, conn: ConnId, result: Result<String, TransportError>) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_get, eid, conn);
                self.client.handle_poll_response(now, eid, result);
            }
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Response(result))),
            None => {}
        }
    }

    fn client_post_response(&mut self, conn: ConnId, result: Result<(), TransportError>) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_post, eid, conn);
                self.client.handle_post_response(now, eid, result);
            }
            Some(Owner::Raw) => {
                let result = result.map(|()| String::from("ok"));
                self.raw_log.push((now, conn, RawEvent::Response(result)));
            }
            None => {}
        }
    }

    fn client_ws_opened(&mut self, conn: ConnId) {
        let now = self.now;
        match self.client_takes(conn, false) {
            Some(Owner::Client(eid)) => self.client.handle_ws_open(now, eid),
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Opened)),
            None => {}
        }
    }

    fn client_frame(&mut self, conn: ConnId, frame: Frame) {
        let now = self.now;
        match self.client_takes(conn, false) {
            Some(Owner::Client(eid)) => self.client.handle_ws_frame(now, eid, frame),
            Some(Owner::Raw) => {
                let ping = frame == Frame::Text(String::from("2"));
                self.raw_log.push((now, conn, RawEvent::Frame(frame)));
                if ping && self.raw_auto_pong {
                    self.raw_send(conn, Frame::Text(String::from("3")));
                }
            }
            None => {}
        }
    }

    fn client_ws_closed(&mut self, conn: ConnId) {
        let now = self.now;
        match self.client_takes(conn, true) {
            Some(Owner::Client(eid)) => {
                forget(&mut self.client_ws, eid, conn);
                self.client.handle_ws_close(now, eid);
            }
            Some(Owner::Raw) => self.raw_log.push((now, conn, RawEvent::Closed)),
            None => {}
        }
    }

    // ---- the fake client ----

    fn raw_url(&self, transport: Transport, sid: Option<&str>) -> String {
        let sid = sid.map(|s| Sid::new(s).expect("a valid sid"));
        engine_url().request(transport, sid.as_ref(), None)
    }

    /// The fake client opens a WebSocket (a WebSocket-only handshake without `sid`).
    pub(super) fn raw_ws(&mut self, sid: Option<&str>) -> ConnId {
        let url = self.raw_url(Transport::WebSocket, sid);
        let conn = self.new_conn(Kind::Ws, Owner::Raw);
        self.send_c2s(Delivery::WsOpen { conn, url });
        conn
    }

    /// The fake client sends a polling GET (a handshake without `sid`).
    pub(super) fn raw_get(&mut self, sid: Option<&str>) -> ConnId {
        let url = self.raw_url(Transport::Polling, sid);
        let conn = self.new_conn(Kind::Get, Owner::Raw);
        self.send_c2s(Delivery::Get { conn, url });
        conn
    }

    /// The fake client sends a frame on its WebSocket.
    pub(super) fn raw_send(&mut self, conn: ConnId, frame: Frame) {
        self.send_c2s(Delivery::C2sFrame { conn, frame });
    }

    // ---- the server end ----

    fn random_id(&mut self) -> String {
        let a = self.server_rng.next_u64().to_le_bytes();
        let b = self.server_rng.next_u64().to_le_bytes();
        let mut bytes = [0u8; 15];
        for (out, byte) in bytes.iter_mut().zip(a.iter().chain(b.iter())) {
            *out = *byte;
        }
        Sid::from_random(bytes).as_str().to_string()
    }

    fn new_session(&mut self, transport: Transport) -> Sid {
        let sid = Sid::new(self.random_id()).expect("generated ids are valid");
        let conn = Connection::new(
            self.now,
            sid.clone(),
            transport,
            self.engine_config.clone(),
            self.socket_config,
        );
        self.next_session += 1;
        self.sessions.insert(
            sid.clone(),
            Srv {
                conn,
                created: self.next_session,
                parked_get: None,
                ws: None,
            },
        );
        sid
    }

    /// The server end of `conn` takes a request; `None` when the network broke it first.
    fn server_takes(&mut self, conn: ConnId) -> Option<()> {
        let c = self.conns.get_mut(&conn)?;
        if c.cut {
            return None;
        }
        c.reached = true;
        Some(())
    }

    fn refuse_http(&mut self, conn: ConnId, kind: Kind, result: Result<(), TransportError>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.server_done = true;
        }
        let delivery = match (kind, result) {
            (Kind::Post, result) => Delivery::PostResponse { conn, result },
            (_, Ok(())) => return,
            (_, Err(e)) => Delivery::GetResponse {
                conn,
                result: Err(e),
            },
        };
        self.send_s2c(delivery);
    }

    fn refuse_ws(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.server_done = true;
        }
        self.send_s2c(Delivery::S2cWsClose { conn });
    }

    /// Where a request goes, as the tokio server decides it: by the core's endpoint, over this
    /// server's session table (which knows each session's transport).
    fn route(&self, url: &str, method: Method, upgrade: bool) -> Result<Route<Sid>, Refusal> {
        let query = parse_query(url.split_once('?').map_or("", |(_, q)| q));
        let request = Request::from_query(method, &query, upgrade);
        Endpoint::new(&self.engine_config.transports).route(&request, |sid| {
            let sid = Sid::new(sid).ok()?;
            let transport = self.sessions.get(&sid)?.conn.engine().transport();
            Some(Found {
                session: sid,
                transport: Some(transport),
            })
        })
    }

    fn server_get(&mut self, conn: ConnId, url: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            let refused = TransportError::Network(String::from("connection refused"));
            return self.refuse_http(conn, Kind::Get, Err(refused));
        }
        let sid = match self.route(url, Method::Get, false) {
            Ok(Route::PollGet(sid)) => sid,
            Ok(Route::Handshake(handshake)) => match handshake.accept() {
                Ok(transport) => self.new_session(transport),
                Err(refusal) => {
                    return self.refuse_http(conn, Kind::Get, Err(refused(Some(refusal))));
                }
            },
            other => return self.refuse_http(conn, Kind::Get, Err(refused(other.err()))),
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sid = Some(sid.clone());
        }
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        let outcome = srv.conn.handle_poll_get(now);
        // Answers due to an earlier parked GET go out before this one is parked.
        self.drain_session(&sid);
        match outcome {
            Ok(GetOutcome::Respond(body)) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.server_done = true;
                }
                self.send_s2c(Delivery::GetResponse {
                    conn,
                    result: Ok(body),
                });
            }
            Ok(GetOutcome::Wait) => match self.sessions.get_mut(&sid) {
                Some(srv) => srv.parked_get = Some(conn),
                None => self.anomalies.push(format!(
                    "{now:?}: a GET was parked on a session that closed"
                )),
            },
            Err(e) => self.refuse_http(
                conn,
                Kind::Get,
                Err(TransportError::HttpStatus(e.http_status())),
            ),
        }
    }

    fn server_post(&mut self, conn: ConnId, url: &str, body: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            let refused = TransportError::Network(String::from("connection refused"));
            return self.refuse_http(conn, Kind::Post, Err(refused));
        }
        let sid = match self.route(url, Method::Post, false) {
            Ok(Route::PollPost(sid)) => sid,
            other => return self.refuse_http(conn, Kind::Post, Err(refused(other.err()))),
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sid = Some(sid.clone());
        }
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        let result = srv
            .conn
            .handle_poll_post_start(now, false)
            .and_then(|()| srv.conn.handle_poll_post(now, body))
            .map_err(|e| TransportError::HttpStatus(e.http_status()));
        self.refuse_http(conn, Kind::Post, result);
    }

    fn server_ws_open(&mut self, conn: ConnId, url: &str) {
        if self.server_takes(conn).is_none() {
            return;
        }
        let now = self.now;
        if !self.server_up {
            return self.refuse_ws(conn);
        }
        let sid = match self.route(url, Method::Get, true) {
            Ok(Route::Handshake(handshake)) => {
                let Ok(transport) = handshake.accept() else {
                    return self.refuse_ws(conn);
                };
                let sid = self.new_session(transport);
                if let Some(srv) = self.sessions.get_mut(&sid) {
                    srv.ws = Some(conn);
                }
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.sid = Some(sid);
                }
                // The open packet (already queued) follows the WebSocket's opening.
                return self.send_s2c(Delivery::WsOpened { conn });
            }
            Ok(Route::Upgrade(sid)) => sid,
            _ => return self.refuse_ws(conn),
        };
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        match srv.conn.handle_ws_upgrade(now) {
            Ok(()) => {
                srv.ws = Some(conn);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.sid = Some(sid);
                }
                self.send_s2c(Delivery::WsOpened { conn });
            }
            // The reference accepts these, then closes them.
            Err(RequestError::UpgradeInProgress | RequestError::AlreadyUpgraded) => {
                self.send_s2c(Delivery::WsOpened { conn });
                self.refuse_ws(conn);
            }
            Err(_) => self.refuse_ws(conn),
        }
    }

    /// The session `conn` is the WebSocket of, if the server end still listens on it.
    fn ws_session(&self, conn: ConnId) -> Option<Sid> {
        let c = self.conns.get(&conn)?;
        if c.cut || c.server_done {
            return None;
        }
        let sid = c.sid.clone()?;
        (self.sessions.get(&sid)?.ws == Some(conn)).then_some(sid)
    }

    fn server_frame(&mut self, conn: ConnId, frame: Frame) {
        let now = self.now;
        let Some(sid) = self.ws_session(conn) else {
            return;
        };
        if let Some(srv) = self.sessions.get_mut(&sid) {
            srv.conn.handle_ws_frame(now, frame);
        }
    }

    fn server_ws_close(&mut self, conn: ConnId) {
        let now = self.now;
        let sid = self.ws_session(conn);
        if let Some(c) = self.conns.get_mut(&conn) {
            if c.cut {
                return;
            }
            c.server_done = true;
        }
        let Some(srv) = sid.and_then(|sid| self.sessions.get_mut(&sid)) else {
            return;
        };
        srv.ws = None;
        srv.conn.handle_ws_close(now);
    }

    fn server_abort(&mut self, conn: ConnId) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.cut || c.server_done {
            return;
        }
        c.server_done = true;
        let Some(sid) = c.sid.clone() else {
            return;
        };
        let Some(srv) = self.sessions.get_mut(&sid) else {
            return;
        };
        if srv.parked_get == Some(conn) {
            srv.parked_get = None;
            srv.conn.handle_poll_get_aborted(now);
        }
    }

    /// Drains one session; forgets it once closed. Returns whether anything came out.
    fn drain_session(&mut self, sid: &Sid) -> bool {
        let mut moved = false;
        loop {
            let Some(srv) = self.sessions.get_mut(sid) else {
                return moved;
            };
            if let Some(transmit) = srv.conn.poll_transmit() {
                moved = true;
                self.on_server_transmit(sid, transmit);
                continue;
            }
            if let Some(event) = srv.conn.poll_event() {
                moved = true;
                self.on_server_event(sid, event);
                continue;
            }
            if srv.conn.is_closed() {
                if srv.parked_get.is_some() || srv.ws.is_some() {
                    self.anomalies.push(format!(
                        "{:?}: session {sid} closed with a GET parked or a WebSocket open",
                        self.now
                    ));
                }
                self.sessions.remove(sid);
            }
            return moved;
        }
    }

    fn on_server_transmit(&mut self, sid: &Sid, transmit: ServerTransmit) {
        let now = self.now;
        let Some(srv) = self.sessions.get_mut(sid) else {
            return;
        };
        match transmit {
            ServerTransmit::PollResponse(body) => match srv.parked_get.take() {
                Some(conn) => {
                    if let Some(c) = self.conns.get_mut(&conn) {
                        c.server_done = true;
                    }
                    self.send_s2c(Delivery::GetResponse {
                        conn,
                        result: Ok(body),
                    });
                }
                None => self.anomalies.push(format!(
                    "{now:?}: {sid} answered a GET it had not parked: {body:?}"
                )),
            },
            ServerTransmit::WsSend(frame) => match srv.ws {
                Some(conn) => self.send_s2c(Delivery::S2cFrame { conn, frame }),
                None => self.anomalies.push(format!(
                    "{now:?}: {sid} sent {} with no WebSocket",
                    frame_text(&frame)
                )),
            },
            ServerTransmit::WsClose => match srv.ws.take() {
                Some(conn) => self.refuse_ws(conn),
                None => self
                    .anomalies
                    .push(format!("{now:?}: {sid} closed a WebSocket it has not")),
            },
        }
    }

    // ---- the server application ----

    fn on_server_event(&mut self, sid: &Sid, event: server::Event) {
        let now = self.now;
        self.server_log.push((now, sid.clone(), event.clone()));
        let server::Event::Socket(event) = event else {
            return;
        };
        match event {
            socket_server::Event::Connect { nsp, recovery, .. } => {
                self.app_connect(sid, nsp, recovery)
            }
            socket_server::Event::Event { nsp, args, id } => {
                let name = event_name(args.text()).unwrap_or_default();
                if let Some(left) = self.app.ignore.get_mut(&name) {
                    if *left > 0 {
                        *left = left.saturating_sub(u32::from(*left != u32::MAX));
                        return;
                    }
                }
                if let (Some(id), Some(srv)) = (id, self.sessions.get_mut(sid)) {
                    let r = srv.conn.ack(now, &nsp, id, args.without_first());
                    if let Err(e) = r {
                        self.anomalies
                            .push(format!("{now:?}: the server's ack failed: {e}"));
                    }
                }
            }
            socket_server::Event::Disconnect { nsp, reason } => {
                if let Some(pid) = self.app.live.remove(&(sid.clone(), nsp)) {
                    if reason.is_recoverable() {
                        if let Some(p) = self.app.persisted.get_mut(&pid) {
                            p.disconnected_at = Some(now);
                        }
                    } else {
                        self.app.persisted.remove(&pid);
                    }
                }
            }
            _ => {}
        }
    }

    /// Accepts `/` and `/admin`; restores a recovery session when it can.
    fn app_connect(&mut self, sid: &Sid, nsp: Nsp, recovery: Option<Recovery>) {
        let now = self.now;
        if !self.app.namespaces.contains(&nsp) {
            if let Some(srv) = self.sessions.get_mut(sid) {
                let _ = srv.conn.reject(now, &nsp, "Invalid namespace", None);
            }
            return;
        }
        if self.app.recovery.is_none() {
            let socket_id = self.random_id();
            if let Some(srv) = self.sessions.get_mut(sid) {
                let _ = srv.conn.accept(now, &nsp, socket_id, None);
            }
            return;
        }
        let restored = recovery
            .as_ref()
            .and_then(|r| self.app.restore(now, &nsp, r).map(|x| (r.pid.clone(), x)));
        let (pid, socket_id, missed) = match restored {
            Some((pid, (socket_id, missed))) => (pid, socket_id, missed),
            None => {
                let pid = self.random_id();
                let socket_id = self.random_id();
                self.app.persisted.insert(
                    pid.clone(),
                    Persisted {
                        nsp: nsp.clone(),
                        sid: socket_id.clone(),
                        disconnected_at: None,
                    },
                );
                (pid, socket_id, Vec::new())
            }
        };
        self.app
            .live
            .insert((sid.clone(), nsp.clone()), pid.clone());
        self.app.last_pid.insert(nsp.clone(), pid.clone());
        let Some(srv) = self.sessions.get_mut(sid) else {
            return;
        };
        let _ = srv.conn.accept(now, &nsp, socket_id, Some(pid));
        for stored in missed {
            let emit = socket_server::Emit::new(args_of(&stored.args)).with_offset(stored.offset);
            let _ = srv.conn.emit(now, &nsp, emit);
        }
    }

    /// The newest session with a socket joined on `nsp`.
    pub(super) fn live_session(&self, nsp: &Nsp) -> Option<Sid> {
        self.sessions
            .iter()
            .filter(|(_, s)| s.conn.socket().is_connected(nsp))
            .max_by_key(|(_, s)| s.created)
            .map(|(sid, _)| sid.clone())
    }

    /// The server application emits `args` (no ack) to the client's socket on `nsp`. With
    /// recovery on, the event gets an offset and is stored, so a client away gets it on recovery.
    pub(super) fn server_emit(&mut self, nsp: &str, args: &str) -> Emitted {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let sid = self.live_session(&nsp);
        let mut offset = None;
        if self.app.recovery.is_some() {
            let pid = match &sid {
                Some(sid) => self.app.live.get(&(sid.clone(), nsp.clone())).cloned(),
                None => self.app.last_pid.get(&nsp).cloned(),
            };
            if let Some(pid) = pid {
                self.app.next_offset += 1;
                let o = format!("o{}", self.app.next_offset);
                self.app.stored.push(Stored {
                    offset: o.clone(),
                    pid,
                    args: String::from(args),
                });
                offset = Some(o);
            }
        }
        if let Some(srv) = sid.as_ref().and_then(|sid| self.sessions.get_mut(sid)) {
            let mut emit = socket_server::Emit::new(args_of(args));
            if let Some(o) = &offset {
                emit = emit.with_offset(o.clone());
            }
            srv.conn
                .emit(now, &nsp, emit)
                .expect("a valid emit to a joined socket");
        }
        self.pump();
        Emitted { sid, offset }
    }

    /// The server application emits `args` to the client's socket on `nsp`, asking for an ack
    /// (within `timeout`, if given). `None` when no socket is joined there.
    pub(super) fn server_emit_ack(
        &mut self,
        nsp: &str,
        args: &str,
        timeout: Option<Duration>,
    ) -> Option<(Sid, socket_server::AckHandle)> {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let sid = self.live_session(&nsp)?;
        let srv = self.sessions.get_mut(&sid)?;
        let emit = socket_server::Emit::new(args_of(args)).with_ack(timeout);
        let handle = srv
            .conn
            .emit(now, &nsp, emit)
            .expect("a valid emit to a joined socket")
            .expect("an ack was asked for");
        self.pump();
        Some((sid, handle))
    }

    /// The server disconnects the client's socket on `nsp` (`socket.disconnect()`).
    pub(super) fn server_disconnect(&mut self, nsp: &str) {
        let now = self.now;
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        if let Some(sid) = self.live_session(&nsp) {
            if let Some(srv) = self.sessions.get_mut(&sid) {
                let _ = srv.conn.disconnect(now, &nsp);
            }
        }
        self.pump();
    }

    /// The server's connection for `sid`, while it lives.
    pub(super) fn session(&self, sid: &Sid) -> Option<&Connection> {
        self.sessions.get(sid).map(|s| &s.conn)
    }

    /// How many sessions the server holds.
    pub(super) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    // ---- the client application ----

    /// `io.socket(nsp)`.
    pub(super) fn socket(&mut self, nsp: &str) -> SocketId {
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let id = self.client.socket(self.now, nsp, Auth::NONE);
        self.pump();
        id
    }

    /// `io.socket(nsp, options)`.
    pub(super) fn socket_with(
        &mut self,
        nsp: &str,
        options: socket_client::SocketOptions,
    ) -> SocketId {
        let nsp = Nsp::new(nsp).expect("a valid namespace");
        let id = self.client.socket_with(self.now, nsp, options);
        self.pump();
        id
    }

    /// `socket.emit(...)`; the arguments must be valid.
    pub(super) fn emit(&mut self, socket: SocketId, emit: Emit) -> Option<AckHandle> {
        let r = self
            .client
            .emit(self.now, socket, emit)
            .expect("valid emit arguments");
        self.pump();
        r
    }

    /// `socket.disconnect()`.
    pub(super) fn disconnect(&mut self, socket: SocketId) {
        self.client.disconnect(self.now, socket);
        self.pump();
    }

    /// `socket.connect()`.
    pub(super) fn connect(&mut self, socket: SocketId) {
        self.client.connect(self.now, socket);
        self.pump();
    }

    /// Whether the socket is connected to its namespace.
    pub(super) fn is_connected(&self, socket: SocketId) -> bool {
        self.client.manager().is_connected(socket)
    }

    /// Drains both ends until neither has anything more to say.
    fn pump(&mut self) {
        for _ in 0..100_000 {
            let mut moved = self.drain_client();
            let sids: Vec<Sid> = self.sessions.keys().cloned().collect();
            for sid in sids {
                moved |= self.drain_session(&sid);
            }
            if !moved {
                return;
            }
        }
        panic!("the state machines never went idle at {:?}", self.now);
    }

    // ---- what happened ----

    /// The manager's and the sockets' events, with their times.
    pub(super) fn manager_events(
        &self,
    ) -> impl Iterator<Item = (Instant, &socket_client::Event)> + '_ {
        self.client_log.iter().filter_map(|(at, e)| match e {
            client::Event::Manager(e) => Some((*at, e)),
            _ => None,
        })
    }

    /// When the client saw the first event matching `matches`.
    pub(super) fn first_client(&self, matches: impl Fn(&client::Event) -> bool) -> Option<Instant> {
        self.client_log
            .iter()
            .find(|(_, e)| matches(e))
            .map(|(at, _)| *at)
    }

    /// The times of the client's events matching `matches`.
    pub(super) fn client_times(&self, matches: impl Fn(&client::Event) -> bool) -> Vec<Instant> {
        self.client_log
            .iter()
            .filter(|(_, e)| matches(e))
            .map(|(at, _)| *at)
            .collect()
    }

    /// The server events named `name` that the client's sockets received: (time, socket, args, id).
    pub(super) fn client_received(
        &self,
        name: &str,
    ) -> Vec<(Instant, SocketId, String, Option<AckId>)> {
        self.manager_events()
            .filter_map(|(at, e)| match e {
                socket_client::Event::Event {
                    socket, args, id, ..
                } if event_name(args.text()).as_deref() == Some(name) => {
                    Some((at, *socket, args.text().to_string(), *id))
                }
                _ => None,
            })
            .collect()
    }

    /// Every ack result the client got: (time, handle, ack arguments or error).
    pub(super) fn client_acks(&self) -> Vec<(Instant, AckHandle, Result<String, AckError>)> {
        self.manager_events()
            .filter_map(|(at, e)| match e {
                socket_client::Event::Ack { handle, result, .. } => Some((
                    at,
                    *handle,
                    result
                        .as_ref()
                        .map(|args| args.text().to_string())
                        .map_err(|e| *e),
                )),
                _ => None,
            })
            .collect()
    }

    /// The client events named `name` the server received: (time, session, nsp, args, ack id).
    pub(super) fn server_received(
        &self,
        name: &str,
    ) -> Vec<(Instant, Sid, Nsp, String, Option<AckId>)> {
        self.server_log
            .iter()
            .filter_map(|(at, sid, e)| match e {
                server::Event::Socket(socket_server::Event::Event { nsp, args, id, .. })
                    if event_name(args.text()).as_deref() == Some(name) =>
                {
                    Some((*at, sid.clone(), nsp.clone(), args.text().to_string(), *id))
                }
                _ => None,
            })
            .collect()
    }

    /// The arguments of every client event the server received, in order.
    pub(super) fn server_received_all(&self) -> Vec<String> {
        self.server_log
            .iter()
            .filter_map(|(_, _, e)| match e {
                server::Event::Socket(socket_server::Event::Event { args, .. }) => {
                    Some(args.text().to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// The server's events matching `matches`, with their times and sessions.
    pub(super) fn server_events(
        &self,
        matches: impl Fn(&server::Event) -> bool,
    ) -> Vec<(Instant, Sid, server::Event)> {
        self.server_log
            .iter()
            .filter(|(_, _, e)| matches(e))
            .cloned()
            .collect()
    }

    /// When each message whose text is exactly `what` was sent (`c2s`: by the client).
    pub(super) fn sent(&self, c2s: bool, what: &str) -> Vec<Instant> {
        self.wire
            .iter()
            .filter(|w| w.c2s == c2s && w.what == what)
            .map(|w| w.at)
            .collect()
    }

    /// The wire log as text, for a failing test's message.
    pub(super) fn dump(&self) -> String {
        let mut out = String::new();
        for w in &self.wire {
            let dir = if w.c2s { "c>s" } else { "s>c" };
            let lost = if w.lost { " (lost)" } else { "" };
            let _ = writeln!(out, "{:>8?} #{:<3} {dir} {}{lost}", w.at, w.conn, w.what);
        }
        out
    }

    /// Fails the test if a state machine asked its driver for something impossible.
    pub(super) fn assert_clean(&self) {
        assert!(
            self.anomalies.is_empty(),
            "driver anomalies: {:#?}",
            self.anomalies
        );
    }
}

/// Removes `eid`'s entry when it is `conn`.
fn forget(map: &mut BTreeMap<EngineId, ConnId>, eid: EngineId, conn: ConnId) {
    if map.get(&eid) == Some(&conn) {
        map.remove(&eid);
    }
}

/// How the tokio server answers a request the endpoint did not route to the handler at hand: the
/// refusal's status, or 500 for a polling request with another method.
fn refused(refusal: Option<Refusal>) -> TransportError {
    TransportError::HttpStatus(refusal.map_or(500, |refusal| refusal.code().http_status()))
}

/// An event's name: the first element of its argument array, when a string.
pub(super) fn event_name(args: &str) -> Option<String> {
    let first = json::array_items(args).next()?;
    json::parse_string(first).ok().map(|s| s.into_owned())
}

/// Arguments without attachments, from their JSON text.
pub(super) fn args_of(text: impl AsRef<str>) -> Args {
    Args::from_json(text.as_ref(), Vec::new()).expect("valid JSON arguments")
}

/// The `n`th element of a JSON array, as a number.
pub(super) fn nth_u64(args: &str, n: usize) -> Option<u64> {
    json::array_items(args).nth(n).and_then(json::parse_u64)
}
