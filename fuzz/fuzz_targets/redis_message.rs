//! What sockeye-redis reads from Redis (pub/sub, sharded and streams messages, requests and
//! responses, stream entries, persisted sessions): never a panic. The check is `redis_checks.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../redis_checks.rs"]
mod redis_checks;

fuzz_target!(|data: &[u8]| redis_checks::redis_message(data));
