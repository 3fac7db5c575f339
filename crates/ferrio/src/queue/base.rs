//! [`BaseQueue`]: the public face of every queue — asyncio's `Queue` API
//! over a [`Storage`] — and its statistics.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use super::engine::Core;
use super::error::{TaskDoneError, TryGetError, TryPutError};
use super::futures::{Get, Join, Put};
use super::storage::Storage;

/// An async queue over the storage `S`: asyncio's `Queue` machinery, shared
/// by [`Queue`](super::Queue) (FIFO), [`LifoQueue`](super::LifoQueue) and
/// [`PriorityQueue`](super::PriorityQueue), which are this type with their
/// storage filled in. Use those; name `BaseQueue` only for a custom
/// [`Storage`].
///
/// A queue is a cheap handle (an `Rc`): clone it to give producers and
/// consumers each their own. It is single-threaded (`!Send`).
///
/// - **Capacity.** `maxsize` 0 is unbounded. [`put`](Self::put) waits
///   while the queue is full, [`get`](Self::get) while it is empty;
///   [`put_nowait`](Self::put_nowait) and [`get_nowait`](Self::get_nowait)
///   never wait.
/// - **Fairness.** Waiting getters and putters are served in arrival
///   order, without barging: an item put while getters wait is promised to
///   the first of them before it runs, and is no longer counted by
///   [`qsize`](Self::qsize); a slot freed while putters wait is promised to
///   the first of them, so [`full`](Self::full) stays true.
/// - **Work tracking.** Every item put counts as unfinished until a
///   [`task_done`](Self::task_done); [`join`](Self::join) waits until none
///   is.
/// - **Shutdown** (Python 3.13). [`shutdown`](Self::shutdown) stops puts and
///   lets gets drain what is left; [`shutdown_immediate`](Self::shutdown_immediate)
///   also removes and returns the items. Blocked getters and putters wake
///   with `QueueShutDown`.
pub struct BaseQueue<T, S> {
    core: Rc<RefCell<Core<T, S>>>,
}

/// A snapshot of a queue's state, from [`BaseQueue::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStats {
    /// Items that a new get could take ([`BaseQueue::qsize`]).
    pub qsize: usize,
    /// The capacity; 0 is unbounded.
    pub maxsize: usize,
    /// Tasks waiting in `get`.
    pub getters: usize,
    /// Tasks waiting in `put`.
    pub putters: usize,
    /// Items put and not yet marked done with `task_done`.
    pub unfinished_tasks: usize,
    /// Whether the queue was shut down.
    pub shut_down: bool,
}

impl<T, S: Storage<T>> BaseQueue<T, S> {
    /// A queue holding at most `maxsize` items; 0 means unbounded, as in
    /// asyncio.
    pub fn new(maxsize: usize) -> BaseQueue<T, S> {
        BaseQueue {
            core: Rc::new(RefCell::new(Core::new(S::default(), maxsize))),
        }
    }

    /// A queue without a size limit: `put` never waits.
    pub fn unbounded() -> BaseQueue<T, S> {
        BaseQueue::new(0)
    }

    /// The capacity given at creation; 0 is unbounded.
    pub fn maxsize(&self) -> usize {
        self.core.borrow().maxsize
    }

    /// The number of items a new get could take now: asyncio's `qsize()`.
    /// Items already promised to woken getters are not counted.
    pub fn qsize(&self) -> usize {
        self.core.borrow().available()
    }

    /// Whether [`get_nowait`](Self::get_nowait) would find nothing:
    /// asyncio's `empty()`.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether [`put_nowait`](Self::put_nowait) would fail for lack of room:
    /// asyncio's `full()`. Never true for an unbounded queue. Slots promised
    /// to woken putters count as taken, and an item promised to a woken
    /// getter keeps its slot until that getter takes it (as in asyncio), so
    /// `full()` may hold while [`qsize`](Self::qsize) is below `maxsize`.
    pub fn full(&self) -> bool {
        self.core.borrow().is_full()
    }

