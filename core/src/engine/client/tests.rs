//! The client session's sequences against engine.io-client 6.6's requests and answers.

use super::*;
use crate::url::{EngineUrl, ServerUrl};
use alloc::string::ToString;
use alloc::vec;

const SID: &str = "lv_VI97HAXpY6yYWAAAC";
const HANDSHAKE: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const HANDSHAKE_NO_UPGRADES: &str = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const POLL: &str = "http://localhost:3000/engine.io/?EIO=4&transport=polling";
const WS: &str = "ws://localhost:3000/engine.io/?EIO=4&transport=websocket";

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn config() -> Config {
    Config::new(EngineUrl {
        server: ServerUrl::parse("http://localhost:3000").unwrap(),
        path: "/engine.io/".into(),
        query: vec![],
    })
}

/// Timestamps off, so URLs are literal.
fn plain(upgrade: bool) -> Config {
    let mut c = config();
    c.timestamp_requests = Some(false);
    c.upgrade = upgrade;
    c
}

fn transmits(s: &mut Session) -> Vec<Transmit> {
    core::iter::from_fn(|| s.poll_transmit()).collect()
}

fn events(s: &mut Session) -> Vec<Event> {
    core::iter::from_fn(|| s.poll_event()).collect()
}

fn get(url: &str) -> Transmit {
    Transmit::PollGet {
        url: url.to_string(),
    }
}

fn sid_poll() -> String {
    alloc::format!("{POLL}&sid={SID}")
}

fn post(body: &str) -> Transmit {
    Transmit::PollPost {
        url: sid_poll(),
        body: body.to_string(),
    }
}

fn text(s: &str) -> Frame {
    Frame::Text(s.to_string())
}

fn msg(s: &str) -> Message {
    Message::Text(s.to_string())
}

/// A session open on long-polling at t=0 (upgrade as asked), outputs drained, one GET in flight.
fn open_polling(upgrade: bool, handshake: &str) -> Session {
    let mut s = Session::new(ms(0), plain(upgrade), 1);
    assert_eq!(transmits(&mut s), [get(POLL)]);
    s.handle_poll_response(ms(0), Ok(handshake.into()));
    let _ = transmits(&mut s);
    assert!(matches!(events(&mut s).as_slice(), [Event::Open(_)]));
    s
}

/// A session open on long-polling whose probe WebSocket got `3probe`.
fn probing() -> Session {
    let mut s = open_polling(true, HANDSHAKE);
    s.handle_ws_open(ms(1));
    assert_eq!(transmits(&mut s), [Transmit::WsSend(text("2probe"))]);
    s
}

#[test]
fn polling_handshake_with_cache_busting_tokens() {
    let mut s = Session::new(ms(0), config(), 42);
    assert_eq!(s.state(), State::Opening);
    assert_eq!(s.transport(), Some(Transport::Polling));
    assert_eq!(
        transmits(&mut s),
        [get(&alloc::format!("{POLL}&t=lTSo9Y_"))]
    );
    assert_eq!(s.poll_timeout(), None);

    s.handle_poll_response(ms(5), Ok(HANDSHAKE.into()));
    let sid = Sid::new(SID).unwrap();
    assert_eq!(s.sid(), Some(&sid));
    assert_eq!(s.state(), State::Open);
    match events(&mut s).as_slice() {
        [Event::Open(h)] => {
            assert_eq!(h.sid, sid);
            assert_eq!(h.max_payload, 1_000_000);
        }
        other => panic!("{other:?}"),
    }
    // The next GET carries the sid and a fresh token; the probe goes to the WebSocket URL,
    // which has no token by default.
    assert_eq!(
        transmits(&mut s),
        [
            Transmit::WsOpen {
                url: alloc::format!("{WS}&sid={SID}")
            },
            get(&alloc::format!("{POLL}&t=lTSo9Z0&sid={SID}")),
        ]
    );
    assert_eq!(s.poll_timeout(), Some(ms(45_005)));
}

