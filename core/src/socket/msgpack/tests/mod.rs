//! The parser against what socket.io-msgpack-parser 3.0.2 writes (`vectors.txt`, from
//! `scripts/msgpack-vectors.mjs`), by hand for what no JavaScript peer writes, and by property.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::socket::args::Args;

mod properties;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The packet a vector line describes.
fn expected(ty: &str, nsp: &str, id: &str, data: &str, attachments: &str) -> Packet {
    let nsp = Nsp::new(nsp).unwrap();
    let id = (!id.is_empty()).then(|| AckId(id.parse().unwrap()));
    let data = (!data.is_empty()).then(|| data.to_string());
    // Each attachment is its hex and `;`: an empty one is just `;`.
    let attachments: Vec<Vec<u8>> = attachments.split_terminator(';').map(hex).collect();
    let args = || {
        Args::from_json(data.clone().unwrap(), attachments.clone())
            .unwrap_or_else(|e| panic!("{data:?} {attachments:?}: {e}"))
    };
    match ty {
        "0" => Packet::connect(nsp, data),
        "1" => Packet::disconnect(nsp),
        "2" => Packet::event(nsp, args(), id),
        "3" => Packet::ack(nsp, args(), id.unwrap()),
        "4" => Packet::connect_error(nsp, data.unwrap()),
        other => panic!("type {other}"),
    }
}

