//! RFC 7692 section 7.2.3's examples, both ways, and the decompressed-size bound.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use super::*;

fn deflate(server_reset: bool, client_reset: bool) -> Deflate {
    Deflate::new(
        DeflateParams {
            server_no_context_takeover: server_reset,
            client_no_context_takeover: client_reset,
            threshold: 0,
            level: 6,
        },
        Role::Server,
    )
}

/// Section 7.2.3.1: "Hello" in one compressed DEFLATE block.
const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn the_rfc_s_hello_in_one_compressed_block() {
    assert_eq!(deflate(false, false).compress(b"Hello"), HELLO);
    assert_eq!(
        deflate(false, false).decompress(&HELLO, 100).unwrap(),
        b"Hello"
    );
}

/// Section 7.2.3.2: the second "Hello" refers to the first through the shared window.
#[test]
fn the_rfc_s_sliding_window_shared_between_messages() {
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut d = deflate(false, false);
    assert_eq!(d.compress(b"Hello"), HELLO);
    assert_eq!(d.compress(b"Hello"), second);
    assert_eq!(d.decompress(&HELLO, 100).unwrap(), b"Hello");
    assert_eq!(d.decompress(&second, 100).unwrap(), b"Hello");
}

/// Without context takeover, every message is compressed as if it were the first; and a client
/// that resets its own context is read by an inflater that keeps none.
#[test]
fn no_context_takeover_compresses_each_message_alone() {
    let mut d = deflate(true, true);
    for _ in 0..3 {
        assert_eq!(d.compress(b"Hello"), HELLO);
        assert_eq!(d.decompress(&HELLO, 100).unwrap(), b"Hello");
    }
    // A reference to an earlier message reads a zeroed window (miniz_oxide does not refuse a
    // distance past what it inflated), never the bytes of the inflater's previous message, which
    // may have been another connection's.
    assert_eq!(
        d.decompress(&[0xf2, 0x00, 0x11, 0x00, 0x00], 100).unwrap(),
        b"H\0\0\0\0"
    );
}

/// Section 7.2.3.3: a DEFLATE block with no compression.
#[test]
fn the_rfc_s_stored_block() {
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(
        deflate(false, false).decompress(&stored, 100).unwrap(),
        b"Hello"
    );
}

/// Section 7.2.3.4: a DEFLATE block with BFINAL set; the next message starts a new stream.
#[test]
fn the_rfc_s_final_block() {
    let last = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut d = deflate(false, false);
    assert_eq!(d.decompress(&last, 100).unwrap(), b"Hello");
    assert_eq!(d.decompress(&HELLO, 100).unwrap(), b"Hello");
}

/// Section 7.2.3.5: two DEFLATE blocks in one message.
#[test]
fn the_rfc_s_two_blocks_in_one_message() {
    let two = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(
        deflate(false, false).decompress(&two, 100).unwrap(),
        b"Hello"
    );
}

/// Section 7.2.3.6: an empty message compressed is one byte, `0x00`.
#[test]
fn the_rfc_s_empty_message() {
    assert_eq!(deflate(false, false).compress(b""), [0x00]);
    assert_eq!(deflate(false, false).decompress(&[0x00], 100).unwrap(), b"");
}

#[test]
fn large_messages_round_trip_in_both_kinds() {
    let text: Vec<u8> = (0..800u32)
        .flat_map(|i| format!("{{\"n\":{i},\"name\":\"user{}\"}}", i % 97).into_bytes())
        .collect();
    let mut x = 0x2545_f491_u32;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let mut d = deflate(false, false);
    for message in [&text, &noise, &text] {
        let compressed = d.compress(message);
        assert_eq!(&d.decompress(&compressed, usize::MAX).unwrap(), message);
        // Incompressible bytes grow by a few bytes per block at most.
        assert!(compressed.len() < message.len() + message.len() / 1000 + 16);
    }
    // The same message again, within the window: back-references of 258 bytes each.
    let again = d.compress(&text);
    assert!(
        again.len() < text.len() / 50,
        "{} of {}",
        again.len(),
        text.len()
    );
    assert_eq!(d.decompress(&again, usize::MAX).unwrap(), text);
}

