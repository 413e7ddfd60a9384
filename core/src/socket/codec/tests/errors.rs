//! What the decoder refuses, and how it says so.

use super::*;

// --- errors ---

#[test]
fn empty() {
    assert_eq!(err(""), DecodeError::Empty);
}

#[test]
fn unknown_type() {
    assert_eq!(err("7"), DecodeError::UnknownType('7'));
    assert_eq!(err("x[]"), DecodeError::UnknownType('x'));
    assert_eq!(err("é"), DecodeError::UnknownType('é'));
    assert_eq!(err(" 2[\"a\"]"), DecodeError::UnknownType(' '));
}

#[test]
fn invalid_attachments() {
    for text in [
        "5",
        "5-[\"a\"]",
        "51[\"a\"]",
        "5x-[\"a\"]",
        "51x-[\"a\"]",
        "50-[\"a\"]",
        "60-1[]",
        "511-[\"a\"]",
        "61",
    ] {
        assert_eq!(err(text), DecodeError::InvalidAttachments, "{text}");
    }
    // A custom bound.
    let mut d = Decoder::new(Limits {
        max_attachments: 2,
        ..Limits::default()
    });
    assert_eq!(
        d.decode_text(r#"53-["a"]"#),
        Err(DecodeError::InvalidAttachments)
    );
    assert_eq!(
        d.decode_text(r#"52-["a"]"#),
        Ok(Status::Partial { remaining: 2 })
    );
}

#[test]
fn huge_attachment_count() {
    assert_eq!(
        err(&format!("5{}-[\"a\"]", u64::MAX)),
        DecodeError::InvalidAttachments
    );
    assert_eq!(
        err("599999999999999999999999999999-[\"a\"]"),
        DecodeError::InvalidAttachments
    );
    // Leading zeros stop at a bounded number of digits too.
    assert_eq!(
        err(&format!("5{}1-[\"a\"]", "0".repeat(30))),
        DecodeError::InvalidAttachments
    );
}

// The bounds are structural (the decoder reads at most 20 count digits and `Nsp::MAX_LEN + 1`
// namespace bytes); these inputs are the hostile shapes they exist for. Speed lives in the
// benchmarks, never in a timed test.
#[test]
fn ten_megabyte_attachment_count_is_refused() {
    for digit in ["1", "0"] {
        let text = format!("5{}-[\"a\"]", digit.repeat(10_000_000));
        assert_eq!(err(&text), DecodeError::InvalidAttachments);
    }
}

#[test]
fn megabyte_namespace_without_comma_is_refused() {
    for tail in ["", ",[\"a\"]"] {
        let text = format!("2/{}{tail}", "a".repeat(1_000_000));
        assert_eq!(err(&text), DecodeError::InvalidNamespace);
    }
}

#[test]
fn invalid_ack_id() {
    assert_eq!(
        err(&format!("2{}", "9".repeat(30))),
        DecodeError::InvalidAckId
    );
    assert_eq!(
        err(&format!("2{}[\"a\"]", "9".repeat(30))),
        DecodeError::InvalidAckId
    );
    assert_eq!(
        err(r#"218446744073709551616["a"]"#),
        DecodeError::InvalidAckId
    );
    assert_eq!(
        err(r#"3/admin,18446744073709551616[]"#),
        DecodeError::InvalidAckId
    );
}

#[test]
fn invalid_json() {
    for text in [
        r#"2["foo""#,
        "2{bad",
        r#"0{"a":}"#,
        r#"31["a"]x"#,
        "2 ",
        r#"4"open"#,
    ] {
        assert!(matches!(err(text), DecodeError::InvalidJson(_)), "{text}");
    }
}

#[test]
fn json_too_deep() {
    let deep = format!("2[\"a\",{}{}]", "[".repeat(40), "]".repeat(40));
    assert!(matches!(err(&deep), DecodeError::InvalidJson(_)));
    let mut d = Decoder::new(Limits {
        max_depth: 64,
        ..Limits::default()
    });
    assert!(matches!(d.decode_text(&deep), Ok(Status::Complete(_))));
}

#[test]
fn invalid_payload() {
    use PacketType::*;
    for (text, ty) in [
        ("0[]", Connect),
        (r#"0"x""#, Connect),
        ("0/admin,null", Connect),
        ("1{}", Disconnect),
        ("1/admin,[]", Disconnect),
        ("1/admin,x", Disconnect),
        ("2", Event),
        ("2/admin,", Event),
        ("212", Event),
        ("2[]", Event),
        (r#"2{"a":1}"#, Event),
        (r#"2[{"a":1}]"#, Event),
        ("2[null]", Event),
        ("2[true]", Event),
        (r#"2"foo""#, Event),
        (r#"51-{"a":1}"#, BinaryEvent),
        ("51-", BinaryEvent),
        (r#"51-1[[1]]"#, BinaryEvent),
        ("3[]", Ack),
        ("3/admin,[]", Ack),
        ("3", Ack),
        ("3{}", Ack),
        (r#"31"a""#, Ack),
        ("61-[]", BinaryAck),
        ("61-", BinaryAck),
        ("61-1{}", BinaryAck),
        ("4", ConnectError),
        ("4/admin,", ConnectError),
        ("4[]", ConnectError),
        ("4 1", ConnectError),
        ("4null", ConnectError),
    ] {
        assert_eq!(err(text), DecodeError::InvalidPayload(ty), "{text}");
    }
}

#[test]
fn reserved_event_names() {
    for name in RESERVED_EVENTS {
        assert_eq!(
            err(&format!(r#"2["{name}",1]"#)),
            DecodeError::ReservedEventName
        );
        assert_eq!(
            err(&format!(r#"51-/admin,["{name}",{PH0}]"#)),
            DecodeError::ReservedEventName
        );
    }
    // Escapes do not hide a reserved name.
    assert_eq!(err(r#"2["\u0063onnect"]"#), DecodeError::ReservedEventName);
    // Only the event name is checked.
    assert!(dec(r#"2["connected","connect"]"#, &[]).is_ok());
}

#[test]
fn placeholder_out_of_range() {
    assert_eq!(
        err(&format!(r#"51-["a",{PH1}]"#)),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        err(&format!(r#"61-3[{PH0},{PH1}]"#)),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true,"num":18446744073709551616}]"#),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        dec(&format!(r#"52-["a",{PH1}]"#), &[b"", b""])
            .unwrap()
            .attachments()
            .len(),
        2
    );
}

#[test]
fn binary_when_idle() {
    let mut d = Decoder::default();
    assert_eq!(d.decode_binary(vec![1]), Err(DecodeError::UnexpectedBinary));
    assert_eq!(
        d.decode_text(r#"2["a"]"#).unwrap(),
        Status::Complete(dec(r#"2["a"]"#, &[]).unwrap())
    );
    assert_eq!(d.decode_binary(vec![1]), Err(DecodeError::UnexpectedBinary));
}

#[test]
fn text_while_waiting_for_attachments() {
    let mut d = Decoder::default();
    let header = format!(r#"52-["a",{PH0},{PH1}]"#);
    assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
    assert_eq!(d.awaiting_attachments(), 2);
    assert_eq!(
        d.decode_binary(vec![1]),
        Ok(Status::Partial { remaining: 1 })
    );
    assert_eq!(d.awaiting_attachments(), 1);
    assert_eq!(d.decode_text(r#"2["b"]"#), Err(DecodeError::UnexpectedText));
    // The pending packet was dropped: the decoder is idle again.
    assert_eq!(d.awaiting_attachments(), 0);
    assert_eq!(d.decode_binary(vec![2]), Err(DecodeError::UnexpectedBinary));
}

#[test]
fn attachments_are_bounded_in_bytes_across_the_packet() {
    let mut d = Decoder::new(Limits {
        max_attachment_bytes: 10,
        ..Limits::default()
    });
    let header = format!(r#"52-["a",{PH0},{PH1}]"#);
    // Exactly at the bound: complete.
    assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
    assert_eq!(
        d.decode_binary(vec![0; 4]),
        Ok(Status::Partial { remaining: 1 })
    );
    assert!(matches!(
        d.decode_binary(vec![0; 6]),
        Ok(Status::Complete(_))
    ));
    // The count starts again for the next packet; one byte over fails and drops the packet.
    assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
    assert_eq!(
        d.decode_binary(vec![0; 4]),
        Ok(Status::Partial { remaining: 1 })
    );
    assert_eq!(
        d.decode_binary(vec![0; 7]),
        Err(DecodeError::AttachmentsTooLarge)
    );
    assert_eq!(d.awaiting_attachments(), 0);
    // A text in between also starts the count again.
    assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
    assert_eq!(
        d.decode_binary(vec![0; 9]),
        Ok(Status::Partial { remaining: 1 })
    );
    assert_eq!(d.decode_text(r#"2["b"]"#), Err(DecodeError::UnexpectedText));
    assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 2 }));
    assert_eq!(
        d.decode_binary(vec![0; 9]),
        Ok(Status::Partial { remaining: 1 })
    );
}

#[test]
fn decoder_reused_after_binary_packet() {
    let mut d = Decoder::default();
    let header = format!(r#"51-["a",{PH0}]"#);
    for round in 0..3u8 {
        assert_eq!(d.decode_text(&header), Ok(Status::Partial { remaining: 1 }));
        let Ok(Status::Complete(p)) = d.decode_binary(vec![round]) else {
            panic!()
        };
        assert_eq!(p.attachments(), &[vec![round]]);
        assert_eq!(p.packet_type(), PacketType::BinaryEvent);
    }
}

#[test]
fn display_is_lowercase_and_says_what() {
    let errors = [
        DecodeError::Empty,
        DecodeError::UnknownType('9'),
        DecodeError::InvalidAttachments,
        DecodeError::InvalidNamespace,
        DecodeError::InvalidAckId,
        err("2["),
        DecodeError::InvalidPayload(PacketType::Connect),
        DecodeError::InvalidPayload(PacketType::Disconnect),
        DecodeError::InvalidPayload(PacketType::Event),
        DecodeError::InvalidPayload(PacketType::Ack),
        DecodeError::InvalidPayload(PacketType::ConnectError),
        DecodeError::ReservedEventName,
        DecodeError::InvalidPlaceholder,
        DecodeError::UnexpectedBinary,
        DecodeError::UnexpectedText,
        DecodeError::AttachmentsTooLarge,
        DecodeError::AttachmentsTimeout,
    ];
    for e in errors {
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
        assert!(text.len() > 15, "{text}");
    }
    assert_eq!(
        DecodeError::UnknownType('9').to_string(),
        "unknown socket.io packet type '9' (expected a digit 0-6)"
    );
    assert_eq!(
        DecodeError::InvalidNamespace.to_string(),
        "namespace longer than 1024 bytes"
    );
}

#[test]
fn encode_appends() {
    let mut out = String::from("4");
    encode(
        &Packet::event(root(), args_of(r#"["foo"]"#), None),
        &mut out,
    );
    assert_eq!(out, r#"42["foo"]"#);
}

#[test]
fn encoded_len_matches() {
    for id in [0, 9, 10, 99, 100, 12345, u64::MAX] {
        let p = Packet::ack(nsp("/a"), binary_args(s("[]"), vec![vec![]; 10]), AckId(id));
        assert_eq!(enc(&p), format!("610-/a,{id}[]"));
    }
}
