//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_locks.py`:
//! strict FIFO semaphores (a newcomer queues behind a woken waiter that has
//! not run yet), `Lock.locked()` during a hand-off, cancelled waiters that
//! take nothing, a cancelled `Condition` waiter that wakes another in its
//! place, and no suspension, no cancellation on free primitives. Each test
//! names the CPython test it mirrors; all run on the virtual clock.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::future::Promise;
use ferrio::sync::{Condition, Event, Lock, Semaphore};
use ferrio::Cancelled;

const SEC: Duration = Duration::from_secs(1);

async fn tick() {
    ferrio::yield_now().await.unwrap();
}

/// test_locks `test_acquire_fifo_order_2`: a task that releases and asks
/// again queues behind the waiter it released to, even though a permit is
/// spare when it asks.
#[test]
fn test_acquire_fifo_order_2() {
    run_virtual(async {
        let sem = Semaphore::new(1);
        let result = new_log();
        let (s, r) = (sem.clone(), result.clone());
        let t1 = ferrio::spawn(async move {
            s.acquire().await?.forget();
            push(&r, 1);
            Ok::<_, Cancelled>(())
        });
        let (s, r) = (sem.clone(), result.clone());
        let t2 = ferrio::spawn(async move {
            s.acquire().await?.forget();
            push(&r, 2);
            s.release();
            s.acquire().await?.forget();
            push(&r, 4);
            Ok::<_, Cancelled>(())
        });
        let (s, r) = (sem.clone(), result.clone());
        let t3 = ferrio::spawn(async move {
            s.acquire().await?.forget();
            push(&r, 3);
            Ok::<_, Cancelled>(())
        });
        tick().await;
        sem.release();
        sem.release();
        for t in [t1, t2, t3] {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&result), [1, 2, 3, 4]);
    });
}

/// test_locks `test_acquire_fifo_order_3`: cancelled waiters take no
/// permit; the next ones get them in order.
#[test]
fn test_acquire_fifo_order_3() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let result = new_log();
        let tasks: Vec<_> = (1..=3)
            .map(|i| {
                let (s, r) = (sem.clone(), result.clone());
                ferrio::spawn(async move {
                    s.acquire().await?.forget();
                    push(&r, i);
                    Ok::<_, Cancelled>(())
                })
            })
            .collect();
        tick().await;
        tasks[0].cancel();
        tick().await;
        sem.release();
        sem.release();
        let outcomes: Vec<bool> = {
            let mut v = Vec::new();
            for t in tasks {
                v.push(t.await.is_ok());
            }
            v
        };
        assert_eq!(outcomes, [false, true, true]);
        assert_eq!(snapshot(&result), [2, 3]);
    });
}

/// test_locks `test_acquire_fifo_order_4`: while the first woken waiter has
/// not run, the semaphore is locked with permits spare and newcomers queue;
/// when it runs, it passes the spare permits to the ones behind it.
#[test]
fn test_acquire_fifo_order_4() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let result = new_log();
        let t4: Rc<RefCell<Option<ferrio::Task<()>>>> = Rc::default();
        let (s, r, slot) = (sem.clone(), result.clone(), t4.clone());
        let t1 = ferrio::spawn(async move {
            assert_eq!(s.available_permits(), 0);
            s.acquire().await.unwrap().forget();
            // Every waiting task was woken: no permit left over.
            assert_eq!(s.available_permits(), 0);
            let r4 = r.clone();
            *slot.borrow_mut() = Some(ferrio::spawn(async move { push(&r4, 4) }));
            push(&r, 1);
        });
        let (s, r) = (sem.clone(), result.clone());
        let t2 = ferrio::spawn(async move {
            s.release();
            s.release();
            s.release();
            assert_eq!(s.available_permits(), 2);
            assert!(s.locked(), "locked: t1 has not woken up yet");
            s.acquire().await.unwrap().forget();
            push(&r, 2);
        });
        let (s, r) = (sem.clone(), result.clone());
        let t3 = ferrio::spawn(async move {
            s.acquire().await.unwrap().forget();
            assert!(s.locked());
            push(&r, 3);
        });
        tick().await;
        // Three tasks are in the queue, the first has not woken up yet.
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(sem.statistics().waiters, 2, "t2 and t3 queued, t1 woken");
        for t in [t1, t2, t3] {
            t.await.unwrap();
        }
        let t4 = t4.borrow_mut().take().unwrap();
        t4.await.unwrap();
        assert_eq!(snapshot(&result), [1, 2, 3, 4]);
    });
}

