//! A clock that tests advance by hand, so timing rules are checked without sleeping. Only
//! with the `test-util` feature (or in this crate's own tests): production code takes a real
//! clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use yrs::sync::{Clock, Timestamp};

/// A shared, manually advanced millisecond clock implementing yrs's [`Clock`].
///
/// Clones share the same time, so one handle can be given to an `Awareness` and another kept
/// by the test to move time forward.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock starting at `start_ms`.
    pub fn new(start_ms: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicU64::new(start_ms)))
    }

    /// Moves time forward by `ms` milliseconds.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// The current time in milliseconds.
    pub fn now(&self) -> Timestamp {
        self.0.load(Ordering::SeqCst)
    }

    /// Sets the time to `ms`.
    pub fn set(&self, ms: Timestamp) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        ManualClock::now(self)
    }
}
