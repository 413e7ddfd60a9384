//! The MessagePack parser fed one binary Engine.IO message: never a panic; every packet re-encodes
//! to bytes that decode to the same packet. The check is `checks.rs`, shared with
//! `core/tests/fuzz_corpus.rs`. Seeds: the reference's vectors (`core/src/socket/msgpack/tests/`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::socket_msgpack(data));
