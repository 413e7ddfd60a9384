//! Codec throughput: Socket.IO packets, binary attachments, Engine.IO packets and polling payloads,
//! each encoded and decoded. `scripts/bench-codec.sh` runs this and writes BENCHMARKS.md.
//!
//! Throughput counts the bytes on the wire (text plus attachments), so MB/s compare across sizes.

use core::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};
use sockeye_core::engine::{self, Frame, payload};
use sockeye_core::socket::codec::{self, Decoder, Limits, Status};
use sockeye_core::socket::{AckId, Args, Nsp, Packet, PacketData};

fn main() {
    let mut c = Criterion::default().configure_from_args();
    socket_events(&mut c);
    binary_event(&mut c);
    wide_objects(&mut c);
    engine_packets(&mut c);
    polling_payloads(&mut c);
    c.final_summary();
}

fn event(nsp: &str, id: Option<u64>, args: &str, attachments: Vec<Vec<u8>>) -> Packet {
    Packet {
        nsp: Nsp::new(nsp).expect("a short namespace without a comma"),
        data: PacketData::Event {
            args: Args::from_json(args, attachments).expect("valid arguments"),
            id: id.map(AckId),
        },
    }
}

fn encoded(packet: &Packet) -> String {
    let mut text = String::new();
    codec::encode(packet, &mut text);
    text
}

/// Small text events: the common case of a chat message.
fn socket_events(c: &mut Criterion) {
    let cases = [
        ("root", event("/", None, r#"["chat","hello"]"#, vec![])),
        (
            "admin-ack",
            event(
                "/admin",
                Some(12),
                r#"["chat",{"user":"x","text":"a short chat message, about sixty bytes"}]"#,
                vec![],
            ),
        ),
    ];
    let mut group = c.benchmark_group("socket-event");
    for (name, packet) in cases {
        let text = encoded(&packet);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let mut out = String::with_capacity(text.len());
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                out.clear();
                codec::encode(black_box(&packet), &mut out);
                black_box(out.len())
            })
        });
        let mut decoder = Decoder::new(Limits::default());
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| black_box(decoder.decode_text(black_box(&text))))
        });
    }
    group.finish();
}

