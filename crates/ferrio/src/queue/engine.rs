//! [`Core`]: the engine every queue shares — items, capacity, waiting
//! getters and putters, `task_done` accounting and shutdown — written once
//! over a [`Storage`].
//!
//! # No barging, by reservation
//!
//! A put that finds a getter waiting leaves the item in storage and
//! *reserves* it for the front getter (`reserved_items`, granted through the
//! wait list); a get that frees a slot reserves it for the front putter
//! (`reserved_slots`). Reserved items and slots are invisible to everybody
//! else, so a task arriving before the woken one runs cannot take them:
//!
//! - items available to a new get: `items.len() - reserved_items`
//!   (this is `qsize`);
//! - the queue is full for a new put when
//!   `items.len() + reserved_slots >= maxsize`.
//!
//! The woken getter takes whichever item storage yields *when it runs*
//! (the highest priority then, for a priority queue), as in asyncio.
//!
//! Invariants: getters wait only while no item is available; putters wait
//! only while the queue is full. A waiter that leaves with a reservation
//! passes it to the next waiter of its kind, or gives it back
//! (`reserved_* -= 1`). After an immediate shutdown storage is empty while
//! woken getters may still hold reservations: they find nothing and fail
//! with `QueueShutDown` (hence the saturating subtraction).

use std::task::Waker;

use super::error::{QueueFull, QueueShutDown, TaskDoneError, TryGetError, TryPutError};
use super::storage::Storage;
use super::QueueEmpty;
use crate::sync::wait_list::{Left, WaitList};

/// What a waiting getter or putter is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// An item (getter) or a slot (putter) is reserved for it.
    Reserved,
    /// The queue shut down: give up.
    ShutDown,
}

pub(crate) struct Core<T, S> {
    pub(crate) items: S,
    pub(crate) maxsize: usize,
    /// Items promised to woken getters.
    pub(crate) reserved_items: usize,
    /// Slots promised to woken putters.
    pub(crate) reserved_slots: usize,
    /// Items put and not yet marked done with `task_done`.
    pub(crate) unfinished: usize,
    pub(crate) shut_down: bool,
    pub(crate) getters: WaitList<Grant>,
    pub(crate) putters: WaitList<Grant>,
    pub(crate) joiners: WaitList<()>,
    _items: std::marker::PhantomData<T>,
}

impl<T, S: Storage<T>> Core<T, S> {
    pub(crate) fn new(items: S, maxsize: usize) -> Core<T, S> {
        Core {
            items,
            maxsize,
            reserved_items: 0,
            reserved_slots: 0,
            unfinished: 0,
            shut_down: false,
            getters: WaitList::new(),
            putters: WaitList::new(),
            joiners: WaitList::new(),
            _items: std::marker::PhantomData,
        }
    }

    /// Items a new get may take.
    #[inline]
    pub(crate) fn available(&self) -> usize {
        self.items.len().saturating_sub(self.reserved_items)
    }

