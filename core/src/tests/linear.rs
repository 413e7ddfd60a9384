//! Every decoder of peer input runs in time linear in its input: each test feeds one decoder
//! about 1 MB of the shape that makes a naive decoder quadratic (a wide object, many placeholders,
//! many records, a long run of escapes, deep nesting) and bounds the time.
//!
//! The bounds are for a debug build on a busy machine and sit two orders of magnitude above what
//! a linear decoder takes here (tens of milliseconds), while a quadratic one misses them by
//! minutes: 90,000 keys compared pairwise are four billion comparisons.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use crate::socket::PacketData;
use crate::socket::codec::{Decoder, Limits, Status};

/// Far above a linear decoder's time, far below a quadratic one's.
const BOUND: Duration = Duration::from_secs(3);

/// `{"key0":0,"key1":1,...}`: 90,000 keys are about 1 MB, the default `maxHttpBufferSize`.
fn wide_object(keys: usize) -> String {
    let mut text = String::from("{");
    for i in 0..keys {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("\"key{i}\":{i}"));
    }
    text.push('}');
    text
}

/// Runs `f`, failing if it took longer than [`BOUND`].
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

fn complete(status: Status) -> crate::socket::Packet {
    match status {
        Status::Complete(packet) => packet,
        Status::Partial { remaining } => panic!("{remaining} attachments still expected"),
    }
}

#[test]
fn a_connect_with_a_wide_auth_object() {
    let text = format!("0{}", wide_object(90_000));
    assert!(text.len() > 1_000_000);
    let packet = timed("CONNECT", || {
        complete(Decoder::default().decode_text(&text).unwrap())
    });
    assert!(
        matches!(packet.data, PacketData::Connect(Some(ref auth)) if auth.len() + 1 == text.len())
    );
}

#[test]
fn an_event_with_a_wide_object() {
    let text = format!("2[\"message\",{}]", wide_object(90_000));
    let packet = timed("EVENT", || {
        complete(Decoder::default().decode_text(&text).unwrap())
    });
    let PacketData::Event { args, .. } = packet.data else {
        panic!("not an event: {packet:?}");
    };
    let rest = timed("the arguments after the name", || args.without_first());
    assert_eq!(args.event_name().as_deref(), Some("message"));
    assert_eq!(rest.items().count(), 1);
}

#[test]
fn a_binary_event_with_many_placeholders() {
    const N: usize = 50_000;
    let mut text = format!("5{N}-[\"files\"");
    for i in 0..N {
        text.push_str(&format!(",{{\"_placeholder\":true,\"num\":{i}}}"));
    }
    text.push(']');
    let mut decoder = Decoder::new(Limits {
        max_attachments: N,
        ..Limits::default()
    });
    let packet = timed("BINARY_EVENT and its attachments", || {
        let mut status = decoder.decode_text(&text).unwrap();
        for i in 0..N {
            status = decoder.decode_binary(Vec::from([i as u8])).unwrap();
        }
        complete(status)
    });
    let PacketData::Event { args, .. } = packet.data else {
        panic!("not an event");
    };
    assert_eq!(args.attachments().len(), N);
    // Each placeholder is found once and in order: the tail renumbers them in one pass.
    let tail = timed("the arguments after the name", || args.without_first());
    assert_eq!(tail.attachments().len(), N);
}

#[test]
fn a_long_run_of_escapes() {
    let text = format!("2[\"message\",\"{}\"]", "\\\"\\u00e9".repeat(100_000));
    let packet = timed("EVENT", || {
        complete(Decoder::default().decode_text(&text).unwrap())
    });
    let PacketData::Event { args, .. } = packet.data else {
        panic!("not an event");
    };
    let last = timed("the string argument", || args.last_str());
    assert_eq!(last.map(|s| s.chars().count()), Some(200_000));
}

#[test]
fn deep_nesting_is_refused_at_the_bound_without_reading_on() {
    let text = format!("2[\"message\",{}]", "[".repeat(1_000_000));
    let result = timed("EVENT", || Decoder::default().decode_text(&text));
    assert!(result.is_err());
}