#[test]
fn timestamp_requests_option() {
    let mut c = config();
    c.timestamp_requests = Some(true);
    c.transports = vec![Transport::WebSocket];
    let mut s = Session::new(ms(0), c, 42);
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsOpen {
            url: alloc::format!("{WS}&t=lTSo9Y_")
        }]
    );

    let mut s = Session::new(ms(0), plain(true), 42);
    assert_eq!(transmits(&mut s), [get(POLL)]);
}

/// `timestampParam`: the token under another name, which a query pair of that name gives way to.
#[test]
fn timestamp_param_option() {
    let mut c = config();
    c.timestamp_requests = Some(true);
    c.transports = vec![Transport::WebSocket];
    c.timestamp_param = "ts".into();
    c.url.query = vec![("ts".into(), "mine".into()), ("t".into(), "kept".into())];
    let mut s = Session::new(ms(0), c, 42);
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsOpen {
            url: alloc::format!("{WS}&ts=lTSo9Y_")
        }]
    );
}

#[test]
fn websocket_only_handshake_ignores_upgrades() {
    let mut c = plain(true);
    c.transports = vec![Transport::WebSocket];
    let mut s = Session::new(ms(0), c, 1);
    assert_eq!(s.transport(), Some(Transport::WebSocket));
    assert_eq!(transmits(&mut s), [Transmit::WsOpen { url: WS.into() }]);
    s.send(msg("early"));
    s.handle_ws_open(ms(1));
    // Nothing is written before the open packet.
    assert_eq!(transmits(&mut s), []);
    s.handle_ws_frame(ms(2), text(HANDSHAKE));
    assert!(matches!(events(&mut s).as_slice(), [Event::Open(_)]));
    // No probe although the handshake lists "websocket"; the early message goes out.
    assert_eq!(transmits(&mut s), [Transmit::WsSend(text("4early"))]);
    assert!(s.prior_websocket_success());
    assert!(s.is_writable());

    s.send(msg("hello"));
    s.send(Message::Binary(vec![1, 2, 3]));
    assert_eq!(
        transmits(&mut s),
        [
            Transmit::WsSend(text("4hello")),
            Transmit::WsSend(Frame::Binary(vec![1, 2, 3]))
        ]
    );

    s.handle_ws_frame(ms(3), text("4world"));
    s.handle_ws_frame(ms(3), Frame::Binary(vec![4, 5]));
    assert_eq!(
        events(&mut s),
        [
            Event::Message(msg("world")),
            Event::Message(Message::Binary(vec![4, 5]))
        ]
    );
}

#[test]
fn heartbeat_on_websocket_answers_at_once_and_times_out() {
    let mut c = plain(true);
    c.transports = vec![Transport::WebSocket];
    let mut s = Session::new(ms(0), c, 1);
    let _ = transmits(&mut s);
    s.handle_ws_open(ms(0));
    s.handle_ws_frame(ms(10), text(HANDSHAKE_NO_UPGRADES));
    let _ = events(&mut s);
    assert_eq!(s.poll_timeout(), Some(ms(45_010)));

    s.handle_ws_frame(ms(25_010), text("2"));
    assert_eq!(transmits(&mut s), [Transmit::WsSend(text("3"))]);
    assert_eq!(events(&mut s), [Event::Ping]);
    assert_eq!(s.poll_timeout(), Some(ms(70_010)));

    s.handle_timeout(ms(70_009));
    assert_eq!(s.state(), State::Open);
    s.handle_timeout(ms(70_010));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::PingTimeout)]);
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert_eq!(s.poll_timeout(), None);
    s.send(msg("late"));
    s.handle_ws_frame(ms(70_011), text("4late"));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
}

#[test]
fn packet_events_are_opt_in_and_come_before_the_packet_is_acted_on() {
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_poll_response(ms(1), Ok("4hello\x1e2".into()));
    assert_eq!(events(&mut s), [Event::Message(msg("hello")), Event::Ping]);
    let _ = transmits(&mut s);

    s.set_packet_events(true);
    s.handle_poll_response(ms(2), Ok("4hello\x1e2\x1e1".into()));
    assert_eq!(
        events(&mut s),
        [
            Event::Packet(Packet::Message("hello".into())),
            Event::Message(msg("hello")),
            Event::Packet(Packet::Ping),
            Event::Ping,
            Event::Packet(Packet::Close),
            Event::Close(CloseReason::TransportClose),
        ]
    );
}

