//! Replays every committed fuzz input of the byte-input decoder targets (`fuzz/corpus/<target>/`,
//! the minimized corpora, and `fuzz/seeds/<target>/`, the hand-made known-bad inputs) through
//! the same checks the fuzz targets run (`fuzz/checks.rs`), so that CI exercises the corpora on
//! stable without cargo-fuzz. The `roundtrip` target's inputs are `arbitrary` bytes, the
//! `redis_message` corpus is replayed by `redis-adapter/tests/fuzz_corpus.rs`, and the `http_server`
//! target's by `native-server/tests/fuzz_http.rs`.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks.rs"]
mod checks;

/// The files of `fuzz/{corpus,seeds}/<target>/`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no committed inputs for {target}");
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} failed its check",
            file.display()
        );
    }
}

#[test]
fn engine_packet_corpus() {
    replay("engine_packet", checks::engine_packet);
}

#[test]
fn engine_payload_corpus() {
    replay("engine_payload", checks::engine_payload);
}

#[test]
fn handshake_corpus() {
    replay("handshake", checks::handshake);
}

#[test]
fn json_scan_corpus() {
    replay("json_scan", checks::json_scan);
}

#[test]
fn socket_decoder_corpus() {
    replay("socket_decoder", checks::socket_decoder);
}

#[test]
fn socket_msgpack_corpus() {
    replay("socket_msgpack", checks::socket_msgpack);
}
