//! The checks of the byte-input fuzz targets, shared by the targets (`fuzz_targets/*.rs`) and the
//! stable test that replays the committed corpora (`core/tests/fuzz_corpus.rs`): one copy of what
//! "no finding" means for each decoder.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "shared by the fuzz targets and a test, each as a private module using some of them"
)]

use sockeye_core::engine::{self, Frame, Handshake, payload};
use sockeye_core::json::{self, DEFAULT_MAX_DEPTH, Kind};
use sockeye_core::socket::codec::{self, Decoder, Limits, Status};
use sockeye_core::socket::{Packet, Parser, msgpack};

/// Engine.IO packets: any text record or WebSocket frame decodes to a packet or a typed error, never a
/// panic; whatever decodes re-encodes to the same packet.
pub fn engine_packet(data: &[u8]) {
    // v4 binary frames carry no type byte: every binary frame is a binary message, as it came.
    assert_eq!(
        engine::Packet::decode_frame(Frame::Binary(data.to_vec())),
        Ok(engine::Packet::Binary(data.to_vec()))
    );

    // Text frames and polling records reach the core as UTF-8; lossy conversion keeps invalid
    // inputs useful instead of discarding them.
    let text = String::from_utf8_lossy(data);
    let decoded = engine::Packet::decode_text(&text);
    assert_eq!(
        engine::Packet::decode_frame(Frame::Text(text.clone().into_owned())),
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
            engine::Packet::decode_text(&wire).as_ref(),
            Ok(&packet),
            "re-decoding {wire:?}"
        );
        assert_eq!(
            engine::Packet::decode_frame(packet.to_frame()).as_ref(),
            Ok(&packet)
        );
        assert_eq!(packet.clone().into_frame(), packet.to_frame());
    }
}

/// Polling payloads: any body decodes to packets or a typed error, never a panic, within maxPayload;
/// whatever decodes re-encodes to the same packets.
pub fn engine_payload(data: &[u8]) {
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
}

/// The open packet's JSON: any text is a handshake or a typed error, never a panic; a decoded
/// handshake re-encodes to the same handshake.
pub fn handshake(data: &[u8]) {
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
}

/// The JSON scanner: any text is accepted or refused with an offset, never a panic; the look-ups on
/// accepted text return valid JSON, and strings survive unescape + escape.
pub fn json_scan(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // A shallow limit too, so depth errors are reached by small inputs.
    let _ = json::scan(&text, 2);
    let scan = json::scan(&text, DEFAULT_MAX_DEPTH);
    if let Err(e) = scan {
        assert!(
            e.offset <= text.len(),
            "{e:?} is past the end of {} bytes",
            text.len()
        );
    }

    // The look-ups are total on any text, including text scan refused; an iterator that never ends
    // would show here as more items than bytes.
    assert!(json::array_items(&text).take(text.len() + 2).count() <= text.len() + 1);
    let _ = json::object_get(&text, "_placeholder");
    let _ = json::parse_string(&text);
    let _ = json::parse_u64(&text);

    let Ok(scan) = scan else { return };
    match scan.kind {
        Kind::Array => {
            for item in json::array_items(&text) {
                assert!(
                    json::scan(item, DEFAULT_MAX_DEPTH).is_ok(),
                    "item {item:?} of {text:?}"
                );
                check_value(item);
            }
        }
        Kind::Object => {
            for key in ["sid", "num", "_placeholder", "message", ""] {
                if let Some(value) = json::object_get(&text, key) {
                    assert!(
                        json::scan(value, DEFAULT_MAX_DEPTH).is_ok(),
                        "value {value:?} of {text:?}"
                    );
                    check_value(value);
                }
            }
        }
        _ => check_value(text.trim_matches([' ', '\t', '\n', '\r'])),
    }
}

/// A raw value token from an accepted text: strings unescape and re-escape to the same value.
fn check_value(raw: &str) {
    if raw.starts_with('"') {
        let value = json::parse_string(raw).expect("scan accepted this string token");
        let mut again = String::new();
        json::write_string(&mut again, &value);
        assert_eq!(
            json::parse_string(&again).as_deref(),
            Ok(&*value),
            "{raw:?} re-escaped as {again:?}"
        );
    }
    if let Some(n) = json::parse_u64(raw) {
        assert_eq!(
            raw,
            n.to_string(),
            "parse_u64 accepted a non-canonical integer"
        );
    }
}

/// The incremental Socket.IO decoder fed a sequence of Engine.IO messages: never a panic, whatever the
/// order of text and binary messages; every complete packet re-encodes to the same packet.
/// Input format (so seeds can be written by hand): messages separated by `\n`; a line starting with
/// `b` is a binary message (the rest of the line), a line starting with `t` is a text message (the
/// rest), any other line is a text message as it is.
pub fn socket_decoder(data: &[u8]) {
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
}

/// The MessagePack parser fed one binary message: a packet or a typed error, never a panic, and
/// time linear in the message (libFuzzer's timeout); whatever decodes re-encodes to bytes that
/// decode to the same packet, and through the decoder a MessagePack connection uses.
pub fn socket_msgpack(data: &[u8]) {
    let limits = Limits::default();
    let decoded = msgpack::decode(data, &limits);
    let mut decoder = Decoder::with_parser(limits, Parser::MessagePack);
    assert_eq!(
        decoder.decode_binary(data.to_vec()),
        decoded.clone().map(Status::Complete)
    );
    if let Ok(packet) = decoded {
        let mut wire = Vec::new();
        msgpack::encode(&packet, &mut wire);
        assert_eq!(
            msgpack::decode(&wire, &limits).as_ref(),
            Ok(&packet),
            "re-decoding {wire:02x?}"
        );
    }
}

fn check_round_trip(packet: &Packet) {
    let mut wire = String::new();
    codec::encode(packet, &mut wire);
    let attachments = packet.attachments().to_vec();
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
