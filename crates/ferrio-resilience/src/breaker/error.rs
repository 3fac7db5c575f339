//! Why a call through the breaker gave no value: [`BreakerOpen`],
//! [`BreakerError`].

use std::fmt;
use std::time::{Duration, Instant};

use ferrio::Cancelled;

use super::CircuitState;

/// The breaker refused the call without running it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerOpen {
    pub(crate) state: CircuitState,
    pub(crate) retry_at: Option<Instant>,
    pub(crate) retry_after: Option<Duration>,
}

impl BreakerOpen {
    /// The breaker's state: `Open`, or `HalfOpen` with every trial slot in use.
    pub fn state(&self) -> CircuitState {
        self.state
    }

    /// When the next trial call is allowed (loop time), if known: the end of
    /// the cool-down when open; `None` when half-open (a slot frees when a
    /// trial call finishes).
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// How long from the refusal until [`retry_at`](Self::retry_at): a
    /// ready-made `Retry-After` for a retry loop's
    /// [`hint`](crate::retry::Retry::hint).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for BreakerOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.retry_after {
            Some(after) => write!(
                f,
                "circuit breaker is open after repeated failures: calls fail fast for {after:?} more, \
                 then a trial call is allowed"
            ),
            None => f.write_str(
                "circuit breaker is half-open and all its trial calls are in flight: \
                 retry once they finish",
            ),
        }
    }
}

impl std::error::Error for BreakerOpen {}

/// Why [`CircuitBreaker::call`](super::CircuitBreaker::call) gave no value.
#[derive(Debug)]
pub enum BreakerError<E> {
    /// Refused: the breaker is open (or its trial slots are busy); the call
    /// was not made.
    Open(BreakerOpen),
    /// The call returned this error (recorded as the classifier said).
    Failed(E),
    /// The caller was cancelled during the call, which was cancelled in turn
    /// and waited for; not recorded. Propagate it.
    Cancelled(Cancelled),
}

impl<E> BreakerError<E> {
    /// The refusal, if the breaker refused the call.
    pub fn open(&self) -> Option<&BreakerOpen> {
        match self {
            BreakerError::Open(o) => Some(o),
            _ => None,
        }
    }

    /// The call's own error, if it returned one.
    pub fn failed(&self) -> Option<&E> {
        match self {
            BreakerError::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the caller was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, BreakerError::Cancelled(_))
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Open(o) => fmt::Display::fmt(o, f),
            BreakerError::Failed(e) => fmt::Display::fmt(e, f),
            BreakerError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for BreakerError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BreakerError::Open(o) => Some(o),
            BreakerError::Failed(e) => Some(e),
            BreakerError::Cancelled(c) => Some(c),
        }
    }
}

impl<E> From<BreakerOpen> for BreakerError<E> {
    fn from(open: BreakerOpen) -> BreakerError<E> {
        BreakerError::Open(open)
    }
}
