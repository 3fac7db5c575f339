//! Why a retry loop gave up: [`RetryError`], [`AttemptError`], [`StopReason`].

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use ferrio::{Cancelled, TimeoutError};

/// Why one attempt failed.
#[derive(Debug)]
pub enum AttemptError<E> {
    /// The attempt returned this error.
    Failed(E),
    /// The attempt ran past its time limit (the per-attempt timeout or the
    /// end of the total budget), was cancelled, and ended by that.
    TimedOut(TimeoutError),
}

impl<E> AttemptError<E> {
    /// The attempt's own error, if it returned one.
    pub fn failed(&self) -> Option<&E> {
        match self {
            AttemptError::Failed(e) => Some(e),
            AttemptError::TimedOut(_) => None,
        }
    }

    /// Whether the attempt timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, AttemptError::TimedOut(_))
    }
}

impl<E: fmt::Display> fmt::Display for AttemptError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::Failed(e) => fmt::Display::fmt(e, f),
            AttemptError::TimedOut(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for AttemptError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AttemptError::Failed(e) => Some(e),
            AttemptError::TimedOut(e) => Some(e),
        }
    }
}

/// Why the retry loop stopped without a success.
#[derive(Debug)]
#[non_exhaustive]
pub enum StopReason {
    /// The last error is one the retry predicate does not retry (or a
    /// timeout, with [`retry_timeouts(false)`](super::RetryPolicy::retry_timeouts)).
    NotRetryable,
    /// Every allowed attempt failed.
    AttemptsExhausted,
    /// The total time budget ran out, or the next delay would have ended
    /// past it.
    TimeExhausted {
        /// The policy's budget.
        budget: Duration,
    },
    /// The caller was cancelled, during an attempt (which was cancelled in
    /// turn and waited for) or a backoff sleep. Propagate it: it is the
    /// caller's own cancellation.
    Cancelled(Cancelled),
}

/// A retry loop that ended without a success: why, after how many
/// attempts, and the most recent attempt errors.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::retry::{retry, RetryPolicy, StopReason};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let policy = RetryPolicy::fixed(Duration::from_secs(1)).max_attempts(3);
///         let err = retry(policy, || async { Err::<(), _>("unavailable") }).await.unwrap_err();
///         assert!(matches!(err.reason(), StopReason::AttemptsExhausted));
///         assert_eq!(err.attempts(), 3);
///         assert_eq!(err.errors().len(), 3);
///         assert_eq!(err.last().and_then(|e| e.failed()), Some(&"unavailable"));
///     })
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct RetryError<E> {
    pub(crate) reason: StopReason,
    pub(crate) attempts: u32,
    pub(crate) errors: VecDeque<AttemptError<E>>,
    pub(crate) dropped: u32,
}

impl<E> RetryError<E> {
    /// Why the loop stopped.
    pub fn reason(&self) -> &StopReason {
        &self.reason
    }

    /// How many attempts were started (a cancelled one included).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The kept attempt errors, oldest first (the most recent
    /// [`keep_errors`](super::RetryPolicy::keep_errors) of them).
    pub fn errors(&self) -> impl ExactSizeIterator<Item = &AttemptError<E>> + '_ {
        self.errors.iter()
    }

    /// How many older attempt errors were not kept.
    pub fn dropped_errors(&self) -> u32 {
        self.dropped
    }

    /// The last attempt's error (`None` if the caller was cancelled before
    /// any attempt finished).
    pub fn last(&self) -> Option<&AttemptError<E>> {
        self.errors.back()
    }

    /// The last attempt's error, by value.
    pub fn into_last(mut self) -> Option<AttemptError<E>> {
        self.errors.pop_back()
    }

    /// The kept attempt errors, oldest first, by value.
    pub fn into_errors(self) -> Vec<AttemptError<E>> {
        self.errors.into()
    }

    /// Whether the loop stopped because the caller was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.reason, StopReason::Cancelled(_))
    }

    /// The caller's cancellation, if that is why the loop stopped: return
    /// it (it ends the caller cancelled).
    pub fn into_cancelled(self) -> Option<Cancelled> {
        match self.reason {
            StopReason::Cancelled(c) => Some(c),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.attempts;
        let plural = if n == 1 { "" } else { "s" };
        match &self.reason {
            StopReason::NotRetryable => write!(
                f,
                "attempt {n} failed with an error the retry policy does not retry"
            )?,
            StopReason::AttemptsExhausted => write!(
                f,
                "gave up after {n} attempt{plural}; allow more attempts or fix the cause"
            )?,
            StopReason::TimeExhausted { budget } => write!(
                f,
                "gave up after {n} attempt{plural}: the retry time budget of {budget:?} ran out; \
                 allow more time or fix the cause"
            )?,
            StopReason::Cancelled(c) => {
                return write!(f, "retry {c} after {n} attempt{plural}");
            }
        }
        match self.errors.back() {
            Some(last) => write!(f, "; last error: {last}"),
            None => Ok(()),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            StopReason::Cancelled(c) => Some(c),
            _ => self
                .errors
                .back()
                .map(|e| e as &(dyn std::error::Error + 'static)),
        }
    }
}
