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
    /// value, fromEngine)` hears the manager's and the engine's events. `opts` is kept: each
    /// engine after the first reads it again, as the reference reads `io.opts` on each
    /// reconnection. `closed` overrides `autoConnect` (a manager made again after being freed).
    #[wasm_bindgen(constructor)]
    pub fn new(
        uri: &str,
        opts: JsValue,
        on_event: Function,
        closed: Option<bool>,
    ) -> Result<JsManager, JsError> {
        let mut options = options::manager_options(uri, &opts).map_err(|e| JsError::new(&e))?;
        if closed == Some(true) {
            options.config.manager.auto_connect = false;
        }
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
            uri: String::from(uri),
            opts,
            encoder: Default::default(),
            event_kind: JsValue::from_str("event"),
        };
        let driver = Driver::new(options.config, options.poll, sink);
        driver.command(|c, _| c.set_deferred_open(true));
        Ok(JsManager { driver })
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

    /// One of the manager's commands, by number (one export for the five, each rarely called):
    /// 0 `manager.open()`; 1 `manager.close()` (`disconnect()`: closes the connection, no
    /// reconnection); 2 the browser's `offline` event (the transport is closed at once and the
    /// manager reconnects); 3 `engine.close()` (closes the engine with a `forced close`; the
    /// manager reconnects as it does after any lost transport); 4 drops the transports without a
    /// word to the server (`closeOnBeforeunload`).
    pub fn command(&self, which: u8) {
        match which {
            0 => self.driver.with(|c, now| c.open(now)),
            1 => self.driver.with(|c, now| c.close(now)),
            2 => self.driver.with(|c, now| c.handle_offline(now)),
            3 => self.driver.with(|c, now| c.close_engine(now)),
            _ => self.driver.drop_transports(),
        }
    }

    /// One of the manager's read-only properties, by number (one export rather than a getter
    /// each): 0 the manager's `readyState` (`"opening"`, `"open"` or `"closed"`); 1 whether a
    /// reconnection is scheduled or under way; 2 whether the manager is closed for good with
    /// nothing that freeing it would lose (the wrapper then frees its handles: it hears a
    /// `settled` event, with this, whenever nothing is in flight); 3 the engine's `readyState`
    /// (`"opening"`, `"open"`, `"closing"` or `"closed"`, also when there is none); 4 the
    /// engine's session id, once its handshake arrived; 5 the engine's transport name
    /// (`"polling"`, `"websocket"`). 4 and 5 are `undefined` when there is none.
    pub fn state(&self, which: u8) -> JsValue {
        use proto::engine::client::State;
        use socket_client::ReadyState;
        if which == 2 {
            return JsSink::idle(&self.driver).into();
        }
        self.driver.read(|c| match which {
            0 => JsValue::from_str(match c.manager().state() {
                ReadyState::Opening => "opening",
                ReadyState::Open => "open",
                ReadyState::Closed => "closed",
            }),
            1 => c.manager().is_reconnecting().into(),
            3 => JsValue::from_str(match c.engine().map(|(_, s)| s.state()) {
                Some(State::Opening) => "opening",
                Some(State::Open) => "open",
                Some(State::Closing) => "closing",
                _ => "closed",
            }),
            4 => string_or_undefined(
                c.engine()
                    .and_then(|(_, s)| s.sid())
                    .map(|sid| sid.as_str()),
            ),
            _ => string_or_undefined(
                c.engine()
                    .and_then(|(_, s)| s.transport())
                    .map(|t| t.as_str()),
            ),
        })
    }

    /// The reference's option setters (`manager.reconnection(false)` ...): `name` is the
    /// option's; it takes effect from the next reconnection on.
    pub fn set(&self, name: &str, value: &JsValue) {
        self.driver
            .with(|c, _| options::set_manager_option(c, name, value));
    }

    /// Turns the engine's `packet` events on or off (`engine` true), or the manager's (the
    /// wrapper does once something listens).
    #[wasm_bindgen(js_name = packetEvents)]
    pub fn packet_events(&self, on: bool, engine: bool) {
        if engine {
            self.driver.set_packet_events(on);
        } else {
            self.driver.command(|c, _| c.set_socket_packet_events(on));
        }
    }
}

/// The engine completed its handshake: its `handshake` (the open packet's data) and `open`
/// events, which come before the manager's `open` (the reference's order).
pub(super) fn engine_open(driver: &Driver<JsSink>) {
    let mut json = String::new();
    driver.read(|c| {
        if let Some(h) = c.engine().and_then(|(_, s)| s.handshake()) {
            h.encode(&mut json);
        }
    });
    let sink = driver.sink();
    let data = crate::js::json_parse(&json, &JsValue::UNDEFINED).unwrap_or(JsValue::UNDEFINED);
    sink.manager("handshake", &data, true);
    sink.manager("open", &JsValue::UNDEFINED, true);
}

/// The manager wants a new engine: the wrapper makes its new `engine` object (`opening`), then
/// the options are read again from `io.opts` (as the reference reads them on each open, so that
/// a `reconnect_attempt` or `connect_error` listener can change the query, the headers or the
/// transports) and the engine opens.
pub(super) fn engine_opening(driver: &Driver<JsSink>) {
    let sink = driver.sink();
    sink.manager("opening", &JsValue::UNDEFINED, false);
    // The URL parsed once already: this cannot fail.
    if let Ok((config, poll)) = options::engine_options(&sink.uri, &sink.opts) {
        driver.set_poll(poll);
        driver.command(|c, _| c.set_engine_config(config));
    }
    driver.with(|c, now| c.open_engine(now));
}
