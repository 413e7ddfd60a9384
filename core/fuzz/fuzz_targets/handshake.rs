//! The open packet's JSON: any text is a handshake or a typed error, never a panic; a decoded
//! handshake re-encodes to the same handshake.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockeye_core::engine::Handshake;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(handshake) = Handshake::decode(&text) {
        let mut wire = String::new();
        handshake.encode(&mut wire);
        assert_eq!(wire.len(), handshake.encoded_len());
        assert_eq!(
            Handshake::decode(&wire),
            Ok(handshake),
            "re-decoding {wire:?}"
        );
    }
});
