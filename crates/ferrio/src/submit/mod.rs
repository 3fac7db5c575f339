//! [`ThreadsafeHandle::submit`]: run a `Send` future on another thread's
//! loop and wait for its result — asyncio's `run_coroutine_threadsafe`.
//!
//! # The hand-off
//!
//! `submit` sends, with `call_soon_threadsafe`, a callback that spawns the
//! future on the target loop inside a wrapper task (`RunSubmitted`). The
//! submitter keeps a [`Submitted`] handle. Both share one slot under a mutex:
//!
//! - the outcome, `Pending` until the first of: the wrapper finishing
//!   (value or panic), the wrapper or the callback being dropped unfinished
//!   (`Aborted` / `LoopClosed`), or [`Submitted::cancel`] (`Cancelled`) —
//!   later outcomes are dropped by whoever produced them;
//! - the waker of an awaiting task, and the number of threads blocked in
//!   `wait`, told through a condition variable (notified only if one waits);
//! - the cancel request, and the wrapper task's waker so that `cancel` can
//!   wake it: the wrapper then cancels its own task (`TaskRef::cancel`), so
//!   the future sees `Cancelled` at its next ferrio await, as a task
//!   cancelled on its loop does;
//! - a hold on the awaiting loop's virtual clock while the result is due.
//!
//! The loom models at the bottom check the completion/cancel/wait races.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::event_loop::clock_hold::ClockTicket;
use crate::event_loop::completion::{Completion, Outcome};
use crate::event_loop::context;
use crate::event_loop::{LoopClosed, LoopId, ThreadsafeHandle};
use crate::task::{Cancelled, Checkpoint, PanicError};
use crate::time::TimeoutError;

/// Why a [`Submitted`] future gave no value.
#[derive(Debug)]
#[non_exhaustive]
pub enum SubmitError {
    /// The target loop was closed before the future could start.
    LoopClosed(LoopClosed),
    /// The target loop dropped the task before it finished: the loop was
    /// closed (or the task aborted) while it ran.
    Aborted,
    /// The submission was cancelled, through [`Submitted::cancel`] or by
    /// cancelling the task awaiting it; the task on the target loop received
    /// a cancellation request.
    Cancelled(Cancelled),
    /// The future panicked on the target loop (which keeps running).
    Panicked(PanicError),
    /// [`Submitted::wait_timeout`] timed out; the future runs on — wait
    /// again, or cancel it.
    Timeout(TimeoutError),
    /// `wait` was called on the thread of the target loop itself, which
    /// would block forever (the loop could not run the future). Await the
    /// `Submitted` instead.
    WouldDeadlock,
}

crate::task::cancelled_or_panicked!(SubmitError);

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::LoopClosed(e) => {
                write!(f, "the submitted future never ran: {e}")
            }
            SubmitError::Aborted => f.write_str(
                "the target event loop dropped the submitted future before it finished \
                 (the loop was closed or the task aborted)",
            ),
            SubmitError::Cancelled(c) => write!(f, "the submitted future was {c}"),
            SubmitError::Panicked(p) => write!(f, "the submitted future panicked: {p}"),
            SubmitError::Timeout(e) => write!(
                f,
                "the submitted future has not finished yet ({e}); it runs on — wait again or \
                 cancel it"
            ),
            SubmitError::WouldDeadlock => f.write_str(
                "cannot block waiting for a future submitted to this thread's own event loop: \
                 it would never run; await the Submitted instead",
            ),
        }
    }
}

impl std::error::Error for SubmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SubmitError::Cancelled(c) => Some(c),
            SubmitError::Panicked(p) => Some(p),
            SubmitError::LoopClosed(e) => Some(e),
            SubmitError::Timeout(e) => Some(e),
            SubmitError::Aborted | SubmitError::WouldDeadlock => None,
        }
    }
}

/// The submission's own state, kept beside the outcome in the shared
/// [`Completion`]: whether it was cancelled, and the wrapper task's waker
/// (so that `cancel` can wake it to deliver the cancellation).
#[derive(Default)]
struct Forward {
    cancel: bool,
    /// The wrapper task on the target loop, once it has been polled.
    task: Option<Waker>,
}

type Shared<T> = Completion<Result<T, SubmitError>, Forward>;

