//! `wait`: `(done, pending)` for each `ReturnWhen`, with a timeout on the
//! loop clock; the pending tasks are never cancelled, and a cancelled
//! waiter gets its tasks back.

mod common;

use std::time::Duration;

use common::*;
use ferrio::combinators::{wait, ReturnWhen};
use ferrio::{Cancelled, Task, TaskRef};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// Tasks sleeping the given seconds, then returning them; a negative value
/// sleeps its absolute value and then panics.
fn sleepers(secs: &[i64]) -> Vec<Task<i64>> {
    secs.iter()
        .map(|&s| {
            ferrio::spawn(async move {
                ferrio::sleep(SEC * s.unsigned_abs() as u32).await.unwrap();
                if s < 0 {
                    panic!("task {s} failed");
                }
                s
            })
        })
        .collect()
}

fn names(tasks: &[Task<i64>]) -> Vec<u64> {
    tasks.iter().map(|t| t.id().as_u64()).collect()
}

#[test]
fn first_completed_returns_at_the_first_and_leaves_the_rest_running() {
    run_virtual(async {
        let t0 = ferrio::now();
        let tasks = sleepers(&[3, 1, 2]);
        let ids = names(&tasks);
        let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await.unwrap();
        assert_eq!(since(t0), SEC);
        assert_eq!(names(&done), [ids[1]]);
        assert_eq!(names(&pending), [ids[0], ids[2]], "in the order given");
        assert!(pending.iter().all(|t| !t.done() && t.cancelling() == 0));
        // They keep running, and their results are still there.
        let mut rest = Vec::new();
        for t in pending {
            rest.push(t.await.unwrap());
        }
        assert_eq!(rest, [3, 2]);
        assert_eq!(since(t0), 3 * SEC);
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
    });
}

#[test]
fn first_exception_returns_at_the_first_failure_and_leaves_the_rest_running() {
    run_virtual(async {
        let t0 = ferrio::now();
        let tasks = sleepers(&[1, -2, 5]);
        let ids = names(&tasks);
        let (done, pending) = wait(tasks, ReturnWhen::FirstException, None).await.unwrap();
        assert_eq!(since(t0), 2 * SEC, "the success at 1s did not stop it");
        assert_eq!(names(&done), [ids[0], ids[1]]);
        assert_eq!(names(&pending), [ids[2]]);
        assert!(done[1].panicked());
        let slow = pending.into_iter().next().unwrap();
        assert_eq!(slow.await.unwrap(), 5);
        assert_eq!(since(t0), 5 * SEC);
        for t in done {
            drop(t.await); // retrieve the panic
        }
    });
}

#[test]
fn first_exception_does_not_count_a_cancelled_task() {
    // As asyncio: only an exception (here, a panic) ends the wait early.
    run_virtual(async {
        let t0 = ferrio::now();
        let tasks = sleepers(&[10, 20]);
        let victim = TaskRef::clone(&tasks[1]);
        ferrio::spawn(async move {
            ferrio::sleep(3 * SEC).await.unwrap();
            victim.abort();
        })
        .detach();
        let (done, pending) = wait(tasks, ReturnWhen::FirstException, None).await.unwrap();
        assert_eq!(
            since(t0),
            10 * SEC,
            "the cancelled task did not end the wait"
        );
        assert_eq!((done.len(), pending.len()), (2, 0));
        assert!(done.iter().any(|t| t.cancelled()));
    });
}

#[test]
fn first_exception_without_failures_waits_for_all() {
    run_virtual(async {
        let t0 = ferrio::now();
        let (done, pending) = wait(sleepers(&[2, 1]), ReturnWhen::FirstException, None)
            .await
            .unwrap();
        assert_eq!(since(t0), 2 * SEC);
        assert_eq!((done.len(), pending.len()), (2, 0));
    });
}

#[test]
fn all_completed_waits_for_every_task() {
    run_virtual(async {
        let t0 = ferrio::now();
        let tasks = sleepers(&[2, -1, 3]);
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, None).await.unwrap();
        assert_eq!(since(t0), 3 * SEC, "a failure does not stop AllCompleted");
        assert_eq!((done.len(), pending.len()), (3, 0));
        assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
        for t in done {
            drop(t.await);
        }
    });
}

