//! The `http_server` fuzz target on stable: every committed input of its corpus
//! (`fuzz/corpus/http_server/`) replayed through the target's own harness
//! (`fuzz/http_harness.rs`, an in-process server driven through its tower service and hyper on an
//! in-memory pipe), and the protocol's known-bad inputs sent over real polling connections: each
//! gets an answer and at most its session closed, and the server goes on serving.
#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use std::path::Path;

use common::{Polling, get, start};
use sockeye_server::SocketIo;

#[path = "../../fuzz/http_harness.rs"]
mod http_harness;

#[test]
fn http_server_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/http_server");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no committed inputs for http_server");
    let rt = http_harness::runtime();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            http_harness::run_bytes(&rt, &data)
        }));
        assert!(outcome.is_ok(), "{} failed", file.display());
    }
}

/// `len` bytes of `c`.
fn repeat(c: char, len: usize) -> String {
    std::iter::repeat_n(c, len).collect()
}

#[tokio::test]
async fn known_bad_packets_over_polling_are_answered_and_the_server_goes_on() {
    let (addr, io) = start(SocketIo::builder()).await;
    io.ns("/", |_socket: sockeye_server::SocketRef| async move {});
    let deep = format!("42[\"a\",{}{}]", repeat('[', 100_000), repeat(']', 100_000));
    let cases = [
        // Attachment counts far past the limit, and past 2^64.
        "451844674407370955161-[\"a\"]".to_owned(),
        "4518446744073709551616-[\"a\"]".to_owned(),
        // Attachments announced that never arrive, then a text packet.
        "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\u{1e}42[\"b\"]".to_owned(),
        // A placeholder pointing past the attachments.
        "451-[\"a\",{\"_placeholder\":true,\"num\":99}]\u{1e}bAA==".to_owned(),
        // Ack ids of 2^64 and beyond.
        "4218446744073709551616[\"a\"]".to_owned(),
        "43999999999999999999999999[]".to_owned(),
        // A namespace of 1 MB.
        format!("40/{},", repeat('a', 1_000_000)),
        // JSON nested 100,000 deep.
        deep,
        // Invalid UTF-8 once decoded from base64, and an invalid base64 record.
        "b//79".to_owned(),
        "b!!!!".to_owned(),
    ];
    for body in &cases {
        let session = Polling::open(addr).await;
        assert_eq!(session.post("40").await.status, 200);
        let res = session.post(body).await;
        // 200 "ok" (the session then closes on its own), 400 or 413: never a hang or a reset.
        assert!(
            [200, 400, 413].contains(&res.status),
            "{}...: {res:?}",
            body.chars().take(40).collect::<String>()
        );
        // Served still: a fresh handshake.
        let open = get(addr, "/socket.io/?EIO=4&transport=polling").await;
        assert_eq!(open.status, 200, "{open:?}");
    }
}
