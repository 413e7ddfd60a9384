//! The reference's `verify` and `handshake` cases (engine.io's test/server.js, "verification"
//! and "handshake"), one request each.

use super::*;

/// A request for a session: the driver's table has `known` and knows its transport.
fn table(known: &'static str, on: Option<Transport>) -> impl FnOnce(&str) -> Option<Found<u32>> {
    move |sid| {
        (sid == known).then_some(Found {
            session: 7,
            transport: on,
        })
    }
}

fn no_table(_: &str) -> Option<Found<u32>> {
    panic!("a handshake asks no table")
}

fn get(query: &str) -> Request<'_> {
    request(Method::Get, query, false)
}

/// Query pairs kept alive for the test: `key=value&...` without percent-decoding.
fn request(method: Method, query: &str, upgrade: bool) -> Request<'_> {
    let mut req = Request {
        method,
        transport: None,
        sid: None,
        eio: None,
        upgrade,
        origin: None,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "transport" => req.transport = Some(v),
            "sid" => req.sid = Some(v),
            "EIO" => req.eio = Some(v),
            _ => {}
        }
    }
    req
}

fn both() -> Endpoint {
    Endpoint::new(&[Transport::Polling, Transport::WebSocket])
}

#[test]
fn the_codes_and_messages_are_the_references() {
    let all = [
        (ErrorCode::UnknownTransport, 0, "Transport unknown"),
        (ErrorCode::UnknownSid, 1, "Session ID unknown"),
        (ErrorCode::BadHandshakeMethod, 2, "Bad handshake method"),
        (ErrorCode::BadRequest, 3, "Bad request"),
        (ErrorCode::Forbidden, 4, "Forbidden"),
        (
            ErrorCode::UnsupportedProtocolVersion,
            5,
            "Unsupported protocol version",
        ),
    ];
    for (code, n, message) in all {
        assert_eq!((code.code(), code.message()), (n, message));
        let status = if n == 4 { 403 } else { 400 };
        assert_eq!(code.http_status(), status);
    }
}

#[test]
fn handshakes_on_polling_and_on_websocket() {
    let route = both().route(&get("EIO=4&transport=polling"), no_table);
    let Ok(Route::Handshake(h)) = route else {
        panic!("{route:?}")
    };
    assert_eq!(h.accept(), Ok(Transport::Polling));

    let ws = request(Method::Get, "EIO=4&transport=websocket", true);
    let Ok(Route::Handshake(h)) = both().route(&ws, no_table) else {
        panic!()
    };
    assert_eq!(h.transport(), Transport::WebSocket);
    assert_eq!(h.accept(), Ok(Transport::WebSocket));
}

#[test]
fn disallows_non_existent_transports() {
    // "tobi", "constructor", "__proto__": no such transport, whatever the object model.
    for query in [
        "transport=tobi",
        "transport=constructor",
        "EIO=4&transport=__proto__",
        "EIO=4&transport=webtransport",
        "EIO=4",
    ] {
        assert_eq!(
            both().route(&get(query), no_table),
            Err(Refusal::UnknownTransport),
            "{query}"
        );
    }
    let ws = request(Method::Get, "EIO=4&transport=__proto__", true);
    let refusal = both().route(&ws, no_table).unwrap_err();
    assert_eq!(
        (refusal.code().code(), refusal.message()),
        (0, "Transport unknown")
    );
}

#[test]
fn disallows_transports_the_server_does_not_accept() {
    let polling_only = Endpoint::new(&[Transport::Polling]);
    let ws = request(Method::Get, "EIO=4&transport=websocket", true);
    assert_eq!(
        polling_only.route(&ws, no_table),
        Err(Refusal::UnknownTransport)
    );
    let websocket_only = Endpoint::new(&[Transport::WebSocket]);
    assert_eq!(
        websocket_only.route(&get("EIO=4&transport=polling"), no_table),
        Err(Refusal::UnknownTransport)
    );
    // The transport is checked before the sid.
    assert_eq!(
        websocket_only.route(&get("EIO=4&transport=polling&sid=abc"), no_table),
        Err(Refusal::UnknownTransport)
    );
}

