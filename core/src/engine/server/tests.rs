//! The session's sequences, one input at a time, against engine.io 6.6's answers.

use super::*;
use alloc::string::ToString;
use core::time::Duration;

const OPEN: &str = r#"0{"sid":"sid1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const OPEN_WS: &str = r#"0{"sid":"sid1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn sid() -> Sid {
    Sid::new("sid1").unwrap()
}

fn text(s: &str) -> Frame {
    Frame::Text(s.to_string())
}

/// A payload as these tests send it: every packet but the close and the noop the session adds
/// goes with the `compress` flag (its default), so only those alone make a payload without it.
fn payload(body: &str) -> PollPayload {
    PollPayload {
        body: body.to_string(),
        compress: !matches!(body, "1" | "6"),
    }
}

fn respond(body: &str) -> Result<GetOutcome, RequestError> {
    Ok(GetOutcome::Respond(payload(body)))
}

fn poll_response(body: &str) -> Transmit {
    Transmit::PollResponse(payload(body))
}

/// A frame as these tests send it: the close and the probe's answer carry no `compress` flag.
fn ws_send(s: &str) -> Transmit {
    Transmit::WsSend {
        frame: text(s),
        compress: !matches!(s, "1" | "3probe"),
    }
}

fn message(s: &str) -> Event {
    Event::Message(Message::Text(s.to_string()))
}

fn transmits(s: &mut Session) -> Vec<Transmit> {
    core::iter::from_fn(|| s.poll_transmit()).collect()
}

fn events(s: &mut Session) -> Vec<Event> {
    core::iter::from_fn(|| s.poll_event()).collect()
}

fn post(s: &mut Session, now: u64, body: &str) -> Result<(), RequestError> {
    s.handle_poll_post_start(at(now), false)?;
    s.handle_poll_post(at(now), body)
}

/// A polling session whose handshake GET was answered at 0 ms.
fn polling_with(config: Config) -> Session {
    let mut s = Session::new(at(0), sid(), Transport::Polling, config);
    let Ok(GetOutcome::Respond(PollPayload { body: open, .. })) = s.handle_poll_get(at(0)) else {
        panic!("no open packet")
    };
    assert!(open.starts_with(r#"0{"sid":"sid1","#), "{open}");
    s
}

fn polling() -> Session {
    polling_with(Config::default())
}

/// A WebSocket session whose open frame was sent at 0 ms.
fn websocket() -> Session {
    let mut s = Session::new(at(0), sid(), Transport::WebSocket, Config::default());
    assert_eq!(transmits(&mut s), [ws_send(OPEN_WS)]);
    s
}

#[test]
fn the_handshake_get_is_answered_with_the_open_packet() {
    let mut s = Session::new(at(0), sid(), Transport::Polling, Config::default());
    assert_eq!(
        transmits(&mut s),
        [],
        "the open packet waits for the handshake GET"
    );
    assert_eq!(s.handle_poll_get(at(0)), respond(OPEN));
    assert_eq!(s.transport(), Transport::Polling);
    assert_eq!(s.ready_state(), ReadyState::Open);
    assert_eq!(s.sid().as_str(), "sid1");
    assert_eq!(s.poll_timeout(), Some(at(25_000)));
    assert_eq!(transmits(&mut s), []);
    assert_eq!(events(&mut s), []);
    assert_eq!(s.handle_poll_get(at(10)), Ok(GetOutcome::Wait));
}

#[test]
fn a_websocket_session_sends_open_first_and_offers_no_upgrades() {
    let mut s = websocket();
    assert_eq!(s.transport(), Transport::WebSocket);
    assert_eq!(s.buffered_len(), 0);
    assert_eq!(
        s.handle_poll_get(at(1)),
        Err(RequestError::TransportMismatch)
    );
    assert_eq!(
        s.handle_ws_upgrade(at(1)),
        Err(RequestError::AlreadyUpgraded)
    );
    assert_eq!(s.poll_timeout(), Some(at(25_000)));
}

#[test]
fn upgrades_are_offered_only_when_allowed() {
    let open_without_upgrades = OPEN.replace(r#"["websocket"]"#, "[]");
    for config in [
        Config {
            allow_upgrades: false,
            ..Config::default()
        },
        Config {
            transports: vec![Transport::Polling],
            ..Config::default()
        },
    ] {
        let mut s = Session::new(at(0), sid(), Transport::Polling, config);
        assert_eq!(s.handle_poll_get(at(0)), respond(&open_without_upgrades));
        assert_eq!(
            s.handle_ws_upgrade(at(1)),
            Err(RequestError::UpgradeNotAllowed)
        );
        assert!(!s.is_upgrading());
    }
    let custom = Config {
        ping_interval: Duration::from_millis(300),
        max_payload: 10,
        ..Config::default()
    };
    let mut s = Session::new(at(0), sid(), Transport::Polling, custom);
    assert_eq!(
        s.handle_poll_get(at(0)),
        respond(
            r#"0{"sid":"sid1","upgrades":["websocket"],"pingInterval":300,"pingTimeout":20000,"maxPayload":10}"#
        )
    );
}

#[test]
fn pings_every_interval_and_a_pong_schedules_the_next() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(1_000)), Ok(GetOutcome::Wait));
    s.handle_timeout(at(25_000));
    assert_eq!(transmits(&mut s), [poll_response("2")]);
    assert_eq!(s.poll_timeout(), Some(at(45_000)), "the pong deadline");
    assert_eq!(post(&mut s, 26_000, "3"), Ok(()));
    assert_eq!(events(&mut s), [Event::Heartbeat]);
    assert_eq!(
        s.poll_timeout(),
        Some(at(51_000)),
        "the next ping, pingInterval after the pong"
    );
    assert_eq!(s.handle_poll_get(at(26_001)), Ok(GetOutcome::Wait));
    s.handle_timeout(at(51_000));
    assert_eq!(transmits(&mut s), [poll_response("2")]);
    assert_eq!(s.poll_timeout(), Some(at(71_000)));
    assert!(!s.is_closed());
}

