//! The server's emits and acks.

use super::*;

// ---- server emits and acks ----

#[test]
fn emit_with_ack_counts_ids_per_socket_from_zero() {
    let mut c = joined(&["/", "/admin"]);
    let a = c
        .emit(
            at(0),
            &nsp("/admin"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(None),
        )
        .unwrap();
    let b = c
        .emit(
            at(0),
            &nsp("/admin"),
            Emit::new(args_of(r#"["b"]"#)).with_ack(None),
        )
        .unwrap();
    let r = c
        .emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["c"]"#)).with_ack(None),
        )
        .unwrap();
    let plain = c
        .emit(
            at(0),
            &nsp("/admin"),
            Emit::new(args_of(r#"["d",{"k":[1]}]"#)),
        )
        .unwrap();
    assert_eq!(plain, None);
    assert_eq!(
        sent(&mut c),
        [
            r#"2/admin,0["a"]"#,
            r#"2/admin,1["b"]"#,
            r#"20["c"]"#,
            r#"2/admin,["d",{"k":[1]}]"#
        ]
    );
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.pending_acks(&nsp("/admin")), 2);

    feed(&mut c, r#"3/admin,1["ok"]"#);
    feed(&mut c, "30[]");
    assert_eq!(
        events(&mut c),
        [
            Event::Ack {
                nsp: nsp("/admin"),
                handle: b.unwrap(),
                result: Ok(binary_args(r#"["ok"]"#, vec![]))
            },
            Event::Ack {
                nsp: nsp("/"),
                handle: r.unwrap(),
                result: Ok(binary_args("[]", vec![]))
            },
        ]
    );
    assert_ne!(a, b);
    assert_eq!(c.pending_acks(&nsp("/admin")), 1);
}

#[test]
fn binary_ack_from_the_client_reaches_the_emitter() {
    let mut c = joined(&["/"]);
    let h = c
        .emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["q"]"#)).with_ack(None),
        )
        .unwrap()
        .unwrap();
    feed(&mut c, r#"61-0[{"_placeholder":true,"num":0}]"#);
    c.handle_engine_message(at(0), Message::Binary(vec![7]));
    assert_eq!(
        events(&mut c),
        [Event::Ack {
            nsp: nsp("/"),
            handle: h,
            result: Ok(binary_args(
                r#"[{"_placeholder":true,"num":0}]"#,
                vec![vec![7]]
            )),
        }]
    );
}

#[test]
fn emit_with_attachments_is_a_binary_event_followed_by_its_attachments() {
    let mut c = joined(&["/admin"]);
    let emit = Emit::new(binary_args(
        r#"["img",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        vec![vec![1], vec![2, 3]],
    ))
    .with_ack(None);
    c.emit(at(0), &nsp("/admin"), emit).unwrap();
    assert_eq!(
        sent(&mut c),
        [
            r#"52-/admin,0["img",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            "<bin:[1]>",
            "<bin:[2, 3]>",
        ]
    );
}

#[test]
fn ack_timeout_then_a_late_ack_is_ignored() {
    let mut c = joined(&["/admin"]);
    let h = c
        .emit(
            at(100),
            &nsp("/admin"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_millis(1000))),
        )
        .unwrap()
        .unwrap();
    assert_eq!(c.poll_timeout(), Some(at(1100)));
    c.handle_timeout(at(1099));
    assert_eq!(events(&mut c), []);
    c.handle_timeout(at(1100));
    assert_eq!(
        events(&mut c),
        [Event::Ack {
            nsp: nsp("/admin"),
            handle: h,
            result: Err(AckError::Timeout)
        }]
    );
    assert_eq!(c.poll_timeout(), None);
    feed(&mut c, r#"3/admin,0["late"]"#);
    assert_eq!(events(&mut c), []);
    assert_eq!(sent(&mut c), [r#"2/admin,0["a"]"#]);
    assert!(!c.is_closed());
}

#[test]
fn an_ack_in_time_disarms_its_deadline() {
    let mut c = joined(&["/"]);
    c.emit(
        at(0),
        &nsp("/"),
        Emit::new(args_of(r#"["a"]"#)).with_ack(Some(Duration::from_millis(500))),
    )
    .unwrap();
    c.emit(
        at(0),
        &nsp("/"),
        Emit::new(args_of(r#"["b"]"#)).with_ack(Some(Duration::from_millis(900))),
    )
    .unwrap();
    assert_eq!(c.poll_timeout(), Some(at(500)));
    feed(&mut c, "30[]");
    assert_eq!(c.poll_timeout(), Some(at(900)));
    assert_eq!(events(&mut c).len(), 1);
}

#[test]
fn an_ack_for_an_unknown_id_is_ignored() {
    let mut c = joined(&["/"]);
    feed(&mut c, r#"342["x"]"#);
    assert_eq!(events(&mut c), []);
    assert_eq!(sent(&mut c), Vec::<String>::new());
    assert!(!c.is_closed());
}

#[test]
fn pending_acks_are_bounded_per_socket() {
    let config = Config {
        max_pending_acks: 2,
        ..Config::default()
    };
    let mut c = Connection::new(at(0), config);
    feed(&mut c, "0");
    c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
    let _ = sent(&mut c);
    for _ in 0..2 {
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(None),
        )
        .unwrap();
    }
    assert_eq!(
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(None)
        ),
        Err(UsageError::TooManyPendingAcks(nsp("/")))
    );
    // Without an ack the socket still takes events, and an answer frees a place.
    assert_eq!(
        c.emit(at(0), &nsp("/"), Emit::new(args_of(r#"["b"]"#))),
        Ok(None)
    );
    feed(&mut c, "31[]");
    assert!(
        c.emit(
            at(0),
            &nsp("/"),
            Emit::new(args_of(r#"["a"]"#)).with_ack(None)
        )
        .unwrap()
        .is_some()
    );
    assert_eq!(
        sent(&mut c),
        [r#"20["a"]"#, r#"21["a"]"#, r#"2["b"]"#, r#"22["a"]"#]
    );
}

#[test]
fn recovery_offset_is_appended_only_without_an_ack() {
    let mut c = joined(&["/"]);
    c.emit(
        at(0),
        &nsp("/"),
        Emit::new(args_of(r#"["news",1]"#)).with_offset("o1"),
    )
    .unwrap();
    c.emit(
        at(0),
        &nsp("/"),
        Emit::new(args_of(r#"["q"]"#))
            .with_offset("o2")
            .with_ack(None),
    )
    .unwrap();
    c.emit(
        at(0),
        &nsp("/"),
        Emit::new(args_of(r#"[ "x" ] "#)).with_offset("a\"b"),
    )
    .unwrap();
    assert_eq!(
        sent(&mut c),
        [r#"2["news",1,"o1"]"#, r#"20["q"]"#, r#"2[ "x" ,"a\"b"]"#]
    );
}

#[test]
fn emit_refuses_what_the_client_would_refuse() {
    let mut c = joined(&["/"]);
    let root = nsp("/");
    assert_eq!(
        c.emit(at(0), &root, Emit::new(args_of(r#"["disconnect"]"#))),
        Err(UsageError::ReservedEventName)
    );
    assert_eq!(
        c.emit(at(0), &root, Emit::new(args_of("[]"))),
        Err(UsageError::InvalidArgs)
    );
    assert_eq!(
        c.emit(at(0), &root, Emit::new(args_of("[true]"))),
        Err(UsageError::InvalidArgs)
    );
    // Malformed JSON, a placeholder past the attachments: no `Args` to send in the first place.
    assert!(Args::from_json(r#"{"a":1}"#, vec![]).is_err());
    assert!(Args::from_json(r#"["a""#, vec![]).is_err());
    assert!(Args::from_json(r#"["a",{"_placeholder":true,"num":1}]"#, vec![vec![1]]).is_err());
    let deep = "[".repeat(OUTGOING_MAX_DEPTH + 1) + &"]".repeat(OUTGOING_MAX_DEPTH + 1);
    let deep = Args::from_json_with_depth(deep, vec![], 1000).unwrap();
    assert!(matches!(
        c.ack(at(0), &root, AckId(1), deep),
        Err(UsageError::InvalidJson(_))
    ));
    assert!(matches!(
        c.reject(at(0), &root, "m", Some("{".into())),
        Err(UsageError::InvalidJson(_))
    ));
    assert_eq!(
        c.emit(at(0), &nsp("/nope"), Emit::new(args_of(r#"["a"]"#))),
        Err(UsageError::NotConnected(nsp("/nope")))
    );
    assert_eq!(
        c.reject(at(0), &root, "m", None),
        Err(UsageError::NoPendingConnect(nsp("/")))
    );
    assert_eq!(c.emit(at(0), &root, Emit::new(args_of("[42]"))), Ok(None));
    assert_eq!(sent(&mut c), ["2[42]"]);
    assert_eq!(c.pending_acks(&root), 0);
}

#[test]
fn encoded_broadcast_is_sent_to_joined_sockets_only() {
    let enc = Encoded::event(
        Parser::Json,
        &nsp("/admin"),
        binary_args(r#"["b",{"_placeholder":true,"num":0}]"#, vec![vec![5]]),
        Some("o9"),
    )
    .unwrap();
    let text = r#"51-/admin,["b",{"_placeholder":true,"num":0},"o9"]"#;
    assert_eq!(
        enc.messages(),
        [Message::Text(text.to_string()), Message::Binary(vec![5])]
    );
    let mut c = joined(&["/admin"]);
    c.send_encoded(&enc).unwrap();
    assert_eq!(sent(&mut c), [text, "<bin:[5]>"]);
    let mut other = joined(&["/"]);
    assert_eq!(
        other.send_encoded(&enc),
        Err(UsageError::NotConnected(nsp("/admin")))
    );
}
