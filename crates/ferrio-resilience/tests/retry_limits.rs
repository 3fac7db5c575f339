//! The retry loop's limits and refinements on the virtual clock: the total
//! time budget, per-attempt timeouts, server hints, the predicate, the hook
//! and the kept errors.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ferrio::Cancelled;
use ferrio_resilience::retry::{retry, AttemptError, Jitter, RetryPolicy, StopReason};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Debug)]
enum Error {
    Busy {
        retry_after: Option<Duration>,
    },
    Fatal,
    /// Keeps the `Cancelled`: that is how a timeout knows its own.
    Cancelled(Cancelled),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Busy { .. } => f.write_str("busy"),
            Error::Fatal => f.write_str("fatal"),
            Error::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

impl From<Cancelled> for Error {
    fn from(c: Cancelled) -> Error {
        Error::Cancelled(c)
    }
}

#[ferrio::test]
async fn the_total_budget_stops_before_a_delay_that_would_end_past_it() {
    let start = ferrio::now();
    let starts = RefCell::new(Vec::new());
    let policy = RetryPolicy::fixed(secs(3))
        .unlimited_attempts()
        .max_elapsed(secs(10));
    let err = retry(policy, || {
        starts.borrow_mut().push(ferrio::now() - start);
        async { Err::<(), _>(Error::Fatal) }
    })
    .await
    .unwrap_err();
    // Attempts at 0, 3, 6, 9; a retry at 12 would be past the budget.
    assert_eq!(*starts.borrow(), [secs(0), secs(3), secs(6), secs(9)]);
    assert!(matches!(err.reason(), StopReason::TimeExhausted { budget } if *budget == secs(10)));
    assert_eq!(err.attempts(), 4);
    // It gave up at once rather than sleeping into the budget's end.
    assert_eq!(ferrio::now() - start, secs(9));
}

#[ferrio::test]
async fn the_total_budget_cuts_a_running_attempt() {
    let start = ferrio::now();
    let cleaned = Cell::new(false);
    let policy = RetryPolicy::fixed(secs(1))
        .unlimited_attempts()
        .max_elapsed(secs(5));
    let attempts = Cell::new(0);
    let err = retry(policy, || {
        attempts.set(attempts.get() + 1);
        let cleaned = &cleaned;
        async move {
            // Each attempt takes 3 s; the second (from 4 s) is cut at 5 s.
            if let Err(c) = ferrio::sleep(secs(3)).await {
                cleaned.set(true);
                return Err(Error::from(c));
            }
            Err::<(), _>(Error::Busy { retry_after: None })
        }
    })
    .await
    .unwrap_err();
    assert_eq!(ferrio::now() - start, secs(5));
    assert_eq!(attempts.get(), 2);
    assert!(cleaned.get(), "the cut attempt ran its cleanup");
    assert!(matches!(err.reason(), StopReason::TimeExhausted { .. }));
    assert!(err.last().unwrap().is_timeout());
}

#[ferrio::test]
async fn an_attempt_timeout_counts_as_a_failed_attempt_and_is_retried() {
    let start = ferrio::now();
    let attempt = Cell::new(0);
    let policy = RetryPolicy::fixed(ms(100))
        .max_attempts(3)
        .attempt_timeout(secs(1));
    let value = retry(policy, || {
        attempt.set(attempt.get() + 1);
        let slow = attempt.get() < 3;
        async move {
            if slow {
                ferrio::sleep(secs(60)).await?;
            }
            Ok::<_, Error>("answer")
        }
    })
    .await
    .unwrap();
    assert_eq!(value, "answer");
    // Two attempts timed out after 1 s each, two 100 ms delays.
    assert_eq!(ferrio::now() - start, ms(2200));
}

#[ferrio::test]
async fn timeouts_can_be_made_final() {
    let policy = RetryPolicy::fixed(ms(100))
        .max_attempts(3)
        .attempt_timeout(secs(1))
        .retry_timeouts(false);
    let err = retry(policy, || async {
        ferrio::sleep(secs(60)).await?;
        Ok::<_, Error>(())
    })
    .await
    .unwrap_err();
    assert!(matches!(err.reason(), StopReason::NotRetryable));
    assert_eq!(err.attempts(), 1);
    match err.last() {
        Some(AttemptError::TimedOut(t)) => assert_eq!(t.after(), Some(secs(1))),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[ferrio::test]
async fn a_retry_after_hint_replaces_the_backoff_delay() {
    let start = ferrio::now();
    let starts = RefCell::new(Vec::new());
    let hints = [Some(secs(7)), None, Some(ms(1))];
    let policy = RetryPolicy::exponential(ms(100))
        .max_attempts(4)
        .jitter(Jitter::None);
    let err = retry(policy, || {
        let n = starts.borrow().len();
        starts.borrow_mut().push(ferrio::now() - start);
        let retry_after = hints.get(n).copied().flatten();
        async move { Err::<(), _>(Error::Busy { retry_after }) }
    })
    .hint(|e| match e {
        Error::Busy { retry_after } => *retry_after,
        _ => None,
    })
    .await
    .unwrap_err();
    // Hinted 7 s; then the schedule's second delay (200 ms); then hinted 1 ms.
    assert_eq!(*starts.borrow(), [secs(0), secs(7), ms(7200), ms(7201)]);
    assert_eq!(err.attempts(), 4);
}

#[ferrio::test]
async fn a_hint_past_the_budget_gives_up_at_once() {
    let start = ferrio::now();
    let policy = RetryPolicy::fixed(ms(10))
        .max_attempts(10)
        .max_elapsed(secs(30));
    let err = retry(policy, || async {
        Err::<(), _>(Error::Busy {
            retry_after: Some(secs(60)),
        })
    })
    .hint(|e| match e {
        Error::Busy { retry_after } => *retry_after,
        _ => None,
    })
    .await
    .unwrap_err();
    assert_eq!(ferrio::now(), start);
    assert_eq!(err.attempts(), 1);
    assert!(matches!(err.reason(), StopReason::TimeExhausted { .. }));
}

#[ferrio::test]
async fn a_non_retryable_error_stops_the_loop() {
    let attempts = Cell::new(0);
    let err = retry(RetryPolicy::fixed(ms(1)).max_attempts(5), || {
        attempts.set(attempts.get() + 1);
        let n = attempts.get();
        async move {
            Err::<(), _>(if n == 1 {
                Error::Busy { retry_after: None }
            } else {
                Error::Fatal
            })
        }
    })
    .retry_if(|e| matches!(e, Error::Busy { .. }))
    .await
    .unwrap_err();
    assert!(matches!(err.reason(), StopReason::NotRetryable));
    assert_eq!(err.attempts(), 2);
    let errors: Vec<_> = err.errors().map(|e| e.failed().unwrap()).collect();
    assert!(matches!(
        errors[..],
        [Error::Busy { retry_after: None }, Error::Fatal]
    ));
    assert!(err
        .to_string()
        .contains("attempt 2 failed with an error the retry policy does not retry"));
}

#[ferrio::test]
async fn the_hook_sees_every_retry_with_its_delay() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let policy = RetryPolicy::exponential(ms(50))
        .max_attempts(4)
        .jitter(Jitter::None);
    let _ = retry(policy, || async { Err::<(), _>(Error::Fatal) })
        .on_retry(move |event| {
            l.borrow_mut().push((
                event.attempt,
                event.delay,
                event.hinted,
                event.error.is_timeout(),
            ));
        })
        .await;
    assert_eq!(
        *log.borrow(),
        [
            (1, ms(50), false, false),
            (2, ms(100), false, false),
            (3, ms(200), false, false),
        ],
        "no hook call after the last attempt"
    );
}

#[ferrio::test]
async fn only_the_last_n_errors_are_kept() {
    let n = Cell::new(0u32);
    let policy = RetryPolicy::fixed(Duration::ZERO)
        .max_attempts(1000)
        .keep_errors(3);
    let err = retry(policy, || {
        n.set(n.get() + 1);
        let i = n.get();
        async move { Err::<(), u32>(i) }
    })
    .await
    .unwrap_err();
    assert_eq!(err.attempts(), 1000);
    assert_eq!(err.dropped_errors(), 997);
    let kept: Vec<_> = err.errors().map(|e| *e.failed().unwrap()).collect();
    assert_eq!(kept, [998, 999, 1000]);
    assert!(err.to_string().starts_with("gave up after 1000 attempts"));
    assert!(err.to_string().ends_with("last error: 1000"));
}

#[ferrio::test]
async fn a_first_time_success_does_not_sleep() {
    let start = ferrio::now();
    let value = retry(RetryPolicy::default(), || async { Ok::<_, Error>(5) })
        .await
        .unwrap();
    assert_eq!(value, 5);
    assert_eq!(ferrio::now(), start);
}
