//! The codec against bytes `notepack.io` wrote, and against bad input.

use bytes::Bytes;
use serde_json::json;
use sockeye_server::Value;

use super::*;

/// Bytes from hex digits (white space ignored).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn v(j: serde_json::Value) -> Value {
    Value::from(j)
}

/// An object with its keys in this order (`json!` sorts them).
fn o(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(entries.into_iter().collect())
}

/// `bytes` decode to `value`, and back to the same bytes: `Value`'s equality ignores key
/// order, the bytes do not.
fn decodes_to(bytes: &[u8], value: &Value) {
    let decoded = decode(bytes).unwrap();
    assert_eq!(&decoded, value);
    assert_eq!(encode(&decoded), bytes);
}

// Every expected byte string below was produced once with notepack.io 3.0.1 (the version
// @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1 use), in the repository root:
//   node -e 'console.log(require("notepack.io").encode(VALUE).toString("hex"))'
// with VALUE the JavaScript value written next to each case.

#[test]
fn a_broadcast_is_byte_for_byte_the_node_adapter_s() {
    // ["AbC123", {type: 2, data: ["news", {a: 1, b: [true, null, 1.5, -3, 300, 70000, 2**40]},
    //   Buffer.from([1, 2, 255])], nsp: "/"}, {rooms: ["r1"], except: [], flags: {}}]
    let node = hex(
        "93a641624331323383a47479706502a46461746193a46e65777382a16101a16297c3c0cb3ff8000000\
         000000fdcd012cce00011170cf0000010000000000c4030102ffa36e7370a12f83a5726f6f6d7391a2\
         7231a665786365707490a5666c61677380",
    );
    let value = Value::Array(vec![
        Value::from("AbC123"),
        o(vec![
            ("type", v(json!(2))),
            (
                "data",
                Value::Array(vec![
                    Value::from("news"),
                    v(json!({"a": 1, "b": [true, null, 1.5, -3, 300, 70000, 1u64 << 40]})),
                    Value::Binary(Bytes::from_static(&[1, 2, 255])),
                ]),
            ),
            ("nsp", Value::from("/")),
        ]),
        o(vec![
            ("rooms", v(json!(["r1"]))),
            ("except", v(json!([]))),
            ("flags", v(json!({}))),
        ]),
    ]);
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
}

#[test]
fn an_ack_response_is_byte_for_byte_the_node_adapter_s() {
    // {type: 9, requestId: "xYz789", packet: "answer"}
    let node = hex("83a47479706509a9726571756573744964a678597a373839a67061636b6574a6616e73776572");
    let value = o(vec![
        ("type", v(json!(9))),
        ("requestId", v(json!("xYz789"))),
        ("packet", v(json!("answer"))),
    ]);
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
}

#[test]
fn integers_take_notepack_s_smallest_form() {
    // [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129,
    //  -32768, -32769, -2147483648, -2147483649]
    let node = hex(
        "dc0012007fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1\
         ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff",
    );
    let value = v(json!([
        0,
        127,
        128,
        255,
        256,
        65535,
        65536,
        4_294_967_295u64,
        4_294_967_296u64,
        -1,
        -32,
        -33,
        -128,
        -129,
        -32768,
        -32769,
        -2_147_483_648i64,
        -2_147_483_649i64
    ]));
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
    // An integral float is an integer to JavaScript: 2.0 is written as 2.
    assert_eq!(encode(&v(json!(2.0))), [0x02]);
}

#[test]
fn floats_are_float_64() {
    // [0.5, -2.25]
    let node = hex("92cb3fe0000000000000cbc002000000000000");
    let value = v(json!([0.5, -2.25]));
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
    // notepack.io writes an integral float beyond 2^64 as a truncated uint 64 (1e300 ->
    // cf 00 00 00 00 00 00 00 00); beyond 2^53 this encoder keeps the float, which is exact.
    assert_eq!(encode(&v(json!(1e300)))[0], 0xcb);
}

#[test]
fn strings_take_every_length_form() {
    // ["", "é€😀", "a".repeat(31), "b".repeat(32), "c".repeat(255), "d".repeat(256)]
    let node = [
        hex("96a0a9c3a9e282acf09f9880bf"),
        vec![b'a'; 31],
        hex("d920"),
        vec![b'b'; 32],
        hex("d9ff"),
        vec![b'c'; 255],
        hex("da0100"),
        vec![b'd'; 256],
    ]
    .concat();
    let value = v(json!([
        "",
        "é€😀",
        "a".repeat(31),
        "b".repeat(32),
        "c".repeat(255),
        "d".repeat(256)
    ]));
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
}

