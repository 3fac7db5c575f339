//! The loop's intrusive list of live tasks (spawned and not yet complete),
//! behind `task::all()`, shutdown, and the diagnostics dumps.
//!
//! The links live in each task's [`Meta`](super::header::Meta). The list
//! holds the task's *live* reference (see [`super::raw`]), so a linked task
//! is always allocated. Loop thread only.

use std::cell::Cell;
use std::ptr::NonNull;

use super::raw::{Header, RawTask};

/// Doubly linked list of live tasks, newest last.
#[derive(Default)]
pub(crate) struct TaskList {
    head: Cell<Option<NonNull<Header>>>,
    tail: Cell<Option<NonNull<Header>>>,
    len: Cell<usize>,
}

impl TaskList {
    /// Links `task`, taking over the live reference it carries.
    pub(crate) fn push(&self, task: RawTask) {
        let meta = task.meta();
        meta.prev.set(self.tail.get());
        meta.next.set(None);
        let ptr = task.addr();
        match self.tail.get() {
            // SAFETY: linked tasks are alive: the list owns a reference.
            Some(tail) => unsafe { linked_meta(tail) }.next.set(Some(ptr)),
            None => self.head.set(Some(ptr)),
        }
        self.tail.set(Some(ptr));
        self.len.set(self.len.get() + 1);
        task.leak();
    }

    /// Unlinks `task`, returning the live reference the list held.
    ///
    /// The caller must know that `task` is linked in this list.
    pub(crate) fn remove(&self, task: &RawTask) -> RawTask {
        let meta = task.meta();
        let (prev, next) = (meta.prev.take(), meta.next.take());
        match prev {
            // SAFETY: linked tasks are alive: the list owns a reference.
            Some(p) => unsafe { linked_meta(p) }.next.set(next),
            None => self.head.set(next),
        }
        match next {
            // SAFETY: linked tasks are alive: the list owns a reference.
            Some(n) => unsafe { linked_meta(n) }.prev.set(prev),
            None => self.tail.set(prev),
        }
        self.len.set(self.len.get() - 1);
        // SAFETY: the list owned one reference to `task`.
        unsafe { task.reclaim_leaked() }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// New references to every live task, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<RawTask> {
        let mut out = Vec::with_capacity(self.len.get());
        let mut cursor = self.head.get();
        while let Some(ptr) = cursor {
            // SAFETY: linked tasks are alive: the list owns a reference.
            let task = unsafe { RawTask::clone_from_ptr(ptr) };
            cursor = task.meta().next.get();
            out.push(task);
        }
        out
    }
}

/// # Safety
///
/// `ptr` must be a task linked in a list, hence alive.
unsafe fn linked_meta<'a>(ptr: NonNull<Header>) -> &'a super::header::Meta {
    // SAFETY: the caller guarantees the task is alive.
    unsafe { &ptr.as_ref().meta }
}
