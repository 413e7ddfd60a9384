//! The scanner's, the look-ups' and the tokens' tests.

use super::*;
use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

fn ok(text: &str) -> Scan {
    scan(text, DEFAULT_MAX_DEPTH).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn err(text: &str) -> (JsonErrorKind, usize) {
    let e = scan(text, DEFAULT_MAX_DEPTH).expect_err(text);
    (e.kind, e.offset)
}

fn placeholders(text: &str) -> (usize, Option<u64>) {
    let s = ok(text);
    (s.placeholders, s.max_placeholder_num)
}

use JsonErrorKind::*;

fn written(s: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, s);
    out
}

mod lookup;
mod properties;
mod scan;
mod token;
