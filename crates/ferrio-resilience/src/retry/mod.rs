//! Retry with exponential backoff and jitter: [`retry`].
//!
//! | asyncio / JavaScript / Polly by hand | ferrio-resilience |
//! |---|---|
//! | `for i in range(n): try: return await f() except E: await asyncio.sleep(base * 2**i * random())` | `retry(RetryPolicy::exponential(base).max_attempts(n), f).await` |
//! | `except` clause choosing which errors to retry | [`Retry::retry_if`] |
//! | `asyncio.wait_for(f(), t)` inside the loop | [`RetryPolicy::attempt_timeout`] |
//! | `Retry-After` header honoured | [`Retry::hint`] |
//! | logging inside the `except` | [`Retry::on_retry`] |
//! | Polly `RetryStrategyOptions` (`MaxRetryAttempts`, `BackoffType`, `UseJitter`, `ShouldHandle`, `DelayGenerator`, `OnRetry`) | [`RetryPolicy`] + [`Retry`]'s builder methods |
//!
//! What the hand-written loop gets wrong and [`retry`] does not: a
//! cancellation arriving during an attempt or a backoff sleep stops the loop
//! at once (the attempt is cancelled, its cleanup awaited) and comes back
//! as [`StopReason::Cancelled`] instead of being retried; the total time
//! budget also cuts a running attempt; and memory stays bounded however
//! long the loop runs ([`RetryPolicy::keep_errors`]).

mod backoff;
mod error;
mod event;
mod jitter;
mod ledger;
mod policy;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::time::Sleep;
use ferrio::Cancelled;

pub use backoff::Backoff;
pub use error::{AttemptError, RetryError, StopReason};
pub use event::RetryEvent;
pub use jitter::Jitter;
pub use policy::RetryPolicy;

pub(crate) use ledger::Ledger;

use crate::cancel::{poll_cancelled, Cancellable, Finished};

/// The default [`Retry::retry_if`]: every error is retried.
pub type RetryAll<E> = fn(&E) -> bool;
/// The default [`Retry::hint`]: no error carries a delay.
pub type NoHint<E> = fn(&E) -> Option<Duration>;
/// The default [`Retry::on_retry`]: nothing is told.
pub type NoHook<E> = fn(&RetryEvent<'_, E>);

/// Calls `make` for a future and awaits it, again after a backoff delay
/// each time it fails, as `policy` says: asyncio's hand-written retry loop,
/// Polly's retry strategy.
///
/// `make` builds each attempt's future. The loop ends with the first
/// `Ok`, or with a [`RetryError`] saying why it stopped, after how many
/// attempts, with the most recent errors. Refine it before awaiting with
/// [`retry_if`](Retry::retry_if) (which errors to retry),
/// [`hint`](Retry::hint) (a server's `Retry-After`) and
/// [`on_retry`](Retry::on_retry) (logging).
///
/// Attempts run inline, in the caller's task, one at a time.
///
/// # Cancel safety
///
/// A cancellation point. If the caller is cancelled during an attempt, the
/// attempt is cancelled too (it gets the `Cancelled` at its next await), the
/// loop waits for it to finish its cleanup, and returns
/// [`StopReason::Cancelled`] with the caller's `Cancelled` — unless the
/// attempt swallowed the cancellation and succeeded, in which case its
/// value is returned (as when awaiting the attempt directly). Cancelled
/// during a backoff sleep, the loop returns at once. No further attempt is
/// started either way. Dropping the future drops the running attempt
/// without cleanup.
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
/// use ferrio_resilience::retry::{retry, Jitter, RetryPolicy, StopReason};
///
/// #[derive(Debug)]
/// enum FetchError { Unavailable, NotFound }
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let policy = RetryPolicy::exponential(Duration::from_millis(100))
///             .max_attempts(5)
///             .jitter(Jitter::None);
///         let transient = |e: &FetchError| matches!(e, FetchError::Unavailable);
///
///         // Fails twice, then answers.
///         let calls = Cell::new(0);
///         let start = ferrio::now();
///         let body = retry(policy, || {
///             calls.set(calls.get() + 1);
///             let n = calls.get();
///             async move { if n < 3 { Err(FetchError::Unavailable) } else { Ok("body") } }
///         })
///         .retry_if(transient)
///         .await
///         .unwrap();
///         assert_eq!((body, calls.get()), ("body", 3));
///         // Slept 100 ms, then 200 ms.
///         assert_eq!(ferrio::now() - start, Duration::from_millis(300));
///
///         // Not found is final: one attempt.
///         let err = retry(policy, || async { Err::<(), _>(FetchError::NotFound) })
///             .retry_if(transient)
///             .await
///             .unwrap_err();
///         assert!(matches!(err.reason(), StopReason::NotRetryable));
///         assert_eq!(err.attempts(), 1);
///     })
///     .unwrap();
/// ```
pub fn retry<F, Fut, T, E>(
    policy: RetryPolicy,
    make: F,
) -> Retry<F, Fut, E, RetryAll<E>, NoHint<E>, NoHook<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retry {
        make,
        retry_if: |_| true,
        hint: |_| None,
        on_retry: |_| {},
        state: State::Idle,
        policy,
        ledger: Ledger::new(),
    }
}

