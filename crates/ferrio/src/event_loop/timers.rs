//! The loop's timers: a binary heap of deadlines over a slab of entries.
//!
//! Why a heap: asyncio uses one, it gives exact FIFO order for equal
//! deadlines (ties break on an insertion sequence number), and both insert
//! and pop are `O(log n)` with a small constant — a million pending timers
//! cost one 32-byte heap slot and one slab slot each.
//!
//! # Cancelled timers
//!
//! A cancelled timer — a `TimerHandle` cancelled, a `Sleep` or `Timeout`
//! dropped early — must neither decide when the loop wakes (the poll
//! timeout, the virtual clock's jump) nor keep its memory until its
//! deadline. So:
//!
//! - removal frees the slab slot (and with it the waker or callback) at
//!   once and leaves a stale heap entry, recognised by its sequence number;
//! - a callback entry cancelled without being removed (its loop was not at
//!   hand) is recognised by its flag;
//! - stale and cancelled entries are skipped whenever the heap's top is
//!   read, so [`Timers::next_deadline`] only ever returns a live deadline;
//! - once stale entries are half the heap, it is rebuilt without them (as
//!   asyncio does), and the heap's and the slab's buffers are shrunk, so
//!   that memory stays proportional to the live timers. The slab cannot
//!   move live entries (their keys are held outside), so it shrinks down to
//!   its highest live slot; slots are reused lowest-first after a shrink.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Waker;
use std::time::Instant;

use slab::Slab;

use super::callback::CallbackEntry;

/// What a timer does when it fires.
pub(crate) enum TimerAction {
    /// Wake a task (a `Sleep`).
    Wake(Waker),
    /// Queue a callback (`call_later`/`call_at`).
    Callback(Rc<CallbackEntry>),
}

struct Entry {
    seq: u64,
    action: TimerAction,
}

/// Identifies a registered timer so that it can be updated or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    slot: usize,
    seq: u64,
}

#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    entries: Slab<Entry>,
    next_seq: u64,
    /// Entries removed since the slab was last shrunk: shrinking walks the
    /// whole slab, so it waits until that many removals paid for it.
    removed: usize,
}

impl Entry {
    /// A callback whose handle was cancelled: it will never run.
    fn is_cancelled(&self) -> bool {
        matches!(&self.action, TimerAction::Callback(cb) if cb.is_cancelled())
    }
}

/// Buffers smaller than this are never shrunk.
const MIN_SHRINK: usize = 64;

/// An empty table keeps buffers up to this size (so that a loop that
/// cycles through a few timers does not reallocate each time).
const RELEASE_EMPTY: usize = 1024;

