//! Polling payloads: any body decodes to packets or a typed error, never a panic, within maxPayload;
//! whatever decodes re-encodes to the same packets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockeye_core::engine::payload;

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    // The reference's default maxPayload, and a limit the body just breaks.
    let decoded = payload::decode(&body, 1_000_000);
    if !body.is_empty() {
        assert!(payload::decode(&body, body.len() - 1).is_err());
    }
    if let Ok(packets) = decoded {
        assert!(!packets.is_empty());
        let mut wire = String::new();
        payload::encode(&packets, &mut wire);
        assert_eq!(wire.len(), payload::encoded_len(&packets));
        assert_eq!(
            payload::decode(&wire, wire.len()),
            Ok(packets),
            "re-decoding {wire:?}"
        );
    }
});