#[test]
fn a_client_that_never_polls_is_closed_after_interval_plus_timeout() {
    let mut s = polling();
    s.handle_timeout(at(25_000));
    assert_eq!(transmits(&mut s), [], "no GET is parked to carry the ping");
    assert_eq!(s.buffered_len(), 1);
    assert_eq!(
        s.poll_timeout(),
        Some(at(45_000)),
        "yet the deadline runs from the queueing"
    );
    s.handle_timeout(at(44_999));
    assert!(!s.is_closed());
    s.handle_timeout(at(45_000));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
    assert_eq!(transmits(&mut s), []);
    assert!(s.is_closed());
    assert_eq!(s.buffered_len(), 0);
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.handle_poll_get(at(45_001)), Err(RequestError::Closed));
    assert_eq!(post(&mut s, 45_001, "3"), Err(RequestError::Closed));
}

#[test]
fn a_ping_timeout_answers_the_parked_get_with_close() {
    let mut s = polling();
    s.handle_timeout(at(25_000));
    assert_eq!(s.handle_poll_get(at(30_000)), respond("2"));
    assert_eq!(s.handle_poll_get(at(30_001)), Ok(GetOutcome::Wait));
    s.handle_timeout(at(45_000));
    assert_eq!(transmits(&mut s), [poll_response("1")]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
}

#[test]
fn websocket_heartbeat() {
    let mut s = websocket();
    s.handle_timeout(at(25_000));
    assert_eq!(transmits(&mut s), [ws_send("2")]);
    s.handle_ws_frame(at(25_010), text("3"));
    assert_eq!(events(&mut s), [Event::Heartbeat]);
    assert_eq!(s.poll_timeout(), Some(at(50_010)));
    s.handle_timeout(at(50_010));
    assert_eq!(transmits(&mut s), [ws_send("2")]);
    s.handle_timeout(at(70_010));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
}

#[test]
fn a_second_concurrent_get_closes_the_session() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
    assert_eq!(s.handle_poll_get(at(2)), Err(RequestError::GetOverlap));
    assert_eq!(
        transmits(&mut s),
        [poll_response("1")],
        "the first GET gets close"
    );
    let close = events(&mut s);
    assert_eq!(
        close,
        [Event::Close(CloseReason::ProtocolViolation(
            "overlap from client"
        ))]
    );
    assert_eq!(
        CloseReason::ProtocolViolation("overlap from client").as_str(),
        "transport error"
    );
    assert_eq!(s.handle_poll_get(at(3)), Err(RequestError::Closed));
}

