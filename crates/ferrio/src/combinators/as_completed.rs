//! [`as_completed`]: the outcomes of many tasks, as they finish.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::{FusedStream, Stream};

use super::spawn_all::spawn_all;
use super::task_set::TaskSet;
use crate::task::Checkpoint;
use crate::time::Sleep;
use crate::time::TimeoutError;
use crate::{JoinError, Task};

/// Spawns every future of `futures` as a task and yields each task's
/// outcome as it finishes: asyncio's `as_completed(aws)`, as a
/// [`Stream`](futures_core::Stream).
///
/// The tasks are spawned at this call; for tasks already spawned, use
/// [`as_completed_tasks`]. The stream ends once every outcome was yielded.
/// Tasks already done when the stream is first polled come first, in the
/// order given; the others in the order they finish. For asyncio's
/// `timeout=`, see [`AsCompleted::timeout`].
///
/// Use [`next`](AsCompleted::next) to await items without a stream
/// extension trait. Waking is O(1) per finished task: the stream looks
/// only at the tasks that finished since its last poll.
///
/// # Cancel safety
///
/// Each poll is a cancellation point. If the consuming task is cancelled,
/// the stream yields `Some(Err(JoinError::Cancelled))` carrying the
/// consumer's own [`Cancelled`](crate::Cancelled) — propagate it with `?`
/// — and the tasks keep running: no outcome is lost, polling again goes on
/// where it was. Dropping the stream leaves the remaining tasks running,
/// detached; take them first with [`into_remaining`](AsCompleted::into_remaining)
/// to cancel or await them.
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
///         let mut done = ferrio::combinators::as_completed([3u64, 1, 2].map(|s| async move {
///             ferrio::sleep(Duration::from_secs(s)).await.unwrap();
///             s
///         }));
///         let mut order = Vec::new();
///         while let Some(outcome) = done.next().await {
///             order.push(outcome.unwrap());
///         }
///         assert_eq!(order, [1, 2, 3]);
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    as_completed_tasks(spawn_all(futures))
}

/// [`as_completed`] over tasks already spawned, without spawning anything.
///
/// # Cancel safety
///
/// As [`as_completed`]: a finished task's outcome is yielded at once even
/// with a cancellation pending; a consumer cancelled while it waits gets
/// its own `Cancelled` as `Some(Err(JoinError::Cancelled))`, and no
/// outcome is lost. The tasks are not cancelled (asyncio's `as_completed`
/// does not cancel them either): take them back with
/// [`AsCompleted::into_remaining`].
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let slow = ferrio::spawn(async {
///             ferrio::sleep(Duration::from_secs(2)).await.unwrap();
///             "slow"
///         });
///         let fast = ferrio::spawn(async { "fast" });
///         let mut done = ferrio::combinators::as_completed_tasks([slow, fast]);
///         assert_eq!(done.next().await.unwrap().unwrap(), "fast");
///         assert_eq!(done.next().await.unwrap().unwrap(), "slow");
///         assert!(done.next().await.is_none());
///     })
///     .unwrap();
/// ```
pub fn as_completed_tasks<T>(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
    AsCompleted {
        set: TaskSet::new(tasks.into_iter().collect()),
        checkpoint: Checkpoint::new(),
    }
}

/// The stream returned by [`as_completed`] and [`as_completed_tasks`]: `Result<T, JoinError>` per
/// task, in completion order.
#[must_use = "streams do nothing unless polled; the tasks run anyway"]
pub struct AsCompleted<T> {
    set: TaskSet<T>,
    checkpoint: Checkpoint,
}

impl<T> AsCompleted<T> {
    /// The next outcome; `None` once every task's outcome was yielded.
    /// The same as `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// As the stream: a cancelled consumer gets its own `Cancelled` as
    /// `Some(Err(JoinError::Cancelled))`, and no outcome is lost.
    // Named after `StreamExt::next`, which it mirrors (an async "next", not
    // `Iterator::next`).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl Future<Output = Option<Result<T, JoinError>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_next_outcome(cx))
    }

    /// How many outcomes are still to come.
    pub fn remaining(&self) -> usize {
        self.set.unreported()
    }

    /// Limits the whole stream to `duration` on the loop clock, counted from
    /// its first poll: asyncio's `as_completed(aws, timeout=...)`.
    ///
    /// When the deadline passes, the stream yields `Err(TimeoutError)` once and
    /// ends; the tasks not finished by then run on, **not cancelled**: take
    /// them with [`AsCompletedTimeout::into_remaining`].
    pub fn timeout(self, duration: Duration) -> AsCompletedTimeout<T> {
        self.with_timer(crate::time::sleep(duration), Some(duration))
    }

    /// [`timeout`](Self::timeout) with a deadline on the loop clock (see
    /// [`now()`](crate::now())).
    pub fn timeout_at(self, deadline: Instant) -> AsCompletedTimeout<T> {
        self.with_timer(crate::time::sleep_until(deadline), None)
    }

    fn with_timer(self, timer: Sleep, after: Option<Duration>) -> AsCompletedTimeout<T> {
        AsCompletedTimeout {
            inner: self,
            timer,
            after,
            state: TimeoutState::Running,
        }
    }

    /// The tasks whose outcome was not yielded yet, in the order given, to
    /// cancel or await them. (Some may be done already.)
    pub fn into_remaining(mut self) -> Vec<Task<T>> {
        self.set.take_all()
    }

    fn poll_next_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.set.unreported() == 0 {
            // Ended: nothing to suspend on, so no cancellation point either.
            return Poll::Ready(None);
        }
        if let Some(c) = self.checkpoint.resumed() {
            self.checkpoint.reset();
            return Poll::Ready(Some(Err(JoinError::Cancelled(c))));
        }
        if let Poll::Ready(outcome) = self.poll_outcome(cx) {
            self.checkpoint.reset();
            return Poll::Ready(outcome);
        }
        if let Some(c) = self.checkpoint.suspend() {
            return Poll::Ready(Some(Err(JoinError::Cancelled(c))));
        }
        Poll::Pending
    }

    /// The next outcome, without a cancellation point of its own.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.set
            .poll_finished(cx)
            .map(|index| index.map(|i| self.set.take_outcome(i)))
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, JoinError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_outcome(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.set.unreported();
        (n, Some(n))
    }
}

