//! Debug mode's lock deadlock detector: cycles of tasks waiting for each
//! other's locks and semaphores are reported at once, self-deadlocks too,
//! ordinary contention never; `DeadlockAction::CancelVictim` breaks them.

mod common;

use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::debug::{self, DeadlockAction};
use ferrio::event_loop::{ExceptionContext, ExceptionKind};
use ferrio::sync::{BoundedSemaphore, Condition, Lock, Semaphore};
use ferrio::task::Builder;
use ferrio::{Cancelled, EventLoop, Task};

const SEC: Duration = Duration::from_secs(1);

/// A virtual-clock loop in debug mode with `action`, and its deadlock
/// reports (other reports are ignored).
fn debug_loop(action: DeadlockAction) -> (EventLoop, Reports) {
    let reports: Reports = Rc::default();
    let r = reports.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .deadlock_action(action)
        .exception_handler(move |ctx: &ExceptionContext| {
            if ctx.kind == ExceptionKind::Deadlock {
                r.borrow_mut().push(ctx.clone());
            }
        })
        .build()
        .unwrap();
    (event_loop, reports)
}

fn messages(reports: &Reports) -> Vec<String> {
    reports.borrow().iter().map(|r| r.message.clone()).collect()
}

/// A task named `name` that takes `first`, sleeps `pause`, then takes
/// `second` and holds both for a second.
fn take_both(
    name: &str,
    first: &Lock,
    second: &Lock,
    pause: Duration,
) -> Task<Result<(), Cancelled>> {
    let (first, second) = (first.clone(), second.clone());
    Builder::new()
        .name(name)
        .spawn(async move {
            let _first = first.acquire().await?;
            ferrio::sleep(pause).await?;
            let _second = second.acquire().await?;
            ferrio::sleep(SEC).await
        })
        .unwrap()
}

/// Cancels the stuck tasks and checks that they end cancelled.
async fn cancel_all(tasks: Vec<Task<Result<(), Cancelled>>>) {
    for t in &tasks {
        t.cancel();
    }
    for t in tasks {
        assert!(t.await.unwrap_err().is_cancelled());
    }
}

#[test]
fn two_tasks_two_locks_in_opposite_order_are_reported_once() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let (x, y) = (Lock::named("x"), Lock::named("y"));
            let a = take_both("a", &x, &y, SEC);
            let b = take_both("b", &y, &x, SEC);
            ferrio::sleep(10 * SEC).await.unwrap();
            // `a` asked for y first, then `b` for x, closing the cycle.
            assert_eq!(
                messages(&reports),
                [
                    "deadlock: task 'b' waits for Lock 'x' held by task 'a', which waits for \
                  Lock 'y' held by task 'b' (take the locks in the same order in every task)"
                ]
            );
            let report = reports.borrow()[0].clone();
            assert_eq!(&*report.task.unwrap().name, "b");
            let found = debug::deadlocks();
            assert_eq!(found.len(), 1);
            let names: Vec<&str> = found[0].tasks.iter().map(|t| &*t.name).collect();
            assert_eq!(names, ["b", "a"]);
            assert_eq!(found[0].resources, ["Lock 'x'", "Lock 'y'"]);
            assert!(found[0].victim.is_none());
            assert_eq!(found[0].to_string(), reports.borrow()[0].message);
            // A third task queueing behind the deadlock closes no new cycle.
            let x2 = x.clone();
            let c = Builder::new()
                .name("c")
                .spawn(async move { x2.acquire().await.map(drop) })
                .unwrap();
            ferrio::sleep(10 * SEC).await.unwrap();
            assert_eq!(reports.borrow().len(), 1);
            cancel_all(vec![a, b, c]).await;
        })
        .unwrap();
}

#[test]
fn unnamed_locks_are_numbered() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let (x, y) = (Lock::new(), Lock::new());
            let a = take_both("a", &x, &y, SEC);
            let b = take_both("b", &y, &x, SEC);
            ferrio::sleep(10 * SEC).await.unwrap();
            let found = debug::deadlocks();
            assert_eq!(found.len(), 1);
            for r in &found[0].resources {
                let n: u64 = r.strip_prefix("Lock #").unwrap().parse().unwrap();
                assert!(n > 0);
            }
            assert_ne!(found[0].resources[0], found[0].resources[1]);
            let message = reports.borrow()[0].message.clone();
            assert!(message.contains(&found[0].resources[0]), "{message}");
            assert!(message.contains(&found[0].resources[1]), "{message}");
            cancel_all(vec![a, b]).await;
        })
        .unwrap();
}

