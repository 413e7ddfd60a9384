//! Reconnection: the reference's settings, its loop and its backoff with jitter.

use super::*;
use crate::time::duration_millis;

impl Manager {
    // ---- settings (the reference's `manager.reconnection(v)` ...) ----
    //
    // Each takes effect from the next reconnection on: the backoff reads the options each time
    // it computes a delay, and the open timeout is armed when an engine is asked for.

    /// `manager.reconnection(on)`. Turning it off also cancels a reconnection already scheduled,
    /// as the reference's `skipReconnect` does, until the next [`Manager::open`]. (The reference
    /// leaves its `_reconnecting` set then, so that no later loss ever reconnects again; here the
    /// loop ends cleanly.)
    pub fn set_reconnection(&mut self, on: bool) {
        self.config.reconnection = on;
        if !on {
            self.skip_reconnect = true;
            if self.timers.is_armed(Timer::Reconnect) {
                self.timers.stop(Timer::Reconnect);
                self.reconnecting = false;
                self.attempts = 0;
            }
        }
    }

    /// `manager.reconnectionAttempts(n)`; `None` is unlimited.
    pub fn set_reconnection_attempts(&mut self, attempts: Option<u32>) {
        self.config.reconnection_attempts = attempts;
    }

    /// `manager.reconnectionDelay(ms)`.
    pub fn set_reconnection_delay(&mut self, delay: Duration) {
        self.config.reconnection_delay = delay;
    }

    /// `manager.reconnectionDelayMax(ms)`.
    pub fn set_reconnection_delay_max(&mut self, delay: Duration) {
        self.config.reconnection_delay_max = delay;
    }

    /// `manager.randomizationFactor(factor)`.
    pub fn set_randomization_factor(&mut self, factor: f64) {
        self.config.randomization_factor = factor;
    }

    /// `manager.timeout(ms)`; `None` waits forever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.config.timeout = timeout;
    }

    /// Schedules the next attempt, or gives up.
    pub(super) fn reconnect(&mut self, now: Instant) {
        if self.reconnecting || self.skip_reconnect {
            return;
        }
        if self
            .config
            .reconnection_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            self.attempts = 0;
            self.events.push_back(Event::ReconnectFailed);
            self.reconnecting = false;
            return;
        }
        let delay = backoff_delay(&self.config, self.attempts, &mut self.rng);
        self.attempts = self.attempts.saturating_add(1);
        self.reconnecting = true;
        self.timers.set(
            Timer::Reconnect,
            now.saturating_add(Duration::from_millis(delay)),
        );
    }

    pub(super) fn reconnect_attempt(&mut self, now: Instant) {
        if self.skip_reconnect {
            return;
        }
        self.events
            .push_back(Event::ReconnectAttempt(self.attempts));
        if self.state != ReadyState::Closed {
            self.reconnecting = false;
            return;
        }
        self.open_engine(now, true);
    }
}

/// The reference's `Backoff.duration()` for attempt `attempt` (counted from 0): `delay * 2^attempt`,
/// jittered by `± floor(rand * factor * ms)` (minus when `floor(rand * 10)` is even), THEN capped.
pub(super) fn backoff_delay(config: &Config, attempt: u32, rng: &mut Rng) -> u64 {
    // 2^attempt exactly, from the exponent bits; overflows to infinity, then the cap applies.
    let pow2 = if attempt < 1024 {
        f64::from_bits(u64::from(1023 + attempt) << 52)
    } else {
        f64::INFINITY
    };
    let mut ms = duration_millis(config.reconnection_delay) as f64 * pow2;
    let jitter = config.randomization_factor;
    if jitter > 0.0 && jitter <= 1.0 {
        let rand = rng.next_f64();
        // Both products are non-negative, so truncation is `Math.floor`.
        let deviation = ((rand * jitter * ms) as u64) as f64;
        ms = if ((rand * 10.0) as u64) & 1 == 0 {
            ms - deviation
        } else {
            ms + deviation
        };
    }
    // `f64::min` ignores a NaN (from infinite delays), leaving the cap.
    let ms = ms.min(duration_millis(config.reconnection_delay_max) as f64);
    if ms > 0.0 { ms as u64 } else { 0 }
}
