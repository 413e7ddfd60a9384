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
//! Every JS callback (a WebSocket's listener, a request's promise, the timer) is a [`Callback`]
//! made by [`Driver::callback`]: one closure type that names its [`Source`], so the module carries
//! the closure glue once rather than once per kind of callback.
//!
//! Ownership: the callbacks hold the driver strongly and the driver holds them, so a connection
//! lives while it has anything in flight, as the reference's does (its listeners keep it alive),
//! even when the application drops every handle. Once closed for good (no transport, no timer,
//! no request) only the application's handles keep it.
//!
//! Settling: once nothing is in flight (no transport, no request, no event left to deliver) the
//! driver tells its sink ([`Sink::settled`]). The JS surface uses it to tell the wrapper that a
//! manager is closed for good, so that the wrapper frees its handles (and with them this driver)
//! at once rather than when the JS collector gets round to them: their finalizers run only on JS
//! heap pressure, which the wasm memory a driver holds does not add to.
//!
//! [`pumps`]: Driver::pump

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use proto::Instant;
use proto::client::{Client, Config, EngineId, Event};
use proto::engine::Frame;
use proto::engine::client::Transmit;
use wasm_bindgen::prelude::*;

use crate::callback::Callback;
use crate::cell::Shared;
use crate::counters::{Kind, Live};
use crate::timer::{self, Timer};
use crate::transport::polling::{PollOptions, Request, Step};
use crate::transport::ws::{Ws, WsEvent};

/// What a [`Callback`] reports on.
#[derive(Clone, Copy)]
pub(crate) enum Source {
    /// An event of this engine's WebSocket.
    Ws(EngineId),
    /// The timer fired.
    Timer,
    /// A step of the request with this key settled.
    Request(u32),
    /// Something of the sink's, with its tag (a `Blob` being read).
    Sink(u32),
}

/// Where the driver's events go: the JS surface or the typed Rust API.
pub(crate) trait Sink: Sized + 'static {
    /// Delivers one event. No borrow of the driver is held: the sink may call back into it.
    fn deliver(driver: &Driver<Self>, event: Event);

    /// A callback of [`Source::Sink`] was called, with its tag.
    fn called(driver: &Driver<Self>, tag: u32, value: JsValue) {
        let _ = (driver, tag, value);
    }

    /// Nothing is in flight any more ([`Driver::quiet`]), after a round of events or a
    /// request the client had aborted settling. No borrow of the driver is held.
    fn settled(driver: &Driver<Self>) {
        let _ = driver;
    }
}

/// A shared handle on one driver.
pub(crate) struct Driver<S: Sink>(Rc<Inner<S>>);

/// A handle that does not keep the driver alive.
#[cfg(feature = "rust-api")]
pub(crate) struct WeakDriver<S: Sink>(alloc::rc::Weak<Inner<S>>);

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
    client: Shared<Client>,
    io: Shared<Io>,
    /// Events drained from the client and not yet delivered.
    events: Shared<Vec<Event>>,
    /// Transport failures noticed while performing a transmit, fed back on the next round.
    inputs: Shared<Vec<EngineId>>,
    /// Whether a `deliver` is running further up the stack.
    dispatching: Cell<bool>,
    /// The time of the input being handled: set by a WebSocket event (its `timeStamp`) or read by
    /// the first [`Driver::command`], taken by the [`Driver::pump`] that follows, and kept while
    /// that pump delivers, so that a handler's emit reuses it. Clock reads cost: one per step
    /// (three per message) was 3% of the page's CPU time in Chromium's profile
    /// (scripts/lib/profile-browser.mjs); now none per message. A command that starts a timer
    /// reads the clock again ([`Driver::fresh_clock`]).
    clock: Cell<Option<Instant>>,
    /// The text frame being handled, and the JS string it came as.
    text: Shared<Option<(String, JsValue)>>,
    /// The latest clock the client was given.
    latest: Cell<Instant>,
    sink: S,
    _live: Live,
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
    /// Aborted by the client: its outcome is ignored when its callback hears it.
    aborted: bool,
    request: Request,
}

