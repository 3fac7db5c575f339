//! [`TaskSet`]: the engine under `gather`, `gather_settled`, `wait` and
//! `as_completed` — N tasks watched through one [`ReadyQueue`].
//!
//! # How a finished task is noticed
//!
//! Two passes over the tasks in order come first, each resumable (it stops
//! at every task found finished, to report it):
//!
//! 1. the *look* pass reports the tasks already done and registers nothing;
//!    if some are not done, it wakes the combinator's task and returns
//!    `Pending` once. Tasks spawned just before (the usual `gather` of
//!    fresh futures) get one loop turn, and the quick ones finish without
//!    ever needing a waker;
//! 2. the *registration* pass polls each task still running once, with its
//!    own child waker, which leaves that waker in the task's join slot.
//!    When the task completes, the waker queues its index.
//!
//! After that, a poll looks only at the queued indexes. Each task is
//! therefore polled O(1) times and reported exactly once.
//!
//! # Invariants
//!
//! - `tasks[i]` is `Some` until the caller takes task `i` out (its outcome,
//!   or the task itself). `reported[i]` is set when `i` is reported; a
//!   queued index already reported is skipped, so each task is reported
//!   once.
//! - The set is not a cancellation point: it only watches its tasks
//!   (`Task::watch`, which registers a waker), so the combinator above it
//!   decides what a cancellation does. Watching a task of another loop
//!   fails; that task is recorded in `foreign` and counts as finished with
//!   that error (it cannot finish while this loop runs).

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::ready::ReadyQueue;
use crate::{JoinError, Task};

pub(crate) struct TaskSet<T> {
    tasks: Vec<Option<Task<T>>>,
    /// Whether task `i` was reported finished (an index is reported once).
    reported: Vec<bool>,
    /// Tasks of another loop, with the error polling them gave.
    foreign: Vec<(usize, JoinError)>,
    /// Whether the first pass (report the done tasks, register nothing)
    /// is over.
    looked: bool,
    /// Next index of the current pass; `tasks.len()` once it is over.
    cursor: usize,
    /// Indexes drained from `ready`, not looked at yet.
    queue: VecDeque<usize>,
    ready: Arc<ReadyQueue>,
    /// Tasks not yet reported finished.
    unreported: usize,
}

impl<T> TaskSet<T> {
    pub(crate) fn new(tasks: Vec<Task<T>>) -> TaskSet<T> {
        TaskSet {
            unreported: tasks.len(),
            reported: vec![false; tasks.len()],
            tasks: tasks.into_iter().map(Some).collect(),
            foreign: Vec::new(),
            looked: false,
            cursor: 0,
            queue: VecDeque::new(),
            ready: ReadyQueue::new(),
        }
    }

    /// How many tasks were given.
    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// How many tasks have not been reported finished yet.
    pub(crate) fn unreported(&self) -> usize {
        self.unreported
    }

    /// Whether task `index` is done, or belongs to another loop (and so
    /// counts as finished, with [`JoinError::ForeignLoop`]).
    pub(crate) fn is_finished(&self, index: usize) -> bool {
        self.is_foreign(index) || self.tasks[index].as_ref().is_some_and(|t| t.done())
    }

    fn is_foreign(&self, index: usize) -> bool {
        self.foreign.iter().any(|(i, _)| *i == index)
    }

    /// Whether task `index` failed: panicked, or is of another loop. A
    /// cancelled task is not a failure (asyncio's `FIRST_EXCEPTION`).
    pub(crate) fn is_failure(&self, index: usize) -> bool {
        self.is_foreign(index) || self.tasks[index].as_ref().is_some_and(|t| t.panicked())
    }

    /// The index of a task that finished and was not reported yet;
    /// `Ready(None)` once every task was reported. Registers for the
    /// wake-up of the others when it returns `Pending`.
    pub(crate) fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        if self.unreported == 0 {
            return Poll::Ready(None);
        }
        self.ready.set_waker(cx.waker());
        if !self.looked {
            // First pass: report what is done, register nothing yet.
            while self.cursor < self.tasks.len() {
                let index = self.cursor;
                self.cursor += 1;
                if self.tasks[index].as_ref().is_some_and(|t| t.done()) {
                    return self.report(index);
                }
            }
            // Tasks spawned just before this poll have not run yet: give
            // them one loop turn, after which many are done and need no
            // waker at all, before registering for the rest.
            self.looked = true;
            self.cursor = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        while self.cursor < self.tasks.len() {
            let index = self.cursor;
            self.cursor += 1;
            if !self.reported[index] && self.check(index) {
                return self.report(index);
            }
        }
        loop {
            let Some(index) = self.queue.pop_front() else {
                self.ready.drain_into(&mut self.queue);
                if self.queue.is_empty() {
                    crate::task::note_wait("task join");
                    return Poll::Pending;
                }
                continue;
            };
            if !self.reported[index] && self.check(index) {
                return self.report(index);
            }
        }
    }

    fn report(&mut self, index: usize) -> Poll<Option<usize>> {
        self.reported[index] = true;
        self.unreported -= 1;
        Poll::Ready(Some(index))
    }

    /// Whether task `index` (still in its slot) is finished; if not, leaves
    /// a child waker in its join slot.
    fn check(&mut self, index: usize) -> bool {
        let Some(task) = self.tasks[index].as_ref() else {
            return false;
        };
        if task.done() {
            return true;
        }
        match task.watch(&self.ready.child_waker(index)) {
            Ok(()) => false,
            Err(error) => {
                // Of another loop: it cannot finish while this one runs, so
                // it counts as finished with that error (module docs).
                self.foreign.push((index, error));
                true
            }
        }
    }

    /// Takes the outcome of finished task `index` out of the set, dropping
    /// the task handle.
    ///
    /// # Panics
    ///
    /// If the task is not finished or was already taken.
    pub(crate) fn take_outcome(&mut self, index: usize) -> Result<T, JoinError> {
        let task = self.tasks[index].take().expect("outcome already taken");
        if let Some(at) = self.foreign.iter().position(|(i, _)| *i == index) {
            return Err(self.foreign.swap_remove(at).1);
        }
        task.try_result().expect("the task is finished")
    }

    /// Requests cancellation of every task that is not done, with `message`.
    pub(crate) fn cancel_unfinished(&self, message: Option<&str>) {
        for task in self.tasks.iter().flatten() {
            if !task.done() {
                match message {
                    Some(m) => task.cancel_with(m),
                    None => task.cancel(),
                };
            }
        }
    }

    /// Every task still in the set, in the order given; the set is empty
    /// afterwards.
    pub(crate) fn take_all(&mut self) -> Vec<Task<T>> {
        self.unreported = 0;
        self.reported.clear();
        self.foreign.clear();
        self.tasks.drain(..).flatten().collect()
    }

    /// Consumes the set, dropping the handles of the tasks left in it: they
    /// run on, detached.
    pub(crate) fn detach_all(&mut self) {
        for task in self.take_all() {
            task.detach();
        }
    }
}

impl<T> std::fmt::Debug for TaskSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSet")
            .field("tasks", &self.tasks.len())
            .field("unreported", &self.unreported)
            .finish()
    }
}
