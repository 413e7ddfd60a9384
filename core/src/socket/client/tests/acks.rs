//! Acks: ids, timeouts, answers to the server, and the offline send buffer.

use super::*;

// ---- acks ----

#[test]
fn ack_ids_count_per_socket_and_unknown_acks_are_ignored() {
    let (mut m, root) = connected(config());
    let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
    recv(&mut m, at(0), r#"0/admin,{"sid":"def"}"#);
    let _ = (wire(&mut m), events(&mut m));

    let h0 = m
        .emit(at(1), root, Emit::new(args_of(r#"["hello",1]"#)).with_ack())
        .unwrap()
        .unwrap();
    let none = m
        .emit(at(1), root, Emit::new(args_of(r#"["fire"]"#)))
        .unwrap();
    let h1 = m
        .emit(at(1), root, Emit::new(args_of(r#"["hello",2]"#)).with_ack())
        .unwrap()
        .unwrap();
    let h2 = m
        .emit(at(1), admin, Emit::new(args_of(r#"["hi"]"#)).with_ack())
        .unwrap()
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(
        wire(&mut m),
        [
            r#"20["hello",1]"#,
            r#"2["fire"]"#,
            r#"21["hello",2]"#,
            r#"2/admin,0["hi"]"#
        ]
    );

    recv(&mut m, at(2), r#"31["b"]"#);
    recv(&mut m, at(2), r#"30["a"]"#);
    recv(&mut m, at(2), r#"30["again"]"#);
    recv(&mut m, at(2), "35[]");
    recv(&mut m, at(2), "3/admin,0[]");
    assert_eq!(
        events(&mut m),
        [
            ok(root, h1, r#"["b"]"#),
            ok(root, h0, r#"["a"]"#),
            ok(admin, h2, "[]")
        ]
    );
    assert_eq!(m.poll_timeout(), None, "no ack timeout without a timeout");
}

#[test]
fn a_server_event_with_an_ack_id_is_answered_with_ack() {
    let (mut m, s) = connected(config());
    recv(&mut m, at(1), r#"27["question"]"#);
    assert_eq!(events(&mut m), [ev(s, r#"["question"]"#, Some(7))]);
    m.ack(at(2), s, AckId(7), args_of(r#"["answer"]"#)).unwrap();
    m.ack(
        at(2),
        s,
        AckId(8),
        binary_args(r#"[{"_placeholder":true,"num":0}]"#, vec![vec![1]]),
    )
    .unwrap();
    assert_eq!(
        wire(&mut m),
        [
            r#"37["answer"]"#,
            r#"61-8[{"_placeholder":true,"num":0}]"#,
            "<bin:[1]>"
        ]
    );
    assert_eq!(
        Args::from_json("{}", vec![]),
        Err(crate::socket::args::ArgsError::NotAnArray)
    );
}

#[test]
fn an_ack_timeout_fails_the_ack_and_a_late_ack_is_ignored() {
    let (mut m, s) = connected(config());
    let h = m
        .emit(
            at(100),
            s,
            Emit::new(args_of(r#"["slow"]"#)).with_timeout(Duration::from_millis(1000)),
        )
        .unwrap()
        .unwrap();
    assert_eq!(wire(&mut m), [r#"20["slow"]"#]);
    assert_eq!(m.poll_timeout(), Some(at(1100)));
    m.handle_timeout(at(1099));
    assert_eq!(events(&mut m), []);
    m.handle_timeout(at(1100));
    assert_eq!(
        events(&mut m),
        [Event::Ack {
            socket: s,
            handle: h,
            result: Err(AckError::Timeout)
        }]
    );
    recv(&mut m, at(1200), "30[]");
    assert_eq!(events(&mut m), [], "the late ACK is ignored");
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn the_sockets_ack_timeout_is_the_default_and_timeout_overrides_it() {
    let mut c = config();
    c.ack_timeout = Some(Duration::from_millis(500));
    let (mut m, s) = connected(c);
    let h0 = m
        .emit(at(0), s, Emit::new(args_of(r#"["a"]"#)).with_ack())
        .unwrap()
        .unwrap();
    let h1 = m
        .emit(
            at(0),
            s,
            Emit::new(args_of(r#"["b"]"#)).with_timeout(Duration::from_millis(200)),
        )
        .unwrap()
        .unwrap();
    m.handle_timeout(at(200));
    m.handle_timeout(at(500));
    assert_eq!(
        events(&mut m),
        [
            Event::Ack {
                socket: s,
                handle: h1,
                result: Err(AckError::Timeout)
            },
            Event::Ack {
                socket: s,
                handle: h0,
                result: Err(AckError::Timeout)
            }
        ]
    );
}

#[test]
fn a_timed_out_packet_is_removed_from_the_offline_buffer() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    let h = m
        .emit(
            at(0),
            s,
            Emit::new(args_of(r#"["late"]"#)).with_timeout(Duration::from_millis(1000)),
        )
        .unwrap()
        .unwrap();
    m.emit(at(0), s, Emit::new(args_of(r#"["kept"]"#))).unwrap();
    assert_eq!(m.buffered(s), 2);
    m.handle_timeout(at(1000));
    assert_eq!(
        events(&mut m),
        [Event::Ack {
            socket: s,
            handle: h,
            result: Err(AckError::Timeout)
        }]
    );
    assert_eq!(m.buffered(s), 1);
    m.handle_engine_open(at(1500));
    recv(&mut m, at(1500), r#"0{"sid":"abc"}"#);
    assert_eq!(wire(&mut m), ["open", "0", r#"2["kept"]"#]);
}

#[test]
fn disconnection_fails_the_acks_of_sent_packets_but_keeps_buffered_ones() {
    let (mut m, s) = connected(config());
    let sent = m
        .emit(at(0), s, Emit::new(args_of(r#"["sent"]"#)).with_ack())
        .unwrap()
        .unwrap();
    m.handle_engine_close(at(1), CloseReason::PingTimeout);
    let buffered = m
        .emit(at(2), s, Emit::new(args_of(r#"["buffered"]"#)).with_ack())
        .unwrap()
        .unwrap();
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::PingTimeout),
            disconnect(s, DisconnectReason::PingTimeout),
            Event::Ack {
                socket: s,
                handle: sent,
                result: Err(AckError::Disconnected)
            }
        ]
    );
    assert_eq!(wire(&mut m), [r#"20["sent"]"#]);
    // Reconnected: the buffered packet goes out with its ack id and is answered.
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    recv(&mut m, next, r#"0{"sid":"abc2"}"#);
    assert_eq!(wire(&mut m), ["open", "0", r#"21["buffered"]"#]);
    recv(&mut m, next, "31[true]");
    assert_eq!(events(&mut m).last(), Some(&ok(s, buffered, "[true]")));
}

// ---- offline buffer ----

#[test]
fn emits_while_disconnected_are_flushed_in_order_after_connect() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    m.emit(at(0), s, Emit::new(args_of(r#"["one"]"#))).unwrap();
    m.emit(at(0), s, Emit::new(args_of(r#"["lost"]"#)).volatile())
        .unwrap();
    m.emit(at(0), s, Emit::new(args_of(r#"["two"]"#)).with_ack())
        .unwrap();
    m.handle_engine_open(at(10));
    // The engine is open but the namespace not yet joined: a volatile emit is buffered, as
    // the reference does when the transport is writable.
    m.emit(at(10), s, Emit::new(args_of(r#"["three"]"#)).volatile())
        .unwrap();
    assert_eq!(wire(&mut m), ["open", "0"]);
    assert_eq!(m.buffered(s), 3);

    recv(&mut m, at(11), r#"0{"sid":"abc"}"#);
    assert_eq!(
        wire(&mut m),
        [r#"2["one"]"#, r#"20["two"]"#, r#"2["three"]"#]
    );
    assert_eq!(events(&mut m), [Event::Open, Event::Connect { socket: s }]);
    assert_eq!(m.buffered(s), 0);

    m.emit(at(12), s, Emit::new(args_of(r#"["now"]"#)).volatile())
        .unwrap();
    assert_eq!(wire(&mut m), [r#"2["now"]"#]);
}

#[test]
fn events_received_before_the_connect_reply_are_delivered_before_connect() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    m.handle_engine_open(at(0));
    recv(&mut m, at(0), r#"2["early"]"#);
    recv(&mut m, at(0), r#"0{"sid":"abc"}"#);
    assert_eq!(
        events(&mut m),
        [
            Event::Open,
            ev(s, r#"["early"]"#, None),
            Event::Connect { socket: s }
        ],
        "socket.io-client 4.8's onconnect runs emitBuffered before emitting connect"
    );
}

#[test]
fn emit_refuses_what_the_server_would_refuse() {
    let (mut m, s) = connected(config());
    let refuse =
        |m: &mut Manager, args: &str| m.emit(at(0), s, Emit::new(args_of(args))).unwrap_err();
    assert_eq!(
        refuse(&mut m, r#"["connect"]"#),
        EmitError::ReservedEventName
    );
    assert_eq!(
        refuse(&mut m, r#"["disconnecting",1]"#),
        EmitError::ReservedEventName
    );
    assert_eq!(refuse(&mut m, "[]"), EmitError::MissingEventName);
    assert_eq!(refuse(&mut m, "[{}]"), EmitError::MissingEventName);
    let deep = format!(r#"["a",{}{}]"#, "[".repeat(40), "]".repeat(40));
    assert!(matches!(refuse(&mut m, &deep), EmitError::InvalidJson(_)));
    let ambiguous = Args::from_json(
        r#"["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
        vec![vec![1]],
    )
    .unwrap();
    assert_eq!(
        m.emit(at(0), s, Emit::new(ambiguous)),
        Err(EmitError::AttachmentMismatch)
    );
    assert_eq!(
        m.emit(at(0), SocketId(9), Emit::new(args_of(r#"["a"]"#))),
        Err(EmitError::UnknownSocket)
    );
    m.emit(at(0), s, Emit::new(args_of("[42]"))).unwrap();
    assert_eq!(wire(&mut m), ["2[42]"], "a numeric event name is allowed");
}
