//! [`WaitList`]: the one FIFO queue of waiting tasks under every primitive
//! in `sync` and `queue`.
//!
//! Lock, Semaphore, BoundedSemaphore, Event, Condition, Barrier and the
//! queues all park their waiters here, so that the two rules every one of
//! them must keep live in this file alone:
//!
//! 1. **FIFO, no barging.** Waiters are served in arrival order. A wake-up
//!    is a *grant*: [`WaitList::grant_one`] takes the front waiter off the
//!    queue and hands it a value (a permit, the lock, a notification, a
//!    reserved queue slot) *before* its task runs. Nobody can take what was
//!    granted in between: a task that arrives later finds the resource
//!    already given away and queues behind.
//! 2. **A cancelled waiter consumes nothing.** A waiter that leaves
//!    ([`WaitList::leave`]: its future was cancelled or dropped) is unlinked
//!    in O(1). If it had been granted a value by `grant_one`, the value
//!    passes on to the next waiter in line; if nobody waits, it goes back to
//!    the primitive ([`Left::Returned`]).
//!
//! A grant made by `grant_one` and not taken yet is a *hand-off in flight*
//! ([`WaitList::handoffs`]). While one is, the resource is not free for
//! newcomers even if the primitive has units to spare: they queue behind
//! ([`WaitList::is_idle`]), as asyncio's strict FIFO does.
//!
//! Broadcast wake-ups ([`WaitList::grant_all`]: `Event::set`,
//! `Condition::notify_all`, a barrier tripping, a queue shutting down) reach
//! every waiter at once, so there is nobody to pass them on to: a waiter
//! that leaves after one just drops it.
//!
//! # Layout and invariants
//!
//! Entries live in a slab (`entries`), addressed by a [`WaitKey`] — index
//! plus generation — that only the waiting future holds. An entry is in one
//! of three states:
//!
//! - `Waiting`: linked into the doubly linked FIFO (`head` → `tail`) through
//!   `prev`/`next` indices, and holding the waker of its task;
//! - `Granted`: unlinked, holding the granted value until its future polls
//!   it ([`WaitList::poll`]) or leaves;
//! - `Vacant`: on the free list (`free`), reused by the next push.
//!
//! Only the future owning a key frees its entry (by taking the grant or by
//! leaving), so a key never outlives its entry; the generation is checked
//! in debug builds to prove it. Push, grant, poll and leave are O(1) and
//! allocate only when the slab grows past its high-water mark.
//!
//! The list is single-threaded and lives inside its primitive's `RefCell`.
//! Wakers are returned, not called, so the primitive wakes tasks after
//! releasing that borrow.

use std::fmt;
use std::mem;
use std::task::{Poll, Waker};

/// The "no entry" index in links and the free list.
const NIL: u32 = u32::MAX;

/// Identifies a waiter's entry in a [`WaitList`]. Held only by the future
/// that pushed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct WaitKey {
    index: u32,
    generation: u32,
}

enum Slot<T> {
    Vacant {
        next_free: u32,
    },
    Waiting {
        waker: Waker,
        prev: u32,
        next: u32,
    },
    Granted {
        value: T,
        /// Granted to this waiter alone (`grant_one`), so it passes on if
        /// the waiter leaves; broadcast grants do not.
        transferable: bool,
    },
}

struct Entry<T> {
    generation: u32,
    slot: Slot<T>,
}

/// What became of a waiter that left the queue (see [`WaitList::leave`]).
#[derive(Debug)]
pub(crate) enum Left<T> {
    /// It was still waiting: it just left the queue.
    Unqueued,
    /// It had been granted a value, which went to the next waiter: wake it.
    PassedOn(Waker),
    /// It had been granted a value and nobody waits: the primitive takes
    /// the value back.
    Returned(T),
    /// It had received a broadcast value, which nobody else needs.
    Discarded(T),
}

/// A FIFO queue of waiting tasks, each of which may be granted a `T`.
pub(crate) struct WaitList<T> {
    entries: Vec<Entry<T>>,
    /// Head of the free list of vacant entries.
    free: u32,
    /// Oldest waiting entry.
    head: u32,
    /// Newest waiting entry.
    tail: u32,
    /// Entries in the `Waiting` state.
    waiting: usize,
    /// Entries granted a value of their own (`grant_one`) that their
    /// future has not taken yet: hand-offs in flight.
    handoffs: usize,
}

impl<T> WaitList<T> {
    /// An empty list; allocates nothing.
    pub(crate) const fn new() -> WaitList<T> {
        WaitList {
            entries: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            waiting: 0,
            handoffs: 0,
        }
    }

