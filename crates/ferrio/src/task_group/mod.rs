//! [`TaskGroup`]: structured concurrency, asyncio's `asyncio.TaskGroup`.
//!
//! A group runs a *body* and the child tasks it spawns, and completes only
//! when all of them have. The first failure — a child returning `Err` or
//! panicking, or the body returning `Err` — cancels every other child and
//! the body, waits for their cleanup, and returns all the failures
//! together ([`ErrorGroup`]); the cancellations it caused are not listed.
//! Cancelling the task that runs the group cancels the children too, and
//! waits for them.
//!
//! ```
//! use std::time::Duration;
//! use ferrio::task_group::TaskGroup;
//!
//! #[derive(Debug)]
//! #[allow(dead_code)] // the fields are read through Debug
//! enum FetchError {
//!     Refused(u32),
//!     // Keep the Cancelled: the group recognises its own cancellation by it.
//!     Cancelled(ferrio::Cancelled),
//! }
//!
//! impl From<ferrio::Cancelled> for FetchError {
//!     fn from(c: ferrio::Cancelled) -> Self {
//!         FetchError::Cancelled(c)
//!     }
//! }
//!
//! async fn fetch(id: u32) -> Result<u32, FetchError> {
//!     ferrio::sleep(Duration::from_millis(10 * id as u64)).await?;
//!     if id == 3 { Err(FetchError::Refused(id)) } else { Ok(id * 100) }
//! }
//!
//! ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
//!     .run_until_complete(async {
//!         let (a, b) = TaskGroup::run(|group| async move {
//!             let a = group.spawn(fetch(1)).unwrap();
//!             let b = group.spawn(fetch(2)).unwrap();
//!             Ok::<_, FetchError>((a, b))
//!         })
//!         .await
//!         .unwrap();
//!         assert_eq!((a.await.unwrap(), b.await.unwrap()), (100, 200));
//!
//!         let failed = TaskGroup::run(|group| async move {
//!             for id in 1..=4 {
//!                 group.spawn_named(format!("fetch-{id}"), fetch(id)).unwrap();
//!             }
//!             Ok::<_, FetchError>(())
//!         })
//!         .await
//!         .unwrap_err();
//!         // fetch-3 failed; fetch-4 was cancelled by it and is not listed.
//!         let failures = failed.failures().unwrap();
//!         assert_eq!(failures.len(), 1);
//!         assert_eq!(&*failures.failures()[0].name, "fetch-3");
//!     })
//!     .unwrap();
//! ```

mod error;
mod group_task;
mod spawn_error;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

pub use error::{ErrorGroup, Failure, FailureKind, GroupTaskError, TaskGroupError};
pub use group_task::GroupTask;
pub use spawn_error::GroupSpawnError;

use crate::task::scope::{self, CancelScope};
use crate::task::{self, take_pending_cancel, Cancelled, TaskRef};
use group_task::ChildEnd;

/// A handle to a running task group, given to its body: spawn children
/// with it. Cheap to clone; children may hold one to spawn siblings.
///
/// asyncio's `async with TaskGroup() as tg: tg.create_task(..)` is
/// [`TaskGroup::run`] with a body that spawns through the handle; the
/// group's result comes back once the body and every child are done.
///
/// ```
/// use std::time::Duration;
/// use ferrio::TaskGroup;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let sum = TaskGroup::run(|group| async move {
///             let tasks: Vec<_> = (1..=3u64)
///                 .map(|i| {
///                     group.spawn(async move {
///                         ferrio::sleep(Duration::from_millis(i)).await?;
///                         Ok::<_, ferrio::Cancelled>(i)
///                     })
///                 })
///                 .collect::<Result<_, _>>()
///                 .unwrap();
///             let mut sum = 0;
///             for task in tasks {
///                 sum += task.await.unwrap();
///             }
///             Ok::<_, ferrio::Cancelled>(sum)
///         })
///         .await
///         .unwrap();
///         assert_eq!(sum, 6);
///     })
///     .unwrap();
/// ```
pub struct TaskGroup<E> {
    state: Rc<GroupState<E>>,
}

struct GroupState<E> {
    /// Cancels the body.
    scope: Rc<CancelScope>,
    children: RefCell<Vec<TaskRef>>,
    running: Cell<usize>,
    /// Children whose future was dropped without returning (panicked,
    /// aborted, cancelled before starting): checked for a panic once they
    /// are complete.
    unreturned: RefCell<Vec<usize>>,
    failures: RefCell<Vec<Failure<E>>>,
    aborting: Cell<bool>,
    finished: Cell<bool>,
}

