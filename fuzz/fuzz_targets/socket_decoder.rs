//! The incremental Socket.IO decoder fed a sequence of Engine.IO messages: never a panic, whatever the
//! order of text and binary messages; every complete packet re-encodes to the same packet.
//!
//! Input format (so seeds can be written by hand): messages separated by `\n`; a line starting with
//! `b` is a binary message (the rest of the line), a line starting with `t` is a text message (the
//! rest), any other line is a text message as it is.
//! The check is `checks.rs`, shared with `core/tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::socket_decoder(data));
