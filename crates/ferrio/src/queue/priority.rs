//! [`PriorityQueue`]: asyncio's `PriorityQueue`, smallest first, and its
//! storage [`Priority`].
//!
//! Items equal in priority come out in the order they were put: each is
//! stamped with an insertion counter that breaks ties, so the order is
//! stable (asyncio's `heapq` of `(priority, item)` tuples gives no such
//! promise for equal priorities; here it always holds).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;

use super::base::BaseQueue;
use super::storage::Storage;

/// An async queue that gives out the smallest item first: asyncio's
/// `PriorityQueue`. Items with equal priority come out first in, first out.
///
/// Order is `T`'s `Ord`: use `(priority, payload)` tuples as in asyncio, or
/// `std::cmp::Reverse` for largest-first. Everything else is
/// [`Queue`](super::Queue)'s; see [`BaseQueue`] for the methods.
///
/// ```
/// use ferrio::queue::PriorityQueue;
///
/// let jobs = PriorityQueue::unbounded();
/// jobs.put_nowait((2, "write report")).unwrap();
/// jobs.put_nowait((1, "fix outage")).unwrap();
/// jobs.put_nowait((2, "answer mail")).unwrap();
/// assert_eq!(jobs.get_nowait().unwrap(), (1, "fix outage"));
/// assert_eq!(jobs.get_nowait().unwrap(), (2, "answer mail"));
/// assert_eq!(jobs.get_nowait().unwrap(), (2, "write report"));
/// ```
pub type PriorityQueue<T> = BaseQueue<T, Priority<T>>;

/// The [`Storage`] of [`PriorityQueue`]: a binary heap, smallest item
/// first, ties in insertion order.
pub struct Priority<T> {
    heap: BinaryHeap<Ranked<T>>,
    /// Insertion counter: the tie-breaker.
    next: u64,
}

/// An item and its insertion stamp, ordered so that the max-heap yields
/// the smallest item, and the oldest among equals.
struct Ranked<T> {
    item: T,
    stamp: u64,
}

impl<T: Ord> Ord for Ranked<T> {
    fn cmp(&self, other: &Ranked<T>) -> Ordering {
        other
            .item
            .cmp(&self.item)
            .then_with(|| other.stamp.cmp(&self.stamp))
    }
}

impl<T: Ord> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Ranked<T>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Ranked<T> {
    fn eq(&self, other: &Ranked<T>) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Ranked<T> {}

impl<T> Default for Priority<T> {
    fn default() -> Priority<T> {
        Priority {
            heap: BinaryHeap::new(),
            next: 0,
        }
    }
}

impl<T: Ord> Storage<T> for Priority<T> {
    #[inline]
    fn push(&mut self, item: T) {
        let stamp = self.next;
        self.next += 1;
        self.heap.push(Ranked { item, stamp });
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|r| r.item)
    }

    #[inline]
    fn len(&self) -> usize {
        self.heap.len()
    }
}

impl<T> fmt::Debug for Priority<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Priority")
            .field("len", &self.heap.len())
            .finish()
    }
}
