//! [`gather_settled`]: run many tasks, get every outcome in order.

use std::future::Future;

use super::gather::{sealed, Gather};
use super::spawn_all::spawn_all;
use crate::{Cancelled, JoinError, Task};

/// Spawns every future of `futures` as a task and waits for all of them,
/// returning every outcome in argument order: asyncio's
/// `gather(*aws, return_exceptions=True)`, JavaScript's
/// `Promise.allSettled`.
///
/// The tasks are spawned at this call; for tasks already spawned, use
/// [`gather_settled_tasks`]. A task that panicked or ended cancelled on its
/// own has its [`JoinError`] in its slot; a failure never stops the others.
///
/// # Cancel safety
///
/// As [`gather`](super::gather): done tasks are reported at once even with
/// a cancellation pending; once it has suspended, a cancellation of the
/// awaiting task (or of a timeout or task group around it) is forwarded to
/// every task not done yet, `gather_settled` waits until all of them have
/// finished, and returns `Err(Cancelled)` — the awaiting task's own, to
/// propagate with `?`. The outcomes are dropped. Dropping the future before
/// it completes leaves the tasks running, detached.
///
/// # Panics
///
/// As [`spawn`](crate::spawn): if no loop is running on this thread, or it
/// is closing.
///
/// ```
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let outcomes = ferrio::combinators::gather_settled((0..3).map(|i| async move {
///             if i == 1 {
///                 panic!("task {i} failed");
///             }
///             i
///         }))
///         .await
///         .unwrap();
///         assert_eq!(*outcomes[0].as_ref().unwrap(), 0);
///         assert!(outcomes[1].as_ref().unwrap_err().is_panic());
///         assert_eq!(*outcomes[2].as_ref().unwrap(), 2);
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn gather_settled<I>(futures: I) -> GatherSettled<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    gather_settled_tasks(spawn_all(futures))
}

/// [`gather_settled`] over tasks already spawned: the same rules, without
/// spawning anything. Cancelling the future cancels these very tasks.
///
/// # Cancel safety
///
/// As [`gather_settled`]: cancelling the awaiting task cancels these very
/// tasks and waits for them.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let slow = ferrio::spawn(async {
///             ferrio::sleep(Duration::from_secs(60)).await?;
///             Ok::<_, ferrio::Cancelled>("slow")
///         });
///         slow.cancel();
///         let fast = ferrio::spawn(async { Ok("fast") });
///         let outcomes = ferrio::combinators::gather_settled_tasks([slow, fast]).await.unwrap();
///         assert!(outcomes[0].as_ref().unwrap_err().is_cancelled());
///         assert_eq!(outcomes[1].as_ref().unwrap().as_ref().unwrap(), &"fast");
///     })
///     .unwrap();
/// ```
pub fn gather_settled_tasks<T>(tasks: impl IntoIterator<Item = Task<T>>) -> GatherSettled<T> {
    Gather::new(tasks)
}

/// The future returned by [`gather_settled`] and [`gather_settled_tasks`].
pub type GatherSettled<T> = Gather<T, Settled>;

/// The mode of [`gather_settled`]: every outcome, in order.
#[derive(Debug)]
pub enum Settled {}

impl sealed::Mode for Settled {
    type Slot<T> = Result<T, JoinError>;
    type Output<T> = Result<Vec<Result<T, JoinError>>, Cancelled>;

    fn keep<T>(outcome: Result<T, JoinError>) -> Result<Self::Slot<T>, Self::Output<T>> {
        Ok(outcome)
    }

    fn cancelled<T>(c: Cancelled) -> Self::Output<T> {
        Err(c)
    }

    fn done<T>(slots: Vec<Self::Slot<T>>) -> Self::Output<T> {
        Ok(slots)
    }
}
