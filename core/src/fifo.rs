//! A first-in first-out queue made of two `Vec`s, for the client's outputs and buffers.
//!
//! The state machines queue transmits, events, commands and packets, and drivers drain them after
//! every input. `VecDeque` would do, but each element type instantiates its ring-buffer code
//! again, which the browser client's wasm module pays for about ten times; this queue reuses
//! `Vec`'s code. Items are pushed onto `back`; `front` holds the older ones in reverse, so the
//! next one is its last, and is refilled from `back` when it runs dry (each item is moved once:
//! amortized O(1)).

use alloc::vec::Vec;
use core::fmt;

/// A FIFO queue.
#[derive(Clone)]
pub(crate) struct Fifo<T> {
    front: Vec<T>,
    back: Vec<T>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            front: Vec::new(),
            back: Vec::new(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> Fifo<T> {
    /// Adds `item` at the back.
    pub(crate) fn push_back(&mut self, item: T) {
        self.back.push(item);
    }

    /// Moves `back` into `front` when `front` is empty, so that `front` ends with the oldest item
    /// (with `pop` and `push` only, which every `Vec` has anyway).
    fn refill(&mut self) {
        if self.front.is_empty() {
            while let Some(item) = self.back.pop() {
                self.front.push(item);
            }
        }
    }

    /// Takes the oldest item.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        self.refill();
        self.front.pop()
    }

    /// The oldest item.
    pub(crate) fn front_mut(&mut self) -> Option<&mut T> {
        self.refill();
        self.front.last_mut()
    }

    /// How many items are queued.
    pub(crate) fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.front.is_empty() && self.back.is_empty()
    }

    /// The `i`th item, the oldest first (indexing rather than [`Fifo::iter`]'s chained
    /// iterators, which the browser client's module would carry once per element type).
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        match self.front.len().checked_sub(i + 1) {
            Some(j) => self.front.get(j),
            None => self.back.get(i - self.front.len()),
        }
    }

    /// The items, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.front.iter().rev().chain(&self.back)
    }

    /// Drops every item.
    pub(crate) fn clear(&mut self) {
        self.front.clear();
        self.back.clear();
    }

    /// Keeps the items `keep` says yes to, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        // `&mut keep` both times: one copy of `Vec::retain` rather than two.
        self.front.retain(&mut keep);
        self.back.retain(&mut keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;

    #[test]
    fn behaves_as_a_vecdeque() {
        let mut fifo = Fifo::default();
        let mut model = VecDeque::new();
        let mut x: u32 = 1;
        for step in 0..3000u32 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            match x % 7 {
                0..=2 => {
                    fifo.push_back(step);
                    model.push_back(step);
                }
                3 | 4 => assert_eq!(fifo.pop_front(), model.pop_front()),
                5 => {
                    assert_eq!(fifo.front_mut().copied(), model.front().copied());
                    fifo.retain(|v| v % 3 != 0);
                    model.retain(|v| v % 3 != 0);
                }
                _ if step % 50 == 0 => {
                    while let Some(v) = fifo.pop_front() {
                        assert_eq!(Some(v), model.pop_front());
                    }
                }
                _ => {}
            }
            assert_eq!(fifo.len(), model.len());
            assert_eq!(fifo.is_empty(), model.is_empty());
            assert!(fifo.iter().eq(model.iter()));
            assert!((0..=model.len()).all(|i| fifo.get(i) == model.get(i)));
        }
        fifo.clear();
        assert!(fifo.is_empty());
    }
}
