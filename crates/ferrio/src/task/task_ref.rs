//! [`TaskRef`]: an untyped reference to a task.

use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::Arc;

use super::header::*;
use super::raw::RawTask;
use super::schedule::{abort_now, schedule};
use super::TaskId;
use crate::event_loop::{context, LoopId};

/// A reference to a task whatever its output type: what
/// [`task::current()`](super::current) and [`task::all()`](super::all)
/// return, and what a [`Task<T>`](super::Task) dereferences to for the
/// operations that do not touch the output.
///
/// Holding a `TaskRef` keeps the task's bookkeeping alive, not its future:
/// the task still runs, finishes and is cleaned up as usual. `!Send`: tasks
/// live on their loop's thread.
#[derive(Clone)]
pub struct TaskRef {
    raw: RawTask,
    _not_send: PhantomData<*const ()>,
}

impl TaskRef {
    pub(crate) fn new(raw: RawTask) -> TaskRef {
        TaskRef {
            raw,
            _not_send: PhantomData,
        }
    }

    pub(crate) fn raw(&self) -> &RawTask {
        &self.raw
    }

    fn meta(&self) -> &Meta {
        self.raw.meta()
    }

    /// The task's id, unique within its loop.
    pub fn id(&self) -> TaskId {
        self.meta().id
    }

    /// The id of the loop the task belongs to.
    pub fn loop_id(&self) -> LoopId {
        self.meta().loop_id
    }

    /// The task's name: the one given to [`Builder::name`](super::Builder::name),
    /// or `Task-<id>`.
    pub fn name(&self) -> Arc<str> {
        self.meta().name()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.meta().location
    }

    /// The id of the task that spawned this one, if it was spawned from a task.
    pub fn parent_id(&self) -> Option<TaskId> {
        self.meta().parent
    }

    /// Whether the task has finished: returned, panicked, or was cancelled.
    pub fn done(&self) -> bool {
        self.meta().has(COMPLETE)
    }

    /// Whether the task finished in the cancelled state.
    pub fn cancelled(&self) -> bool {
        self.meta().has(CANCELLED)
    }

    /// Whether the task finished by panicking.
    pub fn panicked(&self) -> bool {
        self.meta().has(PANICKED)
    }

    /// Requests cancellation: asyncio's `Task.cancel()`.
    ///
    /// The request is delivered once, at the task's next suspension on a
    /// ferrio awaitable, which then completes with [`Cancelled`](super::Cancelled).
    /// The task can run async cleanup, and may even swallow it. A task that has
    /// not started yet never runs. Returns `false` if the task is already done.
    pub fn cancel(&self) -> bool {
        self.request_cancel(None)
    }

