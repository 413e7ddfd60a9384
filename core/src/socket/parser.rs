//! Which parser a connection speaks: socket.io's `parser` option.

use alloc::string::String;

use super::codec;
use super::msgpack;
use super::packet::{Packet, PacketData};
use crate::engine::Message;

/// How Socket.IO packets become Engine.IO messages; both ends of a connection must agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Parser {
    /// socket.io-parser, the default: a text message per packet, then one binary message per
    /// attachment ([`codec`]).
    #[default]
    Json,
    /// socket.io-msgpack-parser: one binary message per packet, binaries inside it ([`msgpack`]).
    MessagePack,
}

impl Parser {
    /// The parser named as on a command line: `json` or `msgpack` (also `messagepack`).
    pub fn from_name(name: &str) -> Option<Parser> {
        match name {
            "json" => Some(Parser::Json),
            "msgpack" | "messagepack" => Some(Parser::MessagePack),
            _ => None,
        }
    }

    /// The name [`Parser::from_name`] reads.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Json => "json",
            Parser::MessagePack => "msgpack",
        }
    }

    /// Hands `send` the Engine.IO messages that carry `packet`, in order.
    pub fn encode(self, packet: Packet, mut send: impl FnMut(Message)) {
        match self {
            Parser::Json => {
                let mut text = String::new();
                codec::encode(&packet, &mut text);
                send(Message::Text(text));
                if let PacketData::Event { args, .. } | PacketData::Ack { args, .. } = packet.data {
                    for attachment in args.into_parts().1 {
                        send(Message::Binary(attachment));
                    }
                }
            }
            Parser::MessagePack => {
                let mut bytes = alloc::vec::Vec::new();
                msgpack::encode(&packet, &mut bytes);
                send(Message::Binary(bytes));
            }
        }
    }
}
