//! The driver's one real timer and its clock.
//!
//! The core keeps every deadline (ping timeout, open timeout, reconnection delay, ack timeouts) as
//! data and names the earliest through `poll_timeout()`; the driver holds exactly one
//! `setTimeout` for it, replaced only when that deadline changes. Dropping the [`Timer`] clears
//! it, so a driver that goes away leaves nothing scheduled.

use proto::Instant;
use wasm_bindgen::prelude::*;

use crate::callback::Callback;
use crate::counters::{self, Kind};

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: monotonic, unlike `Date.now()`, and present in windows, workers and
    /// Node.js alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
    /// `setTimeout(f, ms)`: an id in browsers, an object in Node.js.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout_js(f: &JsValue, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout_js(id: &JsValue);
}

/// `setTimeout`, counted in the debug build (`crate::counters`).
fn set_timeout(f: &JsValue, ms: f64) -> JsValue {
    counters::add(Kind::Timer, 1);
    set_timeout_js(f, ms)
}

/// `clearTimeout`, counted in the debug build: a timeout never cleared stays counted.
fn clear_timeout(id: &JsValue) {
    counters::add(Kind::Timer, -1);
    clear_timeout_js(id);
}

/// Now, in whole milliseconds since the page (or worker) started.
pub(crate) fn now() -> Instant {
    instant(performance_now())
}

/// A reading of `performance.now()`'s clock (an event's `timeStamp`, say) as an [`Instant`].
pub(crate) fn instant(ms: f64) -> Instant {
    // `as` saturates: a negative or NaN clock (never seen) reads as 0.
    Instant::from_millis(ms as u64)
}

/// The longest delay `setTimeout` honours (2^31 - 1 ms); longer ones fire at once.
const MAX_DELAY: u64 = i32::MAX as u64;

/// One armed `setTimeout`, cleared on drop.
struct Armed {
    at: Instant,
    id: JsValue,
    _callback: Callback,
}

impl Drop for Armed {
    fn drop(&mut self) {
        // A no-op once it fired.
        clear_timeout(&self.id);
    }
}

/// The driver's timer: one armed `setTimeout`, or none.
#[derive(Default)]
pub(crate) struct Timer {
    armed: Option<Armed>,
}

impl Timer {
    /// Makes the timer call the callback `make` gives at `deadline` (none: disarmed). Keeps the
    /// running timeout when the deadline did not change, so a busy connection does not churn
    /// timers.
    pub(crate) fn arm(
        &mut self,
        deadline: Option<Instant>,
        now: Instant,
        make: impl FnOnce() -> Callback,
    ) {
        if self.armed.as_ref().map(|a| a.at) == deadline {
            return;
        }
        self.armed = deadline.map(|at| {
            // A deadline past the cap re-arms when this fires: the core's deadline is still later.
            let delay = at
                .as_millis()
                .saturating_sub(now.as_millis())
                .min(MAX_DELAY);
            let callback = make();
            let id = set_timeout(callback.as_ref(), delay as f64);
            Armed {
                at,
                id,
                _callback: callback,
            }
        });
    }

    /// Forgets the armed deadline: called when it fired, so the next `arm` schedules anew.
    /// (Dropping the callback from inside its own call is safe: wasm-bindgen frees a closure
    /// that is running only once it returns.)
    pub(crate) fn fired(&mut self) {
        self.armed = None;
    }
}