impl<T> FusedStream for AsCompleted<T> {
    fn is_terminated(&self) -> bool {
        self.set.unreported() == 0
    }
}

// Nothing is pinned structurally: the tasks and outputs are only moved.
impl<T> Unpin for AsCompleted<T> {}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("tasks", &self.set.len())
            .field("remaining", &self.set.unreported())
            .finish()
    }
}

/// [`AsCompleted`] with an overall deadline: made by
/// [`AsCompleted::timeout`] and [`AsCompleted::timeout_at`].
///
/// Yields `Ok(outcome)` for each task in completion order. If the deadline
/// passes first, it yields the outcomes already finished, then
/// `Err(TimeoutError)` once, then ends; the unfinished tasks run on.
///
/// # Cancel safety
///
/// As [`AsCompleted`]: a cancelled consumer gets
/// `Some(Ok(Err(JoinError::Cancelled)))` with its own `Cancelled`.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let mut done = ferrio::combinators::as_completed([1u64, 5, 2].map(|s| async move {
///             ferrio::sleep(Duration::from_secs(s)).await.unwrap();
///             s
///         }))
///         .timeout(Duration::from_secs(3));
///         assert_eq!(done.next().await.unwrap().unwrap().unwrap(), 1);
///         assert_eq!(done.next().await.unwrap().unwrap().unwrap(), 2);
///         let timed_out = done.next().await.unwrap().unwrap_err();
///         assert_eq!(timed_out.after(), Some(Duration::from_secs(3)));
///         assert_eq!(done.remaining(), 1);
///         assert!(done.next().await.is_none());
///         // The 5 s task was not cancelled.
///         let rest = done.into_remaining();
///         assert_eq!(rest.into_iter().next().unwrap().await.unwrap(), 5);
///     })
///     .unwrap();
/// ```
#[must_use = "streams do nothing unless polled; the tasks run anyway"]
pub struct AsCompletedTimeout<T> {
    inner: AsCompleted<T>,
    timer: Sleep,
    /// The limit, if given as a duration (for the error).
    after: Option<Duration>,
    state: TimeoutState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeoutState {
    Running,
    /// The deadline passed and the `TimeoutError` was yielded.
    TimedOut,
}

impl<T> AsCompletedTimeout<T> {
    /// The next item; `None` at the end. The same as `StreamExt::next`.
    #[allow(clippy::should_implement_trait)] // as `AsCompleted::next`
    pub fn next(
        &mut self,
    ) -> impl Future<Output = Option<Result<Result<T, JoinError>, TimeoutError>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_item(cx))
    }

    /// How many outcomes have not been yielded.
    pub fn remaining(&self) -> usize {
        self.inner.remaining()
    }

    /// Whether the deadline passed (and the `TimeoutError` was yielded).
    pub fn timed_out(&self) -> bool {
        self.state == TimeoutState::TimedOut
    }

    /// The tasks whose outcome was not yielded, in the order given: after a
    /// timeout, the ones still running, to cancel or await them.
    pub fn into_remaining(self) -> Vec<Task<T>> {
        self.inner.into_remaining()
    }

    fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Result<T, JoinError>, TimeoutError>>> {
        if self.state == TimeoutState::TimedOut || self.inner.remaining() == 0 {
            return Poll::Ready(None);
        }
        let checkpoint = &mut self.inner.checkpoint;
        if let Some(c) = checkpoint.resumed() {
            checkpoint.reset();
            return Poll::Ready(Some(Ok(Err(JoinError::Cancelled(c)))));
        }
        if let Poll::Ready(outcome) = self.inner.poll_outcome(cx) {
            self.inner.checkpoint.reset();
            return Poll::Ready(outcome.map(Ok));
        }
        if let Some(c) = self.inner.checkpoint.suspend() {
            return Poll::Ready(Some(Ok(Err(JoinError::Cancelled(c)))));
        }
        // The cancellation request, if any, was taken above: the timer can
        // only expire.
        if Pin::new(&mut self.timer).poll(cx).is_ready() {
            self.inner.checkpoint.reset();
            self.state = TimeoutState::TimedOut;
            return Poll::Ready(Some(Err(TimeoutError::new(self.after))));
        }
        Poll::Pending
    }
}

impl<T> Stream for AsCompletedTimeout<T> {
    type Item = Result<Result<T, JoinError>, TimeoutError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_item(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.timed_out() {
            (0, Some(0))
        } else {
            // Every outcome, or fewer of them and one `TimeoutError`.
            let n = self.inner.remaining();
            (n.min(1), Some(n + 1))
        }
    }
}

impl<T> FusedStream for AsCompletedTimeout<T> {
    fn is_terminated(&self) -> bool {
        self.timed_out() || self.inner.remaining() == 0
    }
}

// Nothing is pinned structurally: the tasks and outputs are only moved.
impl<T> Unpin for AsCompletedTimeout<T> {}

impl<T> fmt::Debug for AsCompletedTimeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("tasks", &self.inner.set.len())
            .field("remaining", &self.inner.remaining())
            .field("timer", &self.timer)
            .field("timed_out", &self.timed_out())
            .finish()
    }
}
