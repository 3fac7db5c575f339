//! [`Histogram`]: latencies in fixed memory, log-linear buckets.
//!
//! A value `v` microseconds falls in the bucket of its power of two and,
//! within it, one of [`SUB`] equal slices: every bucket is at most 1/16
//! (6.25 %) of its value wide, whatever the count, and the whole histogram
//! is a fixed array — a million requests cost no more than ten.

use std::time::Duration;

/// Linear sub-buckets per power of two.
pub const SUB: usize = 16;
const SUB_BITS: u32 = 4;
/// Powers of two covered: up to 2^40 µs (about 12 days).
const EXPONENTS: usize = 41;

/// A latency histogram with exact count, minimum, maximum and mean.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum_us: u128,
    min_us: u64,
    max_us: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.count)
            .field("min_us", &self.min_us)
            .field("max_us", &self.max_us)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

fn bucket_of(us: u64) -> usize {
    if us < SUB as u64 {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros(); // >= SUB_BITS
    let shift = exp - SUB_BITS;
    let sub = ((us >> shift) as usize) & (SUB - 1);
    let index = (exp - SUB_BITS + 1) as usize * SUB + sub;
    index.min(EXPONENTS * SUB - 1)
}

/// The largest value that falls in bucket `index`.
fn upper_of(index: usize) -> u64 {
    if index < SUB {
        return index as u64;
    }
    let group = (index / SUB) as u32; // >= 1
    let sub = (index % SUB) as u64;
    let shift = group - 1;
    (((SUB as u64) + sub + 1) << shift) - 1
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; EXPONENTS * SUB].into_boxed_slice(),
            count: 0,
            sum_us: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: Duration) {
        let us = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(us)] += 1;
        self.count += 1;
        self.sum_us += u128::from(us);
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value (zero when empty).
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.max_us)
    }

    /// The smallest value (zero when empty).
    pub fn min(&self) -> Duration {
        Duration::from_micros(if self.count == 0 { 0 } else { self.min_us })
    }

    /// The mean (zero when empty).
    pub fn mean(&self) -> Duration {
        match self.count {
            0 => Duration::ZERO,
            n => Duration::from_micros((self.sum_us / u128::from(n)) as u64),
        }
    }

    /// The `q`-quantile (`q` in 0..=1): the upper edge of the bucket that
    /// holds it, capped by the maximum, so within 6.25 % above the true
    /// value. Zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let us = upper_of(index).min(self.max_us).max(self.min_us);
                return Duration::from_micros(us);
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        let mut previous_upper = None;
        for index in 0..EXPONENTS * SUB - 1 {
            let upper = upper_of(index);
            assert_eq!(bucket_of(upper), index, "upper edge of {index}");
            assert_eq!(bucket_of(upper + 1), index + 1, "past the edge of {index}");
            if let Some(p) = previous_upper {
                let width = upper - p;
                assert!(
                    width * 16 <= upper.max(16),
                    "bucket {index} too wide: {width} at {upper}"
                );
            }
            previous_upper = Some(upper);
        }
    }

    #[test]
    fn percentiles_are_within_the_bucket_width() {
        let mut h = Histogram::new();
        for ms in 1..=1000u64 {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.count(), 1000);
        for (q, exact) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let got = h.quantile(q).as_secs_f64() * 1e3;
            assert!(
                got >= exact && got <= exact * 1.0625,
                "q{q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.quantile(1.0), Duration::from_millis(1000));
        assert_eq!(h.max(), Duration::from_millis(1000));
        assert_eq!(h.min(), Duration::from_millis(1));
        assert_eq!(h.mean(), Duration::from_micros(500_500));
    }

    proptest::proptest! {
        /// Any values: each quantile is at or above the exact one, within
        /// the bucket width (1/16), and never above the maximum.
        #[test]
        fn quantiles_bound_the_exact_value(
            values in proptest::collection::vec(0u64..10_000_000, 1..300),
            q in 0.0f64..=1.0,
        ) {
            let mut h = Histogram::new();
            for &us in &values {
                h.record(Duration::from_micros(us));
            }
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
            let exact = sorted[rank - 1];
            let got = h.quantile(q).as_micros() as u64;
            proptest::prop_assert!(got >= exact, "{got} < {exact}");
            proptest::prop_assert!(got <= exact + exact / 16 + 1, "{got} vs {exact}");
            proptest::prop_assert!(got <= *sorted.last().unwrap());
        }
    }

    #[test]
    fn small_values_are_exact_and_empty_is_zero() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), Duration::ZERO);
        assert_eq!(h.max(), Duration::ZERO);
        let mut h = Histogram::new();
        for us in [3, 3, 3, 7] {
            h.record(Duration::from_micros(us));
        }
        assert_eq!(h.quantile(0.5), Duration::from_micros(3));
        assert_eq!(h.quantile(0.99), Duration::from_micros(7));
        // Huge values land in the last bucket, not out of bounds.
        h.record(Duration::from_secs(86_400 * 365));
        assert_eq!(h.count(), 5);
    }
}
