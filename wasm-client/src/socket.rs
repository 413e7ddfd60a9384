//! The exported `RawManager` / `RawSocket` types the ESM wrapper (`js/index.js`) builds the
//! socket.io-client-like API on, and the [`JsSink`] that turns core events into JS calls.
//!
//! What is JS-shaped stays in the wrapper (listeners, variadic arguments, flags, the manager
//! cache); what is protocol stays in the core. This layer converts values, keeps the
//! acknowledgement callbacks, and keeps emits holding a `Blob` in their place in the send order.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use core::time::Duration;

use js_sys::{Array, Function, Reflect};
use proto::client::{CloseDescription, Event};
use proto::engine::Packet;
use proto::socket::args::{Args, ArgsError};
use proto::socket::client::{self as socket_client, AckError, EmitError, SocketId};
use proto::socket::packet::{AckId, Nsp};
use proto::text::ErrorText;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::callback::Callback;
use crate::cell::Shared;
use crate::convert::{self, Encoded};
use crate::driver::{Driver, Sink, Source};
use crate::options;

#[wasm_bindgen]
extern "C" {
    /// `reportError(error)`: an exception thrown by an application's handler is reported as an
    /// uncaught one would be, without breaking the driver's loop.
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error_js(error: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(error: &JsValue);
}

fn report_error(error: &JsValue) {
    if report_error_js(error).is_err() {
        console_error(error);
    }
}

fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// Runs an application callback with three arguments (the wrapper's dispatch functions); what
/// it throws is reported, not propagated into the driver.
fn call3(f: &Function, a: &JsValue, b: &JsValue, c: &JsValue) {
    if let Err(e) = f.call3(&JsValue::NULL, a, b, c) {
        report_error(&e);
    }
}

/// Runs an application callback with one argument, as [`call3`].
fn call1(f: &Function, a: &JsValue) {
    if let Err(e) = f.call1(&JsValue::NULL, a) {
        report_error(&e);
    }
}

/// An acknowledgement callback and whether it takes an error first (`timeout()`, `ackTimeout`,
/// `retries`, `emitWithAck`), as the reference's `withError`.
struct AckCallback {
    callback: Function,
    with_error: bool,
}

/// What waits in the send queue behind a `Blob`.
enum Op {
    Emit {
        ack: Option<AckCallback>,
        timeout: Option<Duration>,
        volatile: bool,
    },
    Ack(AckId),
}

struct Waiting {
    seq: u32,
    socket: SocketId,
    encoded: Encoded,
    missing: usize,
    op: Op,
}

/// The JS side of one driver: the wrapper's dispatch functions and the acks in flight.
pub(crate) struct JsSink {
    /// `(kind, value, fromEngine)` of the wrapper's Manager.
    manager: Function,
    /// `(kind, value, ackId)` of each wrapper Socket, and whether the socket has `retries`.
    sockets: Shared<Vec<(SocketId, Function, bool)>>,
    /// `rememberUpgrade`: the client keeps the last session's WebSocket success to itself, so a
    /// manager with it is never idle (see [`JsSink::idle`]).
    remember_upgrade: bool,
    /// By ack handle; a few at a time, so a Vec beats a map (in speed and in bundle size).
    acks: Shared<Vec<(u64, AckCallback)>>,
    /// Emits and acks waiting for a `Blob` to be read, or behind one that is, in send order.
    waiting: Shared<Vec<Waiting>>,
    /// The `Blob` reads in flight, with the callback each settles into.
    reads: Shared<Vec<BlobRead>>,
    /// The last sequence number or tag given out.
    next_tag: Cell<u32>,
    /// The reference's `description` of the engine closing now, until the manager's `close`.
    pending_description: Shared<JsValue>,
    /// The description of the last `close`: the second argument of the sockets' `disconnect`
    /// events that follow it.
    description: Shared<JsValue>,
}

/// A `Blob` being read for attachment `index` of waiting entry `seq`.
struct BlobRead {
    tag: u32,
    seq: u32,
    index: usize,
    _callback: Callback,
}

impl JsSink {
    /// Whether the manager is closed for good, so that freeing its handles loses nothing: closed,
    /// no reconnection pending, nothing in flight, every socket inactive with nothing buffered and
    /// no recovery session, no ack awaited, no emit waiting for a `Blob`. What the wrapper needs
    /// to make an equal manager (the options, the setters' values, the sockets in their order) it
    /// keeps itself. A socket's retry queue cannot be read: one with `retries` is never idle.
    fn idle(driver: &Driver<Self>) -> bool {
        let sink = driver.sink();
        driver.quiet()
            && !sink.remember_upgrade
            && sink.acks.borrow().is_empty()
            && sink.waiting.borrow().is_empty()
            && sink.reads.borrow().is_empty()
            && driver.read(|c| {
                let m = c.manager();
                m.state() == socket_client::ReadyState::Closed
                    && !m.is_reconnecting()
                    && c.engine().is_none()
                    && c.poll_timeout().is_none()
                    && sink.sockets.borrow().iter().all(|(s, _, retries)| {
                        !retries
                            && !m.is_active(*s)
                            && !m.is_connected(*s)
                            && !m.is_recovered(*s)
                            && m.pid(*s).is_none()
                            && m.buffered(*s) == 0
                    })
            })
    }

    /// A fresh sequence number or tag.
    fn tag(&self) -> u32 {
        let tag = self.next_tag.get().wrapping_add(1);
        self.next_tag.set(tag);
        tag
    }

    fn manager(&self, kind: &str, value: &JsValue, engine: bool) {
        call3(
            &self.manager,
            &kind.into(),
            value,
            &JsValue::from_bool(engine),
        );
    }

    fn socket(&self, socket: SocketId, kind: &str, value: &JsValue, extra: &JsValue) {
        let f = self
            .sockets
            .borrow()
            .iter()
            .find(|(s, ..)| *s == socket)
            .map(|(_, f, _)| f.clone());
        if let Some(f) = f {
            call3(&f, &kind.into(), value, extra);
        }
    }
}

/// An `Error` for a `connect_error`: `message` from the data, and `data` as the reference sets it.
fn connect_error(data: &str) -> JsValue {
    let parsed = crate::js::json_parse(data, &JsValue::UNDEFINED).unwrap_or(JsValue::UNDEFINED);
    let message = Reflect::get(&parsed, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    let err = error(&message);
    let data = Reflect::get(&parsed, &"data".into()).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::set(&err, &"data".into(), &data);
    err
}

/// The reference's `description` of a lost engine: `{ description }`, or for a transport error an
/// `Error` whose `type` is `"TransportError"`.
fn description_value(d: &CloseDescription) -> JsValue {
    let text = d.text();
    let (value, key, field): (JsValue, &str, JsValue) = match d {
        CloseDescription::TransportError(_) => (error(&text), "type", "TransportError".into()),
        _ => (
            js_sys::Object::new().into(),
            "description",
            JsValue::from_str(&text),
        ),
    };
    let _ = Reflect::set(&value, &key.into(), &field);
    value
}

/// The reference's `packet` event value: `{ type, data }`.
fn packet_value(packet: Packet) -> JsValue {
    let (kind, data): (&str, JsValue) = match packet {
        Packet::Open(handshake) => {
            let mut json = String::new();
            handshake.encode(&mut json);
            ("open", json.into())
        }
        Packet::Close => ("close", JsValue::UNDEFINED),
        Packet::Ping => ("ping", JsValue::UNDEFINED),
        Packet::Pong => ("pong", JsValue::UNDEFINED),
        Packet::PingProbe => ("ping", "probe".into()),
        Packet::PongProbe => ("pong", "probe".into()),
        Packet::Message(text) => ("message", text.into()),
        Packet::Binary(bytes) => (
            "message",
            js_sys::Uint8Array::from(bytes.as_slice()).buffer().into(),
        ),
        Packet::Upgrade => ("upgrade", JsValue::UNDEFINED),
        Packet::Noop => ("noop", JsValue::UNDEFINED),
    };
    let object = js_sys::Object::new();
    let _ = Reflect::set(&object, &"type".into(), &kind.into());
    let _ = Reflect::set(&object, &"data".into(), &data);
    object.into()
}

impl Sink for JsSink {
    fn deliver(driver: &Driver<Self>, event: Event) {
        let sink = driver.sink();
        match event {
            Event::Manager(event) => deliver_manager(sink, event),
            Event::Ping => sink.manager("ping", &JsValue::UNDEFINED, false),
            Event::Upgrading => sink.manager("upgrading", &JsValue::UNDEFINED, true),
            Event::Upgrade(transport) => {
                let object = js_sys::Object::new();
                let _ = Reflect::set(&object, &"name".into(), &transport.as_str().into());
                sink.manager("upgrade", &object, true);
            }
            Event::UpgradeError(e) => sink.manager("upgradeError", &error(&e.text()), true),
            Event::TransportError(e) => sink.manager("error", &error(&e.text()), true),
            Event::Packet(packet) => sink.manager("packet", &packet_value(packet), true),
            Event::CloseDescription(d) => {
                let value = description_value(&d);
                // Tells the wrapper, which passes it with the manager's and the engine's `close`.
                sink.manager("closeDescription", &value, false);
                *sink.pending_description.borrow_mut() = value;
            }
            #[allow(unreachable_patterns, reason = "the core's Event is non_exhaustive")]
            _ => {}
        }
    }

    fn called(driver: &Driver<Self>, tag: u32, value: JsValue) {
        let read = {
            let mut reads = driver.sink().reads.borrow_mut();
            let i = reads.iter().position(|r| r.tag == tag);
            // Freed here, from inside its own callback: wasm-bindgen frees a running closure
            // only once it returns.
            i.map(|i| reads.swap_remove(i))
        };
        if let Some(read) = read {
            blob_read(driver, read.seq, read.index, convert::bytes_of(&value));
        }
    }

    fn settled(driver: &Driver<Self>) {
        if JsSink::idle(driver) {
            // The wrapper frees the handles once out of this call (and checks `idle` again).
            driver.sink().manager("idle", &JsValue::UNDEFINED, false);
        }
    }
}

fn deliver_manager(sink: &JsSink, event: socket_client::Event) {
    use socket_client::Event as E;
    let none = &JsValue::UNDEFINED;
    match event {
        E::Open => sink.manager("open", none, false),
        E::Error(e) => sink.manager("error", &error(&e.text()), false),
        E::Close(reason) => {
            let description = core::mem::replace(
                &mut *sink.pending_description.borrow_mut(),
                JsValue::UNDEFINED,
            );
            *sink.description.borrow_mut() = description;
            sink.manager("close", &reason.as_str().into(), false);
        }
        E::ReconnectAttempt(n) => sink.manager("reconnect_attempt", &n.into(), false),
        E::Reconnect(n) => sink.manager("reconnect", &n.into(), false),
        E::ReconnectError(e) => sink.manager("reconnect_error", &error(&e.text()), false),
        E::ReconnectFailed => sink.manager("reconnect_failed", none, false),
        E::Connect { socket } => sink.socket(socket, "connect", none, none),
        E::ConnectError { socket, data } => {
            sink.socket(socket, "connect_error", &connect_error(&data), none)
        }
        E::Disconnect { socket, reason } => {
            let description = if reason.is_deliberate() {
                JsValue::UNDEFINED
            } else {
                sink.description.borrow().clone()
            };
            sink.socket(socket, "disconnect", &reason.as_str().into(), &description)
        }
        E::AuthRequest { socket } => sink.socket(socket, "auth", none, none),
        E::Event { socket, args, id } => match decode(&args) {
            Ok(args) => {
                let id = id.map_or(JsValue::UNDEFINED, |id| JsValue::from(id.0 as f64));
                sink.socket(socket, "event", &args, &id);
            }
            Err(e) => report_error(&e),
        },
        E::Ack { handle, result, .. } => {
            let ack = {
                let mut acks = sink.acks.borrow_mut();
                let i = acks.iter().position(|(h, _)| *h == handle.get());
                i.map(|i| acks.swap_remove(i).1)
            };
            let Some(ack) = ack else { return };
            match result {
                Ok(args) => match decode(&args) {
                    Ok(args) => {
                        let args: Array = args.unchecked_into();
                        if ack.with_error {
                            args.unshift(&JsValue::NULL);
                        }
                        if let Err(e) = ack.callback.apply(&JsValue::NULL, &args) {
                            report_error(&e);
                        }
                    }
                    Err(e) => report_error(&e),
                },
                // Plain callbacks are dropped on disconnection, as the reference drops them.
                Err(AckError::Disconnected) if !ack.with_error => {}
                Err(e) => call1(&ack.callback, &error(&e.text())),
            }
        }
        #[allow(unreachable_patterns, reason = "the core's Event is non_exhaustive")]
        _ => {}
    }
}

/// Received arguments as a JS array, their attachments as `ArrayBuffer`s (one function for events
/// and acks: the module is smaller than with it inlined twice).
fn decode(args: &Args) -> Result<JsValue, JsValue> {
    convert::decode(args.text(), args.attachments())
}

fn emit_error(e: &EmitError) -> JsError {
    JsError::new(&e.text())
}

/// Why an emit or an ack is not sent.
enum Refused {
    /// The encoded arguments are not arguments the core can carry: JSON it refuses (a lone
    /// surrogate, which `JSON.stringify` escapes as `\ud800`; nesting past `Args::MAX_DEPTH`), not
    /// an array (a `toJSON` on the array), a placeholder-like object naming a missing attachment.
    Args(ArgsError),
    /// The core refused the emit or the ack.
    Emit(EmitError),
}

fn refused_error(e: &Refused) -> JsError {
    match e {
        // Worded as the core's emit refusals, as when the core checked the JSON itself.
        Refused::Args(ArgsError::InvalidJson(e)) => emit_error(&EmitError::InvalidJson(*e)),
        Refused::Args(e) => JsError::new(&e.text()),
        Refused::Emit(e) => emit_error(e),
    }
}

/// As the reference words it: `"connect" is a reserved event name`.
fn reserved(name: &JsValue) -> JsError {
    let mut text = String::from("\"");
    text.push_str(&name.as_string().unwrap_or_default());
    text.push_str("\" is a reserved event name");
    JsError::new(&text)
}

/// Runs an emit or an ack now.
fn perform(
    driver: &Driver<JsSink>,
    socket: SocketId,
    encoded: Encoded,
    op: Op,
) -> Result<(), Refused> {
    let Encoded {
        json, attachments, ..
    } = encoded;
    let args = Args::from_json(json, attachments).map_err(Refused::Args)?;
    match op {
        Op::Emit {
            ack,
            timeout,
            volatile,
        } => {
            let mut emit = socket_client::Emit::new(args);
            emit.ack = ack.is_some();
            emit.timeout = timeout;
            emit.volatile = volatile;
            let handle = driver.command(|c, now| c.emit(now, socket, emit));
            if let (Ok(Some(handle)), Some(ack)) = (&handle, ack) {
                driver.sink().acks.borrow_mut().push((handle.get(), ack));
            }
            driver.pump();
            handle.map(drop).map_err(Refused::Emit)
        }
        Op::Ack(id) => driver
            .with(|c, now| c.ack(now, socket, id, args))
            .map_err(Refused::Emit),
    }
}

/// Runs an emit or an ack now, or queues it behind (or for) a `Blob` being read. A queued one
/// that the core refuses when its turn comes is reported with `reportError`, as it can no longer
/// throw.
fn submit(
    driver: &Driver<JsSink>,
    socket: SocketId,
    mut encoded: Encoded,
    op: Op,
) -> Result<(), Refused> {
    let sink = driver.sink();
    if encoded.blobs.is_empty() && sink.waiting.borrow().is_empty() {
        return perform(driver, socket, encoded, op);
    }
    let seq = sink.tag();
    let blobs = core::mem::take(&mut encoded.blobs);
    sink.waiting.borrow_mut().push(Waiting {
        seq,
        socket,
        encoded,
        missing: blobs.len(),
        op,
    });
    for (index, blob) in blobs {
        let tag = sink.tag();
        let callback = driver.callback(Source::Sink(tag));
        let _ = blob.array_buffer().then2(&callback, &callback);
        sink.reads.borrow_mut().push(BlobRead {
            tag,
            seq,
            index,
            _callback: callback,
        });
    }
    Ok(())
}

/// A `Blob` of queued entry `seq` was read (`None`: it could not be; the entry is dropped).
fn blob_read(driver: &Driver<JsSink>, seq: u32, index: usize, bytes: Option<Vec<u8>>) {
    let sink = driver.sink();
    {
        let mut waiting = sink.waiting.borrow_mut();
        let Some(i) = waiting.iter().position(|w| w.seq == seq) else {
            return;
        };
        match (bytes, waiting.get_mut(i)) {
            (Some(bytes), Some(entry)) => {
                if let Some(slot) = entry.encoded.attachments.get_mut(index) {
                    *slot = bytes;
                }
                entry.missing -= 1;
            }
            _ => {
                drop(waiting.remove(i));
                report_error(&error(
                    "a Blob argument could not be read; the emit is dropped",
                ));
            }
        }
    }
    loop {
        let next = {
            let mut waiting = sink.waiting.borrow_mut();
            match waiting.first() {
                Some(w) if w.missing == 0 => Some(waiting.remove(0)),
                _ => None,
            }
        };
        let Some(w) = next else { break };
        if let Err(e) = perform(driver, w.socket, w.encoded, w.op) {
            report_error(&refused_error(&e).into());
        }
    }
}

/// A Socket.IO manager: one Engine.IO connection shared by the sockets of its namespaces. Not
/// meant to be used directly: the package's `Manager` wraps it.
#[wasm_bindgen(js_name = RawManager)]
pub struct JsManager {
    driver: Driver<JsSink>,
}

#[wasm_bindgen(js_class = RawManager)]
impl JsManager {
    /// A manager for the absolute URL `uri` with socket.io-client's options; `on_event(kind,
    /// value, fromEngine)` hears the manager's and the engine's events.
    #[wasm_bindgen(constructor)]
    pub fn new(uri: &str, opts: &JsValue, on_event: Function) -> Result<JsManager, JsError> {
        let options = options::manager_options(uri, opts).map_err(|e| JsError::new(&e))?;
        if let Some(name) = crate::missing_global(&options.config.engine.transports) {
            let mut text = String::from("sockeye: this environment has no global ");
            text.push_str(name);
            text.push_str(
                ": use a browser or Node.js 22+, or list only the transports it supports \
                 (transports: [\"polling\"] needs only fetch)",
            );
            return Err(JsError::new(&text));
        }
        let sink = JsSink {
            manager: on_event,
            sockets: Shared::new(Vec::new()),
            remember_upgrade: options.config.engine.remember_upgrade,
            acks: Shared::new(Vec::new()),
            waiting: Shared::new(Vec::new()),
            reads: Shared::new(Vec::new()),
            next_tag: Cell::new(0),
            pending_description: Shared::new(JsValue::UNDEFINED),
            description: Shared::new(JsValue::UNDEFINED),
        };
        Ok(JsManager {
            driver: Driver::new(options.config, options.poll, sink),
        })
    }

    /// The defaults of the options the wrapper reads itself (`path`, `autoConnect`, the
    /// accessors'), from the core, in the order `options::defaults` gives: the wrapper states
    /// none of its own.
    pub fn defaults() -> Array {
        options::defaults()
    }

    /// The socket of namespace `nsp` (`retries`, `ackTimeout` from `opts`); `on_event(kind,
    /// value, ackId)` hears its events. Asking twice for one namespace gives the same socket
    /// and the newer `on_event`.
    pub fn socket(
        &self,
        nsp: &str,
        opts: &JsValue,
        on_event: Function,
    ) -> Result<JsSocket, JsError> {
        let nsp = Nsp::new(nsp).map_err(|e| JsError::new(&e.text()))?;
        let options = self
            .driver
            .read(|c| options::socket_options(opts, c.manager().config()));
        let (retries, ack_timeout) = (options.retries, options.ack_timeout);
        // Not pumped before `on_event` is registered: connecting may report at once.
        let id = self
            .driver
            .command(|c, now| c.socket_with(now, nsp, options));
        {
            let mut sockets = self.driver.sink().sockets.borrow_mut();
            sockets.retain(|(s, ..)| *s != id);
            sockets.push((id, on_event, retries > 0));
        }
        self.driver.pump();
        Ok(JsSocket {
            driver: self.driver.clone(),
            id,
            retries,
            ack_timeout,
        })
    }

    /// `manager.open()`.
    pub fn open(&self) {
        self.driver.with(|c, now| c.open(now));
    }

    /// `manager.close()` (`disconnect()`): closes the connection, no reconnection.
    pub fn close(&self) {
        self.driver.with(|c, now| c.close(now));
    }

    /// The browser's `offline` event: the transport is closed at once and the manager
    /// reconnects (the wrapper forwards the event).
    pub fn offline(&self) {
        self.driver.with(|c, now| c.handle_offline(now));
    }

    /// The engine's transport name (`"polling"`, `"websocket"`), while there is an engine
    /// (`undefined` otherwise). Getters return JS values rather than `Option<String>`: the module
    /// then needs no return-slot shim per getter.
    #[wasm_bindgen(getter)]
    pub fn transport(&self) -> JsValue {
        self.driver.read(|c| {
            string_or_undefined(
                c.engine()
                    .and_then(|(_, s)| s.transport())
                    .map(|t| t.as_str()),
            )
        })
    }

    /// The engine's session id, once its handshake arrived.
    #[wasm_bindgen(getter)]
    pub fn sid(&self) -> JsValue {
        self.driver.read(|c| {
            string_or_undefined(
                c.engine()
                    .and_then(|(_, s)| s.sid())
                    .map(|sid| sid.as_str()),
            )
        })
    }

    /// The manager's `readyState`: `"opening"`, `"open"` or `"closed"`.
    #[wasm_bindgen(getter, js_name = readyState)]
    pub fn ready_state(&self) -> JsValue {
        use socket_client::ReadyState;
        JsValue::from_str(match self.driver.read(|c| c.manager().state()) {
            ReadyState::Opening => "opening",
            ReadyState::Open => "open",
            ReadyState::Closed => "closed",
        })
    }

    /// The reference's option setters (`manager.reconnection(false)` ...): `name` is the
    /// option's; it takes effect from the next reconnection on.
    pub fn set(&self, name: &str, value: &JsValue) {
        self.driver
            .with(|c, _| options::set_manager_option(c, name, value));
    }

    /// Whether the manager is closed for good with nothing that freeing it would lose: the
    /// wrapper then frees its handles (it hears an `idle` event when this becomes true).
    #[wasm_bindgen(getter)]
    pub fn idle(&self) -> bool {
        JsSink::idle(&self.driver)
    }

    /// Whether a reconnection is scheduled or under way.
    #[wasm_bindgen(getter)]
    pub fn reconnecting(&self) -> bool {
        self.driver.read(|c| c.manager().is_reconnecting())
    }

    /// Turns the engine's `packet` events on (the wrapper does once something listens).
    #[wasm_bindgen(js_name = packetEvents)]
    pub fn packet_events(&self, on: bool) {
        self.driver.set_packet_events(on);
    }

    /// Drops the transports without a word to the server (`closeOnBeforeunload`).
    #[wasm_bindgen(js_name = dropTransports)]
    pub fn drop_transports(&self) {
        self.driver.drop_transports();
    }
}

/// A namespace socket of a [`JsManager`]. Not meant to be used directly: the package's `Socket`
/// wraps it.
#[wasm_bindgen(js_name = RawSocket)]
pub struct JsSocket {
    driver: Driver<JsSink>,
    id: SocketId,
    retries: u32,
    ack_timeout: Option<Duration>,
}

#[wasm_bindgen(js_class = RawSocket)]
impl JsSocket {
    /// `socket.connect()`.
    pub fn connect(&self) {
        self.driver.with(|c, now| c.connect(now, self.id));
    }

    /// `socket.disconnect()`.
    pub fn disconnect(&self) {
        self.driver.with(|c, now| c.disconnect(now, self.id));
    }

    /// Sends the CONNECT with `auth` (an object, or `undefined` / `null` for none), answering an
    /// `auth` event.
    #[wasm_bindgen(js_name = connectWithAuth)]
    pub fn connect_with_auth(&self, auth: &JsValue) -> Result<(), JsError> {
        let auth = if auth.is_undefined() || auth.is_null() {
            None
        } else {
            let json = crate::js::json_stringify(auth, &JsValue::UNDEFINED)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| JsError::new("auth must be an object"))?;
            Some(json)
        };
        self.driver
            .with(|c, now| c.connect_with_auth(now, self.id, auth));
        Ok(())
    }

    /// Emits `args` (the event name first). `ack` is called with the server's answer; with
    /// `with_error` (or a timeout, `ackTimeout` or `retries`) it gets an error or `null` first.
    pub fn emit(
        &self,
        args: &Array,
        ack: Option<Function>,
        with_error: bool,
        timeout: Option<f64>,
        volatile: bool,
    ) -> Result<(), JsError> {
        let encoded = convert::encode(args).map_err(thrown)?;
        let timeout = timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| Duration::from_millis(t as u64));
        let with_error = with_error
            || timeout.is_some()
            || self.ack_timeout.is_some()
            || (self.retries > 0 && !volatile);
        let ack = ack.map(|callback| AckCallback {
            callback,
            with_error,
        });
        let op = Op::Emit {
            ack,
            timeout,
            volatile,
        };
        submit(&self.driver, self.id, encoded, op).map_err(|e| match e {
            Refused::Emit(EmitError::ReservedEventName) => reserved(&args.get(0)),
            e => refused_error(&e),
        })
    }

    /// Answers the server's event `id` with `args`.
    pub fn ack(&self, id: f64, args: &Array) -> Result<(), JsError> {
        let encoded = convert::encode(args).map_err(thrown)?;
        submit(&self.driver, self.id, encoded, Op::Ack(AckId(id as u64)))
            .map_err(|e| refused_error(&e))
    }

    /// The socket's id, while connected.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> JsValue {
        self.driver
            .read(|c| string_or_undefined(c.manager().sid(self.id)))
    }

    /// Whether the socket is connected to its namespace.
    #[wasm_bindgen(getter)]
    pub fn connected(&self) -> bool {
        self.driver.read(|c| c.manager().is_connected(self.id))
    }

    /// Whether the socket reconnects when its manager does.
    #[wasm_bindgen(getter)]
    pub fn active(&self) -> bool {
        self.driver.read(|c| c.manager().is_active(self.id))
    }

    /// Whether the last connection recovered the previous session.
    #[wasm_bindgen(getter)]
    pub fn recovered(&self) -> bool {
        self.driver.read(|c| c.manager().is_recovered(self.id))
    }
}

/// A JS string, or `undefined` for none.
fn string_or_undefined(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// A value `JSON.stringify` threw, as a `JsError` with its message.
fn thrown(value: JsValue) -> JsError {
    JsError::new(&crate::js::error_text(&value))
}