#[test]
fn heartbeat_on_polling_pongs_in_the_next_post() {
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_poll_response(ms(25_000), Ok("2".into()));
    assert_eq!(events(&mut s), [Event::Ping]);
    assert_eq!(transmits(&mut s), [post("3"), get(&sid_poll())]);
    assert_eq!(s.poll_timeout(), Some(ms(70_000)));

    // A ping while the POST is in flight waits for it.
    s.handle_poll_response(ms(50_000), Ok("2".into()));
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    assert!(!s.is_writable());
    s.handle_post_response(ms(50_001), Ok(()));
    assert_eq!(transmits(&mut s), [post("3")]);

    // No ping: closed at pingInterval + pingTimeout, the requests in flight aborted.
    s.handle_timeout(ms(95_000));
    assert_eq!(
        events(&mut s),
        [Event::Ping, Event::Close(CloseReason::PingTimeout)]
    );
    assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
}

#[test]
fn one_get_in_flight_and_messages_in_order() {
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_poll_response(ms(1), Ok("4hello\x1ebAQIDBA==\x1e6\x1e4world".into()));
    assert_eq!(
        events(&mut s),
        [
            Event::Message(msg("hello")),
            Event::Message(Message::Binary(vec![1, 2, 3, 4])),
            Event::Message(msg("world")),
        ]
    );
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    // An empty answer is an empty payload... which is not Engine.IO: a record needs a type.
    s.handle_poll_response(ms(2), Ok(String::new()));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
}

#[test]
fn posts_are_serialized_and_batched() {
    let mut s = open_polling(false, HANDSHAKE);
    s.send(msg("a"));
    assert_eq!(transmits(&mut s), [post("4a")]);
    s.send(msg("b"));
    s.send(Message::Binary(vec![1, 2, 3]));
    s.send(msg("c"));
    assert_eq!(transmits(&mut s), []);
    s.handle_post_response(ms(1), Ok(()));
    assert_eq!(transmits(&mut s), [post("4b\x1ebAQID\x1e4c")]);
    s.handle_post_response(ms(2), Ok(()));
    assert_eq!(transmits(&mut s), []);
    assert!(s.is_writable());
}

#[test]
fn posts_are_split_by_max_payload() {
    let mut s = Session::new(ms(0), plain(false), 1);
    let _ = transmits(&mut s);
    // Buffered before the handshake, flushed when it arrives.
    for m in ["aaaa", "bbbb", "c", "0123456789abcdef", "d"] {
        s.send(msg(m));
    }
    let small = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":11}"#;
    s.handle_poll_response(ms(0), Ok(small.into()));
    // "4aaaa\x1e4bbbb" is exactly 11 bytes; adding "\x1e4c" would be 14.
    assert_eq!(
        transmits(&mut s),
        [post("4aaaa\x1e4bbbb"), get(&sid_poll())]
    );
    s.handle_post_response(ms(1), Ok(()));
    assert_eq!(transmits(&mut s), [post("4c")]);
    // A packet over the limit goes alone.
    s.handle_post_response(ms(2), Ok(()));
    assert_eq!(transmits(&mut s), [post("40123456789abcdef")]);
    s.handle_post_response(ms(3), Ok(()));
    assert_eq!(transmits(&mut s), [post("4d")]);
}

