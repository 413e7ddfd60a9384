//! CONNECT: accept, reject, recovery, the namespace bound, the connect timeout.

use super::*;

// ---- CONNECT ----

#[test]
fn connect_root_then_accept_answers_sid_without_namespace() {
    let mut c = new_client();
    feed(&mut c, "0");
    assert_eq!(events(&mut c), [connect_event("/", None)]);
    assert_eq!(c.pending_connects().collect::<Vec<_>>(), [&nsp("/")]);
    c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
    assert_eq!(sent(&mut c), [r#"0{"sid":"s"}"#]);
    assert_eq!(c.sid(&nsp("/")), Some("s"));
    assert_eq!(c.pending_connects().count(), 0);
}

#[test]
fn connect_carries_the_auth_object() {
    let mut c = new_client();
    feed(&mut c, r#"0{"token":"x"}"#);
    assert_eq!(
        events(&mut c),
        [connect_event("/", Some(r#"{"token":"x"}"#))]
    );
}

#[test]
fn connect_to_a_namespace_then_accept_with_pid() {
    let mut c = new_client();
    feed(&mut c, "0/admin,");
    assert_eq!(events(&mut c), [connect_event("/admin", None)]);
    c.accept(at(0), &nsp("/admin"), "s".into(), Some("p".into()))
        .unwrap();
    assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s","pid":"p"}"#]);
    assert_eq!(c.sockets().collect::<Vec<_>>(), [(&nsp("/admin"), "s")]);
}

#[test]
fn unknown_namespace_without_comma_is_rejected_with_invalid_namespace() {
    let mut c = new_client();
    feed(&mut c, "0/random");
    assert_eq!(events(&mut c), [connect_event("/random", None)]);
    c.reject(at(0), &nsp("/random"), "Invalid namespace", None)
        .unwrap();
    assert_eq!(
        sent(&mut c),
        [r#"4/random,{"message":"Invalid namespace"}"#]
    );
    assert!(!c.is_connected(&nsp("/random")));
    assert!(!c.is_closed());
}

#[test]
fn reject_with_data_and_the_client_may_connect_again() {
    let mut c = new_client();
    feed(&mut c, "0/admin,");
    let _ = events(&mut c);
    c.reject(at(0), &nsp("/admin"), "m", Some(r#"{"x":1}"#.into()))
        .unwrap();
    assert_eq!(sent(&mut c), [r#"4/admin,{"message":"m","data":{"x":1}}"#]);
    feed(&mut c, "0/admin,");
    assert_eq!(events(&mut c), [connect_event("/admin", None)]);
}

#[test]
fn connect_recovery_needs_both_pid_and_offset_as_strings() {
    let mut c = new_client();
    feed(&mut c, r#"0{"token":1,"pid":"p\u0031","offset":"o1"}"#);
    feed(&mut c, r#"0/a,{"pid":"p1"}"#);
    feed(&mut c, r#"0/b,{"pid":"p1","offset":5}"#);
    let evs = events(&mut c);
    assert_eq!(
        evs[0],
        Event::Connect {
            nsp: nsp("/"),
            auth: Some(r#"{"token":1,"pid":"p\u0031","offset":"o1"}"#.into()),
            recovery: Some(Recovery {
                pid: "p1".into(),
                offset: "o1".into()
            }),
        }
    );
    assert!(matches!(&evs[1], Event::Connect { recovery: None, .. }));
    assert!(matches!(&evs[2], Event::Connect { recovery: None, .. }));
}

#[test]
fn connect_while_pending_is_ignored() {
    let mut c = new_client();
    feed(&mut c, "0/admin,");
    feed(&mut c, "0/admin,");
    assert_eq!(events(&mut c), [connect_event("/admin", None)]);
    c.accept(at(0), &nsp("/admin"), "s".into(), None).unwrap();
    assert_eq!(
        c.accept(at(0), &nsp("/admin"), "s2".into(), None),
        Err(UsageError::NoPendingConnect(nsp("/admin")))
    );
    assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s"}"#]);
}

#[test]
fn connect_on_a_joined_namespace_closes_as_forced_server_close() {
    let mut c = joined(&["/", "/admin"]);
    feed(&mut c, "0/admin,");
    assert_eq!(sent(&mut c), ["CLOSE"]);
    assert_eq!(
        events(&mut c),
        [
            disconnect_event("/", DisconnectReason::ForcedServerClose),
            disconnect_event("/admin", DisconnectReason::ForcedServerClose),
        ]
    );
    assert!(c.is_closed());
}

#[test]
fn connect_payload_that_is_not_an_object_closes() {
    for text in [r#"0"x""#, "0[1]", "0null", "0/admin,true"] {
        let mut c = new_client();
        feed(&mut c, text);
        assert_eq!(sent(&mut c), ["CLOSE"], "{text}");
        assert_eq!(events(&mut c), [], "{text}");
        assert!(c.is_closed(), "{text}");
    }
}

#[test]
fn too_many_namespaces_are_refused_and_the_connection_stays() {
    let config = Config {
        max_namespaces: 2,
        ..Config::default()
    };
    let mut c = Connection::new(at(0), config);
    feed(&mut c, "0");
    c.accept(at(0), &nsp("/"), "s".into(), None).unwrap();
    feed(&mut c, "0/a,");
    feed(&mut c, "0/b,");
    assert_eq!(
        sent(&mut c),
        [
            r#"0{"sid":"s"}"#,
            r#"4/b,{"message":"Too many namespaces"}"#
        ]
    );
    assert_eq!(
        events(&mut c),
        [connect_event("/", None), connect_event("/a", None)]
    );
    // A refused CONNECT frees its place.
    c.reject(at(0), &nsp("/a"), "no", None).unwrap();
    feed(&mut c, "0/b,");
    assert_eq!(events(&mut c), [connect_event("/b", None)]);
    assert!(!c.is_closed());
}

// ---- connect timeout ----

#[test]
fn connect_timeout_closes_when_nothing_joined() {
    let mut c = new_client();
    assert_eq!(c.poll_timeout(), Some(at(45_000)));
    c.handle_timeout(at(44_999));
    assert_eq!(sent(&mut c), Vec::<String>::new());
    // A pending CONNECT is not a join.
    feed(&mut c, "0");
    let _ = events(&mut c);
    c.handle_timeout(at(45_000));
    assert_eq!(sent(&mut c), ["CLOSE"]);
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(
        c.accept(at(45_001), &nsp("/"), "s".into(), None),
        Err(UsageError::Closed)
    );
}

#[test]
fn connect_timeout_is_disarmed_by_a_join_for_good() {
    let mut c = new_client();
    feed(&mut c, "0/admin,");
    c.accept(at(10), &nsp("/admin"), "s".into(), None).unwrap();
    assert_eq!(c.poll_timeout(), None);
    feed(&mut c, "1/admin,");
    c.handle_timeout(at(45_000));
    let _ = events(&mut c);
    assert_eq!(sent(&mut c), [r#"0/admin,{"sid":"s"}"#]);
    assert!(!c.is_closed());
}
