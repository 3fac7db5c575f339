//! Why awaiting a task gave no value.

use std::any::Any;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, Mutex};

use super::Cancelled;

/// The task or promise is not done yet, so it has no outcome to look at:
/// asyncio's `InvalidStateError` from `result()` or `exception()` on a
/// pending future. Await it, or check `done()` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotDone;

impl fmt::Display for NotDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not done yet: await it, or check done() before asking for its outcome")
    }
}

impl std::error::Error for NotDone {}

/// Why a task produced no value.
#[derive(Debug)]
#[non_exhaustive]
pub enum JoinError {
    /// The task ended cancelled (or the awaiting task was cancelled while it
    /// waited: either way, propagate it).
    Cancelled(Cancelled),
    /// The task panicked.
    Panicked(PanicError),
    /// The task belongs to another event loop, which is not running: await
    /// it from the loop that spawned it.
    ForeignLoop,
    /// The task's value was already taken, by an earlier
    /// [`try_result`](super::Task::try_result) or await: a value is taken
    /// once.
    ResultTaken,
}

/// `is_cancelled()` and `is_panic()` for an enum saying why there is no
/// value, with `Cancelled(_)` and `Panicked(_)` variants: one definition
/// for [`JoinError`], `BlockingError` and `SubmitError`.
macro_rules! cancelled_or_panicked {
    ($ty:ident) => {
        impl $ty {
            #[doc = concat!("Whether this is [`", stringify!($ty), "::Cancelled`].")]
            pub fn is_cancelled(&self) -> bool {
                matches!(self, $ty::Cancelled(_))
            }

            #[doc = concat!("Whether this is [`", stringify!($ty), "::Panicked`].")]
            pub fn is_panic(&self) -> bool {
                matches!(self, $ty::Panicked(_))
            }
        }
    };
}
pub(crate) use cancelled_or_panicked;

cancelled_or_panicked!(JoinError);

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled(c) => fmt::Display::fmt(c, f),
            JoinError::Panicked(p) => fmt::Display::fmt(p, f),
            JoinError::ForeignLoop => f.write_str(
                "this task belongs to another event loop, which is not running; \
                 await it from the loop that spawned it",
            ),
            JoinError::ResultTaken => f.write_str(
                "the task's value was already taken by an earlier try_result() or await; \
                 keep the value from that first call",
            ),
        }
    }
}

impl std::error::Error for JoinError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JoinError::Cancelled(c) => Some(c),
            JoinError::Panicked(p) => Some(p),
            JoinError::ForeignLoop | JoinError::ResultTaken => None,
        }
    }
}

impl From<Cancelled> for JoinError {
    fn from(c: Cancelled) -> JoinError {
        JoinError::Cancelled(c)
    }
}

/// A task's panic: its message, the task, and the payload to resume with.
pub struct PanicError {
    pub(crate) message: Arc<str>,
    pub(crate) task: Arc<str>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) payload: Mutex<Option<Box<dyn Any + Send>>>,
}

impl PanicError {
    /// The panic message (`"<non-string panic payload>"` if it was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The name of the task that panicked.
    pub fn task_name(&self) -> &str {
        &self.task
    }

    /// Where that task was spawned.
    pub fn spawn_location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The panic payload, to resume unwinding with
    /// `std::panic::resume_unwind`. If it was already handed out (only the
    /// first retrieval of a task's panic gets it), the message as a `String`.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        let payload = self.payload.into_inner().unwrap_or_else(|e| e.into_inner());
        payload.unwrap_or_else(|| Box::new(self.message.to_string()))
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicError")
            .field("message", &self.message)
            .field("task", &self.task)
            .field("location", &format_args!("{}", self.location))
            .finish()
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task '{}' (spawned at {}) panicked: {}",
            self.task, self.location, self.message
        )
    }
}

impl std::error::Error for PanicError {}

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<non-string panic payload>"
    }
}
