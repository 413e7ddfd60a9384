//! The WebSocket over an in-memory pipe, the client's side written byte by byte.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

use super::*;
use crate::deflate::{self, DeflateParams};

/// The frames of an Engine.IO message (`4` + `text`) and its attachments, built once as a
/// server builds them for many receivers.
fn message_frames(text: &str, attachments: &[Vec<u8>]) -> Bytes {
    let mut out = bytes::BytesMut::new();
    frame::encode(&mut out, Opcode::Text, format!("4{text}").as_bytes());
    for attachment in attachments {
        frame::encode(&mut out, Opcode::Binary, attachment);
    }
    out.freeze()
}

/// A masked client frame.
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    frame::tests::masked(first, payload, [0xA1, 0x02, 0x7F, 0x30])
}

fn pair(max: usize) -> (WebSocket<DuplexStream>, DuplexStream) {
    let (server, client) = duplex(1 << 20);
    (WebSocket::new(server, max), client)
}

async fn next(ws: &mut WebSocket<DuplexStream>) -> Option<Result<Message, Error>> {
    std::future::poll_fn(|cx| ws.poll_next(cx)).await
}

async fn flush(ws: &mut WebSocket<DuplexStream>) {
    std::future::poll_fn(|cx| ws.poll_write(cx)).await.unwrap();
}

/// What the server wrote, read until `n` bytes came.
async fn written(client: &mut DuplexStream, n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    client.read_exact(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn messages_whole_and_in_fragments() {
    let (mut ws, mut client) = pair(1000);
    let mut bytes = client_frame(0x81, b"42[\"hi\"]");
    bytes.extend(client_frame(0x82, &[1, 2, 3]));
    // "hello" in three fragments, with a ping between two of them.
    bytes.extend(client_frame(0x01, b"he"));
    bytes.extend(client_frame(0x89, b"p"));
    bytes.extend(client_frame(0x00, b"ll"));
    bytes.extend(client_frame(0x80, b"o"));
    client.write_all(&bytes).await.unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::Text("42[\"hi\"]".into())
    );
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::Binary(vec![1, 2, 3])
    );
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::Text("hello".into())
    );
    // The ping was answered.
    flush(&mut ws).await;
    assert_eq!(written(&mut client, 3).await, [0x8A, 0x01, b'p']);
}

#[tokio::test]
async fn frames_go_out_in_order_small_copied_large_and_shared_as_they_are() {
    let (mut ws, mut client) = pair(1000);
    ws.send_text("4a".into(), true);
    let large = vec![7u8; 20_000];
    ws.send_binary(large.clone(), true);
    let shared = Bytes::from_static(&[0x81, 0x02, b'4', b'b']);
    ws.send_framed(&shared, true);
    ws.send_text("4c".into(), true);
    assert_eq!(ws.queued_bytes(), 4 + 4 + 20_000 + 4 + 4);
    flush(&mut ws).await;
    assert!(ws.is_idle());
    let got = written(&mut client, 4 + 4 + 20_000 + 4 + 4).await;
    assert_eq!(&got[..4], &[0x81, 0x02, b'4', b'a']);
    assert_eq!(&got[4..8], &[0x82, 0x7E, 0x4E, 0x20]);
    assert_eq!(&got[8..20_008], &large[..]);
    assert_eq!(
        &got[20_008..],
        &[0x81, 0x02, b'4', b'b', 0x81, 0x02, b'4', b'c']
    );
}

#[tokio::test]
async fn a_close_frame_is_answered_with_its_status() {
    let (mut ws, mut client) = pair(1000);
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"bye");
    client
        .write_all(&client_frame(0x88, &payload))
        .await
        .unwrap();
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::Close(Some(1001))
    );
    ws.close(None, Duration::from_secs(1)).await;
    // The answer, once, then the end of the stream.
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, [0x88, 0x02, 0x03, 0xE9]);
}

#[tokio::test]
async fn closing_sends_the_status_then_waits_for_the_client_s_close() {
    let (ws, mut client) = pair(1000);
    let closing = tokio::spawn(ws.close(Some(1009), Duration::from_secs(5)));
    assert_eq!(written(&mut client, 4).await, [0x88, 0x02, 0x03, 0xF1]);
    assert!(
        !closing.is_finished(),
        "waiting for the client's close frame"
    );
    client
        .write_all(&client_frame(0x88, &[0x03, 0xF1]))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn what_closes_the_connection_and_with_which_status() {
    async fn status(bytes: Vec<u8>, max: usize) -> u16 {
        let (mut ws, mut client) = pair(max);
        client.write_all(&bytes).await.unwrap();
        loop {
            match next(&mut ws).await.unwrap() {
                Ok(_) => continue,
                Err(e) => return e.close_code().unwrap(),
            }
        }
    }
    // Over the bound, whole or in fragments.
    assert_eq!(status(client_frame(0x82, &[0; 11]), 10).await, 1009);
    let mut fragments = client_frame(0x02, &[0; 6]);
    fragments.extend(client_frame(0x80, &[0; 6]));
    assert_eq!(status(fragments, 10).await, 1009);
    // Not UTF-8.
    assert_eq!(status(client_frame(0x81, &[0xC3, 0x28]), 100).await, 1007);
    // Unmasked, a continuation of nothing, a message inside another, a bad close status.
    assert_eq!(status(vec![0x81, 0x01, b'x'], 100).await, 1002);
    assert_eq!(status(client_frame(0x80, b"x"), 100).await, 1002);
    let mut nested = client_frame(0x01, b"a");
    nested.extend(client_frame(0x81, b"b"));
    assert_eq!(status(nested, 100).await, 1002);
    assert_eq!(status(client_frame(0x88, &[0x03, 0xEC]), 100).await, 1002);
    assert_eq!(status(client_frame(0x88, &[0x03]), 100).await, 1002);
}

#[tokio::test]
async fn the_end_of_the_stream_ends_the_messages() {
    let (mut ws, client) = pair(100);
    drop(client);
    assert!(next(&mut ws).await.is_none());
}

#[tokio::test]
async fn a_message_split_across_reads_arrives_whole() {
    let (mut ws, mut client) = pair(1 << 20);
    let payload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let bytes = client_frame(0x82, &payload);
    let writer = tokio::spawn(async move {
        for chunk in bytes.chunks(777) {
            client.write_all(chunk).await.unwrap();
            tokio::task::yield_now().await;
        }
        client
    });
    assert_eq!(
        next(&mut ws).await.unwrap().unwrap(),
        Message::Binary(payload)
    );
    let _client = writer.await.unwrap();
}

// ---- permessage-deflate ----

fn deflate_pair(max: usize, threshold: usize) -> (WebSocket<DuplexStream>, DuplexStream) {
    let (ws, client) = pair(max);
    let params = DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        threshold,
        level: 6,
    };
    (ws.with_deflate(Some(params)), client)
}

