//! [`Call`]: a call made through a circuit breaker.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::Cancelled;

use super::{BreakerError, CallPermit, CircuitBreaker, Outcome};
use crate::cancel::{poll_cancelled, Cancellable, Finished};

/// The default classifier: `Ok` is a success, `Err` a failure.
pub type ByResult<T, E> = fn(&Result<T, E>) -> Outcome;

/// The future returned by [`CircuitBreaker::call`]. Output:
/// `Result<T, BreakerError<E>>`.
#[must_use = "futures do nothing unless awaited"]
pub struct Call<F, Fut: Future, C> {
    breaker: CircuitBreaker,
    make: Option<F>,
    classify: C,
    state: State<Fut>,
}

enum State<Fut: Future> {
    Start,
    Running(Cancellable<Fut>, CallPermit),
    /// The caller was cancelled; the permit is dropped unrecorded.
    Cancelling(Cancellable<Fut>, Cancelled),
    Done,
}

pub(crate) fn call<F, Fut, T, E>(breaker: CircuitBreaker, make: F) -> Call<F, Fut, ByResult<T, E>>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Call {
        breaker,
        make: Some(make),
        classify: |result| match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure,
        },
        state: State::Start,
    }
}

impl<F, Fut: Future, C> Call<F, Fut, C> {
    /// Decides what each result means to the breaker, for example that a
    /// "not found" is a success (the service answered) or that a client-side
    /// error is [`Outcome::Ignore`]. (Default: `Ok` succeeds, `Err` fails.)
    /// A cancelled call is never recorded.
    pub fn classify<C2>(self, classify: C2) -> Call<F, Fut, C2> {
        Call {
            breaker: self.breaker,
            make: self.make,
            classify,
            state: self.state,
        }
    }
}

impl<F, Fut, T, E, C> Future for Call<F, Fut, C>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: FnMut(&Result<T, E>) -> Outcome,
{
    type Output = Result<T, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut checked = false;
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start => {
                    if let Poll::Ready(c) = poll_cancelled(cx) {
                        return Poll::Ready(Err(BreakerError::Cancelled(c)));
                    }
                    checked = true;
                    let permit = match this.breaker.try_acquire() {
                        Ok(permit) => permit,
                        Err(open) => return Poll::Ready(Err(BreakerError::Open(open))),
                    };
                    let make = this.make.take().expect("`Call` started twice");
                    this.state = State::Running(Cancellable::limited(make(), None, None), permit);
                }
                State::Running(mut work, permit) => {
                    if !checked {
                        if let Poll::Ready(c) = poll_cancelled(cx) {
                            drop(permit);
                            work.cancel();
                            this.state = State::Cancelling(work, c);
                            continue;
                        }
                    }
                    return match work.poll_finish(cx) {
                        Poll::Pending => {
                            this.state = State::Running(work, permit);
                            Poll::Pending
                        }
                        Poll::Ready(Finished::Output(result)) => {
                            permit.record((this.classify)(&result));
                            Poll::Ready(result.map_err(BreakerError::Failed))
                        }
                        Poll::Ready(Finished::TimedOut(_) | Finished::Cancelled) => {
                            unreachable!("a call without deadline is cancelled only in Cancelling")
                        }
                    };
                }
                State::Cancelling(mut work, c) => {
                    return match work.poll_finish(cx) {
                        Poll::Pending => {
                            this.state = State::Cancelling(work, c);
                            Poll::Pending
                        }
                        // It swallowed the cancellation and succeeded.
                        Poll::Ready(Finished::Output(Ok(value))) => Poll::Ready(Ok(value)),
                        Poll::Ready(_) => Poll::Ready(Err(BreakerError::Cancelled(c))),
                    };
                }
                State::Done => panic!("`Call` polled after it completed"),
            }
        }
    }
}

// The call's future is boxed (see `Cancellable`); no field is pinned.
impl<F, Fut: Future, C> Unpin for Call<F, Fut, C> {}

impl<F, Fut: Future, C> fmt::Debug for Call<F, Fut, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start => "start",
            State::Running(..) => "running",
            State::Cancelling(..) => "cancelling",
            State::Done => "done",
        };
        f.debug_struct("Call")
            .field("breaker", &self.breaker)
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
