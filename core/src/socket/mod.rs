//! Socket.IO v5: namespaces, events and acknowledgements over one Engine.IO session.
//!
//! - [`packet`]: the seven packet types, namespaces and ack ids.
//! - [`args`]: the payload model, an event's or an ack's arguments as they travel.
//! - [`codec`]: `<type>[<n>-][<nsp>,][<ack id>][json]` in both directions, with binary attachments
//!   collected by an incremental decoder.
//! - [`msgpack`]: the MessagePack parser (`socket.io-msgpack-parser`), another producer of the same
//!   packets; [`codec::Parser`] chooses between the two.
//! - [`client`]: the client's Manager (namespaces multiplexed on one engine, acks, buffering, retries,
//!   reconnection, connection state recovery), over an abstract Engine.IO session.
//! - [`server`]: the server's per-connection Client (namespace CONNECT, connect timeout, ack routing).
//!
//! Both ends' `DisconnectReason`s take the reasons an engine's close gives from one mapping
//! (`reason.rs`).

pub mod args;
pub mod client;
pub mod codec;
mod decode_error;
#[cfg(feature = "msgpack")]
pub mod msgpack;
pub mod packet;
mod reason;
pub mod server;

pub use args::{Args, Binary};
pub use codec::Parser;
pub use packet::{AckId, Nsp, Packet, PacketData, PacketType};
