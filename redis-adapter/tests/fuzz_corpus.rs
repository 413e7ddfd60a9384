//! Replays every committed input of the `redis_message` fuzz target (`fuzz/corpus/` and
//! `fuzz/seeds/`, plus the generated 100,000-level and 1 MiB inputs of
//! `fuzz/large-seeds.sh`, built here) through the target's own check
//! (`fuzz/redis_checks.rs`), so that CI exercises them on stable without cargo-fuzz.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/redis_checks.rs"]
mod redis_checks;

fn inputs() -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("redis_message")) else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

#[test]
fn redis_message_corpus() {
    let files = inputs();
    assert!(!files.is_empty(), "no committed inputs for redis_message");
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let outcome = std::panic::catch_unwind(|| redis_checks::redis_message(&data));
        assert!(outcome.is_ok(), "{} failed its check", file.display());
    }
}

#[test]
fn deep_and_large_messages_are_refused_or_read() {
    const DEEP: usize = 100_000;
    let mut msgpack = vec![2u8];
    msgpack.extend(std::iter::repeat_n(0x91, DEEP));
    let mut json = b"\x01{\"type\":4,\"opts\":".to_vec();
    json.extend(std::iter::repeat_n(b'[', DEEP));
    json.extend(std::iter::repeat_n(b']', DEEP));
    json.push(b'}');
    let mut uid = b"\x01{\"uid\":\"".to_vec();
    uid.extend(std::iter::repeat_n(b'a', 1 << 20));
    uid.extend_from_slice(b"\",\"type\":4}");
    for input in [msgpack, json, uid] {
        redis_checks::redis_message(&input);
    }
}

/// Fuzz finding (redis_message, timeout): a map key that is itself a map was named by its JSON
/// text, whose escaping doubled at each level of keys nested in keys, so 30 levels took minutes.
/// Keys are now named as JavaScript names them (`[object Object]`, arrays joined by commas).
#[test]
fn map_keys_nested_in_map_keys_decode_at_once() {
    use sockeye_redis::msgpack;
    use sockeye_server::Value;
    // {{{...{"a": 1}: 1}...: 1}: 1}, 40 levels of keys (2^40 backslashes before the fix).
    let mut bytes = vec![0x81; 40];
    bytes.extend_from_slice(&[0xa1, b'"', 0x01]);
    bytes.extend(std::iter::repeat_n(0x01, 39));
    let value = msgpack::decode(&bytes).expect("a valid message");
    let Value::Object(entries) = value else {
        panic!("a map")
    };
    assert_eq!(entries.keys().next(), Some("[object Object]"));
    // Arrays as keys: their items joined by commas, null as nothing, as `String([1, null, "x"])`.
    let array_key = [0x81, 0x93, 0x01, 0xc0, 0xa1, b'x', 0x02];
    let Value::Object(entries) = msgpack::decode(&array_key).expect("a valid message") else {
        panic!("a map")
    };
    assert_eq!(entries.keys().next(), Some("1,,x"));
}

/// A map of 65,535 distinct keys (and one repeated) decodes without scanning its entries per key.
#[test]
fn a_map_of_many_keys_decodes() {
    use sockeye_redis::msgpack;
    use sockeye_server::Value;
    let mut bytes = vec![0xde, 0xff, 0xff];
    for i in 0..65_534u32 {
        bytes.push(0xce);
        bytes.extend_from_slice(&i.to_be_bytes());
        bytes.push(0xc0);
    }
    // The last entry repeats the first key: it keeps its place and takes the new value.
    bytes.extend_from_slice(&[0xce, 0, 0, 0, 0, 0x07]);
    let Value::Object(entries) = msgpack::decode(&bytes).expect("a valid message") else {
        panic!("a map")
    };
    assert_eq!(entries.len(), 65_534);
    let (key, value) = entries.iter().next().expect("entries");
    assert_eq!(key, "0");
    assert!(
        matches!(value, Value::Number(n) if n.as_u64() == Some(7)),
        "{value:?}"
    );
}
