//! EVENT and ACK routing per namespace, and packets in the wrong state.

use super::*;

// ---- EVENT / ACK routing ----

#[test]
fn events_are_routed_per_namespace_with_their_ack_id() {
    let mut c = joined(&["/", "/admin"]);
    feed(&mut c, r#"2/admin,["hello",1]"#);
    feed(&mut c, r#"2/admin,7["q"]"#);
    feed(&mut c, r#"2["root"]"#);
    assert_eq!(
        events(&mut c),
        [
            Event::Event {
                nsp: nsp("/admin"),
                args: binary_args(r#"["hello",1]"#, vec![]),
                id: None
            },
            Event::Event {
                nsp: nsp("/admin"),
                args: binary_args(r#"["q"]"#, vec![]),
                id: Some(AckId(7))
            },
            Event::Event {
                nsp: nsp("/"),
                args: binary_args(r#"["root"]"#, vec![]),
                id: None
            },
        ]
    );
    c.ack(
        at(0),
        &nsp("/admin"),
        AckId(7),
        binary_args(r#"["r"]"#, vec![]),
    )
    .unwrap();
    c.ack(
        at(0),
        &nsp("/admin"),
        AckId(8),
        binary_args(r#"[{"_placeholder":true,"num":0}]"#, vec![vec![1, 2]]),
    )
    .unwrap();
    c.ack(at(0), &nsp("/"), AckId(9), binary_args("[]", vec![]))
        .unwrap();
    assert_eq!(
        sent(&mut c),
        [
            r#"3/admin,7["r"]"#,
            r#"61-/admin,8[{"_placeholder":true,"num":0}]"#,
            "<bin:[1, 2]>",
            "39[]",
        ]
    );
}

#[test]
fn binary_event_waits_for_its_attachments() {
    let mut c = joined(&["/"]);
    feed(&mut c, r#"51-3["up",{"_placeholder":true,"num":0}]"#);
    assert_eq!(events(&mut c), []);
    c.handle_engine_message(at(0), Message::Binary(vec![9, 8]));
    assert_eq!(
        events(&mut c),
        [Event::Event {
            nsp: nsp("/"),
            args: binary_args(r#"["up",{"_placeholder":true,"num":0}]"#, vec![vec![9, 8]]),
            id: Some(AckId(3)),
        }]
    );
}

#[test]
fn packets_for_a_namespace_not_joined_close_as_forced_server_close() {
    for text in [
        r#"2/other,["x"]"#,
        "3/other,0[]",
        "1/other,",
        r#"2/pending,["x"]"#,
    ] {
        let mut c = joined(&["/"]);
        feed(&mut c, "0/pending,");
        let _ = events(&mut c);
        feed(&mut c, text);
        assert_eq!(sent(&mut c), ["CLOSE"], "{text}");
        assert_eq!(
            events(&mut c),
            [disconnect_event("/", DisconnectReason::ForcedServerClose)],
            "{text}"
        );
        assert_eq!(c.pending_connects().count(), 0);
    }
}

#[test]
fn connect_error_from_the_client_closes() {
    let mut c = joined(&["/"]);
    feed(&mut c, r#"4{"message":"x"}"#);
    assert_eq!(sent(&mut c), ["CLOSE"]);
    assert_eq!(
        events(&mut c),
        [disconnect_event("/", DisconnectReason::ForcedServerClose)]
    );
}
