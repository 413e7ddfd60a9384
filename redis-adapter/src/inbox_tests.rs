//! The queue's bounds: it drops and counts, never waits.

use super::*;

#[tokio::test]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let limits = Limits::default().incoming_queue(3);
    let (inbox, mut rx) = inbox(&limits, "/");
    for i in 0..10u8 {
        inbox.offer(b"c", vec![i]);
    }
    assert_eq!(inbox.refusals().full.total(), 7);
    for i in 0..3u8 {
        assert_eq!(rx.recv().await.map(|m| m.payload), Some(vec![i]));
    }
    // Room again once the adapter took what waited.
    inbox.offer(b"c", vec![42]);
    assert_eq!(rx.recv().await.map(|m| m.payload), Some(vec![42]));
}

#[tokio::test]
async fn the_queue_is_bounded_in_bytes_too() {
    let limits = Limits::default().incoming_queue_bytes(100);
    let (inbox, mut rx) = inbox(&limits, "/");
    inbox.offer(b"c", vec![0; 60]);
    inbox.offer(b"c", vec![1; 60]);
    assert_eq!(inbox.refusals().full.total(), 1);
    assert_eq!(rx.recv().await.map(|m| m.payload.len()), Some(60));
    inbox.offer(b"c", vec![2; 60]);
    assert_eq!(inbox.refusals().full.total(), 1);
}

#[tokio::test]
async fn an_oversized_message_is_dropped_before_it_is_queued() {
    let limits = Limits::default().max_message_size(10);
    let (inbox, mut rx) = inbox(&limits, "/");
    inbox.offer(b"c", vec![0; 11]);
    inbox.offer(b"c", vec![1; 10]);
    assert_eq!(inbox.refusals().oversized.total(), 1);
    assert_eq!(rx.recv().await.map(|m| m.payload), Some(vec![1; 10]));
}
