//! What the reference accepts beyond the specification's examples.

use super::*;

// --- what the reference accepts beyond the spec's examples ---

#[test]
fn numeric_event_name_is_accepted() {
    let p = dec(r#"2[42,"x"]"#, &[]).unwrap();
    assert_eq!(p, Packet::event(root(), args_of(r#"[42,"x"]"#), None));
    assert_eq!(p.event_name().as_deref(), Some("42"));
}

#[test]
fn event_name_is_unescaped() {
    let p = dec(r#"2["caf\u00e9",1]"#, &[]).unwrap();
    assert_eq!(p.event_name().as_deref(), Some("café"));
}

#[test]
fn ack_without_payload_is_an_empty_ack() {
    assert_eq!(
        dec("312", &[]).unwrap(),
        Packet::ack(root(), args_of("[]"), AckId(12))
    );
    assert_eq!(
        dec("3/admin,7", &[]).unwrap(),
        Packet::ack(nsp("/admin"), args_of("[]"), AckId(7))
    );
}

#[test]
fn ack_id_on_other_types_is_dropped() {
    assert_eq!(
        dec(r#"0/admin,5{"token":"1"}"#, &[]).unwrap(),
        Packet::connect(nsp("/admin"), Some(s(r#"{"token":"1"}"#)))
    );
    assert_eq!(
        dec("1/admin,5", &[]).unwrap(),
        Packet::disconnect(nsp("/admin"))
    );
    assert_eq!(
        dec("0/admin,1", &[]).unwrap(),
        Packet::connect(nsp("/admin"), None)
    );
}

#[test]
fn whitespace_around_json_is_dropped() {
    assert_eq!(
        dec("2[\"foo\"] \n", &[]).unwrap(),
        Packet::event(root(), args_of(r#"["foo"]"#), None)
    );
    assert_eq!(
        dec("0/admin,\t{\"a\":1}\r\n", &[]).unwrap(),
        Packet::connect(nsp("/admin"), Some(s(r#"{"a":1}"#)))
    );
}

#[test]
fn placeholders_in_a_plain_event_are_left_alone() {
    let wire = format!(r#"2["a",{PH1}]"#);
    assert_eq!(
        dec(&wire, &[]).unwrap().args().map(Args::text),
        Some(&wire[1..])
    );
}

#[test]
fn binary_packet_may_not_use_every_attachment() {
    // The reference does not check that each attachment is referenced.
    let p = dec(r#"52-["a"]"#, &[b"x", b"y"]).unwrap();
    assert_eq!(p.attachments(), &[b"x".to_vec(), b"y".to_vec()]);
}

#[test]
fn namespace_at_max_len() {
    let name = format!("/{}", "a".repeat(Nsp::MAX_LEN - 1));
    assert_eq!(
        dec(&format!("0{name}"), &[]).unwrap(),
        Packet::connect(nsp(&name), None)
    );
    assert_eq!(
        dec(&format!(r#"2{name},["x"]"#), &[]).unwrap(),
        Packet::event(nsp(&name), args_of(r#"["x"]"#), None)
    );
    assert_eq!(err(&format!("0{name}a")), DecodeError::InvalidNamespace);
    assert_eq!(err(&format!("0{name}a,")), DecodeError::InvalidNamespace);
}

#[test]
fn unicode_namespace() {
    vector(
        r#"2/café,["x"]"#,
        &[],
        Packet::event(nsp("/café"), args_of(r#"["x"]"#), None),
    );
}
