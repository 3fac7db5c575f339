//! Tasks: spawn, names, states, cooperative cancellation, join —
//! asyncio's `create_task`, `Task`, `current_task()` and `all_tasks()`.
//!
//! A task is a future driven by the loop. Spawned futures need not be
//! `Send`: a task lives on its loop's thread and may hold `Rc`/`RefCell`.
//!
//! # Cancellation
//!
//! [`TaskRef::cancel`] is a request. It is delivered once, at the task's
//! next suspension on a ferrio awaitable (`sleep`, `yield_now`, awaiting a
//! `Task`, and the lock, queue and I/O waits), which completes with
//! [`Cancelled`] instead of its value. The task can then run async cleanup,
//! awaiting normally, and end cancelled by returning the `Cancelled` — or
//! swallow it and go on. [`TaskRef::abort`] is the hard stop: it drops the
//! future at once.
//!
//! ```
//! use std::time::Duration;
//! use ferrio::Cancelled;
//!
//! ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
//!     .run_until_complete(async {
//!         let worker = ferrio::spawn(async {
//!             match ferrio::sleep(Duration::from_secs(3600)).await {
//!                 Ok(()) => Ok("slept"),
//!                 Err(cancelled) => {
//!                     // Cleanup may await.
//!                     ferrio::sleep(Duration::from_millis(10)).await?;
//!                     Err::<&str, Cancelled>(cancelled)
//!                 }
//!             }
//!         });
//!         ferrio::yield_now().await.unwrap();
//!         assert!(worker.cancel());
//!         assert!(worker.await.unwrap_err().is_cancelled());
//!     })
//!     .unwrap();
//! ```

mod builder;
pub(crate) mod cancel;
pub(crate) mod engine;
mod join;
mod join_error;
mod shield;
mod task_ref;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::Arc;

pub use builder::Builder;
pub use cancel::{poll_cancelled, until_cancelled, Cancelled, UntilCancelled};
pub use engine::header::DoneCallbackId;
pub use join::Task;
pub use join_error::{JoinError, NotDone, PanicError};
pub use shield::{shield, Shield};
pub use task_ref::TaskRef;

pub(crate) use cancel::cancelled::{take_pending as take_pending_cancel, Checkpoint};
pub(crate) use cancel::scope;
pub(crate) use engine::main_task::run_main;
pub(crate) use engine::{header, raw, schedule};
pub(crate) use join_error::{cancelled_or_panicked, panic_message};

use crate::event_loop::context;
use crate::event_loop::inner::{Inner, Job};
use crate::event_loop::{LoopClosed, SpawnError};
use header::{Meta, HANDLE, SCHEDULED};
use raw::RawTask;

/// Identifies a task within its loop. Tasks are numbered from 1 in spawn
/// order; the default name of task `n` is `Task-n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    pub(crate) fn from_raw(id: u64) -> TaskId {
        TaskId(NonZeroU64::new(id).expect("task ids start at 1"))
    }

    /// The number of the task.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Spawns `future` as a task of the running loop: asyncio's `create_task`.
///
/// The task starts on the loop's next iteration, after the work already
/// ready. Await the returned [`Task`] for its output; drop it to let the
/// task run on detached.
///
/// # Panics
///
/// If no loop is running on this thread, or it is closing. Use
/// [`Builder::spawn`] or [`Handle::spawn`](crate::Handle::spawn) for a
/// `Result` instead.
///
/// ```
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let tasks: Vec<_> = (0..3).map(|i| ferrio::spawn(async move { i * 10 })).collect();
///         let mut results = Vec::new();
///         for task in tasks {
///             results.push(task.await.unwrap());
///         }
///         assert_eq!(results, [0, 10, 20]);
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
{
    match spawn_current(future, None, Location::caller()) {
        Ok(task) => task,
        Err(e) => panic!("ferrio::spawn: {e}"),
    }
}

fn spawn_current<F>(
    future: F,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
) -> Result<Task<F::Output>, SpawnError>
where
    F: Future + 'static,
{
    match context::current() {
        Some(inner) => spawn_on(&inner, future, name, location),
        None => Err(SpawnError::NoRunningLoop),
    }
}

pub(crate) fn spawn_on<F>(
    inner: &Inner,
    future: F,
    name: Option<Arc<str>>,
    location: &'static Location<'static>,
) -> Result<Task<F::Output>, SpawnError>
where
    F: Future + 'static,
{
    if inner.is_closed() {
        return Err(SpawnError::LoopClosed(LoopClosed));
    }
    let meta = new_meta(inner, name, location);
    Ok(link(
        inner,
        RawTask::allocate(future, meta, spawn_record(inner)),
    ))
}

/// The activity record of a task spawned now, if the loop tracks activity
/// (it goes into the task's cell: see `engine::raw`).
#[inline]
fn spawn_record(inner: &Inner) -> Option<header::Tracked> {
    if inner.tracking() {
        Some(spawn_record_now(inner))
    } else {
        None
    }
}

