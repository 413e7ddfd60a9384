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
//!
//! This module holds the types and the clock; `network`, `faults`, `client_end`, `server_end`,
//! `app` and `log` each add one concern's methods to [`Sim`].

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

mod app;
mod client_end;
mod faults;
mod log;
mod network;
mod server_end;

use app::App;

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
            if let Some(sid) = due
                && let Some(srv) = self.sessions.get_mut(&sid)
            {
                srv.conn.handle_timeout(at);
            }
        }
        self.pump();
        true
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
}

/// Removes `eid`'s entry when it is `conn`.
fn forget(map: &mut BTreeMap<EngineId, ConnId>, eid: EngineId, conn: ConnId) {
    if map.get(&eid) == Some(&conn) {
        map.remove(&eid);
    }
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
