//! The faults the mock injects: per-request draws of latency and failure,
//! and the rate limit with its `Retry-After`.
//!
//! Draws are deterministic per path: the n-th request for a path gets a
//! generator seeded from `(seed, path, n)`. So with a seed, which requests
//! fail and how long each waits do not depend on the order concurrent
//! requests arrive in — a concurrent client sees the same failures on
//! every run. The cost is one counter per distinct path (16 bytes and the
//! map's overhead).

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use ferrio_resilience::limiter::{RateLimiter, TryAcquireError};

use super::config::{MockConfig, RateLimit};
use crate::units::DurationRange;

/// What was drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Draw {
    /// How long to wait before answering.
    pub(crate) latency: Duration,
    /// Whether an `/item` request fails (with the configured status).
    pub(crate) fail: bool,
}

/// Latency and failure draws, deterministic per path.
#[derive(Debug)]
pub(crate) struct Faults {
    seed: u64,
    latency: DurationRange,
    fail_rate: f64,
    seen: RefCell<HashMap<u64, u32>>,
}

impl Faults {
    pub(crate) fn new(config: &MockConfig) -> Faults {
        Faults {
            seed: config.seed.unwrap_or_else(|| fastrand::u64(..)),
            latency: config.latency,
            fail_rate: config.fail_rate,
            seen: RefCell::new(HashMap::new()),
        }
    }

    /// The draw for the next request for `path`.
    pub(crate) fn draw(&self, path: &str) -> Draw {
        let key = fnv1a(path.as_bytes());
        let n = {
            let mut seen = self.seen.borrow_mut();
            let count = seen.entry(key).or_insert(0);
            let n = *count;
            *count = count.wrapping_add(1);
            n
        };
        let mut rng = fastrand::Rng::with_seed(mix(self.seed, key, n));
        let latency = self.latency.sample(&mut rng);
        let fail = self.fail_rate > 0.0 && rng.f64() < self.fail_rate;
        Draw { latency, fail }
    }
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust
/// releases, and a seed must mean the same thing on every build).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// splitmix64's finaliser over the three inputs.
fn mix(seed: u64, key: u64, n: u32) -> u64 {
    let mut z = seed
        .wrapping_add(key.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(u64::from(n).wrapping_mul(0xbf58_476d_1ce4_e5b9));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The server-wide rate limit: a token bucket from ferrio-resilience, asked
/// without waiting.
#[derive(Debug)]
pub(crate) struct Limit {
    limiter: RateLimiter,
}

impl Limit {
    /// A token bucket for `limit` (validated: rate above zero, burst ≥ 1).
    pub(crate) fn new(limit: RateLimit) -> Limit {
        let rate = limit.per_second;
        // The bucket counts whole permits per period: an integral rate is
        // `rate` per second; any other is one permit every `1 / rate` s.
        let limiter = if rate >= 1.0 && rate.fract() == 0.0 && rate <= f64::from(u32::MAX) {
            RateLimiter::token_bucket(rate as u32, Duration::from_secs(1), limit.burst)
        } else {
            RateLimiter::token_bucket(1, Duration::from_secs_f64(1.0 / rate), limit.burst)
        };
        Limit { limiter }
    }

    /// Takes one request's permit, or says how many whole seconds to wait.
    pub(crate) fn check(&self) -> Result<(), u64> {
        match self.limiter.try_acquire(1) {
            Ok(()) => Ok(()),
            Err(TryAcquireError::RateLimited { retry_after, .. }) => {
                Err(retry_after_secs(retry_after))
            }
            // Capacity is at least 1 and we ask for 1.
            Err(TryAcquireError::ExceedsCapacity { .. }) => Err(1),
        }
    }
}

/// `Retry-After` in whole seconds: the wait rounded up, at least 1 (a
/// client told "0" would come straight back and be refused again).
pub(crate) fn retry_after_secs(wait: Option<Duration>) -> u64 {
    let Some(wait) = wait else { return 1 };
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Some(Duration::from_millis(1))), 1);
        assert_eq!(retry_after_secs(Some(Duration::from_millis(999))), 1);
        assert_eq!(retry_after_secs(Some(Duration::from_secs(1))), 1);
        assert_eq!(retry_after_secs(Some(Duration::from_millis(1001))), 2);
        assert_eq!(retry_after_secs(Some(Duration::from_secs(3))), 3);
        assert_eq!(retry_after_secs(Some(Duration::ZERO)), 1);
        assert_eq!(retry_after_secs(None), 1);
    }

    fn faults(fail_rate: f64, seed: u64) -> Faults {
        Faults::new(&MockConfig {
            fail_rate,
            seed: Some(seed),
            latency: DurationRange {
                low: Duration::from_millis(50),
                high: Duration::from_millis(300),
            },
            ..MockConfig::default()
        })
    }

    #[test]
    fn draws_depend_on_path_and_count_not_on_order() {
        let a = faults(0.5, 7);
        let b = faults(0.5, 7);
        let forward: Vec<Draw> = (0..50).map(|i| a.draw(&format!("/item/{i}"))).collect();
        let mut backward: Vec<Draw> = (0..50)
            .rev()
            .map(|i| b.draw(&format!("/item/{i}")))
            .collect();
        backward.reverse();
        assert_eq!(forward, backward);
        // A second request for the same path is a fresh draw.
        let again: Vec<Draw> = (0..50).map(|i| a.draw(&format!("/item/{i}"))).collect();
        assert_ne!(forward, again);
    }

    #[test]
    fn latency_stays_in_range_and_the_fail_rate_is_about_right() {
        let f = faults(0.2, 1);
        let draws: Vec<Draw> = (0..2000).map(|i| f.draw(&format!("/item/{i}"))).collect();
        assert!(
            draws
                .iter()
                .all(|d| (Duration::from_millis(50)..=Duration::from_millis(300))
                    .contains(&d.latency))
        );
        let failed = draws.iter().filter(|d| d.fail).count();
        assert!((300..500).contains(&failed), "{failed}");
        assert!(faults(0.0, 1).draw("/item/1").fail.eq(&false));
    }

    #[test]
    fn another_seed_gives_other_draws() {
        let a: Vec<Draw> = (0..20)
            .map(|i| faults(0.5, 1).draw(&format!("/item/{i}")))
            .collect();
        let b: Vec<Draw> = (0..20)
            .map(|i| faults(0.5, 2).draw(&format!("/item/{i}")))
            .collect();
        assert_ne!(a, b);
    }
}
