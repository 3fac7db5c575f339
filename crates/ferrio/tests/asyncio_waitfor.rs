//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_waitfor.py`:
//! `wait_for` on a task cancels it on expiry and returns only after its
//! cleanup ran; an error raised in that cleanup, or a value returned after
//! swallowing the cancellation, wins over `TimeoutError`; cancelling the
//! awaiting task cancels the inner task; a done future is returned even
//! with a zero timeout. Each test names the CPython test it mirrors; all
//! run on the virtual clock.

mod common;

use std::cell::Cell;
use std::error::Error as _;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::future::Promise;
use ferrio::{Cancelled, JoinError};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

/// test_waitfor `test_wait_for_waits_for_task_cancellation`: on expiry the
/// inner task is cancelled, its async cleanup runs to its end, and then
/// `TimeoutError` — whose source is the `Cancelled` — is returned.
#[test]
fn test_wait_for_waits_for_task_cancellation() {
    run_virtual(async {
        let task_done = Rc::new(Cell::new(false));
        let d = task_done.clone();
        let inner = ferrio::spawn(async move {
            let outcome = match ferrio::sleep(10 * SEC).await {
                Err(c) => {
                    ferrio::sleep(MS).await.unwrap();
                    Err(c)
                }
                Ok(()) => Ok(()),
            };
            d.set(true);
            outcome
        });
        let inner_ref = (*inner).clone();
        let t0 = ferrio::now();
        let err = ferrio::wait_for(MS, inner).await.unwrap_err();
        assert!(task_done.get(), "returned only after the cleanup");
        assert!(inner_ref.cancelled());
        assert_eq!(since(t0), 2 * MS);
        let source = err.source().expect("chained to the cancellation");
        assert!(source.downcast_ref::<Cancelled>().is_some());
    });
}

/// test_waitfor `test_wait_for_waits_for_task_cancellation_w_timeout_0`:
/// the same with a zero timeout on a task already running.
#[test]
fn test_wait_for_waits_for_task_cancellation_w_timeout_0() {
    run_virtual(async {
        let task_done = Rc::new(Cell::new(false));
        let d = task_done.clone();
        let inner = ferrio::spawn(async move {
            let r = ferrio::sleep(10 * SEC).await;
            if r.is_err() {
                ferrio::sleep(MS).await.unwrap();
            }
            d.set(true);
            r
        });
        ferrio::sleep(MS).await.unwrap();
        assert!(ferrio::wait_for(Duration::ZERO, inner).await.is_err());
        assert!(task_done.get());
    });
}

/// test_waitfor `test_wait_for_reraises_exception_during_cancellation`: an
/// error the task raises in its cleanup wins over `TimeoutError`.
#[test]
fn test_wait_for_reraises_exception_during_cancellation() {
    run_virtual(async {
        let inner = ferrio::spawn(async {
            if ferrio::sleep(200 * MS).await.is_err() {
                return Err("FooException");
            }
            Ok(())
        });
        let outcome = ferrio::wait_for(MS, inner).await;
        assert_eq!(outcome.unwrap().unwrap(), Err("FooException"));
    });
}

/// test_waitfor `test_wait_for_cancel_suppressed`: a value returned after
/// swallowing the cancellation wins over `TimeoutError` (a coroutine, and a
/// task awaited through `wait_for`).
#[test]
fn test_wait_for_cancel_suppressed() {
    run_virtual(async {
        let return_42 = async {
            match ferrio::sleep(10 * SEC).await {
                Err(_) => 42,
                Ok(()) => 0,
            }
        };
        assert_eq!(ferrio::wait_for(100 * MS, return_42).await.unwrap(), 42);
        let task = ferrio::spawn(async {
            match ferrio::sleep(10 * SEC).await {
                Err(_) => 42,
                Ok(()) => 0,
            }
        });
        assert_eq!(ferrio::wait_for(100 * MS, task).await.unwrap().unwrap(), 42);
    });
}