#[test]
fn a_timeout_returns_at_the_exact_loop_time_and_cancels_nothing() {
    for return_when in [
        ReturnWhen::FirstCompleted,
        ReturnWhen::FirstException,
        ReturnWhen::AllCompleted,
    ] {
        run_virtual(async {
            let t0 = ferrio::now();
            let tasks = sleepers(&[5, 7]);
            let (done, pending) = wait(tasks, return_when, Some(2500 * MS)).await.unwrap();
            assert_eq!(since(t0), 2500 * MS, "{return_when:?}");
            assert!(done.is_empty());
            assert_eq!(pending.len(), 2);
            assert!(pending.iter().all(|t| t.cancelling() == 0));
            // Wait again: the 5 s one is done by 5.5 s.
            let (done, pending) = wait(pending, return_when, Some(3 * SEC)).await.unwrap();
            // FirstCompleted returns when the 5 s task finishes; the others
            // (no failure, not all done) at the 5.5 s timeout.
            let expected = match return_when {
                ReturnWhen::FirstCompleted => 5 * SEC,
                _ => 5500 * MS,
            };
            assert_eq!(since(t0), expected, "{return_when:?}");
            assert_eq!((done.len(), pending.len()), (1, 1));
            assert_eq!(pending.into_iter().next().unwrap().await.unwrap(), 7);
            assert_eq!(since(t0), 7 * SEC);
        });
    }
}

#[test]
fn a_zero_timeout_only_looks() {
    run_virtual(async {
        let quick = ferrio::spawn(async { 0i64 });
        ferrio::yield_now().await.unwrap();
        let mut tasks = sleepers(&[1]);
        tasks.insert(0, quick);
        let t0 = ferrio::now();
        let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, Some(Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(since(t0), Duration::ZERO);
        assert_eq!((done.len(), pending.len()), (1, 1));
    });
}

#[test]
fn waiting_for_nothing_returns_at_once() {
    run_virtual(async {
        for return_when in [ReturnWhen::FirstCompleted, ReturnWhen::AllCompleted] {
            let (done, pending) = wait(Vec::<Task<()>>::new(), return_when, None)
                .await
                .unwrap();
            assert!(done.is_empty() && pending.is_empty());
        }
    });
}

#[test]
fn a_cancelled_waiter_gets_its_tasks_back_still_running() {
    run_virtual(async {
        let t0 = ferrio::now();
        let tasks = sleepers(&[5, 6]);
        let ids = names(&tasks);
        let waiter = ferrio::spawn(async move {
            match wait(tasks, ReturnWhen::AllCompleted, None).await {
                Ok(_) => panic!("the waiter was cancelled"),
                // Keep the tasks, swallow the cancellation (returning the
                // `Cancelled` would end this task cancelled, output lost).
                Err(e) => {
                    let shown = e.to_string();
                    let message = e.cancelled.message().map(String::from);
                    (shown, message, e.into_tasks())
                }
            }
        });
        ferrio::sleep(SEC).await.unwrap();
        waiter.cancel_with("stop waiting");
        let (shown, message, tasks) = waiter.await.unwrap();
        assert_eq!(since(t0), SEC);
        assert_eq!(message.as_deref(), Some("stop waiting"));
        assert!(shown.contains("2 tasks"), "{shown}");
        assert_eq!(names(&tasks), ids);
        assert!(tasks.iter().all(|t| !t.done() && t.cancelling() == 0));
        let mut values = Vec::new();
        for t in tasks {
            values.push(t.await.unwrap());
        }
        assert_eq!(values, [5, 6]);
    });
}

#[test]
fn the_question_mark_propagates_a_waiters_cancellation() {
    run_virtual(async {
        let tasks = sleepers(&[5]);
        let watched = TaskRef::clone(&tasks[0]);
        let waiter = ferrio::spawn(async move {
            let (done, _) = wait(tasks, ReturnWhen::AllCompleted, None).await?;
            Ok::<_, Cancelled>(done.len())
        });
        let waiter_ref = TaskRef::clone(&waiter);
        ferrio::yield_now().await.unwrap();
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert!(waiter_ref.cancelled());
        assert!(!watched.done() && watched.cancelling() == 0);
    });
}