#[test]
fn a_parked_get_is_what_makes_polling_writable() {
    let mut s = polling();
    assert!(!s.has_parked_get());
    assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
    assert!(s.has_parked_get());
    s.send(Message::Text("x".into()));
    assert_eq!(transmits(&mut s), [poll_response("4x")]);
    assert!(!s.has_parked_get(), "the packet used the parked GET");
}

#[test]
fn an_aborted_get_closes_the_session() {
    let mut s = polling();
    s.handle_poll_get_aborted(at(1));
    assert!(!s.is_closed(), "no GET was parked: nothing to abort");
    assert_eq!(s.handle_poll_get(at(2)), Ok(GetOutcome::Wait));
    s.handle_poll_get_aborted(at(3));
    assert_eq!(transmits(&mut s), []);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
}

#[test]
fn post_bodies_are_payloads_answered_ok() {
    let mut s = polling();
    assert_eq!(post(&mut s, 1, "4hello\u{1e}bAQID\u{1e}4€"), Ok(()));
    assert_eq!(
        events(&mut s),
        [
            message("hello"),
            Event::Message(Message::Binary(vec![1, 2, 3])),
            message("€")
        ]
    );
    // Without a start call the POST is whole in one call.
    assert_eq!(s.handle_poll_post(at(2), "4again"), Ok(()));
    assert_eq!(events(&mut s), [message("again")]);
}

#[test]
fn a_post_over_max_payload_is_refused_and_the_session_stays_open() {
    let mut s = polling_with(Config {
        max_payload: 10,
        ..Config::default()
    });
    assert_eq!(
        post(&mut s, 1, "4123456789x"),
        Err(RequestError::PayloadTooLarge)
    );
    assert_eq!(events(&mut s), []);
    assert!(!s.is_closed());
    assert_eq!(
        post(&mut s, 2, "4123456789"),
        Ok(()),
        "exactly max_payload bytes is fine"
    );
    assert_eq!(events(&mut s), [message("123456789")]);
}

#[test]
fn a_client_that_stops_reading_is_closed_past_max_buffered_bytes() {
    // Above the open packet's size, which waits for the handshake GET too.
    let config = || Config {
        max_buffered_bytes: 141,
        ..Config::default()
    };
    let text = || Message::Text("a".repeat(69));
    let mut s = polling_with(config());
    // Two packets of 70 bytes and a separator: exactly 141 bytes wait.
    s.send(text());
    s.send(text());
    assert_eq!(s.buffered_bytes(), 141);
    assert!(!s.is_closed(), "at the bound is fine");
    s.send(Message::Text("x".into()));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    assert!(s.is_closed());
    assert_eq!(s.buffered_bytes(), 0, "what waited is dropped");
    // A client that reads keeps its session however much passes through.
    let mut s = polling_with(config());
    for i in 0..100 {
        assert!(s.handle_poll_get(at(i)).is_ok());
        s.send(text());
        s.send(text());
        let _ = transmits(&mut s);
        assert!(s.buffered_bytes() <= 141);
    }
    assert!(!s.is_closed());
    assert_eq!(events(&mut s), []);
}

