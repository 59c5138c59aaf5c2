//! The pause between tries after a failed request to Redis: short at first, doubling up to a
//! ceiling, back to short after a success. The background tasks of a node pace themselves
//! with it.

use std::time::Duration;

/// The first pause after a failure.
const FIRST: Duration = Duration::from_millis(100);
/// The longest pause: a Redis that comes back is noticed within it.
const MAX: Duration = Duration::from_secs(2);

/// Exponential pauses between tries.
#[derive(Debug, Clone, Copy)]
pub(super) struct Retry {
    next: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry { next: FIRST }
    }
}

impl Retry {
    /// A request succeeded: the next failure waits [`FIRST`] again.
    pub(super) fn succeeded(&mut self) {
        self.next = FIRST;
    }

    /// Waits out the pause after a failure, and doubles the next one.
    pub(super) async fn failed(&mut self) {
        tokio::time::sleep(self.pause()).await;
    }

    /// The pause after a failure; the next one is twice as long, up to [`MAX`].
    fn pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(MAX);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_ceiling_and_restart_after_a_success() {
        let mut retry = Retry::default();
        let pauses: Vec<u128> = (0..7).map(|_| retry.pause().as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 800, 1600, 2000, 2000]);
        retry.succeeded();
        assert_eq!(retry.pause(), FIRST);
    }
}