#[test]
fn three_tasks_in_a_ring_are_reported_with_every_task_and_lock() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let locks: Vec<Lock> = ["l0", "l1", "l2"].into_iter().map(Lock::named).collect();
            let tasks: Vec<_> = (0..3)
                .map(|i| {
                    let name = format!("t{i}");
                    take_both(&name, &locks[i], &locks[(i + 1) % 3], SEC)
                })
                .collect();
            ferrio::sleep(10 * SEC).await.unwrap();
            assert_eq!(
                messages(&reports),
                [
                    "deadlock: task 't2' waits for Lock 'l0' held by task 't0', which waits for \
                  Lock 'l1' held by task 't1', which waits for Lock 'l2' held by task 't2' \
                  (take the locks in the same order in every task)"
                ]
            );
            let found = debug::deadlocks();
            let names: Vec<&str> = found[0].tasks.iter().map(|t| &*t.name).collect();
            assert_eq!(names, ["t2", "t0", "t1"]);
            assert_eq!(found[0].resources, ["Lock 'l0'", "Lock 'l1'", "Lock 'l2'"]);
            cancel_all(tasks).await;
        })
        .unwrap();
}

#[test]
fn a_task_waiting_for_a_lock_it_holds_is_reported() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let lock = Lock::named("config");
            let l = lock.clone();
            let task = Builder::new()
                .name("reloader")
                .spawn(async move {
                    let _held = l.acquire().await?;
                    ferrio::sleep(SEC).await?;
                    let _again = l.acquire().await?;
                    Ok::<_, Cancelled>(())
                })
                .unwrap();
            ferrio::sleep(10 * SEC).await.unwrap();
            assert_eq!(
                messages(&reports),
                [
                    "deadlock: task 'reloader' waits for Lock 'config', which it holds itself \
                  (drop the guard before acquiring again)"
                ]
            );
            let found = debug::deadlocks();
            assert_eq!(found[0].tasks.len(), 1);
            assert_eq!(found[0].resources, ["Lock 'config'"]);
            cancel_all(vec![task]).await;
            // The lock is free again, and the graph forgot it.
            assert!(lock.try_acquire().is_some());
        })
        .unwrap();
}

#[test]
fn a_task_holding_every_permit_and_asking_for_more_is_reported() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let pool = Semaphore::named("pool", 2);
            let p = pool.clone();
            let task = Builder::new()
                .name("greedy")
                .spawn(async move {
                    let _one = p.acquire().await?;
                    let _two = p.acquire().await?;
                    let _three = p.acquire().await?;
                    Ok::<_, Cancelled>(())
                })
                .unwrap();
            ferrio::sleep(SEC).await.unwrap();
            let messages = messages(&reports);
            assert_eq!(messages.len(), 1);
            assert!(
                messages[0].starts_with(
                    "deadlock: task 'greedy' waits for Semaphore 'pool', which it holds itself"
                ),
                "{messages:?}"
            );
            cancel_all(vec![task]).await;
        })
        .unwrap();
}

/// A virtual-clock loop with debug mode off (whatever `FERRIO_DEBUG`
/// says), and every report it gets.
fn plain_loop() -> (EventLoop, Reports) {
    let reports: Reports = Rc::default();
    let r = reports.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(false)
        .exception_handler(move |ctx: &ExceptionContext| r.borrow_mut().push(ctx.clone()))
        .build()
        .unwrap();
    (event_loop, reports)
}

#[test]
fn without_debug_mode_nothing_is_reported() {
    let (event_loop, reports) = plain_loop();
    event_loop
        .run_until_complete(async {
            let (x, y) = (Lock::named("x"), Lock::named("y"));
            let a = take_both("a", &x, &y, SEC);
            let b = take_both("b", &y, &x, SEC);
            let s = Lock::new();
            let s2 = s.clone();
            let selfish = ferrio::spawn(async move {
                let _g = s2.acquire().await?;
                let _h = s2.acquire().await?;
                Ok::<_, Cancelled>(())
            });
            ferrio::sleep(10 * SEC).await.unwrap();
            assert!(reports.borrow().is_empty());
            assert!(debug::deadlocks().is_empty());
            cancel_all(vec![a, b, selfish]).await;
        })
        .unwrap();
}

#[test]
fn debug_mode_turned_on_while_running_finds_later_cycles() {
    let (event_loop, reports) = plain_loop();
    event_loop
        .run_until_complete(async {
            EventLoop::current().set_debug(true);
            let (x, y) = (Lock::named("x"), Lock::named("y"));
            let a = take_both("a", &x, &y, SEC);
            let b = take_both("b", &y, &x, SEC);
            ferrio::sleep(10 * SEC).await.unwrap();
            let kinds: Vec<_> = reports.borrow().iter().map(|r| r.kind).collect();
            assert_eq!(kinds, [ExceptionKind::Deadlock]);
            cancel_all(vec![a, b]).await;
        })
        .unwrap();
}

