//! Replays every committed input of the `websocket_client` fuzz target (`fuzz/corpus/` and
//! `fuzz/seeds/`) through the target's own check (`fuzz/websocket_checks.rs`: a client's
//! handshake against a fake server, then the frames it sends), so that CI exercises them on
//! stable without cargo-fuzz.

use std::path::{Path, PathBuf};

use sockeye_websocket::Message;

#[path = "../../fuzz/websocket_checks.rs"]
mod websocket_checks;

fn inputs() -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("websocket_client")) else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

#[test]
fn websocket_client_corpus() {
    let files = inputs();
    assert!(
        !files.is_empty(),
        "no committed inputs for websocket_client"
    );
    let rt = websocket_checks::runtime();
    let failed: Vec<_> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            std::panic::catch_unwind(|| websocket_checks::websocket_client(&rt, &data)).is_err()
        })
        .collect();
    assert!(failed.is_empty(), "failed their check: {failed:?}");
}

/// The outcome of the hand-made seed `name`.
fn seed(name: &str) -> websocket_checks::Outcome {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds/websocket_client")
        .join(name);
    let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    websocket_checks::websocket_client(&websocket_checks::runtime(), &data)
}

fn text(s: &str) -> Message {
    Message::Text(s.to_owned())
}

/// The seeds reach what they were made for, so that the fuzzer starts from every path.
#[test]
fn the_seeds_reach_their_paths() {
    let hello = || text("Hello");
    for (name, messages) in [
        ("handshake-plain", vec![hello(), Message::Close(Some(1000))]),
        // RFC 7692 section 7.2.3.2: the second "Hello" refers to the first one's window.
        (
            "handshake-deflate",
            vec![hello(), hello(), Message::Close(Some(1000))],
        ),
        (
            "handshake-deflate-server-no-context-takeover",
            vec![hello(), hello()],
        ),
        (
            "handshake-deflate-client-no-context-takeover",
            vec![hello()],
        ),
        ("handshake-deflate-bytewise", vec![hello(), hello()]),
        (
            "frames-fragments-ping",
            vec![hello(), Message::Close(Some(1000))],
        ),
        (
            "frames-fragments-2-bytes",
            vec![Message::Binary(b"abcd".to_vec())],
        ),
        ("frames-close-reason", vec![Message::Close(Some(4000))]),
        ("frames-deflate-hello", vec![hello(), hello(), hello()]),
        (
            "frames-deflate-server-no-context-takeover",
            vec![hello(), hello(), text("x")],
        ),
        (
            "frames-deflate-client-no-context-takeover",
            vec![hello(), hello()],
        ),
        ("frames-deflate-uncompressed", vec![hello()]),
        ("frames-len-126", vec![Message::Binary((0..=255).collect())]),
        (
            "frames-deflate-exactly-max",
            vec![Message::Binary(vec![b'a'; websocket_checks::MAX_MESSAGE])],
        ),
        ("frames-len-127-truncated", vec![]),
        ("handshake-truncated", vec![]),
    ] {
        let outcome = seed(name);
        // Not assert_eq: a 64 KiB message would fill the output.
        assert!(
            outcome.messages == messages,
            "{name}: {} messages, the first {:.200?}",
            outcome.messages.len(),
            outcome.messages.first()
        );
        assert_eq!(outcome.failed, None, "{name}");
    }
    for (name, status) in [
        ("frames-len-127-over-max", 1009),
        ("frames-deflate-bomb", 1009),
        ("frames-len-127-top-bit", 1002),
        ("frames-masked", 1002),
        ("frames-close-1005", 1002),
        ("frames-close-1-byte", 1002),
        ("frames-rsv1-without-deflate", 1002),
        ("frames-deflate-rsv1-on-continuation", 1002),
        ("frames-invalid-utf8", 1007),
        ("frames-deflate-invalid", 1007),
    ] {
        assert_eq!(seed(name).failed, Some(status), "{name}");
    }
    for (name, why) in [
        ("handshake-400", "400"),
        ("handshake-wrong-accept", "Sec-WebSocket-Accept"),
        ("handshake-no-upgrade", "Upgrade: websocket"),
        ("handshake-head-too-long", "16384"),
        ("handshake-truncated", "closed"),
        ("handshake-deflate-not-offered", "did not offer"),
        ("handshake-client-max-window-bits", "client_max_window_bits"),
    ] {
        let refused = seed(name).refused;
        assert!(
            refused.as_deref().is_some_and(|r| r.contains(why)),
            "{name}: {refused:?}"
        );
    }
    assert_eq!(seed("handshake-plain").refused, None);
}

/// Fuzz finding (websocket_client, the check's own assertion, on the hand-made seed
/// `frames-close-then-text`): frames after the server's close frame were still read as
/// messages (and a ping after it would have been answered after the close answer). RFC 6455
/// section 5.5.1: after a close frame the peer sends no data; the reader stops at it.
#[test]
fn nothing_is_read_after_a_close_frame() {
    let outcome = seed("frames-close-then-text");
    assert_eq!(outcome.messages, [Message::Close(Some(1000))]);
    assert_eq!(outcome.failed, None);
}

/// Fuzz finding (websocket_client, the check's own assertion, on the hand-made seed
/// `handshake-head-too-long`): an answer head over `MAX_RESPONSE_HEAD` was accepted when one read
/// brought its end past the bound (the buffer's capacity doubles, so a read takes in up to twice
/// the bound); the bound was checked only while the end was still missing. However the head
/// arrives, one over the bound is refused.
#[test]
fn an_answer_head_over_the_bound_is_refused_however_it_arrives() {
    let rt = websocket_checks::runtime();
    for pieces in [0x00, 0x10, 0x40, 0xa0, 0xf0] {
        for padding in [16_300, 17_000, 40_000] {
            let mut data = vec![pieces];
            data.extend_from_slice(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                  Connection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nX-Long: ",
            );
            data.extend(std::iter::repeat_n(b'a', padding));
            data.extend_from_slice(b"\r\n\r\n");
            let refused = websocket_checks::websocket_client(&rt, &data).refused;
            assert!(
                refused.as_deref().is_some_and(|r| r.contains("16384")),
                "{pieces:#x} {padding}: {refused:?}"
            );
        }
    }
}

/// The 1 MiB inputs of `fuzz/large-seeds.sh`, built here: read in linear time, refused or read
/// as they should be.
#[test]
fn large_inputs_are_refused_or_read() {
    const MIB: usize = 1 << 20;
    let rt = websocket_checks::runtime();
    let run = |prefix: &[u8], pattern: &[u8]| {
        let mut data = prefix.to_vec();
        data.extend(pattern.iter().cycle().take(MIB));
        websocket_checks::websocket_client(&rt, &data)
    };
    let head = run(b"\x00HTTP/1.1 101 Switching Protocols\r\nX-Long: ", b"a");
    assert!(head.refused.is_some_and(|r| r.contains("16384")));
    // Each ping queues its pong (written when the client writes), and none is a message.
    assert_eq!(
        run(b"\x01", b"\x89\x00"),
        websocket_checks::Outcome::default()
    );
    assert_eq!(
        run(b"\x01\x02\x00", b"\x00\x00"),
        websocket_checks::Outcome::default()
    );
    // An empty stored block, one message each: 349,525 empty messages.
    let empty = run(b"\x03", b"\xc2\x01\x00");
    assert_eq!(empty.messages.len(), MIB / 3);
    assert!(
        empty
            .messages
            .iter()
            .all(|m| *m == Message::Binary(Vec::new()))
    );
    assert_eq!(empty.failed, None);
}
