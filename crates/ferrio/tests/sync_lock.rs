//! `Lock`: FIFO hand-off without barging, cancellation that takes nothing,
//! RAII guards, owned guards, statistics.

mod common;

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use common::*;
use ferrio::sync::{Event, Lock, LockStats};
use ferrio::Cancelled;

/// Spawns a task that takes `lock`, logs `name`, yields once while holding
/// it, and releases it.
fn locker(lock: &Lock, log: &Log<String>, name: &str) -> ferrio::Task<Result<(), Cancelled>> {
    let (lock, log, name) = (lock.clone(), log.clone(), name.to_string());
    ferrio::spawn(async move {
        let _guard = lock.acquire().await?;
        push(&log, name);
        ferrio::yield_now().await?;
        Ok(())
    })
}

/// Polls `fut` once with a no-op waker.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    std::pin::Pin::new(fut).poll(&mut cx)
}

#[test]
fn waiters_get_the_lock_in_arrival_order() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let guard = lock.acquire().await.unwrap();
        let tasks: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|n| locker(&lock, &log, n))
            .collect();
        ferrio::yield_now().await.unwrap();
        assert_eq!(
            lock.statistics(),
            LockStats {
                locked: true,
                waiters: 3
            }
        );
        drop(guard);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a", "b", "c"]);
        assert!(!lock.locked());
    });
}

#[test]
fn a_late_arrival_does_not_overtake_a_woken_waiter() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let go = Event::new();
        let guard = lock.acquire().await.unwrap();
        let first = locker(&lock, &log, "first");
        ferrio::yield_now().await.unwrap();
        // `barger` runs before `first` in the next round: it is woken first.
        let barger = {
            let (lock, log, go) = (lock.clone(), log.clone(), go.clone());
            ferrio::spawn(async move {
                go.wait().await?;
                let _guard = lock.acquire().await?;
                push(&log, "barger".to_string());
                Ok::<_, Cancelled>(())
            })
        };
        ferrio::yield_now().await.unwrap();
        go.set();
        // Released: the lock now belongs to `first`, which has not run yet.
        // As in asyncio it is not `locked()` during the hand-off, yet nobody
        // can take it.
        drop(guard);
        assert!(!lock.locked());
        assert!(lock.try_acquire().is_none(), "try_acquire barged in");
        // The releasing task asking again queues behind `first` too.
        let again = lock.acquire().await.unwrap();
        push(&log, "main again".to_string());
        drop(again);
        first.await.unwrap().unwrap();
        barger.await.unwrap().unwrap();
        // `barger` asked after `main` (it ran after main's acquire queued).
        assert_eq!(snapshot(&log), ["first", "main again", "barger"]);
    });
}

#[test]
fn a_task_that_releases_and_reacquires_goes_to_the_back() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let tasks: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let (lock, log) = (lock.clone(), log.clone());
                ferrio::spawn(async move {
                    for i in 0..3 {
                        let _guard = lock.acquire().await?;
                        push(&log, format!("{name}{i}"));
                        ferrio::yield_now().await?;
                    }
                    Ok::<_, Cancelled>(())
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a0", "b0", "a1", "b1", "a2", "b2"]);
    });
}

#[test]
fn a_cancelled_waiter_takes_nothing() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let guard = lock.acquire().await.unwrap();
        let a = locker(&lock, &log, "a");
        let b = locker(&lock, &log, "b");
        ferrio::yield_now().await.unwrap();
        a.cancel();
        ferrio::yield_now().await.unwrap();
        assert_eq!(lock.statistics().waiters, 1, "a left the queue");
        drop(guard);
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert!(!lock.locked());
    });
}

#[test]
fn a_waiter_cancelled_after_being_handed_the_lock_passes_it_on() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let guard = lock.acquire().await.unwrap();
        let a = locker(&lock, &log, "a");
        let b = locker(&lock, &log, "b");
        ferrio::yield_now().await.unwrap();
        drop(guard); // handed to `a` ...
        a.cancel(); // ... which is cancelled before it runs
        ferrio::yield_now().await.unwrap();
        // Handed on to `b`, which has not run yet: a hand-off in flight.
        assert!(!lock.locked() && lock.try_acquire().is_none());
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert!(!lock.locked());
    });
}

#[test]
fn a_hand_off_to_a_cancelled_waiter_with_nobody_behind_unlocks() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let guard = lock.acquire().await.unwrap();
        let a = locker(&lock, &log, "a");
        ferrio::yield_now().await.unwrap();
        drop(guard);
        a.cancel();
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(
            lock.statistics(),
            LockStats {
                locked: false,
                waiters: 0
            }
        );
        assert!(lock.try_acquire().is_some());
    });
}

#[test]
fn dropping_a_pending_acquire_behaves_like_cancelling_it() {
    run_virtual(async {
        let lock = Lock::new();
        let log = new_log();
        let guard = lock.acquire().await.unwrap();
        let mut pending = lock.acquire();
        assert!(poll_once(&mut pending).is_pending());
        let b = locker(&lock, &log, "b");
        ferrio::yield_now().await.unwrap();
        drop(guard); // handed to `pending`
        drop(pending); // which passes it to `b`
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert!(!lock.locked());
    });
}

#[test]
fn acquire_is_a_cancellation_point_even_when_free() {
    run_virtual(async {
        let lock = Lock::new();
        let l = lock.clone();
        let task = ferrio::spawn(async move {
            ferrio::task::current().unwrap().cancel();
            l.acquire().await.map(drop)
        });
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(!lock.locked());
    });
}

#[test]
fn an_owned_guard_moves_into_another_task() {
    run_virtual(async {
        let lock = Lock::new();
        let guard = lock.acquire_owned().await.unwrap();
        assert!(guard.lock().ptr_eq(&lock));
        let holder = ferrio::spawn(async move {
            ferrio::sleep(Duration::from_secs(2)).await?;
            drop(guard);
            Ok::<_, Cancelled>(())
        });
        let t0 = ferrio::now();
        let again = lock.acquire_owned().await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(2));
        holder.await.unwrap().unwrap();
        assert!(lock.try_acquire_owned().is_none());
        drop(again);
        assert!(lock.try_acquire_owned().is_some());
    });
}

#[test]
fn debug_shows_the_state() {
    let lock = Lock::new();
    assert_eq!(format!("{lock:?}"), "Lock { locked: false, waiters: 0 }");
    let guard = lock.try_acquire().unwrap();
    assert!(format!("{guard:?}").contains("locked: true"));
    let fut = lock.acquire();
    assert!(format!("{fut:?}").starts_with("LockAcquire"));
}
