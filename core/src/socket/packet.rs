//! Socket.IO v5 packets.
//!
//! | type | name          | payload                                           |
//! |------|---------------|---------------------------------------------------|
//! | 0    | CONNECT       | client: optional auth object; server: `{"sid":..}` |
//! | 1    | DISCONNECT    | none                                              |
//! | 2    | EVENT         | non-empty array, first element the event name     |
//! | 3    | ACK           | array, possibly empty                             |
//! | 4    | CONNECT_ERROR | `{"message":..,"data":..}` (a plain string is accepted) |
//! | 5    | BINARY_EVENT  | as EVENT, with `{"_placeholder":true,"num":n}` for each attachment |
//! | 6    | BINARY_ACK    | as ACK, with placeholders                         |
//!
//! JSON stays text: the core checks what the protocol requires and leaves the data model to each end
//! (the browser's `JSON.parse`, serde in Rust). An EVENT's or ACK's arguments are [`Args`]: the JSON
//! array, the attachments that travel beside it, and where their placeholders stand.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

pub use super::args::Args;
use crate::text::{ErrorText, display_by_text, push_decimal};

/// The packet type digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: join a namespace (client) / namespace joined (server).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event.
    Event = 2,
    /// `3`: an acknowledgement.
    Ack = 3,
    /// `4`: the namespace refused the CONNECT.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck = 6,
}

impl TryFrom<u8> for PacketType {
    type Error = u8;
    /// From the type digit's value (`0..=6`); anything else is returned as the error.
    fn try_from(v: u8) -> Result<Self, u8> {
        Ok(match v {
            0 => PacketType::Connect,
            1 => PacketType::Disconnect,
            2 => PacketType::Event,
            3 => PacketType::Ack,
            4 => PacketType::ConnectError,
            5 => PacketType::BinaryEvent,
            6 => PacketType::BinaryAck,
            other => return Err(other),
        })
    }
}

/// A namespace: `/`, `/admin`, ... Always starts with `/`. The main namespace costs no allocation,
/// so cloning it (once per packet a server sends on `/`) is free.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nsp(Cow<'static, str>);

impl Nsp {
    /// The longest namespace the codec accepts, in bytes (a bound against a namespace without end).
    pub const MAX_LEN: usize = 1024;

    /// The main namespace, `/`.
    pub fn root() -> Self {
        Nsp(Cow::Borrowed("/"))
    }

    /// A namespace from its name. A name without the leading `/` gets one, as the reference client
    /// does (`io("http://x/admin")` and `of("admin")` both mean `/admin`).
    pub fn new(name: &str) -> Result<Self, InvalidNsp> {
        if name.len() > Self::MAX_LEN || name.contains(',') {
            return Err(InvalidNsp);
        }
        if name == "/" {
            Ok(Nsp::root())
        } else if name.starts_with('/') {
            Ok(Nsp(Cow::Owned(String::from(name))))
        } else {
            let mut s = String::with_capacity(name.len() + 1);
            s.push('/');
            s.push_str(name);
            Ok(Nsp(Cow::Owned(s)))
        }
    }

    /// The namespace's name, with its leading `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the main namespace `/`.
    pub fn is_root(&self) -> bool {
        *self.0 == *"/"
    }
}

impl Default for Nsp {
    fn default() -> Self {
        Nsp::root()
    }
}

impl fmt::Debug for Nsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nsp({})", self.0)
    }
}

impl fmt::Display for Nsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A namespace name that is too long or contains a comma (which would end it on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidNsp;

impl ErrorText for InvalidNsp {
    fn write_text(&self, out: &mut String) {
        out.push_str("invalid namespace (longer than ");
        push_decimal(out, Nsp::MAX_LEN as u64);
        out.push_str(" bytes or contains a comma)");
    }
}

display_by_text!(InvalidNsp);

impl core::error::Error for InvalidNsp {}

/// An acknowledgement id: the sender picks it, the receiver echoes it in the ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckId(pub u64);

impl fmt::Display for AckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Socket.IO packet: a namespace and what happens in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The namespace; `/` is omitted on the wire.
    pub nsp: Nsp,
    /// The packet's type and payload.
    pub data: PacketData,
}

