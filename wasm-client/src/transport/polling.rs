//! HTTP long-polling requests over `fetch`, as the core's `PollGet` / `PollPost` ask for.
//!
//! The core already keeps one GET in flight and serializes POSTs; this module only performs one
//! request and reports how it ended. Each request has an `AbortController` for the core's
//! `PollAbort`.
//!
//! The completion callback is a self-freeing closure ([`js::on_settled`]) passed as both the
//! fulfilment and the rejection handler of one promise, so exactly one of them runs exactly once:
//! it is freed then, never leaked, and never called after being freed (an aborted request still
//! settles, with an `AbortError`, which the driver ignores because it forgot the request).

use std::cell::OnceCell;

use js_sys::{Object, Promise, Reflect};
use proto::engine::client::TransportError;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, RequestCredentials, RequestInit, Response};

use crate::js;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch` (window, worker or Node.js), read when called.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
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
}

/// A request in flight; dropping it aborts it (a no-op once it finished).
pub(crate) struct Request {
    controller: Option<AbortController>,
}

impl Drop for Request {
    fn drop(&mut self) {
        if let Some(c) = &self.controller {
            c.abort();
        }
    }
}

impl Request {
    /// Starts a GET (`body` none) or a POST of `body` to `url`; `done` hears the response body or
    /// why there is none, exactly once (also after an abort).
    pub(crate) fn start(
        url: &str,
        body: Option<&str>,
        options: &PollOptions,
        done: impl FnOnce(Result<String, TransportError>) + 'static,
    ) -> Request {
        let controller = AbortController::new().ok();
        let init = RequestInit::new();
        let headers = Object::new();
        if let Some(body) = body {
            init.set_method("POST");
            init.set_body(&JsValue::from_str(body));
            // The reference's type for text payloads; a "simple" type needs no CORS preflight.
            let _ = Reflect::set(
                &headers,
                &"content-type".into(),
                &"text/plain;charset=UTF-8".into(),
            );
        }
        for (name, value) in &options.extra_headers {
            let _ = Reflect::set(&headers, &name.into(), &value.into());
        }
        init.set_headers(&headers);
        init.set_credentials(if options.with_credentials {
            RequestCredentials::Include
        } else {
            RequestCredentials::SameOrigin
        });
        if let Some(c) = &controller {
            init.set_signal(Some(&c.signal()));
        }
        let settle = move |value: JsValue| {
            done(match value.as_string() {
                Some(body) => Ok(body),
                None => Err(match value.as_f64() {
                    // `read` answered with the status of a response that is not 2xx.
                    Some(status) => TransportError::HttpStatus(status as u16),
                    None => TransportError::Network(js::error_text(&value)),
                }),
            })
        };
        let promise = match fetch(url, &init) {
            Ok(promise) => {
                READ.with(|read| js::then(&promise, read.get_or_init(read_body).as_ref()))
            }
            // A synchronous failure (no `fetch` at all) settles the same way, one tick later.
            Err(e) => Promise::reject(&e),
        };
        js::on_settled(&promise, settle);
        Request { controller }
    }
}

thread_local! {
    /// `response => response.ok ? response.text() : response.status`, shared by every request:
    /// a closure that lives as long as the module, created once.
    static READ: OnceCell<Closure<dyn FnMut(JsValue) -> JsValue>> = const { OnceCell::new() };
}

fn read_body() -> Closure<dyn FnMut(JsValue) -> JsValue> {
    Closure::new(|value: JsValue| {
        let response: Response = value.unchecked_into();
        if response.ok() {
            response.text().map_or_else(|e| e, JsValue::from)
        } else {
            JsValue::from(response.status())
        }
    })
}
