//! The v5 specification's examples ("Packet encoding", "Exchange protocol"), both directions.

use super::*;

// --- v5 spec, "Packet encoding" and "Exchange protocol" ---

#[test]
fn connect_main_namespace() {
    vector("0", &[], Packet::connect(root(), None));
}

#[test]
fn connect_custom_namespace() {
    vector("0/admin,", &[], Packet::connect(nsp("/admin"), None));
}

#[test]
fn connect_with_auth() {
    vector(
        r#"0/admin,{"token":"123"}"#,
        &[],
        Packet::connect(nsp("/admin"), Some(s(r#"{"token":"123"}"#))),
    );
    vector(
        r#"0{"token":"123"}"#,
        &[],
        Packet::connect(root(), Some(s(r#"{"token":"123"}"#))),
    );
}

#[test]
fn server_connect_with_sid() {
    vector(
        r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
        &[],
        Packet::connect(root(), Some(s(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#))),
    );
    vector(
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        &[],
        Packet::connect(nsp("/admin"), Some(s(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#))),
    );
    vector(
        r#"0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
        &[],
        Packet::connect(nsp("/admin"), Some(s(r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#))),
    );
}

/// `40/random` on the Engine.IO wire: a namespace may end at the end of the text.
#[test]
fn connect_namespace_without_comma() {
    assert_eq!(
        dec("0/random", &[]).unwrap(),
        Packet::connect(nsp("/random"), None)
    );
    // Our own answer always has the comma.
    assert_eq!(enc(&Packet::connect(nsp("/random"), None)), "0/random,");
    // `/` spelled out is the main namespace.
    assert_eq!(dec("0/,", &[]).unwrap(), Packet::connect(root(), None));
    assert_eq!(dec("0/", &[]).unwrap(), Packet::connect(root(), None));
}

#[test]
fn connect_error() {
    vector(
        r#"4{"message":"Not authorized"}"#,
        &[],
        Packet::connect_error(root(), s(r#"{"message":"Not authorized"}"#)),
    );
}

/// `44/random,{"message":"Invalid namespace"}` on the Engine.IO wire.
#[test]
fn connect_error_invalid_namespace() {
    vector(
        r#"4/random,{"message":"Invalid namespace"}"#,
        &[],
        Packet::connect_error(nsp("/random"), s(r#"{"message":"Invalid namespace"}"#)),
    );
}

#[test]
fn connect_error_bare_string_is_kept_as_json() {
    vector(
        r#"4"not allowed""#,
        &[],
        Packet::connect_error(root(), s(r#""not allowed""#)),
    );
}

#[test]
fn event() {
    vector(
        r#"2["foo"]"#,
        &[],
        Packet::event(root(), args_of(r#"["foo"]"#), None),
    );
    vector(
        r#"2/admin,["bar"]"#,
        &[],
        Packet::event(nsp("/admin"), args_of(r#"["bar"]"#), None),
    );
    vector(
        r#"2["hey","Jude"]"#,
        &[],
        Packet::event(root(), args_of(r#"["hey","Jude"]"#), None),
    );
}

#[test]
fn event_with_ack_id() {
    vector(
        r#"212["foo"]"#,
        &[],
        Packet::event(root(), args_of(r#"["foo"]"#), Some(AckId(12))),
    );
    vector(
        r#"2/admin,13["foo"]"#,
        &[],
        Packet::event(nsp("/admin"), args_of(r#"["foo"]"#), Some(AckId(13))),
    );
    vector(
        r#"2/admin,1["tellme"]"#,
        &[],
        Packet::event(nsp("/admin"), args_of(r#"["tellme"]"#), Some(AckId(1))),
    );
    vector(
        r#"218446744073709551615["max"]"#,
        &[],
        Packet::event(root(), args_of(r#"["max"]"#), Some(AckId(u64::MAX))),
    );
    vector(
        r#"20["zero"]"#,
        &[],
        Packet::event(root(), args_of(r#"["zero"]"#), Some(AckId(0))),
    );
}

#[test]
fn ack() {
    vector("312[]", &[], Packet::ack(root(), args_of("[]"), AckId(12)));
    vector(
        r#"3/admin,13["bar"]"#,
        &[],
        Packet::ack(nsp("/admin"), args_of(r#"["bar"]"#), AckId(13)),
    );
}

#[test]
fn binary_event() {
    let args = format!(r#"["baz",{PH0}]"#);
    vector(
        &format!("51-{args}"),
        &[&[1, 2, 3, 4]],
        Packet::event(root(), binary_args(args, vec![vec![1, 2, 3, 4]]), None),
    );
}

#[test]
fn binary_event_multiple_attachments() {
    let args = format!(r#"["baz",{PH0},{PH1}]"#);
    vector(
        &format!("52-/admin,{args}"),
        &[&[1, 2], &[3, 4]],
        Packet::event(
            nsp("/admin"),
            binary_args(args, vec![vec![1, 2], vec![3, 4]]),
            None,
        ),
    );
}

#[test]
fn binary_event_with_ack_id() {
    let args = format!(r#"["foo",{PH0}]"#);
    vector(
        &format!("51-14{args}"),
        &[&[1, 2, 3, 4]],
        Packet::event(
            root(),
            binary_args(args, vec![vec![1, 2, 3, 4]]),
            Some(AckId(14)),
        ),
    );
}

#[test]
fn binary_ack() {
    let args = format!(r#"["bar",{PH0}]"#);
    vector(
        &format!("61-15{args}"),
        &[&[1, 2, 3, 4]],
        Packet::ack(root(), binary_args(args, vec![vec![1, 2, 3, 4]]), AckId(15)),
    );
    // The sample session's `461-/admin,1[{"_placeholder":true,"num":0}]`.
    let args = format!("[{PH0}]");
    vector(
        &format!("61-/admin,1{args}"),
        &[b"\xff"],
        Packet::ack(nsp("/admin"), binary_args(args, vec![vec![0xff]]), AckId(1)),
    );
}

#[test]
fn disconnect() {
    vector("1", &[], Packet::disconnect(root()));
    vector("1/admin,", &[], Packet::disconnect(nsp("/admin")));
    assert_eq!(
        dec("1/admin", &[]).unwrap(),
        Packet::disconnect(nsp("/admin"))
    );
}