#[test]
fn one_post_at_a_time() {
    let mut s = polling();
    assert_eq!(s.handle_poll_post_start(at(1), false), Ok(()));
    assert_eq!(
        s.handle_poll_post_start(at(2), false),
        Err(RequestError::PostOverlap)
    );
    assert_eq!(
        events(&mut s),
        [Event::Close(CloseReason::ProtocolViolation(
            "data request overlap from client"
        ))]
    );
    assert_eq!(
        s.handle_poll_post(at(3), "4late"),
        Err(RequestError::Closed)
    );
}

#[test]
fn a_binary_post_is_refused_and_closes() {
    let mut s = polling();
    assert_eq!(
        s.handle_poll_post_start(at(1), true),
        Err(RequestError::BinaryContent)
    );
    assert_eq!(
        events(&mut s),
        [Event::Close(CloseReason::ProtocolViolation(
            "invalid content"
        ))]
    );
}

#[test]
fn an_aborted_post_closes_the_session() {
    let mut s = polling();
    assert_eq!(s.handle_poll_post_start(at(1), false), Ok(()));
    s.handle_poll_post_aborted(at(2));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
}

#[test]
fn a_posted_close_answers_the_parked_get_with_noop() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
    assert_eq!(post(&mut s, 2, "1\u{1e}4after"), Ok(()));
    assert_eq!(transmits(&mut s), [poll_response("6")]);
    assert_eq!(
        events(&mut s),
        [Event::Close(CloseReason::TransportClose)],
        "nothing after the close"
    );
}

#[test]
fn buffered_packets_are_flushed_in_one_get() {
    let mut s = polling();
    s.send(Message::Text("a".into()));
    s.send(Message::Binary(vec![1, 2, 3]));
    s.send(Message::Text("b".into()));
    assert_eq!(transmits(&mut s), []);
    assert_eq!(s.buffered_len(), 3);
    assert_eq!(s.buffered_bytes(), "4a\u{1e}bAQID\u{1e}4b".len());
    assert_eq!(s.handle_poll_get(at(1)), respond("4a\u{1e}bAQID\u{1e}4b"));
    assert_eq!((s.buffered_len(), s.buffered_bytes()), (0, 0));
    assert_eq!(s.handle_poll_get(at(2)), Ok(GetOutcome::Wait));
    s.send(Message::Text("c".into()));
    assert_eq!(
        transmits(&mut s),
        [poll_response("4c")],
        "a parked GET is answered at once"
    );
    assert_eq!(s.handle_poll_get(at(3)), Ok(GetOutcome::Wait));
}

#[test]
fn a_client_ping_is_the_wrong_direction() {
    let violation = Event::Close(CloseReason::ProtocolViolation(
        "invalid heartbeat direction",
    ));
    for body in ["2", "2probe"] {
        let mut s = polling();
        assert_eq!(post(&mut s, 1, body), Ok(()));
        assert_eq!(
            events(&mut s),
            core::slice::from_ref(&violation),
            "{body:?}"
        );
    }
    let mut s = websocket();
    s.handle_ws_frame(at(1), text("2"));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), [violation]);
}

#[test]
fn invalid_packet_data_closes_with_parse_error() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
    assert_eq!(
        post(&mut s, 2, "4a\u{1e}7"),
        Ok(()),
        "answered ok, as the reference does"
    );
    assert_eq!(transmits(&mut s), [poll_response("1")]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);

    let mut s = websocket();
    s.handle_ws_frame(at(1), text("x"));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
}

#[test]
fn discard_closes_a_polling_session_without_waiting_for_a_get() {
    let mut s = polling();
    s.discard(at(1));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    assert!(s.is_closed());
    assert_eq!(s.poll_timeout(), None, "no close timer left");
    assert_eq!(s.handle_poll_get(at(2)), Err(RequestError::Closed));
}

#[test]
fn a_websocket_error_is_a_transport_error() {
    let mut s = websocket();
    s.handle_ws_error(at(1));
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsClose],
        "the driver closes the failed WebSocket"
    );
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
    s.handle_ws_error(at(2));
    s.handle_ws_close(at(3));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));

    // A failed probe is dropped; polling goes on.
    let mut s = polling();
    assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
    s.handle_ws_error(at(2));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), []);
    assert!(!s.is_upgrading() && !s.is_closed());
}

