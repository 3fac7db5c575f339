//! The errors of [`Promise`](super::Promise): why an awaiter got no value,
//! and settling twice.

use std::fmt;

use crate::Cancelled;

/// Why awaiting a [`Promise`](super::Promise) gave no value.
#[derive(Debug, Clone)]
pub enum PromiseError<E> {
    /// The promise was settled with [`set_exception`](super::Promise::set_exception).
    Failed(E),
    /// The promise was cancelled, or the awaiting task was (then it is that
    /// task's own `Cancelled`: propagate it).
    Cancelled(Cancelled),
}

impl<E> PromiseError<E> {
    /// Whether this is [`PromiseError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, PromiseError::Cancelled(_))
    }

    /// The error given to `set_exception`, if that is what this is.
    pub fn into_failed(self) -> Option<E> {
        match self {
            PromiseError::Failed(e) => Some(e),
            PromiseError::Cancelled(_) => None,
        }
    }
}

impl<E> From<Cancelled> for PromiseError<E> {
    fn from(c: Cancelled) -> PromiseError<E> {
        PromiseError::Cancelled(c)
    }
}

impl<E: fmt::Display> fmt::Display for PromiseError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromiseError::Failed(e) => write!(f, "the promise failed: {e}"),
            PromiseError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for PromiseError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PromiseError::Failed(_) => None,
            PromiseError::Cancelled(c) => Some(c),
        }
    }
}

/// The promise was already settled: asyncio's `InvalidStateError`. A
/// promise is set (or failed, or cancelled) once; check
/// [`done`](super::Promise::done) first if several parties may settle it.
/// Gives back the value that was not stored.
pub struct InvalidState<T>(pub T);

impl<T> InvalidState<T> {
    /// The value that was not stored.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for InvalidState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvalidState(..)")
    }
}

impl<T> fmt::Display for InvalidState<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the promise is already settled; a promise is set, failed or cancelled only once \
             (check done() first if several parties may settle it)",
        )
    }
}

impl<T> std::error::Error for InvalidState<T> {}
