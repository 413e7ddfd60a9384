//! A small seeded generator for what the protocol randomises (reconnection jitter, cache-busting
//! tokens). The driver supplies the seed, so a test replays the same delays.

/// SplitMix64: tiny, fast, and good enough for jitter; not for secrets (session ids come from the
/// driver's cryptographic source instead).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from the driver's seed.
    pub const fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`, as `Math.random()` gives.
    pub fn next_f64(&mut self) -> f64 {
        // 53 random bits over 2^53: every value exactly representable, never 1.0.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_stay_in_the_unit_interval_and_replay() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..10_000 {
            let x = a.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x.to_bits(), b.next_f64().to_bits());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
