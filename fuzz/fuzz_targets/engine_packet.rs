//! Engine.IO packets: any text record or WebSocket frame decodes to a packet or a typed error, never a
//! panic; whatever decodes re-encodes to the same packet.
//! The check is `checks.rs`, shared with `core/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::engine_packet(data));