/// The future returned by [`retry`]; its builder methods refine the loop
/// before it is awaited. Output: `Result<T, RetryError<E>>`.
#[must_use = "futures do nothing unless awaited"]
pub struct Retry<F, Fut: Future, E, P, H, O> {
    make: F,
    retry_if: P,
    hint: H,
    on_retry: O,
    state: State<Fut>,
    policy: RetryPolicy,
    ledger: Ledger<E>,
}

enum State<Fut: Future> {
    /// About to start an attempt.
    Idle,
    Running(Cancellable<Fut>),
    Sleeping(Sleep),
    /// The caller was cancelled: waiting for the attempt's cleanup.
    Cancelling(Cancellable<Fut>, Cancelled),
    Done,
}

impl<F, Fut: Future, E, P, H, O> Retry<F, Fut, E, P, H, O> {
    /// Retries only the errors for which `predicate` returns `true`; any
    /// other error ends the loop with [`StopReason::NotRetryable`]. (Default:
    /// every error is retried.)
    pub fn retry_if<P2>(self, predicate: P2) -> Retry<F, Fut, E, P2, H, O>
    where
        P2: FnMut(&E) -> bool,
    {
        Retry {
            make: self.make,
            retry_if: predicate,
            hint: self.hint,
            on_retry: self.on_retry,
            state: self.state,
            policy: self.policy,
            ledger: self.ledger,
        }
    }

    /// Asks each error for a server-chosen delay (an HTTP `Retry-After`, a
    /// gRPC `RetryInfo`): when `hint` returns `Some(delay)`, the next retry
    /// waits exactly that long instead of the backoff delay — unless it
    /// would end past the total time budget, which ends the loop.
    pub fn hint<H2>(self, hint: H2) -> Retry<F, Fut, E, P, H2, O>
    where
        H2: FnMut(&E) -> Option<Duration>,
    {
        Retry {
            make: self.make,
            retry_if: self.retry_if,
            hint,
            on_retry: self.on_retry,
            state: self.state,
            policy: self.policy,
            ledger: self.ledger,
        }
    }

