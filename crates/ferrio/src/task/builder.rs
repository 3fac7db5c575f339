//! [`Builder`]: spawn with options.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::Task;
use crate::event_loop::{Handle, SpawnError};

/// Spawns a task with options: asyncio's `create_task(coro, name=...)`.
///
/// ```
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let task = ferrio::task::Builder::new().name("fetch-1").spawn(async { "ok" }).unwrap();
///         assert_eq!(&*task.name(), "fetch-1");
///         assert_eq!(task.await.unwrap(), "ok");
///     })
///     .unwrap();
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<Arc<str>>,
}

impl Builder {
    /// A builder with no options set.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task (shown by `name()`, `Debug`, reports and dumps).
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns `future` on the running loop.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NoRunningLoop`] outside a running loop,
    /// [`SpawnError::LoopClosed`] if the loop is closing.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + 'static,
    {
        super::spawn_current(future, self.name, Location::caller())
    }

    /// Spawns `future` on the loop of `handle`, running or not.
    ///
    /// # Errors
    ///
    /// [`SpawnError::LoopClosed`] if that loop is closed.
    #[track_caller]
    pub fn spawn_on<F>(self, handle: &Handle, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + 'static,
    {
        super::spawn_on(&handle.inner, future, self.name, Location::caller())
    }
}
