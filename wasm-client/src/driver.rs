//! The driver: owns one core [`Client`] and performs what it asks for.
//!
//! Every input (a WebSocket event, a finished HTTP request, the timer, an application command)
//! goes through [`Driver::with`], which runs it against the client and then [`pumps`]: drains
//! every transmit and event, performs the transmits, re-arms the one timer for the client's
//! next deadline, and finally hands the events to the [`Sink`], one at a time, with no borrow
//! held. A handler that calls back into the driver (an emit from inside an event handler) only
//! queues more events behind the current one, so events reach the application in the order the
//! core produced them.
//!
//! Ownership: the transports' listeners and the timer hold the driver strongly, so a connection
//! lives while it has anything in flight, as the reference's does (its listeners keep it alive),
//! even when the application drops every handle. Once closed for good (no transport, no timer)
//! only the application's handles keep it.
//!
//! [`pumps`]: Driver::pump

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use proto::Instant;
use proto::client::{Client, Config, EngineId, Event};
use proto::engine::client::{Transmit, TransportError};

use crate::timer::{self, Timer};
use crate::transport::polling::{PollOptions, Request};
use crate::transport::ws::{Ws, WsEvent};

/// Where the driver's events go: the JS surface or the typed Rust API.
pub(crate) trait Sink: Sized + 'static {
    /// Delivers one event. No borrow of the driver is held: the sink may call back into it.
    fn deliver(driver: &Driver<Self>, event: Event);
}

/// A shared handle on one driver.
pub(crate) struct Driver<S: Sink>(Rc<Inner<S>>);

/// A handle that does not keep the driver alive.
#[cfg(feature = "rust-api")]
pub(crate) struct WeakDriver<S: Sink>(std::rc::Weak<Inner<S>>);

#[cfg(feature = "rust-api")]
impl<S: Sink> WeakDriver<S> {
    /// The driver, unless it is gone.
    pub(crate) fn upgrade(&self) -> Option<Driver<S>> {
        self.0.upgrade().map(Driver)
    }
}

impl<S: Sink> Clone for Driver<S> {
    fn clone(&self) -> Self {
        Driver(Rc::clone(&self.0))
    }
}

struct Inner<S> {
    client: RefCell<Client>,
    io: RefCell<Io>,
    /// Events drained from the client and not yet delivered.
    events: RefCell<VecDeque<Event>>,
    /// Transport failures noticed while performing a transmit, fed back on the next round.
    inputs: RefCell<Vec<EngineId>>,
    /// Whether a `deliver` is running further up the stack.
    dispatching: Cell<bool>,
    sink: S,
}

/// What the driver holds on the client's behalf.
struct Io {
    poll: PollOptions,
    ws: Vec<(EngineId, Ws)>,
    requests: Vec<InFlight>,
    next_request: u32,
    timer: Timer,
}

struct InFlight {
    key: u32,
    engine: EngineId,
    post: bool,
    /// Held for its `Drop`, which aborts it (a no-op once it finished).
    _request: Request,
}

impl<S: Sink> Driver<S> {
    /// A driver for `config` (connecting at once with `autoConnect`), reporting to `sink`.
    pub(crate) fn new(config: Config, poll: PollOptions, sink: S) -> Self {
        let seed = (js_sys::Math::random() * 2f64.powi(53)) as u64;
        let client = Client::new(timer::now(), config, seed);
        let driver = Driver(Rc::new(Inner {
            client: RefCell::new(client),
            io: RefCell::new(Io {
                poll,
                ws: Vec::new(),
                requests: Vec::new(),
                next_request: 0,
                timer: Timer::default(),
            }),
            events: RefCell::new(VecDeque::new()),
            inputs: RefCell::new(Vec::new()),
            dispatching: Cell::new(false),
            sink,
        }));
        driver.pump();
        driver
    }

    /// A handle that does not keep the driver alive.
    #[cfg(feature = "rust-api")]
    pub(crate) fn downgrade(&self) -> WeakDriver<S> {
        WeakDriver(Rc::downgrade(&self.0))
    }

    /// The sink.
    pub(crate) fn sink(&self) -> &S {
        &self.0.sink
    }