/// Settles `shared` as cancelled and asks the task to cancel. `false` if
/// the outcome was settled already.
fn cancel<T>(shared: &Shared<T>) -> bool {
    let cancelled = Cancelled::untracked(Some("cancelled through its Submitted handle".into()));
    let task = shared.settle(Err(SubmitError::Cancelled(cancelled)), |forward| {
        forward.cancel = true;
        forward.task.take()
    });
    match task {
        Some(task) => {
            // Routed to the target loop: the wrapper delivers it.
            if let Some(t) = task {
                t.wake();
            }
            true
        }
        None => false,
    }
}

/// Blocks until the outcome is settled or `limit` passes.
fn wait_for<T>(shared: &Shared<T>, limit: Option<Duration>) -> Result<T, SubmitError> {
    // Too far to represent: wait without a deadline.
    let deadline = limit.and_then(|d| Instant::now().checked_add(d));
    match shared.wait(deadline) {
        Some(result) => result,
        None => Err(SubmitError::Timeout(TimeoutError::waited(
            limit.unwrap_or_default(),
        ))),
    }
}

impl ThreadsafeHandle {
    /// Runs `future` as a task of this handle's loop, from any thread, and
    /// returns a handle to its result: asyncio's
    /// `run_coroutine_threadsafe(coro, loop)`.
    ///
    /// The future is spawned on the loop's thread (so it need only be `Send`
    /// to get there). Wait for it from a plain thread with
    /// [`Submitted::wait`] / [`Submitted::wait_timeout`], or await the
    /// [`Submitted`] from another loop. A panic of the future comes back as
    /// [`SubmitError::Panicked`]; the loop keeps running. A closed loop
    /// gives [`SubmitError::LoopClosed`].
    ///
    /// Dropping the `Submitted` does not stop the task; use
    /// [`Submitted::cancel`].
    ///
    /// # Cancel safety
    ///
    /// Awaiting the [`Submitted`] from another loop gives the outcome at
    /// once if it is settled; otherwise, cancelling the awaiting task
    /// cancels the submitted future on its loop (the cancellation follows
    /// the await chain, as asyncio's `wrap_future` does) and the await ends
    /// with [`SubmitError::Cancelled`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A loop serving on its own thread until stopped.
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let server = std::thread::spawn(move || {
    ///     let runner = ferrio::Runner::new().unwrap();
    ///     runner
    ///         .run(async move {
    ///             tx.send(ferrio::EventLoop::current().threadsafe()).unwrap();
    ///             std::future::pending::<()>().await
    ///         })
    ///         .unwrap_err(); // stopped
    /// });
    /// let remote = rx.recv().unwrap();
    ///
    /// // From this plain thread: run a future there, wait here.
    /// let answer = remote
    ///     .submit(async {
    ///         ferrio::sleep(Duration::from_millis(1)).await.unwrap();
    ///         42
    ///     })
    ///     .wait()
    ///     .unwrap();
    /// assert_eq!(answer, 42);
    ///
    /// remote.stop().unwrap();
    /// server.join().unwrap();
    /// ```
    #[track_caller]
    pub fn submit<F>(&self, future: F) -> Submitted<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let shared = Arc::new(Completion::new(Forward::default()));
        let wrapper = RunSubmitted {
            future: Some(Box::pin(future)),
            shared: shared.clone(),
            forwarded: false,
            started: false,
        };
        // If the loop is closed now or before the callback runs, the
        // callback is dropped and the wrapper reports `LoopClosed`.
        let _ = self.call_soon_threadsafe(move || spawn_on_loop(wrapper, location));
        Submitted {
            shared,
            loop_id: self.id(),
            hold_pending: true,
            checkpoint: Checkpoint::new(),
        }
    }
}

/// On the target loop's thread: spawn the wrapper, unless cancelled first.
fn spawn_on_loop<F>(wrapper: RunSubmitted<F>, location: &'static Location<'static>)
where
    F: Future + 'static,
{
    if wrapper.shared.lock().extra.cancel {
        return;
    }
    if let Some(inner) = context::current() {
        if let Ok(task) = crate::task::spawn_on(&inner, wrapper, None, location) {
            task.detach();
        }
    }
}

/// The task run on the target loop: polls the future, catches its panic,
/// delivers `Submitted::cancel` as a cancellation of its own task, and
/// settles the shared outcome.
struct RunSubmitted<F: Future> {
    future: Option<Pin<Box<F>>>,
    shared: Arc<Shared<F::Output>>,
    forwarded: bool,
    started: bool,
}

impl<F: Future> Future for RunSubmitted<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.started = true;
        let forward = {
            let mut state = this.shared.lock();
            let own = &mut state.extra;
            match &own.task {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => own.task = Some(cx.waker().clone()),
            }
            own.cancel && !this.forwarded
        };
        if forward {
            this.forwarded = true;
            if let Some(task) = crate::task::current() {
                task.cancel_with("cancelled through its Submitted handle");
            }
        }
        let Some(future) = this.future.as_mut() else {
            return Poll::Ready(());
        };
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => {
                this.future = None;
                this.shared.settle(Ok(value), |_| ());
                Poll::Ready(())
            }
            Err(payload) => {
                this.future = None;
                this.shared
                    .settle(Err(SubmitError::Panicked(panic_error(payload))), |_| ());
                Poll::Ready(())
            }
        }
    }
}

