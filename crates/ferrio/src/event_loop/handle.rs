//! Handles to a loop: [`Handle`] on its own thread, [`ThreadsafeHandle`]
//! from any thread.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::callback::{CallbackEntry, CallbackHandle, TimerHandle};
use super::context;
use super::error::{LoopClosed, SpawnError};
use super::exception::{DeadlockAction, ExceptionContext};
use super::inner::{Inner, State};
use super::remote::Remote;
use super::timers::TimerAction;
use super::LoopId;
use crate::task::Task;

/// A reference to an event loop, for use on the loop's thread: asyncio's
/// loop object as returned by `get_running_loop()`. Cheap to clone, `!Send`.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let event_loop = ferrio::EventLoop::current();
///         let log = Rc::new(RefCell::new(Vec::new()));
///         let l = log.clone();
///         event_loop.call_later(Duration::from_secs(1), move || l.borrow_mut().push("later")).unwrap();
///         let l = log.clone();
///         event_loop.call_soon(move || l.borrow_mut().push("soon")).unwrap();
///         ferrio::sleep(Duration::from_secs(2)).await.unwrap();
///         assert_eq!(*log.borrow(), ["soon", "later"]);
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Rc<Inner>,
}

impl Handle {
    /// The loop running on this thread, if any (`None` outside
    /// `run`/`run_until_complete`): asyncio's `get_running_loop()` without
    /// the `RuntimeError`.
    pub fn try_current() -> Option<Handle> {
        context::current().map(|inner| Handle { inner })
    }

    /// The loop's id.
    pub fn id(&self) -> LoopId {
        self.inner.id
    }

    /// The loop clock: asyncio's `loop.time()`. On a virtual-clock loop this
    /// only moves when the loop is idle.
    pub fn time(&self) -> Instant {
        self.inner.clock.now()
    }

    /// Whether the loop is running right now.
    pub fn is_running(&self) -> bool {
        self.inner.state.get() == State::Running
    }

    /// Whether the loop has been closed.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Schedules `f` to run on the next loop iteration, after the callbacks
    /// and tasks already ready (FIFO), including the callbacks other
    /// threads registered with
    /// [`call_soon_threadsafe`](ThreadsafeHandle::call_soon_threadsafe)
    /// before this call.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] if the loop is closed.
    #[track_caller]
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Result<CallbackHandle, LoopClosed> {
        self.check_open()?;
        // Strict registration order with `call_soon_threadsafe`: what
        // other threads registered before this call is queued first.
        self.inner.take_remote();
        let entry = CallbackEntry::new(Box::new(f));
        self.inner.push_callback(entry.clone());
        Ok(CallbackHandle { entry })
    }

    /// Schedules `f` to run `delay` from now on the loop clock. Callbacks due
    /// at the same time run in the order they were scheduled. A delay of 30
    /// years or more (`Duration::MAX`) means never: the callback does not
    /// run, and its timer neither wakes the loop nor moves a virtual clock.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] if the loop is closed.
    #[track_caller]
    pub fn call_later(
        &self,
        delay: Duration,
        f: impl FnOnce() + 'static,
    ) -> Result<TimerHandle, LoopClosed> {
        self.call_at(super::clock::deadline_after(self.time(), delay), f)
    }

