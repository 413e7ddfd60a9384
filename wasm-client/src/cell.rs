//! [`Shared`]: a `RefCell` whose borrow failures panic with a fixed message.
//!
//! `RefCell::borrow_mut` panics through `core::fmt` (its message prints the borrow error), which
//! links the formatter into the wasm module at every borrow site. A borrow that fails here means
//! a broken invariant (the driver never calls JS while holding a borrow, so nothing can re-enter
//! it), so a fixed message says as much.

use core::cell::{Ref, RefCell, RefMut};

/// Single-threaded shared state, borrowed for short, non-overlapping stretches.
#[derive(Default)]
pub(crate) struct Shared<T>(RefCell<T>);

impl<T> Shared<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> Self {
        Shared(RefCell::new(value))
    }

    /// Reads the value.
    pub(crate) fn borrow(&self) -> Ref<'_, T> {
        self.0.try_borrow().unwrap_or_else(|_| reentered())
    }

    /// Changes the value.
    pub(crate) fn borrow_mut(&self) -> RefMut<'_, T> {
        self.0.try_borrow_mut().unwrap_or_else(|_| reentered())
    }

    /// Takes the value, leaving the default.
    pub(crate) fn take(&self) -> T
    where
        T: Default,
    {
        core::mem::take(&mut *self.borrow_mut())
    }
}

#[cold]
fn reentered() -> ! {
    // The npm build's panic handler traps without reading the message: a trap says as much, and
    // spares the module the message and its location (0.1 KB).
    #[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
    core::arch::wasm32::unreachable();
    #[cfg(not(all(not(feature = "std"), target_arch = "wasm32")))]
    panic!("sockeye-client: state borrowed while already borrowed (a call re-entered the driver)")
}