    /// How many waiters are queued (granted ones not counted).
    #[inline]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Whether anybody is queued.
    #[inline]
    pub(crate) fn has_waiters(&self) -> bool {
        self.head != NIL
    }

    /// How many waiters were granted a value of their own and have not
    /// taken it yet (their task has not run since).
    #[inline]
    pub(crate) fn handoffs(&self) -> usize {
        self.handoffs
    }

    /// Whether nobody is queued and no hand-off is in flight: only then may
    /// a newcomer take the resource without queueing (strict FIFO, as
    /// asyncio's `Semaphore.locked()` counts granted waiters too).
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.head == NIL && self.handoffs == 0
    }

    /// Queues a waiter at the back; its task is woken with `waker` when it
    /// is granted something.
    pub(crate) fn push(&mut self, waker: Waker) -> WaitKey {
        let slot = Slot::Waiting {
            waker,
            prev: self.tail,
            next: NIL,
        };
        let index = if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            match entry.slot {
                Slot::Vacant { next_free } => self.free = next_free,
                _ => unreachable!("the free list holds a used entry"),
            }
            entry.slot = slot;
            index
        } else {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("more than 4 billion tasks wait on one ferrio primitive");
            self.entries.push(Entry {
                generation: 0,
                slot,
            });
            index
        };
        match self.tail {
            NIL => self.head = index,
            tail => self.set_next(tail, index),
        }
        self.tail = index;
        self.waiting += 1;
        WaitKey {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Checks the waiter `key`: `Ready` with its grant (its entry is then
    /// freed and `key` dead), or `Pending` with `waker` stored.
    #[inline]
    pub(crate) fn poll(&mut self, key: WaitKey, waker: &Waker) -> Poll<T> {
        let index = self.check(key);
        match &mut self.entries[index as usize].slot {
            Slot::Waiting { waker: stored, .. } => {
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                Poll::Pending
            }
            Slot::Granted { .. } => match self.release(index) {
                Slot::Granted {
                    value,
                    transferable,
                } => {
                    if transferable {
                        self.handoffs -= 1;
                    }
                    Poll::Ready(value)
                }
                _ => unreachable!(),
            },
            Slot::Vacant { .. } => unreachable!("a wait key outlived its entry"),
        }
    }

    /// Grants `value` to the front waiter and returns its waker (to wake
    /// once the primitive's borrow ends); gives `value` back if nobody
    /// waits. If that waiter leaves before taking it, the value passes on.
    #[inline]
    pub(crate) fn grant_one(&mut self, value: T) -> Result<Waker, T> {
        // Not written over `grant_front`: that shape costs the hot release
        // path of every primitive a store-forwarding stall.
        match self.head {
            NIL => Err(value),
            head => {
                self.handoffs += 1;
                Ok(self.unlink(
                    head,
                    Slot::Granted {
                        value,
                        transferable: true,
                    },
                ))
            }
        }
    }

    /// [`grant_one`](Self::grant_one), also telling which waiter got the
    /// value (for the deadlock detector's bookkeeping).
    #[inline]
    pub(crate) fn grant_front(&mut self, value: T) -> Result<(WaitKey, Waker), T> {
        match self.head {
            NIL => Err(value),
            head => {
                let key = WaitKey {
                    index: head,
                    generation: self.entries[head as usize].generation,
                };
                self.handoffs += 1;
                let waker = self.unlink(
                    head,
                    Slot::Granted {
                        value,
                        transferable: true,
                    },
                );
                Ok((key, waker))
            }
        }
    }

    /// The front waiter, who gets the next [`grant_one`](Self::grant_one)
    /// (or the value a leaving waiter passes on).
    pub(crate) fn front(&self) -> Option<WaitKey> {
        match self.head {
            NIL => None,
            head => Some(WaitKey {
                index: head,
                generation: self.entries[head as usize].generation,
            }),
        }
    }

    /// Grants a value made by `value` to every waiter, front to back, and
    /// returns their wakers in that order. These grants do not pass on.
    pub(crate) fn grant_all(&mut self, mut value: impl FnMut() -> T) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.waiting);
        while self.head != NIL {
            let slot = Slot::Granted {
                value: value(),
                transferable: false,
            };
            wakers.push(self.unlink(self.head, slot));
        }
        wakers
    }

    /// Removes the waiter `key`, whose future was cancelled or dropped; a
    /// value granted to it alone passes on to the next waiter.
    pub(crate) fn leave(&mut self, key: WaitKey) -> Left<T> {
        let index = self.check(key);
        if let Slot::Waiting { .. } = self.entries[index as usize].slot {
            let waker = self.unlink(index, Slot::Vacant { next_free: NIL });
            self.release(index);
            drop(waker);
            return Left::Unqueued;
        }
        match self.release(index) {
            Slot::Granted {
                value,
                transferable: true,
            } => {
                self.handoffs -= 1;
                match self.grant_one(value) {
                    Ok(waker) => Left::PassedOn(waker),
                    Err(value) => Left::Returned(value),
                }
            }
            Slot::Granted { value, .. } => Left::Discarded(value),
            _ => unreachable!("a wait key outlived its entry"),
        }
    }

    /// The index of `key`, checked against its entry's generation.
    #[inline]
    fn check(&self, key: WaitKey) -> u32 {
        debug_assert_eq!(
            self.entries[key.index as usize].generation, key.generation,
            "a stale wait key"
        );
        key.index
    }

    /// Takes the waiting entry `index` out of the FIFO, puts `replacement`
    /// in its place and returns its waker.
    fn unlink(&mut self, index: u32, replacement: Slot<T>) -> Waker {
        let old = mem::replace(&mut self.entries[index as usize].slot, replacement);
        let Slot::Waiting { waker, prev, next } = old else {
            unreachable!("unlinking an entry that is not waiting")
        };
        match prev {
            NIL => self.head = next,
            prev => self.set_next(prev, next),
        }
        match next {
            NIL => self.tail = prev,
            next => self.set_prev(next, prev),
        }
        self.waiting -= 1;
        waker
    }

    /// Puts entry `index` on the free list and returns what it held.
    fn release(&mut self, index: u32) -> Slot<T> {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        let old = mem::replace(
            &mut entry.slot,
            Slot::Vacant {
                next_free: self.free,
            },
        );
        self.free = index;
        old
    }

    fn set_next(&mut self, index: u32, to: u32) {
        match &mut self.entries[index as usize].slot {
            Slot::Waiting { next, .. } => *next = to,
            _ => unreachable!("a link to an entry that is not waiting"),
        }
    }

    fn set_prev(&mut self, index: u32, to: u32) {
        match &mut self.entries[index as usize].slot {
            Slot::Waiting { prev, .. } => *prev = to,
            _ => unreachable!("a link to an entry that is not waiting"),
        }
    }
}

