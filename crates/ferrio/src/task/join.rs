//! [`Task<T>`]: the typed handle returned by `spawn`, and awaiting it.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::cancel::cancelled::{self, Cancelled};
use super::header::*;
use super::raw::Joinable;
use super::schedule::{report_handle_dropped, report_not_retrieved};
use super::scope;
use super::{JoinError, NotDone, TaskRef};
use crate::event_loop::context;

/// A spawned task: asyncio's `Task`. Await it for its result.
///
/// Awaiting gives `Ok(value)`, or a [`JoinError`] if the task ended
/// cancelled or panicked. Awaiting a task that is already done returns its
/// outcome at once, even if the awaiting task has a cancellation pending
/// (it is delivered at its next real suspension).
///
/// # Cancellation follows the await chain
///
/// If the awaiting task is cancelled while it waits — by
/// [`cancel`](TaskRef::cancel), or by a `timeout` or `TaskGroup` around
/// the await — the request is **forwarded** to the awaited task (with its
/// message), exactly as asyncio's `Task.cancel()` cancels the future the
/// task waits on. The await then goes on until the awaited task has
/// finished, cleanup included, and gives its outcome:
///
/// - it ended cancelled: `Err(JoinError::Cancelled(c))`, where `c` is the
///   *awaiting* task's own cancellation — propagate it (`?`) and the
///   awaiting task ends cancelled, or a timeout reports `TimeoutError`;
/// - it swallowed the cancellation and returned a value (or panicked): that
///   outcome, and the awaiting task runs on. The request was consumed by the
///   awaited task; the awaiter's [`cancelling()`](TaskRef::cancelling)
///   still counts it.
///
/// [`shield`](super::shield) is the one way to await a task without
/// forwarding. Dropping a `Task` does not stop the task: it runs on,
/// detached (asyncio tasks outlive their references). If it then panics,
/// the failure is reported to the loop's exception handler ("Task exception
/// was never retrieved").
///
/// The untyped operations — [`cancel`](TaskRef::cancel), [`abort`](TaskRef::abort),
/// [`done`](TaskRef::done), [`name`](TaskRef::name), … — come from
/// [`TaskRef`], which `Task<T>` dereferences to.
///
/// ```
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let task = ferrio::task::Builder::new().name("adder").spawn(async { 1 + 1 }).unwrap();
///         assert_eq!(&*task.name(), "adder");
///         assert_eq!(task.await.unwrap(), 2);
///     })
///     .unwrap();
/// ```
///
/// Cancelling a task that awaits another cancels both, and the cleanup of
/// the inner one runs before the outer one resumes:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use ferrio::{Cancelled, JoinError};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let log = Rc::new(RefCell::new(Vec::new()));
///         let (l1, l2) = (log.clone(), log.clone());
///         let outer = ferrio::spawn(async move {
///             let inner = ferrio::spawn(async move {
///                 if let Err(c) = ferrio::sleep(Duration::from_secs(60)).await {
///                     ferrio::sleep(Duration::from_millis(5)).await?; // cleanup awaits
///                     l1.borrow_mut().push("inner cleaned up");
///                     return Err(c);
///                 }
///                 Ok::<_, Cancelled>(())
///             });
///             let joined = inner.await;
///             l2.borrow_mut().push("outer resumed");
///             match joined {
///                 Err(JoinError::Cancelled(c)) => Err(c), // our own cancellation: propagate
///                 other => Ok(other.unwrap().unwrap()),
///             }
///         });
///         ferrio::sleep(Duration::from_secs(1)).await.unwrap();
///         outer.cancel_with("shutting down");
///         assert!(outer.await.unwrap_err().is_cancelled());
///         assert_eq!(*log.borrow(), ["inner cleaned up", "outer resumed"]);
///     })
///     .unwrap();
/// ```
pub struct Task<T> {
    handle: Joinable<T>,
}

impl<T> Task<T> {
    pub(crate) fn new(handle: Joinable<T>) -> Task<T> {
        Task { handle }
    }

    fn meta(&self) -> &Meta {
        self.handle.raw().meta()
    }

    /// The task's outcome if it is done, `None` while it runs: asyncio's
    /// `result()` (which raises `InvalidStateError` while pending).
    ///
    /// The value is taken: a later call (or await) gives
    /// [`JoinError::ResultTaken`]. A cancellation or a panic can be read
    /// again (the panic's payload goes to the first caller).
    pub fn try_result(&self) -> Option<Result<T, JoinError>> {
        if !self.meta().has(COMPLETE) {
            return None;
        }
        Some(self.take_outcome())
    }

    /// The outcome of a finished task.
    fn take_outcome(&self) -> Result<T, JoinError> {
        let meta = self.meta();
        meta.set(RETRIEVED);
        meta.clear(JOIN_WAITING);
        if meta.has(CANCELLED) {
            let message = meta.cold(|c| c.cancel_message.clone()).flatten();
            Err(JoinError::Cancelled(Cancelled::untracked(message)))
        } else if meta.has(PANICKED) {
            Err(JoinError::Panicked(
                self.handle
                    .task()
                    .take_panic()
                    .expect("a panicked task has a panic"),
            ))
        } else {
            self.handle.take_output().ok_or(JoinError::ResultTaken)
        }
    }

