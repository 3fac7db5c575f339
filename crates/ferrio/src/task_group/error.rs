//! What a failed [`TaskGroup`](super::TaskGroup) returns.

use std::fmt;
use std::sync::Arc;

use crate::task::{PanicError, TaskId};
use crate::Cancelled;

/// Why [`TaskGroup::run`](super::TaskGroup::run) gave no value.
#[derive(Debug)]
pub enum TaskGroupError<E> {
    /// Children (or the group's body) failed: every failure, in the order
    /// they happened. The cancellations the first failure caused are not
    /// listed — the errors win over them.
    Failed(ErrorGroup<E>),
    /// The task running the group was cancelled from outside; the children
    /// were cancelled and waited for. Propagate it.
    Cancelled(Cancelled),
}

impl<E> TaskGroupError<E> {
    /// The failures, if the group failed.
    pub fn failures(&self) -> Option<&ErrorGroup<E>> {
        match self {
            TaskGroupError::Failed(group) => Some(group),
            TaskGroupError::Cancelled(_) => None,
        }
    }

    /// Whether the group ended because its task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskGroupError::Cancelled(_))
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskGroupError::Failed(group) => fmt::Display::fmt(group, f),
            TaskGroupError::Cancelled(c) => write!(f, "the task group's task was {c}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}

impl<E> From<Cancelled> for TaskGroupError<E> {
    fn from(c: Cancelled) -> TaskGroupError<E> {
        TaskGroupError::Cancelled(c)
    }
}

/// Every failure of a task group: asyncio's `ExceptionGroup`.
///
/// Its `Display` lists each one with the task's name:
///
/// ```text
/// 2 failures in a task group:
///   task 'fetch-a' (id 2): connection refused
///   task 'fetch-b' (id 3) panicked: index out of bounds
/// ```
#[derive(Debug)]
pub struct ErrorGroup<E> {
    failures: Vec<Failure<E>>,
}

impl<E> ErrorGroup<E> {
    pub(crate) fn new(failures: Vec<Failure<E>>) -> ErrorGroup<E> {
        ErrorGroup { failures }
    }

    /// The failures, in the order they happened.
    pub fn failures(&self) -> &[Failure<E>] {
        &self.failures
    }

    /// The failures, by value.
    pub fn into_failures(self) -> Vec<Failure<E>> {
        self.failures
    }

    /// How many failures there are (at least one).
    pub fn len(&self) -> usize {
        self.failures.len()
    }

    /// Always `false`: a group error has at least one failure.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// The errors returned by children or the body (panics left out).
    pub fn errors(&self) -> impl Iterator<Item = &E> {
        self.failures.iter().filter_map(|f| match &f.error {
            FailureKind::Error(e) => Some(e),
            FailureKind::Panic(_) => None,
        })
    }
}

impl<E: fmt::Display> fmt::Display for ErrorGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(
            f,
            "{n} failure{} in a task group:",
            if n == 1 { "" } else { "s" }
        )?;
        for failure in &self.failures {
            write!(f, "\n  {failure}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ErrorGroup<E> {}

/// One failure in an [`ErrorGroup`].
#[derive(Debug)]
pub struct Failure<E> {
    /// The failed child's id; `None` for the group's body.
    pub task_id: Option<TaskId>,
    /// The failed child's name, or `"<body>"`.
    pub name: Arc<str>,
    /// What went wrong.
    pub error: FailureKind<E>,
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.task_id {
            Some(id) => write!(f, "task '{}' (id {id})", self.name)?,
            None => f.write_str("the group's body")?,
        }
        match &self.error {
            FailureKind::Error(e) => write!(f, ": {e}"),
            FailureKind::Panic(p) => write!(f, " panicked: {}", p.message()),
        }
    }
}

/// How a child failed.
#[derive(Debug)]
pub enum FailureKind<E> {
    /// It returned `Err(E)`.
    Error(E),
    /// It panicked.
    Panic(PanicError),
}

/// Why awaiting a [`GroupTask`](super::GroupTask) gave no value.
#[derive(Debug)]
#[non_exhaustive]
pub enum GroupTaskError {
    /// The child returned an error; it is in the group's [`ErrorGroup`].
    Failed,
    /// The child ended cancelled or panicked (the group's [`ErrorGroup`]
    /// holds a panic's payload).
    Join(crate::JoinError),
}

impl fmt::Display for GroupTaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupTaskError::Failed => {
                f.write_str("the task failed; its error is in the task group's result")
            }
            GroupTaskError::Join(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for GroupTaskError {}