    /// Puts `item`, waiting while the queue is full: asyncio's `put()`.
    ///
    /// # Errors
    ///
    /// [`PutError::ShutDown`](super::PutError::ShutDown) if the queue is
    /// or gets shut down before the item is in;
    /// [`PutError::Cancelled`](super::PutError::Cancelled) if the task is
    /// cancelled. Both give the item back.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. A cancelled `put` does not insert: the item
    /// comes back in the error. A slot already promised to it passes on to
    /// the next waiting putter. Dropping the future drops the item.
    pub fn put(&self, item: T) -> Put<'_, T, S> {
        Put::new(self, item)
    }

    /// Waits for an item and takes it: asyncio's `get()`.
    ///
    /// # Errors
    ///
    /// [`GetError::ShutDown`](super::GetError::ShutDown) once the queue is
    /// shut down and has no item left for this task;
    /// [`GetError::Cancelled`](super::GetError::Cancelled) if the task is
    /// cancelled.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. A cancelled `get` takes no item; an item
    /// already promised to it passes on to the next waiting getter, or
    /// stays in the queue.
    pub fn get(&self) -> Get<'_, T, S> {
        Get::new(self)
    }

    /// Puts `item` if there is room now: asyncio's `put_nowait()`.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`] or [`TryPutError::ShutDown`], holding the item.
    pub fn put_nowait(&self, item: T) -> Result<(), TryPutError<T>> {
        let waker = self.core.borrow_mut().try_put(item)?;
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Takes an item if one is available now: asyncio's `get_nowait()`.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`], or [`TryGetError::ShutDown`] once the queue
    /// is shut down and drained.
    pub fn get_nowait(&self) -> Result<T, TryGetError> {
        let (item, waker) = self.core.borrow_mut().try_get()?;
        if let Some(w) = waker {
            w.wake();
        }
        Ok(item)
    }

    /// Marks one item taken from the queue as processed: asyncio's
    /// `task_done()`. When every item put is done, [`join`](Self::join)
    /// returns.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if called more times than items were put; nothing
    /// changes.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let wakers = self.core.borrow_mut().task_done()?;
        wakers.into_iter().for_each(|w| w.wake());
        Ok(())
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](Self::task_done): asyncio's `join()`. Returns at once
    /// if none is unfinished.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; cancelling it changes nothing in the queue.
    pub fn join(&self) -> Join<'_, T, S> {
        Join::new(self)
    }

    /// Items put and not yet marked done.
    pub fn unfinished_tasks(&self) -> usize {
        self.core.borrow().unfinished
    }

    /// Shuts the queue down gracefully: asyncio's `shutdown()`. Later puts
    /// fail with `QueueShutDown` (giving their item back); gets take the
    /// items left, then fail with `QueueShutDown`. Blocked putters and
    /// getters wake with `QueueShutDown`. Shutting down twice is harmless.
    pub fn shutdown(&self) {
        let (_, wakers) = self.core.borrow_mut().shutdown(false);
        wakers.into_iter().for_each(|w| w.wake());
    }

    /// Shuts the queue down and removes every item, returning them in the
    /// order `get` would have: asyncio's `shutdown(immediate=True)`, except
    /// that the items come back instead of being dropped. Each removed item
    /// counts as done for [`join`](Self::join). Blocked putters and getters
    /// wake with `QueueShutDown`.
    pub fn shutdown_immediate(&self) -> Vec<T> {
        let (items, wakers) = self.core.borrow_mut().shutdown(true);
        wakers.into_iter().for_each(|w| w.wake());
        items
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        self.core.borrow().shut_down
    }

    /// Sizes, waiters and state, for diagnostics.
    pub fn statistics(&self) -> QueueStats {
        let core = self.core.borrow();
        QueueStats {
            qsize: core.available(),
            maxsize: core.maxsize,
            getters: core.getters.waiting(),
            putters: core.putters.waiting(),
            unfinished_tasks: core.unfinished,
            shut_down: core.shut_down,
        }
    }
}

impl<T, S> BaseQueue<T, S> {
    /// The shared state, for the futures.
    pub(crate) fn core(&self) -> &RefCell<Core<T, S>> {
        &self.core
    }
}

impl<T, S> Clone for BaseQueue<T, S> {
    /// Another handle to the same queue.
    fn clone(&self) -> BaseQueue<T, S> {
        BaseQueue {
            core: self.core.clone(),
        }
    }
}

impl<T, S: Storage<T>> Default for BaseQueue<T, S> {
    /// An unbounded queue.
    fn default() -> BaseQueue<T, S> {
        BaseQueue::unbounded()
    }
}

impl<T, S: Storage<T>> fmt::Debug for BaseQueue<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("Queue")
            .field("qsize", &stats.qsize)
            .field("maxsize", &stats.maxsize)
            .field("getters", &stats.getters)
            .field("putters", &stats.putters)
            .field("unfinished_tasks", &stats.unfinished_tasks)
            .field("shut_down", &stats.shut_down)
            .finish()
    }
}
