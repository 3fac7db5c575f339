//! [`GroupTask`]: the handle of a task group's child.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::GroupTaskError;
use crate::task::{Task, TaskRef};
use crate::Cancelled;

/// How a child's wrapper ended when its future returned `Err`.
pub(crate) enum ChildEnd {
    /// The error went to the group's [`ErrorGroup`](super::ErrorGroup).
    Failed,
    /// The child was cancelled; holding this keeps the task cancelled.
    Cancelled(Cancelled),
}

/// A child of a [`TaskGroup`](super::TaskGroup). Await it (typically after
/// the group succeeded) for the child's value. Dereferences to [`TaskRef`]
/// for `cancel`, `name`, `done`, …
pub struct GroupTask<T> {
    task: Task<Result<T, ChildEnd>>,
}

impl<T> GroupTask<T> {
    pub(crate) fn new(task: Task<Result<T, ChildEnd>>) -> GroupTask<T> {
        GroupTask { task }
    }
}

impl<T> Future for GroupTask<T> {
    type Output = Result<T, GroupTaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task)
            .poll(cx)
            .map(|joined| match joined {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(ChildEnd::Failed)) => Err(GroupTaskError::Failed),
                Ok(Err(ChildEnd::Cancelled(c))) => {
                    Err(GroupTaskError::Join(crate::JoinError::Cancelled(c)))
                }
                Err(e) => Err(GroupTaskError::Join(e)),
            })
    }
}

impl<T> Drop for GroupTask<T> {
    fn drop(&mut self) {
        // The group owns and awaits its children: dropping this handle is
        // not losing the task (no "dropped without being awaited" report).
        self.task.raw().meta().set(crate::task::header::DETACHED);
    }
}

impl<T> Deref for GroupTask<T> {
    type Target = TaskRef;

    fn deref(&self) -> &TaskRef {
        &self.task
    }
}

impl<T> fmt::Debug for GroupTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.task, f)
    }
}
