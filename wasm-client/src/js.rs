//! The few JS bindings js-sys lacks or types more narrowly than this crate uses them.

use js_sys::{Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A promise seen through its `then`, taking any functions.
    type Thenable;

    #[wasm_bindgen(method, js_name = then)]
    fn then1(this: &Thenable, on_fulfilled: &JsValue) -> Promise;

    #[wasm_bindgen(method, js_name = then)]
    fn then2(this: &Thenable, on_fulfilled: &JsValue, on_rejected: &JsValue) -> Promise;

    /// `JSON.parse(text, reviver)`.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub(crate) fn json_parse_with(text: &str, reviver: &JsValue) -> Result<JsValue, JsValue>;
}

/// `promise.then(on_fulfilled)`.
pub(crate) fn then(promise: &Promise, on_fulfilled: &JsValue) -> Promise {
    promise.unchecked_ref::<Thenable>().then1(on_fulfilled)
}

/// Runs `f` once `promise` settles, with its value or its rejection reason. The closure frees
/// itself when it runs, and it always runs (exactly one of the two handlers is ever called).
pub(crate) fn on_settled(promise: &Promise, f: impl FnOnce(JsValue) + 'static) {
    let f = Closure::once_into_js(f);
    let _ = promise.unchecked_ref::<Thenable>().then2(&f, &f);
}

/// A person-readable text for a thrown value (an `Error`'s message, or the value as a string).
pub(crate) fn error_text(value: &JsValue) -> String {
    Reflect::get(value, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| String::from("unknown error"))
}
