//! `RawManager`: one Engine.IO connection shared by the sockets of its namespaces, as the
//! wrapper's `Manager` drives it.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use js_sys::{Array, Function};
use proto::socket::client as socket_client;
use proto::socket::packet::Nsp;
use proto::text::ErrorText;
use wasm_bindgen::prelude::*;

use super::raw_socket::JsSocket;
use super::{JsSink, string_or_undefined};
use crate::cell::Shared;
use crate::driver::Driver;
use crate::options;

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
            encoder: Default::default(),
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
