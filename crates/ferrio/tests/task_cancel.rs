//! Cooperative cancellation: `cancel()` is a request, delivered once at the
//! next ferrio awaitable as `Err(Cancelled)`; the task may clean up (even
//! awaiting) and end cancelled, or swallow it.

mod common;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use common::*;
use ferrio::{task, Cancelled, JoinError};

const HOUR: Duration = Duration::from_secs(3600);
const SEC: Duration = Duration::from_secs(1);

#[test]
fn cancel_is_delivered_once() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let t0 = ferrio::now();
        let worker = ferrio::spawn(async move {
            let first = ferrio::sleep(HOUR).await;
            push(
                &l,
                format!("first: {:?} at {:?}", first.is_err(), since(t0)),
            );
            // Swallowed: the next awaits are not cancelled again.
            let second = ferrio::sleep(10 * SEC).await;
            push(
                &l,
                format!("second: {:?} at {:?}", second.is_ok(), since(t0)),
            );
            ferrio::yield_now().await.unwrap();
            Ok::<_, Cancelled>("done")
        });
        ferrio::yield_now().await.unwrap();
        // Two requests before delivery still make a single delivery.
        assert!(worker.cancel());
        assert!(worker.cancel());
        assert_eq!(worker.cancelling(), 2);
        let task_ref = worker.clone();
        assert_eq!(worker.await.unwrap().unwrap(), "done");
        assert!(!task_ref.cancelled());
        assert_eq!(
            snapshot(&log),
            ["first: true at 0ns", "second: true at 10s"]
        );
    });
}

#[test]
fn a_new_request_after_a_swallowed_one_is_delivered_again() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            for _ in 0..3 {
                let r = ferrio::sleep(HOUR).await;
                push(&l, r.is_err());
            }
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        ferrio::yield_now().await.unwrap();
        // The third sleep is not cancelled: it takes the full hour.
        let t0 = ferrio::now();
        worker.await.unwrap();
        assert_eq!(since(t0), HOUR);
        assert_eq!(snapshot(&log), [true, true, false]);
    });
}

#[test]
fn cleanup_that_awaits_runs_and_the_loop_clock_shows_it() {
    run_virtual(async {
        let t0 = ferrio::now();
        let cleaned_at = Rc::new(Cell::new(None));
        let c = cleaned_at.clone();
        let worker = ferrio::spawn(async move {
            match ferrio::sleep(HOUR).await {
                Ok(()) => Ok("slept"),
                Err(cancelled) => {
                    // The request was consumed: cleanup awaits normally.
                    ferrio::sleep(5 * SEC).await.unwrap();
                    c.set(Some(since(t0)));
                    Err(cancelled)
                }
            }
        });
        ferrio::sleep(2 * SEC).await.unwrap();
        assert!(worker.cancel());
        assert!(!worker.done(), "cancel() only requests");
        let task_ref = worker.clone();
        let result = worker.await;
        assert!(matches!(result, Err(JoinError::Cancelled(_))), "{result:?}");
        assert!(task_ref.done() && task_ref.cancelled());
        assert_eq!(cleaned_at.get(), Some(7 * SEC));
        assert_eq!(since(t0), 7 * SEC);
    });
}

#[test]
fn a_second_request_during_cleanup_interrupts_the_cleanup() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            let Err(first) = ferrio::sleep(HOUR).await else {
                unreachable!()
            };
            let cleanup = ferrio::sleep(10 * SEC).await;
            push(&l, (cleanup.is_err(), since(t0)));
            Err::<(), _>(first)
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        ferrio::sleep(SEC).await.unwrap();
        assert!(!worker.done());
        worker.cancel();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert_eq!(snapshot(&log), [(true, SEC)]);
    });
}

#[test]
fn swallowing_the_cancellation_ends_the_task_normally() {
    run_virtual(async {
        let worker = ferrio::spawn(async {
            match ferrio::sleep(HOUR).await {
                Ok(()) => 1,
                Err(_swallowed) => 42,
            }
        });
        ferrio::yield_now().await.unwrap();
        assert!(worker.cancel());
        let task_ref = worker.clone();
        assert_eq!(worker.await.unwrap(), 42);
        assert!(task_ref.done());
        assert!(!task_ref.cancelled());
        // The request is still counted until uncancel(), as in asyncio.
        assert_eq!(task_ref.cancelling(), 1);
    });
}

