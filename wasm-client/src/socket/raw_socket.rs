//! `RawSocket`: a namespace socket of a `RawManager`, as the wrapper's `Socket` drives it.

use alloc::string::String;
use core::time::Duration;

use js_sys::{Array, Function};
use proto::socket::client::{EmitError, SocketId};
use proto::socket::packet::{AckId, Packet, PacketData};
use wasm_bindgen::prelude::*;

use super::queue::{Op, Refused, refused_error, reserved, submit};
use super::{AckCallback, JsSink, string_or_undefined};
use crate::convert::{self, Encoded};
use crate::driver::Driver;

/// A namespace socket of a [`JsManager`](super::JsManager). Not meant to be used directly: the package's `Socket`
/// wraps it.
#[wasm_bindgen(js_name = RawSocket)]
pub struct JsSocket {
    pub(super) driver: Driver<JsSink>,
    pub(super) id: SocketId,
    pub(super) retries: u32,
    pub(super) ack_timeout: Option<Duration>,
}

#[wasm_bindgen(js_class = RawSocket)]
impl JsSocket {
    /// `socket.connect()` (`disconnect` false) or `socket.disconnect()` (true).
    pub fn connect(&self, disconnect: bool) {
        if disconnect {
            self.driver.with(|c, now| c.disconnect(now, self.id));
        } else {
            self.driver.with(|c, now| c.connect(now, self.id));
        }
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

    /// Emits `args` (the event name first), whose JSON text is `json` when they hold no binary
    /// value (the wrapper's `JSON.stringify`), or `undefined` for the module to make with its
    /// replacer. `ack` is called with the server's answer; with `flags` & 1 (with error; or a
    /// timeout, `ackTimeout` or `retries`) it gets an error or `null` first. `flags` & 2:
    /// volatile. (One number for both: each argument costs the glue and the module.)
    pub fn emit(
        &self,
        json: Option<String>,
        args: &Array,
        ack: Option<Function>,
        timeout: Option<f64>,
        flags: u8,
    ) -> Result<(), JsError> {
        let volatile = flags & 2 != 0;
        let encoded = encoded(&self.driver, json, args)?;
        let timeout = timeout
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| Duration::from_millis(t as u64));
        let with_error = flags & 1 != 0
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

    /// Answers the server's event `id` with `args` (`json` as for [`emit`](Self::emit)).
    pub fn ack(&self, id: f64, json: Option<String>, args: &Array) -> Result<(), JsError> {
        let encoded = encoded(&self.driver, json, args)?;
        submit(&self.driver, self.id, encoded, Op::Ack(AckId(id as u64)))
            .map_err(|e| refused_error(&e))
    }

    /// One of the socket's read-only properties, by number (one export rather than a getter
    /// each): 0 its id (while connected, `undefined` otherwise); 1 whether it is connected to its
    /// namespace; 2 whether it reconnects when its manager does (`active`); 3 whether the last
    /// connection recovered the previous session.
    pub fn state(&self, which: u8) -> JsValue {
        self.driver.read(|c| {
            let m = c.manager();
            match which {
                0 => string_or_undefined(m.sid(self.id)),
                1 => m.is_connected(self.id).into(),
                2 => m.is_active(self.id).into(),
                _ => m.is_recovered(self.id).into(),
            }
        })
    }

    /// The reference's `sendBuffer` (`receive` false): the packets of the offline buffer as
    /// `{ type, data, id }`, `data` the arguments with the event name first; or its
    /// `receiveBuffer` (`receive` true): the arguments of each event received before the
    /// CONNECT completed. Copies: changing them changes nothing.
    pub fn buffer(&self, receive: bool) -> Array {
        let out = Array::new();
        self.driver.read(|c| {
            let m = c.manager();
            if receive {
                for (args, _) in m.receive_buffer(self.id) {
                    out.push(&convert::decode(args.text(), args.attachments()).unwrap_or_default());
                }
            } else {
                for packet in m.send_buffer(self.id) {
                    out.push(&packet_object(packet, false));
                }
            }
        });
        out
    }

    /// Empties the send buffer (`receive` false: `socket.sendBuffer = []`) or the receive
    /// buffer.
    #[wasm_bindgen(js_name = clearBuffer)]
    pub fn clear_buffer(&self, receive: bool) {
        self.driver.with(|c, _| {
            if receive {
                c.clear_receive_buffer(self.id);
            } else {
                c.clear_send_buffer(self.id);
            }
        });
    }
}

/// A Socket.IO packet as the reference's parser gives it: `{ type, data, id }`, `data` the
/// arguments (the event name first) or the CONNECT / CONNECT_ERROR object, and with `nsp` the
/// namespace too (the manager's `packet` event; the send buffer's packets have none).
pub(super) fn packet_object(packet: &Packet, nsp: bool) -> JsValue {
    let object: JsValue = js_sys::Object::new().into();
    crate::js::set(&object, "type", &(packet.packet_type() as u8).into());
    if nsp {
        crate::js::set(&object, "nsp", &packet.nsp.as_str().into());
    }
    let data = match &packet.data {
        PacketData::Event { args, .. } | PacketData::Ack { args, .. } => {
            convert::decode(args.text(), args.attachments())
        }
        PacketData::Connect(Some(json)) | PacketData::ConnectError(json) => {
            crate::js::json_parse(json, &JsValue::UNDEFINED)
        }
        _ => Ok(JsValue::UNDEFINED),
    };
    crate::js::set(&object, "data", &data.unwrap_or_default());
    if let Some(id) = packet.ack_id() {
        crate::js::set(&object, "id", &(id.0 as f64).into());
    }
    object
}

/// The arguments of an emit or an ack: `json` as the wrapper made it, or made here with the
/// replacer that turns binary values into attachments.
fn encoded(
    driver: &Driver<JsSink>,
    json: Option<String>,
    args: &Array,
) -> Result<Encoded, JsError> {
    match json {
        Some(json) => Ok(Encoded {
            json,
            ..Encoded::default()
        }),
        None => driver.sink().encoder.encode(args).map_err(thrown),
    }
}

/// A value `JSON.stringify` threw, as a `JsError` with its message.
fn thrown(value: JsValue) -> JsError {
    JsError::new(&crate::js::error_text(&value))
}
