//! Time as the core sees it: a millisecond counter the driver supplies.
//!
//! The core never reads a clock. Every `handle_*` call takes `now`, and every deadline the core wants
//! leaves through `poll_timeout()`. The browser maps `performance.now()`, the server maps
//! `tokio::time::Instant`, and tests use a counter that jumps straight to the next deadline.

use core::fmt;
use core::ops::{Add, Sub};
use core::time::Duration;

/// A point in time, in whole milliseconds since an epoch the driver picks (any monotonic origin).
///
/// Milliseconds match the protocol: every Engine.IO and Socket.IO interval is a millisecond count.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The driver's epoch.
    pub const ZERO: Instant = Instant(0);

    /// An instant `ms` milliseconds after the driver's epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    /// Milliseconds since the driver's epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self + d`, saturating at the far future rather than wrapping.
    pub fn saturating_add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(duration_millis(d)))
    }
}

/// The earlier of two deadlines, either of them unset (a plain `match` rather than iterator
/// adapters: the browser client's module carries less code).
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whole milliseconds of `d`, saturating at `u64::MAX`.
pub(crate) fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// A table of deadlines indexed by a small enum: the core's timers are data.
///
/// `K` is an enum implementing [`TimerKey`]; `next()` is the earliest armed deadline, which is what a
/// state machine's `poll_timeout()` returns and what the driver arms its one real timer for.
#[derive(Clone, Debug)]
pub struct Timers<K: TimerKey> {
    deadlines: [Option<Instant>; 8],
    _key: core::marker::PhantomData<K>,
}

/// An enum usable as an index into [`Timers`] (at most 8 variants).
pub trait TimerKey: Copy + 'static {
    /// Every key, in index order.
    const ALL: &'static [Self];
    /// The key's slot, below 8.
    fn index(self) -> usize;
}

impl<K: TimerKey> Default for Timers<K> {
    fn default() -> Self {
        Timers {
            deadlines: [None; 8],
            _key: core::marker::PhantomData,
        }
    }
}

impl<K: TimerKey> Timers<K> {
    /// Arms `key` to fire at `at`, replacing any earlier setting.
    pub fn set(&mut self, key: K, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(key.index()) {
            *slot = Some(at);
        }
    }

    /// Disarms `key`.
    pub fn stop(&mut self, key: K) {
        if let Some(slot) = self.deadlines.get_mut(key.index()) {
            *slot = None;
        }
    }

    /// When `key` fires, if armed.
    pub fn get(&self, key: K) -> Option<Instant> {
        self.deadlines.get(key.index()).copied().flatten()
    }

    /// Whether `key` is armed.
    pub fn is_armed(&self, key: K) -> bool {
        self.get(key).is_some()
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.deadlines
            .iter()
            .fold(None, |next, &at| earliest(next, at))
    }

    /// Disarms every key that is due at `now` and returns them in index order.
    pub fn expired(&mut self, now: Instant) -> impl Iterator<Item = K> + use<K> {
        let mut due = [None; 8];
        for &key in K::ALL {
            if let Some(slot) = self.deadlines.get_mut(key.index())
                && slot.is_some_and(|at| at <= now)
            {
                *slot = None;
                if let Some(d) = due.get_mut(key.index()) {
                    *d = Some(key);
                }
            }
        }
        due.into_iter().flatten()
    }

    /// Disarms everything.
    pub fn clear(&mut self) {
        self.deadlines = [None; 8];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum T {
        A,
        B,
    }
    impl TimerKey for T {
        const ALL: &'static [Self] = &[T::A, T::B];
        fn index(self) -> usize {
            self as usize
        }
    }

    #[test]
    fn next_is_the_earliest_and_expired_disarms() {
        let mut t = Timers::<T>::default();
        assert_eq!(t.next(), None);
        t.set(T::B, Instant::from_millis(20));
        t.set(T::A, Instant::from_millis(30));
        assert_eq!(t.next(), Some(Instant::from_millis(20)));
        let due: alloc::vec::Vec<T> = t.expired(Instant::from_millis(25)).collect();
        assert_eq!(due, [T::B]);
        assert_eq!(t.next(), Some(Instant::from_millis(30)));
        assert!(!t.is_armed(T::B));
    }

    #[test]
    fn instants_saturate() {
        let far = Instant::from_millis(u64::MAX - 1);
        assert_eq!(
            far + Duration::from_secs(10),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(Instant::ZERO - far, Duration::ZERO);
    }
}
