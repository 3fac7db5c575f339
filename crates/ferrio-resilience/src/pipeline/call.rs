//! [`PipelineCall`]: one call through a pipeline — retry around rate
//! limiting, the circuit breaker and a timeout — as a single future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ferrio::time::{Sleep, Timeout};
use ferrio::Cancelled;

use super::CallError;
use super::Pipeline;
use crate::breaker::{CallPermit, Outcome};
use crate::cancel::{poll_cancelled, Cancellable, Finished};
use crate::limiter::{AcquireError, AcquireOwned};
use crate::retry::{AttemptError, Ledger, RetryError, RetryEvent, StopReason};

/// The default [`PipelineCall::classify`]: `Ok` succeeds, `Err` fails.
pub type ByResult<T, E> = fn(&Result<T, E>) -> Outcome;
/// The default [`PipelineCall::retry_if`]: every error is retried.
pub type RetryAll<E> = fn(&E) -> bool;
/// The default [`PipelineCall::hint`]: no error carries a delay.
pub type NoHint<E> = fn(&E) -> Option<Duration>;
/// The default [`PipelineCall::on_retry`]: nothing is told.
pub type NoHook<E> = fn(&RetryEvent<'_, CallError<E>>);

/// A [`PipelineCall`] with the default refinements, as
/// [`Pipeline::call`](super::Pipeline::call) returns it.
pub type PlainCall<'p, F, Fut, T, E> =
    PipelineCall<'p, F, Fut, E, RetryAll<E>, NoHint<E>, ByResult<T, E>, NoHook<E>>;

/// The future returned by [`Pipeline::call`](super::Pipeline::call); its
/// builder methods refine the call before it is awaited. Output:
/// `Result<T, PipelineError<E>>`.
#[must_use = "futures do nothing unless awaited"]
pub struct PipelineCall<'p, F, Fut: Future, E, P, H, C, O> {
    pipeline: &'p Pipeline,
    make: F,
    retry_if: P,
    hint: H,
    classify: C,
    on_retry: O,
    ledger: Ledger<CallError<E>>,
    state: State<Fut>,
}

enum State<Fut: Future> {
    /// About to start an attempt.
    Idle,
    /// Waiting for a rate permit (bounded by the total budget); boxed, to
    /// keep the common states small.
    Limiting(Option<CallPermit>, Box<Timeout<AcquireOwned>>),
    Running(Option<CallPermit>, Cancellable<Fut>),
    /// The caller was cancelled: waiting for the call's cleanup.
    Cancelling(Cancellable<Fut>, Cancelled),
    Sleeping(Sleep),
    Done,
}

/// How starting an attempt went.
enum Started<Fut: Future, E> {
    /// The call is made: poll it.
    Call(Option<CallPermit>, Cancellable<Fut>),
    /// Waiting for the limiter (the state is set).
    Waiting,
    /// The breaker refused: a failed attempt.
    Refused(Box<AttemptError<CallError<E>>>),
}

/// What polling a call gave.
enum Step<T, E> {
    Value(T),
    /// Boxed (failures are the slow path), so that a step is two words.
    Failed(Box<AttemptError<CallError<E>>>),
    /// The state is set; poll again now.
    Again,
    /// The state is set; wait.
    Pending,
}

pub(crate) fn new<F, Fut, T, E>(pipeline: &Pipeline, make: F) -> PlainCall<'_, F, Fut, T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    PipelineCall {
        pipeline,
        make,
        retry_if: |_| true,
        hint: |_| None,
        classify: |result| match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failure,
        },
        on_retry: |_| {},
        ledger: Ledger::new(),
        state: State::Idle,
    }
}

impl<'p, F, Fut: Future, E, P, H, C, O> PipelineCall<'p, F, Fut, E, P, H, C, O> {
    /// Retries only the call errors for which `predicate` returns `true`
    /// (default: all). Timeouts follow the retry policy's
    /// [`retry_timeouts`](crate::retry::RetryPolicy::retry_timeouts); a breaker refusal
    /// is retried after its cool-down unless
    /// [`Pipeline::retry_open`] says not.
    pub fn retry_if<P2>(self, predicate: P2) -> PipelineCall<'p, F, Fut, E, P2, H, C, O>
    where
        P2: FnMut(&E) -> bool,
    {
        PipelineCall {
            pipeline: self.pipeline,
            make: self.make,
            retry_if: predicate,
            hint: self.hint,
            classify: self.classify,
            on_retry: self.on_retry,
            ledger: self.ledger,
            state: self.state,
        }
    }

    /// A server-chosen delay carried by an error (`Retry-After`), used
    /// instead of the backoff delay (see [`Retry::hint`](crate::retry::Retry::hint)).
    /// A breaker refusal hints its own remaining cool-down.
    pub fn hint<H2>(self, hint: H2) -> PipelineCall<'p, F, Fut, E, P, H2, C, O>
    where
        H2: FnMut(&E) -> Option<Duration>,
    {
        PipelineCall {
            pipeline: self.pipeline,
            make: self.make,
            retry_if: self.retry_if,
            hint,
            classify: self.classify,
            on_retry: self.on_retry,
            ledger: self.ledger,
            state: self.state,
        }
    }

