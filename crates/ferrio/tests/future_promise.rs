//! `Promise`: asyncio's `Future` — set once, awaited by many, cancellable,
//! with done callbacks; a cancelled awaiter disturbs no one.

mod common;

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::future::{InvalidState, Promise, PromiseError};
use ferrio::TaskRef;

const SEC: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Refused(&'static str);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused: {}", self.0)
    }
}

impl std::error::Error for Refused {}

/// Spawns `n` tasks awaiting `promise`, each logging what it got and when.
fn awaiters(promise: &Promise<String>, n: usize, log: &Log<String>) -> Vec<ferrio::Task<()>> {
    (0..n)
        .map(|i| {
            let p = promise.clone();
            let log = log.clone();
            ferrio::spawn(async move {
                let t0 = ferrio::now();
                let got = match p.await {
                    Ok(v) => v,
                    Err(PromiseError::Failed(e)) => format!("failed with {e}"),
                    Err(PromiseError::Cancelled(c)) => format!("{c}"),
                };
                push(&log, format!("{i}: {got} after {:?}", since(t0)));
            })
        })
        .collect()
}

#[test]
fn many_awaiters_each_get_a_clone_of_the_value() {
    run_virtual(async {
        let promise: Promise<String> = Promise::new();
        let log = new_log();
        let tasks = awaiters(&promise, 3, &log);
        ferrio::sleep(SEC).await.unwrap();
        assert_eq!(promise.statistics().waiters, 3);
        assert!(!promise.done());
        promise.set_result("hello".to_string()).unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            snapshot(&log),
            [
                "0: hello after 1s",
                "1: hello after 1s",
                "2: hello after 1s"
            ]
        );
        // Late awaiters get it at once; try_result does not consume it.
        assert_eq!((&promise).await.unwrap(), "hello");
        assert_eq!(promise.wait().await.unwrap(), "hello");
        assert_eq!(promise.try_result().unwrap().unwrap(), "hello");
        assert_eq!(promise.statistics().waiters, 0);
    });
}

#[test]
fn setting_twice_is_invalid_state_and_gives_the_value_back() {
    let promise: Promise<Vec<u8>> = Promise::new();
    assert!(promise.try_result().is_none());
    promise.set_result(vec![1]).unwrap();
    let InvalidState(back) = promise.set_result(vec![2, 3]).unwrap_err();
    assert_eq!(back, [2, 3]);
    let err = promise.set_exception(Rc::new(Refused("late"))).unwrap_err();
    assert!(err.to_string().contains("already settled"), "{err}");
    assert_eq!(err.into_inner().to_string(), "refused: late");
    assert!(!promise.cancel(), "a settled promise cannot be cancelled");
    assert!(!promise.cancelled());
    assert_eq!(promise.try_result().unwrap().unwrap(), [1]);
}

#[test]
fn set_exception_reaches_every_awaiter() {
    run_virtual(async {
        let promise: Promise<String> = Promise::new();
        let log = new_log();
        let tasks = awaiters(&promise, 2, &log);
        ferrio::yield_now().await.unwrap();
        promise.set_exception(Rc::new(Refused("no"))).unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            snapshot(&log),
            [
                "0: failed with refused: no after 0ns",
                "1: failed with refused: no after 0ns"
            ]
        );
        match promise.exception() {
            Ok(Some(PromiseError::Failed(e))) => assert_eq!(e.to_string(), "refused: no"),
            other => panic!("expected the failure, got {other:?}"),
        }
    });
}

#[test]
fn a_custom_error_type() {
    run_virtual(async {
        let promise: Promise<u32, &'static str> = Promise::new();
        let p = promise.clone();
        let waiter = ferrio::spawn(async move { p.await });
        ferrio::yield_now().await.unwrap();
        promise.set_exception("nope").unwrap();
        let err = waiter.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "the promise failed: nope");
        assert_eq!(err.into_failed(), Some("nope"));
    });
}

#[test]
fn cancel_wakes_every_awaiter_with_cancelled_but_does_not_cancel_them() {
    run_virtual(async {
        let promise: Promise<String> = Promise::new();
        let log = new_log();
        let tasks = awaiters(&promise, 2, &log);
        let refs: Vec<TaskRef> = tasks.iter().map(|t| TaskRef::clone(t)).collect();
        ferrio::sleep(SEC).await.unwrap();
        assert!(promise.cancel_with("no longer needed"));
        assert!(promise.cancelled() && promise.done());
        assert!(!promise.cancel(), "only once");
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            snapshot(&log),
            [
                "0: cancelled: no longer needed after 1s",
                "1: cancelled: no longer needed after 1s"
            ]
        );
        assert!(refs.iter().all(|t| !t.cancelled()));
        assert!(promise.try_result().unwrap().unwrap_err().is_cancelled());
        // asyncio: exception() of a cancelled future gives the cancellation.
        assert!(promise.exception().unwrap().unwrap().is_cancelled());
    });
}