    /// Why the task has no value, asyncio's `exception()`: `Ok(None)` if it
    /// returned one, `Ok(Some(JoinError::Cancelled(..)))` if it ended
    /// cancelled, `Ok(Some(JoinError::Panicked(..)))` if it panicked (the
    /// panic's payload goes to the first caller). Counts as retrieving the
    /// failure, so it is not reported as lost.
    ///
    /// # Errors
    ///
    /// [`NotDone`] while the task runs.
    ///
    /// ```
    /// ferrio::EventLoop::new().unwrap()
    ///     .run_until_complete(async {
    ///         let task = ferrio::spawn(async { panic!("boom") });
    ///         assert!(task.exception().is_err(), "not done yet");
    ///         ferrio::yield_now().await.unwrap();
    ///         let failure = task.exception().unwrap().unwrap();
    ///         assert!(failure.is_panic());
    ///     })
    ///     .unwrap();
    /// ```
    pub fn exception(&self) -> Result<Option<JoinError>, NotDone> {
        let meta = self.meta();
        if !meta.has(COMPLETE) {
            return Err(NotDone);
        }
        if !meta.has(CANCELLED | PANICKED) {
            return Ok(None);
        }
        Ok(self.take_outcome().err())
    }

    /// Lets the task run on without a handle, on purpose. (Dropping the
    /// handle does the same; in debug mode that is reported, this is not.)
    pub fn detach(self) {
        self.meta().set(DETACHED);
    }

    /// Registers `waker` to be woken when the task completes, without
    /// awaiting it: how `gather` and friends watch many tasks at once.
    ///
    /// # Errors
    ///
    /// [`JoinError::ForeignLoop`] if the task's loop is not running on this
    /// thread (it cannot complete while this loop runs).
    pub(crate) fn watch(&self, waker: &Waker) -> Result<(), JoinError> {
        let meta = self.meta();
        if context::current_if(meta.loop_id).is_none() {
            return Err(JoinError::ForeignLoop);
        }
        let waker = match meta.join_waker.take() {
            Some(w) if w.will_wake(waker) => w,
            _ => waker.clone(),
        };
        meta.join_waker.set(Some(waker));
        Ok(())
    }

    /// Awaits the task. With `forward`, a cancellation of the awaiting task
    /// is forwarded to it and the await goes on (see the type's docs);
    /// without (`shield`), it completes the await at once and the task runs
    /// on.
    pub(crate) fn poll_join(
        &mut self,
        cx: &mut Context<'_>,
        forward: bool,
    ) -> Poll<Result<T, JoinError>> {
        let meta = self.meta();
        if meta.has(COMPLETE) {
            let forwarded = meta.take_join_cancel();
            if meta.has(JOIN_WAITING) {
                // Resumed after suspending: a cancellation that arrived
                // meanwhile wins over the outcome, as asyncio throws it in
                // at the await.
                if let Some(c) = cancelled::take_pending() {
                    let mut kept = forwarded;
                    scope::absorb(&mut kept, c);
                    drop(self.take_outcome());
                    return Poll::Ready(Err(JoinError::Cancelled(kept.expect("just absorbed"))));
                }
            }
            return Poll::Ready(match self.take_outcome() {
                // It ended by the cancellation we forwarded: it is ours.
                Err(JoinError::Cancelled(own)) => {
                    Err(JoinError::Cancelled(forwarded.unwrap_or(own)))
                }
                // It swallowed our request (the request was consumed there).
                outcome => outcome,
            });
        }
        if let Err(e) = self.watch(cx.waker()) {
            return Poll::Ready(Err(e));
        }
        if let Some(c) = cancelled::take_pending() {
            if !forward {
                meta.join_waker.take();
                meta.clear(JOIN_WAITING);
                return Poll::Ready(Err(JoinError::Cancelled(c)));
            }
            self.handle.task().request_cancel(c.message_arc());
            meta.cold_mut(|cold| scope::absorb(&mut cold.join_cancel, c));
        }
        meta.set(JOIN_WAITING);
        super::note_wait("task join");
        Poll::Pending
    }
}

impl<T> Deref for Task<T> {
    type Target = TaskRef;

    fn deref(&self) -> &TaskRef {
        self.handle.task()
    }
}

/// # Cancel safety
///
/// Cancelling the awaiting task cancels the awaited one and keeps waiting
/// for it (see the type's docs); nothing is lost. Dropping the future (the
/// handle) detaches the task.
impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_join(cx, true)
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let raw = self.handle.raw();
        let meta = raw.meta();
        meta.clear(HANDLE | JOIN_WAITING);
        // A forwarded cancellation nobody will collect: the awaiter let go.
        drop(meta.take_join_cancel());
        if meta.has(COMPLETE) {
            raw.drop_output();
            if meta.has(PANICKED) {
                report_not_retrieved(None, raw);
            }
        }
        if !meta.has(RETRIEVED | DETACHED) {
            report_handle_dropped(raw);
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.handle.task(), f)
    }
}
