//! What a server sends to a sockeye-websocket client: the handshake answer, then frames (unmasked,
//! compressed, fragmented, control). The check is `websocket_checks.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../websocket_checks.rs"]
mod websocket_checks;

thread_local! {
    // One runtime per process, reused across inputs.
    static RUNTIME: tokio::runtime::Runtime = websocket_checks::runtime();
}

fuzz_target!(|data: &[u8]| {
    RUNTIME.with(|rt| websocket_checks::websocket_client(rt, data));
});