#[test]
fn close_packet_and_noop_from_the_server() {
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_poll_response(ms(1), Ok("6".into()));
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    assert_eq!(events(&mut s), []);
    s.send(msg("a"));
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(2), Ok("4bye\x1e1\x1e4ignored".into()));
    assert_eq!(
        events(&mut s),
        [
            Event::Message(msg("bye")),
            Event::Close(CloseReason::TransportClose)
        ]
    );
    // The POST still in flight is aborted; no new GET.
    assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn going_offline_closes_at_once_except_on_localhost() {
    // On localhost (loopback works offline) the event is ignored.
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_offline(ms(1));
    assert_eq!(events(&mut s), []);
    assert_eq!(s.state(), State::Open);

    let mut c = plain(false);
    c.url.server = ServerUrl::parse("http://127.0.0.1:3000").unwrap();
    let mut s = Session::new(ms(0), c, 1);
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(0), Ok(HANDSHAKE.into()));
    let _ = transmits(&mut s);
    let _ = events(&mut s);
    s.handle_offline(ms(1));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
    assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn invalid_data_is_a_parse_error() {
    let mut s = open_polling(false, HANDSHAKE);
    s.handle_poll_response(ms(1), Ok("4ok\x1e9x".into()));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
    assert_eq!(transmits(&mut s), []);

    let mut c = plain(false);
    c.transports = vec![Transport::WebSocket];
    let mut s = Session::new(ms(0), c, 1);
    let _ = transmits(&mut s);
    s.handle_ws_open(ms(0));
    s.handle_ws_frame(ms(0), text("0{}"));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ParseError)]);
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
}

#[test]
fn the_first_packet_must_be_the_handshake() {
    let mut s = Session::new(ms(0), plain(false), 1);
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(0), Ok("4hi".into()));
    assert!(matches!(
        events(&mut s).as_slice(),
        [Event::Close(CloseReason::ProtocolViolation(_))]
    ));
    assert_eq!(transmits(&mut s), []);
}

#[test]
fn upgrade_to_websocket() {
    let mut s = probing();
    assert_eq!(s.transport(), Some(Transport::Polling));
    // While probing, long-polling carries the traffic.
    s.send(msg("during"));
    assert_eq!(transmits(&mut s), [post("4during")]);

    s.handle_ws_frame(ms(2), text("3probe"));
    assert_eq!(events(&mut s), [Event::Upgrading(Transport::WebSocket)]);
    assert!(s.is_upgrading());
    assert!(s.prior_websocket_success());
    // The GET and the POST are still in flight: pausing; new sends wait.
    s.send(msg("buffered"));
    assert_eq!(transmits(&mut s), []);
    s.handle_post_response(ms(3), Ok(()));
    assert_eq!(transmits(&mut s), []);
    // The server answers the pending GET with a noop; then the switch.
    s.handle_poll_response(ms(4), Ok("6".into()));
    assert_eq!(
        transmits(&mut s),
        [
            Transmit::WsSend(text("5")),
            Transmit::WsSend(text("4buffered"))
        ]
    );
    assert_eq!(events(&mut s), [Event::Upgrade(Transport::WebSocket)]);
    assert_eq!(s.transport(), Some(Transport::WebSocket));

    // From now on: frames only, no more GETs.
    s.send(msg("after"));
    s.handle_ws_frame(ms(25_000), text("2"));
    assert_eq!(
        transmits(&mut s),
        [
            Transmit::WsSend(text("4after")),
            Transmit::WsSend(text("3"))
        ]
    );
    assert_eq!(events(&mut s), [Event::Ping]);
}

#[test]
fn a_ping_during_the_pause_is_answered_after_the_switch() {
    let mut s = probing();
    s.handle_ws_frame(ms(2), text("3probe"));
    let _ = events(&mut s);
    s.handle_poll_response(ms(3), Ok("2\x1e6".into()));
    assert_eq!(
        events(&mut s),
        [Event::Ping, Event::Upgrade(Transport::WebSocket)]
    );
    assert_eq!(
        transmits(&mut s),
        [Transmit::WsSend(text("5")), Transmit::WsSend(text("3"))]
    );
}

#[test]
fn probe_closed_before_3probe_keeps_polling() {
    let mut s = probing();
    s.handle_ws_close(ms(2));
    assert_eq!(
        events(&mut s),
        [Event::UpgradeError(ProbeError::TransportClosed)]
    );
    assert_eq!(transmits(&mut s), []);
    assert_eq!(s.transport(), Some(Transport::Polling));
    s.handle_poll_response(ms(3), Ok("4still".into()));
    assert_eq!(events(&mut s), [Event::Message(msg("still"))]);
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
}