/// RFC 7692 section 7.2.3.1's frames: "Hello" compressed, whole and in two fragments.
#[tokio::test]
async fn compressed_messages_whole_and_fragmented_are_inflated() {
    let (mut ws, mut client) = deflate_pair(1000, 1024);
    let mut bytes = client_frame(0xc1, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    bytes.extend(client_frame(0x41, &[0xf2, 0x48, 0xcd]));
    bytes.extend(client_frame(0x80, &[0xc9, 0xc9, 0x07, 0x00]));
    // Uncompressed messages still come as they are.
    bytes.extend(client_frame(0x82, &[1, 2, 3]));
    client.write_all(&bytes).await.unwrap();
    for expected in [
        Message::Text("Hello".into()),
        Message::Text("Hello".into()),
        Message::Binary(vec![1, 2, 3]),
    ] {
        assert_eq!(next(&mut ws).await.unwrap().unwrap(), expected);
    }
}

#[tokio::test]
async fn messages_from_the_threshold_up_leave_compressed() {
    let (mut ws, mut client) = deflate_pair(1000, 5);
    ws.send_text("4abc".into(), true);
    ws.send_text("Hello".into(), true);
    // A shared frame below the threshold goes as it was built, one above it compressed.
    ws.send_framed(&message_frames("a", &[]), true);
    ws.send_framed(&message_frames("Hello", &[b"Hello".to_vec()]), true);
    flush(&mut ws).await;
    let mut expected = vec![0x81, 0x04, b'4', b'a', b'b', b'c'];
    // RFC 7692 section 7.2.3.2: the second "Hello" refers to the first.
    expected.extend([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    expected.extend([0x81, 0x02, b'4', b'a']);
    // What the connection's compressor wrote, by another one that saw the same messages.
    let mut mirror = deflate::Deflate::new(
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            threshold: 0,
            level: 6,
        },
        Role::Server,
    );
    mirror.compress(b"Hello");
    let text = mirror.compress(b"4Hello");
    expected.extend([0xc1, text.len() as u8]);
    expected.extend(&text);
    let bin = mirror.compress(b"Hello");
    expected.extend([0xc2, bin.len() as u8]);
    expected.extend(&bin);
    assert_eq!(written(&mut client, expected.len()).await, expected);
}

#[tokio::test]
async fn what_closes_a_compressed_connection_and_with_which_status() {
    async fn status(bytes: Vec<u8>, max: usize, deflate: bool) -> u16 {
        let (mut ws, mut client) = if deflate {
            deflate_pair(max, 1024)
        } else {
            pair(max)
        };
        client.write_all(&bytes).await.unwrap();
        loop {
            match next(&mut ws).await.unwrap() {
                Ok(_) => continue,
                Err(e) => return e.close_code().unwrap(),
            }
        }
    }
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    // RSV1 without the extension negotiated.
    assert_eq!(status(client_frame(0xc1, &hello), 100, false).await, 1002);
    // RSV1 on a continuation or a control frame.
    let mut continued = client_frame(0x01, b"a");
    continued.extend(client_frame(0xc0, b"b"));
    assert_eq!(status(continued, 100, true).await, 1002);
    assert_eq!(status(client_frame(0xc9, b"p"), 100, true).await, 1002);
    // RSV2 and RSV3 stay reserved.
    assert_eq!(status(client_frame(0xa1, b"x"), 100, true).await, 1002);
    // A bomb: 1 MB of zeros in about 1 KB, refused as an oversized message, however small.
    let bomb = deflate::Deflate::new(
        DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            threshold: 0,
            level: 6,
        },
        Role::Server,
    )
    .compress(&vec![0; 1_000_000]);
    assert!(bomb.len() < 2_000);
    assert_eq!(status(client_frame(0xc2, &bomb), 100_000, true).await, 1009);
    // Not DEFLATE data; not UTF-8 once inflated.
    assert_eq!(
        status(client_frame(0xc1, &[0xff, 0xff]), 100, true).await,
        1007
    );
    let latin1 = [0x3a, 0xac, 0x01, 0x00];
    assert_eq!(status(client_frame(0xc1, &latin1), 100, true).await, 1007);
}
