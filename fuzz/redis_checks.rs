//! The check of the `redis_message` fuzz target, shared with the stable test that replays its
//! corpus (`redis-adapter/tests/fuzz_corpus.rs`).
//!
//! Input format: the first byte picks the channel (modulo 5, in the order of
//! `sockeye_redis::fuzzing::Channel`), the rest is the message as it came from Redis.

#![allow(
    unreachable_pub,
    reason = "shared by the fuzz target and a test, each as a private module"
)]

use sockeye_redis::fuzzing::{self, Channel};
use sockeye_redis::msgpack;

/// What sockeye-redis reads from Redis: pub/sub broadcasts (MessagePack), requests and responses
/// (JSON or MessagePack), sharded messages, streams requests (MessagePack), stream entries and
/// persisted sessions (base64 MessagePack). Never a panic; every decoded message is read as each
/// adapter reads it; MessagePack re-encodes stably.
pub fn redis_message(data: &[u8]) {
    let Some((&first, payload)) = data.split_first() else {
        return;
    };
    let channel = match first % 5 {
        0 => Channel::PubSubBroadcast,
        1 => Channel::JsonOrMsgpack,
        2 => Channel::Msgpack,
        3 => Channel::StreamEntry,
        _ => Channel::Session,
    };
    let _ = fuzzing::decode(channel, payload);

    // Whatever MessagePack decodes encodes to bytes that decode to the same value and encode to
    // the same bytes (the first decode may normalize: a float 1.0 is written as the integer 1).
    if let Ok(value) = msgpack::decode(payload) {
        let wire = msgpack::encode(&value);
        let again = msgpack::decode(&wire).expect("our own encoding decodes");
        assert_eq!(msgpack::encode(&again), wire, "{value:?}");
    }
}
