//! Reconnect delays: exponential, capped, jittered.

use std::time::Duration;

/// Default first reconnect delay ceiling (y-websocket's 100 ms unit).
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(100);
/// Default cap on the reconnect delay (y-websocket's `maxBackoffTime`).
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_millis(2_500);

/// Exponential reconnect backoff with "equal jitter": after `n` unsuccessful connections the
/// delay is drawn uniformly from `[c/2, c]` with `c = min(initial · 2^n, max)`.
///
/// The jitter keeps a room's clients from reconnecting in lockstep after a server restart;
/// the lower half keeps a delay from collapsing to zero. Only a connection that *synced*
/// should [`reset`](Self::reset) the counter: a server that accepts sockets and closes them
/// at once must still be backed off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff whose first delay is at most `initial` and no delay exceeds `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            failures: 0,
        }
    }

    /// How many unsuccessful connections in a row have been counted.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Counts one more unsuccessful connection and returns how long to wait before the next.
    /// `unit` is a uniformly random number in `[0, 1)` (the jitter); values outside are
    /// clamped.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        let half = ceiling / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// A connection synced: start again from the shortest delay.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds_and_stop_at_the_cap() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut backoff = Backoff::default();
        for (n, ceiling_ms) in [100u64, 200, 400, 800, 1600, 2500, 2500, 2500]
            .into_iter()
            .enumerate()
        {
            let delay = backoff.next_delay(rng.random::<f64>());
            let ceiling = Duration::from_millis(ceiling_ms);
            assert!(
                delay >= ceiling / 2 && delay <= ceiling,
                "attempt {n}: {delay:?} outside [{:?}, {ceiling:?}]",
                ceiling / 2
            );
        }
        for _ in 0..100 {
            assert!(backoff.next_delay(rng.random::<f64>()) <= DEFAULT_MAX_BACKOFF);
        }
    }

    #[test]
    fn delays_are_jittered_not_identical_across_clients() {
        let mut rng = StdRng::seed_from_u64(1);
        let delays: Vec<Duration> = (0..20)
            .map(|_| {
                let mut backoff = Backoff::default();
                backoff.next_delay(rng.random::<f64>());
                backoff.next_delay(rng.random::<f64>())
            })
            .collect();
        let first = delays[0];
        assert!(delays.iter().any(|d| *d != first), "{delays:?}");
    }

    #[test]
    fn reset_returns_to_the_shortest_delay() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut backoff = Backoff::default();
        for _ in 0..10 {
            backoff.next_delay(rng.random::<f64>());
        }
        backoff.reset();
        assert_eq!(backoff.failures(), 0);
        assert!(backoff.next_delay(rng.random::<f64>()) <= DEFAULT_INITIAL_BACKOFF);
    }
}