#[test]
fn vectors_from_the_reference() {
    let limits = Limits::default();
    let mut checked = 0;
    for line in include_str!("vectors.txt").lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [kind, name, wire, ty, nsp, id, data, attachments] = f[..] else {
            panic!("malformed vector line {line}");
        };
        let wire = hex(wire);
        let decoded = decode(&wire, &limits);
        match kind {
            "error" => {
                let err = decoded.expect_err(name);
                assert!(
                    format!("{err:?}").contains(ty),
                    "{name}: {err:?}, expected {ty}"
                );
            }
            _ => {
                let packet = expected(ty, nsp, id, data, attachments);
                assert_eq!(decoded.as_ref(), Ok(&packet), "{name}");
                if kind == "both" {
                    let mut out = Vec::new();
                    encode(&packet, &mut out);
                    assert_eq!(to_hex(&out), to_hex(&wire), "{name}");
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "{checked} vectors");
}

/// A packet map around `data` (raw MessagePack bytes): `{"type":2,"nsp":"/","data":…}`.
fn event_with(data: &[u8]) -> Vec<u8> {
    let mut b = hex("83a47479706502a36e7370a12fa464617461");
    b.extend_from_slice(data);
    b
}

fn event_text(data: &[u8]) -> Result<String, DecodeError> {
    let packet = decode(&event_with(data), &Limits::default())?;
    Ok(packet.args().unwrap().text().to_string())
}

#[test]
fn what_no_javascript_peer_writes() {
    // ["e", 2^64-1, -2^63]: every digit is kept.
    assert_eq!(
        event_text(&hex("93a165cfffffffffffffffffd38000000000000000")).unwrap(),
        r#"["e",18446744073709551615,-9223372036854775808]"#
    );
    // float 32, and the exponent forms.
    assert_eq!(
        event_text(&hex("94a165ca3f800000cb444b1ae4d6e2ef50cb3eb0c6f7a0b5ed8d")).unwrap(),
        r#"["e",1,1e+21,0.000001]"#
    );
    // -0 is 0, as JSON.stringify writes it.
    assert_eq!(
        event_text(&hex("92a165cb8000000000000000")).unwrap(),
        r#"["e",0]"#
    );
    // Map keys: integers, nil and booleans are property names; a float is refused.
    assert_eq!(
        event_text(&hex("92a16584ff01c002c30300a0")).unwrap(),
        r#"["e",{"-1":1,"null":2,"true":3,"0":""}]"#
    );
    assert!(matches!(
        event_text(&hex("92a16581cb3ff000000000000001")),
        Err(DecodeError::InvalidMsgpack(MsgpackError {
            kind: MsgpackErrorKind::InvalidKey,
            ..
        }))
    ));
    // An extension of another type is `[type, binary]`; invalid UTF-8 becomes U+FFFD.
    let packet = decode(
        &event_with(&hex("93a165d5050102a2ff61")),
        &Limits::default(),
    )
    .unwrap();
    let args = packet.args().unwrap();
    assert_eq!(
        args.text(),
        r#"["e",[5,{"_placeholder":true,"num":0}],"�a"]"#
    );
    assert_eq!(args.attachments(), &[vec![1, 2]]);
    assert_eq!(args.depth(), 3);
    // A Date past the range JavaScript holds is null.
    assert_eq!(
        event_text(&hex("92a165d7007fffffffffffffff")).unwrap(),
        r#"["e",null]"#
    );
}

#[test]
fn what_is_refused() {
    let kind = |bytes: &[u8]| match decode(bytes, &Limits::default()) {
        Err(DecodeError::InvalidMsgpack(e)) => Some(e.kind),
        _ => None,
    };
    assert_eq!(kind(&[]), Some(MsgpackErrorKind::UnexpectedEnd));
    assert_eq!(
        kind(&event_with(&hex("92a165"))),
        Some(MsgpackErrorKind::UnexpectedEnd)
    );
    assert_eq!(
        kind(&event_with(&hex("91a165c0"))),
        Some(MsgpackErrorKind::TrailingBytes)
    );
    assert_eq!(
        kind(&event_with(&hex("92a165c1"))),
        Some(MsgpackErrorKind::NeverUsed)
    );
    // A length that promises more than the message holds allocates nothing.
    assert_eq!(
        kind(&event_with(&hex("dbffffffff"))),
        Some(MsgpackErrorKind::UnexpectedEnd)
    );
    assert_eq!(
        kind(&event_with(&hex("ddffffffff"))),
        Some(MsgpackErrorKind::UnexpectedEnd)
    );
    // Depth: 32 arrays deep is the default bound, as for JSON; a binary counts as one more level.
    let deep = |n: usize, inner: &str| {
        let mut b = vec![0x92, 0xa1, b'e'];
        b.extend(core::iter::repeat_n(0x91, n - 1));
        b.extend(hex(inner));
        b
    };
    assert!(decode(&event_with(&deep(32, "c0")), &Limits::default()).is_ok());
    assert_eq!(
        kind(&event_with(&deep(33, "c0"))),
        Some(MsgpackErrorKind::TooDeep)
    );
    assert!(decode(&event_with(&deep(31, "c400")), &Limits::default()).is_ok());
    assert_eq!(
        kind(&event_with(&deep(32, "c400"))),
        Some(MsgpackErrorKind::TooDeep)
    );
    // Binaries: at most max_attachments, of max_attachment_bytes in all.
    let limits = Limits {
        max_attachments: 2,
        max_attachment_bytes: 3,
        ..Limits::default()
    };
    assert!(decode(&event_with(&hex("93a165c401aac402bbbb")), &limits).is_ok());
    assert_eq!(
        decode(&event_with(&hex("94a165c400c400c400")), &limits),
        Err(DecodeError::InvalidAttachments)
    );
    assert_eq!(
        decode(&event_with(&hex("93a165c402aaaac402bbbb")), &limits),
        Err(DecodeError::AttachmentsTooLarge)
    );
    // Binaries only in an event's or an ack's arguments.
    assert_eq!(
        decode(
            &hex("83a47479706500a36e7370a12fa46461746181a162c400"),
            &limits
        ),
        Err(DecodeError::InvalidPayload(PacketType::Connect))
    );
    // A container where a field's value stands is read whole: its elements name no field.
    assert_eq!(
        decode(
            &hex("83a47479706502a36e737092a36e7370a12fa46461746191a165"),
            &limits
        ),
        Err(DecodeError::InvalidNamespace)
    );
    // A container as a key is read whole too, with its value.
    assert_eq!(
        decode(
            &hex("8492010205a47479706502a36e7370a12fa46461746191a165"),
            &limits
        )
        .unwrap()
        .event_name()
        .as_deref(),
        Some("e")
    );
    // A namespace must start with `/`; an ack needs its id.
    assert_eq!(
        decode(&hex("83a47479706502a36e7370a161a46461746191a165"), &limits),
        Err(DecodeError::InvalidNamespace)
    );
    assert_eq!(
        decode(&hex("83a47479706503a36e7370a12fa46461746190"), &limits),
        Err(DecodeError::InvalidPayload(PacketType::Ack))
    );
}

#[test]
fn packets_the_json_codec_decodes_encode_the_same() {
    // A placeholder-shaped object in a packet without binaries is data, both ways.
    let args = Args::from_json(r#"["e",{"_placeholder":true,"num":0}]"#, vec![]).unwrap();
    let packet = Packet::event(Nsp::root(), args, Some(AckId(3)));
    let mut out = Vec::new();
    encode(&packet, &mut out);
    assert_eq!(decode(&out, &Limits::default()), Ok(packet));
    // Numbers: integral values are integers, as notepack writes them; other text as float 64.
    let args = Args::from_json(
        "[\"e\",1.0,-0,1e3,2.5,1e400,12345678901234567890123]",
        vec![],
    )
    .unwrap();
    let packet = Packet::event(Nsp::root(), args, None);
    out.clear();
    encode(&packet, &mut out);
    let decoded = decode(&out, &Limits::default()).unwrap();
    assert_eq!(
        decoded.args().unwrap().text(),
        r#"["e",1,0,1000,2.5,null,1.2345678901234568e+22]"#
    );
}
