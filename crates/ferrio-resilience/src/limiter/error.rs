//! Why a permit was not granted: [`AcquireError`], [`TryAcquireError`].

use std::fmt;
use std::time::{Duration, Instant};

use ferrio::Cancelled;

/// Why [`RateLimiter::acquire`](super::RateLimiter::acquire) gave no permits.
#[derive(Debug)]
pub enum AcquireError {
    /// The caller was cancelled while waiting; it took nothing and left the
    /// queue. Propagate it.
    Cancelled(Cancelled),
    /// More permits were asked for at once than the limiter ever holds (its
    /// burst, or its window's limit): waiting would never end.
    ExceedsCapacity {
        /// Permits asked for.
        requested: u32,
        /// The most the limiter grants at once.
        capacity: u32,
    },
}

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireError::Cancelled(c) => fmt::Display::fmt(c, f),
            AcquireError::ExceedsCapacity {
                requested,
                capacity,
            } => write!(
                f,
                "asked the rate limiter for {requested} permits at once, but it grants at most \
                 {capacity}: ask in smaller parts or raise its burst"
            ),
        }
    }
}

impl std::error::Error for AcquireError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AcquireError::Cancelled(c) => Some(c),
            AcquireError::ExceedsCapacity { .. } => None,
        }
    }
}

impl From<Cancelled> for AcquireError {
    fn from(c: Cancelled) -> AcquireError {
        AcquireError::Cancelled(c)
    }
}

/// Why [`RateLimiter::try_acquire`](super::RateLimiter::try_acquire) gave no
/// permits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// Not enough permits now, or other callers are already waiting (who
    /// come first).
    RateLimited {
        /// When the permits will be there, if no one is waiting ahead.
        retry_at: Option<Instant>,
        /// How long from now that is.
        retry_after: Option<Duration>,
    },
    /// More permits than the limiter ever grants at once.
    ExceedsCapacity {
        /// Permits asked for.
        requested: u32,
        /// The most the limiter grants at once.
        capacity: u32,
    },
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::RateLimited {
                retry_after: Some(after),
                ..
            } => write!(f, "rate limited: permits available again in {after:?}"),
            TryAcquireError::RateLimited { retry_after: None, .. } => f.write_str(
                "rate limited: other callers are waiting first; wait with `acquire` for a fair turn",
            ),
            TryAcquireError::ExceedsCapacity { requested, capacity } => write!(
                f,
                "asked the rate limiter for {requested} permits at once, but it grants at most \
                 {capacity}: ask in smaller parts or raise its burst"
            ),
        }
    }
}

impl std::error::Error for TryAcquireError {}
