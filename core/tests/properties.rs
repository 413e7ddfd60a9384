//! Properties of the codecs over the public API: every decoder is total on arbitrary input (a value or
//! a typed error, never a panic), and decode(encode(x)) == x for generated packets, payloads,
//! handshakes and Socket.IO packets with attachments. The fuzz targets in `fuzz/` check the same
//! with coverage guidance; these run on every `cargo test`.

use core::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use sockeye_core::engine::{self, Frame, Handshake, Sid, Transport, payload};
use sockeye_core::json;
use sockeye_core::socket::codec::{self, Decoder, Limits, Status};
use sockeye_core::socket::packet::RESERVED_EVENTS;
use sockeye_core::socket::{AckId, Args, Nsp, Packet, PacketData};

/// Cheap properties get more cases; all together stay well under 20 s in a debug build.
const CASES: u32 = 1024;

// ---- generators -------------------------------------------------------------------------------

/// Text that looks like the wire often enough to get past the first byte of every decoder, and
/// arbitrary Unicode the rest of the time.
fn wireish_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-6b][0-9]{0,3}-?(/[a-z]{0,4},)?[0-9]{0,3}[\\[\\]{}\",:a-z0-9_ -]{0,40}",
        "[\\[\\]{}\",:0-9a-z\\\\.eE+ -]{0,60}",
        "(4[a-z]{0,5}|bAQID|2probe|3probe|[0-6])(\u{1e}(4[a-z]{0,5}|b[A-Za-z0-9+/=]{0,8}|[0-6]))*",
    ]
}

/// A JSON string literal, escaped independently of the code under test.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_object(entries: &[(String, String)]) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{v}", json_string(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// The text of an arbitrary JSON value, at most 5 levels deep.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(String::from("null")),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u16..1000).prop_map(|(i, f)| format!("{i}.{f}e-3")),
        any::<String>().prop_map(|s| json_string(&s)),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
            vec((any::<String>(), inner), 0..5).prop_map(|entries| json_object(&entries)),
        ]
    })
}

