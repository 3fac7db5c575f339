//! `Semaphore`: the concurrency bound, FIFO hand-off without barging,
//! cancellation that takes no permit, hand release, owned permits.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::sync::{Semaphore, SemaphoreStats};
use ferrio::Cancelled;

/// Spawns a task that takes a permit, logs `name`, holds it for one yield,
/// and gives it back.
fn holder(sem: &Semaphore, log: &Log<String>, name: &str) -> ferrio::Task<Result<(), Cancelled>> {
    let (sem, log, name) = (sem.clone(), log.clone(), name.to_string());
    ferrio::spawn(async move {
        let _permit = sem.acquire().await?;
        push(&log, name);
        ferrio::yield_now().await?;
        Ok(())
    })
}

#[test]
fn at_most_n_tasks_hold_a_permit() {
    run_virtual(async {
        let sem = Semaphore::new(3);
        let running = Rc::new(Cell::new(0));
        let peak = Rc::new(Cell::new(0));
        let t0 = ferrio::now();
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (sem, running, peak) = (sem.clone(), running.clone(), peak.clone());
                ferrio::spawn(async move {
                    let _permit = sem.acquire().await?;
                    running.set(running.get() + 1);
                    peak.set(peak.get().max(running.get()));
                    ferrio::sleep(Duration::from_secs(1)).await?;
                    running.set(running.get() - 1);
                    Ok::<_, Cancelled>(())
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(peak.get(), 3);
        // 10 tasks, 3 at a time, 1 s each: 4 rounds.
        assert_eq!(since(t0), Duration::from_secs(4));
        assert_eq!(sem.available_permits(), 3);
    });
}

#[test]
fn released_permits_go_to_waiters_in_arrival_order() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let log = new_log();
        let tasks: Vec<_> = ["a", "b", "c"]
            .iter()
            .map(|n| holder(&sem, &log, n))
            .collect();
        ferrio::yield_now().await.unwrap();
        assert_eq!(
            sem.statistics(),
            SemaphoreStats {
                permits: 0,
                waiters: 3
            }
        );
        sem.release();
        // Granted to `a` before it runs: nobody else can take it.
        assert_eq!(sem.available_permits(), 0);
        assert!(sem.try_acquire().is_none(), "try_acquire barged in");
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), ["a"]);
        sem.add_permits(2);
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a", "b", "c"]);
        // `a` gave its permit back when it finished, plus the two added.
        assert_eq!(sem.available_permits(), 3);
    });
}

#[test]
fn add_permits_serves_waiters_first_and_keeps_the_rest() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let log = new_log();
        let a = holder(&sem, &log, "a");
        ferrio::yield_now().await.unwrap();
        sem.add_permits(5);
        assert_eq!(sem.available_permits(), 4);
        a.await.unwrap().unwrap();
        assert_eq!(sem.available_permits(), 5);
        // On a plain Semaphore, release may go past the initial value.
        sem.release();
        assert_eq!(sem.available_permits(), 6);
    });
}

#[test]
fn a_task_that_releases_and_reacquires_goes_to_the_back() {
    run_virtual(async {
        let sem = Semaphore::new(1);
        let log = new_log();
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let (sem, log) = (sem.clone(), log.clone());
                ferrio::spawn(async move {
                    for i in 0..2 {
                        let _permit = sem.acquire().await?;
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
        assert_eq!(snapshot(&log), ["a0", "b0", "c0", "a1", "b1", "c1"]);
    });
}

#[test]
fn a_cancelled_waiter_takes_no_permit() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let log = new_log();
        let a = holder(&sem, &log, "a");
        let b = holder(&sem, &log, "b");
        ferrio::yield_now().await.unwrap();
        a.cancel();
        ferrio::yield_now().await.unwrap();
        assert_eq!(sem.statistics().waiters, 1);
        sem.release();
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn a_permit_granted_to_a_cancelled_waiter_passes_on_or_returns() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let log = new_log();
        let a = holder(&sem, &log, "a");
        let b = holder(&sem, &log, "b");
        ferrio::yield_now().await.unwrap();
        sem.release(); // to `a` ...
        a.cancel(); // ... cancelled before it runs: the permit goes to `b`
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert_eq!(sem.available_permits(), 1);

        // With nobody behind, the permit returns to the count.
        sem.try_acquire().unwrap().forget();
        let c = holder(&sem, &log, "c");
        ferrio::yield_now().await.unwrap();
        sem.release();
        c.cancel();
        assert!(c.await.unwrap_err().is_cancelled());
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn dropping_a_pending_acquire_gives_up_its_place() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let log = new_log();
        let mut pending = Box::pin(sem.acquire());
        let polled = std::future::poll_fn(|cx| std::task::Poll::Ready(pending.as_mut().poll(cx)));
        assert!(polled.await.is_pending());
        let b = holder(&sem, &log, "b");
        ferrio::yield_now().await.unwrap();
        sem.release(); // to `pending` ...
        drop(pending); // ... which passes it on to `b`
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn forget_and_release_pair_up_by_hand() {
    run_virtual(async {
        let sem = Semaphore::new(2);
        sem.acquire().await.unwrap().forget();
        sem.acquire().await.unwrap().forget();
        assert!(sem.locked());
        sem.release();
        sem.release();
        assert_eq!(sem.available_permits(), 2);
    });
}

#[test]
fn owned_permits_move_into_tasks() {
    run_virtual(async {
        let sem = Semaphore::new(1);
        let permit = sem.acquire_owned().await.unwrap();
        assert!(permit.semaphore().ptr_eq(&sem));
        let worker = ferrio::spawn(async move {
            ferrio::sleep(Duration::from_secs(1)).await?;
            drop(permit);
            Ok::<_, Cancelled>(())
        });
        assert!(sem.try_acquire_owned().is_none());
        let t0 = ferrio::now();
        let again = sem.acquire_owned().await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(1));
        worker.await.unwrap().unwrap();
        again.forget();
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn acquire_with_a_pending_cancellation_takes_nothing() {
    run_virtual(async {
        let sem = Semaphore::new(1);
        let s = sem.clone();
        let task = ferrio::spawn(async move {
            ferrio::task::current().unwrap().cancel();
            s.acquire().await.map(drop)
        });
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn debug_and_statistics() {
    let sem = Semaphore::new(2);
    assert_eq!(format!("{sem:?}"), "Semaphore { permits: 2, waiters: 0 }");
    let permit = sem.try_acquire().unwrap();
    assert!(format!("{permit:?}").contains("permits: 1"));
    assert_eq!(
        sem.statistics(),
        SemaphoreStats {
            permits: 1,
            waiters: 0
        }
    );
    assert!(!sem.locked());
    assert_eq!(Semaphore::default().available_permits(), 1);
}
