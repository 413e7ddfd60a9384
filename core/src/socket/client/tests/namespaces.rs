//! Namespaces: one engine, CONNECT per socket, refusals, disconnections, auth.

use super::*;

// ---- namespaces ----

#[test]
fn namespaces_share_one_engine_and_each_sends_connect_when_it_opens() {
    let mut m = Manager::new(at(0), config(), SEED);
    let root = m.socket(at(0), Nsp::root(), Auth::NONE);
    let admin = m.socket(
        at(0),
        nsp("/admin"),
        Auth::object(r#"{"token":"x"}"#).unwrap(),
    );
    assert_eq!(
        wire(&mut m),
        ["open"],
        "one engine for both namespaces, nothing sent yet"
    );
    assert_eq!(m.state(), ReadyState::Opening);
    assert_eq!(
        m.socket(at(0), nsp("admin"), Auth::NONE),
        admin,
        "one socket per namespace"
    );

    m.handle_engine_open(at(5));
    assert_eq!(wire(&mut m), ["0", r#"0/admin,{"token":"x"}"#]);
    assert_eq!(events(&mut m), [Event::Open]);

    recv(&mut m, at(6), r#"0/admin,{"sid":"def"}"#);
    recv(&mut m, at(6), r#"0{"sid":"abc"}"#);
    assert_eq!(
        events(&mut m),
        [
            Event::Connect { socket: admin },
            Event::Connect { socket: root }
        ]
    );
    assert_eq!(m.sid(root), Some("abc"));
    assert_eq!(m.sid(admin), Some("def"));

    recv(&mut m, at(7), r#"2/admin,["hello",1]"#);
    recv(&mut m, at(7), r#"2["hello",2]"#);
    recv(&mut m, at(7), r#"2/other,["hello",3]"#);
    assert_eq!(
        events(&mut m),
        [
            ev(admin, r#"["hello",1]"#, None),
            ev(root, r#"["hello",2]"#, None)
        ],
        "routed by namespace; packets for a namespace with no socket are ignored"
    );
}

#[test]
fn connect_error_leaves_the_socket_inactive_and_it_is_not_reconnected() {
    let (mut m, root) = connected(config());
    let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
    assert_eq!(wire(&mut m), ["0/admin,"]);
    recv(
        &mut m,
        at(1),
        r#"4/admin,{"message":"not authorized","data":{"code":7}}"#,
    );
    assert_eq!(
        events(&mut m),
        [Event::ConnectError {
            socket: admin,
            data: r#"{"message":"not authorized","data":{"code":7}}"#.to_string()
        }]
    );
    assert!(!m.is_active(admin));
    assert!(m.is_active(root), "the other namespace is untouched");

    // The engine drops: only `/` is disconnected, and only `/` connects again.
    m.handle_engine_close(at(2), CloseReason::TransportClose);
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::TransportClose),
            disconnect(root, DisconnectReason::TransportClose)
        ]
    );
    let next = m.poll_timeout().unwrap();
    m.handle_timeout(next);
    m.handle_engine_open(next);
    assert_eq!(wire(&mut m), ["open", "0"]);
}

#[test]
fn a_bare_string_connect_error_becomes_the_message() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), Nsp::root(), Auth::NONE);
    m.handle_engine_open(at(0));
    recv(&mut m, at(0), r#"4"Invalid namespace""#);
    let data = r#"{"message":"Invalid namespace"}"#.to_string();
    assert_eq!(
        events(&mut m),
        [
            Event::Open,
            Event::Close(CloseReason::ForcedClose),
            Event::ConnectError { socket: s, data }
        ],
        "destroy() runs before connect_error, as in the reference's onpacket"
    );
    // `/` was the last active socket: the manager closes, with no reconnection.
    assert_eq!(wire(&mut m), ["open", "0", "close"]);
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn io_server_disconnect_is_final_for_that_socket() {
    let (mut m, root) = connected(config());
    let admin = m.socket(at(0), nsp("/admin"), Auth::NONE);
    recv(&mut m, at(0), r#"0/admin,{"sid":"def"}"#);
    let _ = (wire(&mut m), events(&mut m));

    recv(&mut m, at(1), "1/admin,");
    assert_eq!(
        events(&mut m),
        [disconnect(admin, DisconnectReason::IoServerDisconnect)]
    );
    assert!(!m.is_active(admin) && !m.is_connected(admin));
    assert_eq!(m.state(), ReadyState::Open, "`/` still uses the engine");
    assert_eq!(wire(&mut m), Vec::<String>::new());

    recv(&mut m, at(2), "1");
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::ForcedClose),
            disconnect(root, DisconnectReason::IoServerDisconnect)
        ],
        "the last socket gone, the manager closes first, as the reference's _destroy does"
    );
    assert_eq!(wire(&mut m), ["close"]);
    assert_eq!(m.poll_timeout(), None, "no reconnection");
}

#[test]
fn client_disconnect_sends_disconnect_and_closes_the_engine_without_reconnecting() {
    let (mut m, s) = connected(config());
    m.disconnect(at(10), s);
    assert_eq!(
        wire(&mut m),
        ["1", "close"],
        "DISCONNECT goes out before the engine closes"
    );
    assert_eq!(
        events(&mut m),
        [
            Event::Close(CloseReason::ForcedClose),
            disconnect(s, DisconnectReason::IoClientDisconnect)
        ]
    );
    assert!(!m.is_active(s));
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(m.state(), ReadyState::Closed);

    // connect() again opens a new engine.
    m.connect(at(20), s);
    assert_eq!(wire(&mut m), ["open"]);
}

#[test]
fn auth_callback_asks_the_driver_at_each_connect() {
    let mut m = Manager::new(at(0), config(), SEED);
    let s = m.socket(at(0), nsp("/admin"), Auth::CALLBACK);
    m.handle_engine_open(at(0));
    assert_eq!(
        events(&mut m),
        [Event::Open, Event::AuthRequest { socket: s }]
    );
    assert_eq!(wire(&mut m), ["open"], "nothing before the answer");
    assert_eq!(
        m.connect_with_auth(at(1), s, Some("[1]".to_string())),
        Err(AuthError::NotAnObject)
    );
    m.connect_with_auth(at(1), s, Some(r#"{"token":"t1"}"#.to_string()))
        .unwrap();
    assert_eq!(wire(&mut m), [r#"0/admin,{"token":"t1"}"#]);
    m.connect_with_auth(at(1), s, Some(r#"{"token":"t2"}"#.to_string()))
        .unwrap();
    assert_eq!(
        wire(&mut m),
        Vec::<String>::new(),
        "one CONNECT per request"
    );
}
