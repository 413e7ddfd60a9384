//! Counts of the browser resources the client holds, for the leak test
//! (`tests/browser/leaks.test.mjs`), in the debug build only: feature `debug-counters`, which
//! `scripts/build-client.sh --debug-counters` builds into a package of its own. That package's
//! glue exports `debugCounters()`.
//!
//! Each count moves where the resource is acquired or released, next to the JS call that does it,
//! so a release that goes missing (a `clearTimeout` skipped, a closure or a handler kept) leaves
//! its count above zero. Without the feature, [`add`] and [`Live`] are empty and inline away: the
//! npm build's module has none of it (its size is that of a build without this file, to the byte).

/// What is counted.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `setTimeout` handles set and not yet cleared (the driver's one timer; a fired timer is
    /// cleared, a no-op, when the driver lets it go).
    Timer = 0,
    /// Closures handed to JS (listeners, promise callbacks, the timer's) not yet freed.
    Closure = 1,
    /// WebSocket event handlers (`onopen` ...) set and not yet detached.
    Listener = 2,
    /// Drivers (one per manager, each holding its core client) not yet dropped.
    Driver = 3,
}

#[cfg(feature = "debug-counters")]
mod imp {
    use core::sync::atomic::{AtomicI32, Ordering};

    use wasm_bindgen::prelude::*;

    use super::Kind;

    // wasm32 without threads: the atomics are plain loads and stores.
    static COUNTS: [AtomicI32; 4] = [const { AtomicI32::new(0) }; 4];

    pub(crate) fn add(kind: Kind, n: i32) {
        if let Some(c) = COUNTS.get(kind as usize) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The live counts, and the wasm linear memory's size in bytes:
    /// `{ timers, closures, listeners, drivers, wasmMemory }`.
    #[wasm_bindgen(js_name = debugCounters)]
    pub fn debug_counters() -> js_sys::Object {
        let counts = js_sys::Object::new();
        let names = ["timers", "closures", "listeners", "drivers"];
        for (name, count) in names.iter().zip(&COUNTS) {
            crate::js::set(&counts, name, &count.load(Ordering::Relaxed).into());
        }
        #[cfg(target_arch = "wasm32")]
        let bytes = core::arch::wasm32::memory_size::<0>() as f64 * 65536.0;
        #[cfg(not(target_arch = "wasm32"))]
        let bytes = 0.0;
        crate::js::set(&counts, "wasmMemory", &bytes.into());
        counts
    }
}

#[cfg(feature = "debug-counters")]
pub(crate) use imp::add;
#[cfg(feature = "debug-counters")]
pub use imp::debug_counters;

/// Counts `n` more (or fewer) of `kind`: nothing without the feature.
#[cfg(not(feature = "debug-counters"))]
#[inline(always)]
pub(crate) fn add(_kind: Kind, _n: i32) {}

/// One live resource of a kind, counted while this value lives (a closure captures one, the
/// driver holds one). A zero-sized nothing without the feature.
pub(crate) struct Live(#[cfg(feature = "debug-counters")] Kind);

impl Live {
    /// Counts one more of `kind` until the result is dropped.
    #[inline(always)]
    pub(crate) fn new(kind: Kind) -> Live {
        add(kind, 1);
        #[cfg(feature = "debug-counters")]
        return Live(kind);
        #[cfg(not(feature = "debug-counters"))]
        {
            let _ = kind;
            Live()
        }
    }
}

#[cfg(feature = "debug-counters")]
impl Drop for Live {
    fn drop(&mut self) {
        add(self.0, -1);
    }
}
