//! [`run`] and [`Runner`]: asyncio's `asyncio.run()` and `asyncio.Runner`.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use crate::event_loop::{context, EventLoop, Handle, RunError};
use crate::task::TaskRef;

/// Runs `future` on a new event loop and returns its output: asyncio's
/// `asyncio.run()`.
///
/// When the future completes, the tasks it left running are cancelled and
/// the loop runs until their cleanup has finished; then the loop is closed.
///
/// # Errors
///
/// [`RunError::AlreadyRunning`] when called from inside a running loop (await
/// the future instead), [`RunError::Cancelled`] if the main task ended
/// cancelled, [`RunError::Io`] if the OS poller could not be created.
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
    sigint: bool,
    dump_on_sigusr1: bool,
}

impl Runner {
    /// A runner on a new real-clock loop.
    ///
    /// # Errors
    ///
    /// [`RunError::Io`] if the OS poller could not be created.
    pub fn new() -> Result<Runner, RunError> {
        Ok(Runner::with_loop(EventLoop::new()?))
    }

    /// A runner on a loop you built (for instance with a virtual clock).
    pub fn with_loop(event_loop: EventLoop) -> Runner {
        Runner {
            event_loop,
            sigint: true,
            dump_on_sigusr1: false,
        }
    }

    /// Whether `run` handles Ctrl-C (on by default, on the main thread
    /// only, and only if nothing else handles `SIGINT`): the first `SIGINT`
    /// cancels the main task — its cleanup runs — and `run` returns
    /// [`RunError::Interrupted`]; a second one exits at once with code 130.
    pub fn handle_sigint(mut self, on: bool) -> Runner {
        self.sigint = on;
        self
    }

    /// Whether `SIGUSR1` prints [`debug::dump()`](crate::debug::dump) to
    /// standard error while `run` runs (off by default).
    pub fn dump_on_sigusr1(mut self, on: bool) -> Runner {
        self.dump_on_sigusr1 = on;
        self
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
    /// cleanup spawned), as asyncio's `Runner.close()`. Dropping the runner does
    /// the same, ignoring errors (and, while unwinding from a panic, only
    /// closes the loop, dropping the tasks without their cleanup).
    ///
    /// A task that swallows the cancellation and never finishes keeps this
    /// waiting, as in asyncio.
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
        // As asyncio: cancel the tasks alive now and wait for those to
        // finish; whatever their cleanup spawns is dropped with the loop.
        let leftover = self.event_loop.inner().tasks.snapshot();
        let pending = Rc::new(Cell::new(leftover.len()));
        for raw in leftover {
            let task = TaskRef::new(raw);
            task.cancel();
            let pending = pending.clone();
            task.add_done_callback(move |_| pending.set(pending.get() - 1));
        }
        self.event_loop.run_until(|_| pending.get() == 0)?;
        crate::blocking::shutdown_default_pool(self.event_loop.inner());
        self.event_loop.close()
    }
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