impl<E> GroupState<E> {
    /// Records a failure and aborts the group.
    fn fail(&self, failure: Failure<E>) {
        self.failures.borrow_mut().push(failure);
        self.abort();
    }

    /// Records the panics of children that ended without returning.
    fn collect_panics(&self) {
        let unreturned = std::mem::take(&mut *self.unreturned.borrow_mut());
        for index in unreturned {
            let child = self.children.borrow()[index].clone();
            if let Some(panic) = child.take_panic() {
                self.fail(Failure {
                    task_id: Some(child.id()),
                    name: child.name(),
                    error: FailureKind::Panic(panic),
                });
            }
        }
    }

    /// Cancels every child still running and the body (once).
    fn abort(&self) {
        if self.aborting.replace(true) {
            return;
        }
        let children = self.children.borrow().clone();
        // A child parked on a foreign future cannot take the cancellation:
        // it is aborted instead (cancellation always ends). The child whose
        // failure aborts the group is finishing already: not cancelled.
        let me = task::current();
        for child in children
            .iter()
            .filter(|c| !c.done() && Some(*c) != me.as_ref())
        {
            child.cancel_hard(None);
        }
        self.scope.cancel(Some("task group aborted".into()));
    }
}

impl<E: 'static> TaskGroup<E> {
    /// Runs `body` with a new group and waits for it and every child it
    /// spawned: asyncio's `async with TaskGroup() as group:`.
    ///
    /// Returns the body's value once every child succeeded; otherwise
    /// [`TaskGroupError::Failed`] with every failure, or
    /// [`TaskGroupError::Cancelled`] if the running task was cancelled from
    /// outside (its cancellation request stays counted: `cancelling()` is
    /// still 1 afterwards, as in asyncio).
    ///
    /// # Cancel safety
    ///
    /// Cancelling the running task cancels the body and every child, and
    /// the group still waits for all of them before returning. Dropping the
    /// group's future cancels the children and lets them finish detached.
    pub fn run<B, F, R>(body: B) -> GroupRun<F, E>
    where
        B: FnOnce(TaskGroup<E>) -> F,
        F: Future<Output = Result<R, E>>,
    {
        let state = Rc::new(GroupState {
            scope: CancelScope::new(),
            children: RefCell::new(Vec::new()),
            running: Cell::new(0),
            unreturned: RefCell::new(Vec::new()),
            failures: RefCell::new(Vec::new()),
            aborting: Cell::new(false),
            finished: Cell::new(false),
        });
        let body = body(TaskGroup {
            state: state.clone(),
        });
        GroupRun {
            body: Some(body),
            state,
            body_done: false,
            output: None,
            outer_cancel: None,
        }
    }

    /// Spawns a child: asyncio's `group.create_task(coro)`. The child is a
    /// task like any other (visible in [`task::all()`](crate::task::all));
    /// if it returns `Err`, or panics, the group aborts.
    ///
    /// # Errors
    ///
    /// [`GroupSpawnError::ShuttingDown`] once a child failed or the group
    /// finished; [`GroupSpawnError::Spawn`] if the loop refused it.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> Result<GroupTask<T>, GroupSpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_with(task::Builder::new(), future)
    }

    /// [`spawn`](Self::spawn) with a task name.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn).
    #[track_caller]
    pub fn spawn_named<F, T>(
        &self,
        name: impl Into<Arc<str>>,
        future: F,
    ) -> Result<GroupTask<T>, GroupSpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_with(task::Builder::new().name(name), future)
    }

    #[track_caller]
    fn spawn_with<F, T>(
        &self,
        builder: task::Builder,
        future: F,
    ) -> Result<GroupTask<T>, GroupSpawnError>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let state = &self.state;
        if state.aborting.get() || state.finished.get() {
            return Err(GroupSpawnError::ShuttingDown);
        }
        let index = state.children.borrow().len();
        let guard = ChildGuard {
            state: self.state.clone(),
            index,
            returned: false,
        };
        let task = builder.spawn(async move {
            let mut guard = guard;
            let outcome = future.await;
            guard.returned = true;
            match outcome {
                Ok(value) => Ok(value),
                Err(error) => match scope::held_cancellation() {
                    // It ended by a cancellation (the group's abort, or
                    // its own): not a failure of the group.
                    Some(cancelled) => {
                        drop(error);
                        Err(ChildEnd::Cancelled(cancelled))
                    }
                    None => {
                        let me = task::current().expect("a group child runs as a task");
                        guard.state.fail(Failure {
                            task_id: Some(me.id()),
                            name: me.name(),
                            error: FailureKind::Error(error),
                        });
                        Err(ChildEnd::Failed)
                    }
                },
            }
        })?;
        state.children.borrow_mut().push((*task).clone());
        state.running.set(state.running.get() + 1);
        Ok(GroupTask::new(task))
    }

    /// The children spawned so far (finished or not).
    pub fn tasks(&self) -> Vec<TaskRef> {
        self.state.children.borrow().clone()
    }

    /// Whether the group is aborting: a failure happened and the children
    /// and body are being cancelled.
    pub fn is_aborting(&self) -> bool {
        self.state.aborting.get()
    }
}

