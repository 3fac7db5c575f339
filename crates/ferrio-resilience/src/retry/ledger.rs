//! [`Ledger`]: a retry loop's bookkeeping — attempts, kept errors, the time
//! budget, the backoff — and its decision after each failure. Shared by
//! [`Retry`](super::Retry) and the pipeline's call.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{AttemptError, Backoff, RetryError, RetryEvent, RetryPolicy, StopReason};

/// Small until the first failure: a call that succeeds at once carries
/// three words of bookkeeping and allocates none.
#[derive(Debug)]
pub(crate) struct Ledger<E> {
    attempts: u32,
    /// End of the total budget, fixed when the first attempt starts.
    deadline: Option<Instant>,
    /// Created at the first failure.
    failures: Option<Box<Failures<E>>>,
}

#[derive(Debug)]
struct Failures<E> {
    errors: VecDeque<AttemptError<E>>,
    dropped: u32,
    backoff: Option<Backoff>,
}

impl<E> Ledger<E> {
    pub(crate) const fn new() -> Ledger<E> {
        Ledger {
            attempts: 0,
            deadline: None,
            failures: None,
        }
    }

    fn failures(&mut self) -> &mut Failures<E> {
        self.failures.get_or_insert_with(|| {
            Box::new(Failures {
                errors: VecDeque::new(),
                dropped: 0,
                backoff: None,
            })
        })
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Counts a new attempt; returns its time limits: the per-attempt
    /// timeout and the end of the total budget.
    #[inline]
    pub(crate) fn start(&mut self, policy: &RetryPolicy) -> (Option<Duration>, Option<Instant>) {
        self.attempts += 1;
        if self.attempts == 1 {
            if let Some(budget) = policy.max_elapsed {
                self.deadline = Some(ferrio::now() + budget);
            }
        }
        (policy.attempt_timeout, self.deadline)
    }

    /// The current attempt's time limits (as [`start`](Self::start) gave).
    pub(crate) fn limits(&self, policy: &RetryPolicy) -> (Option<Duration>, Option<Instant>) {
        (policy.attempt_timeout, self.deadline)
    }

    fn keep(&mut self, keep: usize, error: AttemptError<E>) {
        let f = self.failures();
        if keep == 0 {
            f.dropped = f.dropped.saturating_add(1);
            return;
        }
        if f.errors.len() == keep {
            f.errors.pop_front();
            f.dropped = f.dropped.saturating_add(1);
        }
        f.errors.push_back(error);
    }

    /// Ends the loop.
    pub(crate) fn stop(&mut self, reason: StopReason) -> RetryError<E> {
        let (errors, dropped) = match self.failures.take() {
            Some(f) => (f.errors, f.dropped),
            None => (VecDeque::new(), 0),
        };
        RetryError {
            reason,
            attempts: self.attempts,
            errors,
            dropped,
        }
    }

    /// After a failed attempt: the delay before the next one, or the error
    /// that ends the loop. `retryable` and `hint` are asked about the
    /// attempt's own errors; `hook` is told about a retry before it sleeps.
    pub(crate) fn after_failure(
        &mut self,
        policy: &RetryPolicy,
        error: AttemptError<E>,
        retryable: impl FnOnce(&E) -> bool,
        hint: impl FnOnce(&E) -> Option<Duration>,
        hook: impl FnOnce(&RetryEvent<'_, E>),
    ) -> Result<Duration, RetryError<E>> {
        let deadline = self.deadline;
        let now = deadline.map(|_| ferrio::now());
        let out_of_time = move |delay: Duration| match (deadline, now) {
            (Some(deadline), Some(now)) => now + delay >= deadline,
            _ => false,
        };
        let budget = policy.max_elapsed.unwrap_or_default();
        let stop = if out_of_time(Duration::ZERO) {
            Some(StopReason::TimeExhausted { budget })
        } else if !match &error {
            AttemptError::Failed(e) => retryable(e),
            AttemptError::TimedOut(_) => policy.retry_timeouts,
        } {
            Some(StopReason::NotRetryable)
        } else if policy.max_attempts.is_some_and(|max| self.attempts >= max) {
            Some(StopReason::AttemptsExhausted)
        } else {
            None
        };
        if let Some(reason) = stop {
            self.keep(policy.keep_errors, error);
            return Err(self.stop(reason));
        }
        let scheduled = self
            .failures()
            .backoff
            .get_or_insert_with(|| Backoff::new(policy))
            .next_delay();
        let hinted = match &error {
            AttemptError::Failed(e) => hint(e),
            AttemptError::TimedOut(_) => None,
        };
        let delay = hinted.unwrap_or(scheduled);
        if out_of_time(delay) {
            self.keep(policy.keep_errors, error);
            return Err(self.stop(StopReason::TimeExhausted { budget }));
        }
        hook(&RetryEvent {
            attempt: self.attempts,
            error: &error,
            delay,
            hinted: hinted.is_some(),
        });
        self.keep(policy.keep_errors, error);
        Ok(delay)
    }
}