#[test]
fn a_polling_body_of_many_packets() {
    let body = "4x\x1e".repeat(300_000);
    let packets = timed("the polling body", || {
        crate::engine::payload::decode(body.trim_end_matches('\x1e'), usize::MAX).unwrap()
    });
    assert_eq!(packets.len(), 300_000);
}

#[test]
fn a_query_of_many_pairs() {
    let query = "k=%41+b&".repeat(100_000);
    let pairs = timed("the query", || crate::url::parse_query(&query));
    assert_eq!(pairs.len(), 100_000);
    assert!(pairs.iter().all(|(k, v)| k == "k" && v == "A b"));
}

#[test]
fn a_long_base64_attachment() {
    let text = "AQID".repeat(300_000);
    let bytes = timed("base64", || crate::base64::decode(&text).unwrap());
    assert_eq!(bytes.len(), 900_000);
}

#[cfg(feature = "serde")]
#[test]
fn typed_arguments_from_a_wide_object() {
    use crate::socket::Args;
    use alloc::collections::BTreeMap;
    let args = Args::from_json(format!("[{}]", wide_object(90_000)), Vec::new()).unwrap();
    let map: BTreeMap<String, u32> = timed("deserializing", || {
        crate::socket::args::de::from_args(&args).unwrap()
    });
    assert_eq!(map.len(), 90_000);
    assert_eq!(map.get("key89999"), Some(&89_999));
}

/// The MessagePack parser: about 1 MB of each shape that could cost more than linear time, both
/// ways (a wide map, many small items that each write more text than they take, empty undefined
/// members taken back out, a long string of escapes, the encoder's two passes).
#[test]
fn msgpack_packets_decode_and_encode_in_linear_time() {
    use crate::socket::msgpack;

    // {"type":2,"nsp":"/","data":["e", <item>]}
    let packet = |item: &[u8]| {
        let mut b = alloc::vec![
            0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa3, b'n', b's', b'p', 0xa1, b'/', 0xa4,
            b'd', b'a', b't', b'a', 0x92, 0xa1, b'e'
        ];
        b.extend_from_slice(item);
        b
    };
    let limits = Limits::default();
    // A map of 90,000 members, each `"k<i>": nil`, and one of 200,000 undefined members.
    let mut wide = alloc::vec![0xdf];
    wide.extend_from_slice(&90_000u32.to_be_bytes());
    for i in 0..90_000 {
        let key = format!("k{i}");
        wide.push(0xa0 | key.len() as u8);
        wide.extend_from_slice(key.as_bytes());
        wide.push(0xc0);
    }
    let mut undefined = alloc::vec![0xdf];
    undefined.extend_from_slice(&200_000u32.to_be_bytes());
    for _ in 0..200_000 {
        undefined.extend_from_slice(&[0xa1, b'k', 0xd4, 0, 0]);
    }
    // An array of 1,000,000 nils (each one byte in, four out), and 250,000 negative fixints.
    let mut nils = alloc::vec![0xdd];
    nils.extend_from_slice(&1_000_000u32.to_be_bytes());
    nils.extend(core::iter::repeat_n(0xc0, 1_000_000));
    let mut ints = alloc::vec![0xdd];
    ints.extend_from_slice(&250_000u32.to_be_bytes());
    ints.extend(core::iter::repeat_n(0xe0, 250_000));
    // A string of 1,000,000 control characters (each six bytes of JSON escape).
    let mut escapes = alloc::vec![0xdb];
    escapes.extend_from_slice(&1_000_000u32.to_be_bytes());
    escapes.extend(core::iter::repeat_n(0x01, 1_000_000));
    for (what, item) in [
        ("a wide map", wide),
        ("undefined members", undefined),
        ("nils", nils),
        ("negative integers", ints),
        ("escapes", escapes),
    ] {
        let bytes = packet(&item);
        let decoded = timed(what, || msgpack::decode(&bytes, &limits).unwrap());
        let mut wire = Vec::new();
        timed(what, || msgpack::encode(&decoded, &mut wire));
        assert_eq!(
            msgpack::decode(&wire, &limits).as_ref(),
            Ok(&decoded),
            "{what}"
        );
    }
}