/// test_locks `test_acquire_cancel_before_awoken`: permits released to
/// cancelled waiters go to the next ones, one each.
#[test]
fn test_acquire_cancel_before_awoken() {
    run_virtual(async {
        let sem = Semaphore::new(0);
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let s = sem.clone();
                ferrio::spawn(async move { s.acquire().await.map(|p| p.forget()) })
            })
            .collect();
        tick().await;
        tasks[0].cancel();
        tasks[1].cancel();
        sem.release();
        tick().await;
        tick().await;
        assert!(tasks[2].done());
        assert!(!tasks[3].done());
        tasks[3].cancel();
        tick().await;
        assert!(tasks[3].done());
    });
}

/// test_locks `test_cancel_race` (Lock): a release while the front waiter
/// was just cancelled hands the lock to the next one; during the hand-off
/// `locked()` is false, as in asyncio, yet nobody else can take it.
#[test]
fn test_cancel_race() {
    run_virtual(async {
        let lock = Lock::new();
        let fa: Promise<()> = Promise::new();
        let lockit = |blocker: Option<Promise<()>>| {
            let lock = lock.clone();
            ferrio::spawn(async move {
                let _guard = lock.acquire().await?;
                if let Some(b) = blocker {
                    b.await.unwrap();
                }
                Ok::<_, Cancelled>(())
            })
        };
        let ta = lockit(Some(fa.clone()));
        tick().await;
        assert!(lock.locked());
        let tb = lockit(None);
        tick().await;
        let tc = lockit(None);
        tick().await;
        assert_eq!(lock.statistics().waiters, 2);
        fa.set_result(()).unwrap();
        tb.cancel();
        tick().await;
        assert!(ta.done());
        assert!(!lock.locked(), "handed to tc, which has not run yet");
        assert!(lock.try_acquire().is_none(), "and nobody can barge in");
        assert!(tb.await.unwrap_err().is_cancelled());
        tc.await.unwrap().unwrap();
    });
}

/// test_locks `test_finished_waiter_cancelled`: a waiter cancelled after it
/// was woken passes the lock on.
#[test]
fn test_finished_waiter_cancelled() {
    run_virtual(async {
        let lock = Lock::new();
        let guard = lock.acquire().await.unwrap();
        let l = lock.clone();
        let tb = ferrio::spawn(async move { l.acquire().await.map(drop) });
        tick().await;
        let l = lock.clone();
        let tc = ferrio::spawn(async move {
            let g = l.acquire().await?;
            ferrio::sleep(SEC).await?;
            drop(g);
            Ok::<_, Cancelled>(())
        });
        tb.cancel();
        drop(guard);
        tick().await;
        tick().await;
        assert!(lock.locked(), "tc holds it");
        assert!(tb.await.unwrap_err().is_cancelled());
        tc.await.unwrap().unwrap();
    });
}

/// test_locks `test_wait_on_set` and rule 2: a set event, a free lock, a
/// free semaphore are taken without suspending, so a pending cancellation
/// is not delivered there; the next real suspension gets it.
#[test]
fn test_wait_on_set() {
    run_virtual(async {
        let me = ferrio::task::current().unwrap();
        let event = Event::new();
        event.set();
        let lock = Lock::new();
        let sem = Semaphore::new(1);
        me.cancel();
        event.wait().await.unwrap();
        let guard = lock.acquire().await.unwrap();
        let permit = sem.acquire().await.unwrap();
        assert!(ferrio::yield_now().await.is_err(), "delivered at the yield");
        drop((guard, permit));
        me.uncancel();
    });
}

/// test_locks `test_wait_cancel` (Event): a cancelled wait leaves the
/// waiting list.
#[test]
fn test_event_wait_cancel() {
    run_virtual(async {
        let event = Event::new();
        let e = event.clone();
        let wait = ferrio::spawn(async move { e.wait().await });
        tick().await;
        wait.cancel();
        assert!(wait.await.unwrap_err().is_cancelled());
        assert_eq!(event.statistics().waiters, 0);
    });
}

