//! decode(encode(x)) == x for arbitrary Engine.IO packets, polling payloads, handshakes and Socket.IO
//! packets with attachments. The fuzzer's bytes build the values through `arbitrary`.
#![no_main]

use core::time::Duration;
use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sockeye_core::engine::{self, Frame, Handshake, Sid, Transport, payload};
use sockeye_core::socket::codec::{self, Decoder, Limits, Status};
use sockeye_core::socket::packet::RESERVED_EVENTS;
use sockeye_core::socket::{AckId, Args, Nsp, Packet, PacketData};

#[derive(Arbitrary, Debug)]
struct Input {
    engine: Vec<EnginePacket>,
    socket: Vec<SocketPacket>,
}

#[derive(Arbitrary, Debug)]
enum EnginePacket {
    Open(ArbitraryHandshake),
    Close,
    Ping,
    Pong,
    PingProbe,
    PongProbe,
    Message(String),
    Binary(Vec<u8>),
    Upgrade,
    Noop,
}

#[derive(Arbitrary, Debug)]
struct ArbitraryHandshake {
    sid: String,
    random_sid: [u8; 15],
    upgrades: Vec<bool>,
    ping_interval: u64,
    ping_timeout: u64,
    max_payload: u64,
}

#[derive(Arbitrary, Debug)]
struct SocketPacket {
    nsp: String,
    data: SocketData,
}

#[derive(Arbitrary, Debug)]
enum SocketData {
    Connect(Option<Vec<(String, Json)>>),
    Disconnect,
    Event {
        name: String,
        args: Vec<Json>,
        id: Option<u64>,
        attachments: Vec<Vec<u8>>,
        nested: bool,
    },
    Ack {
        args: Vec<Json>,
        id: u64,
        attachments: Vec<Vec<u8>>,
        nested: bool,
    },
    ConnectError {
        message: String,
        data: Option<Json>,
        plain: bool,
    },
}

/// A JSON value to serialise; only its text reaches the codec.
#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Fraction(i32, u16),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Deeper values are cut to `null`, under the decoder's default depth limit.
const MAX_DEPTH: usize = 8;

fn write_json(out: &mut String, value: &Json, depth: usize) {
    match value {
        _ if depth >= MAX_DEPTH => out.push_str("null"),
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Json::Fraction(i, f) => {
            let _ = write!(out, "{i}.{f}e-3");
        }
        Json::Str(s) => sockeye_core::json::write_string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item, depth + 1);
            }
            out.push(']');
        }
        Json::Object(entries) => write_object(out, entries, depth),
    }
}

fn write_object(out: &mut String, entries: &[(String, Json)], depth: usize) {
    out.push('{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        sockeye_core::json::write_string(out, key);
        out.push(':');
        write_json(out, value, depth + 1);
    }
    out.push('}');
}