/// A BINARY_EVENT with a 1 KiB and a 64 KiB attachment: the header, then one binary message each.
fn binary_event(c: &mut Criterion) {
    let args = r#"["upload",{"name":"small.bin","data":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#;
    let packet = event(
        "/",
        Some(7),
        args,
        vec![vec![0xA5; 1024], vec![0x5A; 64 * 1024]],
    );
    let header = encoded(&packet);
    let attachments = packet.attachments().to_vec();
    let wire_len = header.len() + attachments.iter().map(Vec::len).sum::<usize>();

    let mut group = c.benchmark_group("socket-binary-event");
    group.throughput(Throughput::Bytes(wire_len as u64));
    // Encode: the header text plus one Engine.IO binary frame per attachment (moved, not copied).
    let mut out = String::with_capacity(header.len());
    group.bench_function("encode/1k+64k", |b| {
        b.iter_batched(
            || packet.clone(),
            |packet| {
                out.clear();
                codec::encode(&packet, &mut out);
                let PacketData::Event { args, .. } = packet.data else {
                    unreachable!()
                };
                let frames: Vec<Frame> = args
                    .into_parts()
                    .1
                    .into_iter()
                    .map(|a| engine::Packet::Binary(a).into_frame())
                    .collect();
                black_box((out.len(), frames))
            },
            BatchSize::SmallInput,
        )
    });
    // Decode: the header through the incremental decoder, then each attachment.
    let mut decoder = Decoder::new(Limits::default());
    group.bench_function("decode/1k+64k", |b| {
        b.iter_batched(
            || attachments.clone(),
            |attachments| {
                let mut status = decoder.decode_text(&header);
                for a in attachments {
                    status = decoder.decode_binary(a);
                }
                assert!(matches!(status, Ok(Status::Complete(_))), "{status:?}");
                black_box(status)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// A CONNECT, then an EVENT, carrying one JSON object of n keys (about 11 bytes a key; 90,000
/// keys is about 1 MB, under the default `maxHttpBufferSize`): the codec's check of the text, then
/// the typed read of the event's argument (into a map) that a server handler does. Both are one
/// pass, so the time per byte stays flat as the object widens.
fn wide_objects(c: &mut Criterion) {
    let mut group = c.benchmark_group("wide-object");
    group.sample_size(10);
    for keys in [10_000, 40_000, 90_000] {
        let mut object = String::from("{");
        for i in 0..keys {
            if i > 0 {
                object.push(',');
            }
            object.push_str(&format!("\"key{i}\":{i}"));
        }
        object.push('}');
        let connect = format!("0{object}");
        group.throughput(Throughput::Bytes(connect.len() as u64));
        let mut decoder = Decoder::new(Limits::default());
        group.bench_function(format!("decode-connect/{keys}-keys"), |b| {
            b.iter(|| black_box(decoder.decode_text(black_box(&connect))))
        });
        #[cfg(feature = "serde")]
        {
            let event = format!(r#"2["wide",{object}]"#);
            let Ok(Status::Complete(packet)) = decoder.decode_text(&event) else {
                unreachable!("a valid event")
            };
            let args = packet.args().expect("an event's arguments").clone();
            group.bench_function(format!("read-event/{keys}-keys"), |b| {
                b.iter(|| {
                    let map: std::collections::HashMap<&str, u64> =
                        sockeye_core::socket::args::de::from_event_args(black_box(&args))
                            .expect("a map of numbers");
                    black_box(map.len())
                })
            });
        }
    }
    group.finish();
}

/// Engine.IO `4...` text messages and binary messages, as WebSocket frames and in the polling
/// (`b` + base64) text form.
fn engine_packets(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine-packet");
    let small = String::from(r#"2["chat","hello"]"#);
    let kib = "x".repeat(1024);
    for (name, message) in [("text-small", small), ("text-1k", kib)] {
        let wire = format!("4{message}");
        let packet = engine::Packet::Message(message);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        let mut out = String::with_capacity(wire.len());
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter(|| {
                out.clear();
                black_box(&packet).encode_text(&mut out);
                black_box(out.len())
            })
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| black_box(engine::Packet::decode_text(black_box(&wire))))
        });
    }
    for (name, len) in [("binary-frame-1k", 1024), ("binary-frame-64k", 64 * 1024)] {
        let bytes = vec![0xA5u8; len];
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("encode/{name}"), |b| {
            b.iter_batched(
                || engine::Packet::Binary(bytes.clone()),
                |packet| black_box(packet.into_frame()),
                BatchSize::SmallInput,
            )
        });
        group.bench_function(format!("decode/{name}"), |b| {
            b.iter_batched(
                || Frame::Binary(bytes.clone()),
                |frame| black_box(engine::Packet::decode_frame(frame)),
                BatchSize::SmallInput,
            )
        });
    }
    let packet = engine::Packet::Binary(vec![0xA5; 1024]);
    let wire = packet.to_text();
    group.throughput(Throughput::Bytes(wire.len() as u64));
    let mut out = String::with_capacity(wire.len());
    group.bench_function("encode/binary-base64-1k", |b| {
        b.iter(|| {
            out.clear();
            black_box(&packet).encode_text(&mut out);
            black_box(out.len())
        })
    });
    group.bench_function("decode/binary-base64-1k", |b| {
        b.iter(|| black_box(engine::Packet::decode_text(black_box(&wire))))
    });
    group.finish();
}

/// Polling payloads of 10 and 100 records: mostly Socket.IO events, some pings and base64 binary.
fn polling_payloads(c: &mut Criterion) {
    let mut group = c.benchmark_group("polling-payload");
    for records in [10usize, 100] {
        let packets: Vec<engine::Packet> = (0..records)
            .map(|i| match i % 5 {
                0 => engine::Packet::Binary(vec![i as u8; 100]),
                1 => engine::Packet::Ping,
                _ => engine::Packet::Message(format!(r#"42["chat","message number {i}"]"#)),
            })
            .collect();
        let mut body = String::new();
        payload::encode(&packets, &mut body);
        group.throughput(Throughput::Bytes(body.len() as u64));
        let mut out = String::with_capacity(body.len());
        group.bench_function(format!("encode/{records}-records"), |b| {
            b.iter(|| {
                out.clear();
                payload::encode(black_box(&packets), &mut out);
                black_box(out.len())
            })
        });
        group.bench_function(format!("decode/{records}-records"), |b| {
            b.iter(|| black_box(payload::decode(black_box(&body), 1_000_000)))
        });
    }
    group.finish();
}
