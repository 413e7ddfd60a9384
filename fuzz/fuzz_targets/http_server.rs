//! The server's HTTP and WebSocket entry: fuzzed sequences of requests and WebSocket frames against
//! an in-process sockeye-server. The harness is `http_harness.rs`.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;

#[path = "../http_harness.rs"]
#[allow(dead_code, reason = "run_bytes is for the corpus replay test (native-server/tests/fuzz_http.rs)")]
mod http_harness;

thread_local! {
    // One runtime per process, reused across inputs.
    static RUNTIME: RefCell<tokio::runtime::Runtime> = RefCell::new(http_harness::runtime());
}

fuzz_target!(|input: http_harness::Input| {
    RUNTIME.with(|rt| rt.borrow().block_on(http_harness::run(input)));
});
