//! Engine.IO over real HTTP and WebSocket connections: the reference's HTTP answers, polling
//! rules, heartbeat, upgrade, limits, CORS, cookie and `allowRequest`.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Frame, Polling, Sio, Ws, fast, get, post, send, start, start_engine};
use sockeye_server::engine::EngineIo;
use sockeye_server::{
    Cookie, Cors, CorsOrigin, DisconnectReason, Message, SocketIo, SocketRef, Transport,
};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn bad_requests_get_the_reference_codes() {
    let (addr, io) = start(SocketIo::builder()).await;
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    io.engine()
        .on_connection_error(move |e| seen.lock().unwrap().push(e.code.code()));
    let cases = [
        ("/socket.io/?EIO=4", 400, 0, "Transport unknown"),
        (
            "/socket.io/?EIO=4&transport=webtransport",
            400,
            0,
            "Transport unknown",
        ),
        (
            "/socket.io/?transport=polling",
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            "/socket.io/?EIO=3&transport=polling",
            400,
            5,
            "Unsupported protocol version",
        ),
        (
            "/socket.io/?EIO=4&transport=polling&sid=nope",
            400,
            1,
            "Session ID unknown",
        ),
        (
            "/socket.io/?EIO=4&transport=websocket",
            400,
            3,
            "Bad request",
        ),
    ];
    for (path, status, code, message) in cases {
        let res = get(addr, path).await;
        assert_eq!(res.status, status, "{path}");
        assert_eq!(
            res.header("content-type"),
            Some("application/json"),
            "{path}"
        );
        assert_eq!(
            json(&res.body),
            serde_json::json!({"code": code, "message": message}),
            "{path}"
        );
    }
    let res = post(addr, "/socket.io/?EIO=4&transport=polling", "40").await;
    assert_eq!(
        (res.status, json(&res.body)),
        (
            400,
            serde_json::json!({"code": 2, "message": "Bad handshake method"})
        )
    );
    assert_eq!(
        *errors.lock().unwrap(),
        [0, 0, 5, 5, 1, 3, 2],
        "each refusal is a connection_error"
    );
    // Outside the path: the inner service (404).
    assert_eq!(get(addr, "/other").await.status, 404);
}

