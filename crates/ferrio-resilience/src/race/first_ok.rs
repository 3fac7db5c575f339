//! [`first_ok`]: the first success wins (JavaScript's `Promise.any`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::contest::{Contest, Next};
use super::{Failure, FirstOkError};

/// Runs every future as a child task and returns the first success; the
/// others are then cancelled and awaited. If every one fails, all their
/// failures come back, in input order: JavaScript's `Promise.any` (with
/// `AggregateError`), for asking several replicas and taking whichever
/// answers well first.
///
/// The futures start at the first poll. A child that panics or is
/// cancelled from outside counts as a failure ([`Failure::Join`]).
///
/// # Cancel safety
///
/// A cancellation point. If the caller is cancelled, every child is
/// cancelled and waited for, and the output is
/// [`FirstOkError::Cancelled`] with the caller's `Cancelled`. Dropping the
/// future cancels the children without waiting.
///
/// # Panics
///
/// When polled outside a running ferrio loop.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::race::{first_ok, FirstOkError};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let replica = |secs: u64, answer: Result<&'static str, &'static str>| async move {
///             ferrio::sleep(Duration::from_secs(secs)).await.map_err(|_| "cancelled")?;
///             answer
///         };
///         // The fastest replica fails; the next success wins.
///         let v = first_ok([replica(1, Err("503")), replica(2, Ok("b")), replica(3, Ok("c"))]).await;
///         assert_eq!(v.unwrap(), "b");
///
///         let err = first_ok([replica(1, Err("503")), replica(2, Err("504"))]).await.unwrap_err();
///         assert_eq!(err.failures().unwrap().len(), 2);
///         assert!(matches!(err, FirstOkError::AllFailed(_)));
///     })
///     .unwrap();
/// ```
pub fn first_ok<I, T, E>(futures: I) -> FirstOk<I::IntoIter, T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + 'static,
{
    FirstOk {
        state: State::Start(futures.into_iter()),
        failures: Vec::new(),
    }
}

/// The future returned by [`first_ok`]. Output: `Result<T, FirstOkError<E>>`.
#[must_use = "futures do nothing unless awaited"]
pub struct FirstOk<I, T, E> {
    state: State<I, T, E>,
    /// By input index; all `Some` once everything failed.
    failures: Vec<Option<Failure<E>>>,
}

enum State<I, T, E> {
    Start(I),
    Running(Contest<Result<T, E>>),
    WindingDown(Contest<Result<T, E>>, Result<T, FirstOkError<E>>),
    Done,
}

impl<I, T, E> Future for FirstOk<I, T, E>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    type Output = Result<T, FirstOkError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start(futures) => {
                    let mut contest = Contest::new();
                    for (i, future) in futures.enumerate() {
                        contest.set.spawn(future, i);
                        this.failures.push(None);
                    }
                    this.state = State::Running(contest);
                }
                State::Running(mut contest) => {
                    let (index, failure) = match contest.poll_next(cx) {
                        Poll::Pending => {
                            this.state = State::Running(contest);
                            return Poll::Pending;
                        }
                        Poll::Ready(Next::Outcome(_, Ok(Ok(value)))) => {
                            this.state = State::WindingDown(contest, Ok(value));
                            continue;
                        }
                        Poll::Ready(Next::Cancelled(c)) => {
                            this.state =
                                State::WindingDown(contest, Err(FirstOkError::Cancelled(c)));
                            continue;
                        }
                        Poll::Ready(Next::Empty) => {
                            let failures = std::mem::take(&mut this.failures)
                                .into_iter()
                                .map(|f| f.expect("every contender failed"))
                                .collect();
                            return Poll::Ready(Err(FirstOkError::AllFailed(failures)));
                        }
                        Poll::Ready(Next::Outcome(i, Ok(Err(e)))) => (i, Failure::Error(e)),
                        Poll::Ready(Next::Outcome(i, Err(e))) => (i, Failure::Join(e)),
                    };
                    this.failures[index] = Some(failure);
                    this.state = State::Running(contest);
                }
                State::WindingDown(mut contest, outcome) => match contest.poll_wind_down(cx) {
                    Poll::Pending => {
                        this.state = State::WindingDown(contest, outcome);
                        return Poll::Pending;
                    }
                    Poll::Ready(Some(c)) => return Poll::Ready(Err(FirstOkError::Cancelled(c))),
                    Poll::Ready(None) => return Poll::Ready(outcome),
                },
                State::Done => panic!("`FirstOk` polled after it completed"),
            }
        }
    }
}

// No field is pinned: the contenders are tasks.
impl<I, T, E> Unpin for FirstOk<I, T, E> {}

impl<I, T, E> fmt::Debug for FirstOk<I, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start(_) => "not started",
            State::Running(_) => "waiting for a success",
            State::WindingDown(..) => "cancelling the others",
            State::Done => "done",
        };
        f.debug_struct("FirstOk")
            .field("state", &state)
            .field(
                "failed",
                &self.failures.iter().filter(|f| f.is_some()).count(),
            )
            .finish()
    }
}