#[test]
fn an_oversized_websocket_frame_closes() {
    let mut s = Session::new(
        at(0),
        sid(),
        Transport::WebSocket,
        Config {
            max_payload: 10,
            ..Config::default()
        },
    );
    let _ = transmits(&mut s);
    s.handle_ws_frame(at(1), Frame::Binary(vec![0; 10]));
    assert_eq!(
        events(&mut s),
        [Event::Message(Message::Binary(vec![0; 10]))]
    );
    s.handle_ws_frame(at(2), text("4123456789x"));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportError)]);
}

#[test]
fn upgrade_from_polling_to_websocket() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(100)), Ok(GetOutcome::Wait));
    assert_eq!(s.handle_ws_upgrade(at(200)), Ok(()));
    assert!(s.is_upgrading());
    assert_eq!(
        s.handle_ws_upgrade(at(201)),
        Err(RequestError::UpgradeInProgress)
    );
    assert_eq!(transmits(&mut s), []);

    s.handle_ws_frame(at(210), text("2probe"));
    assert_eq!(transmits(&mut s), [ws_send("3probe"), poll_response("6")]);
    assert_eq!(events(&mut s), [Event::Upgrading]);
    // Every GET during the upgrade is answered at once, not just the first.
    assert_eq!(s.handle_poll_get(at(220)), respond("6"));
    assert_eq!(s.handle_poll_get(at(230)), respond("6"));
    s.send(Message::Text("x".into()));
    assert_eq!(s.handle_poll_get(at(240)), respond("4x"));
    assert_eq!(post(&mut s, 241, "4still polling"), Ok(()));
    assert_eq!(events(&mut s), [message("still polling")]);
    s.send(Message::Text("y".into()));

    s.handle_ws_frame(at(250), text("5"));
    assert_eq!(
        transmits(&mut s),
        [ws_send("4y")],
        "the buffer goes out on the WebSocket"
    );
    assert_eq!(events(&mut s), [Event::Upgrade(Transport::WebSocket)]);
    assert_eq!(s.transport(), Transport::WebSocket);
    assert!(!s.is_upgrading());

    assert_eq!(
        s.handle_poll_get(at(260)),
        Err(RequestError::TransportMismatch)
    );
    assert_eq!(
        s.handle_poll_post_start(at(260), false),
        Err(RequestError::TransportMismatch)
    );
    assert_eq!(
        s.handle_ws_upgrade(at(260)),
        Err(RequestError::AlreadyUpgraded)
    );
    assert!(!s.is_closed());

    s.send(Message::Binary(vec![1, 2, 3]));
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsSend {
            frame: Frame::Binary(vec![1, 2, 3]),
            compress: true
        }]
    );
    s.handle_ws_frame(at(270), text("4over ws"));
    assert_eq!(events(&mut s), [message("over ws")]);
    s.handle_timeout(at(25_000));
    assert_eq!(transmits(&mut s), [ws_send("2")]);
}

#[test]
fn a_post_begun_before_the_upgrade_still_counts() {
    let mut s = polling();
    assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
    s.handle_ws_frame(at(2), text("2probe"));
    assert_eq!(s.handle_poll_post_start(at(3), false), Ok(()));
    s.handle_ws_frame(at(4), text("5"));
    assert_eq!(s.handle_poll_post(at(5), "4sent on polling"), Ok(()));
    assert_eq!(
        events(&mut s),
        [
            Event::Upgrading,
            Event::Upgrade(Transport::WebSocket),
            message("sent on polling")
        ]
    );
}