#[tokio::test]
async fn the_handshake_has_exactly_the_five_keys() {
    let (addr, _io) = start(fast()).await;
    let s = Polling::open(addr).await;
    let open = json(s.open.strip_prefix('0').unwrap());
    let keys: Vec<&String> = open.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{open}");
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(open["pingInterval"], 300);
    assert_eq!(open["pingTimeout"], 200);
    assert_eq!(open["maxPayload"], 1_000_000);
    assert_eq!(s.sid.len(), 20);

    // A WebSocket session gets the same as its first frame, with no upgrades.
    let mut ws = Ws::connect(addr, "EIO=4&transport=websocket").await;
    let open = ws.recv_text().await;
    assert_eq!(
        json(open.strip_prefix('0').unwrap())["upgrades"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn posts_are_answered_ok_and_unknown_or_missing_sids_are_refused() {
    let (addr, _io) = start(fast()).await;
    let s = Polling::open(addr).await;
    let res = s.post("40").await;
    assert_eq!((res.status, res.body.as_str()), (200, "ok"));
    assert_eq!(res.header("content-type"), Some("text/html"));
    let res = s.get().await;
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert!(res.body.starts_with("40{\"sid\":"), "{}", res.body);
    // Another method with a sid: the reference's polling transport answers 500.
    let res = send(addr, "PUT", &s.url(), &[], b"").await.response().await;
    assert_eq!(res.status, 500);
}

#[tokio::test]
async fn a_second_concurrent_get_closes_the_session() {
    let (addr, _io) = start(fast()).await;
    let s = Polling::open(addr).await;
    let first = s.start_get().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = s.get().await;
    assert_eq!(second.status, 400);
    assert_eq!(
        first.response().await.body,
        "1",
        "the first GET is answered with close"
    );
    let after = s.get().await;
    assert_eq!(
        (after.status, json(&after.body)["code"].clone()),
        (400, 1.into())
    );
}

#[tokio::test]
async fn an_aborted_get_closes_the_session() {
    let (addr, io) = start(fast()).await;
    let s = Polling::open(addr).await;
    let pending = s.start_get().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(io.engine().clients_count(), 1);
    drop(pending);
    tokio::time::timeout(common::WAIT, async {
        while io.engine().clients_count() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(s.get().await.status, 400);
}

#[tokio::test]
async fn a_binary_post_is_refused_and_closes() {
    let (addr, _io) = start(fast()).await;
    let s = Polling::open(addr).await;
    let res = send(
        addr,
        "POST",
        &s.url(),
        &[("Content-Type", "application/octet-stream")],
        b"4hi",
    )
    .await
    .response()
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(s.get().await.status, 400, "the session is gone");
}

#[tokio::test]
async fn a_body_over_max_http_buffer_size_is_413_and_the_server_goes_on() {
    let (addr, _io) = start(fast().max_http_buffer_size(100)).await;
    let s = Polling::open(addr).await;
    let big = format!("4{}", "x".repeat(200));
    let res = s.post(&big).await;
    assert_eq!(res.status, 413);
    // As engine.io 6.6.13, the session is closed (tests/post_limits.rs); the server goes on.
    assert_eq!(s.get().await.status, 400);
    let s = Polling::open(addr).await;
    let exact = format!("4{}", "y".repeat(99));
    assert_eq!(
        s.post(&exact).await.status,
        200,
        "exactly maxHttpBufferSize is accepted"
    );
    Polling::open(addr).await;

    // Over WebSocket, an oversized message closes the session.
    let mut ws = Ws::connect(addr, "EIO=4&transport=websocket").await;
    ws.recv_text().await;
    ws.send(&big).await;
    ws.expect_closed().await;
}

#[tokio::test]
async fn an_oversized_websocket_message_is_1009_and_a_transport_error() {
    let (addr, io) = start(fast().max_http_buffer_size(100)).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    io.ns("/", move |socket: SocketRef| {
        let tx = tx.clone();
        async move {
            socket.on_disconnect(move |_: SocketRef, reason: DisconnectReason| {
                let tx = tx.clone();
                async move { tx.send(reason).unwrap() }
            });
        }
    });
    // Just over the limit, and far over it (which the WebSocket layer refuses unread): both are
    // closed as the reference's `ws` closes them.
    for len in [101, 100_000] {
        let mut c = Sio::connect(addr, "").await;
        c.ws.send(&format!("4{}", "x".repeat(len - 1))).await;
        assert_eq!(c.ws.close_code().await, Some(1009), "{len} bytes");
        let reason = tokio::time::timeout(common::WAIT, rx.recv()).await.unwrap();
        assert_eq!(
            reason,
            Some(DisconnectReason::TransportError),
            "{len} bytes"
        );
    }
    // An Engine.IO parse error is a plain close.
    let mut c = Sio::connect(addr, "").await;
    c.ws.send("x").await;
    assert_eq!(c.ws.close_code().await, None);
    let reason = tokio::time::timeout(common::WAIT, rx.recv()).await.unwrap();
    assert_eq!(reason, Some(DisconnectReason::ParseError));
}

#[tokio::test]
async fn a_websocket_closed_by_the_server_waits_for_the_client_s_close_frame() {
    // The closing handshake, as the reference's `ws` does it: after its close frame the server
    // reads on until the client's. Ending the TCP connection at once would reset it if the client
    // had sent anything meanwhile, and a client (Node's) then loses the close frame: 1006.
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::MaybeTlsStream;
    use tokio_tungstenite::tungstenite::Message as WsMessage;
    let (addr, _io) = start(fast()).await;
    let mut c = Sio::connect(addr, "").await;
    c.ws.send("x").await;
    loop {
        match c.ws.inner.next().await {
            Some(Ok(WsMessage::Close(_))) => break,
            Some(Ok(_)) => continue,
            other => panic!("expected the server's close frame, got {other:?}"),
        }
    }
    let MaybeTlsStream::Plain(tcp) = c.ws.inner.get_ref() else {
        unreachable!("plain TCP")
    };
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), tcp.peek(&mut byte))
            .await
            .is_err(),
        "the TCP connection is still open, waiting for our close frame"
    );
    // Our close frame (tungstenite queued it when the server's arrived).
    c.ws.inner.flush().await.unwrap();
    let MaybeTlsStream::Plain(tcp) = c.ws.inner.get_ref() else {
        unreachable!("plain TCP")
    };
    let ended = tokio::time::timeout(common::WAIT, tcp.peek(&mut byte)).await;
    assert!(
        matches!(ended, Ok(Ok(0)) | Ok(Err(_))),
        "then the server ends it: {ended:?}"
    );
}

#[tokio::test]
async fn a_client_ping_is_the_wrong_direction() {
    let (addr, _io) = start(fast()).await;
    let mut ws = Ws::connect(addr, "EIO=4&transport=websocket").await;
    ws.recv_text().await;
    ws.send("2").await;
    ws.expect_closed().await;

    let s = Polling::open(addr).await;
    let parked = s.start_get().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.post("2").await.status, 200);
    assert_eq!(parked.response().await.body, "1");
    assert_eq!(s.get().await.status, 400);
}

#[tokio::test]
async fn heartbeat_keeps_answering_clients_and_drops_silent_ones() {
    let (addr, io) = start(fast()).await;
    // Polling: the server pings within pingInterval; a client that answers stays.
    let s = Polling::open(addr).await;
    let res = s.get().await;
    assert_eq!(res.body, "2");
    assert_eq!(s.post("3").await.body, "ok");
    assert_eq!(s.get().await.body, "2", "pinged again after answering");
    assert_eq!(s.post("3").await.body, "ok");
    // A polling client that stops polling is closed by pingInterval + pingTimeout.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(s.get().await.status, 400);

    // WebSocket: answered pings keep the session over several intervals.
    let mut ws = Ws::connect(addr, "EIO=4&transport=websocket").await;
    ws.recv_text().await;
    assert_eq!(
        ws.quiet_for(Duration::from_millis(1200)).await,
        None,
        "still open"
    );
    assert_eq!(io.engine().clients_count(), 1);
    // And one that does not answer is closed.
    ws.auto_pong = false;
    assert_eq!(ws.recv().await, Frame::Text("2".into()));
    ws.expect_closed().await;
}

#[tokio::test]
async fn upgrade_from_polling_to_websocket() {
    let (addr, io) = start(fast().ping_interval(Duration::from_secs(10))).await;
    let upgraded = Arc::new(Mutex::new(Vec::new()));
    let seen = upgraded.clone();
    io.ns("/", move |socket: SocketRef| {
        let seen = seen.clone();
        async move {
            socket
                .conn()
                .on_upgrade(move |t| seen.lock().unwrap().push(t));
        }
    });
    let s = Polling::open(addr).await;
    s.post("40").await;
    assert!(s.recv().await[0].starts_with("40"));
    let parked = s.start_get().await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let mut ws = Ws::connect(addr, &format!("EIO=4&transport=websocket&sid={}", s.sid)).await;
    ws.send("2probe").await;
    assert_eq!(ws.recv_text().await, "3probe");
    assert_eq!(
        parked.response().await.body,
        "6",
        "the parked GET is released with noop"
    );
    assert_eq!(
        s.get().await.body,
        "6",
        "every GET during the upgrade gets noop"
    );
    assert_eq!(s.get().await.body, "6");
    ws.send("5").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let res = s.get().await;
    assert_eq!(
        (res.status, json(&res.body)["code"].clone()),
        (400, 3.into()),
        "polling is over"
    );
    assert_eq!(s.post("42[\"x\"]").await.status, 400);
    // A second WebSocket on the sid is closed at once.
    let mut second = Ws::connect(addr, &format!("EIO=4&transport=websocket&sid={}", s.sid)).await;
    second.expect_closed().await;
    // Packets flow on the WebSocket.
    io.emit("hello", &"ws").unwrap();
    assert_eq!(ws.recv_text().await, r#"42["hello","ws"]"#);
    assert_eq!(*upgraded.lock().unwrap(), [Transport::WebSocket]);
}

#[tokio::test]
async fn upgrades_can_be_turned_off() {
    let (addr, _io) = start(fast().allow_upgrades(false)).await;
    let s = Polling::open(addr).await;
    assert_eq!(
        json(s.open.strip_prefix('0').unwrap())["upgrades"],
        serde_json::json!([])
    );
    let res = send(
        addr,
        "GET",
        &format!("/socket.io/?EIO=4&transport=websocket&sid={}", s.sid),
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(
        (res.status, json(&res.body)["code"].clone()),
        (400, 3.into())
    );

    // transports: websocket only.
    let (addr, _io) = start(fast().transports(&[Transport::WebSocket])).await;
    let res = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(
        (res.status, json(&res.body)["code"].clone()),
        (400, 0.into())
    );
    assert!(
        Ws::try_connect(addr, "EIO=4&transport=websocket")
            .await
            .is_ok()
    );
}

/// A polling handshake with this `Origin`.
async fn handshake_from(addr: std::net::SocketAddr, origin: &str) -> common::Res {
    send(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("Origin", origin)],
        b"",
    )
    .await
    .response()
    .await
}

#[tokio::test]
async fn cors_allows_origins_and_answers_preflights() {
    let (addr, _io) =
        start(fast().cors(
            Cors::new(CorsOrigin::List(vec!["http://allowed.test".into()])).credentials(true),
        ))
        .await;
    let res = handshake_from(addr, "http://allowed.test").await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("http://allowed.test")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("vary"), Some("Origin"));
    let res = handshake_from(addr, "http://evil.test").await;
    assert_eq!(res.header("access-control-allow-origin"), None);
    // A handshake from an origin not allowed is refused; one from the server's own origin, or
    // without an Origin (not a browser), is not.
    assert_eq!(
        (res.status, json(&res.body)),
        (403, serde_json::json!({"code": 4, "message": "Forbidden"}))
    );
    let own = format!("http://{addr}");
    for headers in [&[("Origin", own.as_str())][..], &[]] {
        let res = send(
            addr,
            "GET",
            "/socket.io/?EIO=4&transport=polling",
            headers,
            b"",
        )
        .await
        .response()
        .await;
        assert_eq!(res.status, 200, "{headers:?}");
    }
    // WebSockets, which CORS does not cover, likewise.
    let ws_from = |origin: &str| {
        let mut req = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(req)
    };
    match ws_from("http://evil.test").await {
        Err(WsError::Http(res)) => assert_eq!(res.status(), 400),
        other => panic!("a WebSocket from another origin: {:?}", other.map(|_| ())),
    }
    assert!(ws_from("http://allowed.test").await.is_ok());
    let res = send(
        addr,
        "OPTIONS",
        "/socket.io/?EIO=4&transport=polling",
        &[
            ("Origin", "http://allowed.test"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(res.status, 204);
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE")
    );
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("http://allowed.test")
    );
    // Error answers carry CORS headers too.
    let res = send(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling&sid=x",
        &[("Origin", "http://allowed.test")],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(
        (res.status, res.header("access-control-allow-origin")),
        (400, Some("http://allowed.test"))
    );

    // The reference's behaviour: the handshake goes through, without CORS headers.
    let (addr, _io) = start(fast().cors(
        Cors::new(CorsOrigin::List(vec!["http://allowed.test".into()])).refuse_other_origins(false),
    ))
    .await;
    let res = handshake_from(addr, "http://evil.test").await;
    assert_eq!(
        (res.status, res.header("access-control-allow-origin")),
        (200, None)
    );

    // Without CORS options there are no CORS headers.
    let (addr, _io) = start(fast()).await;
    let res = handshake_from(addr, "http://a.test").await;
    assert_eq!(res.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn allow_request_and_the_sticky_cookie() {
    let (addr, _io) = start(
        fast()
            .cookie(Cookie::default())
            .allow_request(|req| async move {
                match req.headers.get("x-token") {
                    Some(_) => Ok(()),
                    None => Err("no token".to_owned()),
                }
            }),
    )
    .await;
    let res = get(addr, "/socket.io/?EIO=4&transport=polling").await;
    assert_eq!(
        (res.status, json(&res.body)),
        (403, serde_json::json!({"code": 4, "message": "no token"}))
    );
    let res = send(
        addr,
        "GET",
        "/socket.io/?EIO=4&transport=polling",
        &[("x-token", "1")],
        b"",
    )
    .await
    .response()
    .await;
    assert_eq!(res.status, 200);
    let sid = common::sid_of(&res.body);
    assert_eq!(
        res.header("set-cookie"),
        Some(format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str())
    );
}

#[tokio::test]
async fn bare_engine_io_echoes_on_both_transports() {
    let (addr, engine) = start_engine(
        EngineIo::builder()
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(200)),
    )
    .await;
    let closed = Arc::new(Mutex::new(Vec::new()));
    let seen = closed.clone();
    engine.on_connection(move |socket| {
        let seen = seen.clone();
        async move {
            socket.on_message(|socket, msg| async move {
                let _ = socket.send(msg);
            });
            socket.on_close(move |_, reason| {
                let seen = seen.clone();
                async move { seen.lock().unwrap().push(reason.as_str()) }
            });
        }
    });
    let mut ws = Ws::connect_path(addr, "/engine.io/", "EIO=4&transport=websocket").await;
    ws.recv_text().await;
    ws.send("4hello").await;
    assert_eq!(ws.recv_text().await, "4hello");
    ws.send_binary(&[1, 2, 3]).await;
    assert_eq!(ws.recv().await, Frame::Binary(vec![1, 2, 3]));
    ws.send("1").await;
    ws.expect_closed().await;

    let s = Polling::open_at(addr, "/engine.io/").await;
    s.post("4a\u{1e}bAQID").await;
    let got = s.recv().await;
    assert_eq!(got, ["4a", "bAQID"]);
    // A Socket.IO path is not served by a bare Engine.IO server.
    assert_eq!(
        get(addr, "/socket.io/?EIO=4&transport=polling")
            .await
            .status,
        404
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(*closed.lock().unwrap(), ["transport close"]);
    assert_eq!(engine.engine().clients_count(), 1);
    let _ = Message::Text(String::new());
}