/// A compression bomb: 2 MB of zeros in about 2 KB is refused past the bound, and the output
/// never grows far past it.
#[test]
fn the_decompressed_size_is_bounded() {
    let zeros = vec![0u8; 2_000_000];
    let bomb = deflate(false, false).compress(&zeros);
    assert!(bomb.len() < 4_000, "{}", bomb.len());
    let mut d = deflate(false, false);
    assert_eq!(d.decompress(&bomb, 1_000_000), Err(InflateError::TooBig));
    // Exactly at the bound is allowed, one byte past it is not.
    let exact = deflate(false, false).compress(&zeros[..1000]);
    assert_eq!(
        deflate(false, false)
            .decompress(&exact, 1000)
            .unwrap()
            .len(),
        1000
    );
    assert_eq!(
        deflate(false, false).decompress(&exact, 999),
        Err(InflateError::TooBig)
    );
    // After a refusal the inflater is fresh, not stuck partway.
    assert_eq!(d.decompress(&HELLO, 100).unwrap(), b"Hello");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let mut d = deflate(false, false);
    // BTYPE 11 is reserved.
    assert_eq!(
        d.decompress(&[0xff, 0xff, 0xff], 100),
        Err(InflateError::Invalid)
    );
    let mut x = 7u32;
    let mut random = move || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (x >> 16) as u8
    };
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len).map(|_| random()).collect();
        let _ = deflate(false, false).decompress(&bytes, 10_000);
    }
    // Valid messages with bytes flipped, cut short or run on, into an inflater that keeps its
    // window across them: each ends (no loop without progress) within the bound.
    let message: Vec<u8> = (0..5_000u32)
        .flat_map(|i| (i % 300).to_string().into_bytes())
        .collect();
    let good = deflate(false, false).compress(&message);
    let mut d = deflate(false, false);
    for round in 0..500usize {
        let mut bytes = good.clone();
        for _ in 0..=round % 4 {
            let at = usize::from(random()) * 256 + usize::from(random());
            if let Some(b) = bytes.get_mut(at % good.len()) {
                *b ^= 1 << (random() % 8);
            }
        }
        match round % 3 {
            0 => bytes.truncate(usize::from(random()) % good.len()),
            1 => bytes.extend([random(), random()]),
            _ => {}
        }
        if let Ok(out) = d.decompress(&bytes, 20_000) {
            assert!(out.len() <= 20_000);
        }
    }
}

#[test]
fn every_level_round_trips_with_and_without_context_takeover() {
    let message: Vec<u8> = (0..3_000u32)
        .flat_map(|i| (i % 50).to_string().into_bytes())
        .collect();
    for level in 0..=9 {
        for reset in [false, true] {
            let mut d = Deflate::new(
                DeflateParams {
                    server_no_context_takeover: reset,
                    client_no_context_takeover: reset,
                    threshold: 0,
                    level,
                },
                Role::Server,
            );
            for _ in 0..2 {
                let compressed = d.compress(&message);
                assert_eq!(
                    d.decompress(&compressed, usize::MAX).unwrap(),
                    message,
                    "level {level}"
                );
                // Level 0 stores; the others compress.
                assert_eq!(
                    compressed.len() > message.len(),
                    level == 0,
                    "level {level}"
                );
            }
        }
    }
}

/// Messages past `OFF_THE_WORKER` are worked on with the worker handed over on a multi-thread
/// runtime (in a task, and in `block_on`), and as they are on a current-thread one or outside
/// tokio: the same bytes every way.
#[test]
fn large_messages_compress_alike_on_every_runtime() {
    let message: &'static [u8] = (0..20_000u32)
        .flat_map(|i| format!("{{\"n\":{}}}", i % 300).into_bytes())
        .collect::<Vec<u8>>()
        .leak();
    assert!(message.len() >= OFF_THE_WORKER);
    let round_trip = move || {
        let mut d = deflate(false, false);
        let compressed = d.compress(message);
        assert_eq!(d.decompress(&compressed, usize::MAX).unwrap(), message);
        compressed
    };
    let outside = round_trip();
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async { round_trip() });
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let in_block_on = multi.block_on(async { round_trip() });
    let in_task = multi
        .block_on(async { tokio::spawn(async move { round_trip() }).await })
        .unwrap();
    assert!(outside.len() < message.len() / 4);
    for other in [current, in_block_on, in_task] {
        assert_eq!(other, outside);
    }
}