#[test]
fn ordinary_contention_is_no_deadlock() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            // Many tasks on one lock, each holding it across a sleep.
            let lock = Lock::named("one");
            // A semaphore of three permits for ten tasks.
            let sem = Semaphore::named("three", 3);
            // Two locks always taken in the same order.
            let (first, second) = (Lock::new(), Lock::new());
            let mut tasks = Vec::new();
            for i in 0..10u64 {
                let (lock, sem) = (lock.clone(), sem.clone());
                let (first, second) = (first.clone(), second.clone());
                tasks.push(ferrio::spawn(async move {
                    {
                        let _g = lock.acquire().await?;
                        ferrio::sleep(SEC).await?;
                    }
                    {
                        let _p = sem.acquire().await?;
                        ferrio::sleep(Duration::from_millis(100 * i)).await?;
                    }
                    let _a = first.acquire().await?;
                    ferrio::yield_now().await?;
                    let _b = second.acquire().await?;
                    ferrio::sleep(SEC).await
                }));
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            assert!(reports.borrow().is_empty(), "{:?}", messages(&reports));
        })
        .unwrap();
}

#[test]
fn a_semaphore_with_a_holder_that_can_still_run_is_no_deadlock() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let sem = Semaphore::named("pair", 2);
            let lock = Lock::named("l");
            // `holder` keeps a permit of `pair` for 5 s, then lets go.
            let s = sem.clone();
            let holder = ferrio::spawn(async move {
                let _p = s.acquire().await?;
                ferrio::sleep(5 * SEC).await
            });
            // `a` holds the other permit and waits for `l`…
            let (s, l) = (sem.clone(), lock.clone());
            let a = ferrio::spawn(async move {
                let _p = s.acquire().await?;
                ferrio::sleep(SEC).await?;
                let _l = l.acquire().await?;
                Ok::<_, Cancelled>(())
            });
            // …held by `b`, which waits for a permit of `pair`: a cycle,
            // but `holder` will release its permit.
            let (s, l) = (sem.clone(), lock.clone());
            let b = ferrio::spawn(async move {
                let _l = l.acquire().await?;
                ferrio::sleep(2 * SEC).await?;
                let _p = s.acquire().await?;
                Ok::<_, Cancelled>(())
            });
            holder.await.unwrap().unwrap();
            b.await.unwrap().unwrap();
            a.await.unwrap().unwrap();
            assert!(reports.borrow().is_empty(), "{:?}", messages(&reports));
        })
        .unwrap();
}

#[test]
fn a_cycle_through_a_semaphore_whose_holders_all_wait_is_reported() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let sem = BoundedSemaphore::new(2);
            let lock = Lock::named("l");
            let mut tasks = Vec::new();
            // Two tasks hold a permit each and then wait for `l`…
            for name in ["p1", "p2"] {
                let (s, l) = (sem.clone(), lock.clone());
                tasks.push(
                    Builder::new()
                        .name(name)
                        .spawn(async move {
                            let _p = s.acquire().await?;
                            ferrio::sleep(SEC).await?;
                            let _l = l.acquire().await?;
                            Ok::<_, Cancelled>(())
                        })
                        .unwrap(),
                );
            }
            // …held by `owner`, which then waits for a permit.
            let (s, l) = (sem.clone(), lock.clone());
            tasks.push(
                Builder::new()
                    .name("owner")
                    .spawn(async move {
                        let _l = l.acquire().await?;
                        ferrio::sleep(2 * SEC).await?;
                        let _p = s.acquire().await?;
                        Ok::<_, Cancelled>(())
                    })
                    .unwrap(),
            );
            ferrio::sleep(10 * SEC).await.unwrap();
            let messages = messages(&reports);
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(
                messages[0].starts_with("deadlock: task 'owner' waits for BoundedSemaphore #"),
                "{messages:?}"
            );
            assert!(messages[0]
                .contains("held by task 'p1', which waits for Lock 'l' held by task 'owner'"));
            cancel_all(tasks).await;
        })
        .unwrap();
}