#[test]
fn probe_answered_with_anything_else_fails_and_is_closed() {
    let mut s = probing();
    s.handle_ws_frame(ms(2), text("4nope"));
    assert_eq!(
        events(&mut s),
        [Event::UpgradeError(ProbeError::UnexpectedPacket)]
    );
    assert_eq!(transmits(&mut s), [Transmit::WsClose]);
    assert!(!s.prior_websocket_success());
    s.send(msg("x"));
    assert_eq!(transmits(&mut s), [post("4x")]);
}

#[test]
fn probe_lost_during_the_pause_resumes_polling() {
    let mut s = probing();
    s.send(msg("in flight"));
    let _ = transmits(&mut s);
    s.handle_ws_frame(ms(2), text("3probe"));
    s.send(msg("waiting"));
    s.handle_ws_close(ms(3));
    assert_eq!(
        events(&mut s),
        [
            Event::Upgrading(Transport::WebSocket),
            Event::UpgradeError(ProbeError::TransportClosed)
        ]
    );
    // The GET is still in flight; the POST too, so "waiting" goes after it.
    assert_eq!(transmits(&mut s), []);
    s.handle_post_response(ms(4), Ok(()));
    assert_eq!(transmits(&mut s), [post("4waiting")]);
}

#[test]
fn upgrade_needs_websocket_in_upgrades_and_transports_and_the_option() {
    let s = open_polling(true, HANDSHAKE_NO_UPGRADES);
    assert_eq!(s.ws, Ws::None);
    let s = open_polling(false, HANDSHAKE);
    assert_eq!(s.ws, Ws::None);
    let mut c = plain(true);
    c.transports = vec![Transport::Polling];
    let mut s = Session::new(ms(0), c, 1);
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(0), Ok(HANDSHAKE.into()));
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
}

#[test]
fn transport_failures_close_and_abort() {
    // A failed GET: the POST in flight is aborted.
    let mut s = open_polling(false, HANDSHAKE);
    s.send(msg("a"));
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(400)));
    assert_eq!(
        events(&mut s),
        [
            Event::Error(TransportError::HttpStatus(400)),
            Event::Close(CloseReason::TransportError)
        ]
    );
    assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
    s.send(msg("b"));
    s.handle_post_response(ms(2), Ok(()));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));

    // A failed POST: the GET in flight and the probe are dropped.
    let mut s = probing();
    s.send(msg("a"));
    let _ = transmits(&mut s);
    s.handle_post_response(ms(2), Err(TransportError::Network("reset".into())));
    assert_eq!(transmits(&mut s), [Transmit::PollAbort, Transmit::WsClose]);
    assert_eq!(
        events(&mut s),
        [
            Event::Error(TransportError::Network("reset".into())),
            Event::Close(CloseReason::TransportError)
        ]
    );

    // A WebSocket that goes away: "transport close".
    let mut s = probing();
    s.handle_ws_frame(ms(2), text("3probe"));
    s.handle_poll_response(ms(3), Ok("6".into()));
    let _ = (transmits(&mut s), events(&mut s));
    s.handle_ws_close(ms(4));
    assert_eq!(events(&mut s), [Event::Close(CloseReason::TransportClose)]);
    assert_eq!(transmits(&mut s), []);
}

#[test]
fn failed_connection_tries_the_next_transport_only_when_asked() {
    let mut s = Session::new(ms(0), plain(true), 1);
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(403)));
    assert_eq!(
        events(&mut s),
        [
            Event::Error(TransportError::HttpStatus(403)),
            Event::Close(CloseReason::TransportError)
        ]
    );
    assert_eq!(transmits(&mut s), []);

    let mut c = plain(true);
    c.try_all_transports = true;
    let mut s = Session::new(ms(0), c, 1);
    let _ = transmits(&mut s);
    s.handle_poll_response(ms(1), Err(TransportError::HttpStatus(403)));
    assert_eq!(events(&mut s), []);
    assert_eq!(transmits(&mut s), [Transmit::WsOpen { url: WS.into() }]);
    assert_eq!(s.transport(), Some(Transport::WebSocket));
    // The last one failing closes.
    s.handle_ws_close(ms(2));
    assert_eq!(
        events(&mut s),
        [
            Event::Error(TransportError::WebSocketClosed),
            Event::Close(CloseReason::TransportError)
        ]
    );
}