/// What a packet carries. JSON payloads are kept as validated JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketData {
    /// CONNECT: the client's auth object (if any), or the server's `{"sid":..}` answer.
    Connect(Option<String>),
    /// DISCONNECT.
    Disconnect,
    /// EVENT, or BINARY_EVENT when the arguments have attachments. The arguments' first element
    /// is the event name.
    Event {
        /// `["name", arg1, ...]` and the attachments.
        args: Args,
        /// Set when the sender wants an acknowledgement.
        id: Option<AckId>,
    },
    /// ACK, or BINARY_ACK when the arguments have attachments.
    Ack {
        /// The acknowledgement's arguments.
        args: Args,
        /// The id of the EVENT being acknowledged.
        id: AckId,
    },
    /// CONNECT_ERROR: `{"message":..,"data":..}` as JSON text (a bare string from older peers is kept
    /// as it came).
    ConnectError(String),
}

impl Packet {
    /// CONNECT to `nsp`: the client's optional auth object, or the server's `{"sid":..}` answer.
    pub fn connect(nsp: Nsp, payload: Option<String>) -> Self {
        Packet {
            nsp,
            data: PacketData::Connect(payload),
        }
    }

    /// DISCONNECT from `nsp`.
    pub fn disconnect(nsp: Nsp) -> Self {
        Packet {
            nsp,
            data: PacketData::Disconnect,
        }
    }

    /// EVENT (BINARY_EVENT when `args` has attachments): `args` is `["name", ...]`; `id` asks for
    /// an acknowledgement.
    pub fn event(nsp: Nsp, args: Args, id: Option<AckId>) -> Self {
        Packet {
            nsp,
            data: PacketData::Event { args, id },
        }
    }

    /// ACK (BINARY_ACK when `args` has attachments) of the EVENT `id`.
    pub fn ack(nsp: Nsp, args: Args, id: AckId) -> Self {
        Packet {
            nsp,
            data: PacketData::Ack { args, id },
        }
    }

    /// CONNECT_ERROR: `payload` is the JSON text `{"message":..,"data":..}`.
    pub fn connect_error(nsp: Nsp, payload: String) -> Self {
        Packet {
            nsp,
            data: PacketData::ConnectError(payload),
        }
    }

    /// The event name of an EVENT/BINARY_EVENT: the first array element, unescaped. A number (which
    /// the reference also accepts) is returned as its JSON text. `None` for other packets, or if the
    /// first element is neither a string nor a number.
    pub fn event_name(&self) -> Option<Cow<'_, str>> {
        match &self.data {
            PacketData::Event { args, .. } => args.event_name(),
            _ => None,
        }
    }

    /// The ack id an EVENT asks for, or the one an ACK answers.
    pub fn ack_id(&self) -> Option<AckId> {
        match &self.data {
            PacketData::Event { id, .. } => *id,
            PacketData::Ack { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The arguments of an EVENT or ACK.
    pub fn args(&self) -> Option<&Args> {
        match &self.data {
            PacketData::Event { args, .. } | PacketData::Ack { args, .. } => Some(args),
            _ => None,
        }
    }

    /// The binary attachments of a BINARY_EVENT/BINARY_ACK, in placeholder order (empty otherwise).
    pub fn attachments(&self) -> &[alloc::vec::Vec<u8>] {
        match &self.data {
            PacketData::Event { args, .. } | PacketData::Ack { args, .. } => args.attachments(),
            _ => &[],
        }
    }

    /// The type digit this packet is sent with.
    pub fn packet_type(&self) -> PacketType {
        let binary = !self.attachments().is_empty();
        match &self.data {
            PacketData::Connect(_) => PacketType::Connect,
            PacketData::Disconnect => PacketType::Disconnect,
            PacketData::Event { .. } if binary => PacketType::BinaryEvent,
            PacketData::Event { .. } => PacketType::Event,
            PacketData::Ack { .. } if binary => PacketType::BinaryAck,
            PacketData::Ack { .. } => PacketType::Ack,
            PacketData::ConnectError(_) => PacketType::ConnectError,
        }
    }
}

/// Event names a peer may not use: the reference reserves them for its own lifecycle events.
pub const RESERVED_EVENTS: &[&str] = &[
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];