    /// Reads the client's state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        f(&self.0.client.borrow())
    }

    /// Runs one input or command against the client, then pumps.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        let r = self.command(f);
        self.pump();
        r
    }

    /// Runs one command without pumping; the caller pumps once it has recorded what the command
    /// returned (an ack handle, say), so that no event about it can come first.
    pub(crate) fn command<R>(&self, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        f(&mut self.0.client.borrow_mut(), timer::now())
    }

    /// Drains the client, performs its transmits, re-arms the timer, then delivers the events.
    pub(crate) fn pump(&self) {
        let inner = &*self.0;
        loop {
            let now = timer::now();
            let mut transmits = Vec::new();
            let deadline = {
                let mut client = inner.client.borrow_mut();
                for engine in inner.inputs.take() {
                    client.handle_ws_close(now, engine);
                }
                while let Some(t) = client.poll_transmit() {
                    transmits.push(t);
                }
                let mut events = inner.events.borrow_mut();
                while let Some(e) = client.poll_event() {
                    events.push_back(e);
                }
                client.poll_timeout()
            };
            if transmits.is_empty() {
                self.arm(deadline, now);
                break;
            }
            for (engine, transmit) in transmits {
                self.transmit(engine, transmit);
            }
        }
        if inner.dispatching.replace(true) {
            // A `deliver` further up the stack delivers these after the current one.
            return;
        }
        loop {
            let event = inner.events.borrow_mut().pop_front();
            let Some(event) = event else { break };
            S::deliver(self, event);
        }
        inner.dispatching.set(false);
    }

    /// Turns on the engine's `packet` events (for `io.engine.on("packet")`).
    pub(crate) fn set_packet_events(&self, on: bool) {
        self.command(|c, _| c.set_packet_events(on));
    }

    /// Drops every transport without telling the client (the page is unloading:
    /// `closeOnBeforeunload`).
    pub(crate) fn drop_transports(&self) {
        let (ws, requests) = {
            let mut io = self.0.io.borrow_mut();
            (
                core::mem::take(&mut io.ws),
                core::mem::take(&mut io.requests),
            )
        };
        drop((ws, requests));
    }

    fn arm(&self, deadline: Option<Instant>, now: Instant) {
        let driver = self.clone();
        self.0.io.borrow_mut().timer.arm(deadline, now, move || {
            driver.0.io.borrow_mut().timer.fired();
            driver.with(|c, now| c.handle_timeout(now));
        });
    }

    fn transmit(&self, engine: EngineId, transmit: Transmit) {
        match transmit {
            Transmit::WsOpen { url } => {
                let driver = self.clone();
                match Ws::open(&url, move |event| driver.ws_event(engine, event)) {
                    Ok(ws) => self.0.io.borrow_mut().ws.push((engine, ws)),
                    // No WebSocket, or a URL the browser refuses: the socket is closed at once.
                    Err(_) => self.0.inputs.borrow_mut().push(engine),
                }
            }
            Transmit::WsSend(frame) => {
                let io = self.0.io.borrow();
                if let Some((_, ws)) = io.ws.iter().find(|(e, _)| *e == engine) {
                    ws.send(&frame);
                }
            }
            Transmit::WsClose => drop(self.take_ws(engine)),
            Transmit::PollGet { url } => self.request(engine, &url, None),
            Transmit::PollPost { url, body } => self.request(engine, &url, Some(&body)),
            Transmit::PollAbort => {
                let aborted: Vec<InFlight> = {
                    let mut io = self.0.io.borrow_mut();
                    let (aborted, kept) = core::mem::take(&mut io.requests)
                        .into_iter()
                        .partition(|r| r.engine == engine);
                    io.requests = kept;
                    aborted
                };
                drop(aborted);
            }
        }
    }

    fn take_ws(&self, engine: EngineId) -> Vec<(EngineId, Ws)> {
        let mut io = self.0.io.borrow_mut();
        let (closed, kept) = core::mem::take(&mut io.ws)
            .into_iter()
            .partition(|(e, _)| *e == engine);
        io.ws = kept;
        closed
    }

    fn ws_event(&self, engine: EngineId, event: WsEvent) {
        match event {
            WsEvent::Open => self.with(|c, now| c.handle_ws_open(now, engine)),
            WsEvent::Frame(frame) => self.with(|c, now| c.handle_ws_frame(now, engine, frame)),
            WsEvent::Close => {
                // Dropped from inside its own listener: wasm-bindgen frees a running closure only
                // once it returns.
                drop(self.take_ws(engine));
                self.with(|c, now| c.handle_ws_close(now, engine));
            }
        }
    }

    fn request(&self, engine: EngineId, url: &str, body: Option<&str>) {
        let key = {
            let mut io = self.0.io.borrow_mut();
            io.next_request = io.next_request.wrapping_add(1);
            io.next_request
        };
        let driver = self.clone();
        let request = Request::start(url, body, &self.0.io.borrow().poll, move |result| {
            driver.request_done(key, result)
        });
        self.0.io.borrow_mut().requests.push(InFlight {
            key,
            engine,
            post: body.is_some(),
            _request: request,
        });
    }

    fn request_done(&self, key: u32, result: Result<String, TransportError>) {
        let done = {
            let mut io = self.0.io.borrow_mut();
            let i = io.requests.iter().position(|r| r.key == key);
            i.map(|i| io.requests.swap_remove(i))
        };
        // A request the client had aborted is forgotten: nothing listens for it.
        let Some(done) = done else { return };
        let (engine, post) = (done.engine, done.post);
        drop(done);
        self.with(|c, now| {
            if post {
                c.handle_post_response(now, engine, result.map(drop));
            } else {
                c.handle_poll_response(now, engine, result);
            }
        });
    }
}
