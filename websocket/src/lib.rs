//! WebSocket (RFC 6455) over any tokio byte stream, in either role, with permessage-deflate
//! (RFC 7692): the one WebSocket of the Sockeye server (`sockeye-server`) and of its native client
//! (`sockeye-client`'s feature `native`, and the load generator over it).
//!
//! - [`frame`]: frames, read and written as either end must (a client masks, a server does not).
//! - [`deflate`]: the compression of messages, its contexts kept or reset as negotiated.
//! - [`extensions`]: the `Sec-WebSocket-Extensions` header, and permessage-deflate's parameters.
//! - [`handshake`]: `Sec-WebSocket-Accept`, and the client's side of the opening handshake.
//! - [`WebSocket`]: messages in, frames out, pings answered, the close handshake.
//! - [`stall`]: the write deadline for a peer that stopped reading.
//!
//! Every reader of peer input here is bounded and linear: a frame's length is checked before its
//! payload is buffered, a message inflates at most to the message bound, and a handshake answer's
//! head is read up to [`handshake::MAX_RESPONSE_HEAD`] bytes.

pub mod deflate;
pub mod extensions;
pub mod frame;
pub mod handshake;
mod socket;
pub mod stall;

pub use socket::{Error, Message, WebSocket};

/// Which end of the connection this is: a client masks what it sends and takes only unmasked
/// frames, a server the other way round (RFC 6455 section 5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The end that accepted the connection.
    Server,
    /// The end that opened it.
    Client,
}
