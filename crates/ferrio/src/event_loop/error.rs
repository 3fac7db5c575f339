//! Errors of the event loop layer: one type per meaning — [`LoopClosed`]
//! wherever "the loop is closed" is the answer, inside [`RunError`] and
//! [`SpawnError`] too.

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
    /// The loop was closed.
    LoopClosed(LoopClosed),
    /// `stop()` was called before the future completed.
    Stopped,
    /// The main future was cancelled (it returned the `Cancelled` that was
    /// delivered to it).
    Cancelled(Cancelled),
    /// Creating the loop's OS resources (its poller) failed.
    Setup(io::Error),
    /// Polling the OS for readiness failed while the loop ran.
    Poll(io::Error),
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
            RunError::LoopClosed(e) => fmt::Display::fmt(e, f),
            RunError::Stopped => {
                f.write_str("the event loop was stopped before the future completed")
            }
            RunError::Cancelled(c) => write!(f, "the main task was cancelled ({c})"),
            RunError::Setup(e) => write!(
                f,
                "cannot set up the event loop: {e} (check the process's limit on open files)"
            ),
            RunError::Poll(e) => write!(f, "the event loop's OS poll failed while running: {e}"),
            RunError::Interrupted => f.write_str("interrupted by SIGINT (Ctrl-C)"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::LoopClosed(e) => Some(e),
            RunError::Setup(e) | RunError::Poll(e) => Some(e),
            RunError::Cancelled(c) => Some(c),
            RunError::AlreadyRunning | RunError::Stopped | RunError::Interrupted => None,
        }
    }
}

impl From<LoopClosed> for RunError {
    fn from(e: LoopClosed) -> RunError {
        RunError::LoopClosed(e)
    }
}

/// Why a task could not be spawned on a loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// No event loop is running on this thread. Spawn from inside
    /// `ferrio::run`, or through a loop's `Handle`.
    NoRunningLoop,
    /// The loop has been closed and will never run the task.
    LoopClosed(LoopClosed),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoRunningLoop => f.write_str(
                "no event loop is running on this thread; spawn from inside ferrio::run \
                 or through an event loop Handle",
            ),
            SpawnError::LoopClosed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::LoopClosed(e) => Some(e),
            SpawnError::NoRunningLoop => None,
        }
    }
}

impl From<LoopClosed> for SpawnError {
    fn from(e: LoopClosed) -> SpawnError {
        SpawnError::LoopClosed(e)
    }
}

/// The loop is closed: it runs nothing more — no task, no callback sent
/// with [`ThreadsafeHandle::call_soon_threadsafe`](crate::ThreadsafeHandle::call_soon_threadsafe)
/// or scheduled through a [`Handle`](crate::Handle), no future submitted to
/// it. The one type for that answer across the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the event loop is closed and runs nothing more; build a new EventLoop \
             (or keep this one open until the work is done)",
        )
    }
}

impl std::error::Error for LoopClosed {}
