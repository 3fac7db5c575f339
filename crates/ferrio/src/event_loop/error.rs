//! Errors of the event loop layer.

use std::fmt;
use std::io;

use crate::task::Cancelled;

/// Why running a future on a loop failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// A loop is already running on this thread: `run`/`run_until_complete`
    /// cannot nest. Await the future, or `spawn` it, instead.
    AlreadyRunning,
    /// The loop was closed. Build a new `EventLoop`.
    Closed,
    /// `stop()` was called before the future completed.
    Stopped,
    /// The main future was cancelled (it returned the `Cancelled` that was
    /// delivered to it).
    Cancelled(Cancelled),
    /// Setting up the loop's OS resources failed.
    Io(io::Error),
    /// Ctrl-C (`SIGINT`) interrupted the run: the main task was cancelled
    /// and its cleanup ran. Exit with code 130, as a shell does.
    Interrupted,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::AlreadyRunning => f.write_str(
                "cannot run an event loop while another one is running on this thread; \
                 await the future or spawn it instead",
            ),
            RunError::Closed => f.write_str("the event loop is closed; build a new EventLoop"),
            RunError::Stopped => {
                f.write_str("the event loop was stopped before the future completed")
            }
            RunError::Cancelled(c) => write!(f, "the main task was cancelled ({c})"),
            RunError::Io(e) => write!(f, "cannot set up the event loop: {e}"),
            RunError::Interrupted => f.write_str("interrupted by SIGINT (Ctrl-C)"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Io(e) => Some(e),
            RunError::Cancelled(c) => Some(c),
            _ => None,
        }
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Io(e)
    }
}

/// Why a task or callback could not be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// No event loop is running on this thread. Spawn from inside
    /// `ferrio::run`, or through a loop's `Handle`.
    NoRunningLoop,
    /// The loop has been closed and will never run the task.
    Closed,
    /// The task group is shutting down (a child failed, or it finished):
    /// it takes no new tasks.
    GroupShuttingDown,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoRunningLoop => f.write_str(
                "no event loop is running on this thread; spawn from inside ferrio::run \
                 or through an event loop Handle",
            ),
            SpawnError::Closed => f.write_str("the event loop is closed; it will never run this"),
            SpawnError::GroupShuttingDown => f.write_str(
                "the task group is shutting down (a task failed, or the group finished); \
                 it takes no new tasks",
            ),
        }
    }
}

impl std::error::Error for SpawnError {}

/// The loop is closed: a callback sent with
/// [`ThreadsafeHandle::call_soon_threadsafe`](crate::ThreadsafeHandle::call_soon_threadsafe)
/// or scheduled through a [`Handle`](crate::Handle) would never run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop is closed; the callback will never run")
    }
}

impl std::error::Error for LoopClosed {}