impl Timers {
    pub(crate) fn insert(&mut self, when: Instant, action: TimerAction) -> TimerKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = self.entries.insert(Entry { seq, action });
        self.heap.push(Reverse((when, seq, slot)));
        TimerKey { slot, seq }
    }

    /// Replaces the waker of a registered `Wake` timer.
    pub(crate) fn update_waker(&mut self, key: TimerKey, waker: &Waker) {
        if let Some(entry) = self.entries.get_mut(key.slot).filter(|e| e.seq == key.seq) {
            if let TimerAction::Wake(w) = &mut entry.action {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
            }
        }
    }

    /// Removes a timer that has not fired. Returns its action, if it was
    /// still registered.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<TimerAction> {
        if self.entries.get(key.slot).is_some_and(|e| e.seq == key.seq) {
            let entry = self.take_slot(key.slot);
            if !self.release_if_empty() {
                self.compact_if_sparse();
            }
            Some(entry.action)
        } else {
            None
        }
    }

    /// The earliest deadline of a live timer.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        self.skip_stale();
        self.heap.peek().map(|Reverse((when, _, _))| *when)
    }

    /// Pops the next timer due at or before `now`, in deadline order and, for
    /// equal deadlines, in insertion order.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerAction> {
        self.skip_stale();
        let Reverse((when, _, slot)) = *self.heap.peek()?;
        if when > now {
            return None;
        }
        self.heap.pop();
        let entry = self.take_slot(slot);
        self.release_if_empty();
        Some(entry.action)
    }

    /// Number of live timers.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every timer, returning their actions (to be dropped outside
    /// the timers' borrow).
    pub(crate) fn drain(&mut self) -> Vec<TimerAction> {
        self.heap.clear();
        self.entries.drain().map(|e| e.action).collect()
    }

    /// Frees a slot, counting the removal towards the next slab shrink.
    fn take_slot(&mut self, slot: usize) -> Entry {
        self.removed += 1;
        self.entries.remove(slot)
    }

    /// Pops the heap's top while it is stale (removed) or a cancelled
    /// callback (whose slot is freed here).
    fn skip_stale(&mut self) {
        while let Some(&Reverse((_, seq, slot))) = self.heap.peek() {
            match self.entries.get(slot) {
                Some(e) if e.seq == seq && !e.is_cancelled() => break,
                Some(e) if e.seq == seq => drop(self.take_slot(slot)),
                _ => {}
            }
            self.heap.pop();
        }
        self.release_if_empty();
    }

    /// With no live timer left, drops whatever the heap still holds (all
    /// stale) and, past a small size, both buffers. Returns whether the
    /// table was empty.
    fn release_if_empty(&mut self) -> bool {
        if !self.entries.is_empty() {
            return false;
        }
        self.heap.clear();
        if self.heap.capacity() > RELEASE_EMPTY {
            self.heap = BinaryHeap::new();
        }
        if self.entries.capacity() > RELEASE_EMPTY {
            // Outstanding keys into the old slab fail their sequence check.
            self.entries = Slab::new();
            self.removed = 0;
        }
        true
    }

    /// Rebuilds the heap without its stale entries once they are half of it.
    fn compact_if_sparse(&mut self) {
        if self.heap.len() > MIN_SHRINK && self.heap.len() > 2 * self.entries.len() {
            let entries = &self.entries;
            self.heap.retain(|Reverse((_, seq, slot))| {
                entries.get(*slot).is_some_and(|e| e.seq == *seq)
            });
            self.shrink();
        }
    }

    /// Gives back the heap's and the slab's spare capacity, when it is most
    /// of their buffers; the slab only once enough removals paid for the
    /// walk.
    fn shrink(&mut self) {
        let heap_len = self.heap.len().max(MIN_SHRINK);
        if self.heap.capacity() > 2 * heap_len {
            self.heap.shrink_to(heap_len);
        }
        let live = self.entries.len().max(MIN_SHRINK);
        if self.entries.capacity() > 2 * live && 2 * self.removed >= self.entries.capacity() {
            self.removed = 0;
            self.entries.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    fn callback(log: &Rc<RefCell<Vec<u32>>>, n: u32) -> TimerAction {
        let log = log.clone();
        TimerAction::Callback(CallbackEntry::new(Box::new(move || {
            log.borrow_mut().push(n)
        })))
    }

    fn fire_all(timers: &mut Timers, now: Instant) {
        while let Some(action) = timers.pop_due(now) {
            if let TimerAction::Callback(cb) = action {
                (cb.take().unwrap())();
            }
        }
    }

    #[test]
    fn fires_by_deadline_then_insertion_order() {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut timers = Timers::default();
        timers.insert(t0 + Duration::from_millis(20), callback(&log, 1));
        timers.insert(t0 + Duration::from_millis(10), callback(&log, 2));
        timers.insert(t0 + Duration::from_millis(20), callback(&log, 3));
        timers.insert(t0 + Duration::from_millis(10), callback(&log, 4));
        fire_all(&mut timers, t0 + Duration::from_millis(15));
        assert_eq!(*log.borrow(), vec![2, 4]);
        fire_all(&mut timers, t0 + Duration::from_millis(20));
        assert_eq!(*log.borrow(), vec![2, 4, 1, 3]);
        assert!(timers.is_empty());
    }

    #[test]
    fn removed_timer_never_fires_and_slot_reuse_is_safe() {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut timers = Timers::default();
        let a = timers.insert(t0 + Duration::from_millis(5), callback(&log, 1));
        assert!(timers.remove(a).is_some());
        assert!(timers.remove(a).is_none());
        // The slot is reused; the stale heap entry must not fire the new one early.
        let b = timers.insert(t0 + Duration::from_millis(50), callback(&log, 2));
        assert_eq!(b.slot, a.slot);
        fire_all(&mut timers, t0 + Duration::from_millis(10));
        assert!(log.borrow().is_empty());
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(50)));
        fire_all(&mut timers, t0 + Duration::from_millis(50));
        assert_eq!(*log.borrow(), vec![2]);
    }

    #[test]
    fn a_cancelled_callback_never_sets_the_next_deadline() {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut timers = Timers::default();
        let early = CallbackEntry::new(Box::new(|| panic!("cancelled")));
        timers.insert(
            t0 + Duration::from_millis(5),
            TimerAction::Callback(early.clone()),
        );
        timers.insert(t0 + Duration::from_millis(50), callback(&log, 1));
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(5)));
        // Cancelled without being removed (its loop was not at hand).
        early.cancel();
        assert_eq!(timers.next_deadline(), Some(t0 + Duration::from_millis(50)));
        assert_eq!(timers.len(), 1, "the cancelled entry was freed");
        fire_all(&mut timers, t0 + Duration::from_millis(60));
        assert_eq!(*log.borrow(), vec![1]);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn buffers_shrink_when_timers_are_removed() {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut timers = Timers::default();
        let keys: Vec<_> = (0..10_000)
            .map(|i| timers.insert(t0 + Duration::from_millis(i), callback(&log, i as u32)))
            .collect();
        // Remove all but the last few, lowest slots last: the heap shrinks
        // as it is compacted, the slab down to its highest live slot.
        for key in keys[..9_990].iter().rev() {
            timers.remove(*key);
        }
        assert!(timers.heap.capacity() < 1_000, "{}", timers.heap.capacity());
        assert!(timers.entries.capacity() <= 10_000);
        for key in &keys[9_990..] {
            timers.remove(*key);
        }
        assert!(timers.is_empty());
        assert!(timers.heap.capacity() <= RELEASE_EMPTY);
        assert!(timers.entries.capacity() <= RELEASE_EMPTY);
        // Keys into the released slab are refused, new timers work.
        assert!(timers.remove(keys[0]).is_none());
        timers.insert(t0, callback(&log, 7));
        fire_all(&mut timers, t0);
        assert_eq!(*log.borrow(), vec![7]);
    }

    #[test]
    fn heap_is_compacted_when_mostly_stale() {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut timers = Timers::default();
        let keys: Vec<_> = (0..1000)
            .map(|i| timers.insert(t0 + Duration::from_millis(i), callback(&log, i as u32)))
            .collect();
        for key in &keys[..990] {
            timers.remove(*key);
        }
        assert_eq!(timers.len(), 10);
        assert!(
            timers.heap.len() <= 2 * 64 + 20,
            "heap not compacted: {}",
            timers.heap.len()
        );
    }
}
