//! Helpers shared by the browser tests.
#![allow(dead_code, reason = "each test file uses a different part")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, JSON};
use wasm_bindgen::prelude::*;

/// The server's URL, baked in by `scripts/test-wasm.sh`.
pub(crate) fn url() -> String {
    match option_env!("SOCKEYE_TEST_URL") {
        Some(url) => url.to_string(),
        None => {
            panic!("SOCKEYE_TEST_URL is not set: run scripts/test-wasm.sh, which starts the server")
        }
    }
}

/// The URL of the same server's twin with connection state recovery.
pub(crate) fn recovery_url() -> String {
    match option_env!("SOCKEYE_TEST_RECOVERY_URL") {
        Some(url) => url.to_string(),
        None => panic!(
            "SOCKEYE_TEST_RECOVERY_URL is not set: run scripts/test-wasm.sh, which starts the server"
        ),
    }
}

/// Which server the tests run against: `node` (the official socket.io) or `sockeye`.
pub(crate) fn server() -> &'static str {
    option_env!("SOCKEYE_TEST_SERVER").unwrap_or("node")
}

/// A JSON value as a JS value.
pub(crate) fn obj(value: &serde_json::Value) -> JsValue {
    JSON::parse(&value.to_string()).unwrap()
}

/// A JS value as JSON (binary values become `{}`).
pub(crate) fn json(value: &JsValue) -> serde_json::Value {
    if value.is_undefined() {
        return serde_json::Value::Null;
    }
    let text = JSON::stringify(value).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Waits (up to 10 s) for `cond`.
pub(crate) async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

/// What a `(kind, value, extra)` dispatch function was called with.
#[derive(Clone, Default)]
pub(crate) struct Log(
    Rc<RefCell<Vec<(String, JsValue, JsValue)>>>,
    Rc<Cell<usize>>,
);

impl Log {
    /// A counter the test keeps with the log (the `auth` requests it answered).
    pub(crate) fn answered(&self) -> &Cell<usize> {
        &self.1
    }

    /// A dispatch function appending to this log (leaked: tests only).
    pub(crate) fn function(&self) -> Function {
        let log = self.clone();
        Closure::<dyn FnMut(JsValue, JsValue, JsValue)>::new(move |kind: JsValue, value, extra| {
            log.push(&kind.as_string().unwrap(), value, extra)
        })
        .into_js_value()
        .unchecked_into()
    }

    pub(crate) fn push(&self, kind: &str, value: JsValue, extra: JsValue) {
        self.0.borrow_mut().push((kind.to_string(), value, extra));
    }

    pub(crate) fn kinds(&self) -> Vec<String> {
        self.0.borrow().iter().map(|(k, _, _)| k.clone()).collect()
    }

    pub(crate) fn count(&self, kind: &str) -> usize {
        self.0.borrow().iter().filter(|(k, _, _)| k == kind).count()
    }

    pub(crate) fn values(&self, kind: &str) -> Vec<JsValue> {
        self.0
            .borrow()
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, v, _)| v.clone())
            .collect()
    }

    /// The last value of `kind`.
    pub(crate) fn value(&self, kind: &str) -> JsValue {
        self.entry(kind).0
    }

    /// The last `(value, extra)` of `kind`.
    pub(crate) fn entry(&self, kind: &str) -> (JsValue, JsValue) {
        self.0
            .borrow()
            .iter()
            .rev()
            .find(|(k, _, _)| k == kind)
            .map(|(_, v, e)| (v.clone(), e.clone()))
            .unwrap_or_else(|| panic!("no {kind} in {:?}", self.kinds()))
    }
}

thread_local! {
    static ORDER: Cell<u32> = const { Cell::new(0) };
}

/// The calls of a variadic callback (an acknowledgement), each as an array of its arguments.
#[derive(Clone, Default)]
pub(crate) struct Recorder(Rc<RefCell<Vec<(u32, Array)>>>);

impl Recorder {
    /// A variadic JS function recording its calls (leaked: tests only).
    pub(crate) fn function(&self) -> Function {
        let calls = self.clone();
        let record = Closure::<dyn FnMut(Array)>::new(move |args: Array| {
            let order = ORDER.with(|o| {
                o.set(o.get() + 1);
                o.get()
            });
            calls.0.borrow_mut().push((order, args));
        })
        .into_js_value();
        Function::new_with_args("record", "return function (...args) { record(args) }")
            .call1(&JsValue::NULL, &record)
            .unwrap()
            .unchecked_into()
    }

    pub(crate) fn count(&self) -> usize {
        self.0.borrow().len()
    }

    /// When the first call came, on a clock shared by every recorder.
    pub(crate) fn order(&self) -> u32 {
        self.0.borrow().first().map_or(u32::MAX, |(o, _)| *o)
    }

    pub(crate) fn take(&self) -> Vec<Array> {
        self.0.borrow_mut().drain(..).map(|(_, a)| a).collect()
    }
}
