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

impl<F, Fut, T, E, C> Call<F, Fut, C>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    C: FnMut(&Result<T, E>) -> Outcome,
{
    /// Records the finished call's outcome and gives its result.
    fn finish(
        &mut self,
        outcome: Finished<Fut::Output>,
        permit: CallPermit,
    ) -> Result<T, BreakerError<E>> {
        match outcome {
            Finished::Output(result) => {
                permit.record((self.classify)(&result));
                result.map_err(BreakerError::Failed)
            }
            Finished::TimedOut(_) | Finished::Cancelled => {
                unreachable!("a call without deadline is cancelled only in Cancelling")
            }
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
        // The first poll, kept short: the call often finishes at once.
        if let State::Start = this.state {
            if let Poll::Ready(c) = poll_cancelled(cx) {
                this.state = State::Done;
                return Poll::Ready(Err(BreakerError::Cancelled(c)));
            }
            let permit = match this.breaker.try_acquire() {
                Ok(permit) => permit,
                Err(open) => {
                    this.state = State::Done;
                    return Poll::Ready(Err(BreakerError::Open(open)));
                }
            };
            let make = this.make.take().expect("`Call` started twice");
            let mut work = Cancellable::limited(make(), None, None);
            return match work.poll_finish(cx) {
                Poll::Pending => {
                    this.state = State::Running(work, permit);
                    Poll::Pending
                }
                Poll::Ready(outcome) => {
                    this.state = State::Done;
                    Poll::Ready(this.finish(outcome, permit))
                }
            };
        }
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start => unreachable!("the first poll starts the call"),
                State::Running(mut work, permit) => {
                    if let Poll::Ready(c) = poll_cancelled(cx) {
                        drop(permit);
                        work.cancel();
                        this.state = State::Cancelling(work, c);
                        continue;
                    }
                    return match work.poll_finish(cx) {
                        Poll::Pending => {
                            this.state = State::Running(work, permit);
                            Poll::Pending
                        }
                        Poll::Ready(outcome) => Poll::Ready(this.finish(outcome, permit)),
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