fn placeholder(num: usize) -> String {
    format!(r#"{{"_placeholder":true,"num":{num}}}"#)
}

fn handshake() -> impl Strategy<Value = Handshake> {
    (
        prop_oneof![
            "[A-Za-z0-9_~.-]{1,40}"
                .prop_map(|s| Sid::new(s).expect("the pattern only has URL-safe characters")),
            any::<[u8; 15]>().prop_map(Sid::from_random),
        ],
        prop_oneof![
            Just(vec![]),
            Just(vec![Transport::WebSocket]),
            Just(vec![Transport::Polling, Transport::WebSocket]),
        ],
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(sid, upgrades, interval, timeout, max_payload)| Handshake {
                sid,
                upgrades,
                ping_interval: Duration::from_millis(interval),
                ping_timeout: Duration::from_millis(timeout),
                max_payload,
            },
        )
}

fn engine_packet() -> impl Strategy<Value = engine::Packet> {
    use engine::Packet as P;
    prop_oneof![
        handshake().prop_map(P::Open),
        Just(P::Close),
        Just(P::Ping),
        Just(P::Pong),
        Just(P::PingProbe),
        Just(P::PongProbe),
        Just(P::Upgrade),
        Just(P::Noop),
        any::<String>().prop_map(P::Message),
        vec(any::<u8>(), 0..64).prop_map(P::Binary),
    ]
}

fn nsp() -> impl Strategy<Value = Nsp> {
    prop_oneof![
        Just(Nsp::root()),
        "/[a-z0-9_-]{1,10}".prop_map(|s| Nsp::new(&s).expect("short and without a comma")),
        "[^,]{0,30}".prop_map(|s| Nsp::new(&s).expect("short and without a comma")),
    ]
}

fn ack_id() -> impl Strategy<Value = AckId> {
    prop_oneof![any::<u64>(), 0u64..100].prop_map(AckId)
}

/// `[name?, args..., placeholders...]` with one attachment per placeholder, each placeholder bare
/// or inside an object, as socket.io-parser's `deconstructPacket` leaves them.
fn args_with_attachments(named: bool) -> impl Strategy<Value = (String, Vec<Vec<u8>>)> {
    let name = prop_oneof![Just(String::from("chat")), any::<String>()].prop_map(|n| {
        if RESERVED_EVENTS.contains(&n.as_str()) {
            n + "_"
        } else {
            n
        }
    });
    (
        name,
        vec(json_value(), 0..4),
        vec(
            vec(any::<u8>(), 0..32),
            0..=Limits::default().max_attachments,
        ),
        any::<bool>(),
    )
        .prop_map(move |(name, args, attachments, nested)| {
            let mut items = Vec::new();
            if named {
                items.push(json_string(&name));
            }
            items.extend(args);
            for num in 0..attachments.len() {
                let p = placeholder(num);
                items.push(if nested {
                    format!(r#"{{"file":{p}}}"#)
                } else {
                    p
                });
            }
            (format!("[{}]", items.join(",")), attachments)
        })
}

fn socket_packet() -> impl Strategy<Value = Packet> {
    let data = prop_oneof![
        prop_oneof![
            Just(None),
            vec((any::<String>(), json_value()), 0..4).prop_map(|e| Some(json_object(&e)))
        ]
        .prop_map(PacketData::Connect),
        Just(PacketData::Disconnect),
        (args_with_attachments(true), proptest::option::of(ack_id())).prop_map(
            |((args, attachments), id)| PacketData::Event {
                args: Args::from_json(args, attachments).expect("generated arguments are valid"),
                id,
            }
        ),
        (args_with_attachments(false), ack_id()).prop_map(|((args, attachments), id)| {
            PacketData::Ack {
                args: Args::from_json(args, attachments).expect("generated arguments are valid"),
                id,
            }
        }),
        prop_oneof![
            any::<String>().prop_map(|m| json_string(&m)),
            (any::<String>(), json_value())
                .prop_map(|(m, d)| format!(r#"{{"message":{},"data":{d}}}"#, json_string(&m))),
        ]
        .prop_map(PacketData::ConnectError),
    ];
    (nsp(), data).prop_map(|(nsp, data)| Packet { nsp, data })
}

#[derive(Clone, Debug)]
enum Message {
    Text(String),
    Binary(Vec<u8>),
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        3 => wireish_text().prop_map(Message::Text),
        1 => vec(any::<u8>(), 0..16).prop_map(Message::Binary),
    ]
}

fn attachments_of(packet: &Packet) -> Vec<Vec<u8>> {
    packet.attachments().to_vec()
}

// ---- decoders are total -----------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn engine_decoders_never_panic(text in wireish_text(), bytes in vec(any::<u8>(), 0..64)) {
        let decoded = engine::Packet::decode_text(&text);
        prop_assert_eq!(engine::Packet::decode_frame(Frame::Text(text.clone())), decoded);
        prop_assert_eq!(
            engine::Packet::decode_frame(Frame::Binary(bytes.clone())),
            Ok(engine::Packet::Binary(bytes))
        );
        let _ = payload::decode(&text, 1_000_000);
        let _ = payload::decode(&text, text.len() / 2);
        let _ = Handshake::decode(&text);
    }

    #[test]
    fn socket_decoder_never_panics(messages in vec(message(), 0..8)) {
        let mut decoder = Decoder::new(Limits::default());
        for m in messages {
            let _ = match m {
                Message::Text(text) => decoder.decode_text(&text),
                Message::Binary(bytes) => decoder.decode_binary(bytes),
            };
        }
    }

    #[test]
    fn json_scanner_never_panics(text in wireish_text(), depth in 0usize..40) {
        if let Err(e) = json::scan(&text, depth) {
            prop_assert!(e.offset <= text.len(), "{:?} past the end of {} bytes", e, text.len());
        }
        prop_assert!(json::array_items(&text).take(text.len() + 2).count() <= text.len() + 1);
        let _ = json::object_get(&text, "sid");
        let _ = json::parse_string(&text);
        let _ = json::parse_u64(&text);
    }

    #[test]
    fn json_scanner_accepts_generated_json(value in json_value()) {
        let scan = json::scan(&value, json::DEFAULT_MAX_DEPTH);
        prop_assert!(scan.is_ok(), "{} refused: {:?}", value, scan);
    }

    #[test]
    fn json_strings_round_trip(s in any::<String>()) {
        let mut raw = String::new();
        json::write_string(&mut raw, &s);
        prop_assert_eq!(json::scan(&raw, 1).map(|scan| scan.kind), Ok(json::Kind::String));
        prop_assert_eq!(json::parse_string(&raw).map(|v| v.into_owned()), Ok(s));
    }
}

// ---- decode(encode(x)) == x -------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn engine_packets_round_trip(packet in engine_packet()) {
        let text = packet.to_text();
        prop_assert_eq!(text.len(), packet.encoded_len());
        prop_assert_eq!(engine::Packet::decode_text(&text), Ok(packet.clone()), "text {:?}", text);
        prop_assert_eq!(engine::Packet::decode_frame(packet.to_frame()), Ok(packet));
    }

    #[test]
    fn payloads_round_trip(packets in vec(engine_packet(), 1..10)) {
        // A text message holding the record separator cannot travel in a payload; the reference
        // does not escape it either.
        let packets: Vec<_> = packets
            .into_iter()
            .filter(|p| !matches!(p, engine::Packet::Message(t) if t.contains(payload::SEPARATOR)))
            .collect();
        prop_assume!(!packets.is_empty());
        let mut body = String::new();
        payload::encode(&packets, &mut body);
        prop_assert_eq!(body.len(), payload::encoded_len(&packets));
        prop_assert_eq!(payload::decode(&body, body.len()), Ok(packets), "body {:?}", body);
    }

    #[test]
    fn handshakes_round_trip(h in handshake()) {
        let mut text = String::new();
        h.encode(&mut text);
        prop_assert_eq!(text.len(), h.encoded_len());
        prop_assert_eq!(Handshake::decode(&text), Ok(h), "text {:?}", text);
    }

    #[test]
    fn socket_packets_round_trip(packets in vec(socket_packet(), 1..5)) {
        // One decoder for the whole sequence, as on a connection.
        let mut decoder = Decoder::new(Limits::default());
        for packet in packets {
            let mut text = String::new();
            codec::encode(&packet, &mut text);
            let attachments = attachments_of(&packet);
            let total = attachments.len();
            let mut status = decoder.decode_text(&text);
            for (i, attachment) in attachments.into_iter().enumerate() {
                prop_assert_eq!(status, Ok(Status::Partial { remaining: total - i }), "text {:?}", text);
                status = decoder.decode_binary(attachment);
            }
            prop_assert_eq!(status, Ok(Status::Complete(packet)), "text {:?}", text);
        }
    }
}
