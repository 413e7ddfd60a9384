//! Polling payloads: any body decodes to packets or a typed error, never a panic, within maxPayload;
//! whatever decodes re-encodes to the same packets.
//! The check is `checks.rs`, shared with `core/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::engine_payload(data));
