//! The commands a Socket.IO connection's task takes ([`AppCmd`]), from its sockets, from
//! broadcasts and from its connect procedures, and the sender they go through ([`CmdTx`]).

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use proto::engine::Message;
use proto::socket::Args;
use proto::socket::packet::{AckId, Nsp};
use proto::socket::server::Encoded;
use tokio::sync::mpsc::error::SendError;
use tokio::sync::{mpsc, oneshot};

use super::error::AckError;
use crate::engine::inbox::{AppTx, CloseOnPanic, SessionMsg, SessionTx};
use crate::engine::websocket::frame;

/// What a broadcast with acknowledgements reports, in any order across servers.
#[derive(Clone, Debug, PartialEq)]
pub enum AckEvent {
    /// One server reached this many clients (each server reports once).
    ClientCount(usize),
    /// How many servers will report a [`AckEvent::ClientCount`], for an adapter that learns it
    /// after the broadcast left ([`BroadcastAcks::servers`](crate::adapter::BroadcastAcks::servers) is `None` then): a Redis adapter
    /// asks Redis how many nodes subscribe, as the reference's `serverCount()`.
    ServerCount(usize),
    /// One client's answer: the ack's arguments, or why it will not come.
    Response(Result<Args, AckError>),
}

/// Where an acknowledgement goes.
pub(crate) enum AckReply {
    /// One emit's future.
    One(oneshot::Sender<Result<Args, AckError>>),
    /// A broadcast's collector.
    Many(mpsc::UnboundedSender<AckEvent>),
}

impl AckReply {
    pub(crate) fn send(self, result: Result<Args, AckError>) {
        match self {
            AckReply::One(tx) => {
                let _ = tx.send(result);
            }
            AckReply::Many(tx) => {
                let _ = tx.send(AckEvent::Response(result));
            }
        }
    }
}

/// A broadcast's packet, encoded once for all its receivers: for the core, and as the WebSocket
/// frames a session writes as they are when the core says it can
/// ([`Connection::can_send_encoded_frames`](proto::server::Connection::can_send_encoded_frames)).
pub(crate) struct SharedPacket {
    pub(crate) encoded: Encoded,
    pub(crate) frames: bytes::Bytes,
}

impl SharedPacket {
    pub(crate) fn new(encoded: Encoded) -> Self {
        let binaries = |messages: &[Message]| -> Vec<Vec<u8>> {
            messages
                .iter()
                .filter_map(|m| match m {
                    Message::Binary(b) => Some(b.clone()),
                    Message::Text(_) => None,
                })
                .collect()
        };
        let frames = match encoded.messages() {
            // The JSON parser: the text, then its attachments.
            [Message::Text(text), rest @ ..] => {
                crate::engine::websocket::message_frames(text, &binaries(rest))
            }
            // MessagePack: one binary frame (a binary Engine.IO message has no type byte).
            messages => {
                let mut out = bytes::BytesMut::new();
                for bytes in binaries(messages) {
                    frame::encode(&mut out, frame::Opcode::Binary, &bytes);
                }
                out.freeze()
            }
        };
        SharedPacket { encoded, frames }
    }
}

/// Application commands to a session task.
pub(crate) enum AppCmd {
    /// Admit a socket (its CONNECT is pending): the connection's own `Accepted`, sent by its
    /// connect procedure to itself. Typed as `Any` because this channel sits below the sockets
    /// it carries (a socket sends its commands on it); it is taken back once per socket.
    Accept(Box<dyn Any + Send>),
    /// Refuse a pending CONNECT.
    Reject {
        nsp: Nsp,
        message: String,
        data: Option<String>,
    },
    /// Send an event encoded once for many.
    SendEncoded {
        packet: Arc<SharedPacket>,
        volatile: bool,
    },
    /// Send an event asking for an acknowledgement.
    EmitWithAck {
        nsp: Nsp,
        args: Args,
        timeout: Option<Duration>,
        /// The `compress` flag.
        compress: bool,
        reply: AckReply,
    },
    /// Answer the client's event `id`.
    Ack { nsp: Nsp, id: AckId, args: Args },
    /// `socket.disconnect()`.
    Disconnect { nsp: Nsp },
}

/// What a Socket.IO session's channel carries: a broadcast's delivery as it is (the one command a
/// session may get for every packet of a busy room), any other command boxed. An [`AppCmd`] is
/// 104 bytes (an ack's or an emit's namespace, arguments and attachments) and the channel's
/// queue grows 4 slots at a time and keeps them (416 bytes per session that ever got a command,
/// against 64 with 16-byte slots). One allocation per ack or request is the price.
pub(crate) enum Cmd {
    SendEncoded {
        packet: Arc<SharedPacket>,
        volatile: bool,
    },
    Other(Box<AppCmd>),
}

impl Cmd {
    fn pack(cmd: AppCmd) -> Cmd {
        match cmd {
            AppCmd::SendEncoded { packet, volatile } => Cmd::SendEncoded { packet, volatile },
            other => Cmd::Other(Box::new(other)),
        }
    }

    pub(crate) fn unpack(self) -> AppCmd {
        match self {
            Cmd::SendEncoded { packet, volatile } => AppCmd::SendEncoded { packet, volatile },
            Cmd::Other(cmd) => *cmd,
        }
    }
}

/// Sends commands to a Socket.IO session's task.
#[derive(Clone)]
pub(crate) struct CmdTx(pub(crate) AppTx<Cmd>);

impl CmdTx {
    /// Sends `cmd` to the session; gives it back when the session is over.
    #[allow(
        clippy::result_large_err,
        reason = "the command comes back only from a session that is over; boxing it would cost \
                  every send an allocation"
    )]
    pub(crate) fn send(&self, cmd: AppCmd) -> Result<(), SendError<AppCmd>> {
        self.0
            .send(Cmd::pack(cmd))
            .map_err(|SendError(cmd)| SendError(cmd.unpack()))
    }

    /// Closes the connection with goodbyes (`socket.disconnect(true)`); `false` when it is over.
    pub(crate) fn close(&self) -> bool {
        self.0.send_engine(SessionMsg::Close)
    }

    /// A sender of Engine.IO messages to this session (for `socket.conn`).
    pub(crate) fn session(&self) -> SessionTx {
        self.0.session()
    }
}

impl CloseOnPanic for CmdTx {
    fn close_session(&self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_slot_stays_small() {
        // The channel's queue grows 4 slots at a time and keeps them: 104-byte commands made
        // that 416 bytes per session, 16-byte slots make it 64.
        type Slot = crate::engine::inbox::Slot<Cmd>;
        assert!(size_of::<Slot>() <= 16, "{} bytes", size_of::<Slot>());
        assert!(size_of::<AppCmd>() > size_of::<Slot>());
    }
}