async fn consumer(condition: Condition, state: Rc<Cell<i32>>) -> Result<(), Cancelled> {
    let mut guard = condition.acquire().await?;
    loop {
        let s = state.clone();
        guard = condition.wait_for(guard, move || s.get() != 0).await?;
        if state.get() < 0 {
            return Ok(());
        }
        state.set(state.get() - 1);
    }
}

/// test_locks `test_cancelled_wakeup`: a consumer cancelled right after it
/// was notified, before it ran, does not swallow the notification.
#[test]
fn test_cancelled_wakeup() {
    cancelled_wakeup(false);
}

/// test_locks `test_cancelled_wakeup_relock`: the same, cancelled while it
/// re-acquires the lock after the notification.
#[test]
fn test_cancelled_wakeup_relock() {
    cancelled_wakeup(true);
}

fn cancelled_wakeup(while_relocking: bool) {
    run_virtual(async move {
        let condition = Condition::new();
        let state = Rc::new(Cell::new(0));
        let c: Vec<_> = (0..2)
            .map(|_| ferrio::spawn(consumer(condition.clone(), state.clone())))
            .collect();
        tick().await;
        let guard = condition.acquire().await.unwrap();
        state.set(state.get() + 1);
        condition.notify(1);
        if while_relocking {
            // Let the notified consumer wake and queue for the lock.
            tick().await;
        }
        c[0].cancel();
        // As CPython's test: wait a bit for the item to be consumed (if the
        // notification raced with the cancel and was lost, it is not).
        let s = state.clone();
        let _ = ferrio::timeout(10 * SEC, condition.wait_for(guard, move || s.get() == 0)).await;
        assert_eq!(state.get(), 0, "the notification was not lost");
        let guard = condition.acquire().await.unwrap();
        state.set(-1);
        condition.notify_all();
        drop(guard);
        let mut c = c.into_iter();
        assert!(
            c.next().unwrap().await.unwrap_err().is_cancelled(),
            "the cancelled one"
        );
        c.next().unwrap().await.unwrap().unwrap();
    });
}

/// test_locks `test_wait_cancel_after_notify`: cancelled after being
/// notified, while re-acquiring, the wait still ends cancelled holding the
/// lock.
#[test]
fn test_wait_cancel_after_notify() {
    run_virtual(async {
        let condition = Condition::new();
        let waited = Rc::new(Cell::new(false));
        let (c, w) = (condition.clone(), waited.clone());
        let waiter = ferrio::spawn(async move {
            let guard = c.acquire().await?;
            w.set(true);
            let guard = c.wait(guard).await?;
            drop(guard);
            Ok::<_, Cancelled>(())
        });
        tick().await;
        let guard = condition.acquire().await.unwrap();
        condition.notify(1);
        tick().await; // the waiter gets to the re-acquire
        waiter.cancel();
        tick().await;
        drop(guard);
        tick().await;
        let waiter_ref = (*waiter).clone();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert!(waiter_ref.cancelled() && waited.get());
        assert!(!condition.locked(), "the guard in the error was dropped");
    });
}

/// test_locks `test_wait_cancel_contested`: a cancellation that arrives
/// while the notified waiter queues for a contested lock is reported once
/// it holds the lock again.
#[test]
fn test_wait_cancel_contested() {
    run_virtual(async {
        let condition = Condition::new();
        let c = condition.clone();
        let guard = condition.acquire().await.unwrap();
        let wait_task = ferrio::spawn(async move {
            let guard = c.lock().acquire().await?;
            match c.wait(guard).await {
                Ok(g) => {
                    drop(g);
                    Ok(())
                }
                Err(e) => {
                    assert!(c.lock().try_acquire().is_none(), "held again");
                    Err(e.cancelled)
                }
            }
        });
        drop(guard);
        tick().await;
        assert!(!condition.locked());
        let guard = condition.acquire().await.unwrap();
        condition.notify(1);
        wait_task.cancel();
        drop(guard);
        assert!(wait_task.await.unwrap_err().is_cancelled());
        assert!(!condition.locked());
    });
}
