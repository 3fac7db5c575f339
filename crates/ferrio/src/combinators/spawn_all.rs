//! Spawning a combinator's futures as tasks.

use std::future::Future;

use crate::Task;

/// Spawns every item of `futures` as a task, in order.
///
/// # Panics
///
/// As [`spawn`](crate::spawn): if no loop is running on this thread, or it
/// is closing.
#[track_caller]
pub(crate) fn spawn_all<I>(futures: I) -> Vec<Task<<I::Item as Future>::Output>>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    let futures = futures.into_iter();
    let mut tasks = Vec::with_capacity(futures.size_hint().0);
    // A plain loop, not a closure, so that `#[track_caller]` carries the
    // caller's location to every spawned task.
    for future in futures {
        tasks.push(crate::spawn(future));
    }
    tasks
}