impl<T> Default for WaitList<T> {
    fn default() -> WaitList<T> {
        WaitList::new()
    }
}

impl<T> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("waiting", &self.waiting)
            .field("capacity", &self.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;

    struct Flag(AtomicUsize);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn waker() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(AtomicUsize::new(0)));
        (flag.clone(), Waker::from(flag))
    }

    #[test]
    fn grants_in_fifo_order() {
        let mut list = WaitList::new();
        let (_, w) = waker();
        let keys: Vec<_> = (0..3).map(|_| list.push(w.clone())).collect();
        assert_eq!(list.waiting(), 3);
        for i in 0..3 {
            list.grant_one(i).unwrap();
        }
        assert!(list.grant_one(9).is_err());
        for (i, key) in keys.into_iter().enumerate() {
            assert_eq!(list.poll(key, &w), Poll::Ready(i));
        }
    }

    #[test]
    fn a_leaving_waiter_passes_its_grant_on() {
        let mut list = WaitList::new();
        let (_, w) = waker();
        let a = list.push(w.clone());
        let b = list.push(w.clone());
        let c = list.push(w.clone());
        list.grant_one("permit").unwrap();
        // `b` leaves while waiting; `a` leaves holding the grant.
        assert!(matches!(list.leave(b), Left::Unqueued));
        assert!(matches!(list.leave(a), Left::PassedOn(_)));
        assert_eq!(list.poll(c, &w), Poll::Ready("permit"));
        let d = list.push(w.clone());
        list.grant_one("again").unwrap();
        assert!(matches!(list.leave(d), Left::Returned("again")));
        assert!(!list.has_waiters());
    }

    #[test]
    fn broadcast_grants_do_not_pass_on_and_slots_are_reused() {
        let mut list = WaitList::new();
        let (flag, w) = waker();
        let a = list.push(w.clone());
        let b = list.push(w.clone());
        let mut n = 0;
        let wakers = list.grant_all(|| {
            n += 1;
            n
        });
        wakers.into_iter().for_each(Waker::wake);
        assert_eq!(flag.0.load(Ordering::Relaxed), 2);
        assert!(matches!(list.leave(a), Left::Discarded(1)));
        // `late` arrives after the broadcast: it takes a's entry, and gets
        // nothing from it.
        let late = list.push(w.clone());
        assert_eq!(list.poll(b, &w), Poll::Ready(2));
        assert_eq!(list.poll(late, &w), Poll::Pending);
        assert_eq!(list.entries.len(), 2, "vacant entries are reused");
    }
}
