//! Pacing: a fixed number of events spread evenly over time at a fixed rate.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

/// Evenly spaced event times at `rate` events per second, the first at offset zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    rate: u32,
}

impl Pace {
    /// A pace of `rate` events per second (at least 1).
    pub fn new(rate: u32) -> Self {
        Pace { rate: rate.max(1) }
    }

    /// Offset from the start at which event `n` (0-based) is due.
    pub fn offset_of(&self, n: u64) -> Duration {
        let nanos = u128::from(n) * 1_000_000_000 / u128::from(self.rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// How many events are due once `elapsed` has passed.
    pub fn due_by(&self, elapsed: Duration) -> u64 {
        let due = elapsed.as_nanos() * u128::from(self.rate) / 1_000_000_000 + 1;
        u64::try_from(due).unwrap_or(u64::MAX)
    }
}

/// Calls `emit(n)` for `n` in `0..total`, each at or soon after its due time.
///
/// The timer wakes at most once per millisecond, so at high rates events leave in small
/// bursts; one that is late (a slow wake-up) is caught up at once rather than dropped, which
/// keeps the total rate exact. Returns when all `total` events were emitted.
pub async fn run_paced(pace: Pace, total: u64, mut emit: impl FnMut(u64)) {
    let start = Instant::now();
    let mut issued = 0;
    while issued < total {
        let due = pace.due_by(start.elapsed()).min(total);
        while issued < due {
            emit(issued);
            issued += 1;
        }
        if issued < total {
            sleep_until(start + pace.offset_of(issued)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_count_and_offsets_agree() {
        let pace = Pace::new(1000);
        assert_eq!(pace.due_by(Duration::ZERO), 1);
        assert_eq!(pace.due_by(Duration::from_micros(999)), 1);
        assert_eq!(pace.due_by(Duration::from_millis(1)), 2);
        assert_eq!(pace.due_by(Duration::from_secs(1)), 1001);
        for n in [0, 1, 7, 999, 12_345] {
            assert_eq!(pace.due_by(pace.offset_of(n)), n + 1);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn emits_exactly_total_events_over_the_expected_time() {
        let start = Instant::now();
        let mut seen = Vec::new();
        run_paced(Pace::new(200), 400, |n| seen.push(n)).await;
        assert_eq!(seen, (0..400).collect::<Vec<_>>());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1995) && took <= Duration::from_millis(2010));
    }
}
