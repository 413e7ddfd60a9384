//! The JS surface: the exported `RawManager` / `RawSocket` types the ESM wrapper (`js/index.js`)
//! builds the socket.io-client-like API on, and the [`JsSink`] that turns core events into JS
//! calls (this file).
//!
//! What is JS-shaped stays in the wrapper (listeners, variadic arguments, flags, the manager
//! cache); what is protocol stays in the core. This layer converts values, keeps the
//! acknowledgement callbacks, and keeps emits holding a `Blob` in their place in the send order
//! (`queue.rs`). `raw_manager.rs` and `raw_socket.rs` hold the exported types.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use js_sys::{Array, Function};
use proto::client::{CloseDescription, Event};
use proto::engine::Packet;
use proto::socket::args::Args;
use proto::socket::client::{self as socket_client, AckError, SocketId};
use proto::text::ErrorText;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::cell::Shared;
use crate::convert;
use crate::driver::{Driver, Sink};

mod queue;
mod raw_manager;
mod raw_socket;

pub use raw_manager::JsManager;
pub use raw_socket::JsSocket;

use queue::{BlobRead, Waiting, blob_read};

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
    // wasm-bindgen's own `Error` constructor, which the exports' thrown `JsError`s need anyway:
    // js-sys's would be one more import.
    JsError::new(message).into()
}

/// [`ErrorText::write_text`] alone, for `dyn` use: a `dyn ErrorText`'s vtable would also hold
/// each type's `text`, kept in the module by the table.
trait WriteText {
    fn write(&self, out: &mut String);
}

impl<T: ErrorText> WriteText for T {
    fn write(&self, out: &mut String) {
        self.write_text(out);
    }
}

/// The text of `e`: one function for every error type (`dyn`, not generic), so the module holds
/// the string building once.
fn text_of(e: &dyn WriteText) -> String {
    let mut text = String::new();
    e.write(&mut text);
    text
}

/// An `Error` with the text of `e`.
fn error_of(e: &dyn WriteText) -> JsValue {
    error(&text_of(e))
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
    /// The manager's URL and its options object (`io.opts`), read again before each engine
    /// opens: applications change it between connections.
    uri: String,
    opts: JsValue,
    /// Encodes the arguments of emits and acks.
    encoder: convert::Encoder,
    /// `"event"`, made once: a string made per received event is one more decode per message.
    event_kind: JsValue,
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
        self.socket_with(socket, &kind.into(), value, extra);
    }

    fn socket_with(&self, socket: SocketId, kind: &JsValue, value: &JsValue, extra: &JsValue) {
        let f = self
            .sockets
            .borrow()
            .iter()
            .find(|(s, ..)| *s == socket)
            .map(|(_, f, _)| f.clone());
        if let Some(f) = f {
            call3(&f, kind, value, extra);
        }
    }
}

/// An `Error` for a `connect_error`: `message` from the data, and `data` as the reference sets it.
fn connect_error(data: &str) -> JsValue {
    let parsed = crate::js::json_parse(data, &JsValue::UNDEFINED).unwrap_or(JsValue::UNDEFINED);
    let message = crate::js::get(&parsed, "message")
        .as_string()
        .unwrap_or_default();
    let err = error(&message);
    let data = crate::js::get(&parsed, "data");
    crate::js::set(&err, "data", &data);
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
    crate::js::set(&value, key, &field);
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
        Packet::Binary(bytes) => ("message", convert::array_buffer(&bytes)),
        Packet::Upgrade => ("upgrade", JsValue::UNDEFINED),
        Packet::Noop => ("noop", JsValue::UNDEFINED),
    };
    let object = js_sys::Object::new();
    crate::js::set(&object, "type", &kind.into());
    crate::js::set(&object, "data", &data);
    object.into()
}

impl Sink for JsSink {
    fn deliver(driver: &Driver<Self>, event: Event) {
        let sink = driver.sink();
        match event {
            Event::Manager(socket_client::Event::Open) => {
                raw_manager::engine_open(driver);
                sink.manager("open", &JsValue::UNDEFINED, false);
            }
            Event::Manager(event) => deliver_manager(driver, event),
            Event::EngineOpening => raw_manager::engine_opening(driver),
            Event::Ping => sink.manager("ping", &JsValue::UNDEFINED, false),
            Event::Upgrading => sink.manager("upgrading", &JsValue::UNDEFINED, true),
            Event::Upgrade(transport) => {
                let object = js_sys::Object::new();
                crate::js::set(&object, "name", &transport.as_str().into());
                sink.manager("upgrade", &object, true);
            }
            Event::UpgradeError(e) => sink.manager("upgradeError", &error_of(&e), true),
            Event::TransportError(e) => sink.manager("error", &error_of(&e), true),
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
        // Told even when not idle: the wrapper holds a closed manager until its driver settles
        // (see `settling` in js/client.js). When idle, it frees the handles once out of this call
        // (and checks `idle` again).
        let idle = JsSink::idle(driver);
        driver
            .sink()
            .manager("settled", &JsValue::from_bool(idle), false);
    }
}

fn deliver_manager(driver: &Driver<JsSink>, event: socket_client::Event) {
    use socket_client::Event as E;
    let sink = driver.sink();
    let none = &JsValue::UNDEFINED;
    match event {
        E::Open => sink.manager("open", none, false),
        E::Error(e) => sink.manager("error", &error_of(&e), false),
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
        E::ReconnectError(e) => sink.manager("reconnect_error", &error_of(&e), false),
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
        E::Packet(p) => sink.manager("packet", &raw_socket::packet_object(&p, true), false),
        E::Event { socket, args, id } => match decode(driver, &args) {
            Ok(args) => {
                let id = id.map_or(JsValue::UNDEFINED, |id| JsValue::from(id.0 as f64));
                sink.socket_with(socket, &sink.event_kind, &args, &id);
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
                Ok(args) => match decode(driver, &args) {
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
                Err(e) => call1(&ack.callback, &error_of(&e)),
            }
        }
        #[allow(unreachable_patterns, reason = "the core's Event is non_exhaustive")]
        _ => {}
    }
}

/// Received arguments as a JS array, their attachments as `ArrayBuffer`s (one function for events
/// and acks: the module is smaller than with it inlined twice).
fn decode(driver: &Driver<JsSink>, args: &Args) -> Result<JsValue, JsValue> {
    if args.attachments().is_empty()
        && let Some(text) = driver.received_text(args.text())
    {
        return crate::js::json_parse_value(&text);
    }
    convert::decode(args.text(), args.attachments())
}

/// A JS string, or `undefined` for none.
fn string_or_undefined(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::UNDEFINED, JsValue::from_str)
}
