//! Log lines a peer can cause, let through at a bounded rate.
//!
//! A client that repeats a packet the server cannot use (`42["n",1e400]` to a handler of
//! `Data<f64>`, in a loop) would otherwise write one line per packet: the log fills and the
//! lines that matter drown. One line per [`LogBudget::PERIOD`] goes through; the next one says how
//! many were held back.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One log line per period, for one source (a socket).
#[derive(Debug, Default)]
pub(crate) struct LogBudget {
    /// Milliseconds since [`epoch`] before which no line goes (0: one may go now).
    next_at_ms: AtomicU64,
    /// Lines held back since the last one that went.
    held: AtomicU32,
}

/// The clock's origin: the first use in this process.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

impl LogBudget {
    /// At most one line per period (10 s).
    pub(crate) const PERIOD: Duration = Duration::from_secs(10);

    /// Whether a line may be written now; if so, how many were held back before it.
    pub(crate) fn take(&self) -> Option<u32> {
        let now = u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX);
        let next = self.next_at_ms.load(Ordering::Relaxed);
        let period = u64::try_from(Self::PERIOD.as_millis()).unwrap_or(u64::MAX);
        // One winner per period, also when two threads race here.
        if now >= next
            && self
                .next_at_ms
                .compare_exchange(
                    next,
                    now.saturating_add(period),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return Some(self.held.swap(0, Ordering::Relaxed));
        }
        self.held.fetch_add(1, Ordering::Relaxed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_period_then_the_count_held_back() {
        let budget = LogBudget::default();
        assert_eq!(budget.take(), Some(0));
        for _ in 0..1_000 {
            assert_eq!(budget.take(), None);
        }
        // The period passed: the next line says how many were held back.
        budget.next_at_ms.store(0, Ordering::Relaxed);
        assert_eq!(budget.take(), Some(1_000));
        assert_eq!(budget.take(), None);
    }
}
