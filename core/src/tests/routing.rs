//! The simulated server routes as the tokio server does, by the core's Engine.IO endpoint: what
//! it refuses, it refuses as the reference does (the codes are the endpoint's own tests').

use alloc::format;
use alloc::string::String;

use super::sim::{Kind, RawEvent, Sim, SimConfig};
use crate::engine::Frame;
use crate::engine::client::TransportError;

const REFUSED: RawEvent = RawEvent::Response(Err(TransportError::HttpStatus(400)));

/// A server with only the fake client: no Socket.IO client connects.
fn bare() -> Sim {
    let mut config = SimConfig::new(21);
    config.client.manager.auto_connect = false;
    Sim::new(config)
}

/// The last thing the fake client saw on `conn`.
fn last(sim: &Sim, conn: u64) -> Option<&RawEvent> {
    sim.raw_log
        .iter()
        .rev()
        .find(|(_, c, _)| *c == conn)
        .map(|(_, _, e)| e)
}

/// A polling handshake's sid, from its open packet.
fn polling_session(sim: &mut Sim) -> String {
    let get = sim.raw_get(None);
    sim.run_for(100);
    let Some(RawEvent::Response(Ok(open))) = last(sim, get) else {
        panic!("no open packet: {:?}", last(sim, get))
    };
    sid_of(open)
}

/// The sid of an open packet.
fn sid_of(open: &str) -> String {
    let rest = &open[open.find(r#""sid":""#).expect("a sid") + 7..];
    String::from(&rest[..rest.find('"').expect("a quoted sid")])
}

#[test]
fn a_handshake_needs_eio_4() {
    let mut sim = bare();
    let missing = sim.raw_request(Kind::Get, "transport=polling", "");
    let three = sim.raw_request(Kind::Get, "EIO=3&transport=polling", "");
    let ws = sim.raw_request(Kind::Ws, "EIO=3&transport=websocket", "");
    sim.run_for(100);
    assert_eq!(last(&sim, missing), Some(&REFUSED));
    assert_eq!(last(&sim, three), Some(&REFUSED));
    assert_eq!(last(&sim, ws), Some(&RawEvent::Closed));
    assert_eq!(sim.session_count(), 0);

    let four = sim.raw_request(Kind::Get, "EIO=4&transport=polling", "");
    sim.run_for(100);
    assert!(
        matches!(last(&sim, four), Some(RawEvent::Response(Ok(open))) if open.starts_with("0{")),
        "{:?}",
        last(&sim, four)
    );
    assert_eq!(sim.session_count(), 1);
    sim.assert_clean();
}

#[test]
fn unknown_transports_and_bad_handshakes_are_refused() {
    let mut sim = bare();
    let tobi = sim.raw_request(Kind::Get, "EIO=4&transport=tobi", "");
    let post = sim.raw_request(Kind::Post, "EIO=4&transport=polling", "40");
    let not_an_upgrade = sim.raw_request(Kind::Get, "EIO=4&transport=websocket", "");
    let unknown_sid = sim.raw_request(Kind::Get, "EIO=4&transport=polling&sid=nope", "");
    sim.run_for(100);
    for conn in [tobi, post, not_an_upgrade, unknown_sid] {
        assert_eq!(last(&sim, conn), Some(&REFUSED), "conn {conn}");
    }
    assert_eq!(sim.session_count(), 0);
    sim.assert_clean();
}

#[test]
fn a_session_refuses_another_protocol_and_another_transport() {
    let mut sim = bare();
    let sid = polling_session(&mut sim);
    let eio3 = sim.raw_request(Kind::Get, &format!("EIO=3&transport=polling&sid={sid}"), "");
    let plain_ws = sim.raw_request(
        Kind::Get,
        &format!("EIO=4&transport=websocket&sid={sid}"),
        "",
    );
    sim.run_for(100);
    assert_eq!(last(&sim, eio3), Some(&REFUSED));
    assert_eq!(last(&sim, plain_ws), Some(&REFUSED));
    // Refused by the endpoint, not by the session: it is still open.
    assert_eq!(sim.session_count(), 1);

    // A session on WebSocket takes no polling request.
    sim.raw_auto_pong = true;
    let ws = sim.raw_ws(None);
    sim.run_for(100);
    let open = sim
        .raw_log
        .iter()
        .find_map(|(_, c, e)| match e {
            RawEvent::Frame(Frame::Text(t)) if *c == ws && t.starts_with('0') => Some(t.clone()),
            _ => None,
        })
        .expect("the WebSocket's open packet");
    let ws_sid = sid_of(&open);
    let get = sim.raw_request(
        Kind::Get,
        &format!("EIO=4&transport=polling&sid={ws_sid}"),
        "",
    );
    sim.run_for(100);
    assert_eq!(last(&sim, get), Some(&REFUSED));
    assert_eq!(sim.session_count(), 2);
    sim.assert_clean();
}
