//! The composed pipeline on the virtual clock: retry around the breaker,
//! the limiter and the timeout, and cancellation through all of them.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ferrio::Cancelled;
use ferrio_resilience::breaker::{BreakerConfig, CircuitBreaker, CircuitState};
use ferrio_resilience::limiter::RateLimiter;
use ferrio_resilience::pipeline::CallError;
use ferrio_resilience::retry::{AttemptError, Jitter, RetryPolicy, StopReason};
use ferrio_resilience::Pipeline;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Debug)]
enum Error {
    Status(u16),
    Cancelled(#[allow(dead_code)] Cancelled),
}

impl From<Cancelled> for Error {
    fn from(c: Cancelled) -> Error {
        Error::Cancelled(c)
    }
}

fn backoff(base_ms: u64, attempts: u32) -> RetryPolicy {
    RetryPolicy::exponential(ms(base_ms))
        .max_attempts(attempts)
        .jitter(Jitter::None)
}

#[ferrio::test]
async fn timeouts_count_against_the_breaker_and_are_retried() {
    let breaker = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(2));
    let pipeline = Pipeline::new()
        .retry(backoff(100, 5))
        .circuit_breaker(breaker.clone())
        .timeout(secs(1));
    let start = ferrio::now();
    let err = pipeline
        .call(|| async {
            ferrio::sleep(secs(60)).await?;
            Ok::<(), Error>(())
        })
        .retry_if(|_| true)
        .await
        .unwrap_err();
    // Two timeouts opened the breaker; the third attempt was refused, its
    // refusal hinted the rest of the cool-down, the retry waited it out, and
    // the half-open trial timed out again, re-opening it for the fifth.
    assert_eq!(err.attempts(), 5);
    let kinds: Vec<&str> = err
        .errors()
        .map(|e| match e {
            AttemptError::TimedOut(_) => "timeout",
            AttemptError::Failed(CallError::Open(_)) => "open",
            AttemptError::Failed(CallError::Failed(_)) => "failed",
        })
        .collect();
    assert_eq!(kinds, ["timeout", "timeout", "open", "timeout", "open"]);
    // Attempt 1: 0-1 s; +100 ms; attempt 2: 1.1-2.1 s, opens until 32.1 s;
    // +200 ms; attempt 3 refused at 2.3 s, hint 29.8 s (instead of 400 ms);
    // attempt 4, the trial: 32.1-33.1 s, re-opens; +800 ms; attempt 5
    // refused at 33.9 s: out of attempts.
    assert_eq!(ferrio::now() - start, ms(33_900));
    assert_eq!(breaker.state(), CircuitState::Open);
}

#[ferrio::test]
async fn a_refusal_is_final_with_retry_open_false() {
    let breaker = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(1));
    breaker.trip();
    let calls = Cell::new(0);
    let err = Pipeline::new()
        .retry(backoff(10, 5))
        .circuit_breaker(breaker)
        .retry_open(false)
        .call(|| {
            calls.set(calls.get() + 1);
            async { Ok::<_, Error>(()) }
        })
        .await
        .unwrap_err();
    assert_eq!(calls.get(), 0);
    assert!(matches!(err.reason(), StopReason::NotRetryable));
    assert!(err.last().unwrap().failed().unwrap().open().is_some());
}

#[ferrio::test]
async fn each_attempt_takes_one_rate_permit_in_fifo_order() {
    let limiter = RateLimiter::per_second(10, 1);
    let pipeline = Pipeline::new()
        .retry(RetryPolicy::fixed(Duration::ZERO).max_attempts(3))
        .rate_limit(limiter.clone());
    let starts = RefCell::new(Vec::new());
    let start = ferrio::now();
    let _ = pipeline
        .call(|| {
            starts.borrow_mut().push(ferrio::now() - start);
            async { Err::<(), _>(Error::Status(503)) }
        })
        .await;
    // Burst 1, then one permit per 100 ms: the retries wait for the limiter.
    assert_eq!(*starts.borrow(), [ms(0), ms(100), ms(200)]);
}