    /// Whether a new put must wait.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.maxsize != 0 && self.items.len() + self.reserved_slots >= self.maxsize
    }

    /// `put_nowait`: stores `item` unless shut down or full; returns the
    /// getter to wake.
    #[inline]
    pub(crate) fn try_put(&mut self, item: T) -> Result<Option<Waker>, TryPutError<T>> {
        if self.shut_down {
            return Err(TryPutError::ShutDown(QueueShutDown(item)));
        }
        if self.is_full() {
            return Err(TryPutError::Full(QueueFull(item)));
        }
        Ok(self.store(item))
    }

    /// Stores `item` (room is known to exist) and reserves it for the
    /// front getter, if one waits; returns that getter's waker.
    #[inline]
    pub(crate) fn store(&mut self, item: T) -> Option<Waker> {
        self.items.push(item);
        self.unfinished += 1;
        if !self.getters.has_waiters() {
            return None;
        }
        let waker = self.getters.grant_one(Grant::Reserved).ok()?;
        self.reserved_items += 1;
        Some(waker)
    }

    /// `get_nowait`: takes an available item; returns it with the putter to
    /// wake.
    #[inline]
    pub(crate) fn try_get(&mut self) -> Result<(T, Option<Waker>), TryGetError> {
        if self.available() > 0 {
            return Ok(self.take());
        }
        if self.shut_down {
            Err(TryGetError::ShutDown(QueueShutDown(())))
        } else {
            Err(TryGetError::Empty(QueueEmpty))
        }
    }

    /// Takes the next item (one is known to be there) and reserves the
    /// freed slot for the front putter, if one waits.
    #[inline]
    pub(crate) fn take(&mut self) -> (T, Option<Waker>) {
        let item = self.items.pop().expect(
            "the queue's Storage returned no item while its len() was not zero: \
             Storage::pop must return Some whenever len() > 0",
        );
        let mut waker = None;
        if self.putters.has_waiters() && !self.is_full() {
            if let Ok(w) = self.putters.grant_one(Grant::Reserved) {
                self.reserved_slots += 1;
                waker = Some(w);
            }
        }
        (item, waker)
    }

    /// A getter woken by `grant`: takes its item, or reports the shutdown.
    pub(crate) fn take_granted(&mut self, grant: Grant) -> Result<(T, Option<Waker>), TryGetError> {
        if grant == Grant::Reserved {
            self.reserved_items -= 1;
        }
        self.try_get()
    }

    /// A putter woken by `grant`: stores its item in the reserved slot, or
    /// gives it back if the queue shut down.
    pub(crate) fn put_granted(&mut self, grant: Grant, item: T) -> Result<Option<Waker>, T> {
        if grant == Grant::Reserved {
            self.reserved_slots -= 1;
        }
        if self.shut_down {
            return Err(item);
        }
        Ok(self.store(item))
    }

    /// `task_done`: one item fewer to wait for; returns the joiners to wake
    /// when none is left.
    pub(crate) fn task_done(&mut self) -> Result<Vec<Waker>, TaskDoneError> {
        match self.unfinished {
            0 => Err(TaskDoneError),
            n => {
                self.unfinished = n - 1;
                Ok(self.wake_joiners_if_done())
            }
        }
    }

    fn wake_joiners_if_done(&mut self) -> Vec<Waker> {
        if self.unfinished == 0 {
            self.joiners.grant_all(|| ())
        } else {
            Vec::new()
        }
    }

    /// Shuts the queue down. `immediate`: also removes every item, which
    /// it returns in get order, counting each as done. Returns the tasks
    /// to wake: every waiting getter and putter, and the joiners if nothing
    /// is left unfinished.
    pub(crate) fn shutdown(&mut self, immediate: bool) -> (Vec<T>, Vec<Waker>) {
        self.shut_down = true;
        let mut removed = Vec::new();
        let mut wakers = Vec::new();
        if immediate {
            removed.reserve(self.items.len());
            while let Some(item) = self.items.pop() {
                removed.push(item);
            }
            self.unfinished = self.unfinished.saturating_sub(removed.len());
            wakers.extend(self.wake_joiners_if_done());
        }
        wakers.extend(self.getters.grant_all(|| Grant::ShutDown));
        wakers.extend(self.putters.grant_all(|| Grant::ShutDown));
        (removed, wakers)
    }
}

impl<T, S> Core<T, S> {
    /// Settles what a getter that left the queue had been granted; returns
    /// the next getter to wake, if its reservation passed on.
    pub(crate) fn getter_left(&mut self, left: Left<Grant>) -> Option<Waker> {
        match left {
            Left::PassedOn(waker) => Some(waker),
            Left::Returned(Grant::Reserved) => {
                self.reserved_items -= 1;
                None
            }
            Left::Returned(Grant::ShutDown) | Left::Discarded(_) | Left::Unqueued => None,
        }
    }

    /// As [`getter_left`](Self::getter_left), for a putter.
    pub(crate) fn putter_left(&mut self, left: Left<Grant>) -> Option<Waker> {
        match left {
            Left::PassedOn(waker) => Some(waker),
            Left::Returned(Grant::Reserved) => {
                self.reserved_slots -= 1;
                None
            }
            Left::Returned(Grant::ShutDown) | Left::Discarded(_) | Left::Unqueued => None,
        }
    }
}