/// Lives in a child's future: counts the child out of the group when the
/// future ends or is dropped, and wakes the group.
struct ChildGuard<E> {
    state: Rc<GroupState<E>>,
    index: usize,
    /// The child's future returned (its error, if any, is recorded).
    returned: bool,
}

impl<E> Drop for ChildGuard<E> {
    fn drop(&mut self) {
        let state = &self.state;
        state.running.set(state.running.get() - 1);
        if !self.returned {
            state.unreturned.borrow_mut().push(self.index);
        }
        state.scope.wake();
    }
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> TaskGroup<E> {
        TaskGroup {
            state: self.state.clone(),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("children", &self.state.children.borrow().len())
            .field("running", &self.state.running.get())
            .field("failures", &self.state.failures.borrow().len())
            .field("aborting", &self.state.aborting.get())
            .finish()
    }
}

pin_project! {
    /// The future returned by [`TaskGroup::run`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct GroupRun<F: Future, E> {
        // `None` once dropped because the abort could not be delivered.
        #[pin]
        body: Option<F>,
        state: Rc<GroupState<E>>,
        body_done: bool,
        output: Option<F::Output>,
        outer_cancel: Option<Cancelled>,
    }

    impl<F: Future, E> PinnedDrop for GroupRun<F, E> {
        fn drop(this: Pin<&mut Self>) {
            let state = &this.state;
            if !state.finished.replace(true) {
                state.abort();
            }
        }
    }
}

impl<F, R, E> Future for GroupRun<F, E>
where
    F: Future<Output = Result<R, E>>,
{
    type Output = Result<R, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = &**this.state;
        if !*this.body_done {
            let body = this
                .body
                .as_mut()
                .as_pin_mut()
                .expect("the body runs until done");
            let guard = state.scope.enter(cx);
            let polled = body.poll(cx);
            drop(guard);
            match polled {
                Poll::Pending if state.aborting.get() && state.scope.is_pending() => {
                    // The body reached no ferrio awaitable to take the abort
                    // at: drop it (cancellation always ends).
                    this.body.set(None);
                    *this.body_done = true;
                }
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(value)) => {
                    *this.body_done = true;
                    *this.output = Some(Ok(value));
                }
                Poll::Ready(Err(error)) => {
                    *this.body_done = true;
                    if state.scope.is_held() {
                        // The body ended by the group's own abort.
                        drop(error);
                    } else if let Some(cancelled) = scope::held_cancellation() {
                        // Cancelled from outside: pass it on, after the
                        // children.
                        drop(error);
                        *this.outer_cancel = Some(cancelled);
                        state.abort();
                    } else {
                        state.fail(Failure {
                            task_id: None,
                            name: "<body>".into(),
                            error: FailureKind::Error(error),
                        });
                    }
                }
            }
        }
        state.collect_panics();
        if state.running.get() > 0 {
            if let Some(cancelled) = take_pending_cancel() {
                this.outer_cancel.get_or_insert(cancelled);
                state.abort();
            }
            if state.running.get() > 0 {
                state.scope.remember_waker(cx);
                task::note_wait("task group");
                return Poll::Pending;
            }
        }
        state.finished.set(true);
        let failures = std::mem::take(&mut *state.failures.borrow_mut());
        Poll::Ready(if !failures.is_empty() {
            // The errors win; a cancellation from outside that arrived
            // meanwhile is not lost: the host's next suspension gets it.
            if let Some(cancelled) = this.outer_cancel.take() {
                scope::rearm(&cancelled);
            }
            Err(TaskGroupError::Failed(ErrorGroup::new(failures)))
        } else if let Some(cancelled) = this.outer_cancel.take() {
            Err(TaskGroupError::Cancelled(cancelled))
        } else {
            match this.output.take() {
                Some(Ok(value)) => Ok(value),
                _ => unreachable!("a task group completes once, after its body returned"),
            }
        })
    }
}

impl<F: Future, E> fmt::Debug for GroupRun<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupRun")
            .field("body_done", &self.body_done)
            .field("running", &self.state.running.get())
            .finish()
    }
}
