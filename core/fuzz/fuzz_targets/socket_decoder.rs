//! The incremental Socket.IO decoder fed a sequence of Engine.IO messages: never a panic, whatever the
//! order of text and binary messages; every complete packet re-encodes to the same packet.
//!
//! Input format (so seeds can be written by hand): messages separated by `\n`; a line starting with
//! `b` is a binary message (the rest of the line), a line starting with `t` is a text message (the
//! rest), any other line is a text message as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockeye_core::socket::Packet;
use sockeye_core::socket::codec::{self, Decoder, Limits, Status};

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new(Limits::default());
    for line in data.split(|&b| b == b'\n') {
        // Keep feeding after an error: a driver closes the connection, but the decoder must stay
        // panic-free whatever it is given next.
        let status = match line.split_first() {
            Some((b'b', bytes)) => decoder.decode_binary(bytes.to_vec()),
            Some((b't', text)) => decoder.decode_text(&String::from_utf8_lossy(text)),
            _ => decoder.decode_text(&String::from_utf8_lossy(line)),
        };
        if let Ok(Status::Complete(packet)) = status {
            check_round_trip(&packet);
        }
    }
});

fn check_round_trip(packet: &Packet) {
    let mut wire = String::new();
    codec::encode(packet, &mut wire);
    let attachments = match &packet.data {
        sockeye_core::socket::PacketData::Event { attachments, .. }
        | sockeye_core::socket::PacketData::Ack { attachments, .. } => attachments.clone(),
        _ => Vec::new(),
    };
    let mut decoder = Decoder::new(Limits::default());
    let mut status = decoder.decode_text(&wire);
    for attachment in attachments {
        assert!(
            matches!(status, Ok(Status::Partial { .. })),
            "{wire:?} gave {status:?}"
        );
        status = decoder.decode_binary(attachment);
    }
    assert_eq!(
        status,
        Ok(Status::Complete(packet.clone())),
        "re-decoding {wire:?}"
    );
}
