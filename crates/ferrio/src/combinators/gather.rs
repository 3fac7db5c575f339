//! [`gather`]: run many tasks, get every value in order, or the first
//! failure.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::gathering::{Gathering, Step};
use super::spawn_all::spawn_all;
use crate::{Cancelled, JoinError, Task};

/// Spawns every future of `futures` as a task and waits for all of their
/// values, in argument order: asyncio's `gather(*aws)`.
///
/// The tasks are spawned at this call (as asyncio schedules them at once),
/// so they start running even before the `Gather` is awaited. To gather
/// tasks you already spawned, use [`gather_tasks`]: passing `Task<T>`s
/// here would spawn a wrapper task around each (each item would then be a
/// `Result<T, JoinError>`, and cancelling would reach the wrappers only).
///
/// # Failures
///
/// The first task to fail — by panicking, or by ending cancelled on its own
/// — makes `gather` return that failure at once, as its
/// [`JoinError`]. **The other tasks are not cancelled**: they run on,
/// detached, exactly as in asyncio, and a panic among them is reported to
/// the loop's exception handler as never retrieved. To cancel the siblings
/// on the first failure, use a `TaskGroup`; to collect every outcome, use
/// [`gather_settled`](super::gather_settled).
///
/// # Cancel safety
///
/// If every task is already done, `gather` returns their values at once,
/// even with a cancellation pending (it is delivered at the next real
/// suspension). Otherwise it is a cancellation point that follows the await
/// chain: if the awaiting task is cancelled — or a timeout or task group
/// around the `gather` cancels it — `gather` cancels every task that is not
/// done yet (with the same message), waits until all of them have finished
/// (their cleanup may await), and then returns `Err(JoinError::Cancelled)`
/// carrying the awaiting task's own [`Cancelled`](crate::Cancelled), to
/// propagate with `?`, whatever the tasks returned — as asyncio's gather
/// does. Further requests that arrive meanwhile are forwarded to the tasks
/// too. Dropping the `Gather` before it completes leaves its tasks running,
/// detached.
///
/// # Panics
///
/// As [`spawn`](crate::spawn): if no loop is running on this thread, or it
/// is closing.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let values = ferrio::combinators::gather((1..=3u64).map(|i| async move {
///             // The slowest first: the output still follows argument order.
///             ferrio::sleep(Duration::from_secs(4 - i)).await.unwrap();
///             i * 10
///         }))
///         .await
///         .unwrap();
///         assert_eq!(values, [10, 20, 30]);
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn gather<I>(futures: I) -> Gather<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    gather_tasks(spawn_all(futures))
}

/// [`gather`] over tasks already spawned: the same rules, without spawning
/// anything. Cancelling the `Gather` cancels these very tasks.
///
/// # Cancel safety
///
/// As [`gather`]: done tasks give their values at once; once it has
/// suspended, cancelling the awaiting task cancels these very tasks and
/// waits for them. Dropping the `Gather` leaves them running, detached.
///
/// ```
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let a = ferrio::spawn(async { 1 });
///         let b = ferrio::spawn(async { 2 });
///         assert_eq!(ferrio::combinators::gather_tasks([a, b]).await.unwrap(), [1, 2]);
///     })
///     .unwrap();
/// ```
pub fn gather_tasks<T>(tasks: impl IntoIterator<Item = Task<T>>) -> Gather<T> {
    Gather::new(tasks)
}

/// What a gather keeps of each outcome and what it completes with:
/// [`Values`] (`gather`) or [`Settled`](super::Settled) (`gather_settled`).
/// Sealed.
pub trait GatherMode: sealed::Mode {}

impl<M: sealed::Mode> GatherMode for M {}

pub(super) mod sealed {
    use crate::{Cancelled, JoinError};

    pub trait Mode {
        /// What a slot holds.
        type Slot<T>;
        /// What the gather completes with.
        type Output<T>;
        /// A task's outcome: kept in its slot, or the gather stops with it.
        fn keep<T>(outcome: Result<T, JoinError>) -> Result<Self::Slot<T>, Self::Output<T>>;
        /// The awaiting task was cancelled (every task has finished since).
        fn cancelled<T>(c: Cancelled) -> Self::Output<T>;
        /// Every task was reported.
        fn done<T>(slots: Vec<Self::Slot<T>>) -> Self::Output<T>;
    }
}

/// The mode of [`gather`]: every value, or the first failure.
#[derive(Debug)]
pub enum Values {}

impl sealed::Mode for Values {
    type Slot<T> = T;
    type Output<T> = Result<Vec<T>, JoinError>;

    fn keep<T>(outcome: Result<T, JoinError>) -> Result<T, Self::Output<T>> {
        outcome.map_err(Err)
    }

    fn cancelled<T>(c: Cancelled) -> Self::Output<T> {
        Err(JoinError::Cancelled(c))
    }

    fn done<T>(slots: Vec<T>) -> Self::Output<T> {
        Ok(slots)
    }
}

/// The future returned by [`gather`] and [`gather_tasks`] (and, in the
/// [`Settled`](super::Settled) mode, by [`gather_settled`](super::gather_settled)).
#[must_use = "futures do nothing unless awaited; the tasks run anyway"]
pub struct Gather<T, M: GatherMode = Values> {
    engine: Gathering<T>,
    slots: Vec<Option<M::Slot<T>>>,
}

impl<T, M: GatherMode> Gather<T, M> {
    pub(super) fn new(tasks: impl IntoIterator<Item = Task<T>>) -> Gather<T, M> {
        let engine = Gathering::new(tasks);
        Gather {
            slots: (0..engine.set.len()).map(|_| None).collect(),
            engine,
        }
    }

    /// How many tasks are gathered.
    pub fn len(&self) -> usize {
        self.engine.set.len()
    }

    /// Whether no task is gathered (the gather then completes at once).
    pub fn is_empty(&self) -> bool {
        self.engine.set.len() == 0
    }

    /// How many tasks have not finished yet, as far as the gather has seen.
    pub fn remaining(&self) -> usize {
        self.engine.set.unreported()
    }
}

impl<T, M: GatherMode> Future for Gather<T, M> {
    type Output = M::Output<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            let step = ready!(this.engine.poll_step(cx, "Gather"));
            let output = match step {
                Step::Outcome(index, outcome) => match M::keep(outcome) {
                    Ok(slot) => {
                        this.slots[index] = Some(slot);
                        continue;
                    }
                    Err(output) => output,
                },
                Step::Cancelled(c) => M::cancelled(c),
                Step::Done => {
                    let slots = std::mem::take(&mut this.slots);
                    M::done(
                        slots
                            .into_iter()
                            .map(|s| s.expect("every task reported"))
                            .collect(),
                    )
                }
            };
            this.engine.finish();
            this.slots.clear();
            return Poll::Ready(output);
        }
    }
}

// Nothing is pinned structurally: the tasks and outputs are only moved.
impl<T, M: GatherMode> Unpin for Gather<T, M> {}

impl<T, M: GatherMode> fmt::Debug for Gather<T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("tasks", &self.engine.set.len())
            .field("remaining", &self.engine.set.unreported())
            .field("cancelling", &self.engine.is_cancelling())
            .finish()
    }
}