impl<S: Sink> Driver<S> {
    /// A driver for `config` (connecting at once with `autoConnect`), reporting to `sink`.
    pub(crate) fn new(config: Config, poll: PollOptions, sink: S) -> Self {
        let client = Client::new(timer::now(), config, seed());
        let driver = Driver(Rc::new(Inner {
            client: Shared::new(client),
            io: Shared::new(Io {
                poll,
                ws: Vec::new(),
                requests: Vec::new(),
                next_request: 0,
                timer: Timer::default(),
            }),
            events: Shared::new(Vec::new()),
            inputs: Shared::new(Vec::new()),
            dispatching: Cell::new(false),
            clock: Cell::new(None),
            latest: Cell::new(Instant::from_millis(0)),
            text: Shared::new(None),
            sink,
            _live: Live::new(Kind::Driver),
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

    /// A callback that reports to this driver as `source`. It holds the driver.
    pub(crate) fn callback(&self, source: Source) -> Callback {
        let driver = self.clone();
        let live = Live::new(Kind::Closure);
        Closure::new(move |value: JsValue, _: JsValue| {
            let _ = &live;
            driver.called(source, value);
            JsValue::UNDEFINED
        })
    }

    /// Reads the client's state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Client) -> R) -> R {
        f(&self.0.client.borrow())
    }

    /// Whether nothing is in flight: no transport, no request, no input or event waiting, no
    /// event being delivered. (The timer is the client's: its `poll_timeout`.)
    pub(crate) fn quiet(&self) -> bool {
        let inner = &*self.0;
        let io = inner.io.borrow();
        io.ws.is_empty()
            && io.requests.is_empty()
            && !inner.dispatching.get()
            && inner.inputs.borrow().is_empty()
            && inner.events.borrow().is_empty()
    }

    /// Runs one input or command against the client, then pumps.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        let r = self.command(f);
        self.pump();
        r
    }

    /// Runs one command without pumping; the caller pumps once it has recorded what the command
    /// returned (an ack handle, say), so that no event about it can come first. (The pump reuses
    /// this command's clock: every command is followed by a pump.)
    pub(crate) fn command<R>(&self, f: impl FnOnce(&mut Client, Instant) -> R) -> R {
        f(&mut self.0.client.borrow_mut(), self.clock())
    }

    /// Reads the clock for a command and keeps it for the pump that follows (out of line: the
    /// generic callers are many).
    #[inline(never)]
    fn clock(&self) -> Instant {
        let inner = &*self.0;
        let now = match inner.clock.get() {
            Some(now) => now,
            // An event's time stamp may be older than a reading taken since: never go back.
            None => timer::now().max(inner.latest.get()),
        };
        inner.clock.set(Some(now));
        now
    }

    /// `text` as a JS string without a copy out of the module, when it is the tail of the text
    /// frame being handled (received arguments usually are: an EVENT or ACK's JSON ends its
    /// frame): a slice of the string the WebSocket gave, from a UTF-16 offset that is the byte
    /// offset because everything before it is ASCII. Never with the MessagePack parser: its
    /// packets come in binary frames (and polling's `b` records), and their arguments' text is the
    /// decoder's own, so the caller takes the generic path.
    pub(crate) fn received_text(&self, text: &str) -> Option<JsValue> {
        if cfg!(feature = "msgpack") {
            return None;
        }
        let held = self.0.text.borrow();
        let (frame, value) = held.as_ref()?;
        let head = frame.len().checked_sub(text.len())?;
        let (before, tail) = frame.as_bytes().split_at_checked(head)?;
        (tail == text.as_bytes() && before.is_ascii())
            .then(|| crate::js::slice_from(value, head as u32))
    }

    /// Makes the next command read the clock rather than reuse the time of the input being
    /// delivered: for a command that starts a timer (an emit with an ack timeout), which a
    /// long-running handler would otherwise shorten.
    pub(crate) fn fresh_clock(&self) {
        self.0.clock.set(None);
    }

    /// Drains the client, performs its transmits, re-arms the timer, then delivers the events.
    pub(crate) fn pump(&self) {
        let inner = &*self.0;
        // One clock for the whole round: performing the transmits takes no time worth a reading.
        let now = inner
            .clock
            .take()
            .unwrap_or_else(timer::now)
            .max(inner.latest.get());
        inner.latest.set(now);
        loop {
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
                    events.push(e);
                }
                client.poll_timeout()
            };
            if transmits.is_empty() {
                inner
                    .io
                    .borrow_mut()
                    .timer
                    .arm(deadline, now, || self.callback(Source::Timer));
                break;
            }
            for (engine, transmit) in transmits {
                self.transmit(engine, transmit);
            }
        }
        if inner.dispatching.replace(true) {
            // A `deliver` further up the stack delivers these after the current one.
            inner.clock.set(Some(now));
            return;
        }
        inner.clock.set(Some(now));
        loop {
            // Events queued while these are delivered come after them, in the next batch.
            let batch = core::mem::take(&mut *inner.events.borrow_mut());
            if batch.is_empty() {
                break;
            }
            for event in batch {
                S::deliver(self, event);
            }
        }
        inner.dispatching.set(false);
        inner.clock.set(None);
        self.settle();
    }

    /// Tells the sink once nothing is in flight.
    fn settle(&self) {
        if self.quiet() {
            S::settled(self);
        }
    }

    /// How the next polling requests are made (`extraHeaders` ..., read again for each engine).
    pub(crate) fn set_poll(&self, poll: PollOptions) {
        self.0.io.borrow_mut().poll = poll;
    }

    /// Turns on the engine's `packet` events (for `io.engine.on("packet")`).
    pub(crate) fn set_packet_events(&self, on: bool) {
        self.0.client.borrow_mut().set_packet_events(on);
    }