    /// [`cancel`](Self::cancel) with a message, which the delivered
    /// [`Cancelled`](super::Cancelled) carries.
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.request_cancel(Some(message.into()))
    }

    /// Cancels the task so that the cancellation *ends* it: if the task's
    /// next poll cannot deliver the request (it is parked on a future that
    /// is not a ferrio awaitable), the task is aborted. How task groups and
    /// shutdown cancel: cancellation always ends.
    pub(crate) fn cancel_hard(&self, message: Option<Arc<str>>) -> bool {
        let requested = self.request_cancel(message);
        if requested {
            self.meta().set(HARD_CANCEL);
        }
        requested
    }

    pub(crate) fn request_cancel(&self, message: Option<Arc<str>>) -> bool {
        let meta = self.meta();
        if meta.has(COMPLETE) {
            return false;
        }
        meta.set_cancel_requests(meta.cancel_requests().saturating_add(1));
        if let Some(message) = message {
            meta.cold_mut(|cold| cold.cancel_message = Some(message));
        }
        // A fresh request, not a re-armed one.
        meta.clear(REARMED);
        meta.set(MUST_CANCEL);
        if !meta.has(RUNNING) {
            schedule(self.raw.clone());
        }
        true
    }

    /// The number of pending cancellation requests: asyncio's `cancelling()`.
    pub fn cancelling(&self) -> u32 {
        self.meta().cancel_requests()
    }

    /// Withdraws one cancellation request and returns how many remain:
    /// asyncio's `uncancel()`. At zero, an undelivered request is dropped.
    pub fn uncancel(&self) -> u32 {
        let meta = self.meta();
        let n = meta.cancel_requests().saturating_sub(1);
        meta.set_cancel_requests(n);
        if n == 0 {
            meta.clear(MUST_CANCEL | REARMED);
        }
        n
    }

    /// Hard stop: drops the task's future at once, without letting it run
    /// cleanup, for futures that never reach a ferrio awaitable. The task
    /// ends cancelled. Returns `false` if the task was already done.
    ///
    /// If the task aborts itself, its future is dropped as soon as the
    /// current poll returns. If its loop is not running, when it next runs.
    pub fn abort(&self) -> bool {
        let meta = self.meta();
        if meta.has(COMPLETE) {
            return false;
        }
        if meta.has(RUNNING) {
            meta.set(ABORT);
            return true;
        }
        match context::current_if(meta.loop_id) {
            Some(inner) => abort_now(&inner, &self.raw),
            None => {
                meta.set(ABORT);
                schedule(self.raw.clone());
            }
        }
        true
    }

    /// Runs `callback` when the task is done, through the loop's
    /// `call_soon`, as asyncio's `add_done_callback`. If the task is already
    /// done, the callback is scheduled at once (or, if its loop is not
    /// running, called at once). The id removes it again
    /// ([`remove_done_callback`](Self::remove_done_callback)).
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) -> DoneCallbackId {
        let id = DoneCallbackId::next();
        let meta = self.meta();
        if !meta.has(COMPLETE) {
            meta.cold_mut(|cold| cold.done_callbacks.push((id, Box::new(callback))));
            return id;
        }
        match context::current_if(meta.loop_id) {
            Some(inner) => {
                let task = self.clone();
                inner.push_callback(crate::event_loop::callback_entry(Box::new(move || {
                    callback(&task)
                })));
            }
            None => callback(self),
        }
        id
    }

    /// Removes a done callback that has not been scheduled yet: asyncio's
    /// `remove_done_callback`. Returns how many were removed (0 once the
    /// task is done: its callbacks are scheduled at completion).
    ///
    /// ```
    /// ferrio::EventLoop::new().unwrap()
    ///     .run_until_complete(async {
    ///         let task = ferrio::spawn(async {});
    ///         let id = task.add_done_callback(|_| unreachable!("removed"));
    ///         assert_eq!(task.remove_done_callback(id), 1);
    ///         assert_eq!(task.remove_done_callback(id), 0);
    ///         task.await.unwrap();
    ///     })
    ///     .unwrap();
    /// ```
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        let meta = self.meta();
        if meta.has(COMPLETE) {
            return 0;
        }
        if meta.cold(|_| ()).is_none() {
            return 0;
        }
        // Dropped after the borrow: a callback may own a handle to this task.
        let removed: Vec<_> = meta.cold_mut(|cold| {
            let (removed, kept) = std::mem::take(&mut cold.done_callbacks)
                .into_iter()
                .partition(|(i, _)| *i == id);
            cold.done_callbacks = kept;
            removed
        });
        removed.len()
    }
}

impl TaskRef {
    /// The panic of a task that panicked, as an error (the payload goes to
    /// the first caller). Counts as retrieving it.
    pub(crate) fn take_panic(&self) -> Option<super::PanicError> {
        let meta = self.meta();
        if !meta.has(PANICKED) {
            return None;
        }
        meta.set(RETRIEVED);
        let (payload, message) = meta.cold_mut(|c| (c.panic.take(), c.panic_message.clone()));
        Some(super::PanicError {
            message: message.unwrap_or_else(|| "<unknown>".into()),
            task: meta.name(),
            location: meta.location,
            payload: std::sync::Mutex::new(payload),
        })
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &TaskRef) -> bool {
        self.raw.same(&other.raw)
    }
}

impl Eq for TaskRef {}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meta = self.meta();
        let state = if !meta.has(COMPLETE) {
            if meta.cancel_requests() > 0 {
                "cancelling"
            } else {
                "pending"
            }
        } else if meta.has(CANCELLED) {
            "cancelled"
        } else if meta.has(PANICKED) {
            "panicked"
        } else {
            "finished"
        };
        f.debug_struct("Task")
            .field("id", &meta.id)
            .field("name", &meta.name())
            .field("state", &state)
            .field("location", &format_args!("{}", meta.location))
            .finish()
    }
}
