//! `Condition`: wait releases and re-acquires the lock, notify order,
//! wait_for, and cancellation — the lock is held again before the
//! cancellation is reported, and a notification given to a cancelled
//! waiter passes on.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use common::*;
use ferrio::sync::{Condition, ConditionStats, Lock, LockStats};
use ferrio::Cancelled;

/// A task that takes the lock, waits once, and logs `name` (with the lock
/// held) when `wait` returns.
fn waiter(cond: &Condition, log: &Log<String>, name: &str) -> ferrio::Task<Result<(), Cancelled>> {
    let (cond, log, name) = (cond.clone(), log.clone(), name.to_string());
    ferrio::spawn(async move {
        let guard = cond.acquire().await?;
        let guard = cond.wait(guard).await?;
        assert!(guard.lock().locked());
        push(&log, name);
        Ok(())
    })
}

#[test]
fn wait_releases_the_lock_and_notify_wakes_in_order() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let tasks: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|n| waiter(&cond, &log, n))
            .collect();
        ferrio::yield_now().await.unwrap();
        // All three wait, and none holds the lock.
        assert_eq!(
            cond.statistics(),
            ConditionStats {
                waiters: 3,
                lock: LockStats {
                    locked: false,
                    waiters: 0
                }
            }
        );

        let guard = cond.acquire().await.unwrap();
        assert_eq!(cond.notify(1), 1);
        ferrio::yield_now().await.unwrap();
        // `a` is notified but needs the lock, which main holds.
        assert!(snapshot(&log).is_empty());
        drop(guard);
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), ["a"]);

        let guard = cond.acquire().await.unwrap();
        assert_eq!(cond.notify(5), 2, "only two were left");
        drop(guard);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a", "b", "c"]);
        assert!(!cond.locked());
    });
}

#[test]
fn notify_all_wakes_everyone_who_then_takes_the_lock_in_turn() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let tasks: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|n| waiter(&cond, &log, n))
            .collect();
        ferrio::yield_now().await.unwrap();
        assert_eq!(cond.notify_all(), 3);
        assert_eq!(cond.notify_all(), 0);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a", "b", "c"]);
    });
}

#[test]
fn wait_for_checks_the_predicate_under_the_lock() {
    run_virtual(async {
        let cond = Condition::new();
        let value = Rc::new(Cell::new(0));
        let checks = Rc::new(Cell::new(0));
        let (c, v, k) = (cond.clone(), value.clone(), checks.clone());
        let consumer = ferrio::spawn(async move {
            let guard = c.acquire().await?;
            let guard = c
                .wait_for(guard, || {
                    k.set(k.get() + 1);
                    v.get() >= 3
                })
                .await?;
            assert!(guard.lock().locked());
            Ok::<_, Cancelled>(v.get())
        });
        for i in 1..=3 {
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            let _guard = cond.acquire().await.unwrap();
            value.set(i);
            cond.notify_all();
        }
        assert_eq!(consumer.await.unwrap().unwrap(), 3);
        // Once at first, then after each of the three notifications.
        assert_eq!(checks.get(), 4);
    });
}

#[test]
fn wait_for_a_true_predicate_returns_at_once() {
    run_virtual(async {
        let cond = Condition::new();
        let guard = cond.acquire().await.unwrap();
        let guard = cond.wait_for(guard, || true).await.unwrap();
        assert!(cond.locked());
        drop(guard);
        assert!(!cond.locked());
    });
}

