//! The loop's timers: a binary heap of deadlines over a slab of entries.
//!
//! Why a heap: asyncio uses one, it gives exact FIFO order for equal
//! deadlines (ties break on an insertion sequence number), and both insert
//! and pop are `O(log n)` with a small constant — a million pending timers
//! cost one 32-byte heap slot and one slab slot each. Removal is lazy: a
//! cancelled sleep frees its slab slot at once and leaves a stale heap
//! entry, recognised by its sequence number, which is skipped when it
//! surfaces. When stale entries outnumber live ones the heap is rebuilt, so
//! memory stays proportional to the live timers.

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
}

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
            let entry = self.entries.remove(key.slot);
            self.compact_if_sparse();
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
        Some(self.entries.remove(slot).action)
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

    fn is_live(&self, seq: u64, slot: usize) -> bool {
        self.entries.get(slot).is_some_and(|e| e.seq == seq)
    }

    fn skip_stale(&mut self) {
        while let Some(Reverse((_, seq, slot))) = self.heap.peek() {
            if self.is_live(*seq, *slot) {
                break;
            }
            self.heap.pop();
        }
    }

    fn compact_if_sparse(&mut self) {
        if self.heap.len() > 64 && self.heap.len() > 2 * self.entries.len() {
            let entries = &self.entries;
            self.heap.retain(|Reverse((_, seq, slot))| {
                entries.get(*slot).is_some_and(|e| e.seq == *seq)
            });
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
