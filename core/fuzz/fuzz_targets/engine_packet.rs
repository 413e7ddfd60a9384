//! Engine.IO packets: any text record or WebSocket frame decodes to a packet or a typed error, never a
//! panic; whatever decodes re-encodes to the same packet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockeye_core::engine::{Frame, Packet};

fuzz_target!(|data: &[u8]| {
    // v4 binary frames carry no type byte: every binary frame is a binary message, as it came.
    assert_eq!(
        Packet::decode_frame(Frame::Binary(data.to_vec())),
        Ok(Packet::Binary(data.to_vec()))
    );

    // Text frames and polling records reach the core as UTF-8; lossy conversion keeps invalid
    // inputs useful instead of discarding them.
    let text = String::from_utf8_lossy(data);
    let decoded = Packet::decode_text(&text);
    assert_eq!(
        Packet::decode_frame(Frame::Text(text.clone().into_owned())),
        decoded
    );
    if let Ok(packet) = decoded {
        let wire = packet.to_text();
        assert_eq!(
            wire.len(),
            packet.encoded_len(),
            "encoded_len of {packet:?}"
        );
        assert_eq!(
            Packet::decode_text(&wire).as_ref(),
            Ok(&packet),
            "re-decoding {wire:?}"
        );
        assert_eq!(
            Packet::decode_frame(packet.to_frame()).as_ref(),
            Ok(&packet)
        );
        assert_eq!(packet.clone().into_frame(), packet.to_frame());
    }
});
