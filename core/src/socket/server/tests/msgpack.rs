//! A connection whose parser is MessagePack: every packet is one binary message, both ways, and the
//! server sees the same events as with JSON.

use super::*;
use crate::socket::msgpack;
use crate::socket::packet::AckId;

fn new_msgpack_client() -> Connection {
    let config = Config {
        parser: Parser::MessagePack,
        ..Config::default()
    };
    Connection::new(at(0), config)
}

fn feed_packet(c: &mut Connection, packet: Packet) {
    let mut bytes = Vec::new();
    msgpack::encode(&packet, &mut bytes);
    c.handle_engine_message(at(0), Message::Binary(bytes));
}

/// What the engine was told, each binary message decoded as a MessagePack packet.
fn sent_packets(c: &mut Connection) -> Vec<Packet> {
    let mut out = Vec::new();
    while let Some(cmd) = c.poll_engine() {
        match cmd {
            EngineCommand::Send(Message::Binary(b)) => {
                out.push(msgpack::decode(&b, &crate::socket::codec::Limits::default()).unwrap());
            }
            other => panic!("not one binary message per packet: {other:?}"),
        }
    }
    out
}

#[test]
fn connect_events_binary_and_acks_travel_as_one_binary_message_each() {
    let mut c = new_msgpack_client();
    feed_packet(
        &mut c,
        Packet::connect(nsp("/admin"), Some(r#"{"t":1}"#.to_string())),
    );
    assert_eq!(
        events(&mut c),
        [connect_event("/admin", Some(r#"{"t":1}"#))]
    );
    c.accept(at(0), &nsp("/admin"), "sid1".to_string(), None)
        .unwrap();
    assert_eq!(
        sent_packets(&mut c),
        [Packet::connect(
            nsp("/admin"),
            Some(r#"{"sid":"sid1"}"#.to_string())
        )]
    );

    // The client's event with a binary and an ack id: the same Event as JSON gives.
    let args = binary_args(r#"["up",{"_placeholder":true,"num":0}]"#, vec![vec![1, 2]]);
    feed_packet(
        &mut c,
        Packet::event(nsp("/admin"), args.clone(), Some(AckId(4))),
    );
    assert_eq!(
        events(&mut c),
        [Event::Event {
            nsp: nsp("/admin"),
            args,
            id: Some(AckId(4))
        }]
    );
    // The server's ack and its own event asking for an ack.
    let reply = binary_args(r#"[{"_placeholder":true,"num":0}]"#, vec![vec![9]]);
    c.ack(at(0), &nsp("/admin"), AckId(4), reply.clone())
        .unwrap();
    let handle = c
        .emit(
            at(0),
            &nsp("/admin"),
            Emit::new(args_of(r#"["q"]"#)).with_ack(None),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        sent_packets(&mut c),
        [
            Packet::ack(nsp("/admin"), reply, AckId(4)),
            Packet::event(nsp("/admin"), args_of(r#"["q"]"#), Some(AckId(0))),
        ]
    );
    feed_packet(&mut c, Packet::ack(nsp("/admin"), args_of("[7]"), AckId(0)));
    assert_eq!(
        events(&mut c),
        [Event::Ack {
            nsp: nsp("/admin"),
            handle,
            result: Ok(args_of("[7]"))
        }]
    );
}

#[test]
fn a_broadcast_is_encoded_once_by_the_connections_parser() {
    let mut c = new_msgpack_client();
    feed_packet(&mut c, Packet::connect(nsp("/"), None));
    c.accept(at(0), &nsp("/"), "s".to_string(), None).unwrap();
    let _ = sent_packets(&mut c);
    let json = Encoded::event(Parser::Json, &nsp("/"), args_of(r#"["b"]"#), None).unwrap();
    assert_eq!(
        c.send_encoded(&json),
        Err(UsageError::OtherParser(Parser::Json))
    );
    let enc = Encoded::event(
        Parser::MessagePack,
        &nsp("/"),
        args_of(r#"["b",1]"#),
        Some("o1"),
    )
    .unwrap();
    assert_eq!(enc.messages().len(), 1);
    c.send_encoded(&enc).unwrap();
    assert_eq!(
        sent_packets(&mut c),
        [Packet::event(nsp("/"), args_of(r#"["b",1,"o1"]"#), None)]
    );
}

#[test]
fn a_text_message_or_a_bad_packet_closes_the_connection() {
    let mut c = new_msgpack_client();
    feed_packet(&mut c, Packet::connect(nsp("/"), None));
    c.accept(at(0), &nsp("/"), "s".to_string(), None).unwrap();
    let _ = sent_packets(&mut c);
    let _ = events(&mut c);
    feed(&mut c, r#"2["e"]"#);
    assert!(c.is_closed());
    assert!(events(&mut c).iter().any(|e| matches!(
        e,
        Event::Error {
            error: DecodeError::TextMessage,
            ..
        }
    )));

    let mut c = new_msgpack_client();
    c.handle_engine_message(at(0), Message::Binary(vec![0x91, 0xc0]));
    assert!(c.is_closed());
}
