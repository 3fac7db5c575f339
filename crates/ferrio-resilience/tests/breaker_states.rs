//! The circuit breaker's state machine on the virtual clock: opening,
//! failing fast, half-open trials (concurrent ones included), a failure in
//! half-open, closing, and stale outcomes.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::sync::Event;
use ferrio::Cancelled;
use ferrio_resilience::breaker::{
    BreakerConfig, BreakerError, CircuitBreaker, CircuitState, Outcome,
};

#[derive(Debug)]
enum Error {
    Down,
    #[allow(dead_code)] // Read through `Debug` only; kept so cancellation stays alive.
    Cancelled(Cancelled),
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

async fn fail(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(|| async { Err("503") }).await
}

async fn succeed(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(|| async { Ok(()) }).await
}

fn breaker(consecutive: u32, cool_down: u64) -> CircuitBreaker {
    CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(consecutive)
            .cool_down(secs(cool_down)),
    )
}

#[ferrio::test]
async fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
    let b = breaker(3, 30);
    fail(&b).await.unwrap_err();
    fail(&b).await.unwrap_err();
    succeed(&b).await.unwrap();
    fail(&b).await.unwrap_err();
    fail(&b).await.unwrap_err();
    assert_eq!(
        b.state(),
        CircuitState::Closed,
        "2 in a row since the success"
    );
    assert_eq!(b.stats().consecutive_failures, 2);
    fail(&b).await.unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
}

#[ferrio::test]
async fn open_fails_fast_without_calling_and_says_when_to_come_back() {
    let b = breaker(1, 30);
    fail(&b).await.unwrap_err();
    let opened = ferrio::now();
    ferrio::sleep(secs(12)).await.unwrap();
    let called = Cell::new(false);
    let err = b
        .call(|| {
            called.set(true);
            async { Ok::<_, &str>(()) }
        })
        .await
        .unwrap_err();
    assert!(!called.get(), "an open breaker does not call");
    let open = err.open().expect("refused as open");
    assert_eq!(open.state(), CircuitState::Open);
    assert_eq!(open.retry_at(), Some(opened + secs(30)));
    assert_eq!(open.retry_after(), Some(secs(18)));
    assert!(open.to_string().contains("fail fast for 18s more"));
}

#[ferrio::test]
async fn half_open_exactly_at_the_end_of_the_cool_down() {
    let b = breaker(1, 30);
    fail(&b).await.unwrap_err();
    ferrio::sleep(secs(30) - Duration::from_nanos(1))
        .await
        .unwrap();
    assert_eq!(b.state(), CircuitState::Open);
    ferrio::sleep(Duration::from_nanos(1)).await.unwrap();
    assert_eq!(b.state(), CircuitState::HalfOpen);
}

#[ferrio::test]
async fn a_failure_in_half_open_reopens_for_a_new_cool_down() {
    let b = breaker(1, 10);
    fail(&b).await.unwrap_err();
    ferrio::sleep(secs(10)).await.unwrap();
    let trial_at = ferrio::now();
    fail(&b).await.unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
    let open = succeed(&b).await.unwrap_err();
    assert_eq!(open.open().unwrap().retry_at(), Some(trial_at + secs(10)));
    ferrio::sleep(secs(10)).await.unwrap();
    succeed(&b).await.unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[ferrio::test]
async fn half_open_admits_a_bounded_number_of_concurrent_trials() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(1)
            .cool_down(secs(5))
            .half_open_calls(2),
    );
    fail(&b).await.unwrap_err();
    ferrio::sleep(secs(5)).await.unwrap();
    let release = Event::new();
    let admitted = Rc::new(Cell::new(0));
    let trials: Vec<_> = (0..5)
        .map(|_| {
            let (b, release, admitted) = (b.clone(), release.clone(), admitted.clone());
            ferrio::spawn(async move {
                b.call(|| async move {
                    admitted.set(admitted.get() + 1);
                    release.wait().await?;
                    Ok::<_, Cancelled>(())
                })
                .await
            })
        })
        .collect();
    ferrio::sleep(secs(1)).await.unwrap();
    assert_eq!(admitted.get(), 2, "two trial slots");
    assert_eq!(b.stats().trials_in_flight, 2);
    release.set();
    let mut refused = 0;
    for trial in trials {
        match trial.await.unwrap() {
            Ok(()) => {}
            Err(BreakerError::Open(open)) => {
                assert_eq!(open.state(), CircuitState::HalfOpen);
                assert_eq!(open.retry_at(), None);
                refused += 1;
            }
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(refused, 3);
    assert_eq!(b.state(), CircuitState::Closed, "both trials succeeded");
}

#[ferrio::test]
async fn one_failing_trial_among_concurrent_ones_reopens_and_the_rest_are_ignored() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(1)
            .cool_down(secs(5))
            .half_open_calls(2),
    );
    fail(&b).await.unwrap_err();
    ferrio::sleep(secs(5)).await.unwrap();
    let slow_ok = {
        let b = b.clone();
        ferrio::spawn(async move {
            b.call(|| async {
                ferrio::sleep(secs(3)).await?;
                Ok::<_, Cancelled>(())
            })
            .await
        })
    };
    let fast_fail = {
        let b = b.clone();
        ferrio::spawn(async move {
            b.call(|| async {
                ferrio::sleep(secs(1)).await.map_err(Error::Cancelled)?;
                Err::<(), _>(Error::Down)
            })
            .await
        })
    };
    fast_fail.await.unwrap().unwrap_err();
    assert_eq!(b.state(), CircuitState::Open);
    slow_ok.await.unwrap().unwrap();
    assert_eq!(
        b.state(),
        CircuitState::Open,
        "the late success belongs to the half-open period that ended"
    );
}

#[ferrio::test]
async fn permits_record_by_hand_and_a_dropped_permit_frees_its_trial_slot() {
    let b = breaker(2, 5);
    b.try_acquire().unwrap().failure();
    b.try_acquire().unwrap().record(Outcome::Failure);
    assert_eq!(b.state(), CircuitState::Open);
    ferrio::sleep(secs(5)).await.unwrap();
    let trial = b.try_acquire().unwrap();
    assert!(trial.is_trial());
    assert!(b.try_acquire().is_err(), "one trial slot");
    drop(trial);
    assert_eq!(
        b.state(),
        CircuitState::HalfOpen,
        "ignored: still half-open"
    );
    b.try_acquire().unwrap().success();
    assert_eq!(b.state(), CircuitState::Closed);
}

#[ferrio::test]
async fn reset_and_trip_by_hand() {
    let b = breaker(1, 60);
    b.trip();
    assert_eq!(b.state(), CircuitState::Open);
    b.reset();
    assert_eq!(b.state(), CircuitState::Closed);
    succeed(&b).await.unwrap();
}

#[ferrio::test]
async fn classify_decides_what_counts() {
    let b = breaker(1, 60);
    // A "not found" is the service answering: a success.
    let r = b
        .call(|| async { Err::<(), _>(404) })
        .classify(|r: &Result<(), u16>| match r {
            Err(500..) => Outcome::Failure,
            _ => Outcome::Success,
        })
        .await;
    assert_eq!(r.unwrap_err().failed(), Some(&404));
    assert_eq!(b.state(), CircuitState::Closed);
}