#[test]
fn a_cycle_closed_by_taking_a_permit_while_another_wait_is_pending_is_reported() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let (l1, l2) = (Lock::named("l1"), Lock::named("l2"));
            // `z` holds l2 for 3 s.
            let l = l2.clone();
            let z = Builder::new()
                .name("z")
                .spawn(async move {
                    let _g = l.acquire().await?;
                    ferrio::sleep(3 * SEC).await
                })
                .unwrap();
            // `x` holds l1, and at 2 s queues for l2.
            let x = take_both("x", &l1, &l2, 2 * SEC);
            // At 1 s, `t` asks for both at once: it queues for l1 (held by
            // `x`) and, first in line, for l2.
            let (a, b) = (l1.clone(), l2.clone());
            let t = Builder::new()
                .name("t")
                .spawn(async move {
                    ferrio::sleep(SEC).await?;
                    let (first, second) = ferrio::join!(a.acquire(), b.acquire());
                    let _guards = (first?, second?);
                    Ok::<_, Cancelled>(())
                })
                .unwrap();
            // At 3 s, l2 passes to `t`, which still waits for l1: taking
            // it closes the cycle.
            ferrio::sleep(10 * SEC).await.unwrap();
            assert_eq!(
                messages(&reports),
                [
                    "deadlock: task 't' waits for Lock 'l1' held by task 'x', which waits for \
                  Lock 'l2' held by task 't' (take the locks in the same order in every task)"
                ]
            );
            z.await.unwrap().unwrap();
            cancel_all(vec![x, t]).await;
        })
        .unwrap();
}

#[test]
fn a_lock_handed_to_a_waiter_that_has_not_run_yet_is_no_deadlock() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let (x, y) = (Lock::named("x"), Lock::named("y"));
            let guard_x = x.acquire().await.unwrap();
            // `b` holds y and waits for x.
            let b = take_both("b", &y, &x, Duration::ZERO);
            ferrio::sleep(SEC).await.unwrap();
            // Releasing x hands it to `b` before `b` runs; then waiting for
            // y (held by `b`, which no longer waits) closes no cycle.
            drop(guard_x);
            let _y = y.acquire().await.unwrap();
            b.await.unwrap().unwrap();
            assert!(reports.borrow().is_empty(), "{:?}", messages(&reports));
        })
        .unwrap();
}

#[test]
fn permits_moved_into_other_tasks_are_no_deadlock() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            // Bounded concurrency: the spawner takes a permit and hands it
            // to the worker it spawns.
            let sem = Semaphore::named("slots", 2);
            let mut workers = Vec::new();
            for _ in 0..6 {
                let permit = sem.acquire_owned().await.unwrap();
                workers.push(ferrio::spawn(async move {
                    ferrio::sleep(SEC).await?;
                    drop(permit);
                    Ok::<_, Cancelled>(())
                }));
            }
            for w in workers {
                w.await.unwrap().unwrap();
            }
            // A semaphore used as a signal: permits taken and forgotten,
            // given by hand.
            let signal = Semaphore::new(0);
            let s = signal.clone();
            let consumer = ferrio::spawn(async move {
                for _ in 0..3 {
                    s.acquire().await?.forget();
                }
                Ok::<_, Cancelled>(())
            });
            for _ in 0..3 {
                ferrio::sleep(SEC).await.unwrap();
                signal.release();
            }
            consumer.await.unwrap().unwrap();
            assert!(reports.borrow().is_empty(), "{:?}", messages(&reports));
        })
        .unwrap();
}

#[test]
fn cancel_victim_breaks_the_cycle_and_the_others_finish() {
    on_thread_with_watchdog(|| {
        let (event_loop, reports) = debug_loop(DeadlockAction::CancelVictim);
        event_loop
            .run_until_complete(async {
                let locks: Vec<Lock> = ["l0", "l1", "l2"].into_iter().map(Lock::named).collect();
                let tasks: Vec<_> = (0..3)
                    .map(|i| take_both(&format!("t{i}"), &locks[i], &locks[(i + 1) % 3], SEC))
                    .collect();
                let mut outcomes = Vec::new();
                for t in tasks {
                    outcomes.push(t.await.map_err(|e| match e {
                        ferrio::JoinError::Cancelled(c) => c.message().map(String::from),
                        other => panic!("{other}"),
                    }));
                }
                // `t2` closed the cycle and was cancelled; the others ran.
                assert!(matches!(outcomes[0], Ok(Ok(()))));
                assert!(matches!(outcomes[1], Ok(Ok(()))));
                assert_eq!(
                    outcomes[2].as_ref().unwrap_err().as_deref(),
                    Some("deadlock victim (DeadlockAction::CancelVictim)")
                );
                let found = debug::deadlocks();
                assert_eq!(&*found[0].victim.as_ref().unwrap().name, "t2");
            })
            .unwrap();
        let messages = messages(&reports);
        assert_eq!(messages.len(), 1);
        assert!(
            messages[0].ends_with("; cancelled task 't2' to break it"),
            "{messages:?}"
        );
    });
}

