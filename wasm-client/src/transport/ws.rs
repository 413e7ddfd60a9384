//! One browser `WebSocket` (binaryType `arraybuffer`), as the core's `WsOpen` asks for.
//!
//! The listeners are closures owned by [`Ws`]; dropping it detaches them before closing the socket,
//! so no event of a socket the core has let go of ever reaches the driver.

use js_sys::{ArrayBuffer, Uint8Array};
use proto::engine::Frame;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a WebSocket reports.
pub(crate) enum WsEvent {
    /// The connection opened.
    Open,
    /// One frame: a text frame is one Engine.IO packet, a binary frame one binary message.
    Frame(Frame),
    /// The connection closed or failed (`error` and `close` both end up here; the first one wins
    /// because the driver drops the socket on it).
    Close,
}

/// An open or opening WebSocket and its listeners.
pub(crate) struct Ws {
    socket: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut()>,
}

impl Ws {
    /// Opens `url`; `on` hears every event until the socket is dropped. Fails when the browser
    /// refuses the URL (a syntax error, a blocked port) or has no `WebSocket`.
    pub(crate) fn open(url: &str, on: impl Fn(WsEvent) + Clone + 'static) -> Result<Ws, JsValue> {
        let socket = WebSocket::new(url)?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let f = on.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || f(WsEvent::Open));
        let f = on.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            let frame = match data.as_string() {
                Some(text) => Frame::Text(text),
                None => match data.dyn_ref::<ArrayBuffer>() {
                    Some(buf) => Frame::Binary(Uint8Array::new(buf).to_vec()),
                    // binaryType is arraybuffer, so nothing else arrives.
                    None => return,
                },
            };
            f(WsEvent::Frame(frame));
        });
        let on_close = Closure::<dyn FnMut()>::new(move || on(WsEvent::Close));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onerror(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Ws {
            socket,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Sends one frame. A socket that is closing throws; its `close` event follows, so the error
    /// itself is not worth reporting.
    pub(crate) fn send(&self, frame: &Frame) {
        let _ = match frame {
            Frame::Text(text) => self.socket.send_with_str(text),
            Frame::Binary(bytes) => self.socket.send_with_u8_array(bytes),
        };
    }
}

impl Drop for Ws {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onerror(None);
        self.socket.set_onclose(None);
        let _ = self.socket.close();
    }
}
