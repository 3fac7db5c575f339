//! Timeouts: `wait_for`, `timeout`, `timeout_at`, `timeout_scope` — asyncio's
//! `wait_for` and `asyncio.timeout()` semantics on the virtual clock.

mod common;

use std::time::Duration;

use common::*;
use ferrio::time::{timeout_at, timeout_scope, RescheduleError};
use ferrio::{task, Cancelled, TimeoutError};

const SEC: Duration = Duration::from_secs(1);

/// Sleeps `d`, propagating cancellation; returns `d`.
async fn work(d: Duration) -> Result<Duration, Cancelled> {
    ferrio::sleep(d).await?;
    Ok(d)
}

#[test]
fn the_inner_future_finishing_first_wins() {
    run_virtual(async {
        let t0 = ferrio::now();
        let out = ferrio::wait_for(5 * SEC, work(2 * SEC)).await;
        assert!(matches!(out, Ok(Ok(d)) if d == 2 * SEC));
        assert_eq!(ferrio::now() - t0, 2 * SEC);
    });
}

#[test]
fn expiry_cancels_the_inner_future_and_waits_for_its_cleanup() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let inner = async move {
            if let Err(c) = ferrio::sleep(3600 * SEC).await {
                // Cleanup that awaits: the timeout waits for it.
                ferrio::sleep(2 * SEC).await.unwrap();
                push(&l, ("cleaned up", ferrio::now() - t0));
                return Err(c);
            }
            Ok("finished")
        };
        let err: TimeoutError = ferrio::wait_for(SEC, inner).await.unwrap_err();
        assert_eq!(err.after(), Some(SEC));
        assert_eq!(snapshot(&log), [("cleaned up", 3 * SEC)]);
        assert_eq!(ferrio::now() - t0, 3 * SEC);
        assert!(err.to_string().contains("timed out after 1s"));
    });
}

#[test]
fn an_inner_future_that_swallows_the_cancellation_returns_its_value() {
    run_virtual(async {
        let inner = async {
            let _ = ferrio::sleep(3600 * SEC).await; // swallowed
            42
        };
        assert_eq!(ferrio::wait_for(SEC, inner).await, Ok(42));
    });
}

#[test]
fn an_error_raised_during_cleanup_replaces_the_timeout() {
    #[derive(Debug, PartialEq)]
    enum E {
        Cancelled,
        CleanupFailed,
    }
    impl From<Cancelled> for E {
        fn from(_: Cancelled) -> E {
            E::Cancelled
        }
    }
    run_virtual(async {
        let inner = async {
            ferrio::sleep(3600 * SEC)
                .await
                .map_err(|_| E::CleanupFailed)?;
            Ok::<_, E>(())
        };
        assert_eq!(
            ferrio::wait_for(SEC, inner).await,
            Ok(Err(E::CleanupFailed))
        );
    });
}

#[test]
fn a_deadline_reached_in_the_same_tick_as_the_inner_timer_is_a_timeout() {
    // As asyncio: when both are due at the same instant, the cancellation is
    // delivered at the inner await and the timeout wins.
    run_virtual(async {
        let out = ferrio::wait_for(SEC, work(SEC)).await;
        assert!(out.is_err());
    });
}

#[test]
fn the_inner_future_finishing_just_before_the_deadline_wins() {
    run_virtual(async {
        let out = ferrio::wait_for(SEC, work(SEC - Duration::from_nanos(1))).await;
        assert!(matches!(out, Ok(Ok(d)) if d == SEC - Duration::from_nanos(1)));
    });
}

#[test]
fn nested_timeouts_only_the_expired_one_reports() {
    run_virtual(async {
        let t0 = ferrio::now();
        // The inner one fires: the inner reports, the outer sees a value.
        let out = ferrio::timeout(10 * SEC, ferrio::timeout(SEC, work(3600 * SEC))).await;
        assert!(matches!(out, Ok(Err(TimeoutError { .. }))));
        assert_eq!(ferrio::now() - t0, SEC);

        // The outer one fires: the inner lets it through, the outer reports.
        let t1 = ferrio::now();
        let outer = ferrio::timeout(SEC, ferrio::timeout(10 * SEC, work(3600 * SEC)));
        let outer_handle = outer.handle();
        let out = outer.await;
        assert!(out.is_err(), "the outer timeout reports: {out:?}");
        assert!(outer_handle.expired());
        assert_eq!(ferrio::now() - t1, SEC);
    });
}

#[test]
fn a_cancel_from_outside_stays_cancelled_and_not_expired() {
    run_virtual(async {
        let t0 = ferrio::now();
        let guarded = ferrio::spawn(async {
            let t = ferrio::timeout(10 * SEC, work(3600 * SEC));
            let handle = t.handle();
            let out = t.await;
            // Inspect and drop the Cancelled (returning it would end the
            // task cancelled, hiding these observations).
            let passed_through = matches!(out, Ok(Err(_)));
            (passed_through, handle.expired())
        });
        ferrio::sleep(SEC).await.unwrap();
        guarded.cancel();
        let (passed_through, expired) = guarded.await.unwrap();
        assert!(
            passed_through,
            "the task's Cancelled passed through, not a TimeoutError"
        );
        assert!(!expired);
        assert_eq!(ferrio::now() - t0, SEC);
    });
}

