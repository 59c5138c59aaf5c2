//! Time in the browser.

use yrs::sync::{Clock, Timestamp};

/// Milliseconds since the Unix epoch from `Date.now()`: what Yjs peers use for awareness, and
/// available on wasm32 where `std::time::SystemTime` is not.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SessionClock;

impl SessionClock {
    /// The browser's clock (it has no origin to fix).
    pub(crate) fn start() -> Self {
        SessionClock
    }
}

impl Clock for SessionClock {
    fn now(&self) -> Timestamp {
        now_ms()
    }
}

/// `Date.now()` as whole milliseconds.
pub(crate) fn now_ms() -> u64 {
    // Date.now() is a non-negative integral number of milliseconds well below 2^53.
    js_sys::Date::now() as u64
}