#[test]
fn disallows_non_existent_sids() {
    let refusal = both()
        .route(&get("transport=polling&sid=test"), table("other", None))
        .unwrap_err();
    assert_eq!(refusal, Refusal::UnknownSid);
    assert_eq!(
        (refusal.code().code(), refusal.message()),
        (1, "Session ID unknown")
    );
    let ws = request(Method::Get, "EIO=4&transport=websocket&sid=test", true);
    assert_eq!(
        both().route(&ws, table("other", None)),
        Err(Refusal::UnknownSid)
    );
}

#[test]
fn disallows_invalid_origin_header() {
    let mut req = get("transport=websocket");
    req.origin = Some(b"http://engine.io/\n");
    let refusal = both().route(&req, no_table).unwrap_err();
    assert_eq!(refusal, Refusal::InvalidOrigin);
    assert_eq!(refusal.code(), ErrorCode::BadRequest);
    // Before the sid is looked up.
    let mut req = get("EIO=4&transport=polling&sid=abc");
    req.origin = Some(b"\x7f");
    assert_eq!(both().route(&req, no_table), Err(Refusal::InvalidOrigin));
    // Tab, visible ASCII and bytes from 0x80 are valid.
    let mut req = get("EIO=4&transport=polling");
    req.origin = Some(b"http://\texample.com/\x80\xff");
    assert!(matches!(
        both().route(&req, no_table),
        Ok(Route::Handshake(_))
    ));
}

#[test]
fn disallows_invalid_handshake_method() {
    for method in [Method::Post, Method::Other] {
        let req = request(method, "EIO=4&transport=polling", false);
        let refusal = both().route(&req, no_table).unwrap_err();
        assert_eq!(refusal, Refusal::BadHandshakeMethod);
        assert_eq!(
            (refusal.code().code(), refusal.message()),
            (2, "Bad handshake method")
        );
    }
    assert_eq!(Method::from_name("OPTIONS"), Method::Other);
    assert_eq!(Method::from_name("POST"), Method::Post);
}

#[test]
fn disallows_bad_requests_handshake_error() {
    // A WebSocket handshake that is not an upgrade ("should disallow bad requests").
    let refusal = both()
        .route(&get("transport=websocket"), no_table)
        .unwrap_err();
    assert_eq!(refusal, Refusal::TransportHandshakeError);
    assert_eq!(
        (refusal.code().code(), refusal.message()),
        (3, "Bad request")
    );
    // And a polling handshake that is one.
    let req = request(Method::Get, "EIO=4&transport=polling", true);
    assert_eq!(
        both().route(&req, no_table),
        Err(Refusal::TransportHandshakeError)
    );
}

#[test]
fn disallows_unsupported_protocol_versions() {
    for query in [
        "transport=polling&EIO=3",
        "transport=polling",
        "transport=polling&EIO=5",
    ] {
        let Ok(Route::Handshake(h)) = both().route(&get(query), no_table) else {
            panic!("{query}: the version is checked after the driver's allowRequest")
        };
        let refusal = h.accept().unwrap_err();
        assert_eq!(refusal, Refusal::UnsupportedProtocolVersion);
        assert_eq!(
            (refusal.code().code(), refusal.message()),
            (5, "Unsupported protocol version")
        );
    }
    // The method is checked first.
    let req = request(Method::Post, "transport=polling&EIO=3", false);
    assert_eq!(
        both().route(&req, no_table),
        Err(Refusal::BadHandshakeMethod)
    );
}