impl<F: Future> Drop for RunSubmitted<F> {
    fn drop(&mut self) {
        if self.future.take().is_some() {
            let error = if self.started {
                SubmitError::Aborted
            } else {
                SubmitError::LoopClosed(LoopClosed)
            };
            self.shared.settle(Err(error), |_| ());
        }
    }
}

/// The panic of the running (wrapper) task, as a [`PanicError`].
fn panic_error(payload: Box<dyn std::any::Any + Send>) -> PanicError {
    let task = crate::task::current();
    PanicError {
        message: crate::task::panic_message(&*payload).into(),
        task: task
            .as_ref()
            .map_or_else(|| "<unknown>".into(), |t| t.name()),
        location: task.as_ref().map_or(Location::caller(), |t| t.location()),
        payload: std::sync::Mutex::new(Some(payload)),
    }
}

/// The result of a future submitted to another thread's loop with
/// [`ThreadsafeHandle::submit`]: asyncio's `concurrent.futures.Future` from
/// `run_coroutine_threadsafe`.
///
/// Wait for it from a plain thread ([`wait`](Self::wait),
/// [`wait_timeout`](Self::wait_timeout)) or await it from a loop (it is a
/// `Future`); cancel it from anywhere ([`cancel`](Self::cancel)). `Send`.
///
/// # Cancel safety
///
/// Awaiting is a cancellation point: if the awaiting task is cancelled, the
/// await completes at once with [`SubmitError::Cancelled`] and the submitted
/// task is cancelled too (as asyncio's `wrap_future` does). Its result, if
/// it still produces one, is dropped.
///
/// ```
/// // Loop B on its own thread; loop A (here) awaits work submitted to B.
/// let (tx, rx) = std::sync::mpsc::channel();
/// let b = std::thread::spawn(move || {
///     ferrio::run(async move {
///         tx.send(ferrio::EventLoop::current().threadsafe()).unwrap();
///         std::future::pending::<()>().await
///     })
/// });
/// let remote_b = rx.recv().unwrap();
/// let on_b = ferrio::run(async {
///     remote_b.submit(async { std::thread::current().id() }).await.unwrap()
/// })
/// .unwrap();
/// assert_eq!(on_b, b.thread().id());
/// remote_b.stop().unwrap();
/// assert!(b.join().unwrap().is_err(), "B was stopped");
/// ```
#[must_use = "dropping a Submitted does not stop the task; wait for it, await it, or cancel it"]
pub struct Submitted<T> {
    shared: Arc<Shared<T>>,
    loop_id: LoopId,
    hold_pending: bool,
    checkpoint: Checkpoint,
}

impl<T> Submitted<T> {
    /// The loop the future runs on.
    pub fn loop_id(&self) -> LoopId {
        self.loop_id
    }

    /// Whether the outcome is settled (finished, failed or cancelled).
    pub fn is_done(&self) -> bool {
        !self.shared.is_pending()
    }

    /// Cancels the submission: asyncio's `future.cancel()`. If it is not
    /// settled yet, it settles at once as [`SubmitError::Cancelled`] and the
    /// task on the target loop receives a cancellation request (it may run
    /// async cleanup; its eventual result is dropped); returns `true`.
    /// Returns `false` if the outcome was already settled.
    pub fn cancel(&self) -> bool {
        cancel(&self.shared)
    }

