//! One browser `WebSocket` (binaryType `arraybuffer`), as the core's `WsOpen` asks for.
//!
//! One listener, the driver's callback for this engine, hears all four events (`open`, `message`,
//! `error`, `close`); [`WsEvent::read`] tells them apart. [`Ws`] owns it and detaches it before
//! closing the socket on drop, so no event of a socket the core has let go of reaches the driver.

use crate::callback::Callback;
use crate::counters::{self, Kind};
use crate::js;
use alloc::string::String;
use js_sys::{ArrayBuffer, Uint8Array};
use proto::engine::Frame;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A WebSocket event: a plain `Event` or a `MessageEvent`.
    type SocketEvent;
    #[wasm_bindgen(method, getter, js_name = type)]
    fn kind(this: &SocketEvent) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn data(this: &SocketEvent) -> JsValue;
    /// When the event was made, on `performance.now()`'s clock: no clock read of our own.
    #[wasm_bindgen(method, getter, js_name = timeStamp)]
    fn time_stamp(this: &SocketEvent) -> f64;

    /// The global `WebSocket`, with just what this module uses.
    type WebSocket;
    /// `new WebSocket(url, protocols)`; `protocols` may be `undefined` (none).
    #[wasm_bindgen(constructor, catch)]
    fn new(url: &str, protocols: &JsValue) -> Result<WebSocket, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn send(this: &WebSocket, data: &JsValue) -> Result<(), JsValue>;
    /// `send` of text: the glue makes the string in the same call (no JS string handed back to
    /// the module first, one crossing per message fewer).
    #[wasm_bindgen(method, catch, js_name = send)]
    fn send_text(this: &WebSocket, data: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn close(this: &WebSocket);
}

/// The socket's event handlers: one listener for all four.
const HANDLERS: [&str; 4] = ["onopen", "onmessage", "onerror", "onclose"];

/// What a WebSocket reports.
pub(crate) enum WsEvent {
    /// The connection opened.
    Open,
    /// One frame: a text frame is one Engine.IO packet, a binary frame one binary message.
    Frame(Frame),
    /// A text frame, also as the JS string it came as (see [`Driver::received_text`]).
    ///
    /// [`Driver::received_text`]: crate::driver::Driver::received_text
    Text(String, JsValue),
    /// The connection closed or failed (`error` and `close` both end up here; the first one wins
    /// because the driver drops the socket on it).
    Close,
    /// Nothing to report (a `message` whose data is neither text nor an `ArrayBuffer`, which
    /// binaryType `arraybuffer` rules out).
    None,
}

impl WsEvent {
    /// The meaning of one event the listener heard. A message is told by its `data` (text or an
    /// `ArrayBuffer`; the other events have none), so the hot path never copies the `type`.
    pub(crate) fn read(event: &JsValue) -> WsEvent {
        let event: &SocketEvent = event.unchecked_ref();
        let data = event.data();
        if let Some(text) = data.as_string() {
            return WsEvent::Text(text, data);
        }
        if let Some(buf) = data.dyn_ref::<ArrayBuffer>() {
            return WsEvent::Frame(Frame::Binary(crate::convert::to_vec(&Uint8Array::new(buf))));
        }
        match event.kind().as_string().as_deref() {
            Some("open") => WsEvent::Open,
            Some("message") => WsEvent::None,
            _ => WsEvent::Close,
        }
    }
}

/// When `event` happened, in the driver's clock.
pub(crate) fn time_of(event: &JsValue) -> proto::Instant {
    crate::timer::instant(event.unchecked_ref::<SocketEvent>().time_stamp())
}

/// An open or opening WebSocket and its listener.
pub(crate) struct Ws {
    socket: WebSocket,
    _listener: Callback,
}

impl Ws {
    /// Opens `url`; `listener` hears every event until the socket is dropped. Fails when the
    /// browser refuses the URL (a syntax error, a blocked port) or has no `WebSocket`.
    pub(crate) fn open(url: &str, protocols: &JsValue, listener: Callback) -> Result<Ws, JsValue> {
        let socket = WebSocket::new(url, protocols)?;
        // Plain property sets: one binding for all of them rather than a typed setter each.
        js::set(&socket, "binaryType", &JsValue::from_str("arraybuffer"));
        for handler in HANDLERS {
            js::set(&socket, handler, listener.as_ref());
            counters::add(Kind::Listener, 1);
        }
        Ok(Ws {
            socket,
            _listener: listener,
        })
    }

    /// Sends one frame. A socket that is closing throws; its `close` event follows, so the error
    /// itself is not worth reporting.
    pub(crate) fn send(&self, frame: &Frame) {
        let _ = match frame {
            Frame::Text(text) => self.socket.send_text(text),
            Frame::Binary(bytes) => self.socket.send(&Uint8Array::from(bytes.as_slice())),
        };
    }
}

impl Drop for Ws {
    fn drop(&mut self) {
        for handler in HANDLERS {
            js::set(&self.socket, handler, &JsValue::NULL);
            counters::add(Kind::Listener, -1);
        }
        self.socket.close();
    }
}
