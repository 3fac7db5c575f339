//! Memory a task takes comes back when it is freed: nothing a task did
//! (entering a timeout or a task group, naming it, …) leaves bytes behind.
//! Its own binary: it installs a counting global allocator.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::time::Duration;

use counting_alloc::{exclusive, live_bytes};
use ferrio::task_group::TaskGroup;
use ferrio::{Cancelled, EventLoop};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const BATCH: usize = 10_000;

/// Runs `batch` on one loop three times and returns the live-heap growth
/// over the last two: the first run brings the loop's queues, timer table
/// and task list to the size the batch needs, so a run that frees all it
/// took grows the heap by (almost) nothing.
fn growth_over_rounds<F, Fut>(batch: F) -> isize
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _only_us = exclusive();
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    event_loop.run_until_complete(batch()).unwrap();
    let baseline = live_bytes();
    event_loop.run_until_complete(batch()).unwrap();
    event_loop.run_until_complete(batch()).unwrap();
    live_bytes() - baseline
}

/// `BATCH` tasks that each enter a timeout, awaited to the end.
async fn tasks_in_timeouts() {
    let tasks: Vec<_> = (0..BATCH)
        .map(|_| {
            ferrio::spawn(async {
                ferrio::timeout(Duration::from_secs(1), ferrio::yield_now())
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

/// `BATCH` tasks that each run an empty task group.
async fn tasks_in_task_groups() {
    let tasks: Vec<_> = (0..BATCH)
        .map(|_| {
            ferrio::spawn(TaskGroup::run(|_group: TaskGroup<Cancelled>| async {
                ferrio::yield_now().await?;
                Ok::<_, Cancelled>(())
            }))
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
}

#[test]
fn tasks_that_entered_a_timeout_free_everything() {
    let grown = growth_over_rounds(tasks_in_timeouts);
    // A leak of one pointer-sized word per task would be 2 * 8 * BATCH.
    assert!(
        grown < (2 * BATCH) as isize,
        "the live heap grew by {grown} bytes over {} tasks",
        2 * BATCH
    );
}

#[test]
fn tasks_that_ran_a_task_group_free_everything() {
    let grown = growth_over_rounds(tasks_in_task_groups);
    assert!(
        grown < (2 * BATCH) as isize,
        "the live heap grew by {grown} bytes over {} tasks",
        2 * BATCH
    );
}
