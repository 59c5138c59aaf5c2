//! Time on tokio's clock.

use std::time::Duration;

use tokio::time::Instant;
use yrs::sync::{Clock, Timestamp};

/// Milliseconds since the provider was created, on tokio's clock (so tests with paused time
/// see awareness timing move with it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionClock {
    origin: Instant,
}

impl SessionClock {
    /// A clock at zero now.
    pub(crate) fn start() -> Self {
        SessionClock {
            origin: Instant::now(),
        }
    }

    /// The instant a session timestamp stands for.
    pub(crate) fn instant_at(&self, timestamp: Timestamp) -> Instant {
        self.origin + Duration::from_millis(timestamp)
    }
}

impl Clock for SessionClock {
    fn now(&self) -> Timestamp {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}
