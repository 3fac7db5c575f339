//! [`Backoff`]: the sequence of delays a [`RetryPolicy`] sleeps between
//! attempts.

use std::time::Duration;

use super::{Jitter, RetryPolicy};

/// The delays between attempts that a [`RetryPolicy`] produces, in order:
/// the delay before retry 1, before retry 2, and so on, jittered.
///
/// An endless iterator (the policy's attempt and time limits are applied by
/// [`retry`](super::retry), not here). Useful to print or test a schedule:
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::exponential(Duration::from_millis(100))
///     .max_delay(Duration::from_millis(500))
///     .jitter(Jitter::None);
/// let delays: Vec<_> = policy.backoff().take(5).collect();
/// let ms = |n| Duration::from_millis(n);
/// assert_eq!(delays, [ms(100), ms(200), ms(400), ms(500), ms(500)]);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    factor: f64,
    max_delay: Duration,
    jitter: Jitter,
    /// Retries produced so far.
    retries: u32,
    /// The previous delay, for decorrelated jitter.
    previous: Duration,
    rng: fastrand::Rng,
}

impl Backoff {
    pub(crate) fn new(policy: &RetryPolicy) -> Backoff {
        Backoff {
            base: policy.base,
            factor: policy.factor,
            max_delay: policy.max_delay,
            jitter: policy.jitter,
            retries: 0,
            previous: policy.base,
            rng: match policy.seed {
                Some(seed) => fastrand::Rng::with_seed(seed),
                None => fastrand::Rng::new(),
            },
        }
    }

    /// The delay before the next retry.
    pub fn next_delay(&mut self) -> Duration {
        self.retries = self.retries.saturating_add(1);
        match self.jitter {
            Jitter::None => self.exponential(),
            Jitter::Full => {
                let d = nanos(self.exponential());
                Duration::from_nanos(self.rng.u64(0..=d))
            }
            Jitter::Equal => {
                let d = nanos(self.exponential());
                let half = d / 2;
                Duration::from_nanos(half + self.rng.u64(0..=d - half))
            }
            Jitter::Decorrelated => {
                let low = nanos(self.base);
                let high = scale(nanos(self.previous), self.factor).max(low);
                let next = Duration::from_nanos(self.rng.u64(low..=high)).min(self.max_delay);
                self.previous = next;
                next
            }
        }
    }

    /// `base × factor^(retries-1)`, capped at `max_delay`.
    fn exponential(&self) -> Duration {
        let cap = nanos(self.max_delay);
        let exponent = i32::try_from(self.retries - 1).unwrap_or(i32::MAX);
        let raw = nanos(self.base) as f64 * self.factor.powi(exponent);
        if raw.is_finite() && raw < cap as f64 {
            Duration::from_nanos(raw as u64)
        } else {
            self.max_delay
        }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.next_delay())
    }
}

/// A duration in whole nanoseconds, saturating (584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `n × factor`, saturating.
fn scale(n: u64, factor: f64) -> u64 {
    let scaled = n as f64 * factor;
    if scaled >= u64::MAX as f64 {
        u64::MAX
    } else {
        scaled as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn exponential_caps_and_never_overflows() {
        let policy = RetryPolicy::exponential(ms(1))
            .factor(10.0)
            .max_delay(Duration::from_secs(3600))
            .jitter(Jitter::None);
        let delays: Vec<_> = policy.backoff().take(2000).collect();
        assert_eq!(&delays[..4], [ms(1), ms(10), ms(100), ms(1000)]);
        assert!(delays[7..].iter().all(|&d| d == Duration::from_secs(3600)));
    }

    #[test]
    fn full_and_equal_jitter_stay_in_their_ranges() {
        for jitter in [Jitter::Full, Jitter::Equal] {
            let policy = RetryPolicy::exponential(ms(100))
                .max_delay(ms(800))
                .jitter(jitter)
                .seed(7);
            for (k, d) in policy.backoff().take(200).enumerate() {
                let exp = ms(100 * (1 << k.min(3)));
                let low = if jitter == Jitter::Equal {
                    exp / 2
                } else {
                    Duration::ZERO
                };
                assert!(
                    d >= low && d <= exp,
                    "{jitter:?} retry {k}: {d:?} not in [{low:?}, {exp:?}]"
                );
            }
        }
    }

    #[test]
    fn decorrelated_stays_between_base_and_cap() {
        let policy = RetryPolicy::exponential(ms(10))
            .factor(3.0)
            .max_delay(ms(1000))
            .jitter(Jitter::Decorrelated)
            .seed(1);
        let mut previous = ms(10);
        for d in policy.backoff().take(500) {
            assert!(d >= ms(10) && d <= ms(1000) && d <= (previous * 3).max(ms(10)));
            previous = d;
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        let policy = RetryPolicy::exponential(ms(50)).seed(99);
        let a: Vec<_> = policy.backoff().take(20).collect();
        let b: Vec<_> = policy.backoff().take(20).collect();
        assert_eq!(a, b);
        let c: Vec<_> = policy.seed(100).backoff().take(20).collect();
        assert_ne!(a, c);
    }
}
