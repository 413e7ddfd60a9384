//! HTTP long-polling requests over `fetch`, as the core's `PollGet` / `PollPost` ask for.
//!
//! The core already keeps one GET in flight and serializes POSTs; this module only performs one
//! request in two steps, each a promise settled into the driver's callback for the request:
//! `fetch` gives the [`Response`] (or rejects), then `response.text()` gives the body. Each
//! request has an `AbortController` for the core's `PollAbort`.
//!
//! The driver keeps a request, and so its callback, until the callback has heard the last step,
//! even after an abort (an aborted fetch still settles, with an `AbortError`, which the driver
//! then ignores): a callback is never called after being freed, and never leaked.

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Object, Promise};
use proto::engine::client::TransportError;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, Response};

use crate::callback::Callback;
use crate::js;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (window, worker or Node.js), read when called.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;
    /// `AbortSignal.timeout(ms)`.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = timeout)]
    fn signal_timeout(ms: f64) -> JsValue;
    /// `AbortSignal.any(signals)`.
    #[wasm_bindgen(js_namespace = AbortSignal, js_name = any)]
    fn signal_any(signals: &js_sys::Array) -> JsValue;
}

/// What every request shares: the options that shape the HTTP request.
#[derive(Default)]
pub(crate) struct PollOptions {
    /// `withCredentials`: send cookies cross-origin too (`credentials: "include"`). Without it,
    /// `"same-origin"`, as the reference's default transport (XMLHttpRequest) behaves; its fetch
    /// transport would omit even same-origin cookies, which breaks cookie-based sticky sessions.
    pub(crate) with_credentials: bool,
    /// `extraHeaders`: added to every request.
    pub(crate) extra_headers: Vec<(String, String)>,
    /// `requestTimeout` in milliseconds: a request not answered by then fails (none by default).
    pub(crate) request_timeout: Option<f64>,
    /// The WebSocket's `protocols` (a string or an array, `undefined` for none): not a polling
    /// option, kept here with the other options of the requests the driver makes.
    pub(crate) protocols: JsValue,
}

/// A request in flight, with the callback that hears its current step.
pub(crate) struct Request {
    controller: Option<AbortController>,
    callback: Callback,
}

/// How one step of a request settled.
pub(crate) enum Step {
    /// The response arrived with a 2xx status; its body is being read.
    Reading,
    /// The body, or why there is none.
    Done(Result<String, TransportError>),
}

impl Request {
    /// Starts a GET (`body` none) or a POST of `body` to `url`; `callback` hears the outcome.
    pub(crate) fn start(
        url: &str,
        body: Option<&str>,
        options: &PollOptions,
        callback: Callback,
    ) -> Request {
        let controller = AbortController::new().ok();
        // The `RequestInit` as a plain object: one binding sets every member.
        let init = Object::new();
        let headers = Object::new();
        if let Some(body) = body {
            js::set(&init, "method", &JsValue::from_str("POST"));
            js::set(&init, "body", &JsValue::from_str(body));
            // The reference's type for text payloads; a "simple" type needs no CORS preflight.
            js::set(
                &headers,
                "content-type",
                &JsValue::from_str("text/plain;charset=UTF-8"),
            );
        }
        for (name, value) in &options.extra_headers {
            js::set(&headers, name, &JsValue::from_str(value));
        }
        js::set(&init, "headers", &headers);
        let credentials = if options.with_credentials {
            "include"
        } else {
            "same-origin"
        };
        js::set(&init, "credentials", &JsValue::from_str(credentials));
        if let Some(c) = &controller {
            let signal: JsValue = c.signal().into();
            let signal = match options.request_timeout {
                Some(ms) => signal_any(&js_sys::Array::of2(&signal, &signal_timeout(ms))),
                None => signal,
            };
            js::set(&init, "signal", &signal);
        }
        // A synchronous failure (no `fetch` at all) settles the same way, one tick later.
        let promise = fetch(url, &init).unwrap_or_else(|e| Promise::reject(&e));
        js::settle_into(&promise, &callback);
        Request {
            controller,
            callback,
        }
    }

    /// Aborts the request; its callback still hears the `AbortError`.
    pub(crate) fn abort(&self) {
        if let Some(c) = &self.controller {
            c.abort();
        }
    }

    /// Takes in what the callback heard: a [`Response`] (then its body is read, into `next`, a
    /// fresh callback for the same request) or the body's text; anything else is a rejection.
    pub(crate) fn settled(&mut self, value: JsValue, next: impl FnOnce() -> Callback) -> Step {
        if let Some(text) = value.as_string() {
            return Step::Done(Ok(text));
        }
        let Some(response) = value.dyn_ref::<Response>() else {
            return Step::Done(Err(TransportError::Network(crate::js::error_text(&value))));
        };
        if !response.ok() {
            return Step::Done(Err(TransportError::HttpStatus(response.status())));
        }
        match response.text() {
            Ok(text) => {
                let callback = next();
                js::settle_into(&text, &callback);
                // The old callback is running: wasm-bindgen frees it once it returns.
                self.callback = callback;
                Step::Reading
            }
            Err(e) => Step::Done(Err(TransportError::Network(crate::js::error_text(&e)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::String;

    use proto::base64;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Binary messages travel as base64 in polling payloads: the core's `js` feature codes them
    /// with the platform's `atob` / `btoa`, which must read and write exactly what the core's
    /// own strict codec does.
    #[test]
    fn binary_payload_base64_is_the_cores() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            ("\u{0}\u{7f}", "AH8="),
        ] {
            let mut out = String::new();
            base64::encode(plain.as_bytes(), &mut out);
            assert_eq!(out, coded);
            assert_eq!(base64::decode(coded).as_deref(), Some(plain.as_bytes()));
        }
        let all: alloc::vec::Vec<u8> = (0..=255).collect();
        let mut out = String::new();
        base64::encode(&all, &mut out);
        assert_eq!(base64::decode(&out), Some(all));
        for bad in [
            "Zg", "Zg=", "Zh==", "Zm9=", "Z===", "====", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm-_", "é",
        ] {
            assert_eq!(base64::decode(bad), None, "{bad:?}");
        }
    }
}