/// test_waitfor `test_cancel_wait_for` / `test_cancel_blocking_wait_for`:
/// cancelling the task running `wait_for` cancels the task it waits on.
#[test]
fn test_cancel_wait_for() {
    for limit in [Some(60 * SEC), None] {
        run_virtual(async move {
            let never: Promise<()> = Promise::new();
            let n = never.clone();
            let task = ferrio::spawn(async move {
                match n.await {
                    Err(ferrio::future::PromiseError::Cancelled(c)) => Err(c),
                    other => {
                        other.unwrap();
                        Ok(())
                    }
                }
            });
            let task_ref = (*task).clone();
            let wait = ferrio::spawn(async move {
                let deadline = limit.map(|d| ferrio::now() + d);
                match ferrio::timeout_at(deadline, task).await {
                    Ok(Err(JoinError::Cancelled(c))) => Err::<(), Cancelled>(c),
                    other => panic!("expected the cancellation, got {other:?}"),
                }
            });
            ferrio::yield_now().await.unwrap();
            wait.cancel();
            assert!(wait.await.unwrap_err().is_cancelled());
            assert!(task_ref.done());
            assert!(never.cancelled(), "the request went down the whole chain");
        });
    }
}

/// test_waitfor `test_wait_for_timeout_less_then_0_or_0_future_done`: a
/// done future is returned even with a zero timeout (no suspension, no
/// cancellation).
#[test]
fn test_wait_for_timeout_less_then_0_or_0_future_done() {
    run_virtual(async {
        let fut: Promise<&str> = Promise::new();
        fut.set_result("done").unwrap();
        assert_eq!(
            ferrio::wait_for(Duration::ZERO, fut.wait())
                .await
                .unwrap()
                .unwrap(),
            "done"
        );
        let finished = ferrio::spawn(async { "done too" });
        ferrio::yield_now().await.unwrap();
        assert_eq!(
            ferrio::wait_for(Duration::ZERO, finished)
                .await
                .unwrap()
                .unwrap(),
            "done too"
        );
    });
}

/// test_waitfor `test_wait_for_timeout_less_then_0_or_0`: a zero timeout on
/// a running task cancels it and waits for it.
#[test]
fn test_wait_for_timeout_less_then_0_or_0() {
    run_virtual(async {
        let running = Rc::new(Cell::new(false));
        let r = running.clone();
        let task = ferrio::spawn(async move {
            r.set(true);
            let slept = ferrio::sleep(10 * SEC).await;
            r.set(false);
            slept.map(|()| "done")
        });
        ferrio::yield_now().await.unwrap();
        let task_ref = (*task).clone();
        assert!(ferrio::wait_for(Duration::ZERO, task).await.is_err());
        assert!(task_ref.cancelled());
        assert!(!running.get());
    });
}

/// test_waitfor `test_wait_for_issue86296`: cancelling the task running
/// `wait_for` on a task that already finished cancels the awaiter, and the
/// inner task keeps its value.
#[test]
fn test_wait_for_issue86296() {
    run_virtual(async {
        let inner = ferrio::spawn(async { "done" });
        let inner_ref = (*inner).clone();
        let reached_end = Rc::new(Cell::new(false));
        let r = reached_end.clone();
        let task = ferrio::spawn(async move {
            let value = ferrio::wait_for(100 * SEC, inner).await.unwrap().unwrap();
            ferrio::sleep(SEC).await?;
            r.set(true);
            Ok::<_, Cancelled>(value)
        });
        ferrio::yield_now().await.unwrap();
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(inner_ref.done() && !inner_ref.cancelled());
        assert!(!reached_end.get());
    });
}

/// test_waitfor `test_wait_for_cancellation_race_condition`: the inner
/// coroutine gets the cancellation and returns a value, which wins.
#[test]
fn test_wait_for_cancellation_race_condition() {
    run_virtual(async {
        let inner = async {
            assert!(ferrio::sleep(SEC).await.is_err());
            1
        };
        assert_eq!(ferrio::wait_for(10 * MS, inner).await.unwrap(), 1);
    });
}

/// test_waitfor `test_shielded_timeout`: a shielded task outlives the
/// `wait_for` that timed out on it.
#[test]
fn test_shielded_timeout() {
    run_virtual(async {
        let finished = Rc::new(Cell::new(false));
        let f = finished.clone();
        let shielded = ferrio::shield(async move {
            ferrio::sleep(SEC).await.unwrap();
            f.set(true);
        });
        assert!(ferrio::wait_for(10 * MS, shielded).await.is_err());
        assert!(!finished.get());
        ferrio::sleep(2 * SEC).await.unwrap();
        assert!(finished.get());
    });
}
