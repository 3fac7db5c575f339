//! [`race`]: the first future to finish wins; the others are cancelled
//! and awaited.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::contest::{Contest, Next};
use super::RaceError;

/// Runs every future as a child task; the first to finish — successfully
/// or not — wins. The others are cancelled, and the race returns once they
/// have finished their cleanup: JavaScript's `Promise.race`, asyncio's
/// `wait(return_when=FIRST_COMPLETED)` followed by cancelling and awaiting
/// the pending set.
///
/// The futures start at the first poll. Outcomes at the same loop instant
/// are taken in completion order.
///
/// # Cancel safety
///
/// A cancellation point. If the caller is cancelled, every child is
/// cancelled and waited for, and the race returns
/// [`RaceError::Cancelled`] with the caller's `Cancelled` (also if a child
/// had already won: the caller asked to stop). Dropping the future cancels
/// the children without waiting.
///
/// # Panics
///
/// When polled outside a running ferrio loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use ferrio_resilience::race::race;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let cleaned = Rc::new(Cell::new(0));
///         let mirror = |name: &'static str, secs: u64| {
///             let cleaned = cleaned.clone();
///             async move {
///                 if let Err(c) = ferrio::sleep(Duration::from_secs(secs)).await {
///                     cleaned.set(cleaned.get() + 1); // the losers clean up
///                     return Err(c);
///                 }
///                 Ok(name)
///             }
///         };
///         let start = ferrio::now();
///         let winner = race([mirror("eu", 3), mirror("us", 1), mirror("ap", 2)]).await.unwrap();
///         assert_eq!(winner.unwrap(), "us");
///         assert_eq!(ferrio::now() - start, Duration::from_secs(1));
///         assert_eq!(cleaned.get(), 2);
///     })
///     .unwrap();
/// ```
pub fn race<I>(futures: I) -> Race<I::IntoIter, <I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    Race {
        state: State::Start(futures.into_iter()),
    }
}

/// The future returned by [`race`]. Output: `Result<T, RaceError>`.
#[must_use = "futures do nothing unless awaited"]
pub struct Race<I, T> {
    state: State<I, T>,
}

enum State<I, T> {
    Start(I),
    Running(Contest<T>),
    WindingDown(Contest<T>, Result<T, RaceError>),
    Done,
}

impl<I, T> Future for Race<I, T>
where
    I: Iterator,
    I::Item: Future<Output = T> + 'static,
    T: 'static,
{
    type Output = Result<T, RaceError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start(futures) => {
                    let mut contest = Contest::new();
                    for (i, future) in futures.enumerate() {
                        contest.set.spawn(future, i);
                    }
                    if contest.set.len() == 0 {
                        return Poll::Ready(Err(RaceError::Empty));
                    }
                    this.state = State::Running(contest);
                }
                State::Running(mut contest) => {
                    let outcome = match contest.poll_next(cx) {
                        Poll::Pending => {
                            this.state = State::Running(contest);
                            return Poll::Pending;
                        }
                        Poll::Ready(Next::Outcome(_, Ok(value))) => Ok(value),
                        Poll::Ready(Next::Outcome(_, Err(e))) => Err(RaceError::Child(e)),
                        Poll::Ready(Next::Cancelled(c)) => Err(RaceError::Cancelled(c)),
                        Poll::Ready(Next::Empty) => {
                            unreachable!("a child finishes before the set is empty")
                        }
                    };
                    this.state = State::WindingDown(contest, outcome);
                }
                State::WindingDown(mut contest, outcome) => match contest.poll_wind_down(cx) {
                    Poll::Pending => {
                        this.state = State::WindingDown(contest, outcome);
                        return Poll::Pending;
                    }
                    Poll::Ready(Some(c)) => return Poll::Ready(Err(RaceError::Cancelled(c))),
                    Poll::Ready(None) => return Poll::Ready(outcome),
                },
                State::Done => panic!("`Race` polled after it completed"),
            }
        }
    }
}

// No field is pinned: the contenders are tasks.
impl<I, T> Unpin for Race<I, T> {}

impl<I, T> fmt::Debug for Race<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start(_) => "not started",
            State::Running(_) => "racing",
            State::WindingDown(..) => "cancelling the losers",
            State::Done => "done",
        };
        f.debug_struct("Race").field("state", &state).finish()
    }
}
