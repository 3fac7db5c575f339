//! The loop's exception handler: where failures nobody is waiting for go
//! (asyncio's `set_exception_handler` / `call_exception_handler`).

use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::task::TaskId;

/// What went wrong, for [`ExceptionContext`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExceptionKind {
    /// A task panicked and nobody retrieved its result: its `Task` handle was
    /// dropped or detached without awaiting it.
    TaskFailureNotRetrieved,
    /// A callback scheduled with `call_soon`/`call_later`/`call_at`
    /// (or a task's done callback) panicked.
    CallbackPanicked,
    /// Debug mode: one poll of a task took at least
    /// `slow_callback_duration` — something blocked the loop (a
    /// `std::thread::sleep`, blocking I/O, a long computation).
    SlowPoll,
    /// Debug mode: a callback took at least `slow_callback_duration`.
    SlowCallback,
    /// Debug mode: a `Task` handle was dropped without being awaited or
    /// detached, so nobody will see the task's result.
    TaskHandleDropped,
    /// A watchdog found a task idle for longer than its threshold.
    TaskIdle,
    /// Debug mode: tasks wait for each other's locks or semaphores in a
    /// cycle (or a task waits for a lock it holds itself), so none of them
    /// can go on. The report's task is the one whose wait closed the cycle;
    /// [`debug::deadlocks()`](crate::debug::deadlocks) has the cycle. See
    /// [`DeadlockAction`].
    Deadlock,
    /// Debug mode: a cancellation that had to end some code — a timeout's
    /// expiry, a task group's abort, shutdown — could not be delivered,
    /// because that code was suspended on a future that is not a ferrio
    /// awaitable (`std::future::pending()`, another runtime's channel, …).
    /// The code's future was dropped without running its cleanup. The
    /// report names the task and, for a timeout, where it was created.
    UndeliverableCancellation,
    /// Shutdown (`ferrio::run`, `Runner::close`) has waited over a second
    /// for tasks it cancelled: the report lists them. Each swallowed the
    /// cancellation or is in a long cleanup.
    ShutdownWaiting,
    /// A task cancelled by shutdown was still running at the end of the
    /// grace period and was aborted (its cleanup did not finish).
    ShutdownAborted,
    /// A task cancelled by shutdown panicked meanwhile: asyncio's
    /// "unhandled exception during asyncio.run() shutdown". Reported
    /// whether or not someone holds its `Task` handle.
    ShutdownFailure,
    /// A destructor the loop ran panicked: the output of a task dropped by
    /// the loop or by the task's handle, or a done callback dropped without
    /// running because the loop closed. The value was dropped (once) and the
    /// loop went on; the task's outcome is unchanged.
    DropPanicked,
    /// Something the loop called while finishing a task step panicked — the
    /// `wake` of a waker from another executor that awaited the task, say.
    /// The task's state was recorded before; the loop went on.
    StepPanicked,
}

/// What debug mode does when its deadlock detector finds tasks waiting for
/// each other's locks or semaphores in a cycle (set with
/// [`Builder::deadlock_action`](super::Builder::deadlock_action) or
/// [`Handle::set_deadlock_action`](crate::Handle::set_deadlock_action)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DeadlockAction {
    /// Report it to the exception handler ([`ExceptionKind::Deadlock`]) and
    /// leave the tasks waiting.
    #[default]
    Report,
    /// Report it and cancel one task of the cycle — the one whose wait
    /// closed it, unless that wait is a `Condition` re-acquiring its lock,
    /// which a cancellation does not end — so that the others can go on.
    /// The victim's pending acquire completes with `Err(Cancelled)`, its
    /// guards drop as its cancellation unwinds, and the locks pass on.
    CancelVictim,
}

/// The task an exception report is about.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// The task's id, unique within its loop.
    pub id: TaskId,
    /// The task's name (`Task-<id>` unless one was given).
    pub name: Arc<str>,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
}

/// A report handed to the loop's exception handler.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExceptionContext {
    /// What happened.
    pub kind: ExceptionKind,
    /// A one-line description, ready to log.
    pub message: String,
    /// The task concerned, if any.
    pub task: Option<TaskInfo>,
    /// How long the slow poll or callback took, or how long the task was idle.
    pub duration: Option<std::time::Duration>,
    /// Where the callback concerned was registered (the caller of
    /// `call_soon`, `call_later`, `call_at` or `call_soon_threadsafe`), for
    /// slow and panicking callbacks.
    pub location: Option<&'static Location<'static>>,
}

impl ExceptionContext {
    /// A report of `kind` with a ready-to-log `message`.
    pub fn new(kind: ExceptionKind, message: String, task: Option<TaskInfo>) -> ExceptionContext {
        ExceptionContext {
            kind,
            message,
            task,
            duration: None,
            location: None,
        }
    }

    /// The same report, with the registration site of its callback.
    pub fn with_location(mut self, location: &'static Location<'static>) -> ExceptionContext {
        self.location = Some(location);
        self
    }

    /// The same report, with a duration.
    pub fn with_duration(mut self, duration: std::time::Duration) -> ExceptionContext {
        self.duration = Some(duration);
        self
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An exception handler: see [`Handle::set_exception_handler`](crate::Handle::set_exception_handler).
pub(crate) type ExceptionHandler = std::rc::Rc<dyn Fn(&ExceptionContext)>;

/// The default handler: a log line through `tracing` when a subscriber is
/// installed, otherwise on standard error (like asyncio's last-resort
/// logging).
pub fn default_exception_handler(context: &ExceptionContext) {
    if tracing::dispatcher::has_been_set() {
        match &context.task {
            Some(task) => tracing::error!(
                kind = ?context.kind,
                task.id = %task.id,
                task.name = %task.name,
                task.location = %task.location,
                "{}",
                context.message
            ),
            None => tracing::error!(kind = ?context.kind, "{}", context.message),
        }
    } else {
        eprintln!("ferrio: {}", context.message);
    }
}
