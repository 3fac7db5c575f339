//! The failure-rate trigger over count and time windows, at their
//! boundaries, on the virtual clock.

use std::time::Duration;

use ferrio_resilience::breaker::{BreakerConfig, CircuitBreaker, CircuitState, Outcome, Window};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn record(b: &CircuitBreaker, outcome: Outcome) {
    b.try_acquire().expect("closed").record(outcome);
}

#[ferrio::test]
async fn count_window_rate_with_min_calls() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(0.5, Window::calls(4), 4),
    );
    // F S F: 2 of 3, but only 3 calls (< min 4).
    record(&b, Outcome::Failure);
    record(&b, Outcome::Success);
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Closed);
    // S: window F S F S = 2 of 4, exactly the threshold — but a success
    // never trips; the check runs on failures.
    record(&b, Outcome::Success);
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!((b.stats().window_calls, b.stats().window_failures), (4, 2));
    // S: window S F S S = 1 of 4.
    record(&b, Outcome::Success);
    // F: window F S S F = 2 of 4 → opens.
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Open);
}

#[ferrio::test]
async fn count_window_slides_old_failures_out() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(0.6, Window::calls(5), 5),
    );
    for outcome in [
        Outcome::Failure,
        Outcome::Failure,
        Outcome::Success,
        Outcome::Success,
    ] {
        record(&b, outcome);
    }
    // F F S S S: 2 of 5 = 40 %.
    record(&b, Outcome::Success);
    // F S S S F: the first F slid out; still 2 of 5.
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Closed);
    // S S S F F → 2 of 5; then S S F F F → 3 of 5 = 60 %.
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Closed);
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Open);
}

#[ferrio::test]
async fn time_window_boundaries() {
    // 10 s in 10 buckets of 1 s, numbered from the first recorded call.
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(
                1.0,
                Window::Time {
                    span: Duration::from_secs(10),
                    buckets: 10,
                },
                3,
            ),
    );
    let start = ferrio::now();
    let at = |t: Duration| ferrio::sleep_until(start + t);
    record(&b, Outcome::Failure); // bucket 0
    at(ms(9_500)).await.unwrap();
    record(&b, Outcome::Failure); // bucket 9
    assert_eq!(b.stats().window_calls, 2);
    // At 10 s bucket 0 has left the window.
    at(ms(10_000)).await.unwrap();
    assert_eq!((b.stats().window_calls, b.stats().window_failures), (1, 1));
    record(&b, Outcome::Failure); // bucket 10: 2 failures in the window, < 3 calls
    assert_eq!(b.state(), CircuitState::Closed);
    at(ms(18_999)).await.unwrap();
    record(&b, Outcome::Failure); // bucket 18: buckets 9, 10, 18 → 3 of 3
    assert_eq!(b.state(), CircuitState::Open);
}

#[ferrio::test]
async fn time_window_just_past_the_boundary_does_not_trip() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(
                1.0,
                Window::Time {
                    span: Duration::from_secs(10),
                    buckets: 10,
                },
                3,
            ),
    );
    let start = ferrio::now();
    record(&b, Outcome::Failure); // bucket 0
    record(&b, Outcome::Failure); // bucket 0
    ferrio::sleep_until(start + ms(10_000)).await.unwrap();
    record(&b, Outcome::Failure); // bucket 10: bucket 0 is out
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(b.stats().window_calls, 1);
}

#[ferrio::test]
async fn either_trigger_opens() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(3)
            .failure_rate(0.9, Window::calls(100), 50),
    );
    for _ in 0..3 {
        record(&b, Outcome::Failure);
    }
    assert_eq!(
        b.state(),
        CircuitState::Open,
        "consecutive trigger, rate far from its minimum"
    );
}

#[ferrio::test]
async fn closing_starts_a_fresh_window() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(0.5, Window::calls(10), 2)
            .cool_down(Duration::from_secs(1)),
    );
    record(&b, Outcome::Failure);
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Open);
    ferrio::sleep(Duration::from_secs(1)).await.unwrap();
    record(&b, Outcome::Success);
    assert_eq!(b.state(), CircuitState::Closed);
    assert_eq!(
        b.stats().window_calls,
        0,
        "the trial is not in the closed window"
    );
    record(&b, Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Closed, "1 call < min 2");
}