#[test]
fn the_action_can_change_while_the_loop_runs() {
    on_thread_with_watchdog(|| {
        let (event_loop, reports) = debug_loop(DeadlockAction::Report);
        event_loop
            .run_until_complete(async {
                let handle = EventLoop::current();
                assert_eq!(handle.deadlock_action(), DeadlockAction::Report);
                handle.set_deadlock_action(DeadlockAction::CancelVictim);
                let lock = Lock::new();
                let l = lock.clone();
                let task = ferrio::spawn(async move {
                    let _g = l.acquire().await?;
                    match l.acquire().await {
                        Ok(_) => unreachable!("the lock is held"),
                        // Cancelled: the first guard is still held here.
                        Err(c) => {
                            assert!(l.locked());
                            Err::<(), _>(c)
                        }
                    }
                });
                assert!(task.await.unwrap_err().is_cancelled());
                assert!(!lock.locked());
            })
            .unwrap();
        assert_eq!(reports.borrow().len(), 1);
    });
}

#[test]
fn a_condition_wait_reacquiring_its_lock_takes_part() {
    on_thread_with_watchdog(|| {
        let (event_loop, reports) = debug_loop(DeadlockAction::CancelVictim);
        event_loop
            .run_until_complete(async {
                let cond = Rc::new(Condition::with_lock(Lock::named("cond")));
                let other = Lock::named("other");
                // `waiter` waits on the condition while holding `other`.
                let (c, o) = (cond.clone(), other.clone());
                let waiter = Builder::new()
                    .name("waiter")
                    .spawn(async move {
                        let _o = o.acquire().await?;
                        let guard = c.acquire().await?;
                        let _guard = c.wait(guard).await?;
                        Ok::<_, Cancelled>(())
                    })
                    .unwrap();
                ferrio::sleep(SEC).await.unwrap();
                // `notifier` notifies with the condition's lock held, then
                // wants `other`: `waiter`, notified, waits for the lock to
                // come back, so the two wait for each other.
                let (c, o) = (cond.clone(), other.clone());
                let notifier = Builder::new()
                    .name("notifier")
                    .spawn(async move {
                        let _g = c.acquire().await?;
                        c.notify(1);
                        ferrio::sleep(SEC).await?;
                        let _o = o.acquire().await?;
                        Ok::<_, Cancelled>(())
                    })
                    .unwrap();
                // The notifier closed the cycle and is a cancellable victim.
                assert!(notifier.await.unwrap_err().is_cancelled());
                waiter.await.unwrap().unwrap();
            })
            .unwrap();
        let messages = messages(&reports);
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].starts_with(
                "deadlock: task 'notifier' waits for Lock 'other' held by task 'waiter', \
                 which waits for Lock 'cond' held by task 'notifier'"
            ),
            "{messages:?}"
        );
    });
}

#[test]
fn the_graph_is_left_empty_after_the_tasks_end() {
    // Every guard and wait is forgotten as it goes: a lock reused after a
    // reported deadlock behaves as new.
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    event_loop
        .run_until_complete(async {
            let (x, y) = (Lock::named("x"), Lock::named("y"));
            let stuck = vec![take_both("a", &x, &y, SEC), take_both("b", &y, &x, SEC)];
            ferrio::sleep(10 * SEC).await.unwrap();
            cancel_all(stuck).await;
            let ordered = vec![take_both("c", &x, &y, SEC), take_both("d", &x, &y, SEC)];
            for t in ordered {
                t.await.unwrap().unwrap();
            }
            assert_eq!(reports.borrow().len(), 1);
            let again = vec![take_both("e", &x, &y, SEC), take_both("f", &y, &x, SEC)];
            ferrio::sleep(10 * SEC).await.unwrap();
            assert_eq!(reports.borrow().len(), 2);
            cancel_all(again).await;
        })
        .unwrap();
}

#[test]
fn stuck_tasks_are_dropped_when_the_loop_closes() {
    let (event_loop, reports) = debug_loop(DeadlockAction::Report);
    let (x, y) = (Lock::named("x"), Lock::named("y"));
    let (x2, y2) = (x.clone(), y.clone());
    event_loop
        .run_until_complete(async move {
            take_both("a", &x2, &y2, SEC).detach();
            take_both("b", &y2, &x2, SEC).detach();
            ferrio::sleep(10 * SEC).await.unwrap();
        })
        .unwrap();
    assert_eq!(reports.borrow().len(), 1);
    drop(event_loop);
    assert!(!x.locked() && !y.locked());
}
