//! WebSocket frames (RFC 6455 section 5) as either end reads and writes them: client frames are
//! masked (and unmasked here in place), server frames are not. The one extension is
//! permessage-deflate (RFC 7692), whose bit is RSV1 ([`RSV1`]); RSV2 and RSV3 must be clear.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! | Masking-key (continued)       |          Payload Data         |
//! +-------------------------------- - - - - - - - - - - - - - - - +
//! ```

use bytes::{Buf, BytesMut};

use crate::Role;

/// A frame's opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "RFC 6455 section 5.2 names them")]
pub enum Opcode {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Opcode> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    /// Close, ping and pong: at most 125 bytes, never fragmented.
    pub fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// Why the peer's bytes are not a WebSocket frame this end accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Against the protocol (the close status 1002).
    Protocol(&'static str),
    /// Longer than the server accepts (1009).
    TooBig,
}

/// The first byte's RSV1 bit: "this message is compressed" under permessage-deflate.
pub const RSV1: u8 = 0x40;

/// One frame, unmasked.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    /// The message's last frame.
    pub fin: bool,
    /// RSV1, only ever set when the caller allowed it.
    pub rsv1: bool,
    /// What the frame is.
    pub opcode: Opcode,
    /// Copied out of the read buffer: splitting it off instead would make the buffer shared
    /// (reference-counted) for good, an atomic count change per message and no reuse in place.
    pub payload: Vec<u8>,
}

/// The longest frame header: 2 bytes, 8 of extended length, 4 of mask.
pub const MAX_HEADER: usize = 14;

/// Takes the next whole frame from the front of `buf`, unmasked: `Ok(None)` while it has not all
/// arrived (room for it is reserved in `buf`, so that the next read can bring the rest).
/// `max_payload` bounds a frame's payload; the length field is checked before any payload is
/// buffered, so a peer cannot make this end hold more. `rsv1` allows RSV1 (permessage-deflate
/// was negotiated); on which frames it may be set is the caller's to check. `role` is this end's:
/// a server takes only masked frames, a client only unmasked ones.
pub fn decode(
    buf: &mut BytesMut,
    max_payload: usize,
    rsv1: bool,
    role: Role,
) -> Result<Option<Frame>, FrameError> {
    let b = &buf[..];
    let (Some(&b0), Some(&b1)) = (b.first(), b.get(1)) else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let reserved = if rsv1 { 0x30 } else { 0x70 };
    if b0 & reserved != 0 {
        return Err(FrameError::Protocol(
            "reserved bits set without an extension",
        ));
    }
    let opcode = Opcode::from_bits(b0 & 0x0F).ok_or(FrameError::Protocol("unknown opcode"))?;
    let masked = b1 & 0x80 != 0;
    match (role, masked) {
        (Role::Server, false) => {
            return Err(FrameError::Protocol("unmasked frame from the client"));
        }
        (Role::Client, true) => return Err(FrameError::Protocol("masked frame from the server")),
        _ => {}
    }
    let (len, at) = match b1 & 0x7F {
        126 => match b.get(2..4) {
            Some(&[hi, lo]) => (u64::from(u16::from_be_bytes([hi, lo])), 4),
            _ => return Ok(None),
        },
        127 => match b.get(2..10).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
            Some(bytes) => {
                let len = u64::from_be_bytes(bytes);
                if len >> 63 != 0 {
                    return Err(FrameError::Protocol("payload length with its top bit set"));
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        n => (u64::from(n), 2),
    };
    if opcode.is_control() && (!fin || len > 125) {
        return Err(FrameError::Protocol("a fragmented or long control frame"));
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&len| len <= max_payload)
        .ok_or(FrameError::TooBig)?;
    let mask = if masked {
        let Some(mask) = b.get(at..at + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()) else {
            return Ok(None);
        };
        Some(mask)
    } else {
        None
    };
    let at = at + if masked { 4 } else { 0 };
    let total = at + len;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    buf.advance(at);
    let mut payload = buf.get(..len).unwrap_or_default().to_vec();
    buf.advance(len);
    if let Some(mask) = mask {
        unmask(&mut payload, mask);
    }
    Ok(Some(Frame {
        fin,
        rsv1: b0 & RSV1 != 0,
        opcode,
        payload,
    }))
}

/// XORs `data` with the masking key, eight bytes at a time: masks and unmasks alike.
pub fn unmask(data: &mut [u8], mask: [u8; 4]) {
    let word = u32::from_ne_bytes(mask);
    let wide = u64::from(word) | (u64::from(word) << 32);
    let wide = wide.to_ne_bytes();
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        for (byte, m) in chunk.iter_mut().zip(wide) {
            *byte ^= m;
        }
    }
    // The rest starts at a multiple of 8, so of 4: the key's first byte applies to it first.
    for (byte, m) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= m;
    }
}

