//! [`run`] and [`Runner`]: asyncio's `asyncio.run()` and `asyncio.Runner`.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::event_loop::clock::deadline_after;
use crate::event_loop::inner::Inner;
use crate::event_loop::{
    context, EventLoop, ExceptionContext, ExceptionKind, Handle, RunError, TaskInfo,
};
use crate::task::TaskRef;

/// Runs `future` on a new event loop and returns its output: asyncio's
/// `asyncio.run()`.
///
/// When the future completes, the tasks it left running are cancelled and
/// the loop runs until their cleanup has finished — for at most
/// [`DEFAULT_SHUTDOWN_GRACE`], see [`Runner::close`] — then the loop is
/// closed.
///
/// # Errors
///
/// [`RunError::AlreadyRunning`] when called from inside a running loop (await
/// the future instead), [`RunError::Cancelled`] if the main task ended
/// cancelled, [`RunError::Setup`] if the OS poller could not be created.
///
/// # Panics
///
/// A panic of `future` itself is resumed here.
///
/// ```
/// let answer = ferrio::run(async {
///     let task = ferrio::spawn(async { 40 });
///     task.await.unwrap() + 2
/// })
/// .unwrap();
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> Result<F::Output, RunError> {
    if context::is_running() {
        return Err(RunError::AlreadyRunning);
    }
    let runner = Runner::new()?;
    let output = runner.run(future);
    runner.close()?;
    output
}

/// How long [`Runner::close`] (and [`run`]) wait by default for the tasks
/// they cancelled to finish their cleanup, before aborting the rest.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// After how long a shutdown still waiting reports which tasks hold it up.
const SHUTDOWN_SLOW_REPORT: Duration = Duration::from_secs(1);

/// Runs futures on one event loop, then shuts it down gracefully: asyncio's
/// `asyncio.Runner`.
///
/// ```
/// let runner = ferrio::Runner::new().unwrap();
/// assert_eq!(runner.run(async { 1 }).unwrap(), 1);
/// assert_eq!(runner.run(async { 2 }).unwrap(), 2);
/// runner.close().unwrap();
/// ```
pub struct Runner {
    event_loop: EventLoop,
    shutdown_grace: Option<Duration>,
    sigint: bool,
    dump_on_sigusr1: bool,
}

/// Configures a [`Runner`]: its loop and its shutdown grace period.
///
/// ```
/// use std::time::Duration;
///
/// let runner = ferrio::Runner::builder()
///     .event_loop(ferrio::EventLoop::builder().virtual_clock(true).build().unwrap())
///     .shutdown_grace(Some(Duration::from_secs(30)))
///     .build()
///     .unwrap();
/// runner.close().unwrap();
/// ```
#[derive(Debug)]
pub struct RunnerBuilder {
    event_loop: Option<EventLoop>,
    shutdown_grace: Option<Duration>,
    sigint: bool,
    dump_on_sigusr1: bool,
}

impl RunnerBuilder {
    /// Runs on `event_loop` instead of a new real-clock loop.
    pub fn event_loop(mut self, event_loop: EventLoop) -> RunnerBuilder {
        self.event_loop = Some(event_loop);
        self
    }

    /// How long closing waits for the cancelled tasks' cleanup before it
    /// aborts the ones still running (default [`DEFAULT_SHUTDOWN_GRACE`],
    /// on the loop clock). `None` waits forever, as asyncio does.
    pub fn shutdown_grace(mut self, grace: Option<Duration>) -> RunnerBuilder {
        self.shutdown_grace = grace;
        self
    }

    /// Whether `run` handles Ctrl-C (on by default, on the main thread
    /// only, and only if nothing else handles `SIGINT`): the first `SIGINT`
    /// cancels the main task — its cleanup runs — and `run` returns
    /// [`RunError::Interrupted`]; a second one exits at once with code 130.
    pub fn handle_sigint(mut self, on: bool) -> RunnerBuilder {
        self.sigint = on;
        self
    }