#[test]
fn close_on_polling_flushes_then_posts_1() {
    let mut s = open_polling(false, HANDSHAKE);
    s.send(msg("a"));
    s.send(msg("b"));
    assert_eq!(transmits(&mut s), [post("4a")]);
    s.close(ms(1));
    assert_eq!(s.state(), State::Closing);
    // Sends after close() are dropped, as in the reference.
    s.send(msg("dropped"));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
    // Messages still arrive while closing.
    s.handle_poll_response(ms(2), Ok("4late".into()));
    assert_eq!(events(&mut s), [Event::Message(msg("late"))]);
    assert_eq!(transmits(&mut s), [get(&sid_poll())]);
    s.handle_post_response(ms(3), Ok(()));
    assert_eq!(transmits(&mut s), [post("4b")]);
    s.handle_post_response(ms(4), Ok(()));
    assert_eq!(transmits(&mut s), [post("1")]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    assert_eq!(s.state(), State::Closed);
    // Idempotent, and the answers to the last requests are ignored.
    s.close(ms(5));
    s.handle_post_response(ms(5), Ok(()));
    s.handle_poll_response(ms(5), Ok("1".into()));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
}

#[test]
fn close_on_websocket_sends_1_and_closes() {
    let mut s = probing();
    s.handle_ws_frame(ms(2), text("3probe"));
    s.close(ms(2));
    // Waits for the switch: the GET is in flight.
    assert_eq!(transmits(&mut s), []);
    s.handle_poll_response(ms(3), Ok("6".into()));
    assert_eq!(
        transmits(&mut s),
        [
            Transmit::WsSend(text("5")),
            Transmit::WsSend(text("1")),
            Transmit::WsClose
        ]
    );
    assert_eq!(
        events(&mut s),
        [
            Event::Upgrading(Transport::WebSocket),
            Event::Upgrade(Transport::WebSocket),
            Event::Close(CloseReason::ForcedClose),
        ]
    );
    s.close(ms(4));
    s.handle_ws_close(ms(4));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
}

#[test]
fn close_while_probing_closes_the_probe() {
    let mut s = probing();
    s.close(ms(2));
    assert_eq!(transmits(&mut s), [post("1"), Transmit::WsClose]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
}

#[test]
fn close_before_the_handshake_aborts() {
    let mut s = Session::new(ms(0), plain(true), 1);
    let _ = transmits(&mut s);
    s.send(msg("never"));
    s.close(ms(1));
    assert_eq!(transmits(&mut s), [Transmit::PollAbort]);
    assert_eq!(events(&mut s), [Event::Close(CloseReason::ForcedClose)]);
    s.handle_poll_response(ms(2), Ok(HANDSHAKE.into()));
    assert_eq!((transmits(&mut s), events(&mut s)), (vec![], vec![]));
}

#[test]
fn remember_upgrade_opens_on_websocket_next_time() {
    let mut s = probing();
    s.handle_ws_frame(ms(2), text("3probe"));
    s.handle_poll_response(ms(3), Ok("6".into()));
    assert!(s.prior_websocket_success());

    let mut c = plain(true);
    c.remember_upgrade = true;
    c.prior_websocket_success = s.prior_websocket_success();
    let mut next = Session::new(ms(0), c.clone(), 1);
    assert_eq!(transmits(&mut next), [Transmit::WsOpen { url: WS.into() }]);
    // It failing resets the memory, as a transport error does in the reference.
    next.handle_ws_close(ms(1));
    assert!(!next.prior_websocket_success());

    c.remember_upgrade = false;
    let mut s = Session::new(ms(0), c, 1);
    assert_eq!(transmits(&mut s), [get(POLL)]);
}

#[test]
fn no_transports_closes_at_once() {
    let mut c = plain(true);
    c.transports = vec![];
    let mut s = Session::new(ms(0), c, 1);
    assert_eq!(s.transport(), None);
    assert_eq!(transmits(&mut s), []);
    assert_eq!(
        events(&mut s),
        [
            Event::Error(TransportError::NoTransports),
            Event::Close(CloseReason::TransportError)
        ]
    );
}
