//! The refusal counters and their log interval.

use super::*;

#[test]
fn a_flood_of_refusals_makes_one_line_per_interval() {
    let refusals = Refusals::new("message");
    let start = Instant::now();
    assert_eq!(refusals.count(start), Some(1));
    for i in 0..10_000 {
        let now = start + Duration::from_micros(i);
        assert_eq!(refusals.count(now), None);
    }
    // The next line reports everything since the last one.
    assert_eq!(refusals.count(start + REFUSAL_LOG_INTERVAL), Some(10_001));
    assert_eq!(refusals.total(), 10_002);
}
