//! The graph's bookkeeping: whatever happens to the guards and waits,
//! nothing is left once the primitives are gone.

use std::time::Duration;

use super::GRAPH;
use crate::event_loop::DeadlockAction;
use crate::sync::{BoundedSemaphore, Condition, Lock, Semaphore};
use crate::{Cancelled, EventLoop};

const SEC: Duration = Duration::from_secs(1);

fn graph_is_empty() -> bool {
    GRAPH.with(|g| {
        let g = g.borrow();
        g.resources.is_empty() && g.waits.is_empty() && g.held.is_empty()
    })
}

/// Nothing held or waited for: each resource alive is idle.
fn graph_is_idle() -> bool {
    GRAPH.with(|g| {
        let g = g.borrow();
        g.waits.is_empty()
            && g.held.is_empty()
            && g.resources.values().all(|r| {
                r.holders.is_empty()
                    && r.waiters.is_empty()
                    && r.movable == 0
                    && r.anonymous == 0
                    && r.granted == 0
            })
    })
}

fn anonymous(sem: &Semaphore) -> usize {
    let id = sem.tag().id.get();
    GRAPH.with(|g| g.borrow().resources[&id].anonymous)
}

fn holders(sem: &Semaphore) -> usize {
    let id = sem.tag().id.get();
    GRAPH.with(|g| {
        let g = g.borrow();
        g.resources
            .get(&id)
            .map_or(0, |r| r.holders.iter().map(|h| h.count).sum())
    })
}

fn holder_ids(sem: &Semaphore) -> Vec<crate::task::TaskId> {
    let id = sem.tag().id.get();
    GRAPH.with(|g| {
        let g = g.borrow();
        let mut ids: Vec<_> = g.resources[&id].holder_tasks().map(|t| t.1).collect();
        ids.sort();
        ids
    })
}

#[test]
fn tasks_dropped_while_holding_permits_hold_them_no_more() {
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .exception_handler(|_| {})
        .build()
        .unwrap();
    let sem = Semaphore::new(3);
    let lock = Lock::new();
    let (s, l) = (sem.clone(), lock.clone());
    event_loop
        .run_until_complete(async move {
            let hold = |s: Semaphore| {
                crate::spawn(async move {
                    let _p = s.acquire().await?;
                    std::future::pending::<Result<(), Cancelled>>().await
                })
            };
            let (a, b) = (hold(s.clone()), hold(s.clone()));
            let l2 = l.clone();
            let c = crate::spawn(async move {
                let _l = l2.acquire().await?;
                std::future::pending::<Result<(), Cancelled>>().await
            });
            crate::yield_now().await.unwrap();
            assert_eq!(holders(&s), 2);
            // Aborting drops the future at once, while this task (a
            // holder too) runs: this task's holding goes for `a`'s…
            let mine = s.acquire().await.unwrap();
            let a_id = a.id();
            a.abort();
            assert!(a.await.unwrap_err().is_cancelled());
            assert_eq!(holder_ids(&s), [a_id, b.id()]);
            // …until this task gives its own back: `a`, done, goes.
            drop(mine);
            assert_eq!(holder_ids(&s), [b.id()]);
            b.detach();
            c.detach();
        })
        .unwrap();
    // Closing the loop drops the others.
    drop(event_loop);
    assert_eq!(sem.available_permits(), 3);
    assert!(!lock.locked());
    assert!(graph_is_idle());
    drop((sem, lock));
    assert!(graph_is_empty());
}

#[test]
fn everything_recorded_is_forgotten_by_the_end() {
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .deadlock_action(DeadlockAction::CancelVictim)
        .exception_handler(|_| {})
        .build()
        .unwrap();
    event_loop
        .run_until_complete(async {
            // A deadlock broken by cancelling a victim.
            let (x, y) = (Lock::new(), Lock::new());
            let tasks: Vec<_> = [(&x, &y), (&y, &x)]
                .into_iter()
                .map(|(first, second)| {
                    let (first, second) = (first.clone(), second.clone());
                    crate::spawn(async move {
                        let _first = first.acquire().await?;
                        crate::sleep(SEC).await?;
                        let _second = second.acquire_owned().await?;
                        Ok::<_, Cancelled>(())
                    })
                })
                .collect();
            for t in tasks {
                let _ = t.await;
            }
            assert_eq!(super::deadlocks().len(), 1);
            // Contention, try_acquire, owned guards, hand releases.
            let sem = Semaphore::new(2);
            let bounded = BoundedSemaphore::new(1);
            let workers: Vec<_> = (0..5)
                .map(|_| {
                    let (sem, bounded) = (sem.clone(), bounded.clone());
                    crate::spawn(async move {
                        let _p = sem.acquire_owned().await?;
                        bounded.acquire().await?.forget();
                        crate::sleep(SEC).await?;
                        bounded.release().unwrap();
                        let _t = sem.try_acquire();
                        Ok::<_, Cancelled>(())
                    })
                })
                .collect();
            // A waiter that gives up.
            let s = sem.clone();
            let quitter = crate::spawn(async move { s.acquire().await.map(drop) });
            crate::yield_now().await.unwrap();
            quitter.cancel();
            assert!(quitter.await.unwrap_err().is_cancelled());
            for w in workers {
                w.await.unwrap().unwrap();
            }
            // Forgotten permits stay out, anonymous, until released.
            sem.acquire().await.unwrap().forget();
            assert_eq!(anonymous(&sem), 1, "the forgotten permit is out");
            sem.release();
            assert!(graph_is_idle());
            drop((x, y));
            // A condition wait.
            let cond = Condition::new();
            let c = cond.clone();
            let waiter = crate::spawn(async move {
                let guard = c.acquire().await?;
                let _guard = c.wait(guard).await?;
                Ok::<_, Cancelled>(())
            });
            crate::yield_now().await.unwrap();
            let _g = cond.acquire().await.unwrap();
            cond.notify_all();
            drop(_g);
            waiter.await.unwrap().unwrap();
            drop((sem, bounded, cond));
            assert!(graph_is_empty());
        })
        .unwrap();
    assert!(graph_is_empty());
}
