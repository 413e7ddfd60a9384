//! The retry queue.

use super::*;

// ---- retries ----

#[test]
fn retries_resend_with_a_new_ack_id_and_fail_after_the_last_try() {
    let mut c = config();
    c.retries = 2;
    c.ack_timeout = Some(Duration::from_millis(1000));
    let (mut m, s) = connected(c);
    let h = m
        .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
        .unwrap()
        .unwrap();
    let h2 = m
        .emit(at(0), s, Emit::new(args_of(r#"["y"]"#)).with_ack())
        .unwrap()
        .unwrap();
    assert_eq!(wire(&mut m), [r#"20["x"]"#], "one packet in flight");
    m.handle_timeout(at(1000));
    assert_eq!(wire(&mut m), [r#"21["x"]"#]);
    m.handle_timeout(at(2000));
    assert_eq!(wire(&mut m), [r#"22["x"]"#]);
    assert_eq!(events(&mut m), []);
    recv(&mut m, at(2500), r#"30["too late"]"#);
    assert_eq!(events(&mut m), [], "an ack of an abandoned try is ignored");
    m.handle_timeout(at(3000));
    assert_eq!(
        events(&mut m),
        [Event::Ack {
            socket: s,
            handle: h,
            result: Err(AckError::Timeout)
        }],
        "1 + retries tries, then the app's handle fails"
    );
    assert_eq!(wire(&mut m), [r#"23["y"]"#], "the next packet goes out");
    recv(&mut m, at(3100), r#"33["done"]"#);
    assert_eq!(events(&mut m), [ok(s, h2, r#"["done"]"#)]);
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn a_queued_packet_acknowledged_on_a_retry_resolves_the_same_handle() {
    let mut c = config();
    c.retries = 3;
    c.ack_timeout = Some(Duration::from_millis(1000));
    let (mut m, s) = connected(c);
    m.emit(at(0), s, Emit::new(args_of(r#"["no-ack"]"#)))
        .unwrap();
    let h = m
        .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
        .unwrap()
        .unwrap();
    assert_eq!(
        wire(&mut m),
        [r#"20["no-ack"]"#],
        "queued emits always ask for an ack"
    );
    recv(&mut m, at(10), "30[]");
    assert_eq!(wire(&mut m), [r#"21["x"]"#]);
    m.handle_timeout(at(1010));
    assert_eq!(wire(&mut m), [r#"22["x"]"#]);
    recv(&mut m, at(1020), r#"32["ok"]"#);
    assert_eq!(events(&mut m), [ok(s, h, r#"["ok"]"#)]);
}

#[test]
fn the_retry_queue_waits_for_the_connection_and_resends_after_reconnect() {
    let mut c = config();
    c.retries = 1;
    c.ack_timeout = Some(Duration::from_millis(10_000));
    let mut m = Manager::new(at(0), c, SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    let h = m
        .emit(at(0), s, Emit::new(args_of(r#"["x"]"#)).with_ack())
        .unwrap()
        .unwrap();
    m.handle_engine_open(at(0));
    recv(&mut m, at(0), r#"0{"sid":"a"}"#);
    assert_eq!(wire(&mut m), ["open", "0", r#"20["x"]"#]);
    // Lost before the ack: the try counts; it is resent on the next connection.
    m.handle_engine_close(at(5), CloseReason::TransportClose);
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    recv(&mut m, next, r#"0{"sid":"b"}"#);
    assert_eq!(wire(&mut m), ["open", "0", r#"21["x"]"#]);
    m.handle_engine_close(next, CloseReason::TransportClose);
    let evs = events(&mut m);
    assert!(
        evs.contains(&Event::Ack {
            socket: s,
            handle: h,
            result: Err(AckError::Disconnected)
        }),
        "two tries used: the second loss fails the handle: {evs:?}"
    );
}
