//! [`MonitorTask`]: the background task of a diagnostics monitor
//! ([`LagMonitor`](super::LagMonitor), [`Watchdog`](super::Watchdog)) —
//! spawned detached and named, stopped (aborted) when the monitor is
//! stopped or dropped.

use std::future::Future;

use crate::event_loop::SpawnError;
use crate::task::{self, TaskRef};

/// A monitor's task: runs until stopped, and stops when dropped.
#[derive(Debug)]
pub(crate) struct MonitorTask {
    task: TaskRef,
}

impl MonitorTask {
    /// Spawns `future` on the running loop as a detached task named `name`.
    #[track_caller]
    pub(crate) fn start<F>(name: &'static str, future: F) -> Result<MonitorTask, SpawnError>
    where
        F: Future + 'static,
    {
        let task = task::Builder::new().name(name).spawn(future)?;
        let task_ref = (*task).clone();
        task.detach();
        Ok(MonitorTask { task: task_ref })
    }

    /// Whether the task still runs.
    pub(crate) fn is_running(&self) -> bool {
        !self.task.done()
    }

    /// Stops the task at once (its future is dropped; a monitor has no
    /// cleanup to run).
    pub(crate) fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for MonitorTask {
    fn drop(&mut self) {
        self.stop();
    }
}
