//! [`wait`]: wait for some or all of a set of tasks, without taking their
//! results and without cancelling any.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::task_set::TaskSet;
use crate::task::Checkpoint;
use crate::time::Sleep;
use crate::{Cancelled, JoinError, Task};

/// When [`wait`] returns: asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`
/// and `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReturnWhen {
    /// As soon as any task is done (or all, if there are none).
    FirstCompleted,
    /// As soon as any task fails (panics), or when all are done. As in
    /// asyncio's `FIRST_EXCEPTION`, a task that ends cancelled is not a
    /// failure.
    FirstException,
    /// When every task is done. The default.
    #[default]
    AllCompleted,
}

/// Waits until the tasks meet `return_when`, or `timeout` passes on the
/// loop clock, and returns them split as `(done, pending)`: asyncio's
/// `wait(aws, timeout, return_when)`.
///
/// Both vectors keep the order the tasks were given in. Nothing is taken
/// from the tasks: await a done task (or call
/// [`try_result`](Task::try_result)) for its outcome. **The pending tasks
/// are never cancelled**, also not on timeout; keep awaiting them, wait
/// again, or cancel them. With no tasks at all, `wait` returns two empty
/// vectors at once.
///
/// The timeout counts from the first poll; `None` waits without limit. It
/// is not an error: on timeout `wait` returns whatever is done by then.
///
/// A task of another loop (which cannot finish while this one runs) counts
/// as done and failed: awaiting it gives
/// [`JoinError::ForeignLoop`](crate::JoinError::ForeignLoop).
///
/// # Cancel safety
///
/// If the condition already holds (a task done for `FirstCompleted`…),
/// `wait` returns at once, even with a cancellation pending. Otherwise it is
/// a cancellation point: if the awaiting task is cancelled, `wait` returns
/// [`WaitCancelled`] at once, which carries the awaiting task's own
/// [`Cancelled`] (propagate it with `?`) and gives back every task, all of
/// them still running — asyncio's `wait` does not cancel the tasks either.
///
/// ```
/// use std::time::Duration;
/// use ferrio::combinators::{wait, ReturnWhen};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let tasks: Vec<_> = [3u64, 1, 2]
///             .into_iter()
///             .map(|s| ferrio::spawn(async move {
///                 ferrio::sleep(Duration::from_secs(s)).await.unwrap();
///                 s
///             }))
///             .collect();
///         let t0 = ferrio::now();
///         let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await?;
///         assert_eq!(ferrio::now() - t0, Duration::from_secs(1));
///         assert_eq!((done.len(), pending.len()), (1, 2));
///         assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
///
///         let (done, pending) =
///             wait(pending, ReturnWhen::AllCompleted, Some(Duration::from_millis(1500))).await?;
///         assert_eq!((done.len(), pending.len()), (1, 1)); // the 3 s task runs on
///         Ok::<_, ferrio::Cancelled>(())
///     })
///     .unwrap()
///     .unwrap();
/// ```
pub fn wait<T>(
    tasks: impl IntoIterator<Item = Task<T>>,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> Wait<T> {
    Wait {
        set: TaskSet::new(tasks.into_iter().collect()),
        return_when,
        timer: timeout.map(crate::time::sleep),
        checkpoint: Checkpoint::new(),
        finished: false,
    }
}

/// The future returned by [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    set: TaskSet<T>,
    return_when: ReturnWhen,
    timer: Option<Sleep>,
    checkpoint: Checkpoint,
    finished: bool,
}

/// What [`Wait`] gives: the tasks that are done, then the others, each in
/// the order given.
pub type Waited<T> = (Vec<Task<T>>, Vec<Task<T>>);

impl<T> Wait<T> {
    fn cancelled(&mut self, cancelled: Cancelled) -> WaitCancelled<T> {
        self.finished = true;
        let tasks = self.set.take_all();
        WaitCancelled { cancelled, tasks }
    }

    fn split(&mut self) -> Waited<T> {
        self.finished = true;
        let finished: Vec<bool> = (0..self.set.len())
            .map(|i| self.set.is_finished(i))
            .collect();
        let (mut done, mut pending) = (Vec::new(), Vec::new());
        for (task, finished) in self.set.take_all().into_iter().zip(finished) {
            if finished {
                done.push(task);
            } else {
                pending.push(task);
            }
        }
        (done, pending)
    }
}

impl<T> Future for Wait<T> {
    type Output = Result<Waited<T>, WaitCancelled<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.finished, "`Wait` polled after completion");
        if let Some(cancelled) = this.checkpoint.resumed() {
            return Poll::Ready(Err(this.cancelled(cancelled)));
        }
        loop {
            match this.set.poll_finished(cx) {
                Poll::Ready(None) => return Poll::Ready(Ok(this.split())),
                Poll::Ready(Some(index)) => {
                    let stop = match this.return_when {
                        ReturnWhen::FirstCompleted => true,
                        ReturnWhen::FirstException => this.set.is_failure(index),
                        ReturnWhen::AllCompleted => false,
                    };
                    if stop {
                        return Poll::Ready(Ok(this.split()));
                    }
                }
                Poll::Pending => break,
            }
        }
        if let Some(cancelled) = this.checkpoint.suspend() {
            return Poll::Ready(Err(this.cancelled(cancelled)));
        }
        if let Some(timer) = &mut this.timer {
            // The cancellation request, if any, was taken above: the timer
            // can only expire.
            if Pin::new(timer).poll(cx).is_ready() {
                return Poll::Ready(Ok(this.split()));
            }
        }
        Poll::Pending
    }
}

// Nothing is pinned structurally: the tasks and outputs are only moved.
impl<T> Unpin for Wait<T> {}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.set.len())
            .field("unfinished", &self.set.unreported())
            .field("return_when", &self.return_when)
            .field("timer", &self.timer)
            .finish()
    }
}

/// The task awaiting [`wait`] was cancelled: its own [`Cancelled`], and
/// every task it waited for, given back and still running.
///
/// Converts into [`Cancelled`] and [`JoinError`], so `?` propagates the
/// cancellation (dropping the tasks, which then run on, detached). To keep
/// the tasks, take them out with [`into_tasks`](Self::into_tasks) or the
/// public fields. The `Cancelled` inside is the awaiting task's own: as long
/// as it is alive, that task counts as cancelled — a task that returns a
/// `WaitCancelled` ends cancelled and its output is dropped.
pub struct WaitCancelled<T> {
    /// The awaiting task's cancellation: propagate it.
    pub cancelled: Cancelled,
    /// The tasks, in the order given, none of them cancelled.
    pub tasks: Vec<Task<T>>,
}

impl<T> WaitCancelled<T> {
    /// The tasks, to cancel or await them.
    pub fn into_tasks(self) -> Vec<Task<T>> {
        self.tasks
    }
}

impl<T> From<WaitCancelled<T>> for Cancelled {
    fn from(e: WaitCancelled<T>) -> Cancelled {
        e.cancelled
    }
}

impl<T> From<WaitCancelled<T>> for JoinError {
    fn from(e: WaitCancelled<T>) -> JoinError {
        JoinError::Cancelled(e.cancelled)
    }
}

impl<T> fmt::Debug for WaitCancelled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitCancelled")
            .field("cancelled", &self.cancelled)
            .field("tasks", &self.tasks)
            .finish()
    }
}

impl<T> fmt::Display for WaitCancelled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} while waiting for {} tasks (they run on; cancel or await them)",
            self.cancelled,
            self.tasks.len()
        )
    }
}

impl<T> std::error::Error for WaitCancelled<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cancelled)
    }
}