#[test]
fn polling_requests_of_a_session() {
    let query = "EIO=4&transport=polling&sid=abc";
    let on = Some(Transport::Polling);
    assert_eq!(
        both().route(&get(query), table("abc", on)),
        Ok(Route::PollGet(7))
    );
    let post = request(Method::Post, query, false);
    assert_eq!(
        both().route(&post, table("abc", on)),
        Ok(Route::PollPost(7))
    );
    let other = request(Method::Other, query, false);
    assert_eq!(
        both().route(&other, table("abc", on)),
        Ok(Route::PollOther(7))
    );
    // A driver that does not know the transport here leaves the check to the session.
    assert_eq!(
        both().route(&get(query), table("abc", None)),
        Ok(Route::PollGet(7))
    );
}

#[test]
fn default_to_polling_when_proxy_does_not_support_websocket() {
    // A plain GET with transport=websocket for a polling session: TRANSPORT_MISMATCH.
    let req = get("EIO=4&transport=websocket&sid=abc");
    let refusal = both()
        .route(&req, table("abc", Some(Transport::Polling)))
        .unwrap_err();
    assert_eq!(refusal, Refusal::TransportMismatch);
    assert_eq!(refusal.code(), ErrorCode::BadRequest);
    // Whatever the driver knows of the session.
    assert_eq!(
        both().route(&req, table("abc", None)),
        Err(Refusal::TransportMismatch)
    );
    assert_eq!(
        both().route(&req, table("abc", Some(Transport::WebSocket))),
        Err(Refusal::TransportMismatch)
    );
}

#[test]
fn polling_on_an_upgraded_session_is_a_transport_mismatch() {
    let req = get("EIO=4&transport=polling&sid=abc");
    assert_eq!(
        both().route(&req, table("abc", Some(Transport::WebSocket))),
        Err(Refusal::TransportMismatch)
    );
}

#[test]
fn upgrades_of_a_session() {
    let ws = request(Method::Get, "EIO=4&transport=websocket&sid=abc", true);
    assert_eq!(
        both().route(&ws, table("abc", Some(Transport::Polling))),
        Ok(Route::Upgrade(7))
    );
    // "should prevent the client from upgrading twice": the session refuses it
    // (RequestError::AlreadyUpgraded), not the endpoint.
    assert_eq!(
        both().route(&ws, table("abc", Some(Transport::WebSocket))),
        Ok(Route::Upgrade(7))
    );
    // An upgrade naming polling: the polling transport takes no WebSocket.
    let polling = request(Method::Get, "EIO=4&transport=polling&sid=abc", true);
    assert_eq!(
        both().route(&polling, table("abc", Some(Transport::Polling))),
        Err(Refusal::TransportMismatch)
    );
}

#[test]
fn session_requests_without_eio_4_are_a_protocol_mismatch() {
    for query in [
        "transport=polling&sid=abc",
        "EIO=3&transport=polling&sid=abc",
    ] {
        assert_eq!(
            both().route(&get(query), table("abc", None)),
            Err(Refusal::ProtocolMismatch),
            "{query}"
        );
    }
    let ws = request(Method::Get, "transport=websocket&sid=abc", true);
    assert_eq!(
        both().route(&ws, table("abc", None)),
        Err(Refusal::ProtocolMismatch)
    );
    // The sid is looked up first.
    assert_eq!(
        both().route(&get("transport=polling&sid=abc"), table("other", None)),
        Err(Refusal::UnknownSid)
    );
}

#[test]
fn an_empty_sid_is_an_unknown_session() {
    // Not a handshake, as in the reference (`if (sid)`): a malformed id never opens a session.
    let route = both().route(&get("EIO=4&transport=polling&sid="), table("abc", None));
    assert_eq!(route, Err(Refusal::UnknownSid));
}

#[test]
fn from_query_takes_the_last_of_repeated_keys() {
    let pairs = [
        ("transport", "websocket"),
        ("EIO", "4"),
        ("transport", "polling"),
        ("sid", "abc"),
    ];
    let req = Request::from_query(Method::Get, &pairs, false);
    assert_eq!(req.transport, Some("polling"));
    assert_eq!(req.sid, Some("abc"));
    assert_eq!(req.eio, Some("4"));
    assert_eq!(req.origin, None);
}
