//! [`CallError`]: why one attempt through a [`Pipeline`](super::Pipeline)
//! failed, and [`PipelineError`], why the whole call did.

use std::fmt;

use crate::breaker::BreakerOpen;
use crate::retry::RetryError;

/// Why one attempt of a [`Pipeline`](super::Pipeline) call failed (besides
/// timing out, which is [`AttemptError::TimedOut`](crate::retry::AttemptError::TimedOut)).
#[derive(Debug)]
pub enum CallError<E> {
    /// The call returned this error.
    Failed(E),
    /// The circuit breaker refused the attempt without calling.
    Open(BreakerOpen),
}

impl<E> CallError<E> {
    /// The call's own error, if it returned one.
    pub fn failed(&self) -> Option<&E> {
        match self {
            CallError::Failed(e) => Some(e),
            CallError::Open(_) => None,
        }
    }

    /// The breaker's refusal, if it refused.
    pub fn open(&self) -> Option<&BreakerOpen> {
        match self {
            CallError::Failed(_) => None,
            CallError::Open(o) => Some(o),
        }
    }
}

impl<E: fmt::Display> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Failed(e) => fmt::Display::fmt(e, f),
            CallError::Open(o) => fmt::Display::fmt(o, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for CallError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CallError::Failed(e) => Some(e),
            CallError::Open(o) => Some(o),
        }
    }
}

/// Why a [`Pipeline`](super::Pipeline) call gave no value: the retry
/// loop's verdict over its attempts' [`CallError`]s (one attempt without a
/// retry policy).
pub type PipelineError<E> = RetryError<CallError<E>>;
