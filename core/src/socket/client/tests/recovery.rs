//! Connection state recovery: `pid` and `offset` in the CONNECT payload.

use super::*;

// ---- connection state recovery ----

#[test]
fn recovery_sends_pid_and_last_offset_and_reports_recovered() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(
        at(0),
        Nsp::root(),
        Auth::object(r#"{"token":"x"}"#).unwrap(),
    );
    m.handle_engine_open(at(0));
    assert_eq!(wire(&mut m), ["open", r#"0{"token":"x"}"#]);
    recv(&mut m, at(0), r#"0{"sid":"s1","pid":"p"}"#);
    assert_eq!(m.pid(s), Some("p"));
    assert!(!m.is_recovered(s));
    recv(&mut m, at(1), r#"2["msg","hi","o1"]"#);
    recv(&mut m, at(1), r#"2["msg",1]"#);
    recv(&mut m, at(1), r#"23["ask","o9"]"#);
    let evs = events(&mut m);
    assert_eq!(
        evs[2..],
        [
            ev(s, r#"["msg","hi","o1"]"#, None),
            ev(s, r#"["msg",1]"#, None),
            ev(s, r#"["ask","o9"]"#, Some(3))
        ],
        "the offset is passed through, as the reference does"
    );
    assert_eq!(
        m.offset(s),
        Some("o1"),
        "not a number, not an event with an ack id"
    );
    recv(&mut m, at(2), r#"2["msg","o\"2"]"#);
    assert_eq!(m.offset(s), Some("o\"2"));

    m.handle_engine_close(at(3), CloseReason::TransportClose);
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    assert_eq!(
        wire(&mut m),
        ["open", r#"0{"pid":"p","offset":"o\"2","token":"x"}"#]
    );
    recv(&mut m, next, r#"0{"sid":"s2","pid":"p"}"#);
    assert!(m.is_recovered(s));

    // Lost again, and this time the server could not recover: a new pid.
    m.handle_engine_close(next, CloseReason::PingTimeout);
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    assert_eq!(
        wire(&mut m),
        ["open", r#"0{"pid":"p","offset":"o\"2","token":"x"}"#]
    );
    recv(&mut m, next, r#"0{"sid":"s3","pid":"q"}"#);
    assert!(!m.is_recovered(s));
    assert_eq!(m.pid(s), Some("q"));

    // A deliberate disconnect forgets the session.
    m.disconnect(next, s);
    assert_eq!(m.pid(s), None);
    assert_eq!(m.offset(s), None);
    m.connect(next, s);
    m.handle_engine_open(next);
    assert_eq!(wire(&mut m), ["1", "close", "open", r#"0{"token":"x"}"#]);
}

#[test]
fn the_connect_payload_is_object_assign_pid_offset_then_auth() {
    assert_eq!(connect_payload(None, Some("o"), None), None);
    assert_eq!(
        connect_payload(None, None, Some(r#"{"a":1}"#)).as_deref(),
        Some(r#"{"a":1}"#)
    );
    assert_eq!(
        connect_payload(Some("p"), None, None).as_deref(),
        Some(r#"{"pid":"p"}"#)
    );
    assert_eq!(
        connect_payload(Some("p"), Some("o"), Some("{}")).as_deref(),
        Some(r#"{"pid":"p","offset":"o"}"#)
    );
    assert_eq!(
        connect_payload(
            Some("p"),
            Some("o"),
            Some(r#"{ "a" : [1, 2], "offset":"mine","b":null }"#)
        )
        .as_deref(),
        Some(r#"{"pid":"p","offset":"mine","a":[1, 2],"b":null}"#),
        "auth's keys override in place, as Object.assign"
    );
}
