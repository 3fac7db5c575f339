//! [`ReadyQueue`]: which of many children woke, in O(1) per wake-up.
//!
//! A combinator waiting on N tasks gives each one its own small waker that
//! knows the child's index. When a child completes, its join waker pushes
//! that index here and wakes the combinator's task once; the combinator
//! then looks only at the children that woke. Completing N children thus
//! costs O(N) in all, where re-polling every child at each wake-up would
//! cost O(N²).
//!
//! # Invariants
//!
//! - An index may be queued more than once, or for a child that was already
//!   looked at: consumers skip those. A queued index is never lost: only
//!   [`ReadyQueue::drain_into`] removes them.
//! - The combinator's waker is refreshed at every poll
//!   ([`ReadyQueue::set_waker`]) *before* the queue is drained, so a child
//!   completing between the drain and the return of `Pending` still wakes it.
//! - `Waker` must be `Send + Sync`, so the shared state sits behind a
//!   `Mutex`; on the loop thread it is never contended (join wakers fire on
//!   the loop thread, in `complete`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Wake, Waker};

/// The queue shared by a combinator and the wakers of its children.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Indexes of children that woke since the last drain.
    ready: Vec<usize>,
    /// The waker of the task polling the combinator.
    waker: Option<Waker>,
}

impl ReadyQueue {
    pub(crate) fn new() -> Arc<ReadyQueue> {
        Arc::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing user-supplied runs under the lock but a waker's `wake`,
        // and a poisoned queue is still consistent: recover it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the waker of the combinator's task for the next wake-up.
    pub(crate) fn set_waker(&self, waker: &Waker) {
        let mut state = self.lock();
        match &state.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => state.waker = Some(waker.clone()),
        }
    }

    /// Moves the queued indexes to the back of `out`, oldest first.
    pub(crate) fn drain_into(&self, out: &mut VecDeque<usize>) {
        let mut state = self.lock();
        out.extend(state.ready.drain(..));
    }

    /// A waker that queues `index` and wakes the combinator.
    pub(crate) fn child_waker(self: &Arc<ReadyQueue>, index: usize) -> Waker {
        Waker::from(Arc::new(ChildWaker {
            index,
            queue: self.clone(),
        }))
    }

    fn push(&self, index: usize) {
        let waker = {
            let mut state = self.lock();
            state.ready.push(index);
            // Wake once per batch: later children find `ready` non-empty
            // and the combinator already woken.
            if state.ready.len() == 1 {
                state.waker.clone()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The waker of child `index`.
struct ChildWaker {
    index: usize,
    queue: Arc<ReadyQueue>,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.queue.push(self.index);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.queue.push(self.index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn indexes_come_out_in_wake_order_and_wake_the_parent_once_per_batch() {
        let queue = ReadyQueue::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        queue.set_waker(&Waker::from(count.clone()));
        queue.child_waker(2).wake();
        queue.child_waker(0).wake_by_ref();
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
        let mut out = VecDeque::new();
        queue.drain_into(&mut out);
        assert_eq!(out, [2, 0]);
        queue.child_waker(1).wake();
        assert_eq!(count.0.load(Ordering::Relaxed), 2);
    }
}