    /// Calls `hook` before every retry with the failed attempt, its error
    /// and the delay about to be slept: for logging and metrics.
    pub fn on_retry<O2>(self, hook: O2) -> Retry<F, Fut, E, P, H, O2>
    where
        O2: FnMut(&RetryEvent<'_, E>),
    {
        Retry {
            make: self.make,
            retry_if: self.retry_if,
            hint: self.hint,
            on_retry: hook,
            state: self.state,
            policy: self.policy,
            ledger: self.ledger,
        }
    }

    fn stop(&mut self, reason: StopReason) -> RetryError<E> {
        self.state = State::Done;
        self.ledger.stop(reason)
    }
}

impl<F, Fut, T, E, P, H, O> Retry<F, Fut, E, P, H, O>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: FnMut(&E) -> bool,
    H: FnMut(&E) -> Option<Duration>,
    O: FnMut(&RetryEvent<'_, E>),
{
    fn start_attempt(&mut self) -> Cancellable<Fut> {
        let (after, deadline) = self.ledger.start(&self.policy);
        Cancellable::limited((self.make)(), after, deadline)
    }

    /// After a failed attempt: the error that ends the loop, or `None`
    /// with the backoff sleep set up.
    fn after_failure(&mut self, error: AttemptError<E>) -> Option<RetryError<E>> {
        let (retry_if, hint, on_retry) = (&mut self.retry_if, &mut self.hint, &mut self.on_retry);
        match self
            .ledger
            .after_failure(&self.policy, error, retry_if, hint, on_retry)
        {
            Ok(delay) => {
                self.state = State::Sleeping(ferrio::sleep(delay));
                None
            }
            Err(err) => {
                self.state = State::Done;
                Some(err)
            }
        }
    }
}

impl<F, Fut, T, E, P, H, O> Future for Retry<F, Fut, E, P, H, O>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: FnMut(&E) -> bool,
    H: FnMut(&E) -> Option<Duration>,
    O: FnMut(&RetryEvent<'_, E>),
{
    type Output = Result<T, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The first poll, kept short: the checkpoint, then the first attempt,
        // which often finishes at once.
        if let State::Idle = this.state {
            if let Poll::Ready(c) = poll_cancelled(cx) {
                return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))));
            }
            let mut attempt = this.start_attempt();
            let error = match attempt.poll_finish(cx) {
                Poll::Pending => {
                    this.state = State::Running(attempt);
                    return Poll::Pending;
                }
                Poll::Ready(Finished::Output(Ok(value))) => {
                    this.state = State::Done;
                    return Poll::Ready(Ok(value));
                }
                Poll::Ready(Finished::Output(Err(e))) => AttemptError::Failed(e),
                Poll::Ready(Finished::TimedOut(e)) => AttemptError::TimedOut(e),
                Poll::Ready(Finished::Cancelled) => {
                    unreachable!("a running attempt is cancelled only in Cancelling")
                }
            };
            drop(attempt);
            if let Some(err) = this.after_failure(error) {
                return Poll::Ready(Err(err));
            }
        }
        // Whether this poll has already passed a cancellation point of the
        // caller's (the checkpoint, or a sleep that completed).
        let mut checked = false;
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Idle => unreachable!("the first poll starts the first attempt"),
                State::Running(mut attempt) => {
                    if !checked {
                        if let Poll::Ready(c) = poll_cancelled(cx) {
                            attempt.cancel();
                            this.state = State::Cancelling(attempt, c);
                            continue;
                        }
                    }
                    let error = match attempt.poll_finish(cx) {
                        Poll::Pending => {
                            this.state = State::Running(attempt);
                            return Poll::Pending;
                        }
                        Poll::Ready(Finished::Output(Ok(value))) => return Poll::Ready(Ok(value)),
                        Poll::Ready(Finished::Output(Err(e))) => AttemptError::Failed(e),
                        Poll::Ready(Finished::TimedOut(e)) => AttemptError::TimedOut(e),
                        Poll::Ready(Finished::Cancelled) => {
                            unreachable!("a running attempt is cancelled only in Cancelling")
                        }
                    };
                    drop(attempt);
                    if let Some(err) = this.after_failure(error) {
                        return Poll::Ready(Err(err));
                    }
                }
                State::Sleeping(mut sleep) => match Pin::new(&mut sleep).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Sleeping(sleep);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(())) => {
                        // The sleep was a cancellation point already.
                        checked = true;
                        this.state = State::Running(this.start_attempt());
                    }
                    Poll::Ready(Err(c)) => {
                        return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))));
                    }
                },
                State::Cancelling(mut attempt, c) => match attempt.poll_finish(cx) {
                    Poll::Pending => {
                        this.state = State::Cancelling(attempt, c);
                        return Poll::Pending;
                    }
                    // Swallowed the cancellation and succeeded: as when
                    // awaiting the attempt directly, its value wins.
                    Poll::Ready(Finished::Output(Ok(value))) => return Poll::Ready(Ok(value)),
                    Poll::Ready(_) => {
                        return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))));
                    }
                },
                State::Done => panic!("`Retry` polled after it completed"),
            }
        }
    }
}

// The attempt is boxed (see `Cancellable`) and no other field is pinned.
impl<F, Fut: Future, E, P, H, O> Unpin for Retry<F, Fut, E, P, H, O> {}

impl<F, Fut: Future, E, P, H, O> fmt::Debug for Retry<F, Fut, E, P, H, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle => "idle",
            State::Running(_) => "running",
            State::Sleeping(_) => "sleeping",
            State::Cancelling(..) => "cancelling",
            State::Done => "done",
        };
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .field("state", &state)
            .field("attempts", &self.ledger.attempts())
            .finish_non_exhaustive()
    }
}