#[test]
fn arrays_maps_and_binaries_take_their_16_bit_forms() {
    // {arr16: new Array(16).fill(0), map: {k0: 0, ..., k15: 15}, bin: Buffer.alloc(300, 7)}
    let mut map = String::new();
    for i in 0..16 {
        let key = format!("k{i}");
        map.push_str(&format!("{:02x}", 0xa0 + key.len()));
        map.extend(key.bytes().map(|b| format!("{b:02x}")));
        map.push_str(&format!("{i:02x}"));
    }
    let node = [
        hex("83a56172723136dc0010"),
        vec![0; 16],
        hex("a36d6170de0010"),
        hex(&map),
        hex("a362696ec5012c"),
        vec![7; 300],
    ]
    .concat();
    let value = o(vec![
        ("arr16", v(json!(vec![0; 16]))),
        (
            "map",
            Value::Object((0..16).map(|i| (format!("k{i}"), v(json!(i)))).collect()),
        ),
        ("bin", Value::Binary(Bytes::from(vec![7u8; 300]))),
    ]);
    assert_eq!(encode(&value), node);
    decodes_to(&node, &value);
}

/// Decoding is linear in the input: a 90,000-entry map (about 1 MB, as a wide event argument
/// from another node would be) decodes in milliseconds; a decoder that scanned the entries
/// for each new key would take minutes. The bound is for a debug build on a busy machine.
#[test]
fn a_wide_map_decodes_in_linear_time() {
    let value = Value::Object(
        (0..90_000u32)
            .map(|i| (format!("key{i}"), Value::from(i)))
            .collect(),
    );
    let bytes = encode(&value);
    assert!(bytes.len() > 900_000);
    let start = std::time::Instant::now();
    let decoded = decode(&bytes).unwrap();
    let took = start.elapsed();
    assert_eq!(decoded, value);
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
}

#[test]
fn bad_input_is_an_error_never_a_panic() {
    assert_eq!(decode(&[0xc1]), Err(DecodeError::InvalidByte(0xc1)));
    assert_eq!(decode(&[0x93, 0xa1]), Err(DecodeError::Eof));
    assert_eq!(
        decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]),
        Err(DecodeError::Eof)
    );
    assert_eq!(decode(&[0xa2, 0xff, 0xfe]), Err(DecodeError::Utf8));
    assert_eq!(decode(&[0x01, 0x02]), Err(DecodeError::Trailing(1)));
    assert_eq!(decode(&[]), Err(DecodeError::Eof));
    assert_eq!(decode(&vec![0x91; 100_000]), Err(DecodeError::TooDeep));
    // Every prefix of a valid message fails cleanly.
    let whole = encode(&v(json!({"a": [1, "x", {"b": null}], "c": 1.5})));
    for end in 0..whole.len() {
        assert!(decode(&whole[..end]).is_err());
    }
    // Extensions other than dates become null; other keys become their text.
    assert_eq!(decode(&hex("d401ff")).unwrap(), Value::Null);
    assert_eq!(decode(&hex("d6ff")), Err(DecodeError::Eof));
    assert_eq!(decode(&hex("810102")).unwrap(), v(json!({"1": 2})));
}

#[test]
fn dates_become_the_text_a_node_server_sends() {
    // [new Date(0), new Date(1733400000123)]: notepack.io 3 writes the timestamp extension
    // (32-bit seconds, then 30-bit nanoseconds and 34-bit seconds); JSON.stringify gives
    // ["1970-01-01T00:00:00.000Z","2024-12-05T12:00:00.123Z"].
    assert_eq!(
        decode(&hex("92d6ff00000000d7ff1d535300675195c0")).unwrap(),
        v(json!([
            "1970-01-01T00:00:00.000Z",
            "2024-12-05T12:00:00.123Z"
        ]))
    );
    // The 96-bit form: 32-bit nanoseconds, then 64-bit seconds (-1 s and 500 ms).
    assert_eq!(
        decode(&hex("c70cff 1dcd6500 ffffffffffffffff")).unwrap(),
        v(json!("1969-12-31T23:59:59.500Z"))
    );
    // notepack 2 (socket.io-msgpack-parser's): a fixext 8 of type 0 in milliseconds, and the
    // ArrayBuffer as an ext of type 0.
    assert_eq!(
        decode(&hex("d700 0000019396b0f67b")).unwrap(),
        v(json!("2024-12-05T12:00:00.123Z"))
    );
    assert_eq!(
        decode(&hex("c70300010203")).unwrap(),
        Value::Binary(Bytes::from_static(&[1, 2, 3]))
    );
}
