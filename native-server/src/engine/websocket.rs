//! The server's WebSocket: `sockeye-websocket`'s, in the server's role, and the frames of an
//! Engine.IO message built once for every receiver of a broadcast.

use bytes::{Bytes, BytesMut};
pub(crate) use sockeye_websocket::frame::{self, Opcode};
pub(crate) use sockeye_websocket::{Error, Message, WebSocket, deflate, stall};

/// The frames of one Engine.IO message (`4` + `text`) and its binary attachments, as a server
/// writes them: built once for every receiver of a broadcast ([`WebSocket::send_framed`]).
pub(crate) fn message_frames(text: &str, attachments: &[Vec<u8>]) -> Bytes {
    let message = proto::engine::PacketType::Message.as_char();
    let len = message.len_utf8() + text.len();
    let size = MAX_FRAME_HEADER
        + len
        + attachments
            .iter()
            .map(|a| MAX_FRAME_HEADER + a.len())
            .sum::<usize>();
    let mut out = BytesMut::with_capacity(size);
    let (h, n) = frame::header(Opcode::Text, len);
    out.extend_from_slice(h.get(..n).unwrap_or_default());
    let mut buf = [0; 4];
    out.extend_from_slice(message.encode_utf8(&mut buf).as_bytes());
    out.extend_from_slice(text.as_bytes());
    for attachment in attachments {
        frame::encode(&mut out, Opcode::Binary, attachment);
    }
    out.freeze()
}

/// The longest header of a server frame (no mask).
const MAX_FRAME_HEADER: usize = 10;