#[test]
fn without_5_in_time_the_probe_is_closed_and_polling_goes_on() {
    let mut s = polling();
    assert_eq!(s.handle_ws_upgrade(at(100)), Ok(()));
    s.handle_ws_frame(at(110), text("2probe"));
    let _ = (transmits(&mut s), events(&mut s));
    assert_eq!(s.poll_timeout(), Some(at(10_100)));
    s.handle_timeout(at(10_100));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), []);
    assert!(!s.is_upgrading() && !s.is_closed());
    assert_eq!(s.transport(), Transport::Polling);
    assert_eq!(
        s.handle_poll_get(at(10_200)),
        Ok(GetOutcome::Wait),
        "GETs park again"
    );
    s.handle_ws_frame(at(10_300), text("5"));
    assert_eq!(events(&mut s), [], "a late 5 has no WebSocket to arrive on");
    assert_eq!(
        s.handle_ws_upgrade(at(10_400)),
        Ok(()),
        "a new attempt is allowed"
    );
}

#[test]
fn a_probe_that_sends_anything_else_fails() {
    let mut s = polling();
    assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
    s.handle_ws_frame(at(2), text("4hi"));
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(events(&mut s), []);
    assert_eq!(
        s.poll_timeout(),
        Some(at(25_000)),
        "the upgrade timer is gone"
    );

    assert_eq!(s.handle_ws_upgrade(at(3)), Ok(()));
    s.handle_ws_close(at(4));
    assert_eq!(transmits(&mut s), []);
    assert!(!s.is_upgrading() && !s.is_closed());
}

#[test]
fn close_answers_the_parked_get_with_close() {
    let mut s = polling();
    assert_eq!(s.handle_poll_get(at(1)), Ok(GetOutcome::Wait));
    s.close(at(2));
    assert_eq!(transmits(&mut s), [poll_response("1")]);
    s.close(at(3));
    assert_eq!(
        events(&mut s),
        [Event::Close(CloseReason::ForcedClose)],
        "once"
    );
    s.send(Message::Text("dropped".into()));
    assert_eq!(s.buffered_len(), 0);
    assert_eq!(s.handle_poll_get(at(4)), Err(RequestError::Closed));
    assert_eq!(s.handle_ws_upgrade(at(4)), Err(RequestError::Closed));
}

#[test]
fn close_without_a_get_flushes_in_the_next_one() {
    let mut s = polling();
    s.send(Message::Text("a".into()));
    s.close(at(1_000));
    assert_eq!(s.ready_state(), ReadyState::Closing);
    assert_eq!(events(&mut s), []);
    s.send(Message::Text("dropped".into()));
    assert_eq!(post(&mut s, 1_500, "4ignored\u{1e}3"), Ok(()));
    assert_eq!(events(&mut s), []);
    assert_eq!(
        s.poll_timeout(),
        Some(at(31_000)),
        "no more pings, only the close timeout"
    );
    assert_eq!(
        s.handle_poll_get(at(2_000)),
        respond("4a"),
        "the buffered packets alone: the reference's client would lose them next to a `1`"
    );
    assert_eq!(events(&mut s), []);
    assert_eq!(s.ready_state(), ReadyState::Closing);
    assert_eq!(s.handle_poll_get(at(2_100)), respond("1"));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    assert!(s.is_closed());

    // Nothing buffered: the next GET gets `1` at once.
    let mut s = polling();
    s.close(at(1_000));
    assert_eq!(s.handle_poll_get(at(2_000)), respond("1"));
    assert!(s.is_closed());

    let mut s = polling();
    s.close(at(1_000));
    s.handle_timeout(at(31_000));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
}

#[test]
fn close_on_websocket_sends_close_then_closes() {
    let mut s = websocket();
    s.send(Message::Text("a".into()));
    s.close(at(1));
    s.close(at(2));
    assert_eq!(
        transmits(&mut s),
        [ws_send("4a"), ws_send("1"), Transmit::WsClose]
    );
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    s.handle_ws_frame(at(3), text("4late"));
    s.handle_ws_close(at(4));
    assert_eq!(events(&mut s), []);
}

