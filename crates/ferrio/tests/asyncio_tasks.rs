//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_tasks.py`:
//! cancellation follows the await chain, no suspension means no
//! cancellation, a task cancelled at its end ends cancelled, `shield`,
//! `gather`, and the `Task` API (`exception()`, `result()` twice,
//! `remove_done_callback`). Each test names the CPython test it mirrors;
//! all run on the virtual clock.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::combinators::{gather_settled_tasks, gather_tasks};
use ferrio::future::{Promise, PromiseError};
use ferrio::task::NotDone;
use ferrio::{Cancelled, JoinError, TaskRef};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// test_tasks `test_cancel_awaited_task`: a task that cancels itself and
/// then awaits a nested task cancels the nested task (and what it awaits).
#[test]
fn test_cancel_awaited_task() {
    run_virtual(async {
        let fut: Promise<()> = Promise::new();
        let f = fut.clone();
        let nested_ref: Rc<RefCell<Option<TaskRef>>> = Rc::default();
        let n = nested_ref.clone();
        let task = ferrio::spawn(async move {
            let nested = ferrio::spawn(async move {
                match f.await {
                    Err(PromiseError::Cancelled(c)) => Err(c),
                    other => {
                        other.unwrap();
                        Ok(())
                    }
                }
            });
            *n.borrow_mut() = Some((*nested).clone());
            ferrio::yield_now().await.unwrap();
            ferrio::task::current().unwrap().cancel();
            match nested.await {
                Err(JoinError::Cancelled(c)) => Err::<(), Cancelled>(c),
                other => panic!("the nested task ends cancelled, got {other:?}"),
            }
        });
        let task_ref = (*task).clone();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(task_ref.cancelled());
        assert!(nested_ref.borrow().as_ref().unwrap().cancelled());
        assert!(fut.cancelled(), "the promise the nested task awaited");
    });
}

/// test_tasks `test_cancel_task_catching`: the awaited task catches the
/// forwarded cancellation and returns a value; the awaiter receives it and
/// does not end cancelled.
#[test]
fn test_cancel_task_catching() {
    run_virtual(async {
        let inner = ferrio::spawn(async {
            match ferrio::sleep(3600 * SEC).await {
                Err(_) => 42,
                Ok(()) => 0,
            }
        });
        let outer = ferrio::spawn(async move { inner.await.unwrap() });
        ferrio::yield_now().await.unwrap();
        outer.cancel();
        let outer_ref = (*outer).clone();
        assert_eq!(outer.await.unwrap(), 42);
        assert!(!outer_ref.cancelled());
        assert_eq!(outer_ref.cancelling(), 1, "the request is still counted");
    });
}

/// test_tasks `test_cancel_task_ignoring`: after the awaited task swallowed
/// the cancellation, the awaiter goes on and later awaits complete
/// normally.
#[test]
fn test_cancel_task_ignoring() {
    run_virtual(async {
        let fut3: Promise<u32> = Promise::new();
        let f3 = fut3.clone();
        let task = ferrio::spawn(async move {
            let inner = ferrio::spawn(async {
                let _ = ferrio::sleep(3600 * SEC).await;
            });
            inner.await.unwrap();
            f3.await.unwrap()
        });
        ferrio::yield_now().await.unwrap();
        task.cancel();
        ferrio::sleep(SEC).await.unwrap();
        assert!(
            !fut3.cancelled(),
            "the request was consumed by the inner task"
        );
        fut3.set_result(42).unwrap();
        let task_ref = (*task).clone();
        assert_eq!(task.await.unwrap(), 42);
        assert!(!task_ref.cancelled());
    });
}

/// test_tasks `test_task_cancel_waiter_future`: cancelling a task that
/// awaits a future cancels the future.
#[test]
fn test_task_cancel_waiter_future() {
    run_virtual(async {
        let fut: Promise<()> = Promise::new();
        let f = fut.clone();
        let task = ferrio::spawn(async move {
            match f.await {
                Err(PromiseError::Cancelled(c)) => Err(c),
                other => {
                    other.unwrap();
                    Ok(())
                }
            }
        });
        ferrio::yield_now().await.unwrap();
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(fut.cancelled());
    });
}

/// test_tasks `test_cancel_at_end`: a task that cancels itself and returns
/// without suspending again ends cancelled, and `cancel()` afterwards
/// returns false.
#[test]
fn test_cancel_at_end() {
    run_virtual(async {
        let task = ferrio::spawn(async {
            ferrio::task::current().unwrap().cancel();
            12
        });
        let task_ref = (*task).clone();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(task_ref.done() && task_ref.cancelled());
        assert!(!task_ref.cancel());
    });
}

/// test_tasks `test_cancel_current_task`: a self-cancellation is delivered
/// at the next suspension (the sleep), not before.
#[test]
fn test_cancel_current_task() {
    run_virtual(async {
        let task = ferrio::spawn(async {
            ferrio::task::current().unwrap().cancel();
            ferrio::sleep(100 * SEC).await?;
            Ok::<_, Cancelled>(12)
        });
        let task_ref = (*task).clone();
        let t0 = ferrio::now();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(since(t0), Duration::ZERO, "the sleep was cancelled at once");
        assert!(task_ref.cancelled());
        assert!(!task_ref.cancel());
    });
}

