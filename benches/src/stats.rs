//! Latency percentiles over exact samples, and the rounding of the numbers a report prints.
//!
//! A run records at most a few million samples of 4 bytes, so keeping them all and sorting once
//! is cheap and exact, with no bucket rounding.

use serde::Serialize;

/// p50/p95/p99/max of a set of latencies, in milliseconds; `None` when there were no samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest sample.
    pub max: Option<f64>,
}

impl Percentiles {
    /// Summarises latencies given in microseconds; sorts `samples_us` in place.
    pub fn from_micros(samples_us: &mut [u32]) -> Self {
        samples_us.sort_unstable();
        let at = |p: f64| percentile(samples_us, p).map(micros_to_ms);
        Percentiles {
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: samples_us.last().copied().map(micros_to_ms),
        }
    }
}

/// Nearest-rank percentile of sorted samples: the smallest sample that at least `p` % of the
/// samples are less than or equal to. `None` for no samples.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // Nearest rank is ceil(p/100 · n), 1-based; clamp keeps p=0 and p=100 in range.
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// Microseconds as milliseconds, rounded to the microsecond the samples were taken in.
fn micros_to_ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// `value` rounded to `decimals` decimal places, for readable JSON.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_to(1.23456, 3), 1.235);
        assert_eq!(round_to(2.0, 2), 2.0);
    }

    #[test]
    fn nearest_rank_on_one_to_hundred() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 50.0), Some(50));
        assert_eq!(percentile(&samples, 95.0), Some(95));
        assert_eq!(percentile(&samples, 99.0), Some(99));
        assert_eq!(percentile(&samples, 100.0), Some(100));
        assert_eq!(percentile(&samples, 0.0), Some(1));
    }

    #[test]
    fn small_sets_round_up_to_a_real_sample() {
        assert_eq!(percentile(&[10, 20, 30], 50.0), Some(20));
        assert_eq!(percentile(&[10, 20, 30], 99.0), Some(30));
        assert_eq!(percentile(&[10, 20], 50.0), Some(10));
        assert_eq!(percentile(&[42], 95.0), Some(42));
    }

    #[test]
    fn empty_samples_give_no_percentiles() {
        assert_eq!(percentile(&[], 50.0), None);
        let p = Percentiles::from_micros(&mut []);
        assert_eq!(p.p50, None);
        assert_eq!(p.max, None);
    }

    #[test]
    fn from_micros_sorts_and_converts_to_ms() {
        let mut samples = vec![3_000, 1_000, 2_500, 1_500];
        let p = Percentiles::from_micros(&mut samples);
        assert_eq!(samples, vec![1_000, 1_500, 2_500, 3_000]);
        assert_eq!(p.p50, Some(1.5));
        assert_eq!(p.p95, Some(3.0));
        assert_eq!(p.max, Some(3.0));
    }

    #[test]
    fn summary_serialises_as_ms_fields() {
        let p = Percentiles::from_micros(&mut [1_234]);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"p50":1.234,"p95":1.234,"p99":1.234,"max":1.234}"#);
    }
}
