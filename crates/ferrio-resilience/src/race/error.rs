//! Why a race or a first-success gave no value: [`RaceError`],
//! [`FirstOkError`], [`Failure`].

use std::fmt;

use ferrio::{Cancelled, JoinError};

/// Why [`race`](super::race) gave no value.
#[derive(Debug)]
pub enum RaceError {
    /// No futures were given: there is nothing to race.
    Empty,
    /// The first child to finish panicked (or was cancelled from outside):
    /// that is the race's outcome, as a rejection is for `Promise.race`.
    Child(JoinError),
    /// The caller was cancelled; every child was cancelled and waited for.
    /// Propagate it.
    Cancelled(Cancelled),
}

impl fmt::Display for RaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaceError::Empty => f.write_str("race of no futures: give it at least one"),
            RaceError::Child(e) => write!(f, "the first future to finish failed: {e}"),
            RaceError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl std::error::Error for RaceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RaceError::Empty => None,
            RaceError::Child(e) => Some(e),
            RaceError::Cancelled(c) => Some(c),
        }
    }
}

/// Why one contender produced no success.
#[derive(Debug)]
pub enum Failure<E> {
    /// It returned this error.
    Error(E),
    /// It panicked, or was cancelled from outside.
    Join(JoinError),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => fmt::Display::fmt(e, f),
            Failure::Join(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Failure<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failure::Error(e) => Some(e),
            Failure::Join(e) => Some(e),
        }
    }
}

/// Why [`first_ok`](super::first_ok) or [`hedge`](crate::hedge::hedge) gave
/// no value: JavaScript's `AggregateError`, or the caller's cancellation.
#[derive(Debug)]
pub enum FirstOkError<E> {
    /// Every contender failed; their failures in input (or launch) order.
    /// Empty if none was given.
    AllFailed(Vec<Failure<E>>),
    /// The caller was cancelled; every contender was cancelled and waited
    /// for. Propagate it.
    Cancelled(Cancelled),
}

impl<E> FirstOkError<E> {
    /// The failures, if every contender failed.
    pub fn failures(&self) -> Option<&[Failure<E>]> {
        match self {
            FirstOkError::AllFailed(f) => Some(f),
            FirstOkError::Cancelled(_) => None,
        }
    }

    /// Whether the caller was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, FirstOkError::Cancelled(_))
    }
}

impl<E: fmt::Display> fmt::Display for FirstOkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FirstOkError::AllFailed(failures) if failures.is_empty() => {
                f.write_str("no futures were given, so none could succeed")
            }
            FirstOkError::AllFailed(failures) => {
                write!(f, "all {} attempts failed", failures.len())?;
                if let Some(last) = failures.last() {
                    write!(f, "; the last: {last}")?;
                }
                Ok(())
            }
            FirstOkError::Cancelled(c) => fmt::Display::fmt(c, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for FirstOkError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FirstOkError::AllFailed(failures) => failures
                .last()
                .map(|f| f as &(dyn std::error::Error + 'static)),
            FirstOkError::Cancelled(c) => Some(c),
        }
    }
}
