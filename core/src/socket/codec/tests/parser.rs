//! The decoder and the encoder by parser: MessagePack packets are one binary message each.

use super::*;
use crate::engine::Message;

#[test]
fn the_msgpack_decoder_reads_binary_messages_only() {
    let mut decoder = Decoder::with_parser(Limits::default(), Parser::MessagePack);
    assert_eq!(decoder.parser(), Parser::MessagePack);
    assert_eq!(
        decoder.decode_text("2[\"e\"]"),
        Err(DecodeError::TextMessage)
    );
    // {"type":2,"nsp":"/","data":["e"]}
    let bytes = vec![
        0x83, 0xa4, b't', b'y', b'p', b'e', 0x02, 0xa3, b'n', b's', b'p', 0xa1, b'/', 0xa4, b'd',
        b'a', b't', b'a', 0x91, 0xa1, b'e',
    ];
    let status = decoder.decode_binary(bytes.clone()).unwrap();
    assert_eq!(
        status,
        Status::Complete(Packet::event(root(), args_of(r#"["e"]"#), None))
    );
    let mut sent = Vec::new();
    Parser::MessagePack.encode(Packet::event(root(), args_of(r#"["e"]"#), None), |m| {
        sent.push(m)
    });
    assert_eq!(sent.len(), 1);
    let Some(Message::Binary(wire)) = sent.pop() else {
        panic!("one binary message");
    };
    assert_eq!(
        Decoder::with_parser(Limits::default(), Parser::MessagePack).decode_binary(wire),
        Ok(status)
    );
}

#[test]
fn the_json_parser_sends_the_text_then_each_attachment() {
    let packet = Packet::event(
        root(),
        binary_args(r#"["b",{"_placeholder":true,"num":0}]"#, vec![vec![5]]),
        None,
    );
    let mut sent = Vec::new();
    Parser::Json.encode(packet, |m| sent.push(m));
    assert_eq!(
        sent,
        [
            Message::Text(s(r#"51-["b",{"_placeholder":true,"num":0}]"#)),
            Message::Binary(vec![5])
        ]
    );
    assert_eq!(Parser::from_name("msgpack"), Some(Parser::MessagePack));
    assert_eq!(Parser::from_name(Parser::Json.name()), Some(Parser::Json));
    assert_eq!(Parser::from_name("xml"), None);
}