#[test]
fn an_outer_cancel_and_an_expiry_in_the_same_tick_give_cancelled() {
    // Both pending at one checkpoint: the outermost (the task's) is
    // delivered, so the timeout is not the outcome.
    run_virtual(async {
        let victim = ferrio::spawn(async {
            let out = ferrio::timeout(SEC, work(3600 * SEC)).await;
            matches!(out, Ok(Err(_)))
        });
        let v = (*victim).clone();
        ferrio::EventLoop::current()
            .call_later(SEC, move || {
                v.cancel();
            })
            .unwrap();
        assert!(
            victim.await.unwrap(),
            "the task's Cancelled came out, not TimeoutError"
        );
    });
}

#[test]
fn the_caller_cancelled_as_the_inner_finishes_still_sees_cancelled() {
    run_virtual(async {
        let caller = ferrio::spawn(async {
            let value = ferrio::wait_for(10 * SEC, async { 7 }).await.unwrap();
            // The cancellation requested meanwhile arrives at the next await.
            ferrio::sleep(SEC).await?;
            Ok::<_, Cancelled>(value)
        });
        caller.cancel();
        // Cancelled before it started: it never runs at all.
        assert!(caller.await.unwrap_err().is_cancelled());

        let caller = ferrio::spawn(async {
            ferrio::yield_now().await?;
            let value = ferrio::wait_for(10 * SEC, async { 7 }).await.unwrap();
            ferrio::sleep(SEC).await?;
            Ok::<_, Cancelled>(value)
        });
        ferrio::yield_now().await.unwrap();
        caller.cancel();
        assert!(caller.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn reschedule_moves_the_deadline_later_and_earlier() {
    run_virtual(async {
        let t0 = ferrio::now();
        let out = timeout_scope(Some(SEC), |scope| async move {
            scope.reschedule(Some(ferrio::now() + 5 * SEC)).unwrap();
            assert_eq!(scope.when(), Some(t0 + 5 * SEC));
            work(3 * SEC).await
        })
        .await;
        assert!(matches!(out, Ok(Ok(d)) if d == 3 * SEC));

        let t1 = ferrio::now();
        let out = timeout_scope(Some(100 * SEC), |scope| async move {
            ferrio::sleep(SEC).await.unwrap();
            scope.reschedule(Some(ferrio::now() + SEC)).unwrap();
            work(3600 * SEC).await
        })
        .await;
        assert!(out.is_err());
        assert_eq!(ferrio::now() - t1, 2 * SEC, "fired at the earlier deadline");
    });
}

#[test]
fn no_deadline_until_rescheduled() {
    run_virtual(async {
        let t0 = ferrio::now();
        let out = timeout_scope(None, |scope| async move {
            assert_eq!(scope.when(), None);
            ferrio::sleep(10 * SEC).await.unwrap();
            scope.reschedule(Some(ferrio::now() + SEC)).unwrap();
            work(3600 * SEC).await
        })
        .await;
        assert!(out.is_err());
        assert_eq!(ferrio::now() - t0, 11 * SEC);
    });
}

#[test]
fn reschedule_after_expiry_or_completion_is_an_error() {
    run_virtual(async {
        let t = ferrio::timeout(SEC, async {
            let _ = ferrio::sleep(3600 * SEC).await;
        });
        let handle = t.handle();
        let _ = t.await;
        assert!(handle.expired());
        assert_eq!(handle.reschedule(None), Err(RescheduleError::Expired));

        let t = ferrio::timeout(SEC, async {});
        let handle = t.handle();
        t.await.unwrap();
        assert!(!handle.expired());
        assert_eq!(handle.reschedule(None), Err(RescheduleError::Finished));
    });
}

#[test]
fn timeout_at_a_past_deadline_cancels_at_the_first_await() {
    run_virtual(async {
        let past = ferrio::now();
        ferrio::sleep(SEC).await.unwrap();
        let out = timeout_at(Some(past), work(SEC)).await;
        assert!(out.is_err());
        let out = timeout_at(None, work(SEC)).await;
        assert!(matches!(out, Ok(Ok(d)) if d == SEC));
    });
}

#[test]
fn a_task_in_a_timeout_is_not_left_cancelled() {
    // The timeout's cancellation belongs to its scope: after it, the task
    // runs on normally and is not counted as cancelling.
    run_virtual(async {
        let out = ferrio::timeout(SEC, work(3600 * SEC)).await;
        assert!(out.is_err());
        let me = task::current().unwrap();
        assert_eq!(me.cancelling(), 0);
        work(SEC).await.unwrap();
    });
}
