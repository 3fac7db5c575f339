//! Hedged requests: [`hedge`] starts a backup attempt when the first is
//! slow, and takes whichever succeeds first.
//!
//! | by hand / elsewhere | ferrio-resilience |
//! |---|---|
//! | `t1 = create_task(f()); done, _ = await wait({t1}, timeout=d); if not done: t2 = create_task(f()) ...`, then cancel and await the loser | [`hedge(d, f)`](hedge) |
//! | Polly `HedgingStrategyOptions` (`Delay`, `MaxHedgedAttempts`) | [`hedge`], [`Hedge::max_attempts`] |
//! | gRPC hedging policy (`hedgingDelay`, `maxAttempts`) | the same |
//!
//! Hedging trades a little extra load for a shorter tail: if the first
//! attempt has not answered by the delay (set it near the latency's 95th
//! percentile), a second one starts, and the first success wins.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::time::Sleep;

use crate::race::{Contest, Failure, FirstOkError, Next};

/// Calls `make` for a first attempt; if it has not succeeded within
/// `delay`, calls it again for a second attempt running alongside (up to
/// [`max_attempts`](Hedge::max_attempts), default 2, one `delay` apart).
/// The first success wins; the other attempts are cancelled and awaited.
/// A failed attempt starts the next one at once, without waiting for the
/// delay. If every attempt fails, all their failures come back, in launch
/// order.
///
/// Attempts run as child tasks (so `make`'s futures are `'static`); the
/// first starts at the first poll.
///
/// # Cancel safety
///
/// A cancellation point. If the caller is cancelled, every attempt is
/// cancelled and waited for, and the output is
/// [`FirstOkError::Cancelled`] with the caller's `Cancelled`. Dropping the
/// future cancels the attempts without waiting.
///
/// # Panics
///
/// When polled outside a running ferrio loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use ferrio_resilience::hedge::hedge;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         // The first call hits a slow replica (10 s); the hedge a fast one (1 s).
///         let calls = Rc::new(Cell::new(0));
///         let start = ferrio::now();
///         let answer = hedge(Duration::from_millis(300), || {
///             calls.set(calls.get() + 1);
///             let secs = if calls.get() == 1 { 10 } else { 1 };
///             async move {
///                 ferrio::sleep(Duration::from_secs(secs)).await?;
///                 Ok::<_, ferrio::Cancelled>(secs)
///             }
///         })
///         .await
///         .unwrap();
///         assert_eq!(answer, 1);
///         assert_eq!(ferrio::now() - start, Duration::from_millis(1300));
///         assert_eq!(calls.get(), 2);
///     })
///     .unwrap();
/// ```
pub fn hedge<F, Fut, T, E>(delay: Duration, make: F) -> Hedge<F, T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    Hedge {
        make,
        delay,
        max_attempts: 2,
        launched: 0,
        failures: Vec::new(),
        timer: None,
        state: State::Start,
    }
}

/// The future returned by [`hedge`]. Output: `Result<T, FirstOkError<E>>`.
#[must_use = "futures do nothing unless awaited"]
pub struct Hedge<F, T, E> {
    make: F,
    delay: Duration,
    max_attempts: u32,
    launched: u32,
    /// By launch index.
    failures: Vec<Option<Failure<E>>>,
    /// Until the next hedged attempt.
    timer: Option<Sleep>,
    state: State<T, E>,
}

enum State<T, E> {
    Start,
    Running(Contest<Result<T, E>>),
    WindingDown(Contest<Result<T, E>>, Result<T, FirstOkError<E>>),
    Done,
}

impl<F, T, E> Hedge<F, T, E> {
    /// Runs at most `n` attempts in all, the first included (default 2).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn max_attempts(mut self, n: u32) -> Self {
        assert!(n > 0, "Hedge::max_attempts: at least one attempt is needed");
        self.max_attempts = n;
        self
    }
}

impl<F, Fut, T, E> Hedge<F, T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    /// Starts the next attempt, and the timer for the one after, if any.
    fn launch(&mut self, contest: &mut Contest<Result<T, E>>) {
        contest.set.spawn((self.make)(), self.launched as usize);
        self.launched += 1;
        self.failures.push(None);
        self.timer = (self.launched < self.max_attempts).then(|| ferrio::sleep(self.delay));
    }
}

impl<F, Fut, T, E> Future for Hedge<F, T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    type Output = Result<T, FirstOkError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start => {
                    let mut contest = Contest::new();
                    this.launch(&mut contest);
                    this.state = State::Running(contest);
                }
                State::Running(mut contest) => {
                    let next = match contest.set.poll_done(cx) {
                        Poll::Ready(Some((i, outcome))) => Next::Outcome(i, outcome),
                        Poll::Ready(None) => Next::Empty,
                        Poll::Pending => match this.timer.as_mut().map(|t| Pin::new(t).poll(cx)) {
                            Some(Poll::Ready(Ok(()))) => {
                                this.launch(&mut contest);
                                this.state = State::Running(contest);
                                continue;
                            }
                            // The timer is the cancellation point while it runs.
                            Some(Poll::Ready(Err(c))) => Next::Cancelled(c),
                            Some(Poll::Pending) => {
                                this.state = State::Running(contest);
                                return Poll::Pending;
                            }
                            None => match contest.poll_next(cx) {
                                Poll::Ready(next) => next,
                                Poll::Pending => {
                                    this.state = State::Running(contest);
                                    return Poll::Pending;
                                }
                            },
                        },
                    };
                    let (index, failure) = match next {
                        Next::Outcome(_, Ok(Ok(value))) => {
                            this.state = State::WindingDown(contest, Ok(value));
                            continue;
                        }
                        Next::Cancelled(c) => {
                            this.state =
                                State::WindingDown(contest, Err(FirstOkError::Cancelled(c)));
                            continue;
                        }
                        Next::Empty => {
                            let failures = std::mem::take(&mut this.failures)
                                .into_iter()
                                .map(|f| f.expect("every attempt failed"))
                                .collect();
                            return Poll::Ready(Err(FirstOkError::AllFailed(failures)));
                        }
                        Next::Outcome(i, Ok(Err(e))) => (i, Failure::Error(e)),
                        Next::Outcome(i, Err(e)) => (i, Failure::Join(e)),
                    };
                    this.failures[index] = Some(failure);
                    if this.launched < this.max_attempts {
                        this.launch(&mut contest);
                    }
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
                State::Done => panic!("`Hedge` polled after it completed"),
            }
        }
    }
}

// No field is pinned: the attempts are tasks, `Sleep` is `Unpin`.
impl<F, T, E> Unpin for Hedge<F, T, E> {}

impl<F, T, E> fmt::Debug for Hedge<F, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hedge")
            .field("delay", &self.delay)
            .field("max_attempts", &self.max_attempts)
            .field("launched", &self.launched)
            .finish_non_exhaustive()
    }
}