/// The header of an unmasked server frame with `fin` set: its bytes and its length.
pub fn header(opcode: Opcode, len: usize) -> ([u8; MAX_HEADER], usize) {
    header_with(0x80 | opcode as u8, len, None)
}

/// The header of a frame whose first byte is `b0` (FIN, RSV1, the opcode), masked with `mask`
/// when given (a client's frame): its bytes and its length.
pub fn header_with(b0: u8, len: usize, mask: Option<[u8; 4]>) -> ([u8; MAX_HEADER], usize) {
    let mut h = [0u8; MAX_HEADER];
    h[0] = b0;
    let n = if len < 126 {
        h[1] = len as u8;
        2
    } else if let Ok(len) = u16::try_from(len) {
        h[1] = 126;
        h[2..4].copy_from_slice(&len.to_be_bytes());
        4
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    match mask {
        Some(mask) => {
            h[1] |= 0x80;
            for (slot, byte) in h.iter_mut().skip(n).zip(mask) {
                *slot = byte;
            }
            (h, n + 4)
        }
        None => (h, n),
    }
}

/// The frames of `frames`, unmasked server frames as [`header`] starts them, each as its
/// opcode, where its payload starts and where it ends; they stop at the first that is not one.
pub fn server_frames(frames: &[u8]) -> impl Iterator<Item = (Opcode, usize, usize)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = frames.get(at..)?;
        let (&b0, &b1) = (rest.first()?, rest.get(1)?);
        let opcode = Opcode::from_bits(b0 & 0x0F)?;
        let (len, header) = match b1 {
            126 => (
                usize::from(u16::from_be_bytes(rest.get(2..4)?.try_into().ok()?)),
                4,
            ),
            127 => (
                usize::try_from(u64::from_be_bytes(rest.get(2..10)?.try_into().ok()?)).ok()?,
                10,
            ),
            n => (usize::from(n & 0x7F), 2),
        };
        let start = at + header;
        let end = start.checked_add(len).filter(|&end| end <= frames.len())?;
        at = end;
        Some((opcode, start, end))
    })
}

