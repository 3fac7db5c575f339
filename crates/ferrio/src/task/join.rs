//! [`Task<T>`]: the typed handle returned by `spawn`.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::cancelled::{self, Cancelled};
use super::header::*;
use super::raw::Joinable;
use super::schedule::{report_handle_dropped, report_not_retrieved};
use super::{JoinError, TaskRef};
use crate::event_loop::context;

/// A spawned task: asyncio's `Task`. Await it for its result.
///
/// Awaiting gives `Ok(value)`, or a [`JoinError`] if the task ended
/// cancelled or panicked. Awaiting is itself a cancellation point: if the
/// awaiting task is cancelled meanwhile, it gets `JoinError::Cancelled` —
/// its own cancellation, which it should propagate — and the awaited task
/// keeps running (cancel it, or use a task group, to stop it too).
///
/// Dropping a `Task` does not stop the task: it runs on, detached. If it
/// then panics, the failure is reported to the loop's exception handler
/// ("Task exception was never retrieved").
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
pub struct Task<T> {
    handle: Joinable<T>,
}

impl<T> Task<T> {
    pub(crate) fn new(handle: Joinable<T>) -> Task<T> {
        Task { handle }
    }

    /// The task's outcome if it is done, `None` while it runs: asyncio's
    /// `result()` (which raises `InvalidStateError` while pending).
    ///
    /// # Panics
    ///
    /// If the value was already taken, by an earlier call or by awaiting.
    pub fn try_result(&self) -> Option<Result<T, JoinError>> {
        let meta = self.handle.raw().meta();
        if !meta.has(COMPLETE) {
            return None;
        }
        meta.set(RETRIEVED);
        Some(if meta.has(CANCELLED) {
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
            match self.handle.take_output() {
                Some(value) => Ok(value),
                None => panic!("the result of task '{}' was already taken", meta.name()),
            }
        })
    }

    /// The panic message if the task panicked: asyncio's `exception()`.
    /// Counts as retrieving the failure, so it is not reported as lost.
    pub fn exception(&self) -> Option<String> {
        let meta = self.handle.raw().meta();
        if !meta.has(PANICKED) {
            return None;
        }
        meta.set(RETRIEVED);
        meta.cold(|c| c.panic_message.as_deref().map(str::to_owned))
            .flatten()
    }

    /// Lets the task run on without a handle, on purpose. (Dropping the
    /// handle does the same.)
    pub fn detach(self) {
        self.handle.raw().meta().set(DETACHED);
    }
}

impl<T> Deref for Task<T> {
    type Target = TaskRef;

    fn deref(&self) -> &TaskRef {
        self.handle.task()
    }
}

impl<T> Future for Task<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(c) = cancelled::take_pending() {
            return Poll::Ready(Err(JoinError::Cancelled(c)));
        }
        if let Some(result) = self.try_result() {
            return Poll::Ready(result);
        }
        let meta = self.handle.raw().meta();
        if context::current_if(meta.loop_id).is_none() {
            return Poll::Ready(Err(JoinError::ForeignLoop));
        }
        let waker = match meta.join_waker.take() {
            Some(w) if w.will_wake(cx.waker()) => w,
            _ => cx.waker().clone(),
        };
        meta.join_waker.set(Some(waker));
        super::note_wait("task join");
        Poll::Pending
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let raw = self.handle.raw();
        let meta = raw.meta();
        meta.clear(HANDLE);
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
