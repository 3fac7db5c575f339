//! [`Gathering`]: the engine shared by [`gather`](super::gather) and
//! [`gather_settled`](super::gather_settled) — tasks watched through a
//! [`TaskSet`], with asyncio's gather cancellation.
//!
//! # Cancellation
//!
//! A gather that can complete without suspending (every task already done)
//! does, even with a cancellation pending (see `task::Checkpoint`). Once it
//! has suspended, a cancellation delivered to the awaiting task — its own,
//! or a timeout's or task group's around the gather — is forwarded to every
//! task not done yet, with its message, and the gather then waits until all
//! of them have finished, cleanup included, before it reports the
//! cancellation (whatever the tasks returned: asyncio's gather propagates
//! its cancellation "regardless of `return_exceptions`"). Further requests
//! that arrive meanwhile are forwarded too; the outermost of them is the one
//! reported, as at any cancellation point.

use std::task::{Context, Poll};

use super::task_set::TaskSet;
use crate::task::{scope, Checkpoint};
use crate::{Cancelled, JoinError, Task};

/// What one step of a gathering produced.
pub(super) enum Step<T> {
    /// Task `index` finished with this outcome.
    Outcome(usize, Result<T, JoinError>),
    /// Every task was reported.
    Done,
    /// The awaiting task was cancelled; every task has finished since.
    Cancelled(Cancelled),
}

pub(super) struct Gathering<T> {
    pub(super) set: TaskSet<T>,
    checkpoint: Checkpoint,
    /// The cancellation being forwarded, once one was delivered.
    cancelled: Option<Cancelled>,
    finished: bool,
}

impl<T> Gathering<T> {
    pub(super) fn new(tasks: impl IntoIterator<Item = Task<T>>) -> Gathering<T> {
        Gathering {
            set: TaskSet::new(tasks.into_iter().collect()),
            checkpoint: Checkpoint::new(),
            cancelled: None,
            finished: false,
        }
    }

    /// Whether a cancellation is being forwarded.
    pub(super) fn is_cancelling(&self) -> bool {
        self.cancelled.is_some()
    }

    /// The next step. After `Done`, `Cancelled`, or an outcome the caller
    /// stops at, call [`finish`](Self::finish).
    ///
    /// # Panics
    ///
    /// If polled after [`finish`](Self::finish).
    pub(super) fn poll_step(&mut self, cx: &mut Context<'_>, what: &str) -> Poll<Step<T>> {
        assert!(!self.finished, "`{what}` polled after completion");
        if self.cancelled.is_none() {
            if let Some(c) = self.checkpoint.resumed() {
                self.forward(c);
            }
        }
        if self.cancelled.is_some() {
            return self.poll_drain(cx);
        }
        match self.set.poll_finished(cx) {
            Poll::Ready(Some(index)) => {
                Poll::Ready(Step::Outcome(index, self.set.take_outcome(index)))
            }
            Poll::Ready(None) => Poll::Ready(Step::Done),
            Poll::Pending => match self.checkpoint.suspend() {
                Some(c) => {
                    self.forward(c);
                    self.poll_drain(cx)
                }
                None => Poll::Pending,
            },
        }
    }

    /// The gathering is over: stops the engine; the tasks still in the set
    /// run on, detached.
    pub(super) fn finish(&mut self) {
        self.finished = true;
        self.set.detach_all();
    }

    /// Forwards a delivered cancellation to every unfinished task.
    fn forward(&mut self, c: Cancelled) {
        self.set.cancel_unfinished(c.message());
        scope::absorb(&mut self.cancelled, c);
    }

    /// Waits until every task has finished, forwarding further
    /// cancellations, then reports the cancellation.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<Step<T>> {
        loop {
            if let Some(c) = crate::task::take_pending_cancel() {
                self.forward(c);
            }
            match self.set.poll_finished(cx) {
                Poll::Ready(Some(index)) => drop(self.set.take_outcome(index)),
                Poll::Ready(None) => {
                    let c = self
                        .cancelled
                        .take()
                        .expect("draining after a cancellation");
                    return Poll::Ready(Step::Cancelled(c));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