    /// What each result means to the circuit breaker (see
    /// [`Call::classify`](crate::breaker::Call::classify)). A timeout always
    /// counts as a failure, a cancellation never counts.
    pub fn classify<C2>(self, classify: C2) -> PipelineCall<'p, F, Fut, E, P, H, C2, O> {
        PipelineCall {
            pipeline: self.pipeline,
            make: self.make,
            retry_if: self.retry_if,
            hint: self.hint,
            classify,
            on_retry: self.on_retry,
            ledger: self.ledger,
            state: self.state,
        }
    }

    /// Calls `hook` before every retry (see [`Retry::on_retry`](crate::retry::Retry::on_retry)).
    pub fn on_retry<O2>(self, hook: O2) -> PipelineCall<'p, F, Fut, E, P, H, C, O2>
    where
        O2: FnMut(&RetryEvent<'_, CallError<E>>),
    {
        PipelineCall {
            pipeline: self.pipeline,
            make: self.make,
            retry_if: self.retry_if,
            hint: self.hint,
            classify: self.classify,
            on_retry: hook,
            ledger: self.ledger,
            state: self.state,
        }
    }
}

impl<F, Fut, T, E, P, H, C, O> PipelineCall<'_, F, Fut, E, P, H, C, O>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: FnMut(&E) -> bool,
    H: FnMut(&E) -> Option<Duration>,
    C: FnMut(&Result<T, E>) -> Outcome,
    O: FnMut(&RetryEvent<'_, CallError<E>>),
{
    fn stop(&mut self, reason: StopReason) -> RetryError<CallError<E>> {
        self.state = State::Done;
        self.ledger.stop(reason)
    }

    /// Starts an attempt: the breaker, then the limiter, then the call.
    #[inline(always)]
    fn start_attempt(&mut self) -> Started<Fut, E> {
        let pipeline = self.pipeline;
        let (after, deadline) = self.ledger.start(&pipeline.retry);
        let permit = match &pipeline.breaker {
            Some(breaker) => match breaker.try_acquire() {
                Ok(permit) => Some(permit),
                Err(open) => {
                    return Started::Refused(Box::new(AttemptError::Failed(CallError::Open(open))))
                }
            },
            None => None,
        };
        if let Some(limiter) = &pipeline.limiter {
            // The common case takes the permit at once, without a future.
            if !limiter.take_now(1) {
                let wait = Box::new(ferrio::timeout_at(deadline, limiter.acquire_owned(1)));
                self.state = State::Limiting(permit, wait);
                return Started::Waiting;
            }
        }
        Started::Call(permit, Cancellable::limited((self.make)(), after, deadline))
    }

    /// Polls a running call (after the checkpoint unless `checked`).
    #[inline(always)]
    fn poll_call(
        &mut self,
        permit: Option<CallPermit>,
        mut call: Cancellable<Fut>,
        checked: bool,
        cx: &mut Context<'_>,
    ) -> Step<T, E> {
        if !checked {
            if let Poll::Ready(c) = poll_cancelled(cx) {
                drop(permit); // a cancelled call is not recorded
                call.cancel();
                self.state = State::Cancelling(call, c);
                return Step::Again;
            }
        }
        match call.poll_finish(cx) {
            Poll::Pending => {
                self.state = State::Running(permit, call);
                Step::Pending
            }
            Poll::Ready(Finished::Output(result)) => {
                if let Some(permit) = permit {
                    permit.record((self.classify)(&result));
                }
                match result {
                    Ok(value) => {
                        self.state = State::Done;
                        Step::Value(value)
                    }
                    Err(e) => Step::Failed(Box::new(AttemptError::Failed(CallError::Failed(e)))),
                }
            }
            Poll::Ready(Finished::TimedOut(timeout)) => {
                if let Some(permit) = permit {
                    permit.failure();
                }
                Step::Failed(Box::new(AttemptError::TimedOut(timeout)))
            }
            Poll::Ready(Finished::Cancelled) => {
                unreachable!("a running call is cancelled only in Cancelling")
            }
        }
    }

    /// The call, once the rate permit is there.
    fn start_call(&mut self) -> Cancellable<Fut> {
        let (after, deadline) = self.ledger.limits(&self.pipeline.retry);
        Cancellable::limited((self.make)(), after, deadline)
    }

    /// After a failed attempt: the error that ends the call, or `None` with
    /// the backoff sleep set up.
    fn after_failure(
        &mut self,
        error: AttemptError<CallError<E>>,
    ) -> Option<RetryError<CallError<E>>> {
        let retry_open = self.pipeline.retry_open;
        let (retry_if, hint, on_retry) = (&mut self.retry_if, &mut self.hint, &mut self.on_retry);
        let retryable = |e: &CallError<E>| match e {
            CallError::Failed(e) => retry_if(e),
            CallError::Open(_) => retry_open,
        };
        let hint = |e: &CallError<E>| match e {
            CallError::Failed(e) => hint(e),
            CallError::Open(o) => o.retry_after(),
        };
        match self
            .ledger
            .after_failure(&self.pipeline.retry, error, retryable, hint, on_retry)
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

impl<F, Fut, T, E, P, H, C, O> Future for PipelineCall<'_, F, Fut, E, P, H, C, O>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    P: FnMut(&E) -> bool,
    H: FnMut(&E) -> Option<Duration>,
    C: FnMut(&Result<T, E>) -> Outcome,
    O: FnMut(&RetryEvent<'_, CallError<E>>),
{
    type Output = Result<T, RetryError<CallError<E>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Whether this poll already passed a cancellation point.
        let mut checked = false;
        // The first poll, straight through: the checkpoint, the first
        // attempt, and — the common case — its result.
        if let State::Idle = this.state {
            if let Poll::Ready(c) = poll_cancelled(cx) {
                return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))));
            }
            checked = true;
            let step = match this.start_attempt() {
                Started::Call(permit, call) => this.poll_call(permit, call, true, cx),
                Started::Waiting => Step::Again,
                Started::Refused(failure) => Step::Failed(failure),
            };
            match step {
                Step::Value(value) => return Poll::Ready(Ok(value)),
                Step::Pending => return Poll::Pending,
                Step::Again => {}
                Step::Failed(failure) => {
                    if let Some(err) = this.after_failure(*failure) {
                        return Poll::Ready(Err(err));
                    }
                }
            }
        }
        loop {
            let step = match std::mem::replace(&mut this.state, State::Done) {
                State::Idle => unreachable!("the first poll starts the first attempt"),
                State::Limiting(permit, mut wait) => match Pin::new(&mut *wait).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Limiting(permit, wait);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(Ok(()))) => {
                        // The acquire was the cancellation point.
                        checked = true;
                        let call = this.start_call();
                        this.poll_call(permit, call, true, cx)
                    }
                    Poll::Ready(Ok(Err(AcquireError::Cancelled(c)))) => {
                        return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))));
                    }
                    Poll::Ready(Ok(Err(AcquireError::ExceedsCapacity { .. }))) => {
                        unreachable!("one permit never exceeds a limiter's capacity")
                    }
                    // The budget ran out while waiting for the limiter; the
                    // breaker permit is dropped unrecorded.
                    Poll::Ready(Err(timeout)) => {
                        Step::Failed(Box::new(AttemptError::TimedOut(timeout)))
                    }
                },
                State::Running(permit, call) => this.poll_call(permit, call, checked, cx),
                State::Cancelling(mut call, c) => match call.poll_finish(cx) {
                    Poll::Pending => {
                        this.state = State::Cancelling(call, c);
                        return Poll::Pending;
                    }
                    Poll::Ready(Finished::Output(Ok(value))) => return Poll::Ready(Ok(value)),
                    Poll::Ready(_) => return Poll::Ready(Err(this.stop(StopReason::Cancelled(c)))),
                },
                State::Sleeping(mut sleep) => match Pin::new(&mut sleep).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Sleeping(sleep);
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(())) => {
                        // The sleep was the cancellation point.
                        checked = true;
                        match this.start_attempt() {
                            Started::Call(permit, call) => this.poll_call(permit, call, true, cx),
                            Started::Waiting => Step::Again,
                            Started::Refused(failure) => Step::Failed(failure),
                        }
                    }
                    Poll::Ready(Err(c)) => {
                        return Poll::Ready(Err(this.stop(StopReason::Cancelled(c))))
                    }
                },
                State::Done => panic!("`PipelineCall` polled after it completed"),
            };
            match step {
                Step::Value(value) => return Poll::Ready(Ok(value)),
                Step::Pending => return Poll::Pending,
                Step::Again => {}
                Step::Failed(failure) => {
                    if let Some(err) = this.after_failure(*failure) {
                        return Poll::Ready(Err(err));
                    }
                }
            }
        }
    }
}

// The call is boxed (see `Cancellable`); no other field is pinned.
impl<F, Fut: Future, E, P, H, C, O> Unpin for PipelineCall<'_, F, Fut, E, P, H, C, O> {}

impl<F, Fut: Future, E, P, H, C, O> fmt::Debug for PipelineCall<'_, F, Fut, E, P, H, C, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle => "idle",
            State::Limiting(..) => "waiting for the rate limiter",
            State::Running(..) => "calling",
            State::Cancelling(..) => "cancelling",
            State::Sleeping(_) => "backing off",
            State::Done => "done",
        };
        f.debug_struct("PipelineCall")
            .field("state", &state)
            .field("attempts", &self.ledger.attempts())
            .field("pipeline", self.pipeline)
            .finish_non_exhaustive()
    }
}
