//! [`Callback`]: the one closure type through which JS calls into the driver.
//!
//! It sits below the driver and the resources it owns (the timer, the WebSocket, the polling
//! requests): they keep their callbacks alive while the driver makes them, so the type belongs to
//! neither. One type for every callback, the JSON visitors' too, means the module carries
//! wasm-bindgen's closure glue once.

use wasm_bindgen::prelude::*;

/// Every callback JS calls into the driver with: one argument (an event, a settled promise's
/// value, or nothing for the timer), the second one ignored, `undefined` returned. Its two
/// arguments and its result are for the `JSON.stringify` replacer and `JSON.parse` reviver
/// (`convert.rs`): one closure type for both, so the module and the glue hold one closure shim and
/// one cast rather than two (0.3 KB).
pub(crate) type Callback = Closure<dyn FnMut(JsValue, JsValue) -> JsValue>;