/// The spawn time of a task, while the loop tracks activity: the loop time
/// at the start of the tracked poll that spawns it (read once per poll, not
/// once per spawn), or the clock's now outside one.
#[cold]
#[inline(never)]
fn spawn_record_now(inner: &Inner) -> header::Tracked {
    let now = inner
        .tracked_poll_started
        .get()
        .unwrap_or_else(|| crate::event_loop::clock::nanos_since_epoch(inner.clock.now()));
    header::Tracked::spawned_at(now)
}

#[inline]
fn new_meta(inner: &Inner, name: Option<Arc<str>>, location: &'static Location<'static>) -> Meta {
    let parent = RawTask::with_current_meta(&inner.current_task, |m| m.id);
    Meta::new(
        inner.next_task_id(),
        inner.id,
        location,
        parent,
        name,
        HANDLE | SCHEDULED,
    )
}

/// Links a new task into the loop's live list and run queue.
fn link<T>(inner: &Inner, allocated: raw::Allocated<T>) -> Task<T> {
    inner.tasks.push(allocated.live);
    inner
        .run_queue
        .borrow_mut()
        .push_back(Job::Task(allocated.queued));
    Task::new(allocated.handle)
}

/// Diagnostics hook for leaf futures: notes what the running task waits on
/// (`"sleep"`, `"lock"`, …) for task dumps. Call it when returning
/// `Poll::Pending`. The first note of a poll wins, so the innermost
/// awaitable, polled first, names the wait. A no-op (one `Cell` read) unless
/// the loop tracks activity.
#[inline]
pub(crate) fn note_wait(what: &'static str) {
    if !context::tracking_seen() {
        return;
    }
    context::with_current(|inner| match inner {
        Some(inner) if inner.track_activity.get() => {
            RawTask::with_current_tracked(&inner.current_task, |meta, tracked| match tracked {
                Some(t) => t.note_wait(what),
                None => meta.cold_mut(|c| c.waiting_on = c.waiting_on.or(Some(what))),
            });
        }
        _ => {}
    });
}

/// The task being run, if called from one: asyncio's `current_task()`.
pub fn current() -> Option<TaskRef> {
    context::with_current(|inner| RawTask::current(&inner?.current_task)).map(TaskRef::new)
}

/// The running loop's tasks that are not done yet, oldest first: asyncio's
/// `all_tasks()`. Empty outside a running loop.
pub fn all() -> Vec<TaskRef> {
    context::with_current(|inner| match inner {
        Some(inner) => inner
            .tasks
            .snapshot()
            .into_iter()
            .map(TaskRef::new)
            .collect(),
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    //! Whole-loop tests of the task layer, small enough for Miri: they
    //! exercise the raw cell, the live list and the local/atomic reference
    //! split through spawn, wake, cancel, abort and cross-thread wakers.

    use std::cell::Cell;
    use std::rc::Rc;
    use std::task::{Poll, Waker};
    use std::time::Duration;

    use crate::EventLoop;

    fn virtual_loop() -> EventLoop {
        EventLoop::builder().virtual_clock(true).build().unwrap()
    }

    #[test]
    fn spawn_join_cancel_abort_under_one_loop() {
        let dropped = Rc::new(Cell::new(0));
        let d = dropped.clone();
        let result = virtual_loop()
            .run_until_complete(async move {
                let quick = super::spawn(async { 7 });
                let sleeper = super::spawn(async {
                    crate::sleep(Duration::from_secs(10)).await?;
                    Ok::<_, super::Cancelled>(())
                });
                struct Guard(Rc<Cell<u32>>);
                impl Drop for Guard {
                    fn drop(&mut self) {
                        self.0.set(self.0.get() + 1);
                    }
                }
                let guard = Guard(d);
                let stuck = super::spawn(async move {
                    let _g = guard;
                    std::future::pending::<()>().await
                });
                crate::yield_now().await.unwrap();
                assert!(sleeper.cancel());
                assert!(stuck.abort());
                assert_eq!(super::all().len(), 2, "main and the cancelled sleeper");
                let a = quick.await.unwrap();
                let b = sleeper.await.unwrap_err().is_cancelled();
                let c = stuck.await.unwrap_err().is_cancelled();
                (a, b, c)
            })
            .unwrap();
        assert_eq!(result, (7, true, true));
        assert_eq!(dropped.get(), 1);
    }

    #[test]
    fn waker_woken_and_dropped_on_another_thread() {
        let out = EventLoop::new()
            .unwrap()
            .run_until_complete(async {
                let waker: Rc<Cell<Option<Waker>>> = Rc::new(Cell::new(None));
                let w = waker.clone();
                let woken = Rc::new(Cell::new(false));
                let flag = woken.clone();
                let task = super::spawn(std::future::poll_fn(move |cx| {
                    if flag.get() {
                        return Poll::Ready(1);
                    }
                    w.set(Some(cx.waker().clone()));
                    Poll::Pending
                }));
                crate::yield_now().await.unwrap();
                let remote = waker.take().expect("the task polled once");
                let spare = remote.clone();
                woken.set(true);
                let thread = std::thread::spawn(move || {
                    remote.wake();
                    drop(spare);
                });
                let v = task.await.unwrap();
                thread.join().unwrap();
                v
            })
            .unwrap();
        assert_eq!(out, 1);
    }
}
