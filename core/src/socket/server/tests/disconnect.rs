//! DISCONNECT and closing.

use super::*;

// ---- DISCONNECT and closing ----

#[test]
fn client_disconnect_leaves_the_engine_open() {
    let mut c = joined(&["/", "/admin"]);
    feed(&mut c, "1/admin,");
    assert_eq!(
        events(&mut c),
        [disconnect_event(
            "/admin",
            DisconnectReason::ClientNamespaceDisconnect
        )]
    );
    feed(&mut c, "1");
    assert_eq!(
        events(&mut c),
        [disconnect_event(
            "/",
            DisconnectReason::ClientNamespaceDisconnect
        )]
    );
    assert_eq!(sent(&mut c), Vec::<String>::new());
    assert!(!c.is_closed());
    assert_eq!(c.sockets().count(), 0);
    // The namespace can be joined again.
    feed(&mut c, "0/admin,");
    assert_eq!(events(&mut c), [connect_event("/admin", None)]);
}

#[test]
fn disconnect_fails_the_acks_the_socket_awaits() {
    let mut c = joined(&["/"]);
    let h = c
        .emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_secs(5))),
        )
        .unwrap()
        .unwrap();
    feed(&mut c, "1");
    assert_eq!(
        events(&mut c),
        [
            Event::Ack {
                nsp: nsp("/"),
                handle: h,
                result: Err(AckError::Disconnected)
            },
            disconnect_event("/", DisconnectReason::ClientNamespaceDisconnect),
        ]
    );
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn server_disconnect_sends_disconnect_and_keeps_the_engine() {
    let mut c = joined(&["/", "/admin"]);
    c.disconnect(at(0), &nsp("/admin")).unwrap();
    c.disconnect(at(0), &nsp("/")).unwrap();
    assert_eq!(sent(&mut c), ["1/admin,", "1"]);
    assert_eq!(
        events(&mut c),
        [
            disconnect_event("/admin", DisconnectReason::ServerNamespaceDisconnect),
            disconnect_event("/", DisconnectReason::ServerNamespaceDisconnect),
        ]
    );
    assert_eq!(
        c.disconnect(at(0), &nsp("/")),
        Err(UsageError::NotConnected(nsp("/")))
    );
    assert_eq!(
        c.emit(at(0), &nsp("/admin"), Emit::new(args_of(r#"["a"]"#))),
        Err(UsageError::NotConnected(nsp("/admin")))
    );
    assert!(!c.is_closed());
}

#[test]
fn close_disconnects_every_socket_then_closes_the_engine() {
    let mut c = joined(&["/", "/admin"]);
    c.close(at(0));
    assert_eq!(sent(&mut c), ["1", "1/admin,", "CLOSE"]);
    assert_eq!(
        events(&mut c),
        [
            disconnect_event("/", DisconnectReason::ServerNamespaceDisconnect),
            disconnect_event("/admin", DisconnectReason::ServerNamespaceDisconnect),
        ]
    );
    assert!(c.is_closed());
    // The engine's own close report that follows changes nothing.
    c.handle_engine_close(at(1), CloseReason::ForcedClose);
    c.close(at(1));
    assert_eq!(events(&mut c), []);
    assert_eq!(sent(&mut c), Vec::<String>::new());
    assert_eq!(
        c.emit(at(1), &nsp("/"), Emit::new(args_of(r#"["a"]"#))),
        Err(UsageError::Closed)
    );
}

#[test]
fn shutdown_disconnects_with_server_shutting_down() {
    let mut c = joined(&["/admin", "/"]);
    c.shutdown(at(0));
    assert_eq!(sent(&mut c), ["CLOSE"]);
    assert_eq!(
        events(&mut c),
        [
            disconnect_event("/admin", DisconnectReason::ServerShuttingDown),
            disconnect_event("/", DisconnectReason::ServerShuttingDown),
        ]
    );
}

#[test]
fn engine_close_disconnects_every_socket_with_the_mapped_reason() {
    let cases = [
        (CloseReason::TransportClose, "transport close"),
        (CloseReason::PingTimeout, "ping timeout"),
        (CloseReason::TransportError, "transport error"),
        (
            CloseReason::ProtocolViolation("second GET"),
            "transport error",
        ),
        (CloseReason::ParseError, "parse error"),
        (CloseReason::ForcedClose, "forced close"),
    ];
    for (reason, text) in cases {
        let mut c = joined(&["/", "/admin"]);
        feed(&mut c, "0/pending,");
        let _ = events(&mut c);
        c.handle_engine_close(at(0), reason);
        let evs = events(&mut c);
        assert_eq!(evs.len(), 2);
        for (ev, name) in evs.iter().zip(["/", "/admin"]) {
            let Event::Disconnect { nsp: n, reason } = ev else {
                panic!("{ev:?}")
            };
            assert_eq!((n.as_str(), reason.as_str()), (name, text));
        }
        // The engine is already closed: nothing to tell it.
        assert_eq!(sent(&mut c), Vec::<String>::new());
        assert!(c.is_closed());
        assert_eq!(c.pending_connects().count(), 0);
        feed(&mut c, r#"2["late"]"#);
        assert_eq!(events(&mut c), []);
    }
}

#[test]
fn decode_errors_close_with_an_error_event_per_socket() {
    let bad: [Message; 5] = [
        Message::Text("9".into()),
        Message::Text(String::new()),
        Message::Text(r#"2["connect"]"#.into()),
        Message::Text(r#"2/admin,{"not":"an array"}"#.into()),
        Message::Binary(vec![1]),
    ];
    for msg in bad {
        let mut c = joined(&["/", "/admin"]);
        c.handle_engine_message(at(0), msg.clone());
        assert_eq!(sent(&mut c), ["CLOSE"], "{msg:?}");
        let evs = events(&mut c);
        assert_eq!(evs.len(), 4, "{msg:?}");
        assert!(matches!(&evs[0], Event::Error { nsp: n, .. } if n.is_root()));
        assert!(matches!(&evs[1], Event::Error { nsp: n, .. } if n.as_str() == "/admin"));
        assert_eq!(evs[2], disconnect_event("/", DisconnectReason::ForcedClose));
        assert_eq!(
            evs[3],
            disconnect_event("/admin", DisconnectReason::ForcedClose)
        );
    }
}

#[test]
fn text_while_attachments_are_due_is_a_decode_error() {
    let mut c = joined(&["/"]);
    feed(&mut c, r#"51-["up",{"_placeholder":true,"num":0}]"#);
    feed(&mut c, r#"2["x"]"#);
    assert_eq!(sent(&mut c), ["CLOSE"]);
    let evs = events(&mut c);
    assert_eq!(
        evs[0],
        Event::Error {
            nsp: nsp("/"),
            error: DecodeError::UnexpectedText
        }
    );
    assert_eq!(evs[1], disconnect_event("/", DisconnectReason::ForcedClose));
}

#[test]
fn decode_error_before_any_join_just_closes() {
    let mut c = new_client();
    feed(&mut c, "7");
    assert_eq!(sent(&mut c), ["CLOSE"]);
    assert_eq!(events(&mut c), []);
    assert_eq!(c.poll_timeout(), None);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn message() -> impl Strategy<Value = Message> {
        prop_oneof![
            // Mostly well-formed packets on known and unknown namespaces, binary headers
            // included, so the run reaches deep states.
            r#"[0-6]([1-3]-)?(/[a-c],)?[0-9]?(\["[a-z]+"(,1)?\]|\{\}|\[\]|"x")?"#
                .prop_map(Message::Text),
            ".{0,12}".prop_map(Message::Text),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(Message::Binary),
        ]
    }

    proptest! {
        /// Whatever the client sends, nothing panics, every socket ends with one Disconnect,
        /// and once closed the connection stays silent.
        #[test]
        fn any_input_is_survived(msgs in proptest::collection::vec(message(), 0..32)) {
            let mut c = joined(&["/", "/a"]);
            let mut joins = 2usize;
            let mut disconnects = 0usize;
            for msg in msgs {
                let was_closed = c.is_closed();
                c.handle_engine_message(at(0), msg);
                let out = sent(&mut c);
                let evs = events(&mut c);
                if was_closed {
                    prop_assert!(out.is_empty() && evs.is_empty());
                }
                for ev in &evs {
                    match ev {
                        Event::Connect { nsp, .. } => {
                            c.accept(at(0), nsp, "s".into(), None).unwrap();
                            joins += 1;
                            let _ = sent(&mut c);
                        }
                        Event::Disconnect { .. } => disconnects += 1,
                        _ => {}
                    }
                }
                prop_assert_eq!(joins - disconnects, c.sockets().count());
            }
        }
    }
}

#[test]
fn reasons_read_as_the_reference_writes_them() {
    assert_eq!(
        DisconnectReason::ServerNamespaceDisconnect.to_string(),
        "server namespace disconnect"
    );
    assert_eq!(
        DisconnectReason::ClientNamespaceDisconnect.to_string(),
        "client namespace disconnect"
    );
    assert_eq!(
        DisconnectReason::ServerShuttingDown.to_string(),
        "server shutting down"
    );
    assert_eq!(
        DisconnectReason::ForcedServerClose.to_string(),
        "forced server close"
    );
    assert!(DisconnectReason::PingTimeout.is_recoverable());
    assert!(DisconnectReason::ForcedServerClose.is_recoverable());
    assert!(!DisconnectReason::ClientNamespaceDisconnect.is_recoverable());
    assert!(!DisconnectReason::ParseError.is_recoverable());
    assert_eq!(AckError::Timeout.to_string(), "operation has timed out");
}