#[test]
fn a_cancelled_wait_reacquires_the_lock_before_reporting() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let (c, l) = (cond.clone(), log.clone());
        let t0 = ferrio::now();
        let w = ferrio::spawn(async move {
            let guard = c.acquire().await?;
            match c.wait(guard).await {
                Ok(_) => push(&l, "notified".to_string()),
                Err(e) => {
                    // The lock is ours again, and the cleanup may await.
                    assert!(e.guard.lock().locked());
                    push(&l, format!("cancelled, lock held, at {:?}", since(t0)));
                    ferrio::yield_now().await.ok();
                    drop(e.guard);
                    return Err(e.cancelled);
                }
            }
            Ok(())
        });
        ferrio::yield_now().await.unwrap();
        let guard = cond.acquire().await.unwrap();
        w.cancel();
        // `w` must wait for main to release before it can report.
        ferrio::sleep(Duration::from_secs(5)).await.unwrap();
        assert!(snapshot(&log).is_empty());
        assert_eq!(cond.statistics().waiters, 0, "w left the condition");
        drop(guard);
        assert!(w.await.unwrap_err().is_cancelled());
        assert_eq!(snapshot(&log), ["cancelled, lock held, at 5s"]);
        assert!(!cond.locked());
    });
}

#[test]
fn a_notified_waiter_cancelled_before_it_runs_passes_the_notification_on() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let a = waiter(&cond, &log, "a");
        let b = waiter(&cond, &log, "b");
        ferrio::yield_now().await.unwrap();
        assert_eq!(cond.notify(1), 1); // to `a` ...
        a.cancel(); // ... cancelled before it runs: `b` gets the notification
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert_eq!(cond.statistics().waiters, 0);
        assert!(!cond.locked());
    });
}

#[test]
fn a_waiter_cancelled_after_notify_all_wakes_nobody_new() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let a = waiter(&cond, &log, "a");
        ferrio::yield_now().await.unwrap();
        cond.notify_all();
        a.cancel();
        let late = waiter(&cond, &log, "late");
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(
            !late.done(),
            "late was woken by a notification it never got"
        );
        cond.notify(1);
        late.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["late"]);
    });
}

#[test]
fn cancellations_while_reacquiring_are_reported_once_the_lock_is_held() {
    run_virtual(async {
        let cond = Condition::new();
        let c = cond.clone();
        let w = ferrio::spawn(async move {
            let guard = c.acquire().await?;
            let e = c.wait(guard).await.unwrap_err();
            assert!(e.guard.lock().locked());
            Err::<(), _>(Cancelled::from(e))
        });
        ferrio::yield_now().await.unwrap();
        let guard = cond.acquire().await.unwrap();
        cond.notify(1);
        ferrio::yield_now().await.unwrap();
        // `w` is re-acquiring now; cancel it twice while it waits.
        w.cancel_with("first");
        ferrio::yield_now().await.unwrap();
        w.cancel_with("second");
        ferrio::yield_now().await.unwrap();
        assert!(!w.done());
        drop(guard);
        let err = w.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!cond.locked());
    });
}

#[test]
fn dropping_a_pending_wait_passes_its_notification_on() {
    run_virtual(async {
        let cond = Condition::new();
        let log = new_log();
        let guard = cond.acquire().await.unwrap();
        let mut pending = Box::pin(cond.wait(guard));
        let polled = std::future::poll_fn(|cx| Poll::Ready(pending.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        assert!(!cond.locked(), "waiting released the lock");
        let b = waiter(&cond, &log, "b");
        ferrio::yield_now().await.unwrap();
        cond.notify(1); // to `pending` ...
        drop(pending); // ... which passes it to `b`
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert!(!cond.locked());
    });
}

#[test]
fn conditions_can_share_a_lock() {
    run_virtual(async {
        let lock = Lock::new();
        let not_empty = Condition::with_lock(lock.clone());
        let not_full = Condition::with_lock(lock.clone());
        let guard = not_empty.acquire().await.unwrap();
        assert!(not_full.locked());
        assert!(not_full.try_acquire().is_none());
        // A guard of the shared lock works with either condition.
        let guard = not_full.wait_for(guard, || true).await.unwrap();
        drop(guard);
        assert!(!lock.locked());
        assert!(not_empty.lock().ptr_eq(not_full.lock()));
    });
}

#[test]
#[should_panic(expected = "another lock")]
fn waiting_with_another_locks_guard_panics() {
    run_virtual(async {
        let cond = Condition::new();
        let other = Lock::new();
        let guard = other.acquire().await.unwrap();
        drop(cond.wait(guard));
    });
}
