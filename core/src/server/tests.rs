//! One connection end to end: a parked GET and shared frames through the glued engine session.

use super::*;
use crate::engine::server::PollPayload;
use crate::socket::Parser;
use alloc::string::ToString;
use alloc::vec;

/// A polling connection with the main namespace joined, its open packet and CONNECT answer
/// already fetched, so the next GET parks.
fn joined() -> Connection {
    let now = Instant::from_millis(0);
    let mut conn = Connection::new(
        now,
        Sid::from_random([7; 15]),
        Transport::Polling,
        engine_server::Config::default(),
        socket_server::Config::default(),
    );
    conn.handle_poll_post(now, "40").unwrap();
    while conn.poll_event().is_some() {}
    conn.accept(now, &Nsp::root(), "s".to_string(), None)
        .unwrap();
    let GetOutcome::Respond(PollPayload { body, .. }) = conn.handle_poll_get(now).unwrap() else {
        panic!("the CONNECT answer waits")
    };
    assert!(body.ends_with("\x1e40{\"sid\":\"s\"}"), "{body}");
    conn
}

#[test]
fn a_parked_get_carries_a_packet_with_all_its_attachments() {
    let now = Instant::from_millis(1);
    let mut conn = joined();
    assert_eq!(conn.handle_poll_get(now).unwrap(), GetOutcome::Wait);
    let args = r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    let args = Args::from_json(args, vec![vec![0], vec![255]]).unwrap();
    conn.ack(now, &Nsp::root(), AckId(3), args).unwrap();
    let transmits: Vec<_> = core::iter::from_fn(|| conn.poll_transmit()).collect();
    assert_eq!(
        transmits,
        [Transmit::PollResponse(PollPayload {
            body: "462-3[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]\x1ebAA==\x1eb/w=="
                .to_string(),
            compress: true
        })]
    );
}

/// The driver writes a broadcast's shared frames itself only where the engine would send at
/// once: an open WebSocket session with the socket joined; polling and a probe in progress
/// queue copies.
#[test]
fn shared_frames_go_only_on_an_open_websocket() {
    let now = Instant::from_millis(1);
    let encoded = |nsp: &str| {
        let args = Args::from_json(r#"["news",1]"#, vec![]).unwrap();
        Encoded::event(Parser::Json, &Nsp::new(nsp).unwrap(), args, None).unwrap()
    };
    let polling = joined();
    assert!(!polling.can_send_encoded_frames(&encoded("/")));

    let mut ws = Connection::new(
        now,
        Sid::from_random([8; 15]),
        Transport::WebSocket,
        engine_server::Config::default(),
        socket_server::Config::default(),
    );
    assert!(!ws.can_send_encoded_frames(&encoded("/")), "not joined yet");
    ws.handle_ws_frame(now, Frame::Text("40".to_string()));
    while ws.poll_event().is_some() {}
    ws.accept(now, &Nsp::root(), "s".to_string(), None).unwrap();
    while ws.poll_transmit().is_some() {}
    assert!(ws.can_send_encoded_frames(&encoded("/")));
    assert!(
        !ws.can_send_encoded_frames(&encoded("/admin")),
        "another namespace"
    );
    ws.close(now);
    assert!(!ws.can_send_encoded_frames(&encoded("/")), "closed");
}

/// An emit's and a broadcast's `compress` flag reach the engine with their messages, and only
/// theirs: the next packet (an ack) has the default again.
#[test]
fn the_compress_flag_of_an_emit_reaches_the_engine() {
    let now = Instant::from_millis(1);
    let mut conn = joined();
    let args = || Args::from_json(r#"["news",1]"#, vec![]).unwrap();
    let emit = socket_server::Emit::new(args()).with_compress(false);
    conn.emit(now, &Nsp::root(), emit).unwrap();
    let encoded = Encoded::event(Parser::Json, &Nsp::root(), args(), None)
        .unwrap()
        .with_compress(false);
    conn.send_encoded(now, &encoded).unwrap();
    let GetOutcome::Respond(payload) = conn.handle_poll_get(now).unwrap() else {
        panic!("two events wait")
    };
    assert_eq!(payload.body, "42[\"news\",1]\x1e42[\"news\",1]");
    assert!(!payload.compress);
    conn.ack(
        now,
        &Nsp::root(),
        AckId(1),
        Args::from_json("[]", vec![]).unwrap(),
    )
    .unwrap();
    let GetOutcome::Respond(payload) = conn.handle_poll_get(now).unwrap() else {
        panic!("the ack waits")
    };
    assert!(payload.compress, "{payload:?}");
}
