//! The event loop: a FIFO run queue, timers, callbacks, the loop clock and
//! the door for other threads — asyncio's `BaseEventLoop`.
//!
//! One loop runs per thread at a time. [`EventLoop`] owns it;
//! [`Handle`] is a cheap `!Send` reference to it for scheduling;
//! [`ThreadsafeHandle`] is the `Send` one for other threads.

mod callback;
pub(crate) mod clock;
pub(crate) mod clock_hold;
pub(crate) mod completion;
pub(crate) mod context;
mod error;
mod exception;
mod handle;
pub(crate) mod inner;
pub(crate) mod remote;
pub(crate) mod slots;
pub(crate) mod timers;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

pub use callback::{CallbackHandle, TimerHandle};
pub use error::{LoopClosed, RunError, SpawnError};
pub use exception::{
    default_exception_handler, DeadlockAction, ExceptionContext, ExceptionKind, TaskInfo,
};
pub use handle::{Handle, ThreadsafeHandle};

use inner::{Inner, State};

/// Whether `FERRIO_DEBUG` asks for debug mode (`1`, `true`, `yes`, `on`).
fn debug_from_env() -> bool {
    std::env::var("FERRIO_DEBUG").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

pub(crate) use context::debug_seen;

/// A callback entry for the run queue (used by the task layer for done
/// callbacks), registered at the caller's location.
#[track_caller]
pub(crate) fn callback_entry(f: Box<dyn FnOnce()>) -> std::rc::Rc<callback::CallbackEntry> {
    callback::CallbackEntry::new(f)
}

/// Identifies an event loop within the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoopId(NonZeroU32);

impl LoopId {
    /// The next id. 32 bits (it shares a word of every task's header):
    /// creating more than 4,294,967,295 loops in one process panics rather
    /// than reuse an id.
    fn next() -> LoopId {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let id = NEXT
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .unwrap_or(0);
        LoopId(NonZeroU32::new(id).expect("more than u32::MAX event loops in this process"))
    }

    #[cfg(test)]
    pub(crate) fn for_tests() -> LoopId {
        LoopId::next()
    }
}

impl fmt::Display for LoopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Configures and builds an [`EventLoop`].
///
/// ```
/// use std::time::Duration;
///
/// let event_loop = ferrio::EventLoop::builder().virtual_clock(true).build().unwrap();
/// let t0 = event_loop.handle().time();
/// event_loop
///     .run_until_complete(async { ferrio::sleep(Duration::from_secs(3600)).await })
///     .unwrap()
///     .unwrap();
/// assert_eq!(event_loop.handle().time() - t0, Duration::from_secs(3600));
/// ```
pub struct Builder {
    virtual_clock: bool,
    debug: bool,
    slow_callback_duration: std::time::Duration,
    exception_handler: Option<exception::ExceptionHandler>,
    deadlock_action: DeadlockAction,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl Builder {
    /// A builder with the defaults: real clock, default exception handler,
    /// debug mode off unless the environment sets `FERRIO_DEBUG=1`, slow
    /// callbacks at 100 ms.
    pub fn new() -> Builder {
        Builder {
            virtual_clock: false,
            debug: debug_from_env(),
            slow_callback_duration: inner::DEFAULT_SLOW_CALLBACK,
            exception_handler: None,
            deadlock_action: DeadlockAction::Report,
        }
    }

    /// Debug mode (asyncio's `loop.set_debug(True)`, or `FERRIO_DEBUG=1`):
    /// task polls and callbacks that take `slow_callback_duration` or more
    /// are reported with the task's name and spawn location — that is how a
    /// blocking call inside async code shows up — and so are `Task` handles
    /// dropped without being awaited or detached. Tasks record their
    /// activity. Off by default; off, it costs one branch per poll.
    pub fn debug(mut self, enabled: bool) -> Builder {
        self.debug = enabled;
        self
    }

    /// What debug mode does with a deadlock — tasks waiting for each
    /// other's [`Lock`](crate::sync::Lock)s or
    /// [`Semaphore`](crate::sync::Semaphore)s in a cycle, or a task waiting
    /// for a lock it holds: report it (the default) or also cancel one of
    /// the tasks. See [`DeadlockAction`] and
    /// [`debug::deadlocks()`](crate::debug::deadlocks). No effect outside
    /// debug mode, where the detector is off.
    ///
    /// ```
    /// use ferrio::event_loop::DeadlockAction;
    /// use ferrio::sync::Lock;
    ///
    /// ferrio::EventLoop::builder()
    ///     .virtual_clock(true)
    ///     .debug(true)
    ///     .deadlock_action(DeadlockAction::CancelVictim)
    ///     .exception_handler(|report| println!("{report}"))
    ///     .build()
    ///     .unwrap()
    ///     .run_until_complete(async {
    ///         let (a, b) = (Lock::named("a"), Lock::named("b"));
    ///         let (a2, b2) = (a.clone(), b.clone());
    ///         let first = ferrio::spawn(async move {
    ///             let _a = a2.acquire().await?;
    ///             ferrio::yield_now().await?;
    ///             let _b = b2.acquire().await?;
    ///             Ok::<_, ferrio::Cancelled>(())
    ///         });
    ///         let second = ferrio::spawn(async move {
    ///             let _b = b.acquire().await?;
    ///             ferrio::yield_now().await?;
    ///             let _a = a.acquire().await?; // closes the cycle: cancelled
    ///             Ok::<_, ferrio::Cancelled>(())
    ///         });
    ///         assert!(first.await.unwrap().is_ok());
    ///         assert!(second.await.unwrap_err().is_cancelled());
    ///     })
    ///     .unwrap();
    /// ```
    pub fn deadlock_action(mut self, action: DeadlockAction) -> Builder {
        self.deadlock_action = action;
        self
    }

    /// The duration from which debug mode reports a poll or callback as
    /// slow (default 100 ms, as asyncio).
    pub fn slow_callback_duration(mut self, duration: std::time::Duration) -> Builder {
        self.slow_callback_duration = duration;
        self
    }

    /// Runs the loop on a virtual clock: paused, and jumping to the next
    /// timer deadline whenever every task is idle. For tests: a one-hour
    /// timeout takes microseconds, and durations are exact.
    pub fn virtual_clock(mut self, enabled: bool) -> Builder {
        self.virtual_clock = enabled;
        self
    }

    /// Sets the exception handler (see [`Handle::set_exception_handler`]).
    pub fn exception_handler(mut self, handler: impl Fn(&ExceptionContext) + 'static) -> Builder {
        self.exception_handler = Some(Rc::new(handler));
        self
    }

    /// Builds the loop. Fails only if the OS refuses the poller.
    pub fn build(self) -> std::io::Result<EventLoop> {
        let inner = Inner::new(self.virtual_clock)?;
        inner.set_exception_handler(self.exception_handler);
        inner.set_debug(self.debug);
        inner.deadlock_action.set(self.deadlock_action);
        inner
            .slow_callback_duration
            .set(self.slow_callback_duration);
        Ok(EventLoop { inner })
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("virtual_clock", &self.virtual_clock)
            .field("debug", &self.debug)
            .field("slow_callback_duration", &self.slow_callback_duration)
            .field("exception_handler", &self.exception_handler.is_some())
            .field("deadlock_action", &self.deadlock_action)
            .finish()
    }
}

/// An event loop: asyncio's `new_event_loop()`.
///
/// Most programs use [`ferrio::run`](crate::run) instead, which also cancels
/// the tasks left over at the end and waits for their cleanup. Dropping the
/// loop closes it.
///
/// ```
/// let event_loop = ferrio::EventLoop::new().unwrap();
/// let answer = event_loop
///     .run_until_complete(async {
///         let task = ferrio::spawn(async { 6 * 7 });
///         task.await.unwrap()
///     })
///     .unwrap();
/// assert_eq!(answer, 42);
/// ```
pub struct EventLoop {
    inner: Rc<Inner>,
}

impl EventLoop {
    /// A loop on the real clock.
    pub fn new() -> std::io::Result<EventLoop> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure the loop.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A handle to the loop running on this thread: asyncio's
    /// `get_running_loop()`.
    ///
    /// # Panics
    ///
    /// If no loop is running on this thread; see [`Handle::try_current`].
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!("EventLoop::current(): {}", SpawnError::NoRunningLoop),
        }
    }

    /// A handle for scheduling on this loop.
    pub fn handle(&self) -> Handle {
        Handle {
            inner: self.inner.clone(),
        }
    }

    /// Runs the loop until `future` completes, and returns its output.
    ///
    /// The future runs as the loop's main task, so it can be cancelled and
    /// [`task::current()`](crate::task::current) sees it. Tasks it spawned
    /// and did not await keep their state: they run again on the next
    /// `run_until_complete`, and are dropped when the loop closes.
    ///
    /// # Errors
    ///
    /// [`RunError::AlreadyRunning`] if a loop is already running on this
    /// thread, [`RunError::LoopClosed`] after [`close`](Self::close),
    /// [`RunError::Stopped`] if [`Handle::stop`] was called first,
    /// [`RunError::Cancelled`] if the main task ended cancelled,
    /// [`RunError::Poll`] if polling the OS failed.
    ///
    /// # Panics
    ///
    /// A panic of the future itself is resumed here, as asyncio re-raises.
    #[track_caller]
    pub fn run_until_complete<F: Future>(&self, future: F) -> Result<F::Output, RunError> {
        let inner = &self.inner;
        match inner.state.get() {
            State::Closed => return Err(RunError::LoopClosed(LoopClosed)),
            State::Running => return Err(RunError::AlreadyRunning),
            State::Idle if context::is_running() => return Err(RunError::AlreadyRunning),
            State::Idle => {}
        }
        let _enter = context::enter(inner.clone());
        let _running = RunningGuard::new(inner);
        crate::task::run_main(inner, future)
    }

    /// Closes the loop: drops every pending task's future (they end
    /// cancelled, without running their cleanup — use
    /// [`Runner`](crate::Runner) for a graceful end), and every pending
    /// callback and timer. Closing twice is harmless.
    ///
    /// # Errors
    ///
    /// [`RunError::AlreadyRunning`] if called while the loop runs.
    pub fn close(&self) -> Result<(), RunError> {
        match self.inner.state.get() {
            State::Running => Err(RunError::AlreadyRunning),
            State::Closed => Ok(()),
            State::Idle => {
                let _enter = context::enter(self.inner.clone());
                self.inner.close();
                Ok(())
            }
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Runs the loop until `done()` holds, with the loop installed as the
    /// running one.
    pub(crate) fn run_until(&self, mut done: impl FnMut(&Inner) -> bool) -> Result<(), RunError> {
        let inner = &self.inner;
        if inner.state.get() == State::Closed {
            return Err(RunError::LoopClosed(LoopClosed));
        }
        if inner.state.get() == State::Running || context::is_running() {
            return Err(RunError::AlreadyRunning);
        }
        let _enter = context::enter(inner.clone());
        let _running = RunningGuard::new(inner);
        while !done(inner) {
            inner.run_once().map_err(RunError::Poll)?;
        }
        Ok(())
    }

    pub(crate) fn inner(&self) -> &Rc<Inner> {
        &self.inner
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        // Dropping while running cannot happen: `run_until_complete`
        // borrows the loop.
        let _ = self.close();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.inner.id)
            .field("state", &self.inner.state.get())
            .field("tasks", &self.inner.tasks.len())
            .finish()
    }
}

/// Marks the loop running for the duration of a run, and clears `stop()`.
struct RunningGuard<'a> {
    inner: &'a Inner,
}

impl<'a> RunningGuard<'a> {
    fn new(inner: &'a Inner) -> RunningGuard<'a> {
        inner.state.set(State::Running);
        RunningGuard { inner }
    }
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.inner.stopping.set(false);
        if self.inner.state.get() == State::Running {
            self.inner.state.set(State::Idle);
        }
    }
}