    /// Blocks this thread until the future has finished, and returns its
    /// output: asyncio's `future.result()`.
    ///
    /// # Errors
    ///
    /// See [`SubmitError`]. [`SubmitError::WouldDeadlock`] at once if this
    /// thread owns the target loop.
    pub fn wait(self) -> Result<T, SubmitError> {
        if context::loop_by_id(self.loop_id).is_some() {
            return Err(SubmitError::WouldDeadlock);
        }
        wait_for(&self.shared, None)
    }

    /// [`wait`](Self::wait) for at most `timeout`: asyncio's
    /// `future.result(timeout)`. On [`SubmitError::Timeout`] the future runs
    /// on and this handle stays usable.
    ///
    /// # Errors
    ///
    /// See [`SubmitError`].
    ///
    /// # Panics
    ///
    /// If the output was already taken by an earlier call.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<T, SubmitError> {
        if context::loop_by_id(self.loop_id).is_some() {
            return Err(SubmitError::WouldDeadlock);
        }
        wait_for(&self.shared, Some(timeout))
    }
}

impl<T> Future for Submitted<T> {
    type Output = Result<T, SubmitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(c) = this.checkpoint.resumed() {
            return this.cancelled(c);
        }
        if this.hold_pending {
            this.hold_pending = false;
            if let Some(ticket) = ClockTicket::acquire() {
                this.shared.set_hold(ticket);
            }
        }
        match this.shared.poll(cx.waker()) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => match this.checkpoint.suspend() {
                Some(c) => this.cancelled(c),
                None => Poll::Pending,
            },
        }
    }
}

impl<T> Submitted<T> {
    /// The awaiting task was cancelled: the submitted future is cancelled
    /// too (the cancellation follows the await chain, as asyncio's
    /// `wrap_future` cancels the concurrent future).
    fn cancelled(&mut self, c: Cancelled) -> Poll<Result<T, SubmitError>> {
        cancel(&self.shared);
        self.shared.close(|_| ());
        Poll::Ready(Err(SubmitError::Cancelled(c)))
    }
}

impl<T> Drop for Submitted<T> {
    fn drop(&mut self) {
        // Nobody will take the outcome: whoever settles it drops it.
        self.shared.close(|_| ());
    }
}

impl<T> fmt::Debug for Submitted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Ready(_) => "done",
            Outcome::Taken | Outcome::Closed => "taken",
        };
        f.debug_struct("Submitted")
            .field("loop_id", &self.loop_id)
            .field("state", &state)
            .finish()
    }
}

#[cfg(all(test, ferrio_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::models::Dropped;
    use crate::loom::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    /// The target loop completing while a plain thread blocks in `wait`:
    /// the waiter is never left asleep, and gets the value.
    #[test]
    fn loom_submit_completion_reaches_blocked_waiter() {
        loom::model(|| {
            let shared: Arc<Shared<u32>> = Arc::new(Completion::new(Forward::default()));
            let producer = shared.clone();
            let target = loom::thread::spawn(move || {
                producer.settle(Ok(5), |_| ());
            });
            assert_eq!(wait_for(&shared, None).unwrap(), 5);
            target.join().unwrap();
        });
    }

    /// `cancel` racing the task's completion: exactly one outcome wins; a
    /// value that loses is dropped exactly once, and a waiter blocked
    /// meanwhile sees the winner.
    #[test]
    fn loom_submit_cancel_races_completion() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let shared: Arc<Shared<Dropped>> = Arc::new(Completion::new(Forward::default()));
            let (producer, d) = (shared.clone(), drops.clone());
            let target = loom::thread::spawn(move || {
                producer.settle(Ok(Dropped(d)), |_| ());
            });
            let canceller = shared.clone();
            let cancel = loom::thread::spawn(move || cancel(&canceller));
            let result = wait_for(&shared, None);
            let cancelled = cancel.join().unwrap();
            target.join().unwrap();
            assert_eq!(
                cancelled,
                result.is_err(),
                "cancel wins iff it returned true"
            );
            drop(result);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                1,
                "the value is dropped exactly once"
            );
        });
    }
}
