//! JS values <-> the core's payload model (`sockeye_core::socket::Args`): JSON text plus binary
//! attachments.
//!
//! The browser's own `JSON.stringify` / `JSON.parse` do the JSON. Binary values nested anywhere
//! (`ArrayBuffer`, any typed array, `DataView`, `Blob`) become `{"_placeholder":true,"num":n}` on
//! the way out, numbered in the order `JSON.stringify` meets them (depth first, as the
//! reference's `deconstructPacket`), and the placeholders of a received binary packet become
//! `ArrayBuffer`s on the way in. A `Blob` can only be read asynchronously: [`encode`] reports it
//! and leaves its attachment empty for the caller to fill.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use js_sys::{ArrayBuffer, Object, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Blob;

use crate::callback::Callback;
use crate::cell::Shared;

#[wasm_bindgen]
extern "C" {
    /// Any `ArrayBuffer` view: a typed array or a `DataView`.
    type View;
    #[wasm_bindgen(method, getter)]
    fn buffer(this: &View) -> JsValue;
    #[wasm_bindgen(method, getter, js_name = byteOffset)]
    fn byte_offset(this: &View) -> u32;
    #[wasm_bindgen(method, getter, js_name = byteLength)]
    fn byte_length(this: &View) -> u32;

    /// A `Uint8Array`, as [`to_vec`] copies it.
    type Bytes;
    /// `bytes.subarray()`: a view of the same bytes, which wasm-bindgen's glue copies into the
    /// module's memory (once: the view itself copies nothing).
    #[wasm_bindgen(method, js_name = subarray)]
    fn copy(this: &Bytes) -> Vec<u8>;
}

/// The bytes of a `Uint8Array`: lighter in the module than `Uint8Array::to_vec`, whose length
/// assertion links `core::fmt`'s integer printing.
pub(crate) fn to_vec(bytes: &Uint8Array) -> Vec<u8> {
    bytes.unchecked_ref::<Bytes>().copy()
}

/// Event or ack arguments, ready for the core.
#[derive(Default)]
pub(crate) struct Encoded {
    /// The JSON text, with one placeholder per attachment.
    pub(crate) json: String,
    /// The attachments' bytes; those of a `Blob` are empty until it is read.
    pub(crate) attachments: Vec<Vec<u8>>,
    /// The `Blob`s still to read, with the attachment each fills.
    pub(crate) blobs: Vec<(usize, Blob)>,
}

/// What a [`visitor`] does to each value `JSON.stringify` or `JSON.parse` meets.
enum Visit {
    /// Binary values become placeholders, their bytes collected here.
    Encode(Rc<Shared<Encoded>>),
    /// Placeholders become these `ArrayBuffer`s.
    Decode(js_sys::Array),
}

/// The replacer or reviver (one closure type for both, so the module holds its glue once).
fn visitor(visit: Visit) -> Callback {
    Closure::new(move |_key: JsValue, value: JsValue| match &visit {
        Visit::Encode(sink) => replace(sink, value),
        Visit::Decode(buffers) => revive(buffers, value),
    })
}

fn replace(sink: &Shared<Encoded>, value: JsValue) -> JsValue {
    if !value.is_object() {
        return value;
    }
    let bytes = if let Some(buf) = value.dyn_ref::<ArrayBuffer>() {
        to_vec(&Uint8Array::new(buf))
    } else if ArrayBuffer::is_view(&value) {
        let view: &View = value.unchecked_ref();
        to_vec(&Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset(),
            view.byte_length(),
        ))
    } else if let Some(blob) = value.dyn_ref::<Blob>() {
        let mut sink = sink.borrow_mut();
        let n = sink.attachments.len();
        sink.blobs.push((n, blob.clone()));
        sink.attachments.push(Vec::new());
        return placeholder(n);
    } else {
        return value;
    };
    let mut sink = sink.borrow_mut();
    let n = sink.attachments.len();
    sink.attachments.push(bytes);
    placeholder(n)
}

fn revive(buffers: &js_sys::Array, value: JsValue) -> JsValue {
    if value.is_object()
        && crate::js::get(&value, "_placeholder").as_bool() == Some(true)
        // Only `_placeholder` and `num`: an object with another key is data (see `decode`).
        && Object::keys(value.unchecked_ref::<Object>()).length() == 2
    {
        let num = crate::js::get(&value, "num")
            .as_f64()
            .filter(|n| *n >= 0.0 && *n == (*n as u64) as f64);
        if let Some(n) = num.filter(|n| *n < f64::from(buffers.length())) {
            return buffers.get(n as u32);
        }
    }
    value
}

