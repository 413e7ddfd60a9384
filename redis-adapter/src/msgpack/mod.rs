//! MessagePack as the Node packages write it: `notepack.io` (`@socket.io/redis-adapter`, the
//! emitter) and `@msgpack/msgpack` (`@socket.io/redis-streams-adapter`).
//!
//! Both pick the smallest integer encoding, write every non-integral number as a float 64, write
//! strings as UTF-8 `str`, and `Buffer`s as `bin`. They differ on one point: `notepack.io` leaves
//! out object keys whose value is `undefined`, `@msgpack/msgpack` writes them as `nil`. A
//! [`Value`] has no `undefined`, so the encoder here is byte-for-byte `notepack.io`'s for any
//! value both sides can hold (the tests check it against bytes `notepack.io` produced).
//!
//! The decoder accepts all of MessagePack, read item by item with the core's reader (the one the
//! MessagePack parser of Socket.IO packets uses); what a [`Value`] cannot hold becomes what a Node
//! server would send its JSON clients: a date (the timestamp extension notepack.io 3 writes, or
//! notepack 2's) its `toJSON` text, other `ext` types `null`, non-string map keys their text.
//! Peer input never panics: truncated or over-nested input is a [`DecodeError`].
//!
//! [`Value`]: sockeye_server::Value

mod decode;
mod encode;

pub use decode::{DecodeError, decode};
pub use encode::{encode, write};

#[cfg(test)]
pub(crate) mod tests;