/// Cancellation follows the await chain: a task cancelled while awaiting a
/// pending promise cancels the promise, so every awaiter sees it cancelled
/// (CPython test_tasks `test_task_cancel_waiter_future`).
#[test]
fn a_cancelled_awaiter_cancels_the_promise_for_every_awaiter() {
    run_virtual(async {
        let promise: Promise<String> = Promise::new();
        let log = new_log();
        let mut tasks = awaiters(&promise, 3, &log);
        ferrio::sleep(SEC).await.unwrap();
        tasks[1].cancel_with("awaiter 1 gives up");
        ferrio::sleep(SEC).await.unwrap();
        assert!(
            promise.cancelled(),
            "the promise was cancelled with its awaiter"
        );
        assert_eq!(promise.statistics().waiters, 0);
        assert!(promise.set_result("value".into()).is_err(), "settled once");
        for t in tasks.drain(..) {
            t.await.unwrap();
        }
        assert_eq!(
            snapshot(&log),
            [
                "1: cancelled: awaiter 1 gives up after 1s",
                "0: cancelled: awaiter 1 gives up after 1s",
                "2: cancelled: awaiter 1 gives up after 1s"
            ]
        );
    });
}

#[test]
fn an_awaiter_propagating_its_cancellation_ends_cancelled() {
    run_virtual(async {
        let promise: Promise<u32> = Promise::new();
        let p = promise.clone();
        let waiter = ferrio::spawn(async move { p.await.map_err(|e| e.to_string()) });
        let waiter2 = {
            let p = promise.clone();
            ferrio::spawn(async move {
                match p.await {
                    Err(PromiseError::Cancelled(c)) => Err(c),
                    other => Ok(other.unwrap()),
                }
            })
        };
        let w2 = TaskRef::clone(&waiter2);
        ferrio::yield_now().await.unwrap();
        waiter2.cancel();
        assert!(waiter2.await.unwrap_err().is_cancelled());
        assert!(w2.cancelled());
        // The other awaiter saw the promise cancelled, but was not itself
        // cancelled: that `Cancelled` is the promise's, not its own.
        assert_eq!(waiter.await.unwrap(), Err("cancelled".to_string()));
        assert!(promise.set_result(7).is_err());
    });
}

/// No suspension, no cancellation: awaiting a settled promise gives its
/// value even while the awaiting task has a cancellation pending.
#[test]
fn awaiting_a_settled_promise_ignores_a_pending_cancellation() {
    run_virtual(async {
        let promise: Promise<u32> = Promise::new();
        promise.set_result(5).unwrap();
        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert_eq!(promise.wait().await.unwrap(), 5);
        assert!(
            ferrio::yield_now().await.is_err(),
            "delivered at the next suspension"
        );
        assert_eq!(me.uncancel(), 0);
    });
}

#[test]
fn dropping_a_pending_awaiter_leaves_the_waiting_list() {
    run_virtual(async {
        let promise: Promise<u32> = Promise::new();
        let p = promise.clone();
        let waiter = ferrio::spawn(async move { p.await });
        ferrio::yield_now().await.unwrap();
        assert_eq!(promise.statistics().waiters, 1);
        waiter.abort();
        ferrio::yield_now().await.unwrap();
        assert_eq!(promise.statistics().waiters, 0);
        promise.set_result(1).unwrap();
    });
}

#[test]
fn done_callbacks_run_in_order_through_the_loop() {
    run_virtual(async {
        let log = new_log();
        let promise: Promise<u32> = Promise::new();
        for i in 0..3 {
            let log = log.clone();
            promise.add_done_callback(move |p| {
                push(
                    &log,
                    format!("cb{i}: {:?}", p.try_result().unwrap().unwrap()),
                )
            });
        }
        assert_eq!(promise.statistics().callbacks, 3);
        promise.set_result(5).unwrap();
        push(&log, "after set_result".to_string());
        ferrio::yield_now().await.unwrap();
        // Added once done: scheduled at once.
        let l = log.clone();
        promise.add_done_callback(move |_| push(&l, "late cb".to_string()));
        assert_eq!(log.borrow().len(), 4, "not called synchronously");
        ferrio::yield_now().await.unwrap();
        assert_eq!(
            snapshot(&log),
            ["after set_result", "cb0: 5", "cb1: 5", "cb2: 5", "late cb"]
        );
    });
}

#[test]
fn done_callbacks_see_cancellation_too() {
    run_virtual(async {
        let log = new_log();
        let promise: Promise<u32> = Promise::new();
        let l = log.clone();
        promise.add_done_callback(move |p| push(&l, p.cancelled()));
        promise.cancel();
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), [true]);
    });
}

#[test]
fn without_a_running_loop_callbacks_run_at_once() {
    let log = new_log();
    let promise: Promise<&str> = Promise::default();
    let l = log.clone();
    promise.add_done_callback(move |p| push(&l, p.try_result().unwrap().unwrap()));
    promise.set_result("now").unwrap();
    assert_eq!(snapshot(&log), ["now"]);
    assert!(format!("{promise:?}").contains("finished"));
}

#[test]
fn a_promise_of_a_non_clone_value_through_rc() {
    run_virtual(async {
        struct Big(Vec<u8>);
        let promise: Promise<Rc<Big>> = Promise::new();
        let p = promise.clone();
        let reader = ferrio::spawn(async move { p.await.unwrap().0.len() });
        ferrio::yield_now().await.unwrap();
        promise.set_result(Rc::new(Big(vec![0; 10]))).unwrap();
        assert_eq!(reader.await.unwrap(), 10);
        assert!(promise.ptr_eq(&promise.clone()));
    });
}
