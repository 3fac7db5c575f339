//! The queue errors: asyncio's `QueueFull`, `QueueEmpty`, `QueueShutDown`
//! and the `ValueError` of a `task_done()` too many, as values. Every error
//! of an operation that was handed an item gives the item back.
//!
//! The `Debug` impls never print the item, so the errors work with any `T`.

use std::fmt;

use crate::task::Cancelled;

/// The queue is full: asyncio's `QueueFull`. Holds the item that was not
/// put.
pub struct QueueFull<T>(pub T);

/// The queue has no item to take: asyncio's `QueueEmpty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEmpty;

/// The queue was shut down: asyncio's `QueueShutDown`. From a put it holds
/// the item that was not put; from a get it holds nothing (`QueueShutDown<()>`).
pub struct QueueShutDown<T = ()>(pub T);

/// [`task_done`](super::BaseQueue::task_done) was called more times than
/// items were put: asyncio's `ValueError("task_done() called too many
/// times")`. Nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

/// Why [`put_nowait`](super::BaseQueue::put_nowait) failed; the item is in
/// the error.
pub enum TryPutError<T> {
    /// The queue is full.
    Full(QueueFull<T>),
    /// The queue was shut down.
    ShutDown(QueueShutDown<T>),
}

/// Why [`get_nowait`](super::BaseQueue::get_nowait) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// No item to take now.
    Empty(QueueEmpty),
    /// The queue was shut down and nothing is left to take.
    ShutDown(QueueShutDown),
}

/// Why [`put`](super::BaseQueue::put) failed; the item is in the error and
/// was not put.
pub enum PutError<T> {
    /// The queue was shut down, before or while waiting for room.
    ShutDown(QueueShutDown<T>),
    /// The putting task was cancelled while waiting for room.
    Cancelled {
        /// The item that was not put.
        item: T,
        /// The task's cancellation: propagate it to end the task cancelled.
        cancelled: Cancelled,
    },
}

/// Why [`get`](super::BaseQueue::get) failed; no item was taken.
#[derive(Debug, Clone)]
pub enum GetError {
    /// The queue was shut down and nothing is left to take.
    ShutDown(QueueShutDown),
    /// The getting task was cancelled while waiting.
    Cancelled(Cancelled),
}

impl<T> QueueFull<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> QueueShutDown<T> {
    /// The item that was not put (`()` from a get).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(QueueFull(item)) | TryPutError::ShutDown(QueueShutDown(item)) => item,
        }
    }

    /// Whether the queue was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl TryGetError {
    /// Whether the queue was just empty.
    pub fn is_empty(&self) -> bool {
        matches!(self, TryGetError::Empty(_))
    }

    /// Whether the queue was shut down (and drained).
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryGetError::ShutDown(_))
    }
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::ShutDown(QueueShutDown(item)) | PutError::Cancelled { item, .. } => item,
        }
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, PutError::Cancelled { .. })
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, PutError::ShutDown(_))
    }
}

impl GetError {
    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, GetError::Cancelled(_))
    }

    /// Whether the queue was shut down (and drained).
    pub fn is_shut_down(&self) -> bool {
        matches!(self, GetError::ShutDown(_))
    }
}

impl From<Cancelled> for GetError {
    fn from(c: Cancelled) -> GetError {
        GetError::Cancelled(c)
    }
}

impl<T> From<QueueFull<T>> for TryPutError<T> {
    fn from(e: QueueFull<T>) -> TryPutError<T> {
        TryPutError::Full(e)
    }
}

impl<T> From<QueueShutDown<T>> for TryPutError<T> {
    fn from(e: QueueShutDown<T>) -> TryPutError<T> {
        TryPutError::ShutDown(e)
    }
}

// `Debug` without `T: Debug`, so that every error is a `std::error::Error`.

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(e) => f.debug_tuple("Full").field(e).finish(),
            TryPutError::ShutDown(e) => f.debug_tuple("ShutDown").field(e).finish(),
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::ShutDown(e) => f.debug_tuple("ShutDown").field(e).finish(),
            PutError::Cancelled { cancelled, .. } => f
                .debug_struct("Cancelled")
                .field("cancelled", cancelled)
                .finish_non_exhaustive(),
        }
    }
}

impl<T> Clone for QueueShutDown<T>
where
    T: Clone,
{
    fn clone(&self) -> QueueShutDown<T> {
        QueueShutDown(self.0.clone())
    }
}

impl<T: Copy> Copy for QueueShutDown<T> {}

impl<T: PartialEq> PartialEq for QueueShutDown<T> {
    fn eq(&self, other: &QueueShutDown<T>) -> bool {
        self.0 == other.0
    }
}

impl<T: Eq> Eq for QueueShutDown<T> {}

const FULL: &str = "the queue is full: wait for room with `put(item).await`, \
                    or retry after a consumer has taken an item";
const SHUT_DOWN: &str = "the queue was shut down: it takes no more items, \
                         and gets fail once it is drained";
const SHUT_DOWN_PUT: &str =
    "the queue was shut down: it takes no more items (the item is in the error)";
const SHUT_DOWN_GET: &str = "the queue was shut down and has no item left: stop consuming";

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(FULL)
    }
}

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the queue is empty: wait for an item with `get().await`, \
             or retry after a producer has put one",
        )
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SHUT_DOWN)
    }
}

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "task_done() called too many times: call it once for each item taken from \
             the queue, after processing it",
        )
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(e) => e.fmt(f),
            TryPutError::ShutDown(_) => f.write_str(SHUT_DOWN_PUT),
        }
    }
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty(e) => e.fmt(f),
            TryGetError::ShutDown(_) => f.write_str(SHUT_DOWN_GET),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::ShutDown(_) => f.write_str(SHUT_DOWN_PUT),
            PutError::Cancelled { cancelled, .. } => write!(
                f,
                "{cancelled} while waiting to put (the item was not put; it is in the error)"
            ),
        }
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::ShutDown(_) => f.write_str(SHUT_DOWN_GET),
            GetError::Cancelled(c) => write!(f, "{c} while waiting to get (no item was taken)"),
        }
    }
}

impl<T> std::error::Error for QueueFull<T> {}
impl std::error::Error for QueueEmpty {}
impl<T> std::error::Error for QueueShutDown<T> {}
impl std::error::Error for TaskDoneError {}
impl<T> std::error::Error for TryPutError<T> {}
impl std::error::Error for TryGetError {}

impl<T> std::error::Error for PutError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PutError::Cancelled { cancelled, .. } => Some(cancelled),
            PutError::ShutDown(_) => None,
        }
    }
}

impl std::error::Error for GetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GetError::Cancelled(c) => Some(c),
            GetError::ShutDown(_) => None,
        }
    }
}