/// `JSON.stringify(value)` with binary values replaced by placeholders, with one replacer for
/// many calls (a driver's lifetime): making and freeing a JS closure per emit cost more than the
/// `JSON.stringify` it serves.
pub(crate) struct Encoder {
    found: Rc<Shared<Encoded>>,
    replacer: Callback,
    /// Whether an `encode` is running: a `toJSON` that emits from inside `JSON.stringify` gets an
    /// encoder of its own.
    busy: Cell<bool>,
}

impl Default for Encoder {
    fn default() -> Self {
        let found = Rc::new(Shared::new(Encoded::default()));
        let replacer = visitor(Visit::Encode(Rc::clone(&found)));
        Encoder {
            found,
            replacer,
            busy: Cell::new(false),
        }
    }
}

impl Encoder {
    /// The JSON text and attachments of `value`, binary values replaced by placeholders. Fails
    /// as `JSON.stringify` does (a cycle, a `BigInt`) or when the value is not JSON at all
    /// (`undefined`).
    ///
    /// Only for values that may hold a binary value: the wrapper stringifies the others itself,
    /// on V8's fast path, without a call into the module per value (the replacer's), the largest
    /// CPU cost of an emit.
    pub(crate) fn encode(&self, value: &JsValue) -> Result<Encoded, JsValue> {
        if self.busy.replace(true) {
            return Encoder::default().encode(value);
        }
        let text = crate::js::json_stringify(value, self.replacer.as_ref());
        // Taken whatever the outcome, so that a failed call leaves nothing for the next one.
        let mut encoded = self.found.take();
        self.busy.set(false);
        encoded.json = text?
            .as_string()
            .ok_or_else(|| JsValue::from(JsError::new("the value is not JSON")))?;
        Ok(encoded)
    }
}

fn placeholder(num: usize) -> JsValue {
    let object = Object::new();
    crate::js::set(&object, "_placeholder", &JsValue::TRUE);
    crate::js::set(&object, "num", &JsValue::from(num as u32));
    object.into()
}

/// `JSON.parse(json)` with each placeholder replaced by its attachment as an `ArrayBuffer`.
///
/// Which objects are placeholders is the core's rule (the `sockeye_core::json` module docs), the
/// one its scan applied when the packet was decoded: only in a packet with attachments (in a plain
/// one, a placeholder-like object is data, as in the reference), and only an object whose
/// `_placeholder` is `true` with no member but `_placeholder` and `num`. The reviver tests
/// exactly that on the tree `JSON.parse` built, which is why it finds the objects the scan found:
/// `JSON.parse` reads keys unescaped and keeps the last of a repeated key, as the scan does (so an
/// object that a repeated key hid is not in the tree at all); the scan admitted the packet only if
/// every such object's `num` is a plain integer below the attachment count, so the reviver needs
/// no other case (the `num` check below is for safety only). The scan's recorded positions are
/// no use here: they are offsets in the UTF-8 text, and `JSON.parse` builds its tree in JS.
pub(crate) fn decode(json: &str, attachments: &[Vec<u8>]) -> Result<JsValue, JsValue> {
    if attachments.is_empty() {
        return crate::js::json_parse(json, &JsValue::UNDEFINED);
    }
    let buffers = js_sys::Array::new();
    for bytes in attachments {
        buffers.push(&array_buffer(bytes));
    }
    let reviver = visitor(Visit::Decode(buffers));
    crate::js::json_parse(json, reviver.as_ref())
}

/// A new `ArrayBuffer` holding `bytes` (through [`View`]'s `buffer` getter, which `replace` needs
/// anyway: js-sys's `Uint8Array::buffer` would be one more import).
pub(crate) fn array_buffer(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).unchecked_ref::<View>().buffer()
}

/// The bytes of an `ArrayBuffer` (what `Blob.arrayBuffer()` resolves to).
pub(crate) fn bytes_of(buffer: &JsValue) -> Option<Vec<u8>> {
    buffer
        .dyn_ref::<ArrayBuffer>()
        .map(|b| to_vec(&Uint8Array::new(b)))
}