/// test_tasks `test_cancel_yield` / `test_sleep` with 0: `sleep(ZERO)` is
/// asyncio's `sleep(0)`: it yields once — callbacks scheduled before it
/// have run when it returns — and it is a cancellation point.
#[test]
fn sleep_zero_yields_once_and_is_a_cancellation_point() {
    run_virtual(async {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        ferrio::EventLoop::current()
            .call_soon(move || r.set(true))
            .unwrap();
        ferrio::sleep(Duration::ZERO).await.unwrap();
        assert!(ran.get(), "the callback ran during the yield");

        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert!(ferrio::sleep(Duration::ZERO).await.is_err());
        assert_eq!(me.uncancel(), 0);
    });
}

/// No suspension, no cancellation: awaiting a finished task gives its
/// value even while a cancellation is pending (which the next real
/// suspension delivers). test_tasks `test_cancel_yield` shows the reverse:
/// an await that yields is where a cancellation lands.
#[test]
fn awaiting_a_finished_task_ignores_a_pending_cancellation() {
    run_virtual(async {
        let done = ferrio::spawn(async { 5 });
        ferrio::yield_now().await.unwrap();
        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert_eq!(done.await.unwrap(), 5);
        assert!(
            ferrio::yield_now().await.is_err(),
            "delivered at the next suspension"
        );
        me.uncancel();
    });
}

/// test_tasks `test_shield_cancel_outer`: cancelling the task that awaits
/// a shield ends its await with `Cancelled` and leaves the shielded work
/// running; cancellation does not follow the await chain through a shield.
#[test]
fn test_shield_cancel_outer() {
    run_virtual(async {
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        let outer = ferrio::spawn(async move {
            ferrio::shield(async move {
                ferrio::sleep(5 * SEC).await.unwrap();
                f.set(true);
            })
            .await
        });
        ferrio::sleep(SEC).await.unwrap();
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(!finished.get());
        ferrio::sleep(10 * SEC).await.unwrap();
        assert!(finished.get(), "the shielded work was not cancelled");
    });
}

/// test_tasks `test_cancel_gather_1`: cancelling a task awaiting `gather`
/// cancels the gathered tasks and waits for them before it resumes.
#[test]
fn test_cancel_gather_1() {
    run_virtual(async {
        let log = new_log();
        let children: Vec<_> = (0..2)
            .map(|i| {
                let log = log.clone();
                ferrio::spawn(async move {
                    if let Err(c) = ferrio::sleep(3600 * SEC).await {
                        ferrio::sleep(10 * MS).await.unwrap();
                        push(&log, format!("child {i} cleaned up"));
                        return Err(c);
                    }
                    Ok(i)
                })
            })
            .collect();
        let l = log.clone();
        let outer = ferrio::spawn(async move {
            let r = gather_tasks(children).await;
            push(&l, "gather returned".to_string());
            r.map(|_| ()).map_err(|e| match e {
                JoinError::Cancelled(c) => c,
                e => panic!("{e}"),
            })
        });
        ferrio::yield_now().await.unwrap();
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        assert_eq!(
            snapshot(&log),
            [
                "child 0 cleaned up",
                "child 1 cleaned up",
                "gather returned"
            ]
        );
    });
}

/// test_tasks `test_cancel_gather_2`: a cancelled `gather_settled`
/// (`return_exceptions=True`) still reports the cancellation, not the
/// outcomes, even if the children swallowed it.
#[test]
fn test_cancel_gather_2() {
    run_virtual(async {
        let child = ferrio::spawn(async {
            let _ = ferrio::sleep(3600 * SEC).await;
            "swallowed"
        });
        let outer = ferrio::spawn(async move { gather_settled_tasks([child]).await.map(|_| ()) });
        ferrio::yield_now().await.unwrap();
        outer.cancel();
        let outer_ref = (*outer).clone();
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(outer_ref.cancelled());
    });
}

/// test_tasks `test_exception` family (`Task.exception()`): pending gives
/// an invalid-state error, success none, cancellation the cancellation,
/// failure the failure.
#[test]
fn task_exception_follows_asyncio() {
    run_virtual(async {
        let ok = ferrio::spawn(async { 1 });
        let cancelled = ferrio::spawn(async {
            ferrio::sleep(SEC).await?;
            Ok::<_, Cancelled>(())
        });
        let failed = ferrio::spawn(async { panic!("boom") });
        assert_eq!(ok.exception().unwrap_err(), NotDone);
        ferrio::yield_now().await.unwrap();
        cancelled.cancel();
        ferrio::yield_now().await.unwrap();
        assert!(ok.exception().unwrap().is_none());
        assert!(cancelled.exception().unwrap().unwrap().is_cancelled());
        assert!(failed.exception().unwrap().unwrap().is_panic());
        assert_eq!(ok.await.unwrap(), 1);
    });
}

/// test_futures `test_result` (`result()` of a consumed task): a second
/// take is a typed error, not a panic.
#[test]
fn taking_a_result_twice_is_an_error() {
    run_virtual(async {
        let t = ferrio::spawn(async { "value" });
        ferrio::yield_now().await.unwrap();
        assert_eq!(t.try_result().unwrap().unwrap(), "value");
        assert!(matches!(t.try_result(), Some(Err(JoinError::ResultTaken))));
    });
}

/// test_futures `test_remove_done_callback`: a removed callback does not
/// run; the count of removed ones is returned.
#[test]
fn test_remove_done_callback() {
    run_virtual(async {
        let log = new_log();
        let t = ferrio::spawn(async {});
        let l = log.clone();
        let keep = t.add_done_callback(move |_| push(&l, "kept"));
        let l = log.clone();
        let gone = t.add_done_callback(move |_| push(&l, "removed"));
        assert_eq!(t.remove_done_callback(gone), 1);
        assert_eq!(t.remove_done_callback(gone), 0);
        assert_ne!(keep, gone);
        t.await.unwrap();
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), ["kept"]);
    });
}
