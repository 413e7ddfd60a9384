//! The few JS bindings js-sys lacks or types more narrowly than this crate uses them.
//!
//! Each distinct binding is an import of the wasm module and a function of wasm-bindgen's glue,
//! so the crate reuses a few general ones (`Reflect.set` with a key, `JSON.parse` with an
//! optional reviver) rather than one typed setter per property.

use alloc::string::String;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::callback::Callback;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse(text, reviver)`; `reviver` may be `undefined`.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub(crate) fn json_parse(text: &str, reviver: &JsValue) -> Result<JsValue, JsValue>;

    /// `JSON.stringify(value, replacer)`; `replacer` may be `undefined`. `undefined` when the
    /// value has no JSON form.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    pub(crate) fn json_stringify(value: &JsValue, replacer: &JsValue) -> Result<JsValue, JsValue>;

    /// `JSON.parse(text)` of a JS string (no copy through the module's memory).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub(crate) fn json_parse_value(text: &JsValue) -> Result<JsValue, JsValue>;

    /// A JS string, as [`slice_from`] uses it.
    type Text;
    #[wasm_bindgen(method, js_name = slice)]
    fn slice(this: &Text, start: u32) -> JsValue;

    /// A promise, as [`settle_into`] uses it.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then(this: &Thenable, fulfilled: &JsValue, rejected: &JsValue) -> JsValue;
}

/// `promise.then(callback, callback)`: the callback hears the value or the reason alike. (js-sys's
/// `then2` types its callbacks as one-argument closures, which [`Callback`] is not.)
pub(crate) fn settle_into(promise: &JsValue, callback: &Callback) {
    let _ = promise
        .unchecked_ref::<Thenable>()
        .then(callback.as_ref(), callback.as_ref());
}

/// `text.slice(start)`: the JS string `text` from UTF-16 code unit `start` on.
pub(crate) fn slice_from(text: &JsValue, start: u32) -> JsValue {
    text.unchecked_ref::<Text>().slice(start)
}

/// `target[key] = value`, on an object (setters do not throw on the objects this crate builds
/// or on the platform objects it configures).
pub(crate) fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// `target[key]`, or `undefined` when reading it throws (a getter, a proxy).
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A person-readable text for a thrown value (an `Error`'s message, or the value as a string).
pub(crate) fn error_text(value: &JsValue) -> String {
    get(value, "message")
        .as_string()
        .or_else(|| value.as_string())
        .unwrap_or_else(|| String::from("unknown error"))
}
