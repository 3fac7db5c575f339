//! The main task of `run_until_complete`, whose future may borrow from the
//! caller's stack.

use std::future::Future;
use std::panic::{resume_unwind, Location};

use super::raw::RawTask;
use super::schedule::abort_now;
use crate::event_loop::inner::Inner;
use crate::event_loop::RunError;
use crate::task::{link, new_meta, spawn_record, JoinError, Task};

/// Runs `future` as the loop's main task until it completes or the loop is
/// stopped. The loop must be installed as the running one.
#[track_caller]
pub(crate) fn run_main<F: Future>(inner: &Inner, future: F) -> Result<F::Output, RunError> {
    let meta = new_meta(inner, Some("main".into()), Location::caller());
    // SAFETY: `future` may borrow from our caller. `MainGuard` drops it
    // (via `abort_now`) before this function returns or unwinds, unless it
    // already completed; its output is taken or dropped below, also before
    // we return.
    let allocated = unsafe { RawTask::allocate_unchecked(future, meta, spawn_record(inner)) };
    let task = link(inner, allocated);
    let guard = MainGuard { inner, task };
    // As asyncio: a `stop()` made before the run still lets one iteration
    // run.
    loop {
        inner.run_once().map_err(RunError::Poll)?;
        if guard.task.done() || inner.stopping.get() {
            break;
        }
    }
    let Some(result) = guard.task.try_result() else {
        return Err(RunError::Stopped);
    };
    drop(guard);
    match result {
        Ok(value) => Ok(value),
        Err(JoinError::Cancelled(c)) => Err(RunError::Cancelled(c)),
        Err(JoinError::Panicked(p)) => resume_unwind(p.into_panic()),
        Err(JoinError::ForeignLoop | JoinError::ResultTaken) => {
            unreachable!("the main task runs on its own loop and is joined once")
        }
    }
}

struct MainGuard<'a, T> {
    inner: &'a Inner,
    task: Task<T>,
}

impl<T> Drop for MainGuard<'_, T> {
    fn drop(&mut self) {
        self.task.raw().meta().set(super::header::DETACHED);
        abort_now(self.inner, self.task.raw());
        // Dropping `task` drops any output still stored.
    }
}