    /// Whether `SIGUSR1` prints [`debug::dump()`](crate::debug::dump) to
    /// standard error while `run` runs (off by default).
    pub fn dump_on_sigusr1(mut self, on: bool) -> RunnerBuilder {
        self.dump_on_sigusr1 = on;
        self
    }

    /// Builds the runner.
    ///
    /// # Errors
    ///
    /// [`RunError::Setup`] if no loop was given and the OS poller could not be
    /// created.
    pub fn build(self) -> Result<Runner, RunError> {
        let event_loop = match self.event_loop {
            Some(event_loop) => event_loop,
            None => EventLoop::new().map_err(RunError::Setup)?,
        };
        Ok(Runner {
            event_loop,
            shutdown_grace: self.shutdown_grace,
            sigint: self.sigint,
            dump_on_sigusr1: self.dump_on_sigusr1,
        })
    }
}

impl Runner {
    /// A runner on a new real-clock loop.
    ///
    /// # Errors
    ///
    /// [`RunError::Setup`] if the OS poller could not be created.
    pub fn new() -> Result<Runner, RunError> {
        Runner::builder().build()
    }

    /// A runner on a loop you built (for instance with a virtual clock).
    pub fn with_loop(event_loop: EventLoop) -> Runner {
        Runner {
            event_loop,
            shutdown_grace: Some(DEFAULT_SHUTDOWN_GRACE),
            sigint: true,
            dump_on_sigusr1: false,
        }
    }

    /// Configures a runner: its loop and its shutdown grace period.
    pub fn builder() -> RunnerBuilder {
        RunnerBuilder {
            event_loop: None,
            shutdown_grace: Some(DEFAULT_SHUTDOWN_GRACE),
            sigint: true,
            dump_on_sigusr1: false,
        }
    }

    /// Runs `future` to completion on the runner's loop.
    ///
    /// # Errors
    ///
    /// As [`EventLoop::run_until_complete`].
    #[track_caller]
    pub fn run<F: Future>(&self, future: F) -> Result<F::Output, RunError> {
        let interrupted = crate::signal::sigint::Interrupted::default();
        let dump = self.dump_on_sigusr1.then_some(print_dump as fn());
        let guarded = crate::signal::sigint::guard_main(future, self.sigint, dump, &interrupted);
        let output = self.event_loop.run_until_complete(guarded);
        match interrupted.get() {
            true => Err(RunError::Interrupted),
            false => output,
        }
    }

    /// A handle to the runner's loop.
    pub fn handle(&self) -> Handle {
        self.event_loop.handle()
    }

    /// Cancels every task still running, runs the loop until they have all
    /// finished their cleanup, then closes the loop (dropping any task that
    /// cleanup spawned), as asyncio's `Runner.close()`. Dropping the runner
    /// does the same, ignoring errors (and, while unwinding from a panic,
    /// only closes the loop, dropping the tasks without their cleanup).
    ///
    /// Cancellation always ends, so the wait is bounded:
    ///
    /// - a task parked on a future that is not a ferrio awaitable cannot
    ///   take the cancellation, and is aborted at once;
    /// - a task that swallows the cancellation, or whose cleanup never
    ///   ends, is waited for up to the grace period
    ///   ([`RunnerBuilder::shutdown_grace`], default
    ///   [`DEFAULT_SHUTDOWN_GRACE`] on the loop clock; `None` waits forever,
    ///   as asyncio does). After about a second the loop's exception handler
    ///   is told which tasks hold shutdown up
    ///   ([`ExceptionKind::ShutdownWaiting`]); at the end of the grace
    ///   period each task still running is aborted and reported with its
    ///   name and spawn location ([`ExceptionKind::ShutdownAborted`]).
    ///
    /// A task that panics while it is cancelled here is reported to the
    /// exception handler as failing during shutdown
    /// ([`ExceptionKind::ShutdownFailure`]), whether or not someone holds
    /// its `Task` handle (asyncio: "unhandled exception during
    /// asyncio.run() shutdown").
    ///
    /// # Errors
    ///
    /// [`RunError::AlreadyRunning`] if called from inside a running loop.
    pub fn close(self) -> Result<(), RunError> {
        self.shutdown()
    }

