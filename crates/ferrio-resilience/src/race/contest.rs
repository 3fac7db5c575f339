//! [`Contest`]: children racing to an outcome, and winding down the losers.

use std::task::{Context, Poll};

use ferrio::{Cancelled, JoinError};

use crate::cancel::poll_cancelled;
use crate::concurrent::task_set::TaskSet;

/// What happened next in a contest.
pub(crate) enum Next<T> {
    /// Child `index` finished.
    Outcome(usize, Result<T, JoinError>),
    /// The caller was cancelled while waiting.
    Cancelled(Cancelled),
    /// No child left.
    Empty,
}

/// Child tasks of a race, first-success or hedge.
pub(crate) struct Contest<T> {
    pub(crate) set: TaskSet<T>,
    winding_down: bool,
    /// A cancellation of the caller that arrived while winding down.
    caller: Option<Cancelled>,
}

impl<T: 'static> Contest<T> {
    pub(crate) fn new() -> Contest<T> {
        Contest {
            set: TaskSet::new(),
            winding_down: false,
            caller: None,
        }
    }

    /// The next child outcome, or the caller's cancellation. Outcomes that
    /// are ready come first; the cancellation point is where it would wait.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Next<T>> {
        match self.set.poll_done(cx) {
            Poll::Ready(Some((index, outcome))) => Poll::Ready(Next::Outcome(index, outcome)),
            Poll::Ready(None) => Poll::Ready(Next::Empty),
            Poll::Pending => poll_cancelled(cx).map(Next::Cancelled),
        }
    }

    /// Cancels every child still running and waits until all have finished
    /// (their cleanup included), discarding their outcomes. If the caller is
    /// cancelled meanwhile, the children are cancelled again (a second
    /// request, as when asyncio cancels a task twice) and that cancellation
    /// is returned at the end.
    pub(crate) fn poll_wind_down(&mut self, cx: &mut Context<'_>) -> Poll<Option<Cancelled>> {
        if !self.winding_down {
            self.winding_down = true;
            self.set.cancel_all();
        }
        loop {
            match self.set.poll_done(cx) {
                Poll::Ready(Some(_)) => {}
                Poll::Ready(None) => return Poll::Ready(self.caller.take()),
                Poll::Pending => {
                    if let Poll::Ready(c) = poll_cancelled(cx) {
                        self.set.cancel_all();
                        self.caller = Some(c);
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
