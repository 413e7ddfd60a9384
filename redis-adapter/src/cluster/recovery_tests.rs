//! The restore window's bookkeeping.

use super::*;

#[test]
fn entry_ids_order_as_redis_orders_them() {
    assert!(entry_id("1700000000000-10") > entry_id("1700000000000-9"));
    assert!(entry_id("1700000000001-0") > entry_id("1700000000000-99"));
    assert_eq!(entry_id("12"), None);
    assert_eq!(entry_id("a-1"), None);
}

#[test]
fn restoring_keeps_packets_only_while_a_restore_is_pending() {
    let start = Instant::now();
    let mut r = Restoring::default();
    let packet = |id| ((id, 0), BroadcastOptions::default(), Args::new(), start);
    r.pending.push(("a".to_owned(), start));
    r.delivered.push_back(packet(1));
    r.prune(start);
    assert_eq!(r.delivered.len(), 1);
    // A restore that never joined is forgotten after the window, and its packets with it.
    r.prune(start + RESTORE_WINDOW);
    assert!(r.pending.is_empty());
    assert!(r.delivered.is_empty());
    // Packets older than every pending restore go.
    let later = start + Duration::from_secs(1);
    r.delivered.push_back(packet(2));
    r.pending.push(("b".to_owned(), later));
    r.prune(later);
    assert!(r.delivered.is_empty());
}