    fn shutdown(&self) -> Result<(), RunError> {
        if self.event_loop.is_closed() {
            return Ok(());
        }
        if context::is_running() {
            return Err(RunError::AlreadyRunning);
        }
        let inner = self.event_loop.inner();
        inner.shutting_down.set(true);
        // As asyncio: cancel the tasks alive now and wait for those to
        // finish; whatever their cleanup spawns is dropped with the loop.
        let leftover: Vec<TaskRef> = inner
            .tasks
            .snapshot()
            .into_iter()
            .map(TaskRef::new)
            .collect();
        let pending = Rc::new(Cell::new(leftover.len()));
        for task in &leftover {
            // Hard: a task parked on a foreign future is aborted.
            task.cancel_hard(None);
            let pending = pending.clone();
            task.add_done_callback(move |_| pending.set(pending.get() - 1));
        }
        let handle = self.handle();
        let now = handle.time();
        let expired = Rc::new(Cell::new(false));
        let mut timers = Vec::new();
        if !leftover.is_empty() {
            if let Some(grace) = self.shutdown_grace {
                let expired = expired.clone();
                timers.extend(
                    handle
                        .call_at(deadline_after(now, grace), move || expired.set(true))
                        .ok(),
                );
            }
            let waiting = leftover.clone();
            let grace = self.shutdown_grace;
            timers.extend(
                handle
                    .call_at(deadline_after(now, SHUTDOWN_SLOW_REPORT), move || {
                        report_waiting(&waiting, grace)
                    })
                    .ok(),
            );
        }
        self.event_loop
            .run_until(|_| pending.get() == 0 || expired.get())?;
        for timer in timers {
            timer.cancel();
        }
        let grace = self.shutdown_grace.unwrap_or_default();
        for task in leftover.iter().filter(|t| !t.done()) {
            report(
                inner,
                ExceptionKind::ShutdownAborted,
                task,
                format!(
                    "still running {grace:?} after shutdown cancelled it: it swallowed the \
                     cancellation or its cleanup did not end; aborted (its cleanup did not \
                     finish)"
                ),
            );
            task.abort();
        }
        crate::blocking::shutdown_default_pool(inner);
        self.event_loop.close()
    }
}

/// Tells the exception handler that shutdown still waits for `tasks`.
fn report_waiting(tasks: &[TaskRef], grace: Option<Duration>) {
    let running: Vec<&TaskRef> = tasks.iter().filter(|t| !t.done()).collect();
    if running.is_empty() {
        return;
    }
    let names: Vec<String> = running
        .iter()
        .map(|t| format!("'{}' (spawned at {})", t.name(), t.location()))
        .collect();
    let then = match grace {
        Some(g) => format!("they are aborted once {g:?} have passed"),
        None => "shutdown waits for them forever (no grace period)".to_owned(),
    };
    let message = format!(
        "shutdown has waited {SHUTDOWN_SLOW_REPORT:?} for {} cancelled task(s) still \
         running: {}; each swallowed the cancellation (dropped the Cancelled it got) or is \
         in a long cleanup; {then}",
        running.len(),
        names.join(", ")
    );
    if let Some(inner) = context::current() {
        inner.call_exception_handler(&ExceptionContext::new(
            ExceptionKind::ShutdownWaiting,
            message,
            None,
        ));
    }
}

/// Reports `task` to the exception handler with `what` it did.
fn report(inner: &Inner, kind: ExceptionKind, task: &TaskRef, what: String) {
    let info = TaskInfo {
        id: task.id(),
        name: task.name(),
        location: task.location(),
    };
    let message = format!("Task '{}' (spawned at {}) {what}", info.name, info.location);
    inner.call_exception_handler(&ExceptionContext::new(kind, message, Some(info)));
}

fn print_dump() {
    eprintln!("{}", crate::debug::dump());
}

impl Drop for Runner {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Unwinding from a panic of the main future: do not run tasks'
            // cleanup (it could wait forever); drop them with the loop.
            let _ = self.event_loop.close();
        } else {
            let _ = self.shutdown();
        }
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("event_loop", &self.event_loop)
            .finish()
    }
}
