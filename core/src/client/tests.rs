//! What closed the engine, as the reference describes it, for each way an engine is lost.

use super::*;
use crate::engine::Transport;
use crate::engine::client::TransportError;
use crate::url::{EngineUrl, ServerUrl};
use alloc::string::ToString;
use alloc::vec;

const HANDSHAKE: &str =
    r#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// An open client on `transport`, its engine id, and the events of its opening drained.
fn open(transport: Transport) -> (Client, EngineId) {
    let url = EngineUrl {
        server: ServerUrl::parse("http://example.com").unwrap(),
        path: "/socket.io/".to_string(),
        query: vec![],
    };
    let mut config = Config::new(url);
    config.engine.transports = vec![transport];
    let mut c = Client::new(at(0), config, 1);
    let (id, _) = c.poll_transmit().unwrap();
    match transport {
        Transport::Polling => {
            c.handle_poll_response(at(1), id, Ok(HANDSHAKE.to_string()));
        }
        _ => {
            c.handle_ws_open(at(1), id);
            c.handle_ws_frame(at(1), id, Frame::Text(HANDSHAKE.to_string()));
        }
    }
    while c.poll_transmit().is_some() {}
    let opened = descriptions_and_close(&mut c);
    assert_eq!(opened, (vec![], false));
    (c, id)
}

/// The close descriptions reported, and whether the manager's `close` came after them.
fn descriptions_and_close(c: &mut Client) -> (Vec<CloseDescription>, bool) {
    let mut out = Vec::new();
    let mut closed = false;
    while let Some(e) = c.poll_event() {
        match e {
            Event::CloseDescription(d) => {
                assert!(!closed, "the description comes before the close");
                out.push(d);
            }
            Event::Manager(socket_client::Event::Close(_)) => closed = true,
            _ => {}
        }
    }
    (out, closed)
}

#[test]
fn each_way_an_engine_is_lost_has_the_reference_description() {
    let (mut c, id) = open(Transport::Polling);
    c.handle_poll_response(at(2), id, Ok("1".to_string()));
    assert_eq!(
        descriptions_and_close(&mut c),
        (vec![CloseDescription::ClosedByServer], true)
    );

    let (mut c, id) = open(Transport::Polling);
    c.handle_poll_response(at(2), id, Err(TransportError::HttpStatus(400)));
    let (descriptions, closed) = descriptions_and_close(&mut c);
    assert!(closed);
    assert_eq!(
        descriptions,
        [CloseDescription::TransportError(
            TransportError::HttpStatus(400)
        )]
    );
    assert_eq!(descriptions[0].text(), "unexpected http status 400");

    let (mut c, _) = open(Transport::Polling);
    c.handle_offline(at(2));
    assert_eq!(
        descriptions_and_close(&mut c),
        (vec![CloseDescription::NetworkLost], true)
    );

    let (mut c, id) = open(Transport::WebSocket);
    c.handle_ws_close(at(2), id);
    assert_eq!(
        descriptions_and_close(&mut c),
        (vec![CloseDescription::WebSocketClosed], true)
    );
    assert_eq!(
        CloseDescription::WebSocketClosed.text(),
        "websocket connection closed"
    );

    // None when this end closes, nor on a ping timeout.
    let (mut c, _) = open(Transport::WebSocket);
    c.close(at(2));
    assert_eq!(descriptions_and_close(&mut c), (vec![], true));
    let (mut c, _) = open(Transport::WebSocket);
    c.handle_timeout(at(60_000));
    assert_eq!(descriptions_and_close(&mut c), (vec![], true));
}

/// With deferred opens, a reconnection reports `reconnect_attempt`, then [`Event::EngineOpening`],
/// and the engine opens only on [`Client::open_engine`], with the configuration set then (the
/// reference reads `io.opts` as it opens: a `reconnect_attempt` listener can change the query).
#[test]
fn a_deferred_open_reads_the_configuration_set_after_reconnect_attempt() {
    let (mut c, id) = open(Transport::Polling);
    c.set_deferred_open(true);
    c.handle_poll_response(at(2), id, Err(TransportError::HttpStatus(400)));
    while c.poll_event().is_some() {}
    while c.poll_transmit().is_some() {}
    let due = c.poll_timeout().unwrap();
    c.handle_timeout(due);
    let events: Vec<Event> = core::iter::from_fn(|| c.poll_event()).collect();
    assert!(matches!(
        events.as_slice(),
        [
            Event::Manager(socket_client::Event::ReconnectAttempt(1)),
            Event::EngineOpening
        ]
    ));
    assert!(
        c.poll_transmit().is_none(),
        "nothing opens before open_engine"
    );
    assert!(c.engine().is_none());

    let mut config = c.engine_config().clone();
    config.url.query = vec![("token".to_string(), "new".to_string())];
    c.set_engine_config(config);
    c.open_engine(due);
    match c.poll_transmit() {
        Some((_, Transmit::PollGet { url })) => assert!(url.contains("&token=new&"), "{url}"),
        other => panic!("expected the new engine's GET, got {other:?}"),
    }
    c.open_engine(due);
    assert!(c.poll_transmit().is_none(), "one engine per EngineOpening");
}

/// `engine.close()`: the manager hears a forced close and reconnects.
#[test]
fn closing_the_engine_is_a_forced_close_the_manager_reconnects_after() {
    let (mut c, _) = open(Transport::WebSocket);
    c.close_engine(at(2));
    let events: Vec<Event> = core::iter::from_fn(|| c.poll_event()).collect();
    assert!(events.contains(&Event::Manager(socket_client::Event::Close(
        CloseReason::ForcedClose
    ))));
    assert!(c.manager().is_reconnecting());
}
