//! [`TaskSet`]: child tasks whose completions are queued for their owner,
//! so that a combinator over N tasks looks at each one once.
//!
//! The owner never polls a child's `Task` handle: completion is signalled
//! by a done callback, and the outcome read with `try_result`. So the
//! caller's own cancellation is never forwarded to one child by accident
//! (whatever ferrio's rule for awaiting a task is); the combinators catch
//! it with the checkpoint and cancel every child themselves.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use ferrio::{JoinError, Task};

/// Children in slots; `tag` is the owner's name for each (an input index).
pub(crate) struct TaskSet<T> {
    slots: Vec<Option<(Task<T>, usize)>>,
    free: Vec<usize>,
    done: Rc<Done>,
    len: usize,
}

#[derive(Default)]
struct Done {
    /// Slots whose task completed, in completion order.
    queue: RefCell<VecDeque<usize>>,
    waker: RefCell<Option<Waker>>,
}

impl<T: 'static> TaskSet<T> {
    pub(crate) fn new() -> TaskSet<T> {
        TaskSet {
            slots: Vec::new(),
            free: Vec::new(),
            done: Rc::default(),
            len: 0,
        }
    }

    /// Spawns `future` as a child named `tag` by the owner.
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop, like `ferrio::spawn`.
    #[track_caller]
    pub(crate) fn spawn<F>(&mut self, future: F, tag: usize)
    where
        F: Future<Output = T> + 'static,
    {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let task = ferrio::spawn(future);
        let done = self.done.clone();
        task.add_done_callback(move |_| {
            done.queue.borrow_mut().push_back(slot);
            if let Some(waker) = done.waker.borrow().as_ref() {
                waker.wake_by_ref();
            }
        });
        self.slots[slot] = Some((task, tag));
        self.len += 1;
    }

    /// The next child to complete, with its tag; `Ready(None)` if there
    /// are none left. Not a cancellation point.
    pub(crate) fn poll_done(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, JoinError>)>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        let next = self.done.queue.borrow_mut().pop_front();
        match next {
            Some(slot) => {
                let (task, tag) = self.slots[slot]
                    .take()
                    .expect("a queued slot holds its task");
                self.free.push(slot);
                self.len -= 1;
                let outcome = task
                    .try_result()
                    .expect("a task is done when its done callback runs");
                Poll::Ready(Some((tag, outcome)))
            }
            None => {
                let mut waker = self.done.waker.borrow_mut();
                match waker.as_ref() {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Requests cancellation of every child still running (each gets a
    /// `Cancelled` at its next await and may clean up). Collect them with
    /// [`poll_done`](Self::poll_done) to wait for their cleanup.
    pub(crate) fn cancel_all(&self) {
        for (task, _) in self.slots.iter().flatten() {
            task.cancel();
        }
    }
}

impl<T> TaskSet<T> {
    /// Children spawned and not yet collected (running, or done and queued).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Children done and not yet collected.
    pub(crate) fn done_len(&self) -> usize {
        self.done.queue.borrow().len()
    }
}

impl<T> Drop for TaskSet<T> {
    /// Children still running are cancelled (their cleanup then runs
    /// detached: a drop cannot wait).
    fn drop(&mut self) {
        for (task, _) in self.slots.drain(..).flatten() {
            task.cancel();
            task.detach();
        }
    }
}

impl<T> fmt::Debug for TaskSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("children", &self.len)
            .field("done", &self.done.queue.borrow().len())
            .finish()
    }
}