/// `[name?, args..., placeholders...]`, each placeholder bare or inside an object.
fn write_args(name: Option<&str>, args: &[Json], attachments: usize, nested: bool) -> String {
    let mut out = String::from("[");
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    if let Some(name) = name {
        sep(&mut out);
        sockeye_core::json::write_string(&mut out, name);
    }
    for arg in args {
        sep(&mut out);
        write_json(&mut out, arg, 1);
    }
    for num in 0..attachments {
        sep(&mut out);
        if nested {
            let _ = write!(out, r#"{{"file":{{"_placeholder":true,"num":{num}}}}}"#);
        } else {
            let _ = write!(out, r#"{{"_placeholder":true,"num":{num}}}"#);
        }
    }
    out.push(']');
    out
}

fn handshake(h: &ArbitraryHandshake) -> Handshake {
    let sid = Sid::new(h.sid.as_str()).unwrap_or_else(|_| Sid::from_random(h.random_sid));
    let mut upgrades = Vec::new();
    for &websocket in h.upgrades.iter().take(2) {
        let t = if websocket {
            Transport::WebSocket
        } else {
            Transport::Polling
        };
        if !upgrades.contains(&t) {
            upgrades.push(t);
        }
    }
    Handshake {
        sid,
        upgrades,
        ping_interval: Duration::from_millis(h.ping_interval),
        ping_timeout: Duration::from_millis(h.ping_timeout),
        max_payload: h.max_payload,
    }
}

fn engine_packet(p: &EnginePacket) -> engine::Packet {
    match p {
        EnginePacket::Open(h) => engine::Packet::Open(handshake(h)),
        EnginePacket::Close => engine::Packet::Close,
        EnginePacket::Ping => engine::Packet::Ping,
        EnginePacket::Pong => engine::Packet::Pong,
        EnginePacket::PingProbe => engine::Packet::PingProbe,
        EnginePacket::PongProbe => engine::Packet::PongProbe,
        EnginePacket::Message(text) => engine::Packet::Message(text.clone()),
        EnginePacket::Binary(bytes) => engine::Packet::Binary(bytes.clone()),
        EnginePacket::Upgrade => engine::Packet::Upgrade,
        EnginePacket::Noop => engine::Packet::Noop,
    }
}

fn socket_packet(p: &SocketPacket) -> Packet {
    let nsp = Nsp::new(&p.nsp).unwrap_or_default();
    let max = Limits::default().max_attachments;
    let data = match &p.data {
        SocketData::Connect(auth) => PacketData::Connect(auth.as_ref().map(|entries| {
            let mut out = String::new();
            write_object(&mut out, entries, 0);
            out
        })),
        SocketData::Disconnect => PacketData::Disconnect,
        SocketData::Event {
            name,
            args,
            id,
            attachments,
            nested,
        } => {
            let mut name = name.clone();
            if RESERVED_EVENTS.contains(&name.as_str()) {
                name.push('_');
            }
            let attachments: Vec<Vec<u8>> = attachments.iter().take(max).cloned().collect();
            let text = write_args(Some(&name), args, attachments.len(), *nested);
            PacketData::Event {
                args: Args::from_json(text, attachments).expect("written arguments are valid"),
                id: id.map(AckId),
            }
        }
        SocketData::Ack {
            args,
            id,
            attachments,
            nested,
        } => {
            let attachments: Vec<Vec<u8>> = attachments.iter().take(max).cloned().collect();
            let text = write_args(None, args, attachments.len(), *nested);
            PacketData::Ack {
                args: Args::from_json(text, attachments).expect("written arguments are valid"),
                id: AckId(*id),
            }
        }
        SocketData::ConnectError {
            message,
            data,
            plain,
        } => {
            let mut out = String::new();
            if *plain {
                sockeye_core::json::write_string(&mut out, message);
            } else {
                out.push_str("{\"message\":");
                sockeye_core::json::write_string(&mut out, message);
                if let Some(data) = data {
                    out.push_str(",\"data\":");
                    write_json(&mut out, data, 1);
                }
                out.push('}');
            }
            PacketData::ConnectError(out)
        }
    };
    Packet { nsp, data }
}

fuzz_target!(|input: Input| {
    let mut records = Vec::new();
    for p in &input.engine {
        let packet = engine_packet(p);
        let text = packet.to_text();
        assert_eq!(
            engine::Packet::decode_text(&text).as_ref(),
            Ok(&packet),
            "text {text:?}"
        );
        let frame = packet.to_frame();
        assert!(matches!(frame, Frame::Binary(_)) == matches!(packet, engine::Packet::Binary(_)));
        assert_eq!(engine::Packet::decode_frame(frame).as_ref(), Ok(&packet));
        // A text message holding the record separator cannot travel in a polling payload (the
        // reference does not escape it either), so payloads are built from the others.
        if !matches!(&packet, engine::Packet::Message(text) if text.contains(payload::SEPARATOR)) {
            records.push(packet);
        }
    }
    if !records.is_empty() {
        let mut body = String::new();
        payload::encode(&records, &mut body);
        assert_eq!(body.len(), payload::encoded_len(&records));
        assert_eq!(
            payload::decode(&body, body.len()),
            Ok(records),
            "payload {body:?}"
        );
    }

    let mut decoder = Decoder::new(Limits::default());
    for p in &input.socket {
        let packet = socket_packet(p);
        let mut text = String::new();
        codec::encode(&packet, &mut text);
        let attachments = packet.attachments().to_vec();
        // One decoder for the whole sequence, as on a connection.
        let mut status = decoder.decode_text(&text);
        for (i, attachment) in attachments.iter().enumerate() {
            assert_eq!(
                status,
                Ok(Status::Partial {
                    remaining: attachments.len() - i
                }),
                "{text:?}"
            );
            status = decoder.decode_binary(attachment.clone());
        }
        assert_eq!(status, Ok(Status::Complete(packet)), "packet {text:?}");
    }
});