#[ferrio::test]
async fn the_limiter_wait_is_bounded_by_the_budget() {
    let limiter = RateLimiter::per_second(1, 1);
    limiter.acquire(1).await.unwrap();
    let pipeline = Pipeline::new()
        .retry(
            RetryPolicy::fixed(ms(10))
                .max_attempts(3)
                .max_elapsed(ms(500)),
        )
        .rate_limit(limiter.clone());
    let start = ferrio::now();
    let err = pipeline
        .call(|| async { Ok::<_, Error>(()) })
        .await
        .unwrap_err();
    assert_eq!(ferrio::now() - start, ms(500));
    assert!(matches!(err.reason(), StopReason::TimeExhausted { .. }));
    // The permit due at 1 s was not taken by the abandoned wait.
    ferrio::sleep(ms(500)).await.unwrap();
    limiter.try_acquire(1).unwrap();
}

#[ferrio::test]
async fn cancelling_the_caller_mid_call_is_not_a_breaker_failure() {
    let breaker = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(1));
    let cleaned = Rc::new(Cell::new(false));
    let pipeline = Pipeline::new()
        .retry(backoff(10, 5))
        .circuit_breaker(breaker.clone())
        .timeout(secs(30));
    let c = cleaned.clone();
    let caller = ferrio::spawn(async move {
        let r = pipeline
            .call(|| {
                let c = c.clone();
                async move {
                    if let Err(cancelled) = ferrio::sleep(secs(10)).await {
                        ferrio::sleep(ms(50)).await.unwrap();
                        c.set(true);
                        return Err(Error::Cancelled(cancelled));
                    }
                    Ok(())
                }
            })
            .await;
        match r {
            Err(e) if e.is_cancelled() => Err::<(), _>(e.into_cancelled().unwrap()),
            other => panic!("{other:?}"),
        }
    });
    ferrio::sleep(secs(1)).await.unwrap();
    let at = ferrio::now();
    caller.cancel();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(ferrio::now() - at, ms(50));
    assert!(cleaned.get());
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.stats().consecutive_failures, 0);
}

#[ferrio::test]
async fn cancelling_the_caller_while_it_waits_for_the_limiter_takes_no_permit() {
    let limiter = RateLimiter::per_second(1, 1);
    limiter.acquire(1).await.unwrap();
    let l = limiter.clone();
    let caller = ferrio::spawn(async move {
        Pipeline::new()
            .rate_limit(l)
            .call(|| async { Ok::<_, Error>(()) })
            .await
            .map_err(|e| e.is_cancelled())
    });
    ferrio::sleep(ms(300)).await.unwrap();
    caller.cancel();
    assert_eq!(caller.await.unwrap(), Err(true));
    ferrio::sleep(ms(700)).await.unwrap();
    limiter.try_acquire(1).unwrap();
}

#[ferrio::test]
async fn a_hint_from_the_error_is_honoured() {
    let starts = RefCell::new(Vec::new());
    let start = ferrio::now();
    let _ = Pipeline::new()
        .retry(backoff(100, 3))
        .call(|| {
            starts.borrow_mut().push(ferrio::now() - start);
            async { Err::<(), _>(Error::Status(429)) }
        })
        .hint(|e| matches!(e, Error::Status(429)).then_some(secs(5)))
        .await;
    assert_eq!(*starts.borrow(), [secs(0), secs(5), secs(10)]);
}

#[ferrio::test]
async fn without_layers_it_is_one_attempt() {
    let err = Pipeline::new()
        .call(|| async { Err::<(), _>(Error::Status(500)) })
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 1);
    assert!(matches!(
        err.last(),
        Some(AttemptError::Failed(CallError::Failed(Error::Status(500))))
    ));
    let v = Pipeline::default()
        .call(|| async { Ok::<_, Error>(7) })
        .await
        .unwrap();
    assert_eq!(v, 7);
}
