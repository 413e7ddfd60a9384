//! A small ordered map over a sorted `Vec`, for the client's ack tables.
//!
//! The Socket.IO client keeps, per socket, the acks it waits for (by ack id) and, per manager,
//! their deadlines (by time). Both are small, and their keys mostly arrive in increasing order and
//! leave from the front (acks are answered, and time out, roughly in the order they were sent).
//! Entries are kept sorted in a `Vec`: new keys are mostly pushed at the end, and a removed entry
//! is only marked, so removals from the front cost O(1) and searches O(log n); the marked ones are
//! skipped from the front at once and swept out when they outnumber the rest. This weighs a
//! fraction of a `BTreeMap`, or of a `VecDeque`, in the browser client's wasm module.

use alloc::vec::Vec;

/// An ordered map from `K` to `V`.
#[derive(Clone, Debug)]
pub(crate) struct SortedMap<K, V> {
    /// Sorted by key; `None` marks a removed entry. Entries before `head` are all removed.
    entries: Vec<(K, Option<V>)>,
    head: usize,
    /// Removed entries at or after `head`.
    removed: usize,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            entries: Vec::new(),
            head: 0,
            removed: 0,
        }
    }
}

impl<K: Ord + Copy, V> SortedMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        let live = self.entries.get(self.head..).unwrap_or_default();
        match live.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => Ok(self.head + i),
            Err(i) => Err(self.head + i),
        }
    }

    /// Inserts `value` under `key`, replacing (and returning) the value it had.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => {
                let slot = &mut self.entries.get_mut(i)?.1;
                let old = slot.replace(value);
                if old.is_none() {
                    self.removed -= 1;
                }
                old
            }
            Err(i) if i == self.entries.len() => {
                self.entries.push((key, Some(value)));
                None
            }
            Err(i) => {
                self.entries.insert(i, (key, Some(value)));
                None
            }
        }
    }

    /// Removes the entry of `key`, returning its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        let value = self.entries.get_mut(i)?.1.take()?;
        self.removed += 1;
        // Removed entries at the front are skipped at once, so the first live one is at `head`.
        while self
            .entries
            .get(self.head)
            .is_some_and(|(_, v)| v.is_none())
        {
            self.head += 1;
            self.removed -= 1;
        }
        let live = self.entries.len() - self.head - self.removed;
        if self.head + self.removed > live {
            self.entries.retain(|(_, v)| v.is_some());
            self.head = 0;
            self.removed = 0;
        }
        Some(value)
    }

    /// The entry with the smallest key.
    pub(crate) fn first(&self) -> Option<(&K, &V)> {
        let (k, v) = self.entries.get(self.head)?;
        Some((k, v.as_ref()?))
    }

    /// The keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        let live = self.entries.get(self.head..).unwrap_or_default();
        live.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    #[test]
    fn behaves_as_a_btreemap() {
        let mut map = SortedMap::default();
        let mut model = BTreeMap::new();
        // A deterministic mix of in-order and out-of-order inserts and removals.
        let mut x: u64 = 7;
        for step in 0..2000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let key = if step % 3 == 0 { (x >> 33) % 64 } else { step };
            if (x >> 20).is_multiple_of(4) {
                assert_eq!(map.remove(&key), model.remove(&key));
            } else {
                assert_eq!(map.insert(key, step), model.insert(key, step));
            }
            assert_eq!(
                map.first().map(|(k, v)| (*k, *v)),
                model.first_key_value().map(|(k, v)| (*k, *v))
            );
            // Swept often enough to stay within twice the live entries.
            assert!(map.entries.len() <= 2 * model.len() + 1);
        }
        assert_eq!(
            map.keys().copied().collect::<Vec<_>>(),
            model.keys().copied().collect::<Vec<_>>()
        );
    }
}
