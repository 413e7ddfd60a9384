//! The JSON scanner: any text is accepted or refused with an offset, never a panic; the look-ups on
//! accepted text return valid JSON, and strings survive unescape + escape.
//! The check is `checks.rs`, shared with `core/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::json_scan(data));
