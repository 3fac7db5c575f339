//! `abort()`: the hard stop that drops a task's future at once, for futures
//! that never reach a ferrio awaitable.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::{task, JoinError};

#[test]
fn abort_drops_a_future_that_never_reaches_a_ferrio_awaitable_at_once() {
    run_virtual(async {
        let (drops, guard) = drop_counter();
        let worker = ferrio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        ferrio::yield_now().await.unwrap();
        assert!(!worker.done());
        // cancel() cannot reach it: it never polls a ferrio awaitable.
        worker.cancel();
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
        assert!(!worker.done());
        assert_eq!(drops.get(), 0);

        assert!(worker.abort());
        assert_eq!(drops.get(), 1, "dropped synchronously by abort()");
        assert!(worker.done());
        assert!(worker.cancelled());
        assert!(!worker.panicked());
        assert!(!worker.abort(), "abort on a done task returns false");
        assert!(!worker.cancel(), "cancel on a done task returns false");
        let err = worker.await.unwrap_err();
        assert!(matches!(err, JoinError::Cancelled(_)), "{err:?}");
        assert_eq!(drops.get(), 1);
    });
}

#[test]
fn abort_skips_the_async_cleanup() {
    run_virtual(async {
        let cleaned = Rc::new(Cell::new(false));
        let c = cleaned.clone();
        let worker = ferrio::spawn(async move {
            if ferrio::sleep(Duration::from_secs(3600)).await.is_err() {
                c.set(true);
            }
        });
        ferrio::yield_now().await.unwrap();
        assert!(worker.abort());
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert!(!cleaned.get());
        assert!(worker.cancelled());
    });
}

#[test]
fn abort_before_the_task_started_means_its_body_never_runs() {
    run_virtual(async {
        let started = Rc::new(Cell::new(false));
        let (drops, guard) = drop_counter();
        let s = started.clone();
        let worker = ferrio::spawn(async move {
            let _guard = guard;
            s.set(true);
        });
        assert!(worker.abort());
        assert_eq!(drops.get(), 1);
        assert!(worker.done() && worker.cancelled());
        ferrio::yield_now().await.unwrap();
        assert!(!started.get());
        assert!(worker.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn an_aborted_task_that_was_already_woken_is_never_polled_again() {
    run_virtual(async {
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        let worker = ferrio::spawn(async move {
            loop {
                p.set(p.get() + 1);
                ferrio::yield_now().await.unwrap();
            }
        });
        ferrio::yield_now().await.unwrap();
        assert_eq!(polls.get(), 1);
        // The worker is queued again right now; abort it there.
        assert!(worker.abort());
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
        assert_eq!(polls.get(), 1);
        assert!(worker.cancelled());
    });
}

#[test]
fn a_task_aborting_itself_is_dropped_when_its_poll_returns() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let (drops, guard) = drop_counter();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            let _guard = guard;
            assert!(task::current().unwrap().abort());
            push(&l, "runs on until it suspends");
            let _ = ferrio::sleep(Duration::from_secs(60)).await;
            push(&l, "never reached");
        });
        let task_ref = worker.clone();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert!(task_ref.cancelled());
        assert_eq!(drops.get(), 1);
        assert_eq!(snapshot(&log), ["runs on until it suspends"]);
        assert_eq!(since(t0), Duration::ZERO, "its sleep timer went with it");
    });
}

#[test]
fn the_awaiter_of_an_aborted_task_gets_cancelled_and_can_carry_on() {
    run_virtual(async {
        let victim = ferrio::spawn(std::future::pending::<()>());
        let victim_ref = victim.clone();
        let awaiter = ferrio::spawn(async move {
            let outcome = victim.await;
            // Observing the error without returning it: the awaiter goes on.
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            outcome.unwrap_err().is_cancelled()
        });
        ferrio::yield_now().await.unwrap();
        assert!(victim_ref.abort());
        let awaiter_ref = awaiter.clone();
        assert!(awaiter.await.unwrap());
        assert!(!awaiter_ref.cancelled());
    });
}

#[test]
#[allow(clippy::async_yields_async)] // returns a Task on purpose, to use it after the run
fn abort_while_the_loop_is_not_running_takes_effect_when_it_next_runs() {
    let event_loop = virtual_loop();
    let (drops, guard) = drop_counter();
    let worker = event_loop
        .run_until_complete(async move {
            let worker = ferrio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            ferrio::yield_now().await.unwrap();
            worker
        })
        .unwrap();
    assert!(worker.abort());
    // Documented: with the loop idle, the future is dropped on its next run.
    assert_eq!(drops.get(), 0);
    let outcome = event_loop
        .run_until_complete(async { worker.await.map_err(|e| e.is_cancelled()) })
        .unwrap();
    assert_eq!(outcome, Err(true));
    assert_eq!(drops.get(), 1);
}

#[test]
fn abort_of_a_future_whose_destructor_panics_ends_the_task_panicked() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    let (event_loop, reports) = loop_with_reports();
    event_loop
        .run_until_complete(async {
            let worker = ferrio::spawn(async {
                let _bomb = PanicOnDrop;
                std::future::pending::<()>().await;
            });
            ferrio::yield_now().await.unwrap();
            assert!(worker.abort());
            assert!(worker.done() && worker.panicked());
            match worker.await {
                Err(JoinError::Panicked(p)) => assert_eq!(p.message(), "drop boom"),
                other => panic!("expected a panic, got {other:?}"),
            }
        })
        .unwrap();
    assert!(reports.borrow().is_empty(), "retrieved: not reported");
}

#[test]
fn a_task_that_aborts_itself_and_then_returns_ends_cancelled() {
    run_virtual(async {
        let (drops, guard) = drop_counter();
        let worker = ferrio::spawn(async move {
            let _guard = guard;
            assert!(task::current().unwrap().abort());
            42
        });
        let task_ref = worker.clone();
        assert!(
            worker.await.unwrap_err().is_cancelled(),
            "the abort wins over the value"
        );
        assert!(task_ref.cancelled());
        assert_eq!(drops.get(), 1);
    });
}