/// Appends a whole unmasked frame to `out`.
pub fn encode(out: &mut BytesMut, opcode: Opcode, payload: &[u8]) {
    let (h, n) = header(opcode, payload.len());
    out.reserve(n + payload.len());
    out.extend_from_slice(h.get(..n).unwrap_or_default());
    out.extend_from_slice(payload);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A client frame: first byte `first`, masked with `mask`.
    pub(crate) fn masked(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
        out
    }

    /// RFC 6455 section 5.7: a single-frame masked text message, "Hello".
    #[test]
    fn the_rfc_s_masked_hello() {
        let mut buf = BytesMut::from(
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ][..],
        );
        let frame = decode(&mut buf, 1000, false, Role::Server)
            .unwrap()
            .unwrap();
        assert!(frame.fin);
        assert_eq!(frame.opcode, Opcode::Text);
        assert_eq!(&frame.payload[..], b"Hello");
        assert!(buf.is_empty());
    }

    /// The RFC's unmasked examples are what this end writes.
    #[test]
    fn the_rfc_s_unmasked_frames_are_what_a_server_writes() {
        let mut out = BytesMut::new();
        encode(&mut out, Opcode::Text, b"Hello");
        assert_eq!(&out[..], &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        out.clear();
        encode(&mut out, Opcode::Pong, b"Hello");
        assert_eq!(&out[..], &[0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        let (h, n) = header(Opcode::Binary, 256);
        assert_eq!(&h[..n], &[0x82, 0x7E, 0x01, 0x00]);
        let (h, n) = header(Opcode::Binary, 65536);
        assert_eq!(&h[..n], &[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    /// The same "Hello" as a client reads it (unmasked), and as a client writes it.
    #[test]
    fn a_client_reads_unmasked_frames_and_writes_masked_ones() {
        let mut buf = BytesMut::from(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f][..]);
        let frame = decode(&mut buf, 1000, false, Role::Client)
            .unwrap()
            .unwrap();
        assert_eq!(&frame.payload[..], b"Hello");
        let masked_hello = masked(0x81, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(
            decode(
                &mut BytesMut::from(&masked_hello[..]),
                100,
                false,
                Role::Client
            ),
            Err(FrameError::Protocol("masked frame from the server"))
        );
        let (h, n) = header_with(0x81, 5, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(&h[..n], &masked_hello[..6]);
        let (h, n) = header_with(0xc2, 70_000, Some([1, 2, 3, 4]));
        assert_eq!(
            &h[..n],
            &[0xc2, 0xFF, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 1, 2, 3, 4]
        );
    }

    #[test]
    fn frames_arrive_in_any_pieces() {
        let payload: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
        let wire = masked(0x82, &payload, [1, 2, 3, 4]);
        let mut buf = BytesMut::new();
        let mut got = None;
        for piece in wire.chunks(1000) {
            buf.extend_from_slice(piece);
            if let Some(frame) = decode(&mut buf, 100_000, false, Role::Server).unwrap() {
                got = Some(frame);
            }
        }
        let frame = got.unwrap();
        assert_eq!(frame.opcode, Opcode::Binary);
        assert_eq!(&frame.payload[..], &payload[..]);
    }

    #[test]
    fn what_a_server_refuses() {
        let refuse = |bytes: &[u8], max| {
            decode(&mut BytesMut::from(bytes), max, false, Role::Server).unwrap_err()
        };
        assert_eq!(
            refuse(&[0x81, 0x05, b'H'], 100),
            FrameError::Protocol("unmasked frame from the client")
        );
        assert_eq!(
            refuse(&[0xC1, 0x80, 0, 0, 0, 0], 100),
            FrameError::Protocol("reserved bits set without an extension")
        );
        assert_eq!(
            refuse(&[0x83, 0x80, 0, 0, 0, 0], 100),
            FrameError::Protocol("unknown opcode")
        );
        assert_eq!(
            refuse(&[0x09, 0x80, 0, 0, 0, 0], 100),
            FrameError::Protocol("a fragmented or long control frame")
        );
        assert_eq!(
            refuse(&[0x89, 0xFE, 0, 126, 0, 0, 0, 0], 100),
            FrameError::Protocol("a fragmented or long control frame")
        );
        // Refused on its length field alone: nothing of the payload is buffered.
        assert_eq!(refuse(&[0x82, 0xFE, 0x01, 0x00], 255), FrameError::TooBig);
        assert_eq!(
            refuse(&[0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], usize::MAX),
            FrameError::Protocol("payload length with its top bit set")
        );
    }

    #[test]
    fn unmasking_any_length_matches_the_byte_by_byte_rule() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).collect();
            let mask = [0x37, 0xfa, 0x21, 0x3d];
            let mut fast = data.clone();
            unmask(&mut fast, mask);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            assert_eq!(fast, slow, "{len} bytes");
        }
    }
}