    /// Drops every transport without telling the client (the page is unloading:
    /// `closeOnBeforeunload`).
    pub(crate) fn drop_transports(&self) {
        let ws = {
            let mut io = self.0.io.borrow_mut();
            for r in &mut io.requests {
                r.aborted = true;
                r.request.abort();
            }
            core::mem::take(&mut io.ws)
        };
        drop(ws);
    }

    fn called(&self, source: Source, value: JsValue) {
        match source {
            Source::Ws(engine) => {
                let at = crate::transport::ws::time_of(&value);
                self.ws_event(engine, at, WsEvent::read(&value));
            }
            Source::Timer => {
                self.0.io.borrow_mut().timer.fired();
                self.with(|c, now| c.handle_timeout(now));
            }
            Source::Request(key) => self.request_step(key, value),
            Source::Sink(tag) => S::called(self, tag, value),
        }
    }

    fn transmit(&self, engine: EngineId, transmit: Transmit) {
        match transmit {
            Transmit::WsOpen { url } => {
                // Not borrowed across the match: its arms borrow `io` mutably.
                let protocols = self.0.io.borrow().poll.protocols.clone();
                match Ws::open(&url, &protocols, self.callback(Source::Ws(engine))) {
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
                for r in &mut self.0.io.borrow_mut().requests {
                    if r.engine == engine && !r.aborted {
                        r.aborted = true;
                        r.request.abort();
                    }
                }
            }
        }
    }

    fn take_ws(&self, engine: EngineId) -> Option<Ws> {
        let mut io = self.0.io.borrow_mut();
        let i = io.ws.iter().position(|(e, _)| *e == engine)?;
        Some(io.ws.swap_remove(i).1)
    }

    /// One WebSocket event, which happened `at` (its `timeStamp`: the driver reads no clock).
    fn ws_event(&self, engine: EngineId, at: Instant, event: WsEvent) {
        match event {
            WsEvent::Open => self.with_at(at, |c, now| c.handle_ws_open(now, engine)),
            WsEvent::Frame(frame) => {
                self.with_at(at, |c, now| c.handle_ws_frame(now, engine, frame));
            }
            WsEvent::Text(text, value) => {
                // Kept while the frame's events are delivered: see `received_text` (which the
                // MessagePack build never asks: its text frames are Engine.IO's pings).
                if !cfg!(feature = "msgpack") {
                    *self.0.text.borrow_mut() = Some((text.clone(), value));
                }
                self.with_at(at, |c, now| {
                    c.handle_ws_frame(now, engine, Frame::Text(text));
                });
                *self.0.text.borrow_mut() = None;
            }
            WsEvent::Close => {
                // Dropped from inside its own listener: wasm-bindgen frees a running closure only
                // once it returns.
                drop(self.take_ws(engine));
                self.with_at(at, |c, now| c.handle_ws_close(now, engine));
            }
            WsEvent::None => {}
        }
    }

    /// [`with`](Self::with) for an input that happened `at` (never before an earlier input).
    fn with_at(&self, at: Instant, f: impl FnOnce(&mut Client, Instant)) {
        self.0.clock.set(Some(at.max(self.0.latest.get())));
        self.with(f);
    }

    fn request(&self, engine: EngineId, url: &str, body: Option<&str>) {
        let key = {
            let mut io = self.0.io.borrow_mut();
            io.next_request = io.next_request.wrapping_add(1);
            io.next_request
        };
        let callback = self.callback(Source::Request(key));
        let request = Request::start(url, body, &self.0.io.borrow().poll, callback);
        self.0.io.borrow_mut().requests.push(InFlight {
            key,
            engine,
            post: body.is_some(),
            aborted: false,
            request,
        });
    }

    fn request_step(&self, key: u32, value: JsValue) {
        let done = {
            let mut io = self.0.io.borrow_mut();
            let Some(i) = io.requests.iter().position(|r| r.key == key) else {
                return;
            };
            let Some(r) = io.requests.get_mut(i) else {
                return;
            };
            match r
                .request
                .settled(value, || self.callback(Source::Request(key)))
            {
                Step::Reading => return,
                Step::Done(result) => {
                    // Freed here, from inside its own callback: wasm-bindgen frees a running
                    // closure only once it returns.
                    let r = io.requests.swap_remove(i);
                    (!r.aborted).then_some((r.engine, r.post, result))
                }
            }
        };
        // A request the client had aborted is forgotten: nothing listens for it. It may have
        // been the last thing the client waited for.
        let Some((engine, post, result)) = done else {
            self.settle();
            return;
        };
        self.with(|c, now| {
            if post {
                c.handle_post_response(now, engine, result.map(drop));
            } else {
                c.handle_poll_response(now, engine, result);
            }
        });
    }
}

/// A seed for a client's randomness (reconnection jitter, cache-busting tokens).
fn seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64 // 2^53
}
