//! The open packet's JSON: any text is a handshake or a typed error, never a panic; a decoded
//! handshake re-encodes to the same handshake.
//! The check is `checks.rs`, shared with `core/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::handshake(data));
