//! A fast hash for maps keyed by the ids this server generates (socket ids): a broadcast looks
//! every receiver up by id, and SipHash was a tenth of the instructions of a delivery.
//!
//! Only for keys the server chose itself (random, never taken from a client): the std's keyed
//! SipHash is what protects maps whose keys a peer picks against collision floods, and those keep
//! it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Maps an id the server generated to `V`.
pub(crate) type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;

/// A multiply-rotate hash over eight bytes at a time (the one rustc uses for its own tables).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl IdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word.get_mut(..rest.len())
                .unwrap_or_default()
                .copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_differ_in_any_byte_hash_apart() {
        let hash = |s: &str| {
            let mut h = IdHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        let base = "AAAAAAAAAAAAAAAAAAAA";
        for i in 0..base.len() {
            let mut other = base.as_bytes().to_vec();
            other[i] = b'B';
            assert_ne!(
                hash(base),
                hash(std::str::from_utf8(&other).unwrap()),
                "byte {i}"
            );
        }
        let mut map: IdMap<usize> = IdMap::default();
        for i in 0..1000 {
            map.insert(format!("id{i}"), i);
        }
        assert!((0..1000).all(|i| map[&format!("id{i}")] == i));
    }
}