#[test]
fn a_task_that_propagates_cancelled_ends_cancelled() {
    run_virtual(async {
        let reached_end = Rc::new(Cell::new(false));
        let r = reached_end.clone();
        let worker = ferrio::spawn(async move {
            ferrio::sleep(HOUR).await?;
            r.set(true);
            Ok::<_, Cancelled>(())
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        let task_ref = worker.clone();
        let err = worker.await.unwrap_err();
        assert!(err.is_cancelled() && !err.is_panic());
        assert!(task_ref.cancelled());
        assert!(!task_ref.panicked());
        assert!(!reached_end.get());
    });
}

#[test]
fn cancel_on_a_done_task_returns_false() {
    run_virtual(async {
        let worker = ferrio::spawn(async { 3 });
        ferrio::yield_now().await.unwrap();
        assert!(worker.done());
        assert!(!worker.cancel());
        assert!(!worker.cancel_with("too late"));
        assert_eq!(worker.cancelling(), 0);
        assert!(!worker.cancelled());
        assert_eq!(worker.await.unwrap(), 3);
    });
}

#[test]
fn cancelling_counts_requests_and_uncancel_withdraws_them() {
    run_virtual(async {
        let worker = ferrio::spawn(async { ferrio::sleep(HOUR).await.is_err() });
        ferrio::yield_now().await.unwrap();
        assert_eq!(worker.cancelling(), 0);
        worker.cancel();
        worker.cancel();
        assert_eq!(worker.cancelling(), 2);
        assert_eq!(worker.uncancel(), 1);
        assert_eq!(worker.cancelling(), 1);
        // One request is left: it is delivered.
        assert!(worker.await.unwrap(), "the sleep was cancelled");
    });
}

#[test]
fn uncancel_to_zero_before_delivery_drops_the_request() {
    run_virtual(async {
        let t0 = ferrio::now();
        let worker = ferrio::spawn(async {
            ferrio::sleep(10 * SEC).await?;
            Ok::<_, Cancelled>("slept")
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        worker.cancel();
        assert_eq!(worker.uncancel(), 1);
        assert_eq!(worker.uncancel(), 0);
        assert_eq!(worker.uncancel(), 0, "never below zero");
        let task_ref = worker.clone();
        assert_eq!(worker.await.unwrap().unwrap(), "slept");
        assert_eq!(since(t0), 10 * SEC, "the sleep ran to its end");
        assert!(!task_ref.cancelled());
    });
}

#[test]
fn uncancel_to_zero_before_the_first_run_lets_the_task_run() {
    run_virtual(async {
        let worker = ferrio::spawn(async { "ran" });
        worker.cancel();
        assert_eq!(worker.uncancel(), 0);
        assert_eq!(worker.await.unwrap(), "ran");
    });
}

#[test]
fn cancel_before_the_task_started_means_its_body_never_runs() {
    run_virtual(async {
        let started = Rc::new(Cell::new(false));
        let (drops, guard) = drop_counter();
        let s = started.clone();
        let worker = ferrio::spawn(async move {
            let _guard = guard;
            s.set(true);
            ferrio::sleep(SEC).await
        });
        assert!(worker.cancel_with("never mind"));
        let task_ref = worker.clone();
        let err = worker.await.unwrap_err();
        let JoinError::Cancelled(c) = err else {
            panic!("expected Cancelled, got {err:?}")
        };
        assert_eq!(c.message(), Some("never mind"));
        assert!(!started.get(), "the body must never run");
        assert_eq!(drops.get(), 1, "the future was dropped");
        assert!(task_ref.done() && task_ref.cancelled());
    });
}

#[test]
fn cancel_message_is_carried_by_cancelled() {
    run_virtual(async {
        let worker = ferrio::spawn(async {
            let err = ferrio::sleep(HOUR).await.unwrap_err();
            (err.message().map(str::to_owned), err.to_string())
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel_with("shutting down");
        let (message, display) = worker.await.unwrap();
        assert_eq!(message.as_deref(), Some("shutting down"));
        assert_eq!(display, "cancelled: shutting down");

        // Without a message.
        let plain = ferrio::spawn(async {
            let err = ferrio::sleep(HOUR).await.unwrap_err();
            (err.message().is_none(), err.to_string())
        });
        ferrio::yield_now().await.unwrap();
        plain.cancel();
        assert_eq!(plain.await.unwrap(), (true, "cancelled".to_string()));

        // The awaiter of a cancelled task sees the message too.
        let propagating = ferrio::spawn(async {
            ferrio::sleep(HOUR).await?;
            Ok::<(), Cancelled>(())
        });
        ferrio::yield_now().await.unwrap();
        propagating.cancel_with("bye");
        match propagating.await {
            Err(JoinError::Cancelled(c)) => assert_eq!(c.message(), Some("bye")),
            other => panic!("expected Cancelled, got {other:?}"),
        }
    });
}

#[test]
fn a_task_cancelling_itself_gets_cancelled_at_its_next_await() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            let me = task::current().unwrap();
            assert!(me.cancel_with("self"));
            assert_eq!(me.cancelling(), 1);
            push(&l, "still running until the next await");
            let r = ferrio::sleep(HOUR).await;
            push(&l, "woke");
            let c = r.unwrap_err();
            assert_eq!(c.message(), Some("self"));
            assert_eq!(since(t0), Duration::ZERO, "delivered at once, no sleeping");
            Err::<(), _>(c)
        });
        let task_ref = worker.clone();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert!(task_ref.cancelled());
        assert_eq!(
            snapshot(&log),
            ["still running until the next await", "woke"]
        );
    });
}

#[test]
fn cancellation_is_delivered_only_at_ferrio_awaitables() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            // A foreign future that needs three polls: not a cancellation point.
            let mut polls = 0;
            poll_fn(|cx| {
                polls += 1;
                if polls == 3 {
                    Poll::Ready(())
                } else {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
            push(&l, format!("foreign future done after {polls} polls"));
            let r = ferrio::sleep(HOUR).await;
            push(&l, format!("sleep cancelled: {}", r.is_err()));
            r
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert_eq!(
            snapshot(&log),
            ["foreign future done after 3 polls", "sleep cancelled: true"]
        );
    });
}

#[test]
fn awaiting_a_task_forwards_the_cancellation_and_waits_for_its_cleanup() {
    // Cancellation follows the await chain: the request goes to the child,
    // and the parent resumes only when the child is done. The child
    // swallows it and returns a value, which the parent receives.
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let child = ferrio::spawn(async move {
            if let Err(c) = ferrio::sleep(100 * SEC).await {
                push(&l, ("child got the parent's cancellation", since(t0)));
                assert_eq!(c.message(), Some("stop"));
                ferrio::sleep(5 * SEC).await.unwrap();
            }
            push(&l, ("child done", since(t0)));
            "child value"
        });
        let child_ref = (*child).clone();
        let l = log.clone();
        let parent = ferrio::spawn(async move {
            let value = child.await.unwrap();
            push(&l, ("parent got the child's value", since(t0)));
            value
        });
        ferrio::sleep(SEC).await.unwrap();
        parent.cancel_with("stop");
        let parent_ref = (*parent).clone();
        assert_eq!(parent.await.unwrap(), "child value");
        assert!(!parent_ref.cancelled(), "the child consumed the request");
        assert_eq!(parent_ref.cancelling(), 1, "still counted, as in asyncio");
        assert_eq!(child_ref.cancelling(), 1);
        assert_eq!(
            snapshot(&log),
            [
                ("child got the parent's cancellation", SEC),
                ("child done", 6 * SEC),
                ("parent got the child's value", 6 * SEC),
            ]
        );
    });
}