#[test]
fn the_peer_closing_the_websocket_closes_the_session() {
    let mut s = websocket();
    s.handle_ws_close(at(1));
    assert_eq!(transmits(&mut s), []);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
}

#[test]
fn close_during_an_upgrade_finishes_on_the_new_transport() {
    let mut s = polling();
    assert_eq!(s.handle_ws_upgrade(at(1)), Ok(()));
    s.handle_ws_frame(at(2), text("2probe"));
    let _ = (transmits(&mut s), events(&mut s));
    s.send(Message::Text("a".into()));
    s.close(at(3));
    s.handle_ws_frame(at(4), text("5"));
    assert_eq!(
        transmits(&mut s),
        [ws_send("4a"), ws_send("1"), Transmit::WsClose]
    );
    assert_eq!(
        events(&mut s),
        [
            Event::Upgrade(Transport::WebSocket),
            Event::Close(CloseReason::ForcedClose)
        ]
    );
}

#[test]
fn request_errors_read_lowercase() {
    assert_eq!(RequestError::GetOverlap.to_string(), "overlap from client");
    assert_eq!(
        RequestError::PayloadTooLarge.to_string(),
        "polling body exceeds maxPayload"
    );
}

#[test]
fn request_errors_answer_as_the_reference() {
    use crate::engine::endpoint::ErrorCode;
    let answers = [
        (RequestError::Closed, Some(ErrorCode::UnknownSid), 400),
        (
            RequestError::TransportMismatch,
            Some(ErrorCode::BadRequest),
            400,
        ),
        (
            RequestError::UpgradeNotAllowed,
            Some(ErrorCode::BadRequest),
            400,
        ),
        (RequestError::GetOverlap, None, 400),
        (RequestError::PostOverlap, None, 400),
        (RequestError::BinaryContent, None, 400),
        (RequestError::PayloadTooLarge, None, 413),
    ];
    for (error, code, status) in answers {
        assert_eq!(
            (error.code(), error.http_status()),
            (code, status),
            "{error:?}"
        );
    }
}

/// The `compress` flag, as engine.io passes it per packet: a polling payload may be compressed
/// when some packet in it has the flag (`packets.some(p => p.options.compress)`); a WebSocket
/// frame carries its own packet's flag, also for packets buffered on polling before an upgrade.
#[test]
fn the_compress_flag_goes_with_each_packet() {
    let plain = |body: &str| PollPayload {
        body: body.to_string(),
        compress: false,
    };
    let mut s = polling();
    s.send_all(
        [Message::Text("a".into()), Message::Text("b".into())],
        false,
    );
    assert_eq!(
        s.handle_poll_get(at(1)),
        Ok(GetOutcome::Respond(plain("4a\x1e4b")))
    );
    // One packet with the flag among packets without: the payload may be compressed.
    s.send_all([Message::Text("a".into())], false);
    s.send(Message::Text("b".into()));
    assert_eq!(s.handle_poll_get(at(2)), respond("4a\x1e4b"));
    // A parked GET answered by packets without the flag.
    assert_eq!(s.handle_poll_get(at(3)), Ok(GetOutcome::Wait));
    s.send_all([Message::Text("c".into())], false);
    assert_eq!(transmits(&mut s), [Transmit::PollResponse(plain("4c"))]);

    // Buffered on polling during the upgrade, each keeps its flag on the WebSocket.
    assert_eq!(s.handle_ws_upgrade(at(10)), Ok(()));
    s.send_all([Message::Text("d".into())], false);
    s.send(Message::Text("e".into()));
    s.handle_ws_frame(at(11), text("2probe"));
    let _ = transmits(&mut s);
    s.handle_ws_frame(at(12), text("5"));
    let uncompressed = |s: &str| Transmit::WsSend {
        frame: text(s),
        compress: false,
    };
    assert_eq!(transmits(&mut s), [uncompressed("4d"), ws_send("4e")]);
    s.send_all([Message::Binary(vec![1])], false);
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsSend {
            frame: Frame::Binary(vec![1]),
            compress: false
        }]
    );
}
