//! Exact backoff schedules on the virtual clock, for every jitter mode,
//! checked against the formulas computed here from the same seed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrio_resilience::retry::{retry, Jitter, RetryPolicy, StopReason};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs a retry loop whose attempts all fail at once; returns the virtual
/// time between consecutive attempt starts.
fn gaps(policy: RetryPolicy) -> Vec<Duration> {
    let starts: Rc<RefCell<Vec<Instant>>> = Rc::default();
    let s = starts.clone();
    let err = ferrio::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
        .run_until_complete(async move {
            retry(policy, || {
                s.borrow_mut().push(ferrio::now());
                async { Err::<(), _>("down") }
            })
            .await
            .unwrap_err()
        })
        .unwrap();
    assert!(matches!(err.reason(), StopReason::AttemptsExhausted));
    let starts = starts.borrow();
    assert_eq!(starts.len() as u32, err.attempts());
    starts.windows(2).map(|w| w[1] - w[0]).collect()
}

fn exponential(base: Duration, factor: f64, cap: Duration, k: u32) -> u64 {
    let raw = base.as_nanos() as f64 * factor.powi(k as i32 - 1);
    (raw as u64).min(cap.as_nanos() as u64)
}

#[test]
fn no_jitter_is_the_exponential_schedule_capped() {
    let policy = RetryPolicy::exponential(ms(100))
        .max_delay(ms(1000))
        .max_attempts(7)
        .jitter(Jitter::None);
    assert_eq!(
        gaps(policy),
        [ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000)]
    );
}

#[test]
fn fixed_delay_repeats() {
    assert_eq!(
        gaps(RetryPolicy::fixed(ms(250)).max_attempts(4)),
        [ms(250); 3]
    );
}

#[test]
fn full_jitter_matches_the_seeded_formula() {
    let policy = RetryPolicy::exponential(ms(100))
        .factor(2.0)
        .max_delay(ms(2000))
        .max_attempts(9)
        .jitter(Jitter::Full)
        .seed(42);
    let mut rng = fastrand::Rng::with_seed(42);
    let expected: Vec<_> = (1..=8)
        .map(|k| Duration::from_nanos(rng.u64(0..=exponential(ms(100), 2.0, ms(2000), k))))
        .collect();
    let actual = gaps(policy);
    assert_eq!(actual, expected);
    assert_eq!(actual, policy.backoff().take(8).collect::<Vec<_>>());
    // Really random: not all at the top of their range.
    assert!(actual
        .iter()
        .zip(1..)
        .any(|(d, k)| d.as_nanos() as u64 != exponential(ms(100), 2.0, ms(2000), k)));
}

#[test]
fn equal_jitter_matches_the_seeded_formula() {
    let policy = RetryPolicy::exponential(ms(40))
        .factor(3.0)
        .max_delay(ms(3000))
        .max_attempts(7)
        .jitter(Jitter::Equal)
        .seed(7);
    let mut rng = fastrand::Rng::with_seed(7);
    let expected: Vec<_> = (1..=6)
        .map(|k| {
            let d = exponential(ms(40), 3.0, ms(3000), k);
            let half = d / 2;
            Duration::from_nanos(half + rng.u64(0..=d - half))
        })
        .collect();
    let actual = gaps(policy);
    assert_eq!(actual, expected);
    for (d, k) in actual.iter().zip(1..) {
        let top = Duration::from_nanos(exponential(ms(40), 3.0, ms(3000), k));
        assert!(*d >= top / 2 && *d <= top);
    }
}

#[test]
fn decorrelated_jitter_matches_the_seeded_formula() {
    let policy = RetryPolicy::exponential(ms(10))
        .factor(3.0)
        .max_delay(ms(500))
        .max_attempts(11)
        .jitter(Jitter::Decorrelated)
        .seed(2024);
    let mut rng = fastrand::Rng::with_seed(2024);
    let base = ms(10).as_nanos() as u64;
    let mut previous = base;
    let expected: Vec<_> = (0..10)
        .map(|_| {
            let next = rng
                .u64(base..=(previous * 3).max(base))
                .min(ms(500).as_nanos() as u64);
            previous = next;
            Duration::from_nanos(next)
        })
        .collect();
    assert_eq!(gaps(policy), expected);
}

#[test]
fn unseeded_jitter_differs_between_loops() {
    let policy = RetryPolicy::exponential(Duration::from_secs(1))
        .max_delay(Duration::from_secs(1000))
        .max_attempts(6);
    // Five full-jitter draws over ranges of at least a second, in
    // nanoseconds: two loops agreeing on all of them would mean a shared seed.
    assert_ne!(gaps(policy), gaps(policy));
}