#[test]
fn a_childs_cancellation_returned_by_its_awaiter_does_not_cancel_the_awaiter() {
    // The Cancelled inside JoinError::Cancelled belongs to the child: a
    // parent that propagates or collects it ends with an error value, not
    // cancelled (so gather_settled-style collection is not "cancelled").
    run_virtual(async {
        let child = ferrio::spawn(async {
            ferrio::sleep(HOUR).await?;
            Ok::<(), Cancelled>(())
        });
        let parent = ferrio::spawn(async move {
            child.await??;
            Ok::<_, JoinError>("unreachable")
        });
        ferrio::yield_now().await.unwrap();
        let child_ref = task::all()
            .into_iter()
            .find(|t| t.id() != parent.id() && t.id() != task::current().unwrap().id())
            .unwrap();
        child_ref.cancel();
        let parent_ref = parent.clone();
        let outcome = parent.await.expect("the parent itself was not cancelled");
        assert!(outcome.unwrap_err().is_cancelled());
        assert!(child_ref.cancelled());
        assert!(!parent_ref.cancelled());
    });
}

#[test]
fn a_cancellation_forwarded_to_an_awaited_task_that_ends_cancelled_cancels_the_awaiter() {
    run_virtual(async {
        let child = ferrio::spawn(async {
            ferrio::sleep(HOUR).await?;
            Ok::<(), Cancelled>(())
        });
        let child_ref = (*child).clone();
        let parent = ferrio::spawn(async move {
            child.await??;
            Ok::<_, JoinError>("unreachable")
        });
        ferrio::yield_now().await.unwrap();
        parent.cancel();
        let parent_ref = (*parent).clone();
        assert!(parent.await.unwrap_err().is_cancelled());
        assert!(
            parent_ref.cancelled(),
            "the child's cancellation came back as the parent's own"
        );
        assert!(child_ref.cancelled(), "the request reached the child");
    });
}

#[test]
fn observing_a_cancelled_child_without_returning_it_ends_the_awaiter_normally() {
    run_virtual(async {
        let child = ferrio::spawn(async {
            ferrio::sleep(HOUR).await?;
            Ok::<(), Cancelled>(())
        });
        ferrio::yield_now().await.unwrap();
        child.cancel();
        let parent = ferrio::spawn(async move { child.await.unwrap_err().is_cancelled() });
        let parent_ref = parent.clone();
        assert!(parent.await.unwrap());
        assert!(!parent_ref.cancelled());
    });
}

#[test]
fn cancelling_is_visible_inside_the_task_and_uncancel_works_there() {
    run_virtual(async {
        let worker = ferrio::spawn(async {
            let me = task::current().unwrap();
            let r = ferrio::sleep(HOUR).await;
            let during = me.cancelling();
            let after = me.uncancel();
            (r.is_err(), during, after)
        });
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        assert_eq!(worker.await.unwrap(), (true, 1, 0));
    });
}