    /// Schedules `f` to run at loop time `when` (see [`time`](Self::time)).
    /// A `when` 30 years or more ahead means never, as in
    /// [`call_later`](Self::call_later).
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] if the loop is closed.
    #[track_caller]
    pub fn call_at(
        &self,
        when: Instant,
        f: impl FnOnce() + 'static,
    ) -> Result<TimerHandle, LoopClosed> {
        self.check_open()?;
        let entry = CallbackEntry::new(Box::new(f));
        // A deadline too far to reach means never: no timer at all, so it
        // neither wakes the loop nor moves a virtual clock.
        let timer = (!super::clock::is_never(self.time(), when)).then(|| {
            let key = self
                .inner
                .timers
                .borrow_mut()
                .insert(when, TimerAction::Callback(entry.clone()));
            (self.inner.id, key)
        });
        Ok(TimerHandle { entry, when, timer })
    }

    /// Spawns `future` as a task of this loop. It starts running on the next
    /// iteration (even if the loop is not running yet, once it runs).
    ///
    /// # Errors
    ///
    /// [`SpawnError::LoopClosed`] if the loop is closed.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<Task<F::Output>, SpawnError>
    where
        F: Future + 'static,
    {
        crate::task::spawn_on(&self.inner, future, None, Location::caller())
    }

    /// Stops the loop at the end of the current iteration:
    /// `run_until_complete` then returns [`RunError::Stopped`](super::RunError::Stopped).
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// Sets the handler that receives failures nobody is waiting for (see
    /// [`ExceptionContext`]); `None` restores the default, which logs them.
    pub fn set_exception_handler(&self, handler: Option<impl Fn(&ExceptionContext) + 'static>) {
        self.inner.set_exception_handler(
            handler.map(|h| Rc::new(h) as super::exception::ExceptionHandler),
        );
    }

    /// Passes `context` to the loop's exception handler.
    pub fn call_exception_handler(&self, context: &ExceptionContext) {
        self.inner.call_exception_handler(context);
    }

    /// Turns debug mode on or off: asyncio's `loop.set_debug()`. See
    /// [`Builder::debug`](super::Builder::debug).
    pub fn set_debug(&self, enabled: bool) {
        self.inner.set_debug(enabled);
    }

    /// Whether debug mode is on: asyncio's `loop.get_debug()`.
    pub fn debug(&self) -> bool {
        self.inner.debug.get()
    }

    /// Sets what debug mode does with a deadlock: see
    /// [`Builder::deadlock_action`](super::Builder::deadlock_action).
    pub fn set_deadlock_action(&self, action: DeadlockAction) {
        self.inner.deadlock_action.set(action);
    }

    /// What debug mode does with a deadlock.
    pub fn deadlock_action(&self) -> DeadlockAction {
        self.inner.deadlock_action.get()
    }

    /// Sets the duration from which debug mode reports a poll or callback
    /// as slow: asyncio's `loop.slow_callback_duration`.
    pub fn set_slow_callback_duration(&self, duration: Duration) {
        self.inner.slow_callback_duration.set(duration);
    }

    /// A `Send` handle for other threads.
    pub fn threadsafe(&self) -> ThreadsafeHandle {
        ThreadsafeHandle {
            remote: self.inner.remote.clone(),
            id: self.inner.id,
        }
    }

    fn check_open(&self) -> Result<(), LoopClosed> {
        if self.inner.is_closed() {
            Err(LoopClosed)
        } else {
            Ok(())
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("id", &self.inner.id)
            .finish()
    }
}

/// A `Send + Sync` handle for scheduling on a loop from other threads.
///
/// ```
/// let event_loop = ferrio::EventLoop::new().unwrap();
/// let remote = event_loop.handle().threadsafe();
/// let got = event_loop
///     .run_until_complete(async move {
///         let (tx, rx) = std::sync::mpsc::channel();
///         let worker = std::thread::spawn(move || {
///             remote.call_soon_threadsafe(move || tx.send(7).unwrap()).unwrap();
///         });
///         // Wait on the loop (not the thread) until the callback has run.
///         loop {
///             if let Ok(v) = rx.try_recv() {
///                 worker.join().unwrap();
///                 break v;
///             }
///             ferrio::yield_now().await.unwrap();
///         }
///     })
///     .unwrap();
/// assert_eq!(got, 7);
/// ```
#[derive(Clone)]
pub struct ThreadsafeHandle {
    remote: Arc<Remote>,
    id: LoopId,
}

impl ThreadsafeHandle {
    /// The loop's id.
    pub fn id(&self) -> LoopId {
        self.id
    }

    /// Schedules `f` on the loop's thread and wakes the loop if it is
    /// waiting: asyncio's `call_soon_threadsafe`. Callbacks run in the order
    /// they were registered, together with [`Handle::call_soon`]'s: one
    /// registered before another (from the same thread, or from a thread
    /// joined since) runs first. The loop takes them in at the start of
    /// every iteration.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] if the loop is closed; `f` is dropped.
    #[track_caller]
    pub fn call_soon_threadsafe(
        &self,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), LoopClosed> {
        self.remote
            .push_callback(Box::new(f), Location::caller())
            .map_err(|_| LoopClosed)
    }

    /// Asks the loop to stop at the end of its current iteration.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] if the loop is closed.
    #[track_caller]
    pub fn stop(&self) -> Result<(), LoopClosed> {
        self.call_soon_threadsafe(|| {
            if let Some(inner) = context::current() {
                inner.stopping.set(true);
            }
        })
    }

    /// Whether the loop has been closed.
    pub fn is_closed(&self) -> bool {
        self.remote.is_closed()
    }
}

impl fmt::Debug for ThreadsafeHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadsafeHandle")
            .field("id", &self.id)
            .finish()
    }
}
